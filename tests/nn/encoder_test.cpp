// Encoder, SpatialEncoder, MobileVit: shapes, parameter counts by hand, the two norm
// placements, gradients, option validation.
#include <gtest/gtest.h>

#include <stdexcept>

#include "nn/nn_test_util.h"
#include "tinynas/nn/encoder.h"

using namespace tinynas::nn;
using tinynas::nn::testing::count_params;
using tinynas::nn::testing::expect_finite_grads;

// Parameter counts used below, dim 16, heads 4 (head_dim 4):
//   mhsa: q, k, v 16*16 + 16 = 272 each, proj 272 -> 1088
//   a LayerNorm or BatchNorm over 16 channels: 2*16 = 32
//   ff with mlp 32: fc1 16*32 + 32 = 544, fc2 32*16 + 16 = 528 -> 1072
//   encoder without ff: 1088 + 32 = 1120; with ff: 1120 + 32 + 1072 = 2224

TEST(Encoder, ShapesAndParameterCounts) {
  torch::manual_seed(30);
  auto x = torch::randn({2, 49, 16});
  for (auto norm : {NormKind::layer, NormKind::batch}) {
    Encoder plain(EncoderOptions(16, 4).norm(norm));
    EXPECT_EQ(count_params(*plain), 1120) << to_string(norm);
    EXPECT_FALSE(plain->fc1);
    EXPECT_EQ(plain(x).sizes(), x.sizes());

    Encoder ff(EncoderOptions(16, 4).mlp_dim(32).norm(norm).attention(AttentionKind::relu_linear));
    EXPECT_EQ(count_params(*ff), 2224) << to_string(norm);
    EXPECT_EQ(ff(x).sizes(), x.sizes());
  }
  Encoder layer(EncoderOptions(16, 4).mlp_dim(32));
  EXPECT_TRUE(layer->ln1 && layer->ln2 && !layer->bn1 && !layer->bn2);
  Encoder batch(EncoderOptions(16, 4).mlp_dim(32).norm(NormKind::batch));
  EXPECT_TRUE(!batch->ln1 && !batch->ln2 && batch->bn1 && batch->bn2);

  // head_dim 8 with 2 heads: inner 16, so the same counts as above: 1120
  EXPECT_EQ(count_params(*Encoder(EncoderOptions(16, 2).head_dim(8))), 1120);
}

TEST(Encoder, LayerNormIsPreNorm) {
  torch::manual_seed(31);
  Encoder enc(EncoderOptions(8, 2).mlp_dim(16));
  auto x = torch::randn({2, 5, 8});
  auto y = x + enc->mhsa(enc->ln1(x));
  auto want = y + enc->fc2(torch::relu(enc->fc1(enc->ln2(y))));
  EXPECT_TRUE(torch::allclose(enc(x), want));
}

