// SparseNAS stage 1 by a search strategy scored one-shot (sparsenas.strategy evolution or
// nsga2; random search by the same driver is for comparisons): what every strategy shares
// (DESIGN.md §2 "One strategy interface").
//
// On the supernet find_supernet() chooses (nas/sparse_search.h), generation g = 0, 1, ...
// asks the strategy (nas/strategies.h) for candidates with
// rng_g = core::Rng(derive_seed(sparsenas.seed, kStrategyStream, g)), scores each and
// tells the strategy the generation's scores, until sparsenas.evaluations candidates are
// scored, sparsenas.generations generations ran, or the strategy proposes nothing. A
// generation the budget cuts short is scored as far as the budget goes and not told (the
// strategy's population stays that of the last whole generation); a resume with a larger
// budget finishes it.
//
// Scoring one candidate (path, sparse config), the way SuperNAS scores paths:
//   - cost: cost::evaluate_path with the recipe's cost options (cost/recipe_cost.h: flash,
//     peak SRAM, effective params, MACs, latency at export.mcu_mhz, see objectives_of());
//     the limits are cost::limits_of(recipe), run.latency_ms included;
//   - accuracy: the path's prunable layers in the supernet are block-pruned one-shot to the
//     sparse config (compress: magnitude masks, the same as AGP's final ones), its BatchNorm
//     statistics re-estimated on train.bn_recal_batches training batches (train.batch_size
//     images each, over all ranks), then top-1 on the first sparsenas.fitness_images images
//     of the validation split (0 = all), sharded over the group's ranks; the supernet's
//     weights are then restored bit for bit.
// A score is a pure function of (supernet weights, path, sparse config, recipe): resumed
// and uninterrupted searches score alike.
//
// Files (rank 0 writes; <out> = <run>/sparsenas or options.out_dir):
//   <out>/evaluations.jsonl  one JSON object per scored candidate, appended as soon as it is
//                            scored: evaluation, generation, index (in its generation),
//                            arch, sparse, accuracy, latency_ms, flash, peak_sram,
//                            effective_params, macs, achieved_sparsity, seconds
//   <out>/population.json    the strategy's population() after each told generation
//                            (atomic rewrite): {"strategy", "generation", "evaluations",
//                            "population": [{arch, sparse, accuracy, latency_ms, flash,
//                            peak_sram}, ...]}, best first
//   <out>/hv.jsonl           per generation: generation, evaluations so far, hypervolume of
//                            every scored candidate in sparsenas.objectives (nas/pareto.h)
//                            against the reference below, and that over the box volume
//                            between ObjectiveSet::ideal() and the reference (rewritten
//                            atomically each generation)
//   <out>/pareto.csv         the non-dominated scored candidates in sparsenas.objectives
//                            with their figures (rewritten each generation)
//   <out>/search.json        the recipe keys that determine the search, the supernet, the
//                            hypervolume reference (checked on resume)
//   <out>/best.json, best/   the candidate sparsenas.pick chooses (below), as stage 1 of
//                            Algorithm 3 writes them (finetune_sparse() takes them as they
//                            are): best/ holds the supernet's path pruned one-shot with its
//                            BatchNorm recalibrated; best.json's pruned_accuracy is the
//                            one-shot accuracy (dense_accuracy -1: not measured)
//
// Hypervolume reference: accuracy 0; flash and SRAM at run.flash_kb / run.sram_kb; latency
// run.latency_ms when set, else 1.1 x the largest predicted latency of kReferenceSamples
// genomes drawn from a fixed seed that fit the limits (1 ms when the cost model predicts
// none): a function of the supernet and the limits only, so every strategy searching one
// supernet is measured against the same point.
//
// Pick (sparsenas.pick): best = the most accurate; knee = the point of the accuracy /
// latency Pareto front farthest from the straight line joining its two extremes (both axes
// normalised to the front's range; the most accurate when the front has fewer than three
// points); fastest = the lowest latency among those with accuracy >= sparsenas.pick_accuracy
// (ties: the more accurate, then the earlier). Ties otherwise go to the earlier evaluation.
//
// Resume (options.resume) after any kill: evaluations.jsonl is read back (a torn last line
// dropped), search.json checked (sparsenas.evaluations, generations, pick and pick_accuracy
// may change), and the generations replayed: each proposal already on record (same
// generation, index, arch and sparse config, or the resume is refused naming the line) is
// told its recorded score instead of being scored again. Strategies are pure functions of
// what they were told, so the resumed search reaches the state, and writes the
// population.json, of one that never stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/config/recipe.h"
#include "tinynas/cost/cost.h"
#include "tinynas/data/dataset.h"
#include "tinynas/nas/sparse_search.h"
#include "tinynas/nas/strategy.h"
#include "tinynas/space/space.h"
#include "tinynas/train/distributed.h"

