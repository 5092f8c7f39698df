// Subnet training with AGP block masks (train::SubnetTrainer + nas::AgpHooks), in process
// on tiny synthetic data: pruned blocks stay exactly zero through every step (SGD momentum
// and weight decay, AdamW), masks change only at the schedule's update steps and hold the
// schedule's sparsity, the final zero-block count is the target, and a run stopped mid-way
// and resumed from its checkpoint (masks included) ends bit for bit where an uninterrupted
// one does.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "data/synthetic.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/nas/pruned_training.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/subnet_trainer.h"
#include "train/train_fixtures.h"

using namespace tinynas;

namespace {

data::Datasets synthetic_sets() {
  data::Datasets s;
  s.train = tinynas::testing::random_images(256, 28, 28, 1, 10, 1);
  s.val = tinynas::testing::random_images(64, 28, 28, 1, 10, 2);
  s.normalization = data::default_normalization("fashion-mnist", 1);
  return s;
}

config::Recipe small_recipe(const std::string& optimizer) {
  config::Recipe r;
  r.data.workers = 0;
  r.train.epochs = 2;  // 8 steps per epoch at batch 32
  r.train.batch_size = 32;
  r.train.warmup_epochs = 0;
  r.train.lr = 0.01;
  r.train.optimizer = optimizer;
  r.train.weight_decay = 0.05;
  r.train.momentum = 0.9;
  r.train.threads = 1;
  r.train.device = "cpu";
  r.train.keep_last = 10;
  r.sparsenas.agp_start = 0.1;
  r.sparsenas.agp_end = 0.5;
  r.sparsenas.agp_frequency = 2;
  return r;
}

// Every prunable layer of `sparse`'s choice blocks at 50% or 70%, blocks of 2 or 4.
space::SparseConfig some_sparse(const space::SupernetLayout& layout, std::uint64_t seed) {
  core::Rng rng(seed);
  return space::sample_sparse(layout, space::sparse_choices({0.5, 0.7}, {2, 4}), rng);
}

// AgpHooks that check, around every step, what the header promises.
class CheckingHooks : public nas::AgpHooks {
 public:
  using nas::AgpHooks::AgpHooks;
  std::vector<std::int64_t> changed_at;  // steps whose before_forward changed a mask
  int zero_checks = 0;

  void before_forward(std::int64_t step) override {
    std::vector<torch::Tensor> before;
    for (std::size_t i = 0; i < masks().size(); ++i) before.push_back(masks().mask(i).clone());
    nas::AgpHooks::before_forward(step);
    bool changed = false;
    for (std::size_t i = 0; i < masks().size(); ++i)
      changed = changed || !torch::equal(before[i], masks().mask(i));
    if (changed) changed_at.push_back(step);
    // The masks hold the schedule's share of every layer's target.
    const double fraction = schedule().fraction(step);
    for (std::size_t i = 0; i < masks().size(); ++i) {
      const auto& l = masks().layers()[i];
      const auto want = cost::pruned_blocks(l.blocks(), fraction * l.ratio);
      EXPECT_EQ(masks().report()[i].pruned_blocks, want) << l.name << " at step " << step;
    }
  }
  void after_update(std::int64_t step) override {
    nas::AgpHooks::after_update(step);
    for (std::size_t i = 0; i < masks().size(); ++i) {
      const auto& w = masks().layers()[i].weight;
      const auto revived = (w.detach() * (1 - masks().mask(i))).abs().max().item<double>();
      EXPECT_EQ(revived, 0.0) << masks().layers()[i].name << " after step " << step;
      ++zero_checks;
    }
  }
};

struct Fixture {
  space::SupernetLayout layout = tinynas::testing::small_layout();
  space::Supernet supernet{nullptr};
  space::Arch arch;
  space::SparseConfig sparse;
  data::Datasets sets = synthetic_sets();
  train::DistributedGroup group;

  Fixture() {
    torch::manual_seed(3);
    supernet = space::Supernet(layout);
    core::Rng rng(5);
    arch = space::sample_arch(layout, rng);
    sparse = some_sparse(layout, 7);
  }

  train::TrainerOptions options(const config::Recipe& r, const std::string& out, bool resume) {
    train::TrainerOptions o;
    o.recipe = r;
    o.out_dir = out;
    o.supernet_text = "tf1{small}";
    o.resume = resume;
    o.progress = false;
    return o;
  }
};

}  // namespace

