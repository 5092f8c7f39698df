// train.channels_last: auto is channels-last on a CPU and off on CUDA; the trainer lays out
// its convolution weights that way, and the memory format changes only float rounding.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/core/error.h"
#include "tinynas/train/evaluate.h"
#include "tinynas/train/trainer.h"
#include "train/small_trainer.h"

using namespace tinynas;

namespace {

struct Trained {
  int conv_weights = 0;  // 4-d parameters with more than one input channel
  int nhwc = 0;          // of those, laid out channels-last
  std::vector<torch::Tensor> params;
};

// A small supernet trained `steps` steps on the CPU with train.channels_last = `setting`.
Trained train_with(const std::string& setting, int steps) {
  tinynas::testing::TempDir dir;
  train::TrainerOptions to = tinynas::testing::small_trainer_options(dir);
  config::TrainConfig& t = to.recipe.train;
  t.channels_last = setting;
  t.max_steps = steps;
  // Plain SGD at a flat rate: the weights move by lr x gradient, so float rounding in the
  // gradients stays rounding in the weights (Adam would amplify it on near-zero gradients).
  t.optimizer = "sgd";
  t.lr = 0.05;
  t.warmup_epochs = 0;
  t.min_lr = 0.05;
  t.eval_paths = 0;
  const data::Datasets sets = tinynas::testing::small_datasets();
  train::DistributedGroup single;
  train::SupernetTrainer trainer(to, sets, tinynas::testing::small_layout(), single);
  Trained out;
  for (const auto& p : trainer.model()->parameters()) {
    if (p.dim() != 4 || p.size(1) < 2 || p.size(2) * p.size(3) < 2) continue;
    ++out.conv_weights;
    out.nhwc += !p.is_contiguous() && p.is_contiguous(torch::MemoryFormat::ChannelsLast);
  }
  if (steps > 0) trainer.run();
  for (const auto& p : trainer.model()->parameters()) out.params.push_back(p.detach().clone());
  return out;
}

}  // namespace

TEST(UseChannelsLast, AutoIsOnForACpuAndOffOnCuda) {
  const torch::Device cpu(torch::kCPU), cuda(torch::kCUDA, 0);
  EXPECT_TRUE(train::use_channels_last("auto", cpu));
  EXPECT_FALSE(train::use_channels_last("auto", cuda));
  EXPECT_TRUE(train::use_channels_last("true", cuda));
  EXPECT_FALSE(train::use_channels_last("false", cpu));
  try {
    train::use_channels_last("yes", cpu);
    FAIL() << "accepted 'yes'";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.channels_last"), std::string::npos) << e.what();
  }
}

TEST(SupernetTrainer, ChannelsLastOnACpuByDefaultAndTrainsTheSameModel) {
  const Trained start = train_with("false", 0);
  const Trained fast = train_with("auto", 1);
  ASSERT_GT(fast.conv_weights, 0);
  EXPECT_EQ(fast.nhwc, fast.conv_weights);
  const Trained plain = train_with("false", 1);
  EXPECT_EQ(plain.nhwc, 0);
  // One step on the same data (0.34% apart when written; steps after it amplify the
  // differences). Single gradients may differ by more than rounding (ties of max pooling
  // after a ReLU, BatchNorm weights whose gradient is a cancelling sum), so the whole
  // update is compared: the same to 1%.
  ASSERT_EQ(fast.params.size(), plain.params.size());
  double diff = 0, moved = 0;
  for (std::size_t i = 0; i < plain.params.size(); ++i) {
    diff += (fast.params[i] - plain.params[i]).pow(2).sum().item<double>();
    moved += (plain.params[i] - start.params[i]).pow(2).sum().item<double>();
  }
  EXPECT_GT(moved, 1e-4);  // the steps did change the weights
  EXPECT_LT(std::sqrt(diff), 0.01 * std::sqrt(moved)) << std::sqrt(diff) << " of " << std::sqrt(moved);
}
