#include "tinynas/nn/encoder.h"

#include <utility>

#include "kind_names.h"

namespace tinynas::nn {

const char* to_string(NormKind kind) {
  switch (kind) {
    case NormKind::layer:
      return "layer";
    case NormKind::batch:
      return "batch";
  }
  return "?";
}

NormKind norm_kind_from_string(const std::string& name) {
  static constexpr NormKind kinds[] = {NormKind::layer, NormKind::batch};
  return detail::kind_from_string(name, "norm kind", kinds);
}

// ---- Encoder ----

MhsaOptions EncoderOptions::mhsa() const {
  return MhsaOptions(dim(), heads()).head_dim(head_dim()).kind(attention());
}

EncoderImpl::EncoderImpl(EncoderOptions options) : options(std::move(options)) { reset(); }

void EncoderImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.mlp_dim() >= 0, "Encoder: mlp_dim must be >= 0 (0 = no feed-forward), got ",
              o.mlp_dim());
  const bool layer = o.norm() == NormKind::layer;
  const bool ff = o.mlp_dim() > 0;

  mhsa = register_module("mhsa", Mhsa(o.mhsa()));
  ln1 = layer ? register_module("ln1", torch::nn::LayerNorm(
                                           torch::nn::LayerNormOptions({o.dim()})))
              : nullptr;
  bn1 = layer ? nullptr : register_module("bn1", torch::nn::BatchNorm1d(o.dim()));
  ln2 = layer && ff ? register_module("ln2", torch::nn::LayerNorm(
                                                 torch::nn::LayerNormOptions({o.dim()})))
                    : nullptr;
  bn2 = !layer && ff ? register_module("bn2", torch::nn::BatchNorm1d(o.dim())) : nullptr;
  fc1 = ff ? register_module("fc1", torch::nn::Linear(o.dim(), o.mlp_dim())) : nullptr;
  fc2 = ff ? register_module("fc2", torch::nn::Linear(o.mlp_dim(), o.dim())) : nullptr;
}

namespace {

// BatchNorm1d over the channels of (B, N, D) tokens: (B*N, D) rows share statistics per
// channel exactly like BatchNorm2d over the (B, D, H, W) map.
torch::Tensor token_batch_norm(torch::nn::BatchNorm1d& bn, const torch::Tensor& x) {
  return bn(x.reshape({-1, x.size(2)})).reshape(x.sizes());
}

}  // namespace

torch::Tensor EncoderImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == options.dim(), "Encoder: expected tokens (B, N, ",
              options.dim(), "), got ", x.sizes());
  auto ff = [this](const torch::Tensor& t) { return fc2(torch::relu(fc1(t))); };
  if (options.norm() == NormKind::layer) {
    auto y = x + mhsa(ln1(x));
    return fc1 ? y + ff(ln2(y)) : y;
  }
  auto y = x + token_batch_norm(bn1, mhsa(x));
  return fc1 ? y + token_batch_norm(bn2, ff(y)) : y;
}

// ---- SpatialEncoder ----

EncoderOptions SpatialEncoderOptions::encoder() const {
  return EncoderOptions(dim(), heads())
      .head_dim(head_dim())
      .mlp_dim(mlp_dim())
      .attention(attention())
      .norm(norm());
}

SpatialEncoderImpl::SpatialEncoderImpl(SpatialEncoderOptions options)
    : options(std::move(options)) {
  reset();
}

void SpatialEncoderImpl::reset() {
  TORCH_CHECK(options.depth() > 0, "SpatialEncoder: depth must be > 0, got ", options.depth());
  torch::nn::Sequential stack;
  for (int64_t i = 0; i < options.depth(); ++i) stack->push_back(Encoder(options.encoder()));
  layers = register_module("layers", stack);
}

torch::Tensor SpatialEncoderImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.dim(), "SpatialEncoder: expected (B, ",
              options.dim(), ", H, W), got ", x.sizes());
  return from_tokens(layers->forward(to_tokens(x)), x.size(2), x.size(3));
}

// ---- MobileVit ----

SpatialEncoderOptions MobileVitOptions::encoder() const {
  return SpatialEncoderOptions(dim(), heads())
      .head_dim(head_dim())
      .mlp_dim(mlp_dim())
      .attention(attention())
      .norm(norm())
      .depth(depth());
}

MobileVitImpl::MobileVitImpl(MobileVitOptions options) : options(std::move(options)) { reset(); }

void MobileVitImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.channels() > 0 && o.dim() > 0, "MobileVit: channels and dim must be > 0, got ",
              o.channels(), " and ", o.dim());
  const int64_t c = o.channels();
  local = register_module("local", ConvBnAct(ConvBnActOptions(c, c, 3)));
  project_in = register_module(
      "project_in", ConvBnAct(ConvBnActOptions(c, o.dim(), 1).bn(false).relu(false).bias(false)));
  encoder = register_module("encoder", SpatialEncoder(o.encoder()));
  project_out = register_module("project_out", ConvBnAct(ConvBnActOptions(o.dim(), c, 1)));
  fuse = register_module("fuse", ConvBnAct(ConvBnActOptions(c, c, 3)));
}

torch::Tensor MobileVitImpl::forward(const torch::Tensor& x) {
  auto y = fuse(project_out(encoder(project_in(local(x)))));
  return options.residual() ? x + y : y;
}

}  // namespace tinynas::nn
