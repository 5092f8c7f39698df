// ConvBnAct and the CNN blocks: shapes, parameter counts worked out by hand, residual
// wiring checked by behaviour, gradients, option validation.
#include <gtest/gtest.h>

#include "nn/nn_test_util.h"
#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/nn/conv.h"

using namespace tinynas::nn;
using tinynas::nn::testing::count_params;
using tinynas::nn::testing::expect_finite_grads;

namespace {

// Zeroes a ConvBnAct's BN affine so the unit outputs exactly 0 (the BN's shift is the only
// bias), i.e. switches off the branch it ends.
void zero_bn(ConvBnAct& unit) {
  torch::NoGradGuard no_grad;
  unit->bn->weight.zero_();
  unit->bn->bias.zero_();
}

}  // namespace

// ---- ConvBnAct ----

TEST(ConvBnAct, ShapesFollowStridePaddingAndKernel) {
  torch::manual_seed(0);
  ConvBnAct same(ConvBnActOptions(3, 8, 3));
  EXPECT_EQ(same(torch::randn({2, 3, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));
  ConvBnAct down(ConvBnActOptions(3, 8, 3).stride(2));
  // floor((7 + 2 - 3) / 2) + 1 = 4; floor((14 + 2 - 3) / 2) + 1 = 7
  EXPECT_EQ(down(torch::randn({2, 3, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 4, 4}));
  EXPECT_EQ(down(torch::randn({2, 3, 14, 14})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));
  ConvBnAct valid(ConvBnActOptions(3, 8, 3).padding(0));
  EXPECT_EQ(valid(torch::randn({2, 3, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 5, 5}));
  ConvBnAct wide(ConvBnActOptions(4, 6, 5).groups(2).stride(2));
  EXPECT_EQ(wide(torch::randn({2, 4, 14, 14})).sizes(), torch::IntArrayRef({2, 6, 7, 7}));

  EXPECT_EQ(conv_padding(ConvBnActOptions(3, 8, 5)), 2);
  EXPECT_EQ(conv_padding(ConvBnActOptions(3, 8, 5).padding(0)), 0);
  EXPECT_EQ(conv_output_size(7, ConvBnActOptions(3, 8, 3).stride(2)), 4);
  EXPECT_EQ(conv_output_size(14, ConvBnActOptions(3, 8, 1).stride(2)), 7);
}

TEST(ConvBnAct, ParameterCountsAndBiasRule) {
  // conv 3*8*3*3 = 216, bn 2*8 = 16 -> 232 (no conv bias next to a BN)
  ConvBnAct with_bn(ConvBnActOptions(3, 8, 3));
  EXPECT_EQ(count_params(*with_bn), 232);
  EXPECT_FALSE(with_bn->conv->bias.defined());
  ASSERT_TRUE(with_bn->bn);

  // conv 216 + bias 8 -> 224
  ConvBnAct no_bn(ConvBnActOptions(3, 8, 3).bn(false));
  EXPECT_EQ(count_params(*no_bn), 224);
  EXPECT_FALSE(no_bn->bn);

  // conv 216, nothing else
  ConvBnAct bare(ConvBnActOptions(3, 8, 3).bn(false).bias(false));
  EXPECT_EQ(count_params(*bare), 216);

  // bias(true) is ignored next to a BN: conv 216 + bn 16 -> 232
  EXPECT_EQ(count_params(*ConvBnAct(ConvBnActOptions(3, 8, 3).bias(true))), 232);

  // groups 2: conv 6 * (4/2) * 3*3 = 108, bn 2*6 = 12 -> 120
  EXPECT_EQ(count_params(*ConvBnAct(ConvBnActOptions(4, 6, 3).groups(2))), 120);

  // depthwise 5x5 on 8 channels: conv 8*1*25 = 200, bn 16 -> 216
  EXPECT_EQ(count_params(*ConvBnAct(ConvBnActOptions(8, 8, 5).groups(8))), 216);
}

TEST(ConvBnAct, ReluIsOptional) {
  torch::manual_seed(1);
  auto x = torch::randn({2, 3, 5, 5});
  ConvBnAct relu(ConvBnActOptions(3, 4, 3));
  ConvBnAct linear(ConvBnActOptions(3, 4, 3).relu(false));
  EXPECT_GE(relu(x).min().item<float>(), 0.0f);
  EXPECT_LT(linear(x).min().item<float>(), 0.0f);  // training-mode BN output has mean 0
}

TEST(ConvBnAct, Backward) {
  torch::manual_seed(2);
  ConvBnAct bn(ConvBnActOptions(4, 6, 3).groups(2).stride(2));
  expect_finite_grads(*bn, bn(torch::randn({2, 4, 7, 7})));
  ConvBnAct plain(ConvBnActOptions(4, 6, 1).bn(false).relu(false));
  expect_finite_grads(*plain, plain(torch::randn({2, 4, 7, 7})));
}

TEST(ConvBnAct, RejectsBadOptions) {
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(0, 8, 3)), c10::Error);
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(3, 0, 3)), c10::Error);
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(3, 8, 0)), c10::Error);
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(3, 8, 3).stride(0)), c10::Error);
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(3, 8, 3).padding(-2)), c10::Error);
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(6, 8, 3).groups(4)), c10::Error);  // 6 % 4
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(8, 6, 3).groups(4)), c10::Error);  // 6 % 4
  EXPECT_THROW(ConvBnAct(ConvBnActOptions(8, 8, 3).groups(0)), c10::Error);
}

