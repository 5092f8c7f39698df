// What every search strategy's proposals share (private to the nas layer): a genome is
// proposed only when it fits the limits and was never proposed or told before.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "tinynas/nas/strategy.h"
#include "tinynas/space/arch.h"

namespace tinynas::nas::detail {

class GenomeDraws {
 public:
  explicit GenomeDraws(const StrategyContext& ctx) : ctx_(ctx) {}

  /// `make(attempt)` until its genome is new and fits (an empty StrategyContext::fits
  /// accepts every genome), at most kMaxChildDraws times; the genome is then remembered.
  std::optional<Genome> draw(const std::function<Genome(int attempt)>& make) {
    for (int d = 0; d < kMaxChildDraws; ++d) {
      Genome g = make(d);
      auto k = key(g);
      if (seen_.count(k) || (ctx_.fits && !ctx_.fits(g))) continue;
      seen_.insert(std::move(k));
      return g;
    }
    return std::nullopt;
  }

  /// `g` itself when it is new and fits (it is then remembered), else nothing: one try.
  std::optional<Genome> take(const Genome& g) {
    auto k = key(g);
    if (seen_.count(k) || (ctx_.fits && !ctx_.fits(g))) return std::nullopt;
    seen_.insert(std::move(k));
    return g;
  }

  /// Uniform over paths and sparse configs.
  Genome random(core::Rng& rng) const {
    Genome g;
    g.arch = space::sample_arch(*ctx_.layout, rng);
    g.sparse = space::sample_sparse(*ctx_.layout, ctx_.choices, rng);
    return g;
  }

  /// A genome told without having been proposed: never proposed after.
  void remember(const Genome& g) { seen_.insert(key(g)); }

 private:
  // The flat form of a genome: its identity for the no-duplicates rule.
  std::vector<int> key(const Genome& g) const {
    std::vector<int> k = g.arch.flat();
    const int n = ctx_.layout->num_choice_blocks();
    for (int i = 0; i < n; ++i) {
      k.push_back(g.sparse.at(i).percent);
      k.push_back(g.sparse.at(i).block);
    }
    return k;
  }

  StrategyContext ctx_;
  std::set<std::vector<int>> seen_;
};

}  // namespace tinynas::nas::detail
