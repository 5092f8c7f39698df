// Activation calibration for PTQ: the real range of every graph tensor over calibration
// images, observed on the float graph (float_graph.h).
//  - minmax: the smallest and largest value seen.
//  - percentile p: per batch, the (100 - p)th and p-th percentiles of the tensor's values
//    (over a random subsample of at most 2^20 values), averaged over batches weighted by
//    batch size. Clipping the rare extremes buys resolution for the bulk of the values.
// ReLU-linear attention's int16 kv products get their largest magnitude (always minmax:
// int16 leaves ample resolution, and clipping a sum would bias every output).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/compress/float_graph.h"

namespace tinynas::compress {

enum class RangeMethod { minmax, percentile };

/// "minmax" | "percentile" (the recipe's quant.calibration); throws core::Error otherwise.
RangeMethod parse_range_method(const std::string& name);

struct Range {
  double lo = 0, hi = 0;
  bool seen = false;
};

struct CalibrationResult {
  std::vector<Range> tensors;   ///< per graph tensor
  std::vector<double> kv_max;   ///< per graph op: max |relu(k)ᵀ v| (0 for other ops)
  std::int64_t images = 0;
};

class Calibrator {
 public:
  /// `graph` must outlive the calibrator. percentile in (50, 100].
  Calibrator(const FloatGraph& graph, RangeMethod method, double percentile = 99.99,
             std::uint64_t seed = 0);
  /// Runs a batch of normalized images (B, C, H, W) and folds its ranges in.
  void observe(const torch::Tensor& images);
  /// Throws core::Error when no batch was observed.
  CalibrationResult result() const;

 private:
  const FloatGraph& graph_;
  RangeMethod method_;
  double percentile_;
  std::uint64_t seed_;
  std::vector<double> lo_sum_, hi_sum_, lo_, hi_;
  std::vector<double> kv_max_;
  std::int64_t images_ = 0;
  std::int64_t batches_ = 0;
};

}  // namespace tinynas::compress
