// SPOS supernet training (TinyFormer III-B, Guo et al.'s single-path one-shot): every
// optimizer step trains one path, the same on every rank, drawn from (seed, step).
//
// Data parallelism: each of W ranks runs A micro-batches per step (train.accumulate);
// micro-batch a of rank r is what rank r*A+a of a W*A-rank job would see, and gradients
// are summed over micro-batches (each loss scaled by 1/A, exactly) and averaged over
// ranks. So any (W, A) with the same W*A trains the same model (up to floating-point
// summation order), and a checkpoint can resume with another split of the same product.
//
// The loop (placement, batch split, loaders, schedule, checkpoints, resume, metrics) lives
// once, in src/train/loop.h; SubnetTrainer (subnet_trainer.h) trains a single path with it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/core/error.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/distributed.h"
#include "tinynas/train/evaluate.h"
#include "tinynas/train/optimizer.h"

namespace tinynas::train {

/// Picks the compute device: train.device "cpu", "cuda" (error without CUDA) or "auto";
/// a CUDA rank uses device local_rank; more processes on the machine than GPUs is an
/// error.
torch::Device select_device(const std::string& configured, int local_rank,
                            int local_world_size = 1);

/// Thrown (on every rank at once: the loss is all-reduced) when the training loss is not
/// finite, so callers such as a search can record the candidate and go on.
class TrainingDiverged : public core::Error {
 public:
  using core::Error::Error;
};

struct StepStats {
  double loss = 0;  // mean training loss of the step over all ranks' micro-batches
  std::int64_t images = 0;  // over all ranks
};

/// One SPOS optimizer step of `forward` over `micro_batches` (this rank's share), with
/// gradients averaged over `group`. Checks that every rank produced gradients for the same
/// parameters. `before_update` (optional) runs once the gradients are averaged, before
/// clipping and the optimizer (pruning masks them there, so clipping sees what is applied).
/// Exposed for benchmarks; the trainers call it every step.
StepStats train_step(Optimizer& optimizer, const Forward& forward,
                     const std::vector<data::Batch>& micro_batches, double lr,
                     const config::TrainConfig& train, const Placement& place,
                     DistributedGroup& group, std::int64_t bucket_bytes,
                     const std::function<void()>& before_update = {});

struct TrainerOptions {
  config::Recipe recipe;
  std::string out_dir;        // checkpoints, metrics.jsonl, recipe.resolved.yaml
  std::string supernet_text;  // the SupernetConfig in text, recorded in checkpoints
  // space_fingerprint() of the space file (recipe.space.file) the model comes from,
  // recorded in checkpoints: a resume after the file's contents changed is refused. ""
  // records and checks nothing.
  std::string space_fingerprint;
  bool resume = false;        // continue from the newest checkpoint in out_dir, if any
  // Rank 0 shows progress on stdout: a bar on a terminal, timed lines otherwise, the
  // form and interval overridable with TINYNAS_PROGRESS (core::parse_progress_style).
  bool progress = true;
  torch::Device device{torch::kCPU};  // from select_device (the group's backend needs it too)
  int local_world_size = 1;   // processes on this node: shares the CPU cores
};

struct TrainResult {
  std::int64_t steps = 0;           // optimizer steps done in total (resumed ones included)
  std::int64_t start_step = 0;      // where this invocation started
  double images_per_s = 0;          // this invocation's images / its steps' time (epoch-end
                                    // evaluation and checkpoints excluded), as progress shows
  double val_accuracy = -1;         // mean over evaluated paths at the last evaluation
  double best_accuracy = -1;
  std::string checkpoint;           // sidecar of the last checkpoint written
};

class SupernetTrainer {
 public:
  /// `sets` and `group` must outlive the trainer. Errors (bad batch split, device) throw
  /// core::Error before anything is written.
  SupernetTrainer(TrainerOptions options, const data::Datasets& sets,
                  space::SupernetLayout layout, DistributedGroup& group);
  ~SupernetTrainer();

  TrainResult run();
  space::Supernet& model();
  /// One path of the current weights as search evaluates it: its BatchNorm statistics
  /// re-estimated on train.bn_recal_batches training batches, then top-1 on the
  /// validation split, both over all ranks of the group (collective: every rank calls it
  /// with the same path). Throws core::Error when the recipe has no validation split.
  EvalResult evaluate_path(const space::Arch& arch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tinynas::train
