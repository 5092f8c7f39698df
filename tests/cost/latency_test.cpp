#include "tinynas/cost/latency.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/cost.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/space/arch.h"

using namespace tinynas;

namespace {

cost::MeasuredOp row(const std::string& key, const std::string& family, std::vector<double> x, double y) {
  cost::MeasuredOp m;
  m.features.key = key;
  m.features.family = family;
  m.features.names = {"1", "macs", "outputs"};
  m.features.values = std::move(x);
  m.instructions = std::int64_t(y);
  return m;
}

// Rows of an exact linear law: 300 + 1.5 * macs + 20 * outputs.
std::vector<cost::MeasuredOp> exact_rows(const std::string& key, const std::string& family) {
  std::vector<cost::MeasuredOp> rows;
  core::Rng rng(7);
  for (int i = 0; i < 12; ++i) {
    const double macs = 2.0 * double(500 + rng.uniform_int(100000)), outputs = double(10 + rng.uniform_int(5000));
    rows.push_back(row(key, family, {1, macs, outputs}, 300 + 1.5 * macs + 20 * outputs));
  }
  return rows;
}

TEST(LatencyFit, RecoversAnExactLinearLaw) {
  const auto t = cost::fit_latency_table(exact_rows("conv", "conv"), 12.0);
  const auto& f = t.variants.at("conv");
  ASSERT_EQ(f.coef.size(), 3u);
  EXPECT_NEAR(f.coef[0], 300, 1e-3);
  EXPECT_NEAR(f.coef[1], 1.5, 1e-6);
  EXPECT_NEAR(f.coef[2], 20, 1e-4);
  EXPECT_LT(f.mape, 1e-6);
  EXPECT_EQ(f.rows, 12);
  EXPECT_EQ(t.per_op, 12.0);
  EXPECT_NEAR(cost::predict_op_instructions(t, row("conv", "conv", {1, 1000, 100}, 0).features), 300 + 1500 + 2000,
              1e-3);
}

TEST(LatencyFit, CollinearFeaturesStillFitTheRows) {
  // outputs = macs / 100 in every row: no unique solution, the ridge picks one that fits.
  std::vector<cost::MeasuredOp> rows;
  for (int i = 1; i <= 8; ++i) rows.push_back(row("linear", "linear", {1, 100.0 * i * i, 1.0 * i * i}, 50 + 400.0 * i * i));
  const auto t = cost::fit_latency_table(rows, 0);
  EXPECT_LT(t.variants.at("linear").mape, 1e-4);
}

TEST(LatencyFit, AnUnmeasuredVariantFallsBackToItsFamily) {
  auto rows = exact_rows("conv depthwise 3x3/1", "conv depthwise");
  const auto t = cost::fit_latency_table(rows, 0);
  auto f = row("conv depthwise 5x5/2", "conv depthwise", {1, 1000, 100}, 0).features;
  EXPECT_NEAR(cost::predict_op_instructions(t, f), 3800, 1e-2);
  f.key = f.family = "conv 1x1 sparse";
  const std::string e = tinynas::testing::error_of([&] { cost::predict_op_instructions(t, f); });
  EXPECT_NE(e.find("no measurements of a 'conv 1x1 sparse' op"), std::string::npos) << e;
}

TEST(LatencyFit, PredictionsAreNeverNegative) {
  std::vector<cost::MeasuredOp> rows;
  for (int i = 1; i <= 6; ++i) rows.push_back(row("add", "add", {1, double(i), double(i)}, 10.0 * i - 30));
  const auto t = cost::fit_latency_table(rows, 0);
  EXPECT_EQ(cost::predict_op_instructions(t, row("add", "add", {1, 0, 0}, 0).features), 0.0);
}

TEST(LatencyTable, JsonRoundTripsAndRejectsBadFiles) {
  auto t = cost::fit_latency_table(exact_rows("conv", "conv"), 9.5);
  t.target = "m7", t.cpu = "cortex-m7", t.board = "mps2-an500", t.runtime_hash = "0123", t.measured = "test";
  t.models = 3;
  const auto back = cost::LatencyTable::from_json(t.to_json(), "t.json");
  EXPECT_EQ(back.to_json(), t.to_json());
  auto j = t.to_json();
  j["version"] = 99;
  std::string e = tinynas::testing::error_of([&] { cost::LatencyTable::from_json(j, "t.json"); });
  EXPECT_NE(e.find("t.json"), std::string::npos) << e;
  EXPECT_NE(e.find("version 99"), std::string::npos) << e;
  j = t.to_json();
  j["variants"]["conv"]["coef"] = core::Json::array();
  e = tinynas::testing::error_of([&] { cost::LatencyTable::from_json(j, "t.json"); });
  EXPECT_NE(e.find("variants.conv"), std::string::npos) << e;
}

TEST(LatencyTable, RuntimeHashDependsOnNamesAndContentsNotOrder) {
  const auto a = cost::runtime_source_hash({{"a.c", "x"}, {"b.c", "y"}});
  EXPECT_EQ(a, cost::runtime_source_hash({{"b.c", "y"}, {"a.c", "x"}}));
  EXPECT_NE(a, cost::runtime_source_hash({{"a.c", "y"}, {"b.c", "x"}}));
  EXPECT_NE(a, cost::runtime_source_hash({{"a.c", "xb.c"}, {"", "y"}}));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, "368d988143a1bdf5");  // pinned: the shipped tables store values of this hash
}