namespace tinynas::nas {

/// The random stream of generation g's proposals: derive_seed(sparsenas.seed, this, g).
constexpr std::uint64_t kStrategyStream = 0x5a45'0010;
/// Genomes drawn for the default latency reference (header comment).
constexpr int kReferenceSamples = 1000;

/// A candidate's objectives from its cost: flash, peak SRAM, and the predicted latency at
/// `mcu_mhz` (export.mcu_mhz; cost/latency.h). The single place latency enters the search.
Objectives objectives_of(const cost::Cost& cost, double accuracy, double mcu_mhz);

/// The pick rule `rule` (sparsenas.pick: best, knee, fastest; header comment) over `scored`;
/// an index into it, -1 when it is empty. fastest without a point at least `min_accuracy`
/// accurate, or an unknown rule, throws core::Error naming the recipe key.
int pick_point(const std::vector<Scored>& scored, const std::string& rule, double min_accuracy);

struct OneShotSearchOptions {
  config::Recipe recipe;   ///< sparsenas.*, train.* (recalibration, batch), run limits, export.storage
  std::string out_dir;     ///< <run>/sparsenas
  bool resume = false;     ///< continue a search found in out_dir
  bool progress = true;    ///< a line per generation (rank 0)
  torch::Device device{torch::kCPU};
  int local_world_size = 1;
};

/// One line of evaluations.jsonl.
struct OneShotEvaluation {
  int evaluation = 0;    ///< 0-based over the whole search
  int generation = 0;
  int index = 0;         ///< within its generation's proposals
  std::string arch, sparse;
  Objectives objectives;
  std::int64_t effective_params = 0;
  std::int64_t macs = 0;
  double achieved_sparsity = 0;  ///< zero weights / prunable weights after pruning
  double seconds = 0;
};

core::Json to_json(const OneShotEvaluation& e);
/// Errors name `where` (file:line) and the key.
OneShotEvaluation oneshot_evaluation_from_json(const core::Json& j, const std::string& where);
/// As a stage-1 candidate (sparse_search.h): status "evaluated", pruned_accuracy = the
/// one-shot accuracy, dense_accuracy -1 (not measured), draws 1, nothing trained.
SparseCandidate to_sparse_candidate(const OneShotEvaluation& e);

struct OneShotSearchResult {
  std::string supernet;
  std::string strategy;
  std::vector<OneShotEvaluation> evaluations;  ///< every scored candidate, in order
  std::vector<Scored> population;              ///< the strategy's, best first
  int generations = 0;    ///< generations run (the last may be cut short by the budget)
  int resumed = 0;        ///< evaluations read back from evaluations.jsonl
  int best = -1;          ///< the pick: index into evaluations; -1 when none was scored
  double latency_reference_ms = 0;
  double hypervolume = 0; ///< of all evaluations, at the end
};

/// Every rank of `group` calls it with the same options. Errors (another search in out_dir
/// without resume, a changed recipe or supernet on resume, no validation split, no
/// supernet, no point for pick fastest) throw core::Error on every rank.
OneShotSearchResult search_oneshot(const OneShotSearchOptions& options, const data::Datasets& sets,
                                   const space::SpaceDef& def, train::DistributedGroup& group);

}  // namespace tinynas::nas
