#include "training_job.h"

#include <chrono>

#include "tinynas/config/load.h"
#include "tinynas/core/fs.h"
#include "tinynas/train/trainer.h"

namespace tinynas::cli {

TrainingJob open_training_job(const ParsedArgs& a, const core::DirLock* held) {
  TrainingJob j;
  j.env = train::dist_env();
  j.recipe = config::load_recipe(a.positional[0], a.all("--set"));
  j.sets = data::open_datasets(j.recipe.data, j.recipe.source);
  j.def = space::load_space(core::resolve_relative_to(j.recipe.source, j.recipe.space.file));
  j.device = train::select_device(j.recipe.train.device, j.env.local_rank, j.env.local_world_size);
  const auto timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(j.recipe.distributed.timeout_s * 1000.0));
  j.group = std::make_unique<train::DistributedGroup>(
      j.env,
      j.env.distributed() ? train::resolve_backend(j.recipe.distributed.backend, j.device) : "none",
      timeout);
  // `tinynas launch` itself locks nothing, so its rank 0 gets the lock. `tinynas run`
  // locks the run directory first and hands its lock down as `held`.
  if (j.env.rank == 0) {
    const std::string dir = a.has("--out") ? a.get("--out") : j.recipe.run.dir + "/" + j.recipe.run.name;
    if (!held || !held->holds(dir)) j.lock.emplace(dir);
  }
  return j;
}

Command training_command(Command c, TrainingCommandBody body) {
  c.run = [body](const std::vector<std::string>& args) { return body(args, nullptr); };
  c.run_holding = [body](const std::vector<std::string>& args, const core::DirLock& held) {
    return body(args, &held);
  };
  return c;
}

}  // namespace tinynas::cli
