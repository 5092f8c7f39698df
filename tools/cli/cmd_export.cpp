// tinynas export / verify: the int8 model as a standalone C project for the MCU runtime,
// and the check that the built project computes what the integer evaluation computes.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/sparse_coding.h"
#include "tinynas/data/dataset.h"
#include "tinynas/data/loader.h"
#include "tinynas/export/project.h"
#include "tinynas/export/verify.h"
#include "tinynas/train/evaluate.h"

namespace tinynas::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string run_dir_of(const config::Recipe& r) { return r.run.dir + "/" + r.run.name; }


// --target's value (a wrong one is a usage error).
exporter::McuTarget target_arg(const std::string& value) {
  try {
    return exporter::parse_mcu_target(value);
  } catch (const core::Error& e) {
    throw UsageError(std::string("--target: ") + e.what());
  }
}

int run_export(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true}, {"-o", true, false}, {"--out", true, false},
                             {"--storage", true, false}, {"--name", true, false},
                             {"--sram-kb", true, false}, {"--flash-kb", true, false},
                             {"--params-k", true, false}, {"--ignore-limits", false, false},
                             {"--target", true, false}, {"--latency-ms", true, false}, {"--mhz", true, false}},
                            1, 1);
  const std::string& src = a.positional[0];
  std::string model_file, out_dir, name, storage = "fast", target = "m7";
  double sram_kb = 0, flash_kb = 0, params_k = 0, latency_ms = 0;  // a model file has no limits unless given
  double mhz = 216;
  bool ignore_limits = false;
  if (ends_with(src, ".tnnq")) {
    if (a.has("--set")) throw UsageError("--set needs a recipe, not a model file");
    model_file = src;
    out_dir = a.get("-o", a.get("--out"));
    if (out_dir.empty()) throw UsageError("export " + src + ": name the project directory with -o DIR");
    name = std::filesystem::path(src).stem().string();
  } else {
    const SpaceContext ctx = load_space_context(a);
    model_file = run_dir_of(ctx.recipe) + "/quant/model.tnnq";
    if (!core::is_regular_file(model_file))
      throw core::Error(model_file + " not found: run 'tinynas sparsenas quantize' first");
    out_dir = a.get("-o", a.get("--out", run_dir_of(ctx.recipe) + "/export/" + ctx.recipe.run.name));
    name = ctx.recipe.run.name;
    storage = ctx.recipe.export_.storage;
    sram_kb = ctx.recipe.run.sram_kb;
    flash_kb = ctx.recipe.run.flash_kb;
    params_k = ctx.recipe.run.params_k;
    latency_ms = ctx.recipe.run.latency_ms;
    mhz = ctx.recipe.export_.mcu_mhz;
    ignore_limits = ctx.recipe.export_.ignore_limits;
    target = ctx.recipe.export_.target;
  }
  sram_kb = a.get_double("--sram-kb", sram_kb, 0, 1048576);
  flash_kb = a.get_double("--flash-kb", flash_kb, 0, 1048576);
  params_k = a.get_double("--params-k", params_k, 0, 1e9);
  latency_ms = a.get_double("--latency-ms", latency_ms, 0, 1e9);
  mhz = a.get_double("--mhz", mhz, 1, 10000);
  storage = a.get("--storage", storage);
  exporter::ProjectOptions o;
  o.name = a.get("--name", name);
  o.target = target_arg(a.get("--target", target));
  o.data.storage = cost::parse_storage_policy(storage);
  if (sram_kb > 0 || flash_kb > 0 || params_k > 0 || latency_ms > 0)
    o.limits = cost::Limits::from_kb(sram_kb, flash_kb, params_k, latency_ms, mhz);
  o.enforce_limits = !a.has("--ignore-limits") && !ignore_limits;
  const compress::QuantizedModel model = compress::load_quantized(model_file);
  exporter::ExportResult r;
  try {
    r = exporter::export_project(model, out_dir, o);
  } catch (const exporter::LimitsExceeded& e) {
    // What can help: coded weights need no im2col buffer (less SRAM) and, under auto, are
    // already chosen wherever they are smaller; nothing in export changes the parameters.
    const std::string what = e.what();
    std::string hint;
    if (what.find("peak SRAM") != std::string::npos && storage != "sparse")
      hint += "--storage sparse needs no im2col buffers; ";
    if (what.find("(flash)") != std::string::npos && (storage == "dense" || storage == "sparse"))
      hint += "--storage auto codes exactly the layers where it is smaller; ";
    throw core::Error(what + " (" + hint + "--ignore-limits or export.ignore_limits: true exports it anyway)");
  }
  const auto& d = r.data;
  int sparse = 0, coded = 0;
  for (std::size_t i = 0; i < d.storage.size(); ++i)
    if (d.cost.ops[i].prunable) ++coded, sparse += d.storage[i] == cost::Storage::sparse;
  std::printf("exported %s to %s\n", model_file.c_str(), out_dir.c_str());
  std::printf("  model data %zu B (flash), %d of %d prunable layers run-length coded\n", d.bytes.size(),
              sparse, coded);
  std::printf("  arena %lld B (SRAM; lower bound %lld B, %s; greedy %lld B, head-tail %lld B)\n",
              (long long)d.plan.arena_size, (long long)d.plan.lower_bound, cost::to_string(d.plan.strategy),
              (long long)d.plan.greedy_arena, (long long)d.plan.head_tail_arena);
  if (o.limits) {
    const auto& over = r.limits_exceeded;
    for (const auto& line : over) std::printf("  WARNING: %s (exported anyway: --ignore-limits)\n", line.c_str());
    if (over.empty()) {
      std::string within;
      if (sram_kb > 0) within += ", SRAM " + core::format_number("%g KB", sram_kb);
      if (flash_kb > 0) within += ", flash " + core::format_number("%g KB", flash_kb);
      if (params_k > 0) within += ", " + core::format_number("%gk", params_k) + " effective parameters";
      std::printf("  within the limits: %s (%lld effective parameters)\n", within.c_str() + 2,
                  (long long)d.cost.effective_params);
    }
  }
  std::printf("  build: make -C %s host %s (%s, QEMU %s); check: tinynas verify %s\n", out_dir.c_str(),
              exporter::to_string(o.target), exporter::mcu_cpu(o.target), exporter::mcu_board(o.target),
              out_dir.c_str());
  const std::string id = exporter::model_identifier(o.name);
  std::string id_upper = id;
  for (char& ch : id_upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  std::printf("  firmware: add_subdirectory(%s) and link %s_model (CMake; header %s_model.h), or\n"
              "            west build ... -- -DEXTRA_ZEPHYR_MODULES=%s with CONFIG_TINYNAS_%s_MODEL=y\n",
              out_dir.c_str(), id.c_str(), id.c_str(), out_dir.c_str(), id_upper.c_str());
  return 0;
}

