// Softmax attention on the CPU, one (image, head) at a time: its N x M scores stay in the
// cache (150 KB for the quickstart's 196 tokens) instead of going through memory as four
// B x heads x N x M tensors per direction. Same math, shapes and layout as
// softmax_attention_reference (attention.h), which it is tested against.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace tinynas::nn::detail {

/// Whether fused_softmax_attention runs these tensors: float32 on the CPU, with enough
/// scores per head (N x M) to gain from it.
bool fused_attention_applies(const torch::Tensor& q, const torch::Tensor& k,
                             const torch::Tensor& v);

/// softmax(q k^T / sqrt(head_dim)) v per head, differentiable in q, k and v (first order).
/// Shapes as softmax_attention, already checked by the caller.
torch::Tensor fused_softmax_attention(const torch::Tensor& q, const torch::Tensor& k,
                                      const torch::Tensor& v, int64_t heads);

}  // namespace tinynas::nn::detail
