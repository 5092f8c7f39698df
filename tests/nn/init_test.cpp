// zero_init_residual: which BatchNorms it zeroes, and that each residual block then
// starts as its shortcut.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nn/nn_test_util.h"
#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/nn/hyt_vit.h"
#include "tinynas/nn/init.h"

using namespace tinynas::nn;
using tinynas::nn::testing::max_abs_diff;

namespace {

bool all_zero(const torch::Tensor& t) { return t.abs().max().item<float>() == 0.f; }
bool none_zero(const torch::Tensor& t) { return t.abs().min().item<float>() > 0.f; }

}  // namespace

TEST(ZeroInitResidual, ZeroesTheLastNormOfEveryResidualBranchOnly) {
  torch::manual_seed(60);
  torch::nn::Sequential net(
      InvertedResidual(InvertedResidualOptions(8, 8, 2)),                       // residual
      InvertedResidual(InvertedResidualOptions(8, 16, 2).stride(2)),            // none
      InvertedResidual(InvertedResidualOptions(16, 24, 1).skip_conv(true)),     // 1x1 skip
      ResidualBlock(ResidualBlockOptions(24, 24)),
      Bottleneck(BottleneckOptions(24, 32).stride(2)),
      HytVit(HytVitOptions(32, 32, 2).mlp_dim(32)),                             // residual
      HytVit(HytVitOptions(32, 32, 2).residual(false)));
  EXPECT_EQ(zero_init_residual(*net), 1 + 1 + 1 + 1 + 2);

  EXPECT_TRUE(all_zero(net[0]->as<InvertedResidualImpl>()->project->bn->weight));
  const auto* down = net[1]->as<InvertedResidualImpl>();
  EXPECT_TRUE(none_zero(down->project->bn->weight));
  const auto* skipped = net[2]->as<InvertedResidualImpl>();
  EXPECT_TRUE(all_zero(skipped->project->bn->weight));
  EXPECT_TRUE(none_zero(skipped->skip->bn->weight));  // the shortcut keeps its scale
  EXPECT_TRUE(all_zero(net[3]->as<ResidualBlockImpl>()->conv2->bn->weight));
  EXPECT_TRUE(none_zero(net[3]->as<ResidualBlockImpl>()->conv1->bn->weight));
  EXPECT_TRUE(all_zero(net[4]->as<BottleneckImpl>()->conv3->bn->weight));
  const auto* vit = net[5]->as<HytVitImpl>();
  EXPECT_TRUE(all_zero(vit->fuse_x->bn->weight) && all_zero(vit->fuse_t->bn->weight));
  EXPECT_TRUE(none_zero(vit->local->bn->weight));
  const auto* plain = net[6]->as<HytVitImpl>();
  EXPECT_TRUE(none_zero(plain->fuse_x->bn->weight) && none_zero(plain->fuse_t->bn->weight));
}

TEST(ZeroInitResidual, ResidualBlocksThenStartAsTheirShortcut) {
  torch::manual_seed(61);
  InvertedResidual inverted(InvertedResidualOptions(8, 8, 4));
  HytVit vit(HytVitOptions(8, 12, 2).mlp_dim(12));
  ResidualBlock basic(ResidualBlockOptions(8, 8));
  EXPECT_EQ(zero_init_residual(*inverted) + zero_init_residual(*vit) +
                zero_init_residual(*basic),
            4);
  const auto x = torch::randn({2, 8, 7, 7});
  EXPECT_EQ(max_abs_diff(inverted(x), x), 0.0);
  EXPECT_EQ(max_abs_diff(vit(x), x), 0.0);
  EXPECT_EQ(max_abs_diff(basic(x), torch::relu(x)), 0.0);
  // The zeroed scales still learn: their gradient is not zero.
  vit(x).pow(2).sum().backward();
  EXPECT_GT(vit->fuse_t->bn->weight.grad().abs().sum().item<float>(), 0.f);
}
