#include "tinynas/nas/ptq.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "tinynas/compress/calibration.h"
#include "tinynas/compress/equalize.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/core/error.h"
#include "tinynas/data/loader.h"
#include "tinynas/train/evaluate.h"

namespace tinynas::nas {
namespace {

constexpr int kBatch = 128;

// Per-tensor SQNR of the int8 model against the float graph on `images`.
std::vector<TensorError> measure_tensor_errors(const compress::FloatGraph& graph,
                                               const compress::QuantizedModel& model,
                                               const torch::Tensor& images) {
  const auto& g = model.graph;
  const std::size_t n = g.tensors.size();
  std::vector<torch::Tensor> values(n);
  compress::FloatObserver obs;
  obs.tensor = [&](int t, const torch::Tensor& v) { values[std::size_t(t)] = v.contiguous(); };
  graph.run(images, obs);
  std::vector<double> signal(n, 0), noise(n, 0);
  std::vector<std::int64_t> clipped(n, 0), count(n, 0);
  compress::Int8Runner runner(model);
  for (std::int64_t i = 0; i < images.size(0); ++i) {
    runner.run(runner.quantize_image(images[i]));
    for (std::size_t t = 0; t < n; ++t) {
      if (!values[t].defined()) continue;
      // float (C, H, W) -> the runtime's HWC order
      const auto f = values[t][i].permute({1, 2, 0}).contiguous().to(torch::kDouble);
      const double* fp = f.data_ptr<double>();
      const auto& q = runner.tensor(int(t));
      const auto& qp = model.tensors[t];
      const double lo = qp.dequantize(-128) - qp.scale / 2, hi = qp.dequantize(127) + qp.scale / 2;
      for (std::size_t k = 0; k < q.size() && std::int64_t(k) < f.numel(); ++k) {
        const double d = qp.dequantize(q[k]) - fp[k];
        signal[t] += fp[k] * fp[k];
        noise[t] += d * d;
        clipped[t] += fp[k] < lo || fp[k] > hi;
        ++count[t];
      }
    }
  }
  std::vector<TensorError> out;
  for (std::size_t t = 0; t < n; ++t) {
    if (count[t] == 0) continue;
    TensorError e;
    e.name = g.tensors[t].name;
    e.sqnr_db = noise[t] > 0 ? 10 * std::log10(std::max(signal[t], 1e-30) / noise[t])
                             : std::numeric_limits<double>::infinity();
    e.clipped = double(clipped[t]) / double(count[t]);
    out.push_back(e);
  }
  return out;
}

// The per-class table of `set`, every class zero.
std::vector<ClassScore> empty_class_scores(const data::ImageSet& set) {
  std::vector<ClassScore> out(std::size_t(std::max(set.num_classes, 0)));
  for (std::size_t c = 0; c < out.size(); ++c)
    out[c].name = c < set.class_names.size() ? set.class_names[c] : std::to_string(c);
  return out;
}

void tally_classes(std::vector<ClassScore>& scores, const torch::Tensor& labels, const torch::Tensor& float_top,
                   const torch::Tensor& int8_top) {
  const auto y = labels.to(torch::kLong).contiguous(), f = float_top.to(torch::kLong).contiguous(),
             q = int8_top.to(torch::kLong).contiguous();
  const std::int64_t* yp = y.data_ptr<std::int64_t>();
  const std::int64_t* fp = f.data_ptr<std::int64_t>();
  const std::int64_t* qp = q.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < y.numel(); ++i) {
    if (yp[i] < 0 || yp[i] >= std::int64_t(scores.size()))
      throw core::Error("quantize: label " + std::to_string(yp[i]) + " outside the dataset's " +
                        std::to_string(scores.size()) + " classes");
    ClassScore& s = scores[std::size_t(yp[i])];
    ++s.images;
    s.float_correct += fp[i] == yp[i];
    s.int8_correct += qp[i] == yp[i];
  }
}

}  // namespace

