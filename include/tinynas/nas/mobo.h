// Multi-objective Bayesian optimisation (HyT-NAS §III-B, Fig. 3): the sampling and batch
// selection steps. An initial population by Latin hypercube sampling over the genome's
// integer genes; after each round, candidates from the surrogate's first two non-dominated
// fronts are picked one by one by the hypervolume they add to what was already evaluated.
#pragma once

#include <cstddef>
#include <vector>

#include "tinynas/core/rng.h"
#include "tinynas/nas/pareto.h"

namespace tinynas::nas {

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
