// The exported C project: it compiles with -std=c99 -Wall -Wextra -Werror, the host program
// reproduces the integer evaluation bit for bit, the Cortex-M7 and Cortex-M4 builds under
// QEMU print the same logits, and the linked model data and arena equal the cost model's
// flash and peak SRAM, on models of several spaces; the per-op profile adds up to the
// whole inference. Re-exporting replaces a project only when complete. The QEMU tests
// fail (they do not skip) when arm-none-eabi-gcc or qemu-system-arm is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

// The Cortex-M tests need the cross toolchain and QEMU: missing, they fail.
#define REQUIRE_CORTEX_M_TOOLS()                                                                   \
  for (const char* tool : {"arm-none-eabi-gcc", "qemu-system-arm"})                               \
  ASSERT_TRUE(have(tool)) << tool << " is not installed (tools/setup.sh installs it)"

// The `image` lines of a program's output.
std::vector<std::string> image_lines(const std::string& output_file) {
  std::vector<std::string> lines;
  std::istringstream in(core::read_text_file(output_file));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("image ", 0) == 0) lines.push_back(line);
  return lines;
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
  // sources under src/, named after the model's C identifier
  for (const char* f : {"src/a_b_q_x_model.h", "src/a_b_q_x_model.c", "src/app/app_model.h", "model.tnnq",
                        "export.json", "Makefile", "CMakeLists.txt", "src/app/main_host.c", "src/app/main_m7.c",
                        "src/app/startup_m7.c", "src/app/mps2.ld", "README.md", "src/runtime/tnn_model.c",
                        "src/runtime/tnn_model.h", "src/runtime/tnn_model_format.h", "src/runtime/tnn_sparse.c",
                        "zephyr/module.yml", "zephyr/CMakeLists.txt", "zephyr/Kconfig",
                        "cmake/tinynas_runtime.cmake"})
    EXPECT_TRUE(core::is_regular_file(dir + "/" + f)) << f;
  const std::string model_c = core::read_text_file(dir + "/src/a_b_q_x_model.c");
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
  // build outputs under build/ only
  EXPECT_TRUE(core::is_regular_file(dir + "/build/classify"));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_TRUE(e.is_directory() || e.path().filename() == "Makefile" || e.path().filename() == "CMakeLists.txt" ||
                e.path().filename() == "README.md" || e.path().filename() == "model.tnnq" ||
                e.path().filename() == "export.json")
        << "unexpected in the project: " << e.path();
}

