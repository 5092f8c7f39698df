// Multi-head self-attention on tokens. Tokens are (B, N, D) float; a feature map becomes
// tokens as x.flatten(2).transpose(1, 2) (N = H*W in row-major (h, w) order) and goes back
// as tokens.transpose(1, 2).reshape(B, D, H, W).
//
// The attention math lives in two free functions; Mhsa adds the projections. In both,
// q and k are (B, N, heads*head_dim) and (B, M, heads*head_dim), v is (B, M, heads*dv);
// channel c belongs to head c / head_dim (heads are contiguous channel slices), and the
// result is (B, N, heads*dv) with the heads concatenated in the same order.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tinynas::nn {

/// (B, C, H, W) -> (B, H*W, C) tokens, row-major (h, w) order.
torch::Tensor to_tokens(const torch::Tensor& x);
/// (B, H*W, C) tokens -> (B, C, H, W); inverse of to_tokens.
torch::Tensor from_tokens(const torch::Tensor& tokens, int64_t height, int64_t width);

/// Standard attention: per head softmax(q k^T / sqrt(head_dim)) v, the softmax over the M
/// keys. Cost O(N * M * head_dim) per head. Throws c10::Error on mismatched shapes or a
/// channel count not divisible by `heads`. Float32 CPU tensors run a fused kernel, one
/// (image, head) at a time with its scores in the cache (the quickstart's 196-token
/// attention 1.55x faster forward and backward); others run softmax_attention_reference.
torch::Tensor softmax_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, int64_t heads);

/// The same as LibTorch operations on whole batches (any device and type): what the fused
/// kernel is tested against.
torch::Tensor softmax_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                          const torch::Tensor& v, int64_t heads);

/// ReLU linear attention (hybrid CNN-ViT paper): per head relu(q) (relu(k)^T v) / M.
/// relu(k)^T v is formed first (head_dim x dv per head), so the cost is linear in the
/// token counts. The 1/M (M = number of tokens) keeps output magnitudes independent of the
/// input resolution; it is a constant, so int8 deployment folds it into the output
/// requantization scale at no cost. Same shapes and errors as softmax_attention.
torch::Tensor relu_linear_attention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, int64_t heads);

/// Which attention function an Mhsa uses.
enum class AttentionKind { softmax, relu_linear };

/// "softmax" / "relu_linear".
const char* to_string(AttentionKind kind);
/// Inverse of to_string; throws std::invalid_argument naming the valid values.
AttentionKind attention_kind_from_string(const std::string& name);

/// Options for Mhsa. Required: model width `dim` and number of heads.
struct MhsaOptions {
  MhsaOptions(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {}

  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, heads);
  /// Width of each head's q/k/v; 0 = dim / heads (then heads must divide dim).
  TORCH_ARG(int64_t, head_dim) = 0;
  TORCH_ARG(AttentionKind, kind) = AttentionKind::softmax;
};

/// The head width `options` resolves to (dim / heads when head_dim is 0).
int64_t mhsa_head_dim(const MhsaOptions& options);

/// Multi-head self-attention, tokens (B, N, dim) -> (B, N, dim):
/// proj(attention(q(x), k(x), v(x), heads)), q/k/v Linear dim -> heads*head_dim and proj
/// Linear heads*head_dim -> dim, all with bias. Submodules: "q", "k", "v", "proj".
///
/// A 1x1 conv over an HxW map is exactly a Linear applied to its H*W tokens (same weight,
/// reshaped (out, in, 1, 1) <-> (out, in)), so this one module also serves the hybrid
/// space's "1x1-conv projections".
class MhsaImpl : public torch::nn::Cloneable<MhsaImpl> {
 public:
  /// Throws c10::Error unless dim, heads > 0, head_dim >= 0, and (head_dim == 0) heads
  /// divides dim.
  explicit MhsaImpl(MhsaOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  /// mhsa_head_dim(options).
  int64_t head_dim() const;
  /// heads * head_dim: width of q, k, v.
  int64_t inner_dim() const;

  MhsaOptions options;
  torch::nn::Linear q{nullptr};
  torch::nn::Linear k{nullptr};
  torch::nn::Linear v{nullptr};
  torch::nn::Linear proj{nullptr};
};
TORCH_MODULE(Mhsa);

}  // namespace tinynas::nn
