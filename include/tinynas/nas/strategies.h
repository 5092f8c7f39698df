// The single-objective search strategies (nas/strategy.h) and the factory that builds any
// strategy from the recipe.
//
//   random     each generation `population` fresh genomes, drawn uniformly (space::
//              sample_arch + sample_sparse) and redrawn until they fit the limits and were
//              never proposed before. Ranking: accuracy.
//   evolution  MCUNet / SPOS evolution. Generation 0 is `population` random genomes; after
//              that the population is the top `population` of everything evaluated so far
//              by accuracy, its top `parents` are the parents, and a generation is
//              round(crossover_share * population) children by uniform crossover of two
//              parents (path and sparse config crossed separately) plus the rest by
//              mutation of one parent (each block redrawn with probability mutation_prob),
//              each redrawn until it fits and is new.
//   nsga2      nas/nsga2.h.
//   mobo       nas/mobo.h.
//
// Redraws: a child that does not fit or was proposed before is drawn again, at most
// kMaxChildDraws times (a crossover child's second half of draws is mutated after the
// crossover: a converged population's parents differ in few blocks, and all their crosses
// are soon proposed); then it is left out (the generation is smaller, and a generation
// of none ends the search). Ties in accuracy are ranked by evaluation order (first
// evaluated first), so rankings never depend on an unstable sort.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/nas/strategy.h"

namespace tinynas::nas {

struct RandomOptions {
  int population = 100;  ///< genomes per generation, and the size of population()
};

struct EvolutionOptions {
  int population = 100;         ///< genomes per generation and survivors kept
  int parents = 20;             ///< top genomes children are bred from
  double mutation_prob = 0.1;   ///< per choice block (path candidate and sparsity)
  double crossover_share = 0.5; ///< share of a generation made by crossover
};

/// Random search. `ctx.layout` and `ctx.fits` must be set and outlive the strategy.
std::unique_ptr<SearchStrategy> make_random_strategy(const StrategyContext& ctx,
                                                     const RandomOptions& options);

/// Evolution. Throws core::Error on population < 1, parents < 1, mutation_prob or
/// crossover_share outside [0, 1].
std::unique_ptr<SearchStrategy> make_evolution_strategy(const StrategyContext& ctx,
                                                        const EvolutionOptions& options);

/// Every strategy name sparsenas.strategy takes, in the order the comparison runs them.
const std::vector<std::string>& strategy_names();

/// The strategy sparsenas.strategy names ("random", "evolution", "nsga2", "mobo") with the
/// recipe's population, parents, mutation_prob, crossover_share (and objectives for
/// nsga2 and mobo; mobo's own keys and the `predictor` section for mobo). Unknown names
/// throw core::Error listing the valid ones.
std::unique_ptr<SearchStrategy> make_strategy(const config::SparseNasConfig& sparsenas,
                                              const StrategyContext& ctx,
                                              const config::PredictorConfig& predictor = {});

}  // namespace tinynas::nas
