// Search strategies side by side on one trained supernet (`tinynas sparsenas compare`):
// each strategy runs search_oneshot (nas/oneshot_search.h) once per seed
// (sparsenas.seed + s) with its own evaluation budget, in <out>/<strategy>-s<seed>/ (a
// rerun resumes them; seed by seed, every strategy at each, so that a comparison stopped
// early still compares), and every run's evaluations are turned into curves over the number
// of evaluations: the normalised hypervolume of the first k evaluations (the run's
// reference point, which is the same for every run on one supernet and limits) and the
// best one-shot accuracy among them. A strategy's curve is the median over its seeds.
//
// Files: <out>/compare.json (per strategy: budgets, per-seed and median curves, the final
// figures), <out>/compare.csv (strategy, evaluations, median hypervolume, median best
// accuracy), <out>/hypervolume.svg and <out>/best_accuracy.svg (one median line per
// strategy).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/space.h"
#include "tinynas/train/distributed.h"

namespace tinynas::nas {

struct StrategyComparisonOptions {
  config::Recipe recipe;  ///< sparsenas.* as stage 1 runs them; strategy and seed are set per run
  std::string out_dir;
  std::vector<std::string> strategies = {"random", "evolution", "nsga2", "mobo"};
  int seeds = 3;
  /// Per strategy; a strategy not named gets sparsenas.evaluations.
  std::map<std::string, int> evaluations;
  int step = 25;          ///< curve resolution, in evaluations
  bool progress = true;
  torch::Device device{torch::kCPU};
  int local_world_size = 1;
};

/// Curves over evaluations k = step, 2 step, ..., the budget (and the budget itself).
struct StrategyCurve {
  std::string strategy;
  int budget = 0;
  std::vector<int> evaluations;
  std::vector<std::vector<double>> hypervolume;    ///< [seed][point], normalised to [0, 1]
  std::vector<std::vector<double>> best_accuracy;  ///< [seed][point]
  std::vector<double> median_hypervolume, median_best_accuracy;
  /// The median at `k` evaluations (the last point at or before k); -1 before the first.
  double median_hypervolume_at(int k) const;
  double median_best_accuracy_at(int k) const;
  /// The first curve point whose median hypervolume is at least `hv`; -1 when none is.
  int evaluations_to_reach(double hv) const;
};

struct StrategyComparison {
  std::vector<StrategyCurve> curves;
  core::Json to_json() const;
};

/// Runs (or resumes) every (strategy, seed) and writes the files. Every rank calls it.
StrategyComparison compare_strategies(const StrategyComparisonOptions& options, const data::Datasets& sets,
                                      const space::SpaceDef& def, train::DistributedGroup& group);

/// The colour of a strategy's line in every comparison plot (the run report's too).
const char* strategy_color(const std::string& strategy);

}  // namespace tinynas::nas