PtqResult quantize_subnet(space::Subnet& subnet, const space::SupernetLayout& layout,
                          const space::SparseConfig& sparse, const data::Datasets& sets,
                          const PtqOptions& o) {
  torch::NoGradGuard no_grad;
  subnet->eval();
  subnet->to(torch::kCPU);
  compress::FloatGraph graph(subnet, layout, sparse);
  PtqResult r;

  // Calibration: a seeded shuffle of the training images, evaluation transform.
  {
    auto lo = data::make_loader_options(o.data, sets.normalization, /*train=*/false, kBatch, o.seed);
    lo.shuffle = true;
    data::BatchLoader loader(sets.train, lo);
    loader.start_epoch(0);
    std::vector<torch::Tensor> batches;
    while (r.calib_images < o.quant.calib_images) {
      auto b = loader.next();
      if (!b) break;
      auto images = train::to_tensors(*b, train::Placement{}).first;
      const std::int64_t take = std::min<std::int64_t>(images.size(0), o.quant.calib_images - r.calib_images);
      batches.push_back(images.slice(0, 0, take));
      r.calib_images += take;
    }
    if (r.calib_images == 0) throw core::Error("quantize: the training split has no images to calibrate on");
    graph.check_matches(subnet, batches.front());
    if (o.quant.equalize) {
      const auto pairs = compress::equalization_pairs(graph.graph());
      std::vector<torch::Tensor> channel_max;
      for (const auto& b : batches) compress::observe_channel_max(graph, pairs, b, channel_max);
      r.equalized_channels = compress::equalize_activations(graph, pairs, channel_max);
    }
    compress::Calibrator cal(graph, compress::parse_range_method(o.quant.calibration),
                             o.quant.percentile, o.seed);
    for (const auto& b : batches) cal.observe(b);
    const auto& norm = sets.normalization;
    r.model = compress::quantize(graph, cal.result(), compress::input_qparams(norm.mean, norm.std));
  }

  // Evaluation: the same images through the float graph and the int8 model.
  std::string split = o.eval_split;
  if (split == "auto") split = sets.test.size() > 0 ? "test" : "val";
  if (split != "test" && split != "val")
    throw core::Error("quantize: evaluation split '" + split + "' is not test, val or auto");
  const data::ImageSet& set = split == "test" ? sets.test : sets.val;
  if (set.size() == 0) throw core::Error("quantize: the " + split + " split has no images");
  r.eval_split = split;
  r.per_class = empty_class_scores(set);
  auto lo = data::make_loader_options(o.data, sets.normalization, /*train=*/false, kBatch, o.seed);
  data::BatchLoader loader(set, lo);
  loader.start_epoch(0);
  std::int64_t float_ok = 0, int8_ok = 0, same = 0;
  while (auto b = loader.next()) {
    auto [images, labels] = train::to_tensors(*b, train::Placement{});
    if (o.eval_limit > 0) {
      const std::int64_t take = std::min<std::int64_t>(images.size(0), o.eval_limit - r.eval_images);
      if (take <= 0) break;
      images = images.slice(0, 0, take);
      labels = labels.slice(0, 0, take);
    }
    if (r.error_images < o.error_images) {
      const std::int64_t take = std::min<std::int64_t>(images.size(0), o.error_images);
      r.tensor_errors = measure_tensor_errors(graph, r.model, images.slice(0, 0, take));
      r.error_images = take;
    }
    const auto float_top = graph.run(images).argmax(1);
    const auto int8_top = torch::tensor(compress::predict_int8(r.model, images, o.threads), torch::kLong);
    float_ok += (float_top == labels).sum().item<std::int64_t>();
    int8_ok += (int8_top == labels).sum().item<std::int64_t>();
    same += (int8_top == float_top).sum().item<std::int64_t>();
    tally_classes(r.per_class, labels, float_top, int8_top);
    r.eval_images += images.size(0);
  }
  r.float_accuracy = double(float_ok) / double(r.eval_images);
  r.int8_accuracy = double(int8_ok) / double(r.eval_images);
  r.agreement = double(same) / double(r.eval_images);
  return r;
}

}  // namespace tinynas::nas
