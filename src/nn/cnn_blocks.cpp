#include "tinynas/nn/cnn_blocks.h"

#include <algorithm>
#include <utility>

namespace tinynas::nn {
namespace {

void check_block(const char* block, int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  TORCH_CHECK(in > 0 && out > 0, block, ": channels must be > 0, got in ", in, ", out ", out);
  TORCH_CHECK(kernel > 0 && kernel % 2 == 1, block,
              ": kernel must be odd and > 0 (\"same\" padding), got ", kernel);
  TORCH_CHECK(stride > 0, block, ": stride must be > 0, got ", stride);
}

bool is_identity(int64_t in, int64_t out, int64_t stride) { return stride == 1 && in == out; }

// The 1x1 strided projection used wherever a residual changes shape.
ConvBnActOptions skip_options(int64_t in, int64_t out, int64_t stride) {
  return ConvBnActOptions(in, out, 1).stride(stride).relu(false);
}

}  // namespace

// ---- InvertedResidual ----

InvertedResidualImpl::InvertedResidualImpl(InvertedResidualOptions options)
    : options(std::move(options)) {
  reset();
}

int64_t InvertedResidualImpl::hidden_channels() const {
  return options.in_channels() * options.expansion();
}

bool InvertedResidualImpl::has_residual() const {
  return is_identity(options.in_channels(), options.out_channels(), options.stride()) ||
         options.skip_conv();
}

void InvertedResidualImpl::reset() {
  const auto& o = options;
  check_block("InvertedResidual", o.in_channels(), o.out_channels(), o.kernel(), o.stride());
  TORCH_CHECK(o.expansion() > 0, "InvertedResidual: expansion must be > 0, got ", o.expansion());
  const int64_t hidden = hidden_channels();

  expand = o.expansion() != 1
               ? register_module("expand", ConvBnAct(ConvBnActOptions(o.in_channels(), hidden, 1)))
               : nullptr;
  depthwise = register_module(
      "depthwise",
      ConvBnAct(ConvBnActOptions(hidden, hidden, o.kernel()).stride(o.stride()).groups(hidden)));
  project = register_module(
      "project", ConvBnAct(ConvBnActOptions(hidden, o.out_channels(), 1).relu(false)));
  skip = o.skip_conv() && !is_identity(o.in_channels(), o.out_channels(), o.stride())
             ? register_module("skip", ConvBnAct(skip_options(o.in_channels(), o.out_channels(),
                                                              o.stride())))
             : nullptr;
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  auto y = expand ? expand(x) : x;
  y = project(depthwise(y));
  if (skip) return y + skip(x);
  if (has_residual()) return y + x;
  return y;
}

// ---- ResidualBlock ----

ResidualBlockImpl::ResidualBlockImpl(ResidualBlockOptions options) : options(std::move(options)) {
  reset();
}

void ResidualBlockImpl::reset() {
  const auto& o = options;
  check_block("ResidualBlock", o.in_channels(), o.out_channels(), o.kernel(), o.stride());
  TORCH_CHECK(o.groups() > 0 && o.in_channels() % o.groups() == 0 &&
                  o.out_channels() % o.groups() == 0,
              "ResidualBlock: groups ", o.groups(), " must divide in_channels ", o.in_channels(),
              " and out_channels ", o.out_channels());

  conv1 = register_module("conv1", ConvBnAct(ConvBnActOptions(o.in_channels(), o.out_channels(),
                                                              o.kernel())
                                                 .stride(o.stride())
                                                 .groups(o.groups())));
  conv2 = register_module(
      "conv2", ConvBnAct(ConvBnActOptions(o.out_channels(), o.out_channels(), o.kernel())
                             .groups(o.groups())
                             .relu(false)));
  skip = is_identity(o.in_channels(), o.out_channels(), o.stride())
             ? nullptr
             : register_module("skip", ConvBnAct(skip_options(o.in_channels(), o.out_channels(),
                                                              o.stride())));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  return torch::relu(conv2(conv1(x)) + (skip ? skip(x) : x));
}

// ---- Bottleneck ----

int64_t bottleneck_mid_channels(const BottleneckOptions& options) {
  const int64_t groups = options.groups();
  const int64_t mid = options.out_channels() / options.reduction();
  return std::max(groups, (mid + groups - 1) / groups * groups);
}

BottleneckImpl::BottleneckImpl(BottleneckOptions options) : options(std::move(options)) {
  reset();
}

int64_t BottleneckImpl::mid_channels() const { return bottleneck_mid_channels(options); }

void BottleneckImpl::reset() {
  const auto& o = options;
  check_block("Bottleneck", o.in_channels(), o.out_channels(), o.kernel(), o.stride());
  TORCH_CHECK(o.groups() > 0, "Bottleneck: groups must be > 0, got ", o.groups());
  TORCH_CHECK(o.reduction() > 0, "Bottleneck: reduction must be > 0, got ", o.reduction());
  const int64_t mid = mid_channels();

  conv1 = register_module("conv1", ConvBnAct(ConvBnActOptions(o.in_channels(), mid, 1)));
  conv2 = register_module(
      "conv2", ConvBnAct(ConvBnActOptions(mid, mid, o.kernel()).stride(o.stride()).groups(o.groups())));
  conv3 = register_module("conv3",
                          ConvBnAct(ConvBnActOptions(mid, o.out_channels(), 1).relu(false)));
  skip = is_identity(o.in_channels(), o.out_channels(), o.stride())
             ? nullptr
             : register_module("skip", ConvBnAct(skip_options(o.in_channels(), o.out_channels(),
                                                              o.stride())));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  return torch::relu(conv3(conv2(conv1(x))) + (skip ? skip(x) : x));
}

}  // namespace tinynas::nn