TEST(AgpSchedule, ShortRunsStillReachTheFinalSparsity) {
  nas::AgpSettings s;  // frequency 50, start 0.1, end 0.7
  const auto sched = nas::agp_schedule(20, s);  // window 2..14: one update, at 14
  EXPECT_EQ(sched.fraction(13), 0.0);
  EXPECT_EQ(sched.fraction(14), 1.0);
  EXPECT_LE(sched.end_step(), 20);
  const auto long_run = nas::agp_schedule(1000, s);  // 100..700 every 50
  EXPECT_TRUE(long_run.updates_at(150));
  EXPECT_EQ(long_run.end_step(), 700);
}

class PrunedTraining : public ::testing::TestWithParam<const char*> {};

TEST_P(PrunedTraining, PrunedBlocksStayZeroAndReachTheTarget) {
  Fixture f;
  tinynas::testing::TempDir dir;
  auto sub = space::extract_subnet(f.supernet, f.arch);
  CheckingHooks hooks(compress::prunable_layers(sub, f.layout, f.sparse),
                      space::to_string(f.sparse, f.layout),
                      nas::AgpSettings::from(small_recipe(GetParam()).sparsenas));
  train::SubnetTrainer trainer(f.options(small_recipe(GetParam()), dir.path(), false), f.sets,
                               f.layout, sub, f.group, &hooks);
  ASSERT_EQ(trainer.total_steps(), 16);
  const auto r = trainer.run();
  EXPECT_EQ(r.steps, 16);
  EXPECT_EQ(hooks.zero_checks, 16 * int(hooks.masks().size()));
  // T = 16: t0 = 1, last = 8, Δt = 2: updates at 1 (fraction 0: nothing pruned yet), then
  // 3 (0.70), 5 (0.96) and 7 (1).
  EXPECT_EQ(hooks.changed_at, (std::vector<std::int64_t>{3, 5, 7}));
  const auto s = hooks.summary();
  EXPECT_GT(s.target_blocks, 0);
  EXPECT_EQ(s.zero_blocks, s.target_blocks);
  // The checkpoint holds the masks and the identity of what was trained.
  const auto info = train::read_checkpoint(*train::CheckpointDir(dir.path()).latest()).info;
  EXPECT_EQ(info.step, 16);
  EXPECT_NE(info.subnet.find(space::to_string(f.sparse, f.layout)), std::string::npos);
  EXPECT_GE(trainer.evaluate().accuracy(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, PrunedTraining, ::testing::Values("sgd", "adamw"));

TEST(PrunedTrainingResume, StoppedAndResumedEqualsUninterrupted) {
  Fixture f;
  tinynas::testing::TempDir dir;
  const auto recipe = small_recipe("sgd");
  auto train_run = [&](const std::string& out, std::int64_t max_steps, bool resume) {
    auto r = recipe;
    r.train.max_steps = max_steps;
    auto sub = space::extract_subnet(f.supernet, f.arch);
    nas::AgpHooks hooks(compress::prunable_layers(sub, f.layout, f.sparse),
                        space::to_string(f.sparse, f.layout), nas::AgpSettings::from(r.sparsenas));
    train::SubnetTrainer trainer(f.options(r, dir.file(out), resume), f.sets, f.layout, sub,
                                 f.group, &hooks);
    trainer.run();
    std::vector<torch::Tensor> state;
    for (const auto& p : sub->parameters()) state.push_back(p.detach().clone());
    for (const auto& b : sub->buffers()) state.push_back(b.clone());
    for (std::size_t i = 0; i < hooks.masks().size(); ++i) state.push_back(hooks.masks().mask(i).clone());
    return state;
  };
  const auto straight = train_run("straight", 0, false);
  train_run("stopped", 4, false);  // step 4 lies between the updates at 3 and 5
  ASSERT_EQ(train::read_checkpoint(*train::CheckpointDir(dir.file("stopped")).latest()).info.step, 4);
  const auto resumed = train_run("stopped", 0, true);
  ASSERT_EQ(straight.size(), resumed.size());
  for (std::size_t i = 0; i < straight.size(); ++i)
    EXPECT_TRUE(torch::equal(straight[i], resumed[i])) << "tensor " << i;

  // Resuming under another sparse config is refused, naming the checkpoint.
  auto sub = space::extract_subnet(f.supernet, f.arch);
  const auto other = some_sparse(f.layout, 8);
  nas::AgpHooks hooks(compress::prunable_layers(sub, f.layout, other),
                      space::to_string(other, f.layout), nas::AgpSettings::from(recipe.sparsenas));
  train::SubnetTrainer trainer(f.options(recipe, dir.file("stopped"), true), f.sets, f.layout, sub,
                               f.group, &hooks);
  const auto msg = tinynas::testing::error_of([&] { trainer.run(); });
  EXPECT_NE(msg.find("ckpt-000000016.json: trained subnet "), std::string::npos) << msg;
}
