#include "tinynas/compress/calibration.h"

#include <algorithm>
#include <limits>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {

RangeMethod parse_range_method(const std::string& name) {
  if (name == "minmax") return RangeMethod::minmax;
  if (name == "percentile") return RangeMethod::percentile;
  throw core::Error("unknown calibration '" + name + "' (valid: minmax, percentile)");
}

Calibrator::Calibrator(const FloatGraph& graph, RangeMethod method, double percentile,
                       std::uint64_t seed)
    : graph_(graph), method_(method), percentile_(percentile), seed_(seed) {
  if (!(percentile > 50 && percentile <= 100))
    throw core::Error("calibration percentile " + std::to_string(percentile) +
                      " is not in (50, 100]");
  const std::size_t n = graph.graph().tensors.size();
  lo_sum_.assign(n, 0);
  hi_sum_.assign(n, 0);
  lo_.assign(n, std::numeric_limits<double>::infinity());
  hi_.assign(n, -std::numeric_limits<double>::infinity());
  kv_max_.assign(graph.graph().ops.size(), 0);
}

void Calibrator::observe(const torch::Tensor& images) {
  const std::int64_t batch = images.size(0);
  // Subsampling is seeded per batch so a calibration run is reproducible.
  torch::Generator gen = at::detail::createCPUGenerator(seed_ + std::uint64_t(batches_));
  FloatObserver obs;
  obs.tensor = [&](int tensor, const torch::Tensor& value) {
    const auto flat = value.reshape({-1});
    const auto i = std::size_t(tensor);
    lo_[i] = std::min(lo_[i], flat.min().item<double>());
    hi_[i] = std::max(hi_[i], flat.max().item<double>());
    if (method_ == RangeMethod::percentile) {
      constexpr std::int64_t kMaxValues = 1 << 20;
      auto values = flat;
      if (values.numel() > kMaxValues)
        values = values.index_select(
            0, torch::randint(values.numel(), {kMaxValues}, gen, torch::kLong));
      const auto q = torch::tensor({1.0 - percentile_ / 100.0, percentile_ / 100.0},
                                   torch::kDouble);
      const auto lh = torch::quantile(values.to(torch::kDouble), q);
      lo_sum_[i] += lh[0].item<double>() * double(batch);
      hi_sum_[i] += lh[1].item<double>() * double(batch);
    }
  };
  obs.kv = [&](int op, const torch::Tensor& kv) {
    auto& m = kv_max_[std::size_t(op)];
    m = std::max(m, kv.abs().max().item<double>());
  };
  graph_.run(images, obs);
  images_ += batch;
  ++batches_;
}

CalibrationResult Calibrator::result() const {
  if (images_ == 0) throw core::Error("calibration saw no images");
  CalibrationResult r;
  r.images = images_;
  r.kv_max = kv_max_;
  r.tensors.resize(lo_.size());
  for (std::size_t i = 0; i < lo_.size(); ++i) {
    Range& range = r.tensors[i];
    range.seen = lo_[i] <= hi_[i];
    if (!range.seen) continue;
    if (method_ == RangeMethod::minmax) {
      range.lo = lo_[i];
      range.hi = hi_[i];
    } else {
      range.lo = lo_sum_[i] / double(images_);
      range.hi = hi_sum_[i] / double(images_);
    }
  }
  return r;
}

}  // namespace tinynas::compress
