// Training one standalone single-path model (a space::Subnet, e.g. extracted from a
// trained supernet) with the supernet trainer's loop: the same train_step, data-parallel
// batch split, LR schedule, checkpoints (atomic, JSON sidecar, resume from the newest one
// mid-run, bit-exact), metrics.jsonl. BatchNorm trains normally (no recalibration), and each
// epoch ends with the validation top-1 of the model as it is.
//
// TrainHooks let a caller act around every optimizer step without the train layer knowing
// what for: SparseNAS prunes through them (nas/pruned_training.h: AGP block masks applied
// to gradients and weights, checkpointed with the model).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/serialize/archive.h>

#include "tinynas/core/json.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/trainer.h"

namespace tinynas::train {

/// Called by SubnetTrainer around each optimizer step (on every rank, in the same order).
/// Every method has a do-nothing default.
class TrainHooks {
 public:
  virtual ~TrainHooks() = default;
  /// Names what the hooks change about training (e.g. "sparse tf1:... agp 0.1-0.7/50").
  /// Recorded in every checkpoint; a resume under another identity is refused.
  virtual std::string identity() const { return ""; }
  /// Once per run(), before the newest checkpoint is restored: the run has `total_steps`
  /// optimizer steps in all (train.epochs x steps per epoch, whatever train.max_steps).
  virtual void start(std::int64_t /*total_steps*/) {}
  /// Before the forward pass of optimizer step `step` (0-based: steps done so far).
  virtual void before_forward(std::int64_t /*step*/) {}
  /// Gradients averaged over ranks; before clipping and the optimizer.
  virtual void before_update() {}
  /// After the optimizer updated the weights at step `step`.
  virtual void after_update(std::int64_t /*step*/) {}
  /// Adds fields to step `step`'s record in metrics.jsonl (rank 0 only).
  virtual void describe_step(std::int64_t /*step*/, core::Json& /*record*/) {}
  /// State saved with each checkpoint and restored on resume (an archive of its own).
  virtual void save(torch::serialize::OutputArchive& /*archive*/) const {}
  /// Errors are core::Error; the trainer adds the checkpoint's path.
  virtual void load(torch::serialize::InputArchive& /*archive*/) {}
};

class SubnetTrainer {
 public:
  /// Trains `model`, a subnet of `layout` (TrainerOptions::supernet_text names that
  /// supernet in checkpoints), for recipe.train.epochs into options.out_dir. The model's
  /// current weights are the starting point. `sets`, `group` and `hooks` (may be null)
  /// must outlive the trainer. Errors (bad batch split, device) throw core::Error before
  /// anything is written.
  SubnetTrainer(TrainerOptions options, const data::Datasets& sets, space::SupernetLayout layout,
                space::Subnet model, DistributedGroup& group, TrainHooks* hooks = nullptr);
  ~SubnetTrainer();

  /// Trains (or, with options.resume, continues from the newest checkpoint in out_dir;
  /// a finished run resumed restores its final state and trains no more).
  TrainResult run();
  space::Subnet& model();
  /// Validation top-1 of the current weights (collective: every rank calls it), after
  /// re-estimating every BatchNorm's running statistics on train.bn_recal_batches training
  /// batches when `recalibrate_bn` (a subnet fresh from a supernet needs it: the supernet's
  /// statistics mix many paths). Leaves the model in eval mode. Throws core::Error when the
  /// recipe has no validation split.
  EvalResult evaluate(bool recalibrate_bn = false);
  /// Optimizer steps in the whole run (epochs x steps per epoch).
  std::int64_t total_steps() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tinynas::train
