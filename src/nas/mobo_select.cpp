#include <algorithm>
#include <numeric>
#include <string>

#include "tinynas/core/error.h"
#include "tinynas/nas/mobo.h"

namespace tinynas::nas {

std::vector<std::vector<int>> latin_hypercube(const std::vector<int>& cards, int n,
                                              core::Rng& rng) {
  if (n < 1) throw core::Error("latin_hypercube: n must be >= 1, got " + std::to_string(n));
  std::vector<std::vector<int>> points(std::size_t(n), std::vector<int>(cards.size()));
  std::vector<int> strata(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < cards.size(); ++k) {
    if (cards[k] < 1)
      throw core::Error("latin_hypercube: gene " + std::to_string(k) + " has " +
                        std::to_string(cards[k]) + " values");
    std::iota(strata.begin(), strata.end(), 0);
    rng.shuffle(strata);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double u = (strata[i] + rng.uniform01()) / n;  // in [0, 1)
      points[i][k] = std::min(cards[k] - 1, int(u * cards[k]));
    }
  }
  return points;
}

std::vector<std::size_t> select_by_hvi(const Points& candidates, const Points& observed,
                                       const std::vector<double>& reference, std::size_t batch) {
  std::vector<std::size_t> pool;
  const auto fronts = nondominated_fronts(candidates);
  for (std::size_t f = 0; f < fronts.size() && f < 2; ++f)
    pool.insert(pool.end(), fronts[f].begin(), fronts[f].end());
  std::sort(pool.begin(), pool.end());
  Points base = observed;
  double volume = base.empty() ? 0.0 : hypervolume(base, reference);
  std::vector<std::size_t> chosen;
  while (chosen.size() < batch && !pool.empty()) {
    std::size_t best = pool.size();
    double best_volume = volume;
    for (std::size_t j = 0; j < pool.size(); ++j) {
      base.push_back(candidates[pool[j]]);
      const double v = hypervolume(base, reference);
      base.pop_back();
      if (v > best_volume) best = j, best_volume = v;
    }
    if (best == pool.size()) break;  // nothing adds volume
    chosen.push_back(pool[best]);
    base.push_back(candidates[pool[best]]);
    volume = best_volume;
    pool.erase(pool.begin() + std::ptrdiff_t(best));
  }
  return chosen;
}

}  // namespace tinynas::nas
