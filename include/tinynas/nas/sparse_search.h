// SparseNAS (TinyFormer III-C): two-stage search for a block-pruned single-path model of
// the supernet SuperNAS chose.
//
// Stage 1 (Algorithm 3), search_sparse(): for i in 0..T_sin-1 (sparsenas.candidates):
//   1. draw a path and a sparse config (sparsenas.sparsity x sparsenas.block per choice
//      block), a pure function of (sparsenas.seed, i); redraw while the cost model puts
//      the pair over run.sram_kb / run.flash_kb (at most kMaxDraws draws, recorded);
//   2. extract the path from the supernet's weights; recalibrate its BatchNorm and measure
//      validation top-1: dense_accuracy;
//   3. train it sparsenas.epochs epochs (train.* settings, data-parallel over the group)
//      while AGP prunes it to the sparse config (nas/pruned_training.h);
//   4. validation top-1 of the pruned model: pruned_accuracy. The best one is kept.
// Stage 2, finetune_sparse(): the stage-1 winner trained sparsenas.finetune_epochs with AGP
// over that longer schedule. It restarts from the winner's *dense* weights, extracted again
// from the supernet, rather than from its stage-1 pruned weights: AGP then runs its whole
// gradual schedule over the long run (pruning a model that is already at its final
// sparsity would leave the schedule nothing to do), and stage 1 only chose what to train.
//
// The supernet (find_supernet()): <run>/supernas/best.json (the winner of the supernet
// search: its supernet and checkpoint) when it names one, else the recipe's space.supernet
// trained by `tinynas train` in <run>/supernet/ (its newest checkpoint).
//
// Files (rank 0 writes; <out> = <run>/sparsenas):
//   <out>/candidates.jsonl   one JSON object per finished candidate, in order
//   <out>/candidates/<i>/    candidate i's training run (checkpoints with masks, metrics)
//   <out>/best.json          the best candidate so far (path, sparse config, figures, the
//                            supernet and checkpoint it came from)
//   <out>/best/              the best candidate as a saved subnet (nas/saved_subnet.h)
//   <out>/search.json        the recipe and supernet the search runs (checked on resume)
//   <out>/finetune/          stage 2's training run
//   <out>/final/             stage 2's result as a saved subnet
//
// Resumable like supernet_search.h: a search restarted with `resume` re-reads
// candidates.jsonl (a torn last line dropped; other damage is an error naming file:line),
// refuses a recipe that changes what candidates are drawn, trained or scored (search.json;
// sparsenas.candidates may grow) or another supernet, skips the finished candidates and
// continues the interrupted one from its newest checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/distributed.h"

namespace tinynas::nas {

/// Draws per candidate before it is recorded as "unfit".
constexpr int kMaxDraws = 50;

/// The supernet SparseNAS searches.
struct ChosenSupernet {
  std::string supernet;    ///< SupernetConfig text
  std::string checkpoint;  ///< training checkpoint sidecar holding its weights
  std::string chosen_by;   ///< the file or directory it was found through
};

/// Finds it (header comment) for the run recipe.run.dir/recipe.run.name. Throws
/// core::Error naming both places when neither holds one, or when the supernet/ checkpoint
/// is of another supernet than space.supernet.
ChosenSupernet find_supernet(const config::Recipe& recipe, const space::SpaceDef& def);

/// The supernet of `layout` with the weights (and BatchNorm statistics) of `checkpoint`.
/// Errors name the checkpoint.
space::Supernet load_supernet(const std::string& checkpoint, const space::SupernetLayout& layout,
                              const std::string& supernet_text);

struct SparseSearchOptions {
  config::Recipe recipe;   ///< sparsenas.*, train.*, run limits, export.storage
  std::string out_dir;     ///< <run>/sparsenas
  bool resume = false;     ///< continue a search found in out_dir
  bool progress = true;    ///< training progress bars (rank 0)
  torch::Device device{torch::kCPU};
  int local_world_size = 1;
};

/// One stage-1 candidate (a line of candidates.jsonl). Accuracies are validation top-1 in
/// [0, 1], -1 when not measured; sizes in bytes.
struct SparseCandidate {
  int index = 0;
  std::string arch;    ///< path line
  std::string sparse;  ///< sparse config line
  int draws = 0;       ///< (path, config) pairs drawn until one fit (kMaxDraws when none)
  /// "evaluated", "unfit" (nothing drawn fit the limits), "diverged" (loss not finite).
  std::string status;
  double dense_accuracy = -1;
  double pruned_accuracy = -1;
  double achieved_sparsity = 0;     ///< zero weights / prunable weights after training
  std::int64_t zero_blocks = 0;     ///< pruned blocks after training
  std::int64_t target_blocks = 0;   ///< blocks the sparse config prunes
  std::int64_t effective_params = 0;
  std::int64_t flash = 0;
  std::int64_t peak_sram = 0;
  std::int64_t macs = 0;
  std::int64_t train_steps = 0;
  double train_images_per_s = 0;
  double train_val_accuracy = -1;   ///< the trainer's own figure at its last epoch
  std::string checkpoint;           ///< the candidate's newest checkpoint sidecar
  double seconds = 0;
};

core::Json to_json(const SparseCandidate& c);
/// Errors name `where` (file:line) and the key.
SparseCandidate sparse_candidate_from_json(const core::Json& j, const std::string& where);

struct SparseSearchResult {
  std::string supernet;  ///< the supernet searched
  std::vector<SparseCandidate> candidates;
  int best = -1;     ///< index into candidates; -1 when none was evaluated
  int resumed = 0;   ///< candidates read back from candidates.jsonl
};

/// Stage 1. Every rank of `group` calls it with the same options. Errors (another search
/// in out_dir without resume, a changed recipe or supernet on resume, no validation
/// split, no supernet) throw core::Error on every rank before training.
SparseSearchResult search_sparse(const SparseSearchOptions& options, const data::Datasets& sets,
                                 const space::SpaceDef& def, train::DistributedGroup& group);

struct FinetuneResult {
  std::string arch, sparse, supernet;
  double stage1_accuracy = -1;   ///< the winner's pruned accuracy in stage 1
  double dense_accuracy = -1;    ///< of the re-extracted dense weights (BN recalibrated)
  double pruned_accuracy = -1;   ///< after fine-tuning
  double achieved_sparsity = 0;
  std::int64_t train_steps = 0;
  double train_images_per_s = 0;
  std::string final_dir;         ///< <out>/final
};

/// Stage 2 (header comment) from options.out_dir/best.json into out_dir/finetune/ and
/// out_dir/final/; options.resume continues an interrupted fine-tuning (without it, an
/// existing finetune/ run is refused). finetune_epochs = 0 makes final/ a copy of best/.
/// Every rank calls it.
FinetuneResult finetune_sparse(const SparseSearchOptions& options, const data::Datasets& sets,
                               const space::SpaceDef& def, train::DistributedGroup& group);

}  // namespace tinynas::nas
