// Pool2d, GlobalAvgPool, SeqPool, Classifier: hand-computed values, shapes, parameter
// counts, gradients, option validation.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/nn_test_util.h"
#include "tinynas/nn/pool.h"

using namespace tinynas::nn;
using tinynas::nn::testing::count_params;
using tinynas::nn::testing::expect_finite_grads;

namespace {

// 1..16 row-major in a (1, 1, 4, 4) map.
torch::Tensor ramp4x4() { return torch::arange(1, 17, torch::kFloat).reshape({1, 1, 4, 4}); }

torch::Tensor grid(std::initializer_list<float> values, int64_t h, int64_t w) {
  return torch::tensor(std::vector<float>(values)).reshape({1, 1, h, w});
}

}  // namespace

TEST(Pool2d, ValuesOnARamp) {
  auto x = ramp4x4();
  // windows {1,2,5,6} {3,4,7,8} {9,10,13,14} {11,12,15,16}
  EXPECT_TRUE(torch::equal(Pool2d(Pool2dOptions(PoolKind::max, 2))(x), grid({6, 8, 14, 16}, 2, 2)));
  EXPECT_TRUE(torch::equal(Pool2d(Pool2dOptions(PoolKind::avg, 2))(x),
                           grid({3.5, 5.5, 11.5, 13.5}, 2, 2)));
  // 0.5 * (6 + 3.5) = 4.75, ...
  EXPECT_TRUE(torch::equal(Pool2d(Pool2dOptions(PoolKind::mixed, 2))(x),
                           grid({4.75, 6.75, 12.75, 14.75}, 2, 2)));
  // overlapping 3x3 windows at stride 1: 2x2 output, max = bottom-right of each window
  EXPECT_TRUE(torch::equal(Pool2d(Pool2dOptions(PoolKind::max, 3).stride(1))(x),
                           grid({11, 12, 15, 16}, 2, 2)));
  // mean of a 3x3 window of a ramp is its centre: 6, 7, 10, 11
  EXPECT_TRUE(torch::equal(Pool2d(Pool2dOptions(PoolKind::avg, 3).stride(1))(x),
                           grid({6, 7, 10, 11}, 2, 2)));
}

TEST(Pool2d, PaddingIsNotCountedInTheAverage) {
  auto x = ramp4x4();
  // kernel 3, stride 2, padding 1: floor((4 + 2 - 3) / 2) + 1 = 2 windows per side, covering
  // rows/cols {-1,0,1} and {1,2,3}. Real inputs only:
  //   (0,0): 1 2 5 6 -> 14/4 = 3.5        (0,1): 2 3 4 6 7 8 -> 30/6 = 5
  //   (1,0): 5 6 9 10 13 14 -> 57/6 = 9.5 (1,1): 6 7 8 10 11 12 14 15 16 -> 99/9 = 11
  auto options = Pool2dOptions(PoolKind::avg, 3).stride(2).padding(1);
  EXPECT_TRUE(torch::allclose(Pool2d(options)(x), grid({3.5, 5, 9.5, 11}, 2, 2)));
  EXPECT_TRUE(torch::equal(Pool2d(options.kind(PoolKind::max))(x), grid({6, 8, 14, 16}, 2, 2)));
  // max and avg of an all-negative map stay negative: padding is never a 0 input
  auto neg = -ramp4x4();
  EXPECT_TRUE(torch::allclose(Pool2d(options.kind(PoolKind::mixed))(neg),
                              0.5 * (grid({-1, -2, -5, -6}, 2, 2) + grid({-3.5, -5, -9.5, -11}, 2, 2))));
}

TEST(Pool2d, ShapesOnOddSizes) {
  auto x = torch::randn({2, 3, 7, 7});
  // floor((7 - 2) / 2) + 1 = 3
  EXPECT_EQ(Pool2d(Pool2dOptions(PoolKind::max, 2))(x).sizes(), torch::IntArrayRef({2, 3, 3, 3}));
  // floor((7 + 2 - 3) / 2) + 1 = 4
  auto padded = Pool2dOptions(PoolKind::mixed, 3).stride(2).padding(1);
  EXPECT_EQ(Pool2d(padded)(x).sizes(), torch::IntArrayRef({2, 3, 4, 4}));
  EXPECT_EQ(pool_output_size(7, padded), 4);
  EXPECT_EQ(pool_output_size(14, Pool2dOptions(PoolKind::avg, 2)), 7);
  EXPECT_EQ(pool_stride(Pool2dOptions(PoolKind::avg, 3)), 3);
  EXPECT_EQ(pool_stride(Pool2dOptions(PoolKind::avg, 3).stride(1)), 1);
  EXPECT_EQ(count_params(*Pool2d(padded)), 0);
}

