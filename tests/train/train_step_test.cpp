// One SPOS optimizer step on its own: micro-batch accumulation and gradient clipping.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/train/trainer.h"

using namespace tinynas;

namespace {

data::Batch batch_of(int n, int offset) {
  data::Batch b;
  b.n = n, b.c = 1, b.h = 1, b.w = 3;
  for (int i = 0; i < n * 3; ++i) b.images.push_back(float((i + offset) % 7) - 3.0f);
  for (int i = 0; i < n; ++i) b.labels.push_back((i + offset) % 2);
  return b;
}

struct Linear {
  torch::Tensor w = torch::arange(6, torch::kFloat).view({3, 2}).div(10).set_requires_grad(true);
  train::Forward forward() const {
    return [w = w](const torch::Tensor& x) { return x.view({x.size(0), 3}).matmul(w); };
  }
};

}  // namespace

TEST(TrainStep, TwoMicroBatchesGiveTheGradientOfTheirUnion) {
  Linear split, whole;
  train::Optimizer a({{"w", split.w, true}}, {}), b({{"w", whole.w, true}}, {});
  config::TrainConfig tc;
  tc.label_smoothing = 0;
  train::DistributedGroup single;
  const auto m0 = batch_of(4, 0), m1 = batch_of(4, 12);
  data::Batch both = m0;
  both.n = 8;
  both.images.insert(both.images.end(), m1.images.begin(), m1.images.end());
  both.labels.insert(both.labels.end(), m1.labels.begin(), m1.labels.end());
  const auto sa = train::train_step(a, split.forward(), {m0, m1}, 0.0, tc, {}, single, 1 << 20);
  const auto sb = train::train_step(b, whole.forward(), {both}, 0.0, tc, {}, single, 1 << 20);
  EXPECT_TRUE(torch::allclose(split.w.grad(), whole.w.grad(), 1e-6, 1e-7));
  EXPECT_NEAR(sa.loss, sb.loss, 1e-6);
  EXPECT_EQ(sa.images, 8);
}

TEST(TrainStep, ClipsTheGlobalGradientNorm) {
  Linear m;
  train::Optimizer opt({{"w", m.w, true}}, {});
  config::TrainConfig tc;
  train::DistributedGroup single;
  const train::Forward big = [&](const torch::Tensor& x) { return m.forward()(x) * 1000; };
  train::train_step(opt, big, {batch_of(4, 0)}, 0.0, tc, {}, single, 1 << 20);
  const double unclipped = m.w.grad().norm().item<double>();
  ASSERT_GT(unclipped, 1.0);
  tc.grad_clip = 0.5;
  train::train_step(opt, big, {batch_of(4, 0)}, 0.0, tc, {}, single, 1 << 20);
  EXPECT_NEAR(m.w.grad().norm().item<double>(), 0.5, 1e-5);
}