// The first `count` images of the recipe's test split (val without one), quantized.
void load_images(const config::Recipe& recipe, const compress::QuantizedModel& model, int count,
                 exporter::VerifyOptions& o) {
  const data::Datasets sets = data::open_datasets(recipe.data, recipe.source);
  const data::ImageSet& set = sets.test.size() > 0 ? sets.test : sets.val;
  if (set.size() == 0) throw core::Error("verify: the recipe's dataset has no test or val images");
  auto lo = data::make_loader_options(recipe.data, sets.normalization, /*train=*/false, 64,
                                      std::uint64_t(recipe.train.seed));
  data::BatchLoader loader(set, lo);
  loader.start_epoch(0);
  compress::Int8Runner runner(model);
  while (int(o.images.size()) < count) {
    auto b = loader.next();
    if (!b) break;
    auto [images, labels] = train::to_tensors(*b, train::Placement{});
    for (std::int64_t i = 0; i < images.size(0) && int(o.images.size()) < count; ++i) {
      o.images.push_back(runner.quantize_image(images[i]));
      o.labels.push_back(labels[i].item<std::int64_t>());
    }
  }
}

std::string per_mac(double v) { return v > 0 ? core::format_number("%.2f", v) : std::string("-"); }

// The per-op table, the per-kernel summary and the total in milliseconds.
void print_profile(const exporter::VerifyReport::Profile& p, const char* cpu, const char* board) {
  std::printf("\nprofile: %s (qemu %s -icount), image 0, instructions per op (%lld subtracted from each: "
              "the empty measurement)\n",
              cpu, board, (long long)p.overhead);
  std::size_t name_w = 4, kernel_w = 6;
  for (const auto& o : p.ops) name_w = std::max(name_w, o.name.size()), kernel_w = std::max(kernel_w, o.kernel.size());
  const int nw = int(std::min<std::size_t>(name_w, 40)), kw = int(kernel_w);
  std::printf("  %3s  %-*s  %-*s  %-11s %12s %6s %12s %9s\n", "op", kw, "kernel", nw, "name", "output",
              "instructions", "share", "eff. MACs", "instr/MAC");
  for (const auto& o : p.ops)
    std::printf("  %3d  %-*s  %-*s  %-11s %12lld %5.1f%% %12lld %9s\n", o.index, kw, o.kernel.c_str(), nw,
                o.name.c_str(), o.output.c_str(), (long long)o.instructions, 100 * o.share,
                (long long)o.effective_macs, per_mac(o.instructions_per_mac).c_str());
  std::printf("by kernel:\n  %-*s %4s %12s %6s %12s %9s\n", kw, "kernel", "ops", "instructions", "share",
              "eff. MACs", "instr/MAC");
  for (const auto& k : p.kinds)
    std::printf("  %-*s %4d %12lld %5.1f%% %12lld %9s\n", kw, k.kernel.c_str(), k.ops, (long long)k.instructions,
                100 * k.share, (long long)k.effective_macs, per_mac(k.instructions_per_mac).c_str());
  std::printf("total: %lld instructions (the ops: %lld, the rest is the interpreter's loop) = "
              "%.2f ms at %g MHz\n",
              (long long)p.total_instructions, (long long)p.op_instructions, p.milliseconds, p.mcu_mhz);
  std::printf("  (%s)\n", exporter::VerifyReport::kClockAssumption);
  if (p.predicted_instructions > 0 && p.total_instructions > 0)
    std::printf("latency model: %lld instructions predicted, %+.1f%% off the measured\n",
                (long long)p.predicted_instructions,
                100.0 * double(p.predicted_instructions - p.total_instructions) / double(p.total_instructions));
}

