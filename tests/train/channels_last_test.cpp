// train.channels_last: auto is channels-last on a CPU and off on CUDA; the trainer lays out
// its convolution weights that way, and the memory format changes only float rounding.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "data/synthetic.h"
#include "support/temp_dir.h"
#include "tinynas/core/error.h"
#include "tinynas/train/evaluate.h"
#include "tinynas/train/trainer.h"
#include "train/train_fixtures.h"

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
  const auto def = tinynas::testing::tinyformer_space();
  config::Recipe r;
  r.data.workers = 0;
  r.space.supernet =
      space::to_string(space::parse_supernet(tinynas::testing::kSmallSupernet, def), def);
  r.train.batch_size = 16;
  r.train.threads = 1;
  r.train.device = "cpu";
  r.train.channels_last = setting;
  r.train.max_steps = steps;
  // Plain SGD at a flat rate: the weights move by lr x gradient, so float rounding in the
  // gradients stays rounding in the weights (Adam would amplify it on near-zero gradients).
  r.train.optimizer = "sgd";
  r.train.lr = 0.05;
  r.train.warmup_epochs = 0;
  r.train.min_lr = 0.05;
  r.train.eval_paths = 0;
  r.run.dir = dir.file("runs");
  train::TrainerOptions to;
  to.recipe = r;
  to.out_dir = dir.file("supernet");
  to.supernet_text = r.space.supernet;
  to.progress = false;
  data::Datasets sets;
  sets.train = tinynas::testing::random_images(32, 28, 28, 1, 10, 3);
  sets.val = tinynas::testing::random_images(16, 28, 28, 1, 10, 4);
  sets.normalization = data::default_normalization("fashion-mnist", 1);
  train::DistributedGroup single;
  train::SupernetTrainer trainer(to, sets, tinynas::testing::small_layout(), single);
  Trained t;
  for (const auto& p : trainer.model()->parameters()) {
    if (p.dim() != 4 || p.size(1) < 2 || p.size(2) * p.size(3) < 2) continue;
    ++t.conv_weights;
    t.nhwc += !p.is_contiguous() && p.is_contiguous(torch::MemoryFormat::ChannelsLast);
  }
  if (steps > 0) trainer.run();
  for (const auto& p : trainer.model()->parameters()) t.params.push_back(p.detach().clone());
  return t;
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
