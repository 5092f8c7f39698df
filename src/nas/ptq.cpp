#include "tinynas/nas/ptq.h"

#include <algorithm>

#include <torch/torch.h>

#include "tinynas/compress/calibration.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/core/error.h"
#include "tinynas/data/loader.h"
#include "tinynas/train/evaluate.h"

namespace tinynas::nas {
namespace {

constexpr int kBatch = 128;

}  // namespace

PtqResult quantize_subnet(space::Subnet& subnet, const space::SupernetLayout& layout,
                          const space::SparseConfig& sparse, const data::Datasets& sets,
                          const PtqOptions& o) {
  torch::NoGradGuard no_grad;
  subnet->eval();
  subnet->to(torch::kCPU);
  const compress::FloatGraph graph(subnet, layout, sparse);
  PtqResult r;

  // Calibration: a seeded shuffle of the training images, evaluation transform.
  {
    auto lo = data::make_loader_options(o.data, sets.normalization, /*train=*/false, kBatch, o.seed);
    lo.shuffle = true;
    data::BatchLoader loader(sets.train, lo);
    loader.start_epoch(0);
    compress::Calibrator cal(graph, compress::parse_range_method(o.quant.calibration),
                             o.quant.percentile, o.seed);
    bool checked = false;
    while (r.calib_images < o.quant.calib_images) {
      auto b = loader.next();
      if (!b) break;
      auto images = train::to_tensors(*b, train::Placement{}).first;
      const std::int64_t take = std::min<std::int64_t>(images.size(0), o.quant.calib_images - r.calib_images);
      images = images.slice(0, 0, take);
      if (!checked) {
        graph.check_matches(subnet, images);
        checked = true;
      }
      cal.observe(images);
      r.calib_images += take;
    }
    if (r.calib_images == 0) throw core::Error("quantize: the training split has no images to calibrate on");
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
    const auto float_top = graph.run(images).argmax(1);
    const auto int8_top = torch::tensor(compress::predict_int8(r.model, images, o.threads), torch::kLong);
    float_ok += (float_top == labels).sum().item<std::int64_t>();
    int8_ok += (int8_top == labels).sum().item<std::int64_t>();
    same += (int8_top == float_top).sum().item<std::int64_t>();
    r.eval_images += images.size(0);
  }
  r.float_accuracy = double(float_ok) / double(r.eval_images);
  r.int8_accuracy = double(int8_ok) / double(r.eval_images);
  r.agreement = double(same) / double(r.eval_images);
  return r;
}

}  // namespace tinynas::nas
