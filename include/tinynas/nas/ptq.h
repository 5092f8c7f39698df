// INT8 post-training quantization of a trained (pruned) subnet, end to end: the float
// graph is built and checked against the subnet, activations are calibrated on
// quant.calib_images training images (no augmentation, a seeded random subset), the int8
// IR is produced (compress/quantize.h), and both the float graph and the int8 model (run
// by the runtime's C kernels) are scored on the same evaluation images, so the reported
// drop is the exported model's. Single-process: the integer evaluation runs on threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/compress/quant_model.h"
#include "tinynas/config/recipe.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/supernet.h"

namespace tinynas::nas {

struct PtqOptions {
  config::QuantConfig quant;  ///< calib_images, calibration, percentile
  config::DataConfig data;    ///< normalization and loading of the images
  std::uint64_t seed = 0;     ///< which training images calibrate
  /// Images scored: "test" (the dataset's test split), "val", or "auto" (test when the
  /// dataset has one, else val).
  std::string eval_split = "auto";
  std::int64_t eval_limit = 0;  ///< score at most this many images; 0 = all
  int threads = 0;              ///< integer evaluation threads; 0 = hardware threads
  std::int64_t error_images = 64;  ///< images the per-tensor errors are measured on
};

/// How well one graph tensor survives quantization, measured on the first evaluation
/// images: the int8 model's value (dequantized, after every integer op before it) against
/// the float graph's. Errors compound: the first tensor whose SQNR falls far below its
/// input's is where precision is lost.
struct TensorError {
  std::string name;
  double sqnr_db = 0;    ///< 10 log10(sum f^2 / sum (q - f)^2); +inf when exact
  double clipped = 0;    ///< fraction of float values outside the int8 range
};

/// One class of the evaluation split: how many of its images each model classified right.
struct ClassScore {
  std::string name;  ///< the dataset's class name, or its index when the dataset has none
  std::int64_t images = 0;
  std::int64_t float_correct = 0;
  std::int64_t int8_correct = 0;
};

struct PtqResult {
  compress::QuantizedModel model;
  std::string eval_split;            ///< "test" or "val"
  std::int64_t eval_images = 0;
  std::int64_t calib_images = 0;
  double float_accuracy = 0;         ///< the float (pruned) graph, top-1
  double int8_accuracy = 0;          ///< the int8 model through the runtime's kernels
  double agreement = 0;              ///< fraction of images with the same top-1 class
  std::vector<ClassScore> per_class;  ///< in the dataset's class order, on the same images
  int equalized_channels = 0;        ///< channels rescaled by quant.equalize
  std::vector<TensorError> tensor_errors;  ///< per graph tensor (graph order)
  std::int64_t error_images = 0;           ///< images tensor_errors was measured on
  double drop() const { return float_accuracy - int8_accuracy; }
};

/// Quantizes `subnet` (its path's graph with `sparse`) and scores it. Throws core::Error
/// when the graph does not match the subnet, the split is empty, or a kernel fails.
PtqResult quantize_subnet(space::Subnet& subnet, const space::SupernetLayout& layout,
                          const space::SparseConfig& sparse, const data::Datasets& sets,
                          const PtqOptions& options);

}  // namespace tinynas::nas
