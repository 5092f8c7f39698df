// The training loop SupernetTrainer and SubnetTrainer share (private to the train layer):
// placement and threads, the batch split over ranks and micro-batches, loaders,
// optimizer, LR schedule, the step loop through train_step, epoch-end evaluation,
// checkpoints (with resume from the newest one), metrics.jsonl. What differs between the
// models trained is a LoopModel: which module, which forward each step, what the epoch
// evaluates, and the hooks pruning needs around every optimizer step.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/DeviceGuard.h>
#include <torch/serialize/archive.h>

#include "tinynas/core/json.h"
#include "tinynas/core/progress.h"
#include "tinynas/data/loader.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/trainer.h"

namespace tinynas::train::detail {

class LoopModel {
 public:
  virtual ~LoopModel() = default;
  virtual torch::nn::Module& module() = 0;
  virtual const space::SupernetLayout& layout() const = 0;
  /// What the start-up line says is trained: "supernet tf1{...} (12 paths)".
  virtual std::string describe() const = 0;
  /// Recorded in checkpoints (CheckpointInfo::subnet); a resume whose identity differs is
  /// refused. "" for the supernet.
  virtual std::string identity() const { return ""; }
  /// Called once per run() before the checkpoint is restored.
  virtual void start(std::int64_t /*total_steps*/) {}
  /// The forward of optimizer step `step` (0-based).
  virtual Forward forward_at(std::int64_t step) = 0;
  /// Adds what identifies step `step` (its path, its sparsity, ...) to its metrics record.
  virtual void describe_step(std::int64_t /*step*/, core::Json& /*record*/) {}
  virtual void before_forward(std::int64_t /*step*/) {}
  /// Gradients averaged over ranks, before clipping and the optimizer.
  virtual void before_update() {}
  virtual void after_update(std::int64_t /*step*/) {}
  /// Validation at the end of 0-based epoch `epoch`: adds its figures to `record` and
  /// returns the accuracy, or -1 when nothing was evaluated. Leaves the module in train mode.
  virtual double evaluate_epoch(std::int64_t epoch, core::Json& record) = 0;
  /// How many TrainLoop::evaluate() calls evaluate_epoch() makes (for "path 2/5" in the
  /// status line shown meanwhile).
  virtual int evaluations_per_epoch() const { return 1; }
  /// Appended to "val accuracy X%" in the epoch-end message, e.g. " (mean of 5 paths)".
  virtual std::string accuracy_note() const { return ""; }
  /// Extra state written to and read from checkpoints (beside weights and optimizer).
  virtual void save_state(torch::serialize::OutputArchive& /*archive*/) const {}
  virtual void load_state(torch::serialize::InputArchive& /*archive*/,
                          const std::string& /*source*/) {}
};

class TrainLoop {
 public:
  /// Places the run (device, threads), checks the batch split and seeds torch with
  /// train.seed, so a model built next starts the same on every rank. Throws core::Error
  /// before anything is written.
  TrainLoop(TrainerOptions options, const data::Datasets& sets, DistributedGroup& group);
  ~TrainLoop();

  /// Moves `model`'s module to the device, builds its optimizer and the loaders. `model`
  /// must outlive the loop.
  void attach(LoopModel& model);
  TrainResult run();

  /// `forward` on the validation split (collective), after re-estimating the running
  /// statistics of `recal_norms` (when not empty) on train.bn_recal_batches batches of
  /// the recalibration loader's epoch `recal_epoch`. Throws when there is no validation
  /// split. Leaves the module in eval mode.
  EvalResult evaluate(const Forward& forward,
                      const std::vector<std::shared_ptr<torch::nn::Module>>& recal_norms,
                      std::int64_t recal_epoch);
  bool has_validation() const { return val_loader_ != nullptr; }

  const TrainerOptions& options() const { return opt_; }
  const config::TrainConfig& train() const { return opt_.recipe.train; }
  const Placement& place() const { return place_; }
  DistributedGroup& group() { return group_; }
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  std::int64_t total_steps() const { return total_steps_; }

 private:
  void build_loaders();
  std::int64_t restore();
  void open_metrics(std::int64_t keep_until_step);
  void write_metric(const core::Json& j);
  std::string save(std::int64_t step, double val_accuracy, bool best);
  /// A line on stdout from rank 0; with several ranks it starts with log_prefix().
  void say(const std::string& line) const;
  /// The line shown while the epoch ends (evaluation), when progress is shown.
  void status(const std::string& line);
  bool main() const { return group_.is_main(); }

  TrainerOptions opt_;
  const data::Datasets& sets_;
  DistributedGroup& group_;
  const config::TrainConfig& train_;
  Placement place_;
  std::optional<c10::DeviceGuard> device_guard_;
  int virtual_world_ = 1;
  int micro_batch_ = 1;
  LoopModel* model_ = nullptr;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<std::unique_ptr<data::BatchLoader>> loaders_;  // one per micro-batch
  std::unique_ptr<data::BatchLoader> recal_loader_, val_loader_;
  std::int64_t steps_per_epoch_ = 0;
  std::int64_t total_steps_ = 0;
  CheckpointDir ckpt_dir_;
  std::FILE* metrics_ = nullptr;
  double best_accuracy_ = -1;
  std::int64_t best_step_ = -1;
  double resumed_accuracy_ = -1;  // val accuracy recorded in the checkpoint resumed from
  core::ProgressStyle progress_style_;  // from TINYNAS_PROGRESS
  std::string log_tag_;                 // "rank R" with several ranks, else ""
  core::ProgressBar* bar_ = nullptr;    // run()'s progress while it runs (rank 0)
  std::string epoch_status_;            // "epoch 2/10" while the epoch-end evaluation runs
  int evaluations_done_ = 0;            // TrainLoop::evaluate() calls at this epoch end
};

}  // namespace tinynas::train::detail
