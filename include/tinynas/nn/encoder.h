// Transformer encoders: Encoder on tokens (B, N, dim), SpatialEncoder on an NCHW map with
// C == dim (tokens in row-major (h, w) order, see attention.h), and MobileVit, TinyFormer's
// conv-wrapped Transformer block.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "tinynas/nn/attention.h"
#include "tinynas/nn/conv.h"

namespace tinynas::nn {

/// Normalisation inside an Encoder.
///  - layer: pre-norm LayerNorm (ViT / TinyFormer).
///  - batch: post-branch BatchNorm (hybrid space, EfficientViT style); at inference it is a
///    per-channel affine that folds into the preceding Linear.
enum class NormKind { layer, batch };

/// "layer" / "batch".
const char* to_string(NormKind kind);
/// Inverse of to_string; throws std::invalid_argument naming the valid values.
NormKind norm_kind_from_string(const std::string& name);

/// Options for Encoder. Required: model width `dim` and number of heads.
struct EncoderOptions {
  EncoderOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}

  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  /// Per-head q/k/v width; 0 = dim / heads (see MhsaOptions).
  TORCH_ARG(int64_t, head_dim) = 0;
  /// Hidden width of the feed-forward sub-block; 0 = no feed-forward sub-block.
  TORCH_ARG(int64_t, mlp_dim) = 0;
  TORCH_ARG(AttentionKind, attention) = AttentionKind::softmax;
  TORCH_ARG(NormKind, norm) = NormKind::layer;

 public:
  /// The Mhsa these options describe.
  MhsaOptions mhsa() const;
};

/// One encoder layer on tokens (B, N, dim) -> (B, N, dim). ff(x) = fc2(relu(fc1(x))),
/// fc1 dim -> mlp_dim, fc2 mlp_dim -> dim, both with bias.
///  - norm layer: x = x + mhsa(ln1(x)); x = x + ff(ln2(x)).
///  - norm batch: x = x + bn1(mhsa(x)); x = x + bn2(ff(x)), bn = BatchNorm1d over the dim
///    channels with statistics over all B*N tokens, i.e. exactly BatchNorm2d over the
///    (B, dim, H, W) map the tokens came from.
/// The ff line is skipped when mlp_dim == 0. Submodules: "mhsa"; "ln1", "ln2" (layer) or
/// "bn1", "bn2" (batch); "fc1", "fc2"; the ones not used are null.
class EncoderImpl : public torch::nn::Cloneable<EncoderImpl> {
 public:
  /// Throws c10::Error for invalid Mhsa options or a negative mlp_dim.
  explicit EncoderImpl(EncoderOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  EncoderOptions options;
  Mhsa mhsa{nullptr};
  torch::nn::LayerNorm ln1{nullptr};
  torch::nn::LayerNorm ln2{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr};
  torch::nn::BatchNorm1d bn2{nullptr};
  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Encoder);

/// EncoderOptions plus the number of stacked encoders.
struct SpatialEncoderOptions {
  SpatialEncoderOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}

  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, head_dim) = 0;
  TORCH_ARG(int64_t, mlp_dim) = 0;
  TORCH_ARG(AttentionKind, attention) = AttentionKind::softmax;
  TORCH_ARG(NormKind, norm) = NormKind::layer;
  /// Encoders in sequence, > 0.
  TORCH_ARG(int64_t, depth) = 1;

 public:
  /// The options of each of the `depth` encoders.
  EncoderOptions encoder() const;
};

/// (B, dim, H, W) -> tokens -> depth x Encoder -> (B, dim, H, W).
/// Submodule: "layers" (a Sequential of `depth` Encoders).
class SpatialEncoderImpl : public torch::nn::Cloneable<SpatialEncoderImpl> {
 public:
  /// Throws c10::Error for invalid encoder options or depth < 1.
  explicit SpatialEncoderImpl(SpatialEncoderOptions options);

  void reset() override;
  /// Throws c10::Error unless x is 4-D with dim channels.
  torch::Tensor forward(const torch::Tensor& x);

  SpatialEncoderOptions options;
  torch::nn::Sequential layers{nullptr};
};
TORCH_MODULE(SpatialEncoder);

/// Options for MobileVit. Required: feature-map channels, encoder width, heads.
struct MobileVitOptions {
  MobileVitOptions(int64_t channels, int64_t dim, int64_t heads)
      : channels_(channels), dim_(dim), heads_(heads) {}

  TORCH_ARG(int64_t, channels);
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  TORCH_ARG(int64_t, head_dim) = 0;
  TORCH_ARG(int64_t, mlp_dim) = 0;
  TORCH_ARG(int64_t, depth) = 1;
  TORCH_ARG(AttentionKind, attention) = AttentionKind::softmax;
  TORCH_ARG(NormKind, norm) = NormKind::layer;
  /// Add the block input to its output.
  TORCH_ARG(bool, residual) = true;

 public:
  /// The options of the inner SpatialEncoder.
  SpatialEncoderOptions encoder() const;
};

/// TinyFormer's Transformer block, (B, C, H, W) -> (B, C, H, W):
///   3x3 C->C (BN, ReLU) -> 1x1 C->dim (no BN, no ReLU, no bias) -> SpatialEncoder ->
///   1x1 dim->C (BN, ReLU) -> 3x3 C->C (BN, ReLU), plus x when residual (no activation
///   after the add).
/// Submodules: "local", "project_in", "encoder", "project_out", "fuse".
class MobileVitImpl : public torch::nn::Cloneable<MobileVitImpl> {
 public:
  /// Throws c10::Error for non-positive channels or invalid encoder options.
  explicit MobileVitImpl(MobileVitOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  MobileVitOptions options;
  ConvBnAct local{nullptr};
  ConvBnAct project_in{nullptr};
  SpatialEncoder encoder{nullptr};
  ConvBnAct project_out{nullptr};
  ConvBnAct fuse{nullptr};
};
TORCH_MODULE(MobileVit);

}  // namespace tinynas::nn