int run_verify(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true}, {"--images", true, false}, {"--qemu-images", true, false},
                             {"--no-qemu", false, false}, {"--require-qemu", false, false},
                             {"--seed", true, false}, {"--target", true, false}, {"--profile", false, false},
                             {"--mhz", true, false}},
                            1, 1);
  const std::string& src = a.positional[0];
  exporter::VerifyOptions o;
  std::string dir;
  int count = 16;
  double mhz = 216;
  if (core::is_regular_file(src + "/export.json")) {
    if (a.has("--set")) throw UsageError("--set needs a recipe, not a project directory");
    dir = src;
    count = int(a.get_int("--images", 16, 1, 1000000));
    o.random_images = count;
    o.seed = std::uint64_t(a.get_int("--seed", 1, 0, 1LL << 62));
  } else {
    if (std::filesystem::is_directory(src))
      throw core::Error(src + ": not an exported project (no export.json); give a project directory or a recipe");
    const SpaceContext ctx = load_space_context(a);
    dir = run_dir_of(ctx.recipe) + "/export/" + ctx.recipe.run.name;
    if (!core::is_regular_file(dir + "/export.json"))
      throw core::Error(dir + "/export.json not found: run 'tinynas export' first");
    count = int(a.get_int("--images", ctx.recipe.export_.verify_images, 1, 1000000));
    o.qemu = ctx.recipe.export_.qemu;
    mhz = ctx.recipe.export_.mcu_mhz;
    o.latency_limit_ms = ctx.recipe.run.latency_ms;
    const compress::QuantizedModel model = compress::load_quantized(dir + "/model.tnnq");
    load_images(ctx.recipe, model, count, o);
  }
  if (a.has("--no-qemu")) o.qemu = false;
  o.require_qemu = a.has("--require-qemu");
  o.qemu_images = int(a.get_int("--qemu-images", -1, -1, 1000000));
  o.profile = a.has("--profile");
  o.mcu_mhz = a.get_double("--mhz", mhz, 1, 10000);
  if (a.has("--target")) o.target = target_arg(a.get("--target"));
  o.log = [](const std::string& s) { std::fprintf(stderr, "verify: %s\n", s.c_str()); };
  const auto r = exporter::verify_project(dir, o);

  std::printf("host: %d images, logits %s the integer evaluation", r.images,
              r.host_mismatches ? "DIFFER from" : "bit-exact with");
  if (r.host_correct >= 0) std::printf(" (top-1 %d/%d correct)", r.host_correct, r.images);
  std::printf("\n");
  const exporter::McuTarget target = exporter::parse_mcu_target(r.target);
  const char* cpu = exporter::mcu_cpu(target);
  if (r.qemu_ran) {
    std::printf("%s (qemu %s): %d images, %s the host run", cpu, exporter::mcu_board(target), r.qemu_images,
                r.qemu_mismatches ? "DIFFER from" : "identical to");
    if (!r.qemu_icount.empty()) {
      long double sum = 0;
      for (auto v : r.qemu_icount) sum += v;
      std::printf(", %.0Lf instructions per inference", sum / r.qemu_icount.size());
    }
    std::printf("\n");
  } else {
    std::printf("%s: skipped (%s)\n", cpu, r.qemu_skipped.c_str());
  }
  if (r.sizes_checked) {
    const auto& s = r.sizes;
    std::printf("flash %lld B = model data %lld B (predicted %lld) + runtime code %lld B + startup/main/libc %lld B\n",
                (long long)s.flash, (long long)s.model_data, (long long)s.predicted_flash,
                (long long)s.runtime_code, (long long)s.app_code);
    std::printf("sram  %lld B = arena %lld B (predicted %lld) + stack %lld B + heap %lld B + libc/startup %lld B\n",
                (long long)s.sram, (long long)s.arena, (long long)s.predicted_sram, (long long)s.stack,
                (long long)s.heap, (long long)s.app_sram);
    if (r.invoke_stack >= 0)
      std::printf("deepest stack of an inference on the %s: %lld B\n", cpu, (long long)r.invoke_stack);
  }
  if (r.profile.ran) print_profile(r.profile, cpu, exporter::mcu_board(target));
  else if (o.profile) std::printf("profile: not run (it needs the %s run under QEMU)\n", cpu);
  for (const auto& f : r.failures) std::printf("FAILED: %s\n", f.c_str());
  std::printf("%s (details in %s/verify/report.json)\n", r.ok() ? "verified" : "verification failed",
              dir.c_str());
  return r.ok() ? 0 : 1;
}

