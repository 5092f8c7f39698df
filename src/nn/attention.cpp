#include "tinynas/nn/attention.h"

#include <cmath>
#include <utility>

#include "fused_attention.h"
#include "kind_names.h"

namespace tinynas::nn {
namespace {

void check_qkv(const char* fn, const torch::Tensor& q, const torch::Tensor& k,
               const torch::Tensor& v, int64_t heads) {
  TORCH_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3, fn,
              ": q, k, v must be (B, tokens, channels), got ", q.sizes(), ", ", k.sizes(), ", ",
              v.sizes());
  TORCH_CHECK(heads > 0, fn, ": heads must be > 0, got ", heads);
  TORCH_CHECK(q.size(0) == k.size(0) && k.size(0) == v.size(0), fn,
              ": batch sizes differ: ", q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(k.size(1) == v.size(1), fn, ": k and v token counts differ: ", k.sizes(), ", ",
              v.sizes());
  TORCH_CHECK(q.size(2) == k.size(2), fn, ": q and k widths differ: ", q.sizes(), ", ",
              k.sizes());
  TORCH_CHECK(q.size(2) % heads == 0 && v.size(2) % heads == 0, fn, ": heads ", heads,
              " must divide the q/k width ", q.size(2), " and the v width ", v.size(2));
}

// (B, N, heads*d) -> (B, heads, N, d)
torch::Tensor split_heads(const torch::Tensor& t, int64_t heads) {
  return t.reshape({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
}

// (B, heads, N, d) -> (B, N, heads*d)
torch::Tensor merge_heads(const torch::Tensor& t) {
  return t.transpose(1, 2).reshape({t.size(0), t.size(2), t.size(1) * t.size(3)});
}

}  // namespace

torch::Tensor to_tokens(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4, "to_tokens: expected (B, C, H, W), got ", x.sizes());
  return x.flatten(2).transpose(1, 2);
}

torch::Tensor from_tokens(const torch::Tensor& tokens, int64_t height, int64_t width) {
  TORCH_CHECK(tokens.dim() == 3 && tokens.size(1) == height * width,
              "from_tokens: expected (B, ", height * width, ", C), got ", tokens.sizes());
  return tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), height, width});
}

torch::Tensor softmax_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, int64_t heads) {
  check_qkv("softmax_attention", q, k, v, heads);
  if (detail::fused_attention_applies(q, k, v))
    return detail::fused_softmax_attention(q, k, v, heads);
  return softmax_attention_reference(q, k, v, heads);
}

torch::Tensor softmax_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                          const torch::Tensor& v, int64_t heads) {
  check_qkv("softmax_attention", q, k, v, heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(2) / heads));
  const auto scores = torch::matmul(split_heads(q, heads) * scale,
                                    split_heads(k, heads).transpose(2, 3));
  return merge_heads(torch::matmul(torch::softmax(scores, -1), split_heads(v, heads)));
}

torch::Tensor relu_linear_attention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, int64_t heads) {
  check_qkv("relu_linear_attention", q, k, v, heads);
  const auto kv = torch::matmul(split_heads(torch::relu(k), heads).transpose(2, 3),
                                split_heads(v, heads));  // (B, heads, d, dv)
  const auto out = torch::matmul(split_heads(torch::relu(q), heads), kv);
  return merge_heads(out) / static_cast<double>(k.size(1));
}

const char* to_string(AttentionKind kind) {
  switch (kind) {
    case AttentionKind::softmax:
      return "softmax";
    case AttentionKind::relu_linear:
      return "relu_linear";
  }
  return "?";
}

AttentionKind attention_kind_from_string(const std::string& name) {
  static constexpr AttentionKind kinds[] = {AttentionKind::softmax, AttentionKind::relu_linear};
  return detail::kind_from_string(name, "attention kind", kinds);
}

int64_t mhsa_head_dim(const MhsaOptions& options) {
  return options.head_dim() > 0 ? options.head_dim() : options.dim() / options.heads();
}

MhsaImpl::MhsaImpl(MhsaOptions options) : options(std::move(options)) { reset(); }

int64_t MhsaImpl::head_dim() const { return mhsa_head_dim(options); }
int64_t MhsaImpl::inner_dim() const { return options.heads() * head_dim(); }

void MhsaImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.dim() > 0, "Mhsa: dim must be > 0, got ", o.dim());
  TORCH_CHECK(o.heads() > 0, "Mhsa: heads must be > 0, got ", o.heads());
  TORCH_CHECK(o.head_dim() >= 0, "Mhsa: head_dim must be >= 0 (0 = dim/heads), got ",
              o.head_dim());
  TORCH_CHECK(o.head_dim() > 0 || o.dim() % o.heads() == 0, "Mhsa: heads ", o.heads(),
              " must divide dim ", o.dim(), " when head_dim is 0");

  const int64_t inner = inner_dim();
  q = register_module("q", torch::nn::Linear(o.dim(), inner));
  k = register_module("k", torch::nn::Linear(o.dim(), inner));
  v = register_module("v", torch::nn::Linear(o.dim(), inner));
  proj = register_module("proj", torch::nn::Linear(inner, o.dim()));
}

torch::Tensor MhsaImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3, "Mhsa: expected tokens (B, N, ", options.dim(), "), got ", x.sizes());
  const auto attention = options.kind() == AttentionKind::softmax ? softmax_attention
                                                                  : relu_linear_attention;
  return proj(attention(q(x), k(x), v(x), options.heads()));
}

}  // namespace tinynas::nn
