// The CNN blocks of the search spaces, built from ConvBnAct. Tensors are NCHW float.
// Spatial sizes follow the strided conv inside each block: floor((H - 1) / stride) + 1 for
// the odd, "same"-padded kernels required here.
//
// Residual (skip) branch, shared by all blocks: identity when stride == 1 and in == out;
// otherwise a 1x1 ConvBnAct in -> out with the block's stride, BN, no ReLU (where a block
// has a skip at all; see InvertedResidual).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "tinynas/nn/conv.h"

namespace tinynas::nn {

/// Options for InvertedResidual (MobileNetV2). Required: in/out channels, expansion
/// factor (hidden channels = in * expansion).
struct InvertedResidualOptions {
  InvertedResidualOptions(int64_t in_channels, int64_t out_channels, int64_t expansion)
      : in_channels_(in_channels), out_channels_(out_channels), expansion_(expansion) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// >= 1; 1 drops the 1x1 expansion conv.
  TORCH_ARG(int64_t, expansion);
  /// Depthwise kernel, odd.
  TORCH_ARG(int64_t, kernel) = 3;
  TORCH_ARG(int64_t, stride) = 1;
  /// When the shapes differ (stride != 1 or in != out): true adds a 1x1 ConvBnAct skip
  /// (hybrid space style), false has no residual at all (MobileNetV2 style).
  TORCH_ARG(bool, skip_conv) = false;
};

/// Inverted residual: [1x1 in->hidden, BN, ReLU] (only when expansion != 1) ->
/// kxk depthwise hidden->hidden with the stride, BN, ReLU -> 1x1 hidden->out, BN (no ReLU);
/// plus the residual branch (see has_residual). No activation after the add.
/// Submodules: "expand" (null when expansion == 1), "depthwise", "project", "skip" (null
/// unless the skip is a conv).
class InvertedResidualImpl : public torch::nn::Cloneable<InvertedResidualImpl> {
 public:
  /// Throws c10::Error for non-positive sizes or an even kernel.
  explicit InvertedResidualImpl(InvertedResidualOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  /// in * expansion.
  int64_t hidden_channels() const;
  /// True when the output adds a residual branch (identity or skip conv).
  bool has_residual() const;

  InvertedResidualOptions options;
  ConvBnAct expand{nullptr};
  ConvBnAct depthwise{nullptr};
  ConvBnAct project{nullptr};
  ConvBnAct skip{nullptr};
};
TORCH_MODULE(InvertedResidual);

/// Options for ResidualBlock (ResNet basic block). Required: in/out channels.
struct ResidualBlockOptions {
  ResidualBlockOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// Odd.
  TORCH_ARG(int64_t, kernel) = 3;
  TORCH_ARG(int64_t, stride) = 1;
  /// Groups of both kxk convs; must divide in and out.
  TORCH_ARG(int64_t, groups) = 1;
};

/// relu(main(x) + skip(x)), main = kxk in->out (stride, groups, BN, ReLU) -> kxk out->out
/// (groups, BN, no ReLU). Submodules: "conv1", "conv2", "skip" (null when identity).
class ResidualBlockImpl : public torch::nn::Cloneable<ResidualBlockImpl> {
 public:
  /// Throws c10::Error for non-positive sizes, an even kernel, or groups not dividing in/out.
  explicit ResidualBlockImpl(ResidualBlockOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  ResidualBlockOptions options;
  ConvBnAct conv1{nullptr};
  ConvBnAct conv2{nullptr};
  ConvBnAct skip{nullptr};
};
TORCH_MODULE(ResidualBlock);

/// Options for Bottleneck (ResNet bottleneck). Required: in/out channels.
struct BottleneckOptions {
  BottleneckOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// Odd.
  TORCH_ARG(int64_t, kernel) = 3;
  TORCH_ARG(int64_t, stride) = 1;
  /// Groups of the middle kxk conv (divides the middle width by construction).
  TORCH_ARG(int64_t, groups) = 1;
  /// Width reduction of the middle convs, > 0: see bottleneck_mid_channels.
  TORCH_ARG(int64_t, reduction) = 4;
};

/// The middle width of a Bottleneck: out / reduction (integer division), rounded up to a
/// multiple of groups, and at least groups. E.g. out 64, reduction 4, groups 1 -> 16;
/// out 24, reduction 4, groups 4 -> 8; out 2, reduction 4, groups 1 -> 1.
int64_t bottleneck_mid_channels(const BottleneckOptions& options);

/// relu(main(x) + skip(x)), main = 1x1 in->mid (BN, ReLU) -> kxk mid->mid (stride, groups,
/// BN, ReLU) -> 1x1 mid->out (BN, no ReLU). Submodules: "conv1", "conv2", "conv3", "skip"
/// (null when identity).
class BottleneckImpl : public torch::nn::Cloneable<BottleneckImpl> {
 public:
  /// Throws c10::Error for non-positive sizes or an even kernel.
  explicit BottleneckImpl(BottleneckOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  /// bottleneck_mid_channels(options).
  int64_t mid_channels() const;

  BottleneckOptions options;
  ConvBnAct conv1{nullptr};
  ConvBnAct conv2{nullptr};
  ConvBnAct conv3{nullptr};
  ConvBnAct skip{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace tinynas::nn
