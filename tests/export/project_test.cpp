// The exported C project: it compiles with -std=c99 -Wall -Wextra -Werror, the host program
// reproduces the integer evaluation bit for bit, the Cortex-M7 build under QEMU prints the
// same logits, and the linked model data and arena equal the cost model's flash and peak
// SRAM, on models of several spaces. Re-exporting replaces a project only when complete.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "export/models.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/export/project.h"
#include "tinynas/export/verify.h"

using namespace tinynas;
namespace fs = std::filesystem;

namespace {

bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST(Project, HostBuildIsBitExactWithTheIntegerEvaluation) {
  tinynas::testing::TempDir tmp;
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 21, 60);
  // a directory with a space, named with a trailing slash; a name full of C hazards
  const std::string dir = tmp.file("my proj");
  exporter::ProjectOptions po;
  po.name = "a/*b*/ \"q\" ?\?/ ?\?! \\\nx";
  exporter::export_project(model, dir + "/", po);
  for (const char* f : {"model.h", "model.c", "model.tnnq", "export.json", "Makefile", "main_host.c",
                        "main_m7.c", "startup_m7.c", "mps2_an500.ld", "README.md", "runtime/tnn_model.c",
                        "runtime/tnn_model.h", "runtime/tnn_sparse.c"})
    EXPECT_TRUE(core::is_regular_file(dir + "/" + f)) << f;
  const std::string model_c = core::read_text_file(dir + "/model.c");
  EXPECT_NE(model_c.find("run-length coded"), std::string::npos);
  exporter::VerifyOptions o;
  o.qemu = false;
  o.random_images = 8;
  const auto rep = exporter::verify_project(dir, o);
  EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures.front());
  EXPECT_EQ(rep.images, 8);
  EXPECT_EQ(rep.host_mismatches, 0);
  EXPECT_EQ(rep.qemu_skipped, "disabled");
  EXPECT_TRUE(core::is_regular_file(dir + "/verify/report.json"));
}

// The checks can fail: a model.c whose data no longer matches model.tnnq is caught.
TEST(Project, VerifyCatchesAProjectThatDiffersFromItsModel) {
  tinynas::testing::TempDir tmp;
  const auto a = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 4, 0);
  auto b = a;
  // same graph, other biases of the last op: different logits, same sizes
  for (auto& v : b.ops.back().bias) v += 1000;
  exporter::export_project(a, tmp.file("a"), {});
  exporter::export_project(b, tmp.file("b"), {});
  fs::copy_file(tmp.file("b/model.c"), tmp.file("a/model.c"), fs::copy_options::overwrite_existing);
  exporter::VerifyOptions o;
  o.qemu = false;
  const auto rep = exporter::verify_project(tmp.file("a"), o);
  EXPECT_FALSE(rep.ok());
  EXPECT_GT(rep.host_mismatches, 0);
}

TEST(Project, ReexportReplacesTheDirectoryOnlyWhenComplete) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("proj");
  fs::create_directories(dir);
  std::ofstream(dir + "/stale.txt") << "old";
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 8, 0);
  exporter::export_project(model, dir, {});
  EXPECT_FALSE(fs::exists(dir + "/stale.txt"));
  EXPECT_TRUE(core::is_regular_file(dir + "/model.c"));
  const std::string before = core::read_text_file(dir + "/model.c");
  // an invalid model fails before anything is written: the good project stays
  auto bad = model;
  bad.ops[0].multiplier.pop_back();
  EXPECT_THROW(exporter::export_project(bad, dir, {}), std::exception);
  EXPECT_EQ(core::read_text_file(dir + "/model.c"), before);
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string(), "proj") << "left behind: " << e.path();
}

// Limits are checked on the exact figures: over them, nothing is written (or, when not
// enforced, the project says so in export.json).
TEST(Project, LimitsAreCheckedOnTheExactFigures) {
  tinynas::testing::TempDir tmp;
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 8, 0);
  const std::string dir = tmp.file("proj");
  exporter::ProjectOptions po;
  const auto fit = exporter::export_project(model, dir, po);
  const cost::Cost& c = fit.data.cost;
  const std::string before = core::read_text_file(dir + "/model.c");

  po.limits = cost::Limits{c.peak_sram, c.flash, c.effective_params};  // exactly at the limits
  const auto at = exporter::export_project(model, dir, po);
  EXPECT_TRUE(at.manifest.at("limits").at("fits").as_bool());

  po.limits = cost::Limits{c.peak_sram - 4, c.flash, c.effective_params};
  const std::string e = tinynas::testing::error_of([&] { exporter::export_project(model, dir, po); });
  EXPECT_NE(e.find("arena (peak SRAM) " + std::to_string(c.peak_sram) + " B exceeds run.sram_kb"), std::string::npos) << e;
  EXPECT_NE(e.find("nothing written"), std::string::npos) << e;
  EXPECT_THROW(exporter::export_project(model, dir, po), exporter::LimitsExceeded);
  EXPECT_EQ(core::read_text_file(dir + "/model.c"), before);

  po.limits = cost::Limits{c.peak_sram, c.flash - 4, c.effective_params - 1};
  const auto over = exporter::limits_exceeded(c, *po.limits);
  ASSERT_EQ(over.size(), 2u);
  EXPECT_NE(over[0].find("model data (flash)"), std::string::npos);
  EXPECT_NE(over[1].find("effective parameters"), std::string::npos);
  po.enforce_limits = false;
  exporter::export_project(model, dir, po);
  const auto manifest = core::Json::parse(core::read_text_file(dir + "/export.json"), "export.json");
  const auto& lim = manifest.at("limits");
  EXPECT_FALSE(lim.at("fits").as_bool());
  EXPECT_EQ(lim.at("exceeded").size(), 2u);
  EXPECT_EQ(lim.at("flash_bytes").as_int(), c.flash - 4);
}

// Cortex-M7 under QEMU and the linker's sizes, on a model of each shipped space.
TEST(Project, CortexM7RunMatchesHostAndLinkedSizesMatchTheCostModel) {
  if (!have("arm-none-eabi-gcc") || !have("qemu-system-arm"))
    GTEST_SKIP() << "arm-none-eabi-gcc or qemu-system-arm not installed (tools/setup.sh installs them)";
  tinynas::testing::TempDir tmp;
  int n = 0;
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    SCOPED_TRACE(file);
    const auto model = tinynas::testing::random_quantized_model(file, 30 + std::uint64_t(n), n % 2 ? 0 : 70);
    const std::string dir = tmp.file("m7 " + std::to_string(n++));
    const auto r = exporter::export_project(model, dir, {});
    exporter::VerifyOptions o;
    o.random_images = 3;
    o.require_qemu = true;
    const auto rep = exporter::verify_project(dir, o);
    EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures.front());
    EXPECT_TRUE(rep.qemu_ran);
    EXPECT_EQ(rep.qemu_mismatches, 0);
    ASSERT_TRUE(rep.sizes_checked);
    const auto& s = rep.sizes;
    EXPECT_EQ(s.model_data, r.data.cost.flash);
    EXPECT_EQ(s.arena, r.data.cost.peak_sram);
    EXPECT_GT(s.runtime_code, 1000);
    EXPECT_GT(s.app_code, 0);
    EXPECT_GE(s.sram, s.arena + s.stack);
  }
}
