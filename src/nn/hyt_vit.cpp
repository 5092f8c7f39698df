#include "tinynas/nn/hyt_vit.h"

#include <cmath>
#include <utility>

namespace tinynas::nn {

int64_t scaled_width(int64_t base, double ratio) {
  TORCH_CHECK(std::isfinite(ratio) && ratio >= 0, "scaled_width: ratio must be finite and >= 0, got ",
              ratio);
  return int64_t(std::llround(double(base) * ratio));
}

SpatialEncoderOptions HytVitOptions::encoder() const {
  return SpatialEncoderOptions(dim(), heads())
      .head_dim(head_dim())
      .mlp_dim(mlp_dim())
      .attention(attention())
      .norm(NormKind::layer)
      .depth(depth());
}

HytVitImpl::HytVitImpl(HytVitOptions options) : options(std::move(options)) { reset(); }

void HytVitImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.channels() > 0 && o.dim() > 0, "HytVit: channels and dim must be > 0, got ",
              o.channels(), " and ", o.dim());
  const int64_t c = o.channels();
  local = register_module("local", ConvBnAct(ConvBnActOptions(c, c, 3)));
  project_in = register_module(
      "project_in", ConvBnAct(ConvBnActOptions(c, o.dim(), 1).bn(false).relu(false).bias(false)));
  encoder = register_module("encoder", SpatialEncoder(o.encoder()));
  project_out = register_module("project_out", ConvBnAct(ConvBnActOptions(o.dim(), c, 1)));
  fuse_x = register_module("fuse_x", ConvBnAct(ConvBnActOptions(c, c, 3).relu(false)));
  fuse_t = register_module("fuse_t", ConvBnAct(ConvBnActOptions(c, c, 3).relu(false)));
}

torch::Tensor HytVitImpl::forward(const torch::Tensor& x) {
  auto y = project_out(encoder(project_in(local(x))));
  if (options.residual()) return x + fuse_x(x) + fuse_t(y);
  return torch::relu(fuse_x(x) + fuse_t(y));
}

}  // namespace tinynas::nn