// The C names: every symbol, macro, guard, file and target of a model carries its
// identifier, so two models link into one firmware (the firmware test builds one).
TEST(Project, ModelNamesAreCIdentifiers) {
  EXPECT_EQ(exporter::model_identifier("mnist"), "mnist");
  EXPECT_EQ(exporter::model_identifier("My Net-v2.1"), "my_net_v2_1");
  EXPECT_EQ(exporter::model_identifier("__a__b__"), "a_b");
  EXPECT_EQ(exporter::model_identifier("3x3"), "m3x3");
  EXPECT_EQ(exporter::model_identifier(""), "model");
  EXPECT_EQ(exporter::model_identifier("?!/"), "model");
  EXPECT_EQ(exporter::model_identifier("TNN"), "tnn_net");
  EXPECT_EQ(exporter::model_identifier("\xc3\xa9t\xc3\xa9"), "t");
  EXPECT_EQ(exporter::model_identifier(std::string(100, 'x')), std::string(40, 'x'));
  EXPECT_EQ(exporter::model_header_path("My Net"), "src/my_net_model.h");
  EXPECT_EQ(exporter::model_source_path("My Net"), "src/my_net_model.c");

  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 6, 0);
  const auto data = exporter::build_model_data(model);
  const std::string h = exporter::model_header_source(model, data, "Alpha 1");
  const std::string c = exporter::model_data_source(model, data, "Alpha 1");
  EXPECT_NE(h.find("#ifndef ALPHA_1_MODEL_H\n#define ALPHA_1_MODEL_H\n"), std::string::npos) << h;
  EXPECT_NE(h.find("#define ALPHA_1_MODEL_NAME \"Alpha 1\"\n"), std::string::npos) << h;
  EXPECT_NE(h.find("extern const uint32_t alpha_1_model_data[ALPHA_1_MODEL_DATA_WORDS];"), std::string::npos) << h;
  EXPECT_NE(c.find("#include \"alpha_1_model.h\""), std::string::npos);
  EXPECT_NE(c.find("const uint32_t alpha_1_model_data[ALPHA_1_MODEL_DATA_WORDS] = {"), std::string::npos);
  for (const std::string& text : {h, c}) {
    EXPECT_EQ(text.find("TNN_MODEL_"), std::string::npos);
    EXPECT_EQ(text.find("tnn_model_data"), std::string::npos);
  }
  const std::string app = exporter::app_model_header_source("Alpha 1");
  EXPECT_NE(app.find("#include \"alpha_1_model.h\""), std::string::npos) << app;
  EXPECT_NE(app.find("#define APP_MODEL_DATA alpha_1_model_data\n"), std::string::npos) << app;

  // the CMake and Zephyr files name the model's targets and Kconfig symbol
  tinynas::testing::TempDir tmp;
  exporter::ProjectOptions po;
  po.name = "Alpha 1";
  const auto r = exporter::export_project(model, tmp.file("p"), po);
  EXPECT_EQ(r.manifest.at("c_name").as_string(), "alpha_1");
  EXPECT_EQ(r.manifest.at("name").as_string(), "Alpha 1");
  const std::string cm = core::read_text_file(tmp.file("p/CMakeLists.txt"));
  EXPECT_NE(cm.find("add_library(alpha_1_model STATIC"), std::string::npos);
  EXPECT_NE(cm.find("tinynas_runtime_claim(alpha_1 "), std::string::npos) << cm;
  EXPECT_EQ(cm.find("@MODEL_ID"), std::string::npos);
  const std::string yml = core::read_text_file(tmp.file("p/zephyr/module.yml"));
  EXPECT_NE(yml.find("\nname: alpha_1_model\n"), std::string::npos) << yml;
  EXPECT_NE(core::read_text_file(tmp.file("p/zephyr/Kconfig")).find("config TINYNAS_ALPHA_1_MODEL\n"), std::string::npos);
  const std::string zcm = core::read_text_file(tmp.file("p/zephyr/CMakeLists.txt"));
  EXPECT_NE(zcm.find("if(CONFIG_TINYNAS_ALPHA_1_MODEL)"), std::string::npos);
  // the runtime's fingerprint and claim: one file, included by both
  EXPECT_NE(zcm.find("tinynas_runtime_claim(alpha_1 "), std::string::npos) << zcm;
  EXPECT_NE(core::read_text_file(tmp.file("p/cmake/tinynas_runtime.cmake")).find("function(tinynas_runtime_claim "),
            std::string::npos);
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
  fs::copy_file(tmp.file("b/src/model_model.c"), tmp.file("a/src/model_model.c"), fs::copy_options::overwrite_existing);
  exporter::VerifyOptions o;
  o.qemu = false;
  const auto rep = exporter::verify_project(tmp.file("a"), o);
  EXPECT_FALSE(rep.ok());
  EXPECT_GT(rep.host_mismatches, 0);
}

// A project of an older layout (export.json version 1: sources at the top, fixed names) is
// refused before anything is built, with what to do.
TEST(Project, VerifyRefusesAProjectOfAnOlderLayout) {
  tinynas::testing::TempDir tmp;
  const auto a = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 4, 0);
  exporter::export_project(a, tmp.file("a"), {});
  auto man = core::Json::parse(core::read_text_file(tmp.file("a/export.json")), "export.json");
  EXPECT_EQ(man.at("version").as_int(), exporter::kProjectVersion);
  man["version"] = 1;
  core::write_file_atomic(tmp.file("a/export.json"), man.dump());
  exporter::VerifyOptions o;
  o.qemu = false;
  try {
    exporter::verify_project(tmp.file("a"), o);
    FAIL() << "an older project was verified";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("export.json: version: 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("export it again"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp.file("a/build")));
}

TEST(Project, ReexportReplacesTheDirectoryOnlyWhenComplete) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("proj");
  fs::create_directories(dir);
  std::ofstream(dir + "/stale.txt") << "old";
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 8, 0);
  exporter::export_project(model, dir, {});
  EXPECT_FALSE(fs::exists(dir + "/stale.txt"));
  EXPECT_TRUE(core::is_regular_file(dir + "/src/model_model.c"));
  const std::string before = core::read_text_file(dir + "/src/model_model.c");
  // an invalid model fails before anything is written: the good project stays
  auto bad = model;
  bad.ops[0].multiplier.pop_back();
  EXPECT_THROW(exporter::export_project(bad, dir, {}), std::exception);
  EXPECT_EQ(core::read_text_file(dir + "/src/model_model.c"), before);
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
  const std::string before = core::read_text_file(dir + "/src/model_model.c");

  po.limits = cost::Limits{c.peak_sram, c.flash, c.effective_params};  // exactly at the limits
  const auto at = exporter::export_project(model, dir, po);
  EXPECT_TRUE(at.manifest.at("limits").at("fits").as_bool());

  po.limits = cost::Limits{c.peak_sram - 4, c.flash, c.effective_params};
  const std::string e = tinynas::testing::error_of([&] { exporter::export_project(model, dir, po); });
  EXPECT_NE(e.find("arena (peak SRAM) " + std::to_string(c.peak_sram) + " B exceeds run.sram_kb"), std::string::npos) << e;
  EXPECT_NE(e.find("nothing written"), std::string::npos) << e;
  EXPECT_THROW(exporter::export_project(model, dir, po), exporter::LimitsExceeded);
  EXPECT_EQ(core::read_text_file(dir + "/src/model_model.c"), before);

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
  REQUIRE_CORTEX_M_TOOLS();
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