TEST(Pool2d, BackwardAndBadOptions) {
  auto x = torch::randn({2, 3, 6, 6}, torch::requires_grad());
  Pool2d(Pool2dOptions(PoolKind::mixed, 2))(x).sum().backward();
  EXPECT_TRUE(torch::isfinite(x.grad()).all().item<bool>());

  EXPECT_THROW(Pool2d(Pool2dOptions(PoolKind::max, 0)), c10::Error);
  EXPECT_THROW(Pool2d(Pool2dOptions(PoolKind::max, 2).stride(-1)), c10::Error);
  EXPECT_THROW(Pool2d(Pool2dOptions(PoolKind::max, 2).padding(2)), c10::Error);
  EXPECT_THROW(Pool2d(Pool2dOptions(PoolKind::avg, 3).padding(-1)), c10::Error);
}

TEST(PoolKindNames, RoundTripAndListValidOnError) {
  for (auto kind : {PoolKind::max, PoolKind::avg, PoolKind::mixed})
    EXPECT_EQ(pool_kind_from_string(to_string(kind)), kind);
  try {
    pool_kind_from_string("sum");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown pool kind 'sum' (valid: max, avg, mixed)");
  }
}

TEST(GlobalAvgPool, MeansOverSpace) {
  GlobalAvgPool pool;
  auto y = pool(ramp4x4());
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 1}));
  EXPECT_FLOAT_EQ(y.item<float>(), 8.5f);  // (1 + 16) / 2
  auto x = torch::randn({2, 5, 7, 7});
  EXPECT_TRUE(torch::allclose(pool(x), x.mean({2, 3})));
  EXPECT_EQ(count_params(*pool), 0);
  EXPECT_THROW(pool(torch::randn({2, 5, 7})), c10::Error);
}

TEST(SeqPool, WeightedMeanWithHandSetWeights) {
  // dim 2, a 1x3 map: tokens (1, 10), (2, 20), (3, 30).
  // attn(x) = 1*x0 + 0*x1 + 0.5 -> logits 1.5, 2.5, 3.5; softmax shifts out the bias.
  SeqPool pool(SeqPoolOptions(2));
  {
    torch::NoGradGuard no_grad;
    pool->attn->weight.copy_(torch::tensor({{1.0f, 0.0f}}));
    pool->attn->bias.fill_(0.5f);
  }
  auto x = torch::tensor({1.0f, 2.0f, 3.0f, 10.0f, 20.0f, 30.0f}).reshape({1, 2, 1, 3});
  const double e1 = std::exp(1.5), e2 = std::exp(2.5), e3 = std::exp(3.5), z = e1 + e2 + e3;
  const double want0 = (e1 * 1 + e2 * 2 + e3 * 3) / z;
  const double want1 = (e1 * 10 + e2 * 20 + e3 * 30) / z;
  auto y = pool(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 2}));
  EXPECT_NEAR(y[0][0].item<double>(), want0, 1e-5);
  EXPECT_NEAR(y[0][1].item<double>(), want1, 1e-4);
  // tokens in, same answer
  EXPECT_TRUE(torch::allclose(pool(x.flatten(2).transpose(1, 2)), y));
}

TEST(SeqPool, ShapesParamsBackwardAndBadOptions) {
  torch::manual_seed(50);
  // attn 8*1 + 1 = 9
  SeqPool pool(SeqPoolOptions(8));
  EXPECT_EQ(count_params(*pool), 9);
  EXPECT_EQ(pool(torch::randn({3, 8, 7, 7})).sizes(), torch::IntArrayRef({3, 8}));
  EXPECT_EQ(pool(torch::randn({3, 5, 8})).sizes(), torch::IntArrayRef({3, 8}));
  expect_finite_grads(*pool, pool(torch::randn({2, 8, 3, 3})));
  EXPECT_THROW(pool(torch::randn({3, 6, 7, 7})), c10::Error);
  EXPECT_THROW(SeqPool(SeqPoolOptions(0)), c10::Error);
}

TEST(Classifier, ShapesParamsDropoutBackwardAndBadOptions) {
  torch::manual_seed(51);
  // fc 16*10 + 10 = 170
  Classifier head(ClassifierOptions(16, 10));
  EXPECT_EQ(count_params(*head), 170);
  auto x = torch::randn({4, 16});
  EXPECT_EQ(head(x).sizes(), torch::IntArrayRef({4, 10}));
  expect_finite_grads(*head, head(x));

  Classifier dropped(ClassifierOptions(16, 10).dropout(0.5));
  EXPECT_EQ(count_params(*dropped), 170);
  dropped->eval();  // dropout only while training
  EXPECT_TRUE(torch::equal(dropped(x), dropped->fc(x)));
  dropped->train();
  EXPECT_FALSE(torch::equal(dropped(x), dropped->fc(x)));

  EXPECT_THROW(Classifier(ClassifierOptions(0, 10)), c10::Error);
  EXPECT_THROW(Classifier(ClassifierOptions(16, 0)), c10::Error);
  EXPECT_THROW(Classifier(ClassifierOptions(16, 10).dropout(1.0)), c10::Error);
  EXPECT_THROW(Classifier(ClassifierOptions(16, 10).dropout(-0.1)), c10::Error);
}
