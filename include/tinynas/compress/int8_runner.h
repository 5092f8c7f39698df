// Runs the int8 IR with the runtime's C kernels (src/runtime), the only integer
// implementation in the project (DESIGN.md §2): the accuracy this reports is the accuracy
// of the exported model. Buffers: one per graph tensor plus one scratch area sized by the
// kernels' get_buffer_size partners (the memory plan is export's business).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "tinynas/compress/quant_model.h"

namespace tinynas::compress {

class Int8Runner {
 public:
  /// Validates `model` (quant_model.h) and sizes the buffers; `model` must outlive the
  /// runner.
  explicit Int8Runner(const QuantizedModel& model);

  /// Logits (int8, one per class) of an image already quantized with the input tensor's
  /// parameters, HWC. Throws core::Error naming the op when a kernel returns an error.
  const std::vector<std::int8_t>& run(const std::vector<std::int8_t>& input_hwc);

  /// An image (C, H, W) normalized as in training, quantized HWC for run().
  std::vector<std::int8_t> quantize_image(const torch::Tensor& image) const;

  /// Top-1 classes of normalized images (B, C, H, W); ties go to the lower class.
  std::vector<std::int64_t> predict(const torch::Tensor& images);

  /// Graph tensor `t` as the last run() left it (HWC int8), for tests and debugging.
  const std::vector<std::int8_t>& tensor(int t) const { return tensors_.at(std::size_t(t)); }

 private:
  const QuantizedModel& model_;
  std::vector<std::vector<std::int8_t>> tensors_;
  std::vector<unsigned char> scratch_;
};

/// predict() over `images` on `threads` threads (one runner each); 0 = hardware threads.
std::vector<std::int64_t> predict_int8(const QuantizedModel& model, const torch::Tensor& images,
                                       int threads = 0);

}  // namespace tinynas::compress
