// Sweep points, records and outputs (nas/sweep.h); the sweep's processes run in the e2e
// script tests/tools/sparsenas.sh.
#include <gtest/gtest.h>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/config/load.h"
#include "tinynas/core/fs.h"
#include "tinynas/nas/sweep.h"
#include "tinynas/space/space.h"

using namespace tinynas;
using tinynas::testing::error_of;

namespace {

config::Recipe quickstart() {
  return config::load_recipe(tinynas::testing::source_dir() + "/recipes/quickstart.yaml");
}

}  // namespace

TEST(Sweep, GridAxesMultiplyAndListKeysTakeOneElementLists) {
  const auto r = quickstart();
  const std::vector<nas::GridAxis> axes = {
      nas::parse_grid_axis("sparsenas.sparsity=[0.5, 0.7,0.9]", r),
      nas::parse_grid_axis("sparsenas.block=2,4", r), nas::parse_grid_axis("train.lr=[0.001]", r)};
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"0.5", "0.7", "0.9"}));
  const auto points = nas::grid_points(axes, r);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].id, "p000");
  EXPECT_EQ(points[0].overrides, (std::vector<std::string>{"sparsenas.sparsity=[0.5]",
                                                           "sparsenas.block=[2]", "train.lr=0.001"}));
  EXPECT_EQ(points[5].overrides[0], "sparsenas.sparsity=[0.9]");
  EXPECT_EQ(points[5].overrides[1], "sparsenas.block=[4]");
  EXPECT_EQ(points[1].label, "sparsity=0.5 block=4 lr=0.001");
  // Every point is a loadable recipe.
  for (const auto& p : points) EXPECT_NO_THROW(config::load_recipe(r.source, p.overrides));

  EXPECT_NE(error_of([&] { nas::parse_grid_axis("sparsenas.sparsty=[0.5]", r); }).find("sparsity"),
            std::string::npos);
  EXPECT_NE(error_of([&] { nas::parse_grid_axis("sparsenas.block", r); }).find("KEY="),
            std::string::npos);
  EXPECT_NE(error_of([&] { nas::parse_grid_axis("sparsenas.block=[]", r); }).find("no values"),
            std::string::npos);
}

TEST(Sweep, RandomPointsAreDistinctFixedSparseConfigs) {
  const auto r = quickstart();
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer-normal.yaml");
  const auto layout = tinynas::testing::default_layout(def);
  const auto a = nas::random_points(5, r, layout, 3);
  const auto b = nas::random_points(5, r, layout, 3);
  ASSERT_EQ(a.size(), 5u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].overrides, b[i].overrides);
    ASSERT_EQ(a[i].overrides.size(), 1u);
    const std::string line = a[i].overrides[0].substr(std::string("sparsenas.sparse=").size());
    EXPECT_NO_THROW(space::parse_sparse(line, layout)) << line;
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(a[i].overrides, a[j].overrides);
  }
}

TEST(Sweep, TableAndParetoPlotsFromQuantRecords) {
  tinynas::testing::TempDir dir;
  const auto r = quickstart();
  const auto points = nas::grid_points({nas::parse_grid_axis("sparsenas.sparsity=[0.5,0.9]", r)}, r);
  core::Json q = core::Json::object();
  q["arch"] = "tf1-n:D0.M0.M0.T0|D0.M0.M0.T0|P0";
  q["sparse"] = "x";
  q["dense_accuracy"] = 0.8;
  q["pruned_accuracy"] = 0.85;
  q["float_accuracy"] = 0.86;
  q["int8_accuracy"] = 0.862;
  q["eval_split"] = "test";
  q["params"] = 100000;
  q["effective_params"] = 50000;
  q["flash"] = 300 * 1024;  // over the 256 KiB limit
  q["peak_sram"] = 40 * 1024;
  q["macs"] = 123456;
  q["achieved_sparsity"] = 0.5;
  const auto done = nas::sweep_row(points[0], &q, r.run, "done");
  EXPECT_FALSE(done.fits);
  const auto failed = nas::sweep_row(points[1], nullptr, r.run, "failed");
  nas::write_sweep_outputs(dir.path(), {done, failed}, r.run);
  const std::string csv = core::read_text_file(dir.path() + "/sweep.csv");
  EXPECT_NE(csv.find("p000,done,sparsity=0.5,tf1-n:D0.M0.M0.T0|D0.M0.M0.T0|P0,x,0.8000,0.8500,"
                     "0.8600,0.8620,-0.0020,test,100000,50000,0.5000,307200,40960,123456,no\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("p001,failed,sparsity=0.9,,,,,,,,,,,,,,,\n"), std::string::npos) << csv;
  const std::string svg = core::read_text_file(dir.path() + "/pareto_flash.svg");
  EXPECT_NE(svg.find("flash limit"), std::string::npos);
  EXPECT_NE(svg.find("86.20%"), std::string::npos);
  EXPECT_TRUE(core::is_regular_file(dir.path() + "/pareto_sram.svg"));
}

TEST(Sweep, ResumeKeepsThePointsAndMayAddSome) {
  const auto r = quickstart();
  const auto two = nas::grid_points({nas::parse_grid_axis("sparsenas.sparsity=[0.5,0.9]", r)}, r);
  const auto three = nas::grid_points({nas::parse_grid_axis("sparsenas.sparsity=[0.5,0.9,0.95]", r)}, r);
  const auto other = nas::grid_points({nas::parse_grid_axis("sparsenas.sparsity=[0.5,0.7]", r)}, r);
  const std::vector<std::string> sets = {"sparsenas.epochs=1"};
  const auto saved = nas::sweep_json(two, sets);
  EXPECT_NO_THROW(nas::check_sweep_resume(saved, two, sets, "sweep.json"));
  EXPECT_NO_THROW(nas::check_sweep_resume(saved, three, sets, "sweep.json"));
  const std::string e = error_of([&] { nas::check_sweep_resume(saved, other, sets, "sweep.json"); });
  EXPECT_NE(e.find("point p001 was 'sparsenas.sparsity=[0.9]'"), std::string::npos) << e;
  EXPECT_FALSE(error_of([&] { nas::check_sweep_resume(nas::sweep_json(three, sets), two, sets, "s"); }).empty());
  const std::string s = error_of([&] { nas::check_sweep_resume(saved, two, {"quant.calibration=percentile"}, "sweep.json"); });
  EXPECT_NE(s.find("must keep its settings"), std::string::npos) << s;
}
