// BatchNorm recalibration and accuracy evaluation, against values worked out by hand.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/train/evaluate.h"
#include "train/train_fixtures.h"

using namespace tinynas;

namespace {

// Eight 1x2x1 images; image i has pixels (i, 2i) / 255 after normalisation (mean 0, std 1)
// and label i % 4.
data::ImageSet tiny_set() {
  data::ImageSet s;
  s.height = 1, s.width = 2, s.channels = 1, s.num_classes = 4;
  for (int i = 0; i < 8; ++i) {
    s.pixels.push_back(std::uint8_t(i));
    s.pixels.push_back(std::uint8_t(2 * i));
    s.labels.push_back(i % 4);
  }
  return s;
}

data::LoaderOptions plain(int batch) {
  data::LoaderOptions o;
  o.batch_size = batch;
  o.shuffle = false;
  o.workers = 0;
  o.transform.mean = {0};
  o.transform.std = {1};
  o.pad_to_world = false;
  return o;
}

}  // namespace

TEST(Evaluate, RecalibrationAveragesBatchStatisticsOfTheFirstMBatches) {
  const auto set = tiny_set();
  data::BatchLoader loader(set, plain(2));
  torch::nn::BatchNorm2d bn(1);
  bn->running_mean.fill_(100);  // stale statistics from training
  bn->running_var.fill_(100);
  const auto momentum = bn->options.momentum();
  const train::Forward fwd = [&](const torch::Tensor& x) { return bn->forward(x); };
  train::DistributedGroup single;
  train::recalibrate_bn(*bn, train::batch_norms(*bn), fwd, loader, 0, 2, {}, single);
  // Batches 0 and 1 hold images {0,1} and {2,3}: pixels {0,0,1,2}/255 and {2,4,3,6}/255.
  const double m0 = 3.0 / 4, m1 = 15.0 / 4;
  auto var = [](std::vector<double> v, double m) {
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return s / double(v.size() - 1);  // running_var is the unbiased estimate
  };
  const double v0 = var({0, 0, 1, 2}, m0), v1 = var({2, 4, 3, 6}, m1);
  EXPECT_NEAR(bn->running_mean.item<double>(), (m0 + m1) / 2 / 255, 1e-7);
  EXPECT_NEAR(bn->running_var.item<double>(), (v0 + v1) / 2 / (255.0 * 255.0), 1e-9);
  EXPECT_FALSE(bn->is_training());
  EXPECT_EQ(bn->options.momentum(), momentum);
}

TEST(Evaluate, CountsTopOneAccuracyOverTheWholeSet) {
  const auto set = tiny_set();
  data::BatchLoader loader(set, plain(3));  // 3 + 3 + 2: a short final batch counts too
  torch::nn::Sequential dummy;
  // Predicts class round(pixel0 * 255) % 4, except it says 0 for image 5: 7 of 8 right.
  const train::Forward fwd = [](const torch::Tensor& x) {
    auto idx = (x.select(1, 0).select(1, 0).select(1, 0) * 255).round().to(torch::kLong);
    auto cls = idx.remainder(4).masked_fill(idx.eq(5), 0);
    return torch::one_hot(cls, 4).to(torch::kFloat);
  };
  train::DistributedGroup single;
  const auto r = train::evaluate(*dummy, fwd, loader, {}, single);
  EXPECT_EQ(r.total, 8);
  EXPECT_EQ(r.correct, 7);
  EXPECT_DOUBLE_EQ(r.accuracy(), 7.0 / 8);
}

TEST(Evaluate, PathPrefixesSelectOnlyThePathsBatchNorms) {
  const auto layout = tinynas::testing::small_layout();
  space::Supernet net(layout);
  core::Rng rng(3);
  const auto arch = space::sample_arch(layout, rng);
  const auto on_path = train::batch_norms(*net, train::path_prefixes(layout, arch));
  const auto all = train::batch_norms(*net);
  EXPECT_GT(on_path.size(), 0u);
  EXPECT_LT(on_path.size(), all.size());
  // Recalibrating the path must not touch a BatchNorm off the path.
  std::vector<torch::Tensor> before;
  for (auto& m : all) before.push_back(m->named_buffers()["running_mean"].clone());
  data::ImageSet set;
  set.height = 28, set.width = 28, set.channels = 1, set.num_classes = 10;
  set.pixels.assign(4 * 28 * 28, 0);
  for (int i = 0; i < 4; ++i) set.labels.push_back(i);
  for (std::size_t i = 0; i < set.pixels.size(); ++i) set.pixels[i] = std::uint8_t(i * 7 % 251);
  data::BatchLoader loader(set, plain(4));
  const train::Forward fwd = [&](const torch::Tensor& x) { return net->forward(x, arch); };
  train::DistributedGroup single;
  train::recalibrate_bn(*net, on_path, fwd, loader, 0, 1, {}, single);
  int changed = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool is_on = std::find(on_path.begin(), on_path.end(), all[i]) != on_path.end();
    const bool same = torch::equal(before[i], all[i]->named_buffers()["running_mean"]);
    if (!is_on) {
      EXPECT_TRUE(same) << i;
    }
    changed += !same;
  }
  EXPECT_GT(changed, 0);
}
