// Deterministic index selection: train/val split and seeded subsets.
#pragma once

#include <cstdint>
#include <vector>

#include "tinynas/data/image_set.h"

namespace tinynas::data {

struct SplitIndices {
  std::vector<std::size_t> train;  // ascending
  std::vector<std::size_t> val;    // ascending
};

/// Stratified split: within each class, a seeded shuffle picks round(count * val_fraction)
/// images for validation. The result depends only on (labels, val_fraction, seed), never
/// on thread count or platform; train and val are disjoint and cover every index.
SplitIndices stratified_split(const ImageSet& set, double val_fraction, std::uint64_t seed);

/// The first `limit` indices of a seeded permutation of [0, n), sorted ascending
/// (all of [0, n) when limit is 0 or >= n). Used for `train_limit`/`test_limit`.
std::vector<std::size_t> seeded_subset(std::size_t n, std::size_t limit, std::uint64_t seed);

}  // namespace tinynas::data
