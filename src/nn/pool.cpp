#include "tinynas/nn/pool.h"

#include <utility>

#include "kind_names.h"
#include "tinynas/nn/attention.h"

namespace tinynas::nn {

const char* to_string(PoolKind kind) {
  switch (kind) {
    case PoolKind::max:
      return "max";
    case PoolKind::avg:
      return "avg";
    case PoolKind::mixed:
      return "mixed";
  }
  return "?";
}

PoolKind pool_kind_from_string(const std::string& name) {
  static constexpr PoolKind kinds[] = {PoolKind::max, PoolKind::avg, PoolKind::mixed};
  return detail::kind_from_string(name, "pool kind", kinds);
}

// ---- Pool2d ----

int64_t pool_stride(const Pool2dOptions& options) {
  return options.stride() > 0 ? options.stride() : options.kernel();
}

int64_t pool_output_size(int64_t size, const Pool2dOptions& options) {
  return (size + 2 * options.padding() - options.kernel()) / pool_stride(options) + 1;
}

torch::Tensor pool2d(const torch::Tensor& x, const Pool2dOptions& options) {
  const int64_t k = options.kernel();
  const int64_t s = pool_stride(options);
  const int64_t p = options.padding();
  auto max = [&] { return torch::max_pool2d(x, {k, k}, {s, s}, {p, p}); };
  auto avg = [&] {
    return torch::avg_pool2d(x, {k, k}, {s, s}, {p, p}, /*ceil_mode=*/false,
                             /*count_include_pad=*/false);
  };
  if (options.kind() == PoolKind::max) return max();
  if (options.kind() == PoolKind::avg) return avg();
  return 0.5 * (max() + avg());
}

Pool2dImpl::Pool2dImpl(Pool2dOptions options) : options(std::move(options)) { reset(); }

void Pool2dImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.kernel() > 0, "Pool2d: kernel must be > 0, got ", o.kernel());
  TORCH_CHECK(o.stride() >= 0, "Pool2d: stride must be >= 0 (0 = kernel), got ", o.stride());
  TORCH_CHECK(o.padding() >= 0 && 2 * o.padding() <= o.kernel(),
              "Pool2d: padding must be in [0, kernel/2] = [0, ", o.kernel() / 2, "], got ",
              o.padding());
}

torch::Tensor Pool2dImpl::forward(const torch::Tensor& x) { return pool2d(x, options); }

// ---- GlobalAvgPool ----

torch::Tensor GlobalAvgPoolImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4, "GlobalAvgPool: expected (B, C, H, W), got ", x.sizes());
  return x.mean({2, 3});
}

// ---- SeqPool ----

SeqPoolImpl::SeqPoolImpl(SeqPoolOptions options) : options(std::move(options)) { reset(); }

void SeqPoolImpl::reset() {
  TORCH_CHECK(options.dim() > 0, "SeqPool: dim must be > 0, got ", options.dim());
  attn = register_module("attn", torch::nn::Linear(options.dim(), 1));
}

torch::Tensor SeqPoolImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK((x.dim() == 4 && x.size(1) == options.dim()) ||
                  (x.dim() == 3 && x.size(2) == options.dim()),
              "SeqPool: expected (B, ", options.dim(), ", H, W) or (B, N, ", options.dim(),
              "), got ", x.sizes());
  const auto tokens = x.dim() == 4 ? to_tokens(x) : x;
  const auto w = torch::softmax(attn(tokens), 1);             // (B, N, 1)
  return torch::matmul(w.transpose(1, 2), tokens).squeeze(1);  // (B, dim)
}

// ---- Classifier ----

ClassifierImpl::ClassifierImpl(ClassifierOptions options) : options(std::move(options)) {
  reset();
}

void ClassifierImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_features() > 0 && o.classes() > 0,
              "Classifier: in_features and classes must be > 0, got ", o.in_features(), " and ",
              o.classes());
  TORCH_CHECK(o.dropout() >= 0.0 && o.dropout() < 1.0, "Classifier: dropout must be in [0, 1), got ",
              o.dropout());
  fc = register_module("fc", torch::nn::Linear(o.in_features(), o.classes()));
}

torch::Tensor ClassifierImpl::forward(const torch::Tensor& x) {
  const auto y = options.dropout() > 0.0 ? torch::dropout(x, options.dropout(), is_training()) : x;
  return fc(y);
}

}  // namespace tinynas::nn
