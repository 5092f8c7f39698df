// NSGA-II (Deb et al. 2002) over (path, sparse config) genomes, behind the one strategy
// interface (nas/strategy.h). The objectives come from an ObjectiveSet (nas/pareto.h):
// accuracy up, the named resources down; resources not named stay limits (ctx.fits).
//
//   propose(g): while the population is empty (generation 0, or nothing told yet),
//               `population` random genomes (space::sample_arch + sample_sparse);
//               otherwise `population` children, each made from binary-tournament winners
//               (lower front rank wins, then larger crowding distance, then the earlier
//               population member): with probability `crossover_share` uniform crossover
//               of two winners (arch and sparse config separately) then mutation, else
//               mutation of one winner (space::mutate, `mutation_prob` per block).
//               Every child is redrawn (new parents, new operators) until ctx.fits accepts
//               it and no earlier proposal or told genome equals it, at most
//               kMaxChildDraws times; a child that never succeeds is dropped, so a
//               generation can be smaller (empty when the space is exhausted).
//   tell(g):    population = select_best(population + told, `population`) (pareto.h:
//               fronts, then crowding distance).
//   population(): sorted by (front rank, accuracy descending, earlier first).
//
// The state is a pure function of the options, the proposals and the scores told, so two
// runs with the same rng streams and scores propose identical genomes, and a resumed
// search that replays propose/tell with the logged scores reaches the same population.
// tell() also accepts scores of genomes it did not propose (they join the population and
// the duplicate check).
#pragma once

#include <memory>

#include "tinynas/nas/pareto.h"
#include "tinynas/nas/strategy.h"

namespace tinynas::nas {

struct Nsga2Options {
  /// Population size and children per generation, >= 2 (recipe sparsenas.population).
  int population = 100;
  /// Per-block redraw probability of a mutation, [0, 1] (sparsenas.mutation_prob).
  double mutation_prob = 0.1;
  /// Probability a child is bred by crossover (then mutated), [0, 1]
  /// (sparsenas.crossover_share).
  double crossover_share = 0.5;
  /// What is traded off (sparsenas.objectives).
  ObjectiveSet objectives;
};

/// Throws core::Error (naming the recipe key) on options out of range or a null layout.
/// An empty ctx.fits accepts every genome.
std::unique_ptr<SearchStrategy> make_nsga2_strategy(const StrategyContext& ctx,
                                                    const Nsga2Options& options);

}  // namespace tinynas::nas
