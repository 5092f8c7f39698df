// HytVit (HyT-NAS attention block): widths from the ratios, the split fuse is the
// MobileViT concat conv, gradients, option validation.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/nn_test_util.h"
#include "tinynas/nn/hyt_vit.h"

using namespace tinynas::nn;
using tinynas::nn::testing::count_params;
using tinynas::nn::testing::expect_finite_grads;
using tinynas::nn::testing::max_abs_diff;

TEST(HytVit, WidthsFromRatios) {
  EXPECT_EQ(scaled_width(24, 1.5), 36);
  EXPECT_EQ(scaled_width(36, 1.5), 54);
  EXPECT_EQ(scaled_width(8, 2.0), 16);
  EXPECT_EQ(scaled_width(5, 1.5), 8);  // 7.5: halves round away from zero
  EXPECT_EQ(scaled_width(12, 0.0), 0);
  EXPECT_THROW(scaled_width(8, -1.0), c10::Error);
}

TEST(HytVit, ShapesAndParameterCounts) {
  torch::manual_seed(50);
  // 8 channels, dim_ratio 1.5 -> 12, 4 heads (head_dim 3), mlp_ratio 1.5 -> 18:
  //   local 3x3 8*8*9 = 576 + bn 16 = 592; project_in 8*12 = 96 (no bias, no bn);
  //   encoder: q, k, v, proj 4 * (12*12 + 12) = 624, ln1 + ln2 48, fc1 12*18 + 18 = 234,
  //   fc2 18*12 + 12 = 228 -> 1134; project_out 12*8 + 16 = 112; fuse_x, fuse_t 592 each
  //   -> 592 + 96 + 1134 + 112 + 592 + 592 = 3118
  const int64_t dim = scaled_width(8, 1.5), mlp = scaled_width(dim, 1.5);
  HytVit block(HytVitOptions(8, dim, 4).mlp_dim(mlp));
  EXPECT_EQ(count_params(*block), 3118);
  EXPECT_EQ(block->project_in->conv->weight.sizes(), torch::IntArrayRef({12, 8, 1, 1}));
  EXPECT_FALSE(block->project_in->conv->bias.defined());
  EXPECT_FALSE(block->project_in->bn);
  EXPECT_FALSE(block->fuse_x->options.relu());
  EXPECT_FALSE(block->fuse_t->options.relu());
  auto* enc = block->encoder->layers->ptr(0)->as<EncoderImpl>();
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->fc1->weight.sizes(), torch::IntArrayRef({18, 12}));
  EXPECT_TRUE(enc->ln1 && enc->ln2);  // pre-LN
  auto x = torch::randn({2, 8, 7, 7});
  auto y = block(x);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_LT(y.min().item<float>(), 0.f);  // residual (the default): no ReLU at the end
  block->options.residual(false);
  EXPECT_GE(block(x).min().item<float>(), 0.f);  // MobileViT's fuse ends in a ReLU

  // Registration order = the order the space describes the ops (float_graph pairs them).
  std::vector<std::string> names;
  for (const auto& c : block->named_children()) names.push_back(c.key());
  EXPECT_EQ(names, (std::vector<std::string>{"local", "project_in", "encoder", "project_out",
                                             "fuse_x", "fuse_t"}));

  // No feed-forward, relu-linear attention, depth 2 on a 4x4 map.
  HytVit lean(HytVitOptions(16, 32, 2).depth(2).attention(AttentionKind::relu_linear));
  EXPECT_EQ(lean(torch::randn({1, 16, 4, 4})).sizes(), torch::IntArrayRef({1, 16, 4, 4}));
}

// fuse_x(x) + fuse_t(y) with the BatchNorms at their initial state (a common per-channel
// scale 1/sqrt(1 + eps) in eval) is conv3x3 over concat(x, y) with the kernels stacked
// along the input channels: MobileViT's fuse without a concat op. The residual form adds x
// to it, MobileViT's takes its ReLU.
TEST(HytVit, SplitFuseEqualsConvOverTheConcatenation) {
  torch::manual_seed(51);
  HytVit block(HytVitOptions(6, 12, 2).mlp_dim(24));
  block->eval();
  auto x = torch::randn({2, 6, 5, 5});
  auto y = block->project_out(block->encoder(block->project_in(block->local(x))));
  auto stacked = torch::cat({block->fuse_x->conv->weight, block->fuse_t->conv->weight}, 1);
  ASSERT_EQ(stacked.sizes(), torch::IntArrayRef({6, 12, 3, 3}));
  const double eps = block->fuse_x->bn->options.eps();
  auto fuse = torch::conv2d(torch::cat({x, y}, 1), stacked, torch::Tensor(), {1, 1}, {1, 1}) /
              std::sqrt(1.0 + eps);
  EXPECT_LT(max_abs_diff(block(x), x + fuse), 1e-5);
  block->options.residual(false);
  EXPECT_LT(max_abs_diff(block(x), torch::relu(fuse)), 1e-5);
}

TEST(HytVit, BackwardCloneAndBadOptions) {
  torch::manual_seed(52);
  HytVit block(HytVitOptions(4, 6, 2).mlp_dim(9));
  expect_finite_grads(*block, block(torch::randn({2, 4, 7, 7})));

  block->eval();
  auto copy = std::dynamic_pointer_cast<HytVitImpl>(block->clone());
  ASSERT_TRUE(copy);
  auto x = torch::randn({2, 4, 7, 7});
  EXPECT_TRUE(torch::equal(block(x), copy->forward(x)));

  EXPECT_THROW(HytVit(HytVitOptions(0, 8, 2)), c10::Error);
  EXPECT_THROW(HytVit(HytVitOptions(4, 0, 2)), c10::Error);
  EXPECT_THROW(HytVit(HytVitOptions(8, 12, 5)), c10::Error);  // 5 heads do not divide 12
  EXPECT_NO_THROW(HytVit(HytVitOptions(8, 12, 5).head_dim(3)));
}
