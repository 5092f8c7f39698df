// Conv2d -> BatchNorm2d -> ReLU, the unit every CNN block in both search spaces is built
// from. Tensors are NCHW float.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace tinynas::nn {

/// Options for ConvBnAct. Required: input channels, output channels, square kernel size.
///
/// Bias rule: the conv has a bias iff `bn` is false and `bias` is true. A BatchNorm's shift
/// makes a conv bias redundant, so a conv followed by BN never gets one; `bias(false)` only
/// matters for a plain conv (e.g. the projection into a transformer's token space).
struct ConvBnActOptions {
  ConvBnActOptions(int64_t in_channels, int64_t out_channels, int64_t kernel)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// Square kernel, > 0.
  TORCH_ARG(int64_t, kernel);
  /// > 0.
  TORCH_ARG(int64_t, stride) = 1;
  /// Zero padding on each side; -1 = kernel/2 ("same" for odd kernels at stride 1).
  TORCH_ARG(int64_t, padding) = -1;
  /// Channel groups; must divide in_channels and out_channels (groups == channels is a
  /// depthwise conv).
  TORCH_ARG(int64_t, groups) = 1;
  /// BatchNorm2d after the conv.
  TORCH_ARG(bool, bn) = true;
  /// ReLU at the end (after the BN when there is one).
  TORCH_ARG(bool, relu) = true;
  /// See the bias rule above.
  TORCH_ARG(bool, bias) = true;
};

/// The padding `options` resolves to (kernel/2 when padding is -1).
int64_t conv_padding(const ConvBnActOptions& options);

/// Output height (or width) for an input of height (or width) `size`:
/// floor((size + 2*padding - kernel) / stride) + 1.
int64_t conv_output_size(int64_t size, const ConvBnActOptions& options);

/// Conv2d (+ BatchNorm2d) (+ ReLU). (B, in, H, W) -> (B, out, H', W') with H', W' from
/// conv_output_size. Submodules: "conv", and "bn" when options.bn() (else `bn` is null).
class ConvBnActImpl : public torch::nn::Cloneable<ConvBnActImpl> {
 public:
  /// Throws c10::Error unless in, out, kernel, stride > 0, padding >= -1, groups > 0 and
  /// groups divides in and out.
  explicit ConvBnActImpl(ConvBnActOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  ConvBnActOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBnAct);

}  // namespace tinynas::nn