// ---- InvertedResidual ----

TEST(InvertedResidual, ShapesAndParameterCounts) {
  torch::manual_seed(3);
  // hidden 8*6 = 48. expand 8*48 = 384 + bn 96 = 480; depthwise 48*3*3 = 432 + bn 96 = 528;
  // project 48*8 = 384 + bn 16 = 400 -> 1408
  InvertedResidual e6(InvertedResidualOptions(8, 8, 6));
  EXPECT_EQ(e6->hidden_channels(), 48);
  EXPECT_EQ(count_params(*e6), 1408);
  EXPECT_EQ(e6(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));

  // no expand; depthwise 8*3*3 = 72 + bn 16 = 88; project 8*8 = 64 + bn 16 = 80 -> 168
  InvertedResidual e1(InvertedResidualOptions(8, 8, 1));
  EXPECT_FALSE(e1->expand);
  EXPECT_EQ(count_params(*e1), 168);
  EXPECT_EQ(e1(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));

  // expand 480; depthwise 528; project 48*16 = 768 + bn 32 = 800 -> 1808 (no skip)
  InvertedResidual down(InvertedResidualOptions(8, 16, 6).stride(2));
  EXPECT_EQ(count_params(*down), 1808);
  EXPECT_FALSE(down->skip);
  EXPECT_EQ(down(torch::randn({2, 8, 14, 14})).sizes(), torch::IntArrayRef({2, 16, 7, 7}));
  EXPECT_EQ(down(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 16, 4, 4}));

  // as above + skip 8*16 = 128 + bn 32 = 160 -> 1968
  InvertedResidual skip(InvertedResidualOptions(8, 16, 6).stride(2).skip_conv(true));
  EXPECT_EQ(count_params(*skip), 1968);
  EXPECT_EQ(skip(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 16, 4, 4}));

  // kernel 5, expansion 2: hidden 8. expand 4*8 = 32 + 16 = 48; depthwise 8*25 = 200 + 16 =
  // 216; project 8*4 = 32 + 8 = 40 -> 304. skip_conv has nothing to do for equal shapes.
  InvertedResidual k5(InvertedResidualOptions(4, 4, 2).kernel(5).skip_conv(true));
  EXPECT_EQ(count_params(*k5), 304);
  EXPECT_FALSE(k5->skip);
  EXPECT_EQ(k5(torch::randn({2, 4, 7, 7})).sizes(), torch::IntArrayRef({2, 4, 7, 7}));
}

TEST(InvertedResidual, IdentityResidualWhenShapesMatch) {
  torch::manual_seed(4);
  for (int64_t expansion : {1, 6}) {
    InvertedResidual block(InvertedResidualOptions(8, 8, expansion));
    EXPECT_TRUE(block->has_residual());
    zero_bn(block->project);
    auto x = torch::randn({2, 8, 7, 7});
    EXPECT_TRUE(torch::equal(block(x), x)) << "expansion " << expansion;
  }
}

TEST(InvertedResidual, NoResidualWhenShapesDifferWithoutSkipConv) {
  torch::manual_seed(5);
  for (auto options : {InvertedResidualOptions(8, 16, 6), InvertedResidualOptions(8, 8, 6).stride(2)}) {
    InvertedResidual block(options);
    EXPECT_FALSE(block->has_residual());
    zero_bn(block->project);
    EXPECT_EQ(block(torch::randn({2, 8, 7, 7})).abs().max().item<float>(), 0.0f);
  }
}

