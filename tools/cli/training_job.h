// What the commands that train share (train, supernas search, sparsenas search and
// finetune): the rank's environment, the recipe with --set overrides, its datasets and
// space, the device, the joined group, and (rank 0) the lock on the directory written.
#pragma once
#include <memory>
#include <optional>

#include <torch/types.h>

#include "args.h"
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
  /// else on the run directory run.dir/run.name. Held until the job ends.
  std::optional<core::DirLock> lock;
};

/// Loads positional[0] with the --set overrides, opens its datasets and space file, picks
/// the device (train.device, LOCAL_RANK) and joins the group: the device decides the
/// backend, and every rank has joined (or failed to) before any work starts. Then rank 0
/// locks the directory it writes (core::DirLock): a second job on the same run fails
/// there, naming the first one's pid, before anything is written. The other ranks learn
/// of it at their first collective, as of any failure of rank 0.
TrainingJob open_training_job(const ParsedArgs& a);

}  // namespace tinynas::cli
