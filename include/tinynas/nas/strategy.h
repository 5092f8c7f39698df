// One search-strategy interface (DESIGN.md §2 "One strategy interface"): a strategy
// proposes (path, sparse config) candidates and is told their scores. Random search,
// evolution and NSGA-II differ only here; evaluation (one-shot accuracy after BatchNorm
// recalibration, cost and latency from `cost`), the limits, data-parallel evaluation, the
// candidate log and resume are shared by all of them (nas/oneshot_search.h).
//
// The driver runs generations: generation g calls propose(g, rng_g) with
// rng_g = Rng(derive_seed(seed, kStrategyStream, g)), evaluates every proposal and calls
// tell(g, scored) once with all of them, in proposal order. A strategy's state is a pure
// function of its options, the generations proposed and the scores told, so a resumed
// search that replays the logged scores reaches the identical state (and population).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinynas/core/json.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/cost.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {

/// What a strategy searches over: one path with its sparse config.
struct Genome {
  space::Arch arch;
  space::SparseConfig sparse;
  bool operator==(const Genome& o) const { return arch == o.arch && sparse == o.sparse; }
};

/// The objectives of one evaluated genome. Accuracy is maximised, the rest minimised.
struct Objectives {
  double accuracy = 0;          ///< one-shot validation top-1 in [0, 1]
  double latency_ms = 0;        ///< cost model's latency at the recipe's clock
  std::int64_t flash = 0;       ///< bytes
  std::int64_t peak_sram = 0;   ///< bytes
};

struct Scored {
  Genome genome;
  Objectives objectives;
};

/// What every strategy needs to draw candidates: the supernet's layout, the sparse
/// choices, and the limits test (cost model: SRAM, flash, params, latency). `fits` is
/// deterministic and cheap (< 1 ms); strategies redraw children until one fits.
struct StrategyContext {
  const space::SupernetLayout* layout = nullptr;
  space::SparseChoices choices;
  std::function<bool(const Genome&)> fits;
  /// What MOBO needs besides (the others ignore it): the cost model's view of a genome
  /// (the predictor's cost features and the exact resource objectives of its surrogate),
  /// the clock of the latency objective, and the hypervolume's reference point in
  /// ObjectiveSet::minimised order (its batch selection).
  std::function<cost::Cost(const Genome&)> cost;
  double mcu_mhz = 216;
  std::vector<double> reference;
};

/// Redraws per child before a strategy gives up on it (the generation is then smaller).
constexpr int kMaxChildDraws = 200;

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  /// "random", "evolution", "nsga2", "mobo".
  virtual std::string name() const = 0;
  /// Generation `generation`'s candidates, every one fitting the limits. Empty when the
  /// strategy has nothing more to propose. Deterministic given the history and `rng`.
  virtual std::vector<Genome> propose(int generation, core::Rng& rng) = 0;
  /// The scores of propose(generation)'s candidates, same order, same count.
  virtual void tell(int generation, const std::vector<Scored>& scored) = 0;
  /// The current population (what population.json holds), best first by the strategy's
  /// own ranking.
  virtual std::vector<Scored> population() const = 0;
};

}  // namespace tinynas::nas
