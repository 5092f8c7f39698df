#include "tinynas/compress/fold_bn.h"

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {
namespace {

torch::Tensor scale_of(const NormStats& n) {
  return n.gamma.detach().to(torch::kDouble) /
         torch::sqrt(n.var.detach().to(torch::kDouble) + n.eps);
}

void check(const NormStats& n, std::int64_t channels, const char* what) {
  for (const auto* t : {&n.gamma, &n.beta, &n.mean, &n.var})
    if (!t->defined() || t->dim() != 1 || t->size(0) != channels)
      throw core::Error(std::string("fold BatchNorm: the norm must have ") +
                        std::to_string(channels) + " channels (" + what + ")");
}

torch::Tensor bias_or_zero(const torch::Tensor& bias, std::int64_t out, const torch::Tensor& like) {
  if (bias.defined()) return bias.detach().to(torch::kDouble);
  return torch::zeros({out}, like.options().dtype(torch::kDouble));
}

}  // namespace

NormStats norm_stats(const torch::nn::BatchNorm2dImpl& bn) {
  if (!bn.options.affine() || !bn.options.track_running_stats())
    throw core::Error("fold BatchNorm: needs an affine BatchNorm2d with running statistics");
  return {bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.options.eps()};
}

NormStats norm_stats(const torch::nn::BatchNorm1dImpl& bn) {
  if (!bn.options.affine() || !bn.options.track_running_stats())
    throw core::Error("fold BatchNorm: needs an affine BatchNorm1d with running statistics");
  return {bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.options.eps()};
}

FoldedParams fold_output_norm(const torch::Tensor& weight, const torch::Tensor& bias,
                              const NormStats& norm) {
  torch::NoGradGuard no_grad;
  const auto out = weight.size(0);
  check(norm, out, "one per output channel of the layer");
  const auto s = scale_of(norm);
  std::vector<std::int64_t> shape(std::size_t(weight.dim()), 1);
  shape[0] = out;
  FoldedParams f;
  f.weight = (weight.detach().to(torch::kDouble) * s.view(shape)).to(weight.scalar_type());
  f.bias = ((bias_or_zero(bias, out, weight) - norm.mean.detach().to(torch::kDouble)) * s +
            norm.beta.detach().to(torch::kDouble))
               .to(weight.scalar_type());
  return f;
}

FoldedParams fold_input_norm(const torch::Tensor& weight, const torch::Tensor& bias,
                             const NormStats& norm) {
  torch::NoGradGuard no_grad;
  if (weight.dim() != 2) throw core::Error("fold BatchNorm: an input norm folds into a linear [out, in]");
  check(norm, weight.size(1), "one per input feature of the linear");
  const auto s = scale_of(norm);
  const auto w = weight.detach().to(torch::kDouble);
  const auto shift = norm.beta.detach().to(torch::kDouble) - norm.mean.detach().to(torch::kDouble) * s;
  FoldedParams f;
  f.weight = (w * s.view({1, -1})).to(weight.scalar_type());
  f.bias = (bias_or_zero(bias, weight.size(0), weight) + torch::matmul(w, shift)).to(weight.scalar_type());
  return f;
}

FoldedParams fold_conv_bn(const nn::ConvBnActImpl& block) {
  const auto& conv = *block.conv;
  if (!block.bn) {
    torch::NoGradGuard no_grad;
    FoldedParams f;
    f.weight = conv.weight.detach().clone();
    f.bias = conv.bias.defined() ? conv.bias.detach().clone()
                                 : torch::zeros({conv.weight.size(0)}, conv.weight.options());
    return f;
  }
  return fold_output_norm(conv.weight, conv.bias, norm_stats(*block.bn));
}

}  // namespace tinynas::compress
