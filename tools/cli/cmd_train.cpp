// tinynas train RECIPE: SPOS supernet training, on one process or data-parallel under
// `tinynas launch` / torchrun-style launchers (RANK, WORLD_SIZE, MASTER_ADDR, ...).
#include <cstdio>

#include "args.h"
#include "command.h"
#include "launch_ranks.h"
#include "training_job.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/progress.h"
#include "tinynas/space/layout.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/trainer.h"

namespace tinynas::cli {
namespace {

int run_train(const std::vector<std::string>& args, const core::DirLock* held) {
  const auto a = parse_args(args,
                            {{"--set", true, true},
                             {"--resume", false, false},
                             {"--out", true, false},
                             {"--quiet", false, false},
                             {"--nproc", true, false}},
                            1, 1);
  // Inside `tinynas run` (held, or a rank of its) run has started the ranks already; under
  // a launcher run_as_ranks_if_wanted starts nothing either.
  if (!held) {
    const int nproc = static_cast<int>(a.get_int("--nproc", -1, 0, 1024));
    const config::Recipe recipe = config::load_recipe(a.positional[0], a.all("--set"));
    if (const auto rc = run_as_ranks_if_wanted({"train"}, args, recipe, nproc)) return *rc;
  }
  TrainingJob job = open_training_job(a, held);
  const auto& recipe = job.recipe;
  const auto& sets = job.sets;
  space::SupernetConfig cfg;
  try {
    cfg = space::parse_supernet(recipe.space.supernet, job.def);
  } catch (const core::Error& e) {
    core::rethrow_with_context("space.supernet", e);
  }
  space::SupernetLayout layout = space::make_layout(
      job.def, cfg, space::Shape{sets.train.channels, sets.train.height, sets.train.width},
      sets.train.num_classes);

  train::TrainerOptions opt;
  opt.recipe = recipe;
  opt.out_dir = a.get("--out", recipe.run.dir + "/" + recipe.run.name + "/supernet");
  opt.supernet_text = space::to_string(cfg, job.def);
  opt.space_fingerprint = train::space_fingerprint(job.def);
  opt.resume = a.has("--resume");
  opt.progress = !a.has("--quiet");
  opt.local_world_size = job.env.local_world_size;
  opt.device = job.device;
  auto& group = *job.group;
  train::SupernetTrainer trainer(opt, sets, std::move(layout), group);
  const auto r = trainer.run();
  if (group.is_main()) {
    // Under `tinynas launch` every line names its time and rank, as the loop's do. The
    // rate is the one the last progress line showed (same definition, same rounding).
    const std::string prefix =
        group.world_size() > 1 ? core::log_prefix_now("rank " + std::to_string(group.rank())) : "";
    std::printf("%strained %lld steps (%lld in this run) at %.0f images/s", prefix.c_str(),
                (long long)r.steps, (long long)(r.steps - r.start_step), r.images_per_s);
    if (r.val_accuracy >= 0)
      std::printf("; val accuracy %.2f%% (best %.2f%%)", 100 * r.val_accuracy,
                  100 * r.best_accuracy);
    std::printf("\n%scheckpoint: %s\n", prefix.c_str(), r.checkpoint.c_str());
  }
  return 0;
}

}  // namespace

Command train_command() {
  return training_command(
      {{"train"},
       "RECIPE [--set KEY=VALUE]... [--resume] [--out DIR] [--quiet] [--nproc N]",
       "train the recipe's supernet with single-path one-shot (SPOS) sampling",
       "Every step trains one path of the supernet (train.sampling: uniform, or fair =\n"
       "each block's candidates visited equally), with AdamW, linear warm-up then cosine\n"
       "decay, label smoothing; each epoch ends with the validation accuracy of\n"
       "train.eval_paths paths (drawn once per run, so epochs compare) after BatchNorm\n"
       "recalibration.\n"
       "\n"
       "Writes to run.dir/run.name/supernet/ (or --out): ckpt-<step>.pt/.json (the newest\n"
       "train.keep_last), best.json + best-<step>.pt, metrics.jsonl, recipe.resolved.yaml.\n"
       "While it runs, the run directory (or --out) is locked (.tinynas.lock): a second job\n"
       "on the same run fails at once, naming the pid of the first.\n"
       "\n"
       "options:\n"
       "  --set KEY=VALUE  override a recipe key (repeatable), e.g. --set train.epochs=1\n"
       "  --resume         continue from the newest checkpoint (exactly: same weights as\n"
       "                   a run that never stopped); starts at step 0 when there is none.\n"
       "                   Refused when the checkpoint's archive and sidecar disagree, its\n"
       "                   step is past the run, or the recipe or space file changed\n"
       "  --out DIR        checkpoint directory instead of run.dir/run.name/supernet\n"
       "  --quiet          no progress bar or lines\n"
       "  --nproc N        processes to train on (default: distributed.nproc; 0 = one per\n"
       "                   core on a CPU; ignored under a launcher)\n"
       "\n"
       "Progress (rank 0, on stdout): a bar redrawn in place when stdout is a terminal;\n"
       "otherwise (a file, a pipe, SLURM, CI) one line every 10 s with the time, step,\n"
       "epoch, loss, lr, img/s and ETA, plus a status line while each epoch ends with\n"
       "BatchNorm recalibration and validation. img/s is this run's images over its steps'\n"
       "time (evaluation and checkpoints excluded), the figure the summary repeats.\n"
       "TINYNAS_PROGRESS overrides the choice (also for supernas and sparsenas training):\n"
       "  auto            the default above\n"
       "  bar | off       always the bar | nothing (like --quiet)\n"
       "  lines[:S]       lines every S seconds (0 = every step), e.g. lines:60\n"
       "  auto:S          auto, with lines every S seconds when not on a terminal\n"
       "With several ranks, log lines start with [HH:MM:SS rank R].\n"
       "\n"
       "Data-parallel: on a CPU, train starts one process per core by itself (each on one\n"
       "thread; distributed.nproc, --nproc 1 for a single process; see 'tinynas config\n"
       "show'), or 'tinynas launch --nproc N -- tinynas train RECIPE' on one machine;\n"
       "across machines, start one process per rank with torchrun-style variables\n"
       "(MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE), e.g.\n"
       "from SLURM. Backend: distributed.backend (auto = nccl on CUDA, gloo on CPU).\n"
       "train.batch_size is global: each rank takes batch_size / (N * train.accumulate)\n"
       "per micro-batch. Checkpoints are written by rank 0; with several machines,\n"
       "run.dir must be on a shared filesystem for --resume.\n",
       {}},
      run_train);
}

}  // namespace tinynas::cli
