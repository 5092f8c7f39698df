// train.zero_init_residual reaches the supernet SupernetTrainer builds, before any step.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "data/synthetic.h"
#include "support/temp_dir.h"
#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/train/trainer.h"
#include "train/train_fixtures.h"

using namespace tinynas;

namespace {

// The project BatchNorm scales of every residual inverted residual of `trainer`'s supernet:
// how many there are and how many are all zero.
std::pair<int, int> residual_scales(train::SupernetTrainer& trainer) {
  int total = 0, zero = 0;
  for (const auto& m : trainer.model()->modules()) {
    const auto* b = m->as<nn::InvertedResidualImpl>();
    if (!b || !b->has_residual()) continue;
    ++total;
    zero += b->project->bn->weight.abs().max().item<float>() == 0.f;
  }
  return {total, zero};
}

std::pair<int, int> scales_with(bool zero_init) {
  tinynas::testing::TempDir dir;
  const auto def = tinynas::testing::tinyformer_space();
  config::Recipe r;
  r.data.workers = 0;
  r.space.supernet =
      space::to_string(space::parse_supernet(tinynas::testing::kSmallSupernet, def), def);
  r.train.batch_size = 16;
  r.train.threads = 1;
  r.train.device = "cpu";
  r.train.zero_init_residual = zero_init;
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
  return residual_scales(trainer);
}

}  // namespace

TEST(SupernetTrainer, ZeroInitResidualStartsEveryResidualBranchAtZero) {
  const auto [total, zero] = scales_with(true);
  EXPECT_GT(total, 0);
  EXPECT_EQ(zero, total);
  const auto [total_off, zero_off] = scales_with(false);
  EXPECT_EQ(total_off, total);
  EXPECT_EQ(zero_off, 0);
}