const char* kExportHelp =
    "Writes an int8 model as a standalone C project: src/NAME_model.h/.c (the model\n"
    "data: weights dense or run-length coded per layer, op records with precomputed\n"
    "requantization, the arena plan; NAME is --name as a C identifier, which prefixes\n"
    "every symbol and macro), the runtime's C sources (src/runtime/), a host program\n"
    "and a Cortex-M program for QEMU's mps2-an500 (Cortex-M7) and mps2-an386\n"
    "(Cortex-M4) boards (src/app/), a Makefile (make host / m7 / run-m7 / m4 / run-m4,\n"
    "into build/), a CMakeLists.txt (library NAME_model for add_subdirectory() in a\n"
    "firmware; several models share one runtime) and a Zephyr module (zephyr/).\n"
    "SOURCE is a model file (.tnnq, then -o is required) or a recipe (its\n"
    "run.dir/run.name/quant/model.tnnq goes to run.dir/run.name/export/run.name/).\n"
    "An existing project directory is replaced only once the new one is complete.\n"
    "\n"
    "options:\n"
    "  -o, --out DIR     the project directory\n"
    "  --storage S       weight storage per layer (recipe key export.storage): fast\n"
    "                    (default: the faster of dense and coded on --target by the\n"
    "                    latency model, within --flash-kb), auto (the smaller), dense\n"
    "                    or sparse\n"
    "  --name NAME       the model's name (default: the file or run name); its C\n"
    "                    identifier (lower case, '_' for other characters) names the\n"
    "                    files, symbols, macros and CMake target\n"
    "  --sram-kb N, --flash-kb N, --params-k N\n"
    "                    the target's limits (default: the recipe's run.sram_kb,\n"
    "                    run.flash_kb, run.params_k; none for a model file), checked\n"
    "                    against the exact arena, model data and effective parameters\n"
    "  --latency-ms F, --mhz F\n"
    "                    a latency limit at a clock (default: run.latency_ms at\n"
    "                    export.mcu_mhz), checked against the latency model's\n"
    "                    prediction for --target ('verify --profile' measures it)\n"
    "  --ignore-limits   export a model over the limits anyway (with a warning;\n"
    "                    recipe key export.ignore_limits)\n"
    "  --target T        the Cortex-M build the project defaults to and verify runs:\n"
    "                    m7 (Cortex-M7, default) or m4 (Cortex-M4); recipe key\n"
    "                    export.target\n"
    "  --set KEY=VALUE   override a recipe key (repeatable)\n";

