// What the commands that train share (train, supernas search): the rank's environment, the
// recipe with --set overrides, its datasets and space, the device, and the joined group.
#pragma once
#include <memory>

#include <torch/types.h>

#include "args.h"
#include "tinynas/config/recipe.h"
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
};

/// Loads positional[0] with the --set overrides, opens its datasets and space file, picks
/// the device (train.device, LOCAL_RANK) and joins the group: the device decides the
/// backend, and every rank has joined (or failed to) before any work starts.
TrainingJob open_training_job(const ParsedArgs& a);

}  // namespace tinynas::cli
