// tinynas supernas analyze|search: SuperNAS (TinyFormer Algorithms 1 and 2). analyze
// needs no training; search trains each surviving supernet candidate (data-parallel under
// `tinynas launch`).
#include <cstdio>
#include <filesystem>
#include <optional>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "training_job.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/progress.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/data/dataset.h"
#include "tinynas/nas/space_analysis.h"
#include "tinynas/nas/supernet_search.h"

namespace tinynas::cli {
namespace {

std::string default_out(const config::Recipe& r) { return r.run.dir + "/" + r.run.name + "/supernas"; }

void make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) core::fail_file(dir, "cannot create directory: " + ec.message());
}

int run_analyze(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true},
                             {"--input", true, false},
                             {"--classes", true, false},
                             {"--samples", true, false},
                             {"--out", true, false},
                             {"--require-accept", false, false},
                             {"--quiet", false, false}},
                            1, 1);
  const SpaceContext ctx = load_space_context(a);
  const auto& sn = ctx.recipe.supernas;
  nas::AnalysisOptions o;
  o.samples = a.get_int("--samples", sn.analysis_samples, 1, 1000000);
  o.lambda_lo = sn.lambda_lo;
  o.lambda_up = sn.lambda_up;
  o.accept_threshold = sn.accept_threshold;
  o.bound = nas::parse_param_bound(sn.param_bound);
  o.limits = ctx.limits;
  o.sparse = space::sparse_choices(ctx.recipe.sparsenas.sparsity, ctx.recipe.sparsenas.block);
  o.cost = cost::cost_options_of(ctx.recipe);
  o.seed = std::uint64_t(sn.seed);
  std::optional<core::ProgressBar> bar;
  if (!a.has("--quiet"))
    o.progress = [&](std::int64_t done, std::int64_t total) {
      if (!bar) {  // an enumerated space has its own total
        core::ProgressOptions po;
        po.total = total;
        po.label = "analyze";
        po.line_every = std::max<std::int64_t>(1, total / 4);
        bar.emplace(po);
      }
      if (done % 64 == 0 || done == total) bar->update(done, {});
    };
  const auto r = nas::analyze_space(ctx.def, ctx.input, ctx.classes, o);
  if (bar) bar->finish();

  const std::string out = a.get("--out", default_out(ctx.recipe));
  make_dir(out);
  const std::string report = format_report(r);
  core::write_file_atomic(out + "/analysis.json", nas::to_json(r).dump_pretty() + "\n");
  core::write_file_atomic(out + "/analysis.txt", report);
  const auto svgs = nas::write_histograms(r, out);
  std::printf("%s (%s)\n%s\nwrote %s/analysis.json, analysis.txt, params.svg, peak_sram.svg, "
              "flash.svg\n",
              ctx.def.source.c_str(), ctx.def.name.c_str(), report.c_str(), out.c_str());
  return a.has("--require-accept") && !r.accepted ? 3 : 0;
}

int run_search(const std::vector<std::string>& args, const core::DirLock* held) {
  const auto a = parse_args(args,
                            {{"--set", true, true},
                             {"--resume", false, false},
                             {"--out", true, false},
                             {"--quiet", false, false}},
                            1, 1);
  TrainingJob job = open_training_job(a, held);
  nas::SearchOptions opt;
  opt.recipe = job.recipe;
  opt.out_dir = a.get("--out", default_out(job.recipe));
  opt.resume = a.has("--resume");
  opt.progress = !a.has("--quiet");
  opt.local_world_size = job.env.local_world_size;
  opt.device = job.device;
  auto& group = *job.group;
  const auto r = nas::search_supernets(opt, job.sets, job.def, group);
  if (!group.is_main()) return 0;
  std::printf("\n%-4s %-44s %-10s %9s %9s\n", "#", "supernet", "status", "TestSN", "score");
  for (const auto& c : r.candidates) {
    char score[32] = "-";
    if (c.score >= 0) std::snprintf(score, sizeof score, "%.2f%%", 100 * c.score);
    char test[32] = "-";
    if (c.test.sampled > 0) std::snprintf(test, sizeof test, "%d/%d", c.test.over_memory, c.test.sampled);
    std::printf("%-4d %-44s %-10s %9s %9s%s\n", c.index + 1, c.supernet.c_str(), c.status.c_str(),
                test, score, r.best == c.index ? "  <- best" : "");
  }
  if (r.best < 0) {
    std::printf("\nno supernet passed TestSupernet with a fitting sparse config: the space is "
                "too large for run.sram_kb / run.flash_kb (see 'tinynas supernas analyze')\n");
    return 1;
  }
  const auto& b = r.candidates[std::size_t(r.best)];
  std::printf("\nbest supernet: %s (mean one-shot pruned accuracy %.2f%%)\ncheckpoint: %s\n"
              "wrote %s/candidates.jsonl, best.json\n",
              b.supernet.c_str(), 100 * b.score, b.checkpoint.c_str(), opt.out_dir.c_str());
  return 0;
}

