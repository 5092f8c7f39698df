// `tinynas latency measure|check|show`: the latency tables of the cost model
// (cost/latency.h), measured on our kernels under QEMU (export/latency_measure.h).
#include <cstdio>
#include <filesystem>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/core/text.h"
#include "tinynas/export/latency_measure.h"

namespace tinynas::cli {
namespace {

constexpr std::uint64_t kMeasureSeed = 1, kCheckSeed = 2;

// A scratch directory removed on every exit path.
struct ScratchDir {
  std::string path;
  explicit ScratchDir(const std::string& given) {
    if (!given.empty()) {
      path = given;
      std::filesystem::create_directories(path);
      keep = true;
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "tinynas-latency-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw core::Error("cannot create a temporary directory in " + tmpl);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!keep) std::filesystem::remove_all(path, ec);
  }
  bool keep = false;
};

exporter::LatencyBenchOptions bench_options(const ParsedArgs& a, const std::string& work) {
  exporter::LatencyBenchOptions b;
  b.target = exporter::parse_mcu_target(a.get("--target", "m7"));
  b.work_dir = work;
  b.log = [](const std::string& s) { std::printf("%s\n", s.c_str()), std::fflush(stdout); };
  return b;
}

exporter::LatencySource source_of(const std::string& recipe, const ParsedArgs& a) {
  const SpaceContext ctx = load_space_context(recipe, a);
  return exporter::latency_source(ctx.recipe, ctx.input, ctx.classes);
}

cost::LatencyTable table_of(const ParsedArgs& a) {
  if (!a.has("--table")) return cost::builtin_latency_table(a.get("--target", "m7"));
  const std::string f = a.get("--table");
  return cost::LatencyTable::from_json(core::Json::parse(core::read_text_file(f), f), f);
}

int run_measure(const std::vector<std::string>& args) {
  const auto a = parse_args(args, {{"--models", true, false}, {"--seed", true, false}, {"--target", true, false},
                                   {"-o", true, false}, {"--work", true, false}, {"--set", true, true},
                                   {"--rows", true, false}},
                            1, 64);
  const std::string out = a.get("-o");
  if (out.empty()) throw UsageError("-o FILE is required (the shipped tables: src/cost/latency/<target>.json)");
  exporter::LatencyMeasureOptions o;
  for (const auto& r : a.positional) o.sources.push_back(source_of(r, a));
  o.models_per_source = int(a.get_int("--models", 12, 1, 100000));
  o.seed = std::uint64_t(a.get_int("--seed", kMeasureSeed, 0, 1LL << 53));
  const ScratchDir work(a.get("--work"));
  o.bench = bench_options(a, work.path);
  const auto m = exporter::measure_latency_table(o);
  const cost::LatencyTable& t = m.table;
  core::write_file_atomic(out, t.to_json().dump_pretty() + "\n");
  if (a.has("--rows")) core::write_file_atomic(a.get("--rows"), exporter::measured_ops_csv(m.ops));
  std::printf("%s: %d models, %zu kernel variants, runtime %s\n", out.c_str(), t.models, t.variants.size(),
              t.runtime_hash.c_str());
  for (const auto& [key, f] : t.variants)
    std::printf("  %-32s %5d ops  fit error mean %5.2f%%  max %6.2f%%\n", key.c_str(), f.rows, 100 * f.mape,
                100 * f.max_ape);
  return 0;
}

int run_check(const std::vector<std::string>& args) {
  const auto a = parse_args(args, {{"--models", true, false}, {"--seed", true, false}, {"--target", true, false},
                                   {"--table", true, false}, {"--max-mape", true, false}, {"--min-tau", true, false},
                                   {"--work", true, false}, {"--set", true, true}, {"--csv", true, false}},
                            1, 1);
  const cost::LatencyTable table = table_of(a);
  const auto src = source_of(a.positional[0], a);
  const int models = int(a.get_int("--models", 50, 1, 100000));
  const ScratchDir work(a.get("--work"));
  const auto c = exporter::check_latency(table, src, models, std::uint64_t(a.get_int("--seed", kCheckSeed, 0, 1LL << 53)),
                                         bench_options(a, work.path));
  if (a.has("--csv")) {
    std::string csv = "arch,sparse,predicted,measured,ape\n";
    for (const auto& r : c.rows)
      csv += "\"" + r.arch + "\",\"" + r.sparse + "\"," + std::to_string(r.predicted) + "," +
             std::to_string(r.measured) + "," + core::format_number("%.6f", r.ape) + "\n";
    core::write_file_atomic(a.get("--csv"), csv);
  }
  const double max_mape = a.get_double("--max-mape", 5.0, 0, 1e9), min_tau = a.get_double("--min-tau", 0.9, -1, 1);
  std::printf("%d models of %s on %s: mean abs. error %.2f%% (max %.2f%%), Kendall tau %.3f, prediction %.0f us "
              "per candidate\n",
              models, src.name.c_str(), table.cpu.c_str(), 100 * c.mape, 100 * c.max_ape, c.kendall_tau,
              c.predict_us);
  const bool ok = 100 * c.mape <= max_mape && c.kendall_tau >= min_tau;
  if (!ok)
    std::printf("FAILED: wanted mean error <= %g%% and tau >= %g\n", max_mape, min_tau);
  return ok ? 0 : 1;
}

int run_show(const std::vector<std::string>& args) {
  const auto a = parse_args(args, {{"--target", true, false}, {"--table", true, false}}, 0, 0);
  const cost::LatencyTable t = table_of(a);
  const std::string now = exporter::embedded_runtime_hash();
  std::printf("latency table %s (%s, QEMU %s): %s\n", t.target.c_str(), t.cpu.c_str(), t.board.c_str(),
              t.measured.c_str());
  std::printf("runtime %s: %s\n", t.runtime_hash.c_str(),
              t.runtime_hash == now ? "current"
                                    : ("STALE: this tinynas's runtime is " + now +
                                       "; re-measure with tools/measure_latency.sh")
                                          .c_str());
  std::printf("interpreter: %.1f instructions per op\n", t.per_op);
  for (const auto& [key, f] : t.variants)
    std::printf("  %-32s %5d ops  fit error mean %5.2f%%  max %6.2f%%\n", key.c_str(), f.rows, 100 * f.mape,
                100 * f.max_ape);
  return t.runtime_hash == now ? 0 : 1;
}

const char* kMeasureHelp =
    "Measures the latency table of a Cortex-M target on this tinynas's runtime: --models untrained\n"
    "int8 models of each RECIPE's space (paths and sparse configs within its run.sram_kb /\n"
    "run.flash_kb, half of them from supernets drawn from the space), each built for the target\n"
    "and run under qemu-system-arm -icount with the per-op profile; a least-squares fit per\n"
    "kernel variant. Writes FILE (tools/measure_latency.sh rebuilds the shipped tables).\n\n"
    "  --models N      models per recipe (default 12)\n"
    "  --seed S        (default 1)\n"
    "  --target T      m7 (default, mps2-an500) or m4 (mps2-an386)\n"
    "  -o FILE         the table to write\n"
    "  --work DIR      keep the build directory there (default: a temporary one)\n"
    "  --rows FILE     also write every measured op (CSV: variant, instructions, features)\n";
const char* kCheckHelp =
    "Checks a latency table against the target: N fresh untrained models of RECIPE's space\n"
    "(within its memory limits), each predicted as the search predicts it (the sparse config's\n"
    "pruned-block counts) and measured under QEMU. Prints the mean absolute percentage error,\n"
    "Kendall's tau and the prediction time; exits 1 when over --max-mape or under --min-tau.\n\n"
    "  --models N      (default 50)\n"
    "  --seed S        (default 2; measure uses 1)\n"
    "  --target T      m7 (default) or m4: the built-in table and the board\n"
    "  --table FILE    check this table instead of the built-in one\n"
    "  --max-mape P    percent (default 5)\n"
    "  --min-tau T     (default 0.9)\n"
    "  --csv FILE      per-model predicted and measured instructions\n";
const char* kShowHelp =
    "Prints a latency table (the built-in one of --target, or --table FILE): what was measured,\n"
    "each kernel variant's fit, and whether it was measured on this tinynas's runtime (exit 1\n"
    "when stale).\n";

}  // namespace

Command latency_measure_command() {
  return {{"latency", "measure"}, "RECIPE... -o FILE [--models N] [--seed S] [--target m7|m4] [--work DIR] [--rows FILE]",
          "measure a latency table of the runtime's kernels under QEMU", kMeasureHelp, run_measure};
}
Command latency_check_command() {
  return {{"latency", "check"},
          "RECIPE [--models N] [--seed S] [--target m7|m4] [--table FILE] [--max-mape P] [--min-tau T] [--csv FILE]",
          "predicted vs measured latency of random models", kCheckHelp, run_check};
}
Command latency_show_command() {
  return {{"latency", "show"}, "[--target m7|m4] [--table FILE]", "print a latency table and whether it is current",
          kShowHelp, run_show};
}

}  // namespace tinynas::cli