// The shipped table must be measured on this runtime: after a kernel change, run
// tools/measure_latency.sh.
TEST(BuiltinLatencyTable, IsCurrentForTheRuntimeSources) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : std::filesystem::directory_iterator(tinynas::testing::source_dir() + "/src/runtime")) {
    const auto ext = e.path().extension();
    if (ext == ".c" || ext == ".h") files.emplace_back(e.path().filename().string(), core::read_text_file(e.path().string()));
  }
  ASSERT_FALSE(files.empty());
  for (const char* target : {"m7", "m4"}) {
    const auto& t = cost::builtin_latency_table(target);
    EXPECT_EQ(t.runtime_hash, cost::runtime_source_hash(files))
        << "the " << target << " latency table is stale: re-measure with tools/measure_latency.sh";
    EXPECT_EQ(t.target, target);
  }
  const std::string e = tinynas::testing::error_of([] { cost::builtin_latency_table("m5"); });
  EXPECT_NE(e.find("no latency table for target 'm5'"), std::string::npos) << e;
}

// Every shipped space's kernels are in the tables (no "no measurements" on any path).
TEST(BuiltinLatencyTable, CoversEveryShippedSpace) {
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    const auto def = space::load_space(file);
    const auto layout = tinynas::testing::default_layout(def, {3, 32, 32}, 10);
    const auto choices = space::sparse_choices({0.0, 0.5, 0.9}, {2, 4});
    core::Rng rng(3);
    for (int i = 0; i < 40; ++i) {
      const auto arch = space::sample_arch(layout, rng);
      const auto sparse = space::sample_sparse(layout, choices, rng);
      for (const char* target : {"m7", "m4"}) {
        cost::CostOptions co;
        co.target = target;
        const auto c = cost::evaluate_path(layout, arch, &sparse, co);
        EXPECT_GT(c.instructions, c.effective_macs / 2) << file;
        EXPECT_EQ(c.latency_target, target);
      }
    }
  }
}

TEST(Limits, LatencyBudgetIsCheckedWhenSet) {
  cost::Cost c;
  c.peak_sram = 10, c.flash = 10, c.instructions = 1000000;
  auto l = cost::Limits::from_kb(1, 1, 0, 0, 216);
  EXPECT_TRUE(cost::fits(c, l));
  l = cost::Limits::from_kb(1, 1, 0, 4.0, 216);  // 864000 instructions
  EXPECT_EQ(l.instructions, 864000);
  EXPECT_FALSE(cost::fits(c, l));
  EXPECT_TRUE(cost::fits(c, l.memory_only()));
  EXPECT_NEAR(c.latency_ms(250), 4.0, 1e-12);
}

TEST(Latency, NoPredictionWhenTurnedOff) {
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer-normal.yaml");
  const auto layout = tinynas::testing::default_layout(def);
  core::Rng rng(1);
  cost::CostOptions co;
  co.latency = false;
  const auto c = cost::evaluate_path(layout, space::sample_arch(layout, rng), nullptr, co);
  EXPECT_EQ(c.instructions, 0);
  for (const auto& op : c.ops) EXPECT_EQ(op.instructions, 0);
}

// A dense kernel multiplies the pruned zeros too: its prediction follows the layer's shape,
// not its sparsity (a coded one's falls with it).
TEST(Latency, DenseKernelsCostTheSameAtAnySparsity) {
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer-normal.yaml");
  const auto layout = tinynas::testing::default_layout(def);
  core::Rng rng(2);
  const auto arch = space::sample_arch(layout, rng);
  auto cost_at = [&](double ratio, cost::StoragePolicy policy) {
    const auto sparse = space::sample_sparse(layout, space::sparse_choices({ratio}, {4}), rng);
    cost::CostOptions co;
    co.storage = policy;
    return cost::evaluate_path(layout, arch, &sparse, co);
  };
  const auto d30 = cost_at(0.3, cost::StoragePolicy::dense), d90 = cost_at(0.9, cost::StoragePolicy::dense);
  const auto s30 = cost_at(0.3, cost::StoragePolicy::sparse), s90 = cost_at(0.9, cost::StoragePolicy::sparse);
  int prunable = 0;
  for (std::size_t i = 0; i < d30.ops.size(); ++i) {
    if (!d30.ops[i].prunable) continue;
    ++prunable;
    EXPECT_EQ(d30.ops[i].instructions, d90.ops[i].instructions) << d30.ops[i].name;
    EXPECT_LT(s90.ops[i].instructions, s30.ops[i].instructions) << s30.ops[i].name;
  }
  EXPECT_GT(prunable, 0);
}

}  // namespace