const char* kAnalyzeHelp =
    "Algorithm 1 of TinyFormer: samples supernas.analysis_samples models from the whole\n"
    "space (a supernet from the hyper-parameters, a path, a sparse config from\n"
    "sparsenas.sparsity x sparsenas.block), costs them with the int8 cost model, and among\n"
    "those within run.sram_kb and run.flash_kb counts the ones whose parameter count lies in\n"
    "[supernas.lambda_lo * L, supernas.lambda_up * L] (L = the SRAM limit in bytes, or the\n"
    "flash limit with supernas.param_bound=flash). The space is accepted when that share\n"
    "reaches supernas.accept_threshold (default 90%). A space with no more models than the\n"
    "sample budget is enumerated instead, giving the exact probability.\n"
    "\n"
    "Writes to run.dir/run.name/supernas/ (or --out): analysis.json (options, counts,\n"
    "verdict, every sample), analysis.txt (the table printed), params.svg, peak_sram.svg,\n"
    "flash.svg (histograms with the limits and bounds drawn in).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE   override a recipe key (repeatable), e.g.\n"
    "                    --set space.file=spaces/tinyformer-large.yaml\n"
    "  --samples N       models to sample (default supernas.analysis_samples)\n"
    "  --input HxWxC     input shape (default: the dataset's)\n"
    "  --classes K       number of classes (default: the dataset's)\n"
    "  --out DIR         output directory\n"
    "  --require-accept  exit with status 3 when the space is rejected\n"
    "  --quiet           no progress bar\n";

const char* kSearchHelp =
    "Algorithm 2 of TinyFormer: samples supernas.supernets supernets from the space's\n"
    "hyper-parameters. Each runs TestSupernet (supernas.test_paths dense paths; skipped when\n"
    "half or more exceed run.sram_kb), then trains supernas.epochs epochs with the SPOS\n"
    "trainer (train.*), then scores: for supernas.paths sampled paths, supernas.sparse_configs\n"
    "sparse configs that fit the limits are each applied by one-shot magnitude block pruning,\n"
    "BatchNorm is recalibrated and validation accuracy measured. The supernet with the best\n"
    "mean wins.\n"
    "\n"
    "Writes to run.dir/run.name/supernas/ (or --out): candidates.jsonl (one line per\n"
    "candidate: TestSupernet counts, training, every path and sparse config with its\n"
    "accuracy, flash and SRAM), candidates/<i>/ (each candidate's checkpoints and metrics),\n"
    "best.json (the winner and its checkpoint).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable), e.g. --set supernas.epochs=1\n"
    "  --resume         continue a search: finished candidates are not redone, an\n"
    "                   interrupted one continues from its newest checkpoint\n"
    "  --out DIR        output directory\n"
    "  --quiet          no training progress bars (TINYNAS_PROGRESS: see\n"
    "                   'tinynas train --help')\n"
    "\n"
    "Data-parallel: 'tinynas launch --nproc N -- tinynas supernas search RECIPE'.\n";

}  // namespace

Command supernas_analyze_command() {
  return {{"supernas", "analyze"},
          "RECIPE [--set KEY=VALUE]... [--samples N] [--out DIR] [--require-accept]",
          "SuperNAS space analysis (Algorithm 1): accept or reject the space for the MCU limits",
          kAnalyzeHelp, run_analyze};
}

Command supernas_search_command() {
  return training_command(
      {{"supernas", "search"},
       "RECIPE [--set KEY=VALUE]... [--resume] [--out DIR] [--quiet]",
       "SuperNAS supernet search (Algorithm 2): train candidate supernets, keep the best",
       kSearchHelp, {}},
      run_search);
}

}  // namespace tinynas::cli
