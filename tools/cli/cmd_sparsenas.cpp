// tinynas sparsenas search|finetune (quantize: cmd_quantize.cpp): SparseNAS (TinyFormer III-C), stage 1 (Algorithm 3:
// sampled paths with sparse configs, each trained with AGP block pruning; the best pruned
// accuracy wins) and stage 2 (the winner fine-tuned with AGP over a longer run). Both are
// data-parallel under `tinynas launch`.
#include <cstdio>

#include "args.h"
#include "command.h"
#include "training_job.h"
#include "tinynas/core/error.h"
#include "tinynas/nas/sparse_search.h"

namespace tinynas::cli {
namespace {

std::string default_out(const config::Recipe& r) { return r.run.dir + "/" + r.run.name + "/sparsenas"; }

nas::SparseSearchOptions options_of(const ParsedArgs& a, const TrainingJob& job) {
  nas::SparseSearchOptions o;
  o.recipe = job.recipe;
  o.out_dir = a.get("--out", default_out(job.recipe));
  o.resume = a.has("--resume");
  o.progress = !a.has("--quiet");
  o.device = job.device;
  o.local_world_size = job.env.local_world_size;
  return o;
}

std::string pct(double v) {
  if (v < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

std::string kib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", double(bytes) / 1024.0);
  return buf;
}

const std::vector<OptionSpec> kOptions = {{"--set", true, true},
                                          {"--resume", false, false},
                                          {"--out", true, false},
                                          {"--quiet", false, false}};

int run_search(const std::vector<std::string>& args, const core::DirLock* held) {
  const auto a = parse_args(args, kOptions, 1, 1);
  TrainingJob job = open_training_job(a, held);
  const auto opt = options_of(a, job);
  const auto r = nas::search_sparse(opt, job.sets, job.def, *job.group);
  if (!job.group->is_main()) return 0;
  if (job.recipe.sparsenas.strategy != "random") {
    // One-shot search: thousands of evaluations; the files hold them (oneshot_search.h).
    if (r.best < 0) {
      std::printf("\nno candidate scored: raise sparsenas.evaluations or the limits\n");
      return 1;
    }
    const auto& b = r.candidates[std::size_t(r.best)];
    std::printf("\n%zu candidate(s) scored one-shot (%s)\npick (%s): %s %s (one-shot accuracy %s, "
                "flash %s KB, SRAM %s KB)\nwrote %s/evaluations.jsonl, population.json, hv.jsonl, "
                "pareto.csv, best.json, best/\n",
                r.candidates.size(), job.recipe.sparsenas.strategy.c_str(),
                job.recipe.sparsenas.pick.c_str(), b.arch.c_str(), b.sparse.c_str(),
                pct(b.pruned_accuracy).c_str(), kib(b.flash).c_str(), kib(b.peak_sram).c_str(),
                opt.out_dir.c_str());
    return 0;
  }
  std::printf("\n%-4s %-9s %8s %8s %9s %9s %9s  %s\n", "#", "status", "dense", "pruned",
              "sparsity", "flash KB", "SRAM KB", "path");
  for (const auto& c : r.candidates)
    std::printf("%-4d %-9s %8s %8s %9s %9s %9s  %s%s\n", c.index + 1, c.status.c_str(),
                pct(c.dense_accuracy).c_str(), pct(c.pruned_accuracy).c_str(),
                c.status == "evaluated" ? pct(c.achieved_sparsity).c_str() : "-",
                kib(c.flash).c_str(), kib(c.peak_sram).c_str(), c.arch.c_str(),
                r.best == c.index ? "  <- best" : "");
  if (r.best < 0) {
    std::printf("\nno candidate fit run.sram_kb / run.flash_kb / run.params_k and trained: raise the limits, "
                "sparsenas.candidates or the sparsity choices\n");
    return 1;
  }
  const auto& b = r.candidates[std::size_t(r.best)];
  std::printf("\nbest: %s %s (pruned accuracy %s, dense %s, sparsity %s)\n"
              "wrote %s/candidates.jsonl, best.json, best/\n",
              b.arch.c_str(), b.sparse.c_str(), pct(b.pruned_accuracy).c_str(),
              pct(b.dense_accuracy).c_str(), pct(b.achieved_sparsity).c_str(), opt.out_dir.c_str());
  return 0;
}

int run_finetune(const std::vector<std::string>& args, const core::DirLock* held) {
  const auto a = parse_args(args, kOptions, 1, 1);
  TrainingJob job = open_training_job(a, held);
  const auto opt = options_of(a, job);
  const auto r = nas::finetune_sparse(opt, job.sets, job.def, *job.group);
  if (!job.group->is_main()) return 0;
  std::printf("\nfine-tuned %s %s\n  stage 1 pruned accuracy %s; dense start %s; after "
              "fine-tuning %s at %s sparsity\nwrote %s/\n",
              r.arch.c_str(), r.sparse.c_str(), pct(r.stage1_accuracy).c_str(),
              pct(r.dense_accuracy).c_str(), pct(r.pruned_accuracy).c_str(),
              pct(r.achieved_sparsity).c_str(), r.final_dir.c_str());
  return 0;
}

const char* kSearchHelp =
    "Stage 1 of SparseNAS (TinyFormer Algorithm 3), on the supernet SuperNAS chose\n"
    "(run.dir/run.name/supernas/best.json), or else the recipe's space.supernet trained\n"
    "by 'tinynas train' (run.dir/run.name/supernet/, newest checkpoint). For each of\n"
    "sparsenas.candidates candidates, a path and a sparse config (sparsenas.sparsity x\n"
    "sparsenas.block per choice block) are drawn from sparsenas.seed, redrawn while the cost\n"
    "model puts them over run.sram_kb / run.flash_kb; the path is extracted from the\n"
    "supernet, its dense accuracy measured (BatchNorm recalibrated), then it is trained\n"
    "sparsenas.epochs epochs (train.*) while AGP prunes it to the sparse config (masks\n"
    "updated every sparsenas.agp_frequency steps from sparsenas.agp_start to agp_end of\n"
    "the run). The best validation accuracy of the pruned model wins.\n"
    "\n"
    "Writes to run.dir/run.name/sparsenas/ (or --out): candidates.jsonl (one line per\n"
    "candidate: path, sparse config, draws, dense and pruned accuracy, achieved sparsity,\n"
    "effective params, flash, peak SRAM, MACs, training), candidates/<i>/ (training runs),\n"
    "best.json, best/ (the winner as a saved subnet: subnet.json, model.pt, masks.pt),\n"
    "search.json (what a resume must keep).\n"
    "\n"
    "sparsenas.strategy evolution or nsga2 replaces the training of drawn candidates by a\n"
    "search scored one-shot (block pruning + BatchNorm recalibration, no training) over\n"
    "sparsenas.evaluations candidates; sparsenas.pick (best, knee, fastest) chooses best.json.\n"
    "It writes evaluations.jsonl, population.json, hv.jsonl, pareto.csv, search.json,\n"
    "best.json and best/ instead.\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable), e.g. --set sparsenas.epochs=1\n"
    "  --resume         continue a search: finished candidates are not redone, an\n"
    "                   interrupted one continues from its newest checkpoint\n"
    "  --out DIR        output directory\n"
    "  --quiet          no training progress bars (TINYNAS_PROGRESS: see\n"
    "                   'tinynas train --help')\n"
    "\n"
    "Data-parallel: 'tinynas launch --nproc N -- tinynas sparsenas search RECIPE'.\n";

const char* kFinetuneHelp =
    "Stage 2 of SparseNAS: the stage-1 winner (sparsenas/best.json) is extracted again\n"
    "from the supernet with its dense weights and trained sparsenas.finetune_epochs epochs\n"
    "while AGP prunes it to its sparse config over that whole run; the result is saved as\n"
    "sparsenas/final/ (subnet.json, model.pt, masks.pt), the input of quantisation.\n"
    "sparsenas.finetune_epochs = 0 copies best/ to final/.\n"
    "\n"
    "Writes to run.dir/run.name/sparsenas/ (or --out, the directory stage 1 wrote):\n"
    "finetune/ (checkpoints with masks, metrics.jsonl) and final/.\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable)\n"
    "  --resume         continue an interrupted fine-tuning from its newest checkpoint\n"
    "  --out DIR        the stage-1 output directory\n"
    "  --quiet          no training progress bar (TINYNAS_PROGRESS: see\n"
    "                   'tinynas train --help')\n"
    "\n"
    "Data-parallel: 'tinynas launch --nproc N -- tinynas sparsenas finetune RECIPE'.\n";

}  // namespace

Command sparsenas_search_command() {
  return training_command(
      {{"sparsenas", "search"},
       "RECIPE [--set KEY=VALUE]... [--resume] [--out DIR] [--quiet]",
       "SparseNAS stage 1 (Algorithm 3): train sampled sparse paths with AGP, keep the best",
       kSearchHelp, {}},
      run_search);
}

Command sparsenas_finetune_command() {
  return training_command(
      {{"sparsenas", "finetune"},
       "RECIPE [--set KEY=VALUE]... [--resume] [--out DIR] [--quiet]",
       "SparseNAS stage 2: fine-tune the stage-1 winner with AGP into sparsenas/final/",
       kFinetuneHelp, {}},
      run_finetune);
}

std::vector<Command> sparsenas_commands() {
  // One line per subcommand, in the order --help lists them.
  return {sparsenas_search_command(), sparsenas_finetune_command(), sparsenas_quantize_command(),
          sparsenas_compare_command()};
}

}  // namespace tinynas::cli
