#include "tinynas/data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tinynas/core/rng.h"

namespace tinynas::data {

SplitIndices stratified_split(const ImageSet& set, double val_fraction, std::uint64_t seed) {
  std::vector<std::vector<std::size_t>> by_class(static_cast<std::size_t>(set.num_classes));
  for (std::size_t i = 0; i < set.size(); ++i)
    by_class[static_cast<std::size_t>(set.labels[i])].push_back(i);

  SplitIndices out;
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    auto& idx = by_class[c];
    // One stream per class keeps each class's choice independent of the others' sizes.
    core::Rng rng(core::derive_seed(seed, 0x5EED5EED, c));
    rng.shuffle(idx);
    auto n_val = static_cast<std::size_t>(std::llround(static_cast<double>(idx.size()) * val_fraction));
    out.val.insert(out.val.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_val));
    out.train.insert(out.train.end(), idx.begin() + static_cast<std::ptrdiff_t>(n_val), idx.end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.val.begin(), out.val.end());
  return out;
}

std::vector<std::size_t> seeded_subset(std::size_t n, std::size_t limit, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  if (limit == 0 || limit >= n) return idx;
  core::Rng rng(core::derive_seed(seed, 0x5B5E7));
  rng.shuffle(idx);
  idx.resize(limit);
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace tinynas::data