TEST(InvertedResidual, SkipConvCarriesTheResidualWhenShapesDiffer) {
  torch::manual_seed(6);
  InvertedResidual block(InvertedResidualOptions(8, 16, 6).stride(2).skip_conv(true));
  ASSERT_TRUE(block->skip);
  EXPECT_TRUE(block->has_residual());
  zero_bn(block->project);
  block->eval();
  auto x = torch::randn({2, 8, 7, 7});
  auto skipped = block->skip(x);
  EXPECT_TRUE(torch::equal(block(x), skipped));
  EXPECT_LT(skipped.min().item<float>(), 0.0f);  // no ReLU on the skip conv
}

TEST(InvertedResidual, Backward) {
  torch::manual_seed(7);
  for (auto options : {InvertedResidualOptions(8, 8, 6), InvertedResidualOptions(8, 8, 1),
                       InvertedResidualOptions(8, 16, 4).stride(2).skip_conv(true)}) {
    InvertedResidual block(options);
    expect_finite_grads(*block, block(torch::randn({2, 8, 7, 7})));
  }
}

TEST(InvertedResidual, RejectsBadOptions) {
  EXPECT_THROW(InvertedResidual(InvertedResidualOptions(0, 8, 6)), c10::Error);
  EXPECT_THROW(InvertedResidual(InvertedResidualOptions(8, 8, 0)), c10::Error);
  EXPECT_THROW(InvertedResidual(InvertedResidualOptions(8, 8, 6).kernel(0)), c10::Error);
  EXPECT_THROW(InvertedResidual(InvertedResidualOptions(8, 8, 6).kernel(4)), c10::Error);
  EXPECT_THROW(InvertedResidual(InvertedResidualOptions(8, 8, 6).stride(0)), c10::Error);
}

// ---- ResidualBlock ----

TEST(ResidualBlock, ShapesAndParameterCounts) {
  torch::manual_seed(8);
  // conv1 8*8*9 = 576 + bn 16 = 592; conv2 the same 592 -> 1184
  ResidualBlock same(ResidualBlockOptions(8, 8));
  EXPECT_FALSE(same->skip);
  EXPECT_EQ(count_params(*same), 1184);
  EXPECT_EQ(same(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));

  // conv1 8*16*9 = 1152 + 32 = 1184; conv2 16*16*9 = 2304 + 32 = 2336;
  // skip 8*16 = 128 + 32 = 160 -> 3680
  ResidualBlock down(ResidualBlockOptions(8, 16).stride(2));
  ASSERT_TRUE(down->skip);
  EXPECT_EQ(count_params(*down), 3680);
  EXPECT_EQ(down(torch::randn({2, 8, 14, 14})).sizes(), torch::IntArrayRef({2, 16, 7, 7}));

  // groups 2: conv1 8*(8/2)*9 = 288 + 16 = 304; conv2 304 -> 608
  ResidualBlock grouped(ResidualBlockOptions(8, 8).groups(2));
  EXPECT_EQ(count_params(*grouped), 608);
  EXPECT_EQ(grouped(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));

  // kernel 5, groups 2, 4 -> 8 at stride 1 (1x1 skip for the channel change):
  // conv1 8*(4/2)*25 = 400 + 16 = 416; conv2 8*(8/2)*25 = 800 + 16 = 816;
  // skip 4*8 = 32 + 16 = 48 -> 1280
  ResidualBlock k5(ResidualBlockOptions(4, 8).kernel(5).groups(2));
  EXPECT_EQ(count_params(*k5), 1280);
  EXPECT_EQ(k5(torch::randn({2, 4, 7, 7})).sizes(), torch::IntArrayRef({2, 8, 7, 7}));
}

TEST(ResidualBlock, ResidualPathsAndFinalRelu) {
  torch::manual_seed(9);
  auto x = torch::randn({2, 8, 7, 7});
  ResidualBlock same(ResidualBlockOptions(8, 8));
  zero_bn(same->conv2);
  EXPECT_TRUE(torch::equal(same(x), torch::relu(x)));

  ResidualBlock down(ResidualBlockOptions(8, 16).stride(2));
  zero_bn(down->conv2);
  down->eval();
  EXPECT_TRUE(torch::equal(down(x), torch::relu(down->skip(x))));
}

TEST(ResidualBlock, Backward) {
  torch::manual_seed(10);
  for (auto options : {ResidualBlockOptions(8, 8), ResidualBlockOptions(8, 16).stride(2).groups(2)}) {
    ResidualBlock block(options);
    expect_finite_grads(*block, block(torch::randn({2, 8, 7, 7})));
  }
}

