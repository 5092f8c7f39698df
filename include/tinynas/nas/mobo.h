// Multi-objective Bayesian optimisation (HyT-NAS §III-B, Fig. 3), sparsenas.strategy: mobo.
//
//   generation 0  `init` genomes by Latin hypercube sampling over the genome's integer
//                 genes (nas/genome_codec.h), each redrawn at random until it fits and is new;
//   then          fit the accuracy predictor's ensemble (nas/predictor.h) on every genome
//                 told so far; solve the surrogate problem with NSGA-II: accuracy is the
//                 ensemble's upper confidence bound mean + kappa * spread, the resources
//                 are exact from the cost model; of the surrogate's final population, the
//                 genomes not evaluated yet, pick up to `batch` from its first two fronts by
//                 hypervolume improvement over the evaluated points (select_by_hvi), and
//                 fill a short batch by (front, bound), then at random.
// The surrogate's NSGA-II is the search's own (nas/nsga2.h: the limits as hard constraints,
// genomes already evaluated told to it first, so that they seed its population and are
// never proposed again) rather than pagmo's nsga2, which takes no constraints; the fronts
// and hypervolumes are pagmo's (nas/pareto.h). Deterministic: every draw comes from the
// generation's Rng and the ensemble trains on one thread (nas/predictor.h).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "tinynas/core/rng.h"
#include "tinynas/nas/pareto.h"
#include "tinynas/nas/predictor.h"
#include "tinynas/nas/strategy.h"

namespace tinynas::nas {

struct MoboOptions {
  int init = 40;                   ///< Latin hypercube genomes of generation 0 (sparsenas.mobo_init)
  int batch = 10;                  ///< genomes per later generation (sparsenas.mobo_batch)
  double kappa = 1.0;              ///< UCB weight of the ensemble's spread (sparsenas.mobo_kappa)
  int surrogate_population = 100;  ///< the surrogate NSGA-II's (sparsenas.mobo_population)
  int surrogate_generations = 20;  ///< (sparsenas.mobo_generations)
  int population = 100;            ///< genomes population() returns (sparsenas.population)
  double mutation_prob = 0.1;      ///< the surrogate NSGA-II's breeding
  double crossover_share = 0.5;
  ObjectiveSet objectives;
  PredictorOptions predictor;
};

/// MOBO. ctx.layout, ctx.cost and ctx.reference (objectives.size() values) must be set and
/// ctx.layout outlive the strategy. Throws core::Error naming the recipe key on options out
/// of range.
std::unique_ptr<SearchStrategy> make_mobo_strategy(const StrategyContext& ctx,
                                                   const MoboOptions& options);

/// n points of integer genes, gene k in [0, cards[k]): per gene the n points fall in n
/// strata of equal width of [0, cards[k]), one each, in a random order (a permutation per
/// gene), each drawn uniformly inside its stratum and floored to an integer. A value of a
/// gene then appears n / card times give or take one (a stratum straddles each integer
/// boundary), so each one at least once when n >= 2 card. Throws core::Error when n < 1 or
/// a card < 1.
std::vector<std::vector<int>> latin_hypercube(const std::vector<int>& cards, int n,
                                              core::Rng& rng);

/// Up to `batch` indices into `candidates` (minimised objectives, like `observed`), in the
/// order chosen: only points of the candidates' first two non-dominated fronts are
/// considered; each step takes the one that most increases the hypervolume (bounded by
/// `reference`) of the observed points plus those already chosen, ties to the lower
/// index; it stops early when no remaining candidate adds any volume.
std::vector<std::size_t> select_by_hvi(const Points& candidates, const Points& observed,
                                       const std::vector<double>& reference, std::size_t batch);

}  // namespace tinynas::nas
