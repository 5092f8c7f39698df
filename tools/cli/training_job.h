// What the commands that train share (train, supernas search, sparsenas search and
// finetune): the rank's environment, the recipe with --set overrides, its datasets and
// space, the device, the joined group, and (rank 0) the lock on the directory written.
#pragma once
#include <memory>
#include <optional>

#include <torch/types.h>

#include "args.h"
#include "command.h"
#include "tinynas/config/recipe.h"
#include "tinynas/core/dir_lock.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/space.h"
#include "tinynas/train/distributed.h"

namespace tinynas::cli {

struct TrainingJob {
  train::DistEnv env;
  config::Recipe recipe;
  data::Datasets sets;
  space::SpaceDef def;
  torch::Device device{torch::kCPU};
  std::unique_ptr<train::DistributedGroup> group;
  /// Rank 0's lock (the writer's; other ranks write nothing): on --out DIR when given,
  /// else on the run directory run.dir/run.name. Held until the job ends. Empty when
  /// the caller holds that directory (open_training_job's `held`).
  std::optional<core::DirLock> lock;
};

/// Loads positional[0] with the --set overrides, opens its datasets and space file, picks
/// the device (train.device, LOCAL_RANK) and joins the group: the device decides the
/// backend, and every rank has joined (or failed to) before any work starts. Then rank 0
/// locks the directory it writes (core::DirLock): a second job on the same run fails
/// there, naming the first one's pid, before anything is written. The other ranks learn
/// of it at their first collective, as of any failure of rank 0. `held`: a lock the
/// caller holds (`tinynas run`'s); when it is on that directory, the job runs under it.
TrainingJob open_training_job(const ParsedArgs& a, const core::DirLock* held = nullptr);

/// The body of a command that opens a training job: `held` is for open_training_job.
using TrainingCommandBody = int (*)(const std::vector<std::string>& args, const core::DirLock* held);

/// `c` with Command::run (the job locks what it writes) and Command::run_holding (under
/// the caller's lock) set to `body`.
Command training_command(Command c, TrainingCommandBody body);

}  // namespace tinynas::cli
