// SuperNAS supernet architecture search (TinyFormer III-B, Algorithm 2): which supernet
// of the space should SparseNAS search? For each of T_i supernets sampled from the space's
// hyper-parameters:
//   1. TestSupernet: sample `test_paths` dense paths; skip the supernet when half or more
//      of them exceed the SRAM limit (activations do not shrink with pruning).
//   2. Train it for supernas.epochs with the SPOS trainer (data-parallel over the group).
//   3. For T_j sampled paths (redrawn while their activations alone exceed the SRAM limit:
//      pruning cannot fix those), draw sparse configs until T_k of them fit both limits (the
//      cost model decides), one-shot block-prune the path with each (compress: the same
//      masks as SparseNAS), recalibrate BatchNorm and measure validation top-1; the mean
//      over a path's configs is the path's score, the mean over paths the supernet's.
// The supernet with the best score wins.
//
// Files (rank 0 writes; <out> = runs/<name>/supernas):
//   <out>/candidates.jsonl          one JSON object per finished candidate, in order
//   <out>/candidates/<i>/           candidate i's training run (checkpoints, metrics)
//   <out>/best.json                 the best supernet so far, its score and checkpoint
//
//   <out>/search.json               the recipe the search runs (checked on resume)
//
// Resumable: a search restarted with `resume` re-reads candidates.jsonl, checks that the
// recipe still samples, trains and scores the same way (search.json; supernas.supernets
// may grow), skips the finished candidates and continues the interrupted one from its
// newest training checkpoint (its evaluation restarts).
// Everything random is a function of (supernas.seed, candidate index), so a resumed search
// makes the same choices as one that never stopped.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/layout.h"
#include "tinynas/train/distributed.h"

namespace tinynas::nas {

struct TestSupernetResult {
  int sampled = 0;
  int over_memory = 0;  ///< paths whose peak SRAM exceeds the limit
  std::int64_t max_sram = 0;  ///< bytes, over the sampled paths
  /// The paper's rule: skip when half or more exceed, i.e. 2 * over_memory >= sampled.
  bool passed() const { return 2 * over_memory < sampled; }
};

/// TestSupernet of Algorithm 2 over `paths` dense paths drawn from `rng`.
TestSupernetResult test_supernet(const space::SupernetLayout& layout, const cost::Limits& limits,
                                 int paths, core::Rng& rng);

struct SearchOptions {
  config::Recipe recipe;       ///< supernas.*, sparsenas.sparsity/block, train.*, run limits
  std::string out_dir;         ///< runs/<name>/supernas
  bool resume = false;         ///< continue a search found in out_dir
  bool progress = true;        ///< training progress bars (rank 0)
  torch::Device device{torch::kCPU};
  int local_world_size = 1;
};

/// One evaluated (path, sparse config).
struct SparseEval {
  std::string sparse;
  double accuracy = 0;
  std::int64_t effective_params = 0;
  std::int64_t peak_sram = 0;
  std::int64_t flash = 0;
  double achieved_sparsity = 0;  ///< pruned weights / prunable weights of the path
};

struct PathEval {
  std::string arch;
  std::vector<SparseEval> configs;  ///< the T_k fitting configs (fewer when none fit)
  int draws = 0;                    ///< sparse configs drawn to find them
  double mean_accuracy = -1;        ///< -1 when no config fits
};

struct Candidate {
  int index = 0;
  std::string supernet;
  /// "evaluated", "skipped" (failed TestSupernet), "duplicate" (same supernet as an
  /// earlier candidate: its result is reused), "unfit" (no path had a fitting config),
  /// "diverged" (training loss not finite).
  std::string status;
  int duplicate_of = -1;
  TestSupernetResult test;
  std::int64_t train_steps = 0;
  double train_images_per_s = 0;
  double train_val_accuracy = -1;  ///< the trainer's own dense-path mean, last epoch
  std::string checkpoint;          ///< the candidate's newest checkpoint sidecar
  std::vector<PathEval> paths;
  double score = -1;               ///< mean of the paths' mean accuracies; -1: none
  double seconds = 0;
};

core::Json to_json(const Candidate& c);
Candidate candidate_from_json(const core::Json& j, const std::string& where);

struct SearchResult {
  std::vector<Candidate> candidates;
  int best = -1;  ///< index into candidates; -1 when every candidate was skipped
  int resumed = 0;  ///< candidates read back from candidates.jsonl
};

/// Runs Algorithm 2. Every rank of `group` calls it with the same options. Errors
/// (another search in out_dir without resume, a recipe that samples other supernets
/// than the recorded ones, no validation split) throw core::Error before training.
SearchResult search_supernets(const SearchOptions& options, const data::Datasets& sets,
                              const space::SpaceDef& space, train::DistributedGroup& group);

}  // namespace tinynas::nas
