// train.zero_init_residual reaches the supernet SupernetTrainer builds, before any step.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/train/trainer.h"
#include "train/small_trainer.h"

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
  train::TrainerOptions to = tinynas::testing::small_trainer_options(dir);
  to.recipe.train.zero_init_residual = zero_init;
  const data::Datasets sets = tinynas::testing::small_datasets();
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
