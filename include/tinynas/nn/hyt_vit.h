// HytVit: the attention block of the HyT-NAS space (hyt-nas.txt III-A, Fig. 2, Table I),
// a MobileViT block whose widths are ratios of the map's channels and whose concat-fuse is
// written without a concat, so that every op it deploys is one the int8 runtime has.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "tinynas/nn/attention.h"
#include "tinynas/nn/conv.h"
#include "tinynas/nn/encoder.h"

namespace tinynas::nn {

/// round(base * ratio) (halves away from zero), the width a channel or feed-forward ratio
/// gives: 24 channels at 1.5 -> 36 tokens' channels, 36 at feed-forward 1.5 -> 54. Throws
/// c10::Error when ratio is negative or not finite.
int64_t scaled_width(int64_t base, double ratio);

/// Options for HytVit. Required: feature-map channels C, encoder width `dim` (the space
/// sets it to scaled_width(C, dim_ratio)), heads.
struct HytVitOptions {
  HytVitOptions(int64_t channels, int64_t dim, int64_t heads)
      : channels_(channels), dim_(dim), heads_(heads) {}

  TORCH_ARG(int64_t, channels);
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  /// Per-head q/k/v width; 0 = dim / heads (then heads must divide dim).
  TORCH_ARG(int64_t, head_dim) = 0;
  /// Feed-forward hidden width; 0 = no feed-forward sub-block.
  TORCH_ARG(int64_t, mlp_dim) = 0;
  /// Pre-LayerNorm encoders in sequence, > 0.
  TORCH_ARG(int64_t, depth) = 1;
  TORCH_ARG(AttentionKind, attention) = AttentionKind::softmax;
  /// true: MobileViTv3's residual fuse, out = x + fuse_x(x) + fuse_t(y) (no ReLU: the
  /// block adds to a residual stream, like an inverted residual's linear projection);
  /// false: MobileViT's out = relu(fuse_x(x) + fuse_t(y)). The residual form is what lets
  /// a supernet of many such candidates train: every path carries x through them
  /// unchanged, where MobileViT's form replaces x by a different random conv per candidate.
  TORCH_ARG(bool, residual) = true;

 public:
  /// The options of the inner SpatialEncoder (norm: layer, i.e. pre-LN as in ViT).
  SpatialEncoderOptions encoder() const;
};

/// (B, C, H, W) -> (B, C, H, W):
///   y = project_out(encoder(project_in(local(x))))
///   out = x + fuse_x(x) + fuse_t(y)      (residual, the default)
///   out = relu(fuse_x(x) + fuse_t(y))    (residual(false))
/// local 3x3 C->C (BN, ReLU); project_in 1x1 C->dim (no BN, ReLU or bias); encoder
/// SpatialEncoder(dim, pre-LN); project_out 1x1 dim->C (BN, ReLU); fuse_x, fuse_t 3x3 C->C
/// (BN, no ReLU).
///
/// MobileViT fuses with relu(bn(conv3x3(concat(x, y)))), a 2C->C conv. Its kernel split
/// along the input channels, W = [W_x | W_t], gives conv(concat(x, y)) = conv_{W_x}(x) +
/// conv_{W_t}(y): the same function without a concat op (tested). Each half keeps its own
/// BatchNorm, which at inference is one per-channel affine per branch, folded into each
/// conv. Differences from the paper's block: ReLU instead of SiLU (the runtime's only
/// activation), that split, and by default MobileViTv3's residual around the fuse.
///
/// Submodules, in the order the space describes the ops (compress/float_graph pairs the
/// modules with the ops in registration order): "local", "project_in", "encoder",
/// "project_out", "fuse_x", "fuse_t".
class HytVitImpl : public torch::nn::Cloneable<HytVitImpl> {
 public:
  /// Throws c10::Error for non-positive channels or dim, or invalid encoder options (e.g.
  /// heads not dividing dim when head_dim is 0).
  explicit HytVitImpl(HytVitOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  HytVitOptions options;
  ConvBnAct local{nullptr};
  ConvBnAct project_in{nullptr};
  SpatialEncoder encoder{nullptr};
  ConvBnAct project_out{nullptr};
  ConvBnAct fuse_x{nullptr};
  ConvBnAct fuse_t{nullptr};
};
TORCH_MODULE(HytVit);

}  // namespace tinynas::nn