TEST(Encoder, BatchNormActsLikeBatchNorm2dOnTheMap) {
  torch::manual_seed(32);
  Encoder enc(EncoderOptions(8, 2).norm(NormKind::batch));
  auto map = torch::randn({2, 8, 3, 5});
  auto tokens = to_tokens(map);
  torch::nn::BatchNorm2d reference(8);  // same initial affine (1, 0) and running stats

  auto attended = from_tokens(enc->mhsa(tokens), 3, 5);
  auto want = tokens + to_tokens(reference(attended));
  EXPECT_TRUE(torch::allclose(enc(tokens), want, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(enc->bn1->running_mean, reference->running_mean));
  EXPECT_TRUE(torch::allclose(enc->bn1->running_var, reference->running_var));
}

TEST(Encoder, BatchNormIsPerChannelAffineInEval) {
  torch::manual_seed(33);
  Encoder enc(EncoderOptions(8, 2).mlp_dim(16).norm(NormKind::batch));
  for (int i = 0; i < 3; ++i) enc(torch::randn({4, 6, 8}) * 2 + 1);  // move running stats
  enc->eval();
  auto a = torch::randn({1, 6, 8});
  auto b = torch::randn({3, 6, 8});
  auto alone = enc(a);
  auto together = enc(torch::cat({a, b}));
  EXPECT_TRUE(torch::allclose(alone[0], together[0], 1e-5, 1e-6));
  // and each BN is exactly (t - mean) / sqrt(var + eps) * weight + bias per channel
  auto affine = [](torch::nn::BatchNorm1d& bn, const torch::Tensor& t) {
    return (t - bn->running_mean) / torch::sqrt(bn->running_var + bn->options.eps()) *
               bn->weight + bn->bias;
  };
  auto y = a + affine(enc->bn1, enc->mhsa(a));
  auto want = y + affine(enc->bn2, enc->fc2(torch::relu(enc->fc1(y))));
  EXPECT_TRUE(torch::allclose(alone, want, 1e-5, 1e-6));
}

TEST(Encoder, Backward) {
  torch::manual_seed(34);
  for (auto norm : {NormKind::layer, NormKind::batch}) {
    for (auto kind : {AttentionKind::softmax, AttentionKind::relu_linear}) {
      Encoder enc(EncoderOptions(8, 2).mlp_dim(16).norm(norm).attention(kind));
      expect_finite_grads(*enc, enc(torch::randn({2, 9, 8})));
    }
  }
}

TEST(Encoder, RejectsBadOptions) {
  EXPECT_THROW(Encoder(EncoderOptions(10, 4)), c10::Error);  // heads do not divide dim
  EXPECT_THROW(Encoder(EncoderOptions(8, 2).mlp_dim(-1)), c10::Error);
  EXPECT_THROW(Encoder(EncoderOptions(8, 0)), c10::Error);
  Encoder enc(EncoderOptions(8, 2));
  EXPECT_THROW(enc(torch::randn({2, 4, 6})), c10::Error);
}

TEST(NormKindNames, RoundTripAndListValidOnError) {
  for (auto kind : {NormKind::layer, NormKind::batch})
    EXPECT_EQ(norm_kind_from_string(to_string(kind)), kind);
  try {
    norm_kind_from_string("group");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown norm kind 'group' (valid: layer, batch)");
  }
}

TEST(SpatialEncoder, ShapesAndParameterCounts) {
  torch::manual_seed(35);
  // depth 2 x 2224 = 4448
  SpatialEncoder enc(SpatialEncoderOptions(16, 4).mlp_dim(32).depth(2));
  EXPECT_EQ(count_params(*enc), 4448);
  EXPECT_EQ(enc->layers->size(), 2u);
  auto x = torch::randn({2, 16, 7, 7});
  EXPECT_EQ(enc(x).sizes(), x.sizes());
  EXPECT_EQ(enc(torch::randn({2, 16, 3, 5})).sizes(), torch::IntArrayRef({2, 16, 3, 5}));

  // depth 3 x 1120 = 3360
  SpatialEncoder bn(SpatialEncoderOptions(16, 4).depth(3).norm(NormKind::batch));
  EXPECT_EQ(count_params(*bn), 3360);
  EXPECT_EQ(bn(x).sizes(), x.sizes());
}

TEST(SpatialEncoder, IsEncodersOnRowMajorTokens) {
  torch::manual_seed(36);
  SpatialEncoder enc(SpatialEncoderOptions(8, 2).mlp_dim(8).depth(2));
  auto x = torch::randn({2, 8, 3, 4});
  auto t = to_tokens(x);
  for (const auto& layer : *enc->layers) t = layer.get<Encoder>()(t);
  EXPECT_TRUE(torch::allclose(enc(x), from_tokens(t, 3, 4)));
}

TEST(SpatialEncoder, BackwardAndBadOptions) {
  torch::manual_seed(37);
  SpatialEncoder enc(SpatialEncoderOptions(8, 2).mlp_dim(16).depth(2).norm(NormKind::batch));
  expect_finite_grads(*enc, enc(torch::randn({2, 8, 5, 5})));
  EXPECT_THROW(enc(torch::randn({2, 6, 5, 5})), c10::Error);
  EXPECT_THROW(SpatialEncoder(SpatialEncoderOptions(8, 2).depth(0)), c10::Error);
  EXPECT_THROW(SpatialEncoder(SpatialEncoderOptions(8, 3)), c10::Error);
}

TEST(MobileVit, ShapesAndParameterCounts) {
  torch::manual_seed(38);
  // local 3x3 8*8*9 = 576 + bn 16 = 592; project_in 1x1 8*16 = 128 (no bias, no bn);
  // encoder 2224; project_out 16*8 = 128 + bn 16 = 144; fuse 592
  // -> 592 + 128 + 2224 + 144 + 592 = 3680
  MobileVit block(MobileVitOptions(8, 16, 4).mlp_dim(32));
  EXPECT_EQ(count_params(*block), 3680);
  EXPECT_FALSE(block->project_in->conv->bias.defined());
  EXPECT_FALSE(block->project_in->bn);
  auto x = torch::randn({2, 8, 7, 7});
  EXPECT_EQ(block(x).sizes(), x.sizes());

  // depth 2, no ff, batch norm, relu-linear: encoder 2 * 1120 = 2240
  // -> 592 + 128 + 2240 + 144 + 592 = 3696
  MobileVit deep(MobileVitOptions(8, 16, 4)
                     .depth(2)
                     .norm(NormKind::batch)
                     .attention(AttentionKind::relu_linear)
                     .residual(false));
  EXPECT_EQ(count_params(*deep), 3696);
  EXPECT_EQ(deep(torch::randn({2, 8, 14, 14})).sizes(), torch::IntArrayRef({2, 8, 14, 14}));
}

TEST(MobileVit, ResidualAddsTheInput) {
  torch::manual_seed(39);
  auto x = torch::randn({2, 4, 5, 5});
  for (bool residual : {true, false}) {
    MobileVit block(MobileVitOptions(4, 8, 2).residual(residual));
    block->eval();
    auto body = block->fuse(block->project_out(block->encoder(block->project_in(block->local(x)))));
    EXPECT_TRUE(torch::allclose(block(x), residual ? x + body : body));
  }
}

TEST(MobileVit, BackwardCloneAndBadOptions) {
  torch::manual_seed(40);
  MobileVit block(MobileVitOptions(4, 8, 2).mlp_dim(8).depth(2));
  expect_finite_grads(*block, block(torch::randn({2, 4, 7, 7})));

  block->eval();
  auto copy = std::dynamic_pointer_cast<MobileVitImpl>(block->clone());
  ASSERT_TRUE(copy);
  auto x = torch::randn({2, 4, 7, 7});
  EXPECT_TRUE(torch::equal(block(x), copy->forward(x)));

  EXPECT_THROW(MobileVit(MobileVitOptions(0, 8, 2)), c10::Error);
  EXPECT_THROW(MobileVit(MobileVitOptions(4, 0, 2)), c10::Error);
  EXPECT_THROW(MobileVit(MobileVitOptions(4, 10, 4)), c10::Error);  // heads do not divide dim
}
