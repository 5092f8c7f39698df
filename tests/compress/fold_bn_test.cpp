// BatchNorm folding preserves float outputs (1e-5) and pruned zeros.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/compress/fold_bn.h"
#include "tinynas/core/error.h"

using namespace tinynas;
using namespace tinynas::compress;

namespace {

// Non-trivial inference statistics, as after training.
template <class Bn>
void randomize(Bn& bn) {
  torch::NoGradGuard g;
  bn->weight.uniform_(0.5, 2.0);
  bn->bias.normal_(0, 0.5);
  bn->running_mean.normal_(0, 1);
  bn->running_var.uniform_(0.2, 3.0);
  bn->eval();
}

double max_rel_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / (b.abs().max() + 1e-12)).max().item<double>();
}

}  // namespace

TEST(FoldBatchNorm, ConvBnActKeepsItsOutputs) {
  torch::manual_seed(1);
  for (const auto& o : {nn::ConvBnActOptions(6, 12, 3).stride(2), nn::ConvBnActOptions(12, 12, 3).groups(12),
                        nn::ConvBnActOptions(8, 4, 1).relu(false), nn::ConvBnActOptions(6, 12, 3).groups(3)}) {
    nn::ConvBnAct m(o);
    randomize(m->bn);
    m->eval();
    const auto x = torch::randn({2, o.in_channels(), 9, 9});
    const auto f = fold_conv_bn(*m);
    auto y = torch::nn::functional::conv2d(
        x, f.weight,
        torch::nn::functional::Conv2dFuncOptions().bias(f.bias).stride(o.stride()).padding(
            nn::conv_padding(o)).groups(o.groups()));
    if (o.relu()) y = torch::relu(y);
    torch::NoGradGuard g;
    EXPECT_LT(max_rel_error(y, m->forward(x)), 1e-5) << "groups " << o.groups();
  }
}

TEST(FoldBatchNorm, NormBeforeALinear) {
  torch::manual_seed(2);
  torch::nn::BatchNorm1d bn(16);
  randomize(bn);
  torch::nn::Linear fc(16, 24);
  const auto x = torch::randn({32, 16});
  const auto f = fold_input_norm(fc->weight, fc->bias, norm_stats(*bn));
  torch::NoGradGuard g;
  EXPECT_LT(max_rel_error(torch::nn::functional::linear(x, f.weight, f.bias), fc->forward(bn->forward(x))),
            1e-5);
  // After the layer, and without a bias of its own.
  torch::nn::Linear nobias(torch::nn::LinearOptions(16, 24).bias(false));
  torch::nn::BatchNorm1d out_bn(24);
  randomize(out_bn);
  const auto o = fold_output_norm(nobias->weight, torch::Tensor(), norm_stats(*out_bn));
  EXPECT_LT(max_rel_error(torch::nn::functional::linear(x, o.weight, o.bias),
                          out_bn->forward(nobias->forward(x))),
            1e-5);
}

TEST(FoldBatchNorm, PrunedZerosStayZeroAndBadShapesAreErrors) {
  torch::manual_seed(3);
  nn::ConvBnAct m(nn::ConvBnActOptions(4, 8, 3));
  randomize(m->bn);
  {
    torch::NoGradGuard g;
    m->conv->weight.index_put_({torch::indexing::Slice(0, 4)}, 0.0);
  }
  const auto f = fold_conv_bn(*m);
  EXPECT_TRUE(f.weight.index({torch::indexing::Slice(0, 4)}).eq(0).all().item<bool>());
  torch::nn::BatchNorm1d bn(5);
  EXPECT_THROW(fold_output_norm(torch::randn({8, 4}), torch::Tensor(), norm_stats(*bn)), core::Error);
  EXPECT_THROW(fold_input_norm(torch::randn({8, 4}), torch::Tensor(), norm_stats(*bn)), core::Error);
}
