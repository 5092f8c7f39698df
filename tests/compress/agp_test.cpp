// AGP: schedule values at chosen steps, and pruned blocks held at exactly zero through
// training with momentum and weight decay.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tinynas/compress/agp.h"
#include "tinynas/compress/block_mask.h"
#include "tinynas/core/error.h"
#include "tinynas/cost/sparse_coding.h"

using namespace tinynas;
using namespace tinynas::compress;

namespace {

AgpSchedule schedule(double initial_fraction = 0) {
  AgpOptions o;
  o.start_step = 100;
  o.updates = 10;
  o.frequency = 50;
  o.initial_fraction = initial_fraction;
  return AgpSchedule(o);
}

PrunableLayer layer_of(const std::string& name, const torch::Tensor& w, int block, double ratio) {
  PrunableLayer l;
  l.name = name;
  l.op = name;
  l.weight = w;
  l.block = block;
  l.ratio = ratio;
  l.layout = runtime_layout(w, false);
  return l;
}

}  // namespace

TEST(AgpSchedule, ValuesAtChosenSteps) {
  const auto s = schedule();
  // s_t = s_f + (s_i - s_f)(1 - (t - t0)/(nΔt))^3 with t0 = 100, n = 10, Δt = 50, s_i = 0.
  EXPECT_EQ(s.fraction(0), 0.0);
  EXPECT_EQ(s.fraction(99), 0.0);
  EXPECT_DOUBLE_EQ(s.fraction(100), 0.0);                       // (1 - 0)^3 = 1
  EXPECT_DOUBLE_EQ(s.fraction(150), 1 - 0.9 * 0.9 * 0.9);       // 0.271
  EXPECT_DOUBLE_EQ(s.fraction(199), 1 - 0.9 * 0.9 * 0.9);       // held between updates
  EXPECT_DOUBLE_EQ(s.fraction(350), 0.875);                     // halfway: 1 - 0.5^3
  EXPECT_DOUBLE_EQ(s.sparsity(350, 0.8), 0.7);
  EXPECT_DOUBLE_EQ(s.fraction(550), 1 - 0.1 * 0.1 * 0.1);
  EXPECT_DOUBLE_EQ(s.fraction(600), 1.0);
  EXPECT_DOUBLE_EQ(s.fraction(100000), 1.0);
  EXPECT_EQ(s.end_step(), 600);
  // Monotone, and fastest at the start.
  double prev = 0, prev_gain = 1;
  for (std::int64_t t = 150; t <= 600; t += 50) {
    const double gain = s.fraction(t) - prev;
    EXPECT_GT(gain, 0) << t;
    EXPECT_LT(gain, prev_gain) << t;
    prev = s.fraction(t);
    prev_gain = gain;
  }

  const auto si = schedule(0.25);  // s_i = s_f / 4
  EXPECT_DOUBLE_EQ(si.fraction(100), 0.25);
  EXPECT_DOUBLE_EQ(si.fraction(350), 1 - 0.75 * 0.125);
  EXPECT_DOUBLE_EQ(si.fraction(600), 1.0);
}

TEST(AgpSchedule, UpdateStepsAndRecipeWindow) {
  const auto s = schedule();
  EXPECT_FALSE(s.updates_at(50));
  EXPECT_TRUE(s.updates_at(100));
  EXPECT_FALSE(s.updates_at(101));
  EXPECT_TRUE(s.updates_at(600));
  EXPECT_FALSE(s.updates_at(650));

  // sparsenas.agp_start 0.1, agp_end 0.7, agp_frequency 50 over 1000 steps.
  const auto r = AgpSchedule::for_run(1000, 0.1, 0.7, 50);
  EXPECT_EQ(r.options().start_step, 100);
  EXPECT_EQ(r.options().updates, 12);
  EXPECT_EQ(r.end_step(), 700);
  // A window shorter than Δt still prunes, once.
  const auto short_run = AgpSchedule::for_run(20, 0.5, 0.6, 50);
  EXPECT_EQ(short_run.options().updates, 1);
  EXPECT_EQ(short_run.fraction(short_run.end_step()), 1.0);

  EXPECT_THROW(AgpSchedule::for_run(1000, 0.7, 0.1, 50), core::Error);
  AgpOptions bad;
  bad.updates = 0;
  EXPECT_THROW(AgpSchedule{bad}, core::Error);
}

TEST(AgpPruner, PrunedBlocksStayExactlyZeroThroughTraining) {
  torch::manual_seed(3);
  torch::nn::Sequential net(torch::nn::Linear(12, 16), torch::nn::ReLU(), torch::nn::Linear(16, 4));
  auto* fc1 = net[0]->as<torch::nn::Linear>();
  auto* fc2 = net[2]->as<torch::nn::Linear>();
  MaskSet masks({layer_of("fc1", fc1->weight, 4, 0.75), layer_of("fc2", fc2->weight, 2, 0.5)});
  AgpOptions o;
  o.start_step = 5;
  o.updates = 4;
  o.frequency = 5;
  AgpPruner pruner(masks, AgpSchedule(o));
  // AdamW: momentum and decoupled decay would both revive pruned weights if not masked.
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  const auto x = torch::randn({64, 12});
  const auto y = torch::randint(0, 4, {64});

  std::int64_t last_zero_fc1 = 0;
  for (std::int64_t t = 0; t < 40; ++t) {
    pruner.before_forward(t);
    opt.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x), y).backward();
    pruner.before_step();
    opt.step();
    pruner.after_step();
    const auto rep = masks.report();
    // Exactly the blocks the schedule asks for at this step are zero, and only whole blocks.
    for (std::size_t i = 0; i < rep.size(); ++i) {
      const auto& l = masks.layers()[i];
      const auto want = cost::pruned_blocks(l.blocks(), pruner.schedule().sparsity(t, l.ratio));
      EXPECT_EQ(rep[i].zero_blocks, want) << l.name << " step " << t;
      EXPECT_EQ(rep[i].pruned_blocks, want) << l.name << " step " << t;
      EXPECT_TRUE(torch::equal(l.weight.detach() * (1 - masks.mask(i)),
                               torch::zeros_like(l.weight)))
          << l.name << " step " << t;
    }
    // The pruned set only grows.
    EXPECT_GE(rep[0].zero_blocks, last_zero_fc1);
    last_zero_fc1 = rep[0].zero_blocks;
  }
  // Final: fc1 at 75% of its 16 * 3 blocks, fc2 at 50% of its 4 * 8.
  EXPECT_EQ(masks.report()[0].zero_blocks, 36);
  EXPECT_EQ(masks.report()[1].zero_blocks, 16);
}

TEST(AgpPruner, ResumedRunRecomputesTheSameMasks) {
  torch::manual_seed(5);
  auto w = torch::randn({8, 16});
  AgpOptions o;
  o.start_step = 0;
  o.updates = 4;
  o.frequency = 10;
  // A run that pruned at steps 0, 10, 20 and one resumed at step 25 (between updates).
  auto w1 = w.clone();
  MaskSet m1({layer_of("w", w1, 4, 0.5)});
  AgpPruner p1(m1, AgpSchedule(o));
  for (std::int64_t t = 0; t <= 25; ++t) p1.before_forward(t);
  auto w2 = w1.clone();
  MaskSet m2({layer_of("w", w2, 4, 0.5)});
  AgpPruner p2(m2, AgpSchedule(o));
  EXPECT_TRUE(p2.before_forward(25));  // the first call of a resumed run recomputes
  EXPECT_TRUE(torch::equal(m1.mask(0), m2.mask(0)));
  EXPECT_FALSE(p2.before_forward(26));
}