TEST(ResidualBlock, RejectsBadOptions) {
  EXPECT_THROW(ResidualBlock(ResidualBlockOptions(6, 8).groups(4)), c10::Error);
  EXPECT_THROW(ResidualBlock(ResidualBlockOptions(8, 6).groups(4)), c10::Error);
  EXPECT_THROW(ResidualBlock(ResidualBlockOptions(8, 8).groups(0)), c10::Error);
  EXPECT_THROW(ResidualBlock(ResidualBlockOptions(8, 8).kernel(0)), c10::Error);
  EXPECT_THROW(ResidualBlock(ResidualBlockOptions(8, 8).stride(0)), c10::Error);
}

// ---- Bottleneck ----

TEST(Bottleneck, MidChannels) {
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 64)), 16);             // 64/4
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 24).groups(4)), 8);    // 6 -> 8
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 64).groups(3)), 18);   // 16 -> 18
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 10)), 2);              // 10/4 = 2
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 2)), 1);               // 0 -> 1
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 2).groups(4)), 4);     // 0 -> 4
  EXPECT_EQ(bottleneck_mid_channels(BottleneckOptions(16, 64).reduction(2)), 32);
  EXPECT_EQ(Bottleneck(BottleneckOptions(8, 24).groups(4))->mid_channels(), 8);
}

TEST(Bottleneck, ShapesAndParameterCounts) {
  torch::manual_seed(11);
  // mid 16/4 = 4. conv1 16*4 = 64 + 8 = 72; conv2 4*4*9 = 144 + 8 = 152;
  // conv3 4*16 = 64 + 32 = 96 -> 320
  Bottleneck same(BottleneckOptions(16, 16));
  EXPECT_FALSE(same->skip);
  EXPECT_EQ(count_params(*same), 320);
  EXPECT_EQ(same(torch::randn({2, 16, 7, 7})).sizes(), torch::IntArrayRef({2, 16, 7, 7}));

  // mid 32/4 = 8 (a multiple of 2). conv1 8*8 = 64 + 16 = 80; conv2 8*(8/2)*9 = 288 + 16 =
  // 304; conv3 8*32 = 256 + 64 = 320; skip 8*32 = 256 + 64 = 320 -> 1024
  Bottleneck down(BottleneckOptions(8, 32).stride(2).groups(2));
  ASSERT_TRUE(down->skip);
  EXPECT_EQ(count_params(*down), 1024);
  EXPECT_EQ(down(torch::randn({2, 8, 14, 14})).sizes(), torch::IntArrayRef({2, 32, 7, 7}));
  EXPECT_EQ(down(torch::randn({2, 8, 7, 7})).sizes(), torch::IntArrayRef({2, 32, 4, 4}));
}

TEST(Bottleneck, ResidualPathsAndFinalRelu) {
  torch::manual_seed(12);
  auto x = torch::randn({2, 16, 7, 7});
  Bottleneck same(BottleneckOptions(16, 16));
  zero_bn(same->conv3);
  EXPECT_TRUE(torch::equal(same(x), torch::relu(x)));

  Bottleneck wider(BottleneckOptions(16, 32));
  zero_bn(wider->conv3);
  wider->eval();
  EXPECT_TRUE(torch::equal(wider(x), torch::relu(wider->skip(x))));
}

TEST(Bottleneck, Backward) {
  torch::manual_seed(13);
  for (auto options : {BottleneckOptions(16, 16), BottleneckOptions(8, 32).stride(2).groups(2)}) {
    Bottleneck block(options);
    expect_finite_grads(*block, block(torch::randn({2, options.in_channels(), 7, 7})));
  }
}

TEST(Bottleneck, RejectsBadOptions) {
  EXPECT_THROW(Bottleneck(BottleneckOptions(8, 32).reduction(0)), c10::Error);
  EXPECT_THROW(Bottleneck(BottleneckOptions(8, 32).groups(0)), c10::Error);
  EXPECT_THROW(Bottleneck(BottleneckOptions(8, 32).kernel(0)), c10::Error);
  EXPECT_THROW(Bottleneck(BottleneckOptions(0, 32)), c10::Error);
}

// ---- Cloning (the supernet copies blocks into subnets) ----

TEST(CnnBlocks, CloneIsADeepCopyWithEqualOutput) {
  torch::manual_seed(14);
  InvertedResidual block(InvertedResidualOptions(8, 16, 6).stride(2).skip_conv(true));
  block->eval();
  auto copy = std::dynamic_pointer_cast<InvertedResidualImpl>(block->clone());
  ASSERT_TRUE(copy);
  auto x = torch::randn({2, 8, 7, 7});
  EXPECT_TRUE(torch::equal(block(x), copy->forward(x)));
  zero_bn(copy->project);
  EXPECT_FALSE(torch::equal(block(x), copy->forward(x)));
}