// export.target: the Makefile's TARGET default and export.json; both builds are there.
TEST(Project, TargetSetsTheMakefileDefault) {
  tinynas::testing::TempDir tmp;
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 5, 0);
  exporter::ProjectOptions po;
  po.target = exporter::McuTarget::m4;
  const auto r = exporter::export_project(model, tmp.file("p"), po);
  EXPECT_EQ(r.manifest.at("target").as_string(), "m4");
  const std::string mk = core::read_text_file(tmp.file("p/Makefile"));
  EXPECT_NE(mk.find("\nTARGET ?= m4\n"), std::string::npos);
  EXPECT_EQ(mk.find("\nTARGET ?= m7\n"), std::string::npos);
  for (const char* f : {"mps2.ld", "main_m7.c", "startup_m7.c"})
    EXPECT_TRUE(core::is_regular_file(tmp.file(std::string("p/src/app/") + f))) << f;
  const std::string h = core::read_text_file(tmp.file("p/src/model_model.h"));
  EXPECT_NE(h.find("#define MODEL_MODEL_OP_COUNT " + std::to_string(model.graph.ops.size()) + " "), std::string::npos);
  EXPECT_EQ(exporter::parse_mcu_target("m7"), exporter::McuTarget::m7);
  const std::string e = tinynas::testing::error_of([] { exporter::parse_mcu_target("m33"); });
  EXPECT_NE(e.find("valid: m7"), std::string::npos) << e;
}

// The Cortex-M4 build (mps2-an386) of the same project: logits identical to the host's and
// to the Cortex-M7's, the linked sizes equal to the cost model's, on models of two spaces,
// pruned and dense.
TEST(Project, CortexM4RunMatchesHostAndM7) {
  REQUIRE_CORTEX_M_TOOLS();
  tinynas::testing::TempDir tmp;
  const auto spaces = tinynas::testing::shipped_spaces();
  const std::vector<std::pair<std::string, int>> cases = {{spaces.front(), 60}, {spaces.back(), 0}};
  int n = 0;
  for (const auto& [file, percent] : cases) {
    SCOPED_TRACE(file);
    const auto model = tinynas::testing::random_quantized_model(file, 40 + std::uint64_t(n), percent);
    const std::string dir = tmp.file("m4 " + std::to_string(n++));
    exporter::ProjectOptions po;
    po.target = exporter::McuTarget::m4;
    const auto r = exporter::export_project(model, dir, po);
    exporter::VerifyOptions o;
    o.random_images = 3;
    o.require_qemu = true;
    const auto m4 = exporter::verify_project(dir, o);  // the project's target
    EXPECT_TRUE(m4.ok()) << (m4.failures.empty() ? "" : m4.failures.front());
    EXPECT_EQ(m4.target, "m4");
    EXPECT_TRUE(m4.qemu_ran);
    EXPECT_EQ(m4.qemu_mismatches, 0);
    EXPECT_EQ(m4.qemu_icount.size(), 3u);
    ASSERT_TRUE(m4.sizes_checked);
    EXPECT_EQ(m4.sizes.model_data, r.data.cost.flash);
    EXPECT_EQ(m4.sizes.arena, r.data.cost.peak_sram);
    EXPECT_GT(m4.sizes.runtime_code, 1000);
    const auto report = core::Json::parse(core::read_text_file(dir + "/verify/report.json"), "report.json");
    EXPECT_EQ(report.at("target").as_string(), "m4");

    o.target = exporter::McuTarget::m7;
    const auto m7 = exporter::verify_project(dir, o);
    EXPECT_TRUE(m7.ok()) << (m7.failures.empty() ? "" : m7.failures.front());
    EXPECT_EQ(m7.target, "m7");
    const auto lines = image_lines(dir + "/verify/m4.txt");
    EXPECT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines, image_lines(dir + "/verify/m7.txt"));
    EXPECT_EQ(lines, image_lines(dir + "/verify/host.txt"));
    // the M4 build is its own: another ELF, compiled for the Cortex-M4
    EXPECT_TRUE(core::is_regular_file(dir + "/build/model_m4.elf"));
    EXPECT_NE(core::read_text_file(dir + "/build/m4/flags").find("-mcpu=cortex-m4"), std::string::npos);
  }
}