const char* kVerifyHelp =
    "Builds an exported project and checks it: the host program's logits on N images\n"
    "equal the integer evaluation's bit for bit; the Cortex-M build (the project's\n"
    "target: m7 under qemu-system-arm -M mps2-an500, m4 under -M mps2-an386) prints\n"
    "the same logits; the linked model data and arena equal the cost model's flash and\n"
    "peak SRAM (arm-none-eabi-nm), with the flash and SRAM breakdown from\n"
    "arm-none-eabi-size and the map file. With --profile, the first image's\n"
    "instructions per op under QEMU's -icount, next to the op's MACs, per kernel\n"
    "family, and the total in milliseconds at --mhz (one instruction taken as one\n"
    "cycle: an estimate). SOURCE is a project directory (random images) or a recipe\n"
    "(the dataset's test images, with accuracy). Writes DIR/verify/report.json; exits 1\n"
    "when a check fails.\n"
    "\n"
    "options:\n"
    "  --images N        images to check (default 16; recipe: export.verify_images)\n"
    "  --qemu-images N   of those, how many run under QEMU (default all)\n"
    "  --no-qemu         skip the Cortex-M checks\n"
    "  --require-qemu    fail when arm-none-eabi-gcc or qemu-system-arm is missing\n"
    "  --seed N          seed of the random images (project directory)\n"
    "  --target T        run the m7 or m4 build (default: the project's, export.json)\n"
    "  --profile         print and record (report.json \"profile\") each op's\n"
    "                    instructions, MACs and instructions per MAC (QEMU runs the\n"
    "                    first image once more, with a counter read around each op)\n"
    "  --mhz F           MCU clock for the profile's milliseconds (default 216, an\n"
    "                    STM32F7-class part; recipe: export.mcu_mhz)\n"
    "  --set KEY=VALUE   override a recipe key (repeatable)\n";

}  // namespace

Command export_command() {
  return {{"export"},
          "SOURCE [-o DIR] [--storage auto|dense|sparse] [--name NAME] [--target m7|m4] [--ignore-limits] "
          "[--set KEY=VALUE]...",
          "write an int8 model as a C project for the MCU runtime", kExportHelp, run_export};
}

Command verify_command() {
  return {{"verify"},
          "DIR|RECIPE [--images N] [--qemu-images N] [--no-qemu] [--require-qemu] [--target m7|m4] [--profile] "
          "[--mhz F]",
          "check an exported project: host bit-exact, Cortex-M7/M4 under QEMU, linker sizes, per-op profile",
          kVerifyHelp, run_verify};
}

}  // namespace tinynas::cli
