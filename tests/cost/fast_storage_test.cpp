// Storage policy `fast` (cost/sparse_coding.h): each prunable layer in the form the latency
// model predicts faster, back to the smaller form under a flash budget. The expectations
// are read off the forced policies' own predictions, so they hold for any latency table.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "space/fixtures.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/cost.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/describe.h"

using namespace tinynas;
using cost::Storage;
using cost::StoragePolicy;

namespace {

// Sparse paths of the quickstart's space, 10% to 90% block sparsity: some layers code
// slower than dense (depthwise at low sparsity), most faster.
std::vector<space::Graph> sampled_graphs(int n) {
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer-normal.yaml");
  const auto layout = tinynas::testing::default_layout(def);
  const auto choices = space::sparse_choices({0.1, 0.3, 0.5, 0.75, 0.9}, {2, 4});
  core::Rng rng(5);
  std::vector<space::Graph> out;
  for (int i = 0; i < n; ++i) {
    const auto arch = space::sample_arch(layout, rng);
    const auto sparse = space::sample_sparse(layout, choices, rng);
    out.push_back(space::describe_path(layout, arch, &sparse));
  }
  return out;
}

cost::Cost evaluate(const space::Graph& g, StoragePolicy policy, std::int64_t flash_budget = 0) {
  cost::CostOptions o;
  o.storage = policy;
  o.flash_budget = flash_budget;
  return cost::evaluate(g, o);
}

std::vector<Storage> storages(const cost::Cost& c) {
  std::vector<Storage> s;
  for (const auto& op : c.ops) s.push_back(op.storage);
  return s;
}

}  // namespace

TEST(FastStorage, EachLayerTakesItsFasterForm) {
  int larger_but_faster = 0;
  for (const auto& g : sampled_graphs(30)) {
    const auto fast = evaluate(g, StoragePolicy::fastest), small = evaluate(g, StoragePolicy::automatic);
    const auto dense = evaluate(g, StoragePolicy::dense), coded = evaluate(g, StoragePolicy::sparse);
    for (std::size_t i = 0; i < g.ops.size(); ++i) {
      SCOPED_TRACE(g.ops[i].name);
      if (!fast.ops[i].prunable) {
        EXPECT_EQ(fast.ops[i].storage, Storage::dense);
        continue;
      }
      const double td = dense.ops[i].instructions, ts = coded.ops[i].instructions;
      const Storage want = td < ts ? Storage::dense : ts < td ? Storage::sparse : small.ops[i].storage;
      EXPECT_EQ(fast.ops[i].storage, want);
      EXPECT_EQ(fast.ops[i].instructions, std::min(td, ts));
      EXPECT_EQ(fast.ops[i].scratch_bytes, (want == Storage::sparse ? coded : dense).ops[i].scratch_bytes);
      larger_but_faster += want != small.ops[i].storage;
    }
    EXPECT_LE(fast.instructions, small.instructions);
    EXPECT_GE(fast.flash, small.flash);
    // The choice does not depend on whether instructions are reported.
    cost::CostOptions quiet;
    quiet.storage = StoragePolicy::fastest;
    quiet.latency = false;
    EXPECT_EQ(storages(cost::evaluate(g, quiet)), storages(fast));
  }
  EXPECT_GT(larger_but_faster, 0) << "the sample never made speed and size disagree";
}

TEST(FastStorage, FlashBudgetSendsLayersBackToTheSmallerForm) {
  int constrained = 0;
  for (const auto& g : sampled_graphs(30)) {
    const auto free = evaluate(g, StoragePolicy::fastest), small = evaluate(g, StoragePolicy::automatic);
    if (free.flash == small.flash) continue;
    ++constrained;
    const std::int64_t between = (free.flash + small.flash) / 2;
    const auto mid = evaluate(g, StoragePolicy::fastest, between);
    EXPECT_LE(mid.flash, between);
    EXPECT_GE(mid.instructions, free.instructions);
    EXPECT_LE(mid.instructions, small.instructions);
    // Fits whenever auto fits; below that, nothing fits and every layer is the smaller form.
    EXPECT_LE(evaluate(g, StoragePolicy::fastest, small.flash).flash, small.flash);
    EXPECT_EQ(storages(evaluate(g, StoragePolicy::fastest, small.flash - 1)), storages(small));
    // A budget the fastest forms fit changes nothing.
    EXPECT_EQ(storages(evaluate(g, StoragePolicy::fastest, free.flash)), storages(free));
  }
  EXPECT_GT(constrained, 0);
}