// The per-op profile: one line per op, the ops adding up to the whole inference to within
// the measurement's resolution, the MACs of the cost model, report.json's fields.
TEST(Project, ProfileAddsUpToTheWholeInference) {
  REQUIRE_CORTEX_M_TOOLS();
  tinynas::testing::TempDir tmp;
  const auto spaces = tinynas::testing::shipped_spaces();
  int n = 0;
  for (const auto& file : {spaces.front(), spaces.back()}) {
    SCOPED_TRACE(file);
    const auto model = tinynas::testing::random_quantized_model(file, 50 + std::uint64_t(n), n ? 0 : 70);
    const std::string dir = tmp.file("prof " + std::to_string(n++));
    const auto r = exporter::export_project(model, dir, {});
    exporter::VerifyOptions o;
    o.random_images = 2;
    o.require_qemu = true;
    o.profile = true;
    o.mcu_mhz = 100;
    const auto rep = exporter::verify_project(dir, o);
    EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures.front());
    const auto& p = rep.profile;
    ASSERT_TRUE(p.ran);
    ASSERT_EQ(p.ops.size(), model.graph.ops.size());
    ASSERT_FALSE(rep.qemu_icount.empty());
    // image 0 again, the same build: the same count to within one timer tick
    EXPECT_NEAR(double(p.total_instructions), double(rep.qemu_icount.front()), 5);
    EXPECT_GT(p.overhead, 0);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < p.ops.size(); ++i) {
      const auto& op = p.ops[i];
      EXPECT_EQ(op.index, int(i));
      EXPECT_EQ(op.name, model.graph.ops[i].name);
      EXPECT_EQ(op.macs, r.data.cost.ops[i].macs);
      EXPECT_EQ(op.effective_macs, r.data.cost.ops[i].effective_macs);
      EXPECT_GT(op.instructions, 0) << op.name;
      if (op.effective_macs > 0) {
        EXPECT_DOUBLE_EQ(op.instructions_per_mac, double(op.instructions) / double(op.effective_macs));
      } else {
        EXPECT_EQ(op.instructions_per_mac, 0);
      }
      sum += op.instructions;
    }
    EXPECT_EQ(p.op_instructions, sum);
    // the interpreter's loop and one tick per op are all that is not in an op
    EXPECT_LE(sum, p.total_instructions);
    EXPECT_GE(sum, p.total_instructions - p.tolerance);
    EXPECT_LT(p.tolerance, p.total_instructions / 10);
    std::int64_t kinds = 0;
    for (const auto& k : p.kinds) kinds += k.instructions;
    EXPECT_EQ(kinds, sum);
    EXPECT_DOUBLE_EQ(p.milliseconds, double(p.total_instructions) / 1e5);

    const auto report = core::Json::parse(core::read_text_file(dir + "/verify/report.json"), "report.json");
    const auto& j = report.at("profile");
    EXPECT_EQ(j.at("total_instructions").as_int(), p.total_instructions);
    EXPECT_EQ(j.at("op_instructions").as_int(), sum);
    EXPECT_EQ(j.at("mcu_mhz").as_double(), 100);
    EXPECT_NE(j.at("clock_assumption").as_string().find("DWT->CYCCNT"), std::string::npos);
    ASSERT_EQ(j.at("ops").size(), p.ops.size());
    const auto& op0 = j.at("ops").elements().front();
    for (const char* key : {"index", "name", "kind", "kernel", "output", "instructions", "macs", "effective_macs",
                            "instructions_per_mac", "share", "milliseconds"})
      EXPECT_NE(op0.find(key), nullptr) << key;
    EXPECT_EQ(op0.at("instructions").as_int(), p.ops[0].instructions);
    EXPECT_EQ(j.at("kinds").size(), p.kinds.size());
    // the program's own lines, as verify parsed them
    const std::string out = core::read_text_file(dir + "/verify/m7_profile.txt");
    EXPECT_NE(out.find("profile_overhead " + std::to_string(p.overhead) + "\n"), std::string::npos);
    EXPECT_NE(out.find("op 0 " + p.ops[0].kind + " icount " + std::to_string(p.ops[0].instructions) + "\n"),
              std::string::npos);
  }
}
