#include "tinynas/nn/conv.h"

#include <utility>

namespace tinynas::nn {

int64_t conv_padding(const ConvBnActOptions& options) {
  return options.padding() < 0 ? options.kernel() / 2 : options.padding();
}

int64_t conv_output_size(int64_t size, const ConvBnActOptions& options) {
  return (size + 2 * conv_padding(options) - options.kernel()) / options.stride() + 1;
}

ConvBnActImpl::ConvBnActImpl(ConvBnActOptions options) : options(std::move(options)) { reset(); }

void ConvBnActImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_channels() > 0, "ConvBnAct: in_channels must be > 0, got ", o.in_channels());
  TORCH_CHECK(o.out_channels() > 0, "ConvBnAct: out_channels must be > 0, got ", o.out_channels());
  TORCH_CHECK(o.kernel() > 0, "ConvBnAct: kernel must be > 0, got ", o.kernel());
  TORCH_CHECK(o.stride() > 0, "ConvBnAct: stride must be > 0, got ", o.stride());
  TORCH_CHECK(o.padding() >= -1, "ConvBnAct: padding must be >= 0 or -1 (same), got ",
              o.padding());
  TORCH_CHECK(o.groups() > 0, "ConvBnAct: groups must be > 0, got ", o.groups());
  TORCH_CHECK(o.in_channels() % o.groups() == 0 && o.out_channels() % o.groups() == 0,
              "ConvBnAct: groups ", o.groups(), " must divide in_channels ", o.in_channels(),
              " and out_channels ", o.out_channels());

  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(),
                                                         o.kernel())
                                    .stride(o.stride())
                                    .padding(conv_padding(o))
                                    .groups(o.groups())
                                    .bias(!o.bn() && o.bias())));
  bn = o.bn() ? register_module("bn", torch::nn::BatchNorm2d(o.out_channels())) : nullptr;
}

torch::Tensor ConvBnActImpl::forward(const torch::Tensor& x) {
  auto y = conv(x);
  if (bn) y = bn(y);
  if (options.relu()) y = torch::relu(y);
  return y;
}

void ConvBnActImpl::pretty_print(std::ostream& stream) const {
  const auto& o = options;
  stream << "tinynas::nn::ConvBnAct(" << o.in_channels() << ", " << o.out_channels()
         << ", kernel=" << o.kernel() << ", stride=" << o.stride()
         << ", padding=" << conv_padding(o) << ", groups=" << o.groups()
         << ", bn=" << o.bn() << ", relu=" << o.relu() << ")";
}

}  // namespace tinynas::nn
