#include "tinynas/data/sampler.h"

#include <numeric>
#include <string>

#include "tinynas/core/error.h"
#include "tinynas/core/rng.h"

namespace tinynas::data {

DistributedSampler::DistributedSampler(const DistributedSamplerOptions& options)
    : options_(options) {
  if (options.world_size < 1)
    throw core::Error("sampler: world size must be >= 1, got " + std::to_string(options.world_size));
  if (options.rank < 0 || options.rank >= options.world_size)
    throw core::Error("sampler: rank " + std::to_string(options.rank) + " is outside [0, " +
                      std::to_string(options.world_size) + ")");
  const auto n = options.dataset_size;
  const auto w = static_cast<std::size_t>(options.world_size);
  // torch's DistributedSampler: ceil((n - w) / w) when dropping, which is floor(n / w).
  const auto r = static_cast<std::size_t>(options.rank);
  if (options.drop_last) {
    num_samples_ = n / w;
    total_ = num_samples_ * w;
  } else if (options.pad) {
    num_samples_ = (n + w - 1) / w;
    total_ = num_samples_ * w;
  } else {
    num_samples_ = n / w + (r < n % w ? 1 : 0);
    total_ = n;
  }
}

std::vector<std::size_t> DistributedSampler::indices(std::int64_t epoch) const {
  const auto n = options_.dataset_size;
  const auto w = static_cast<std::size_t>(options_.world_size);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (options_.shuffle) {
    core::Rng rng(core::derive_seed(options_.seed, 0xD15EA5E, static_cast<std::uint64_t>(epoch)));
    rng.shuffle(order);
  }
  if (total_ > n) {
    // Pad by cycling through the order from its head (repeats when n is tiny).
    for (std::size_t i = n; i < total_ && n > 0; ++i) order.push_back(order[i - n]);
  } else {
    order.resize(total_);
  }
  std::vector<std::size_t> mine;
  mine.reserve(num_samples_);
  for (std::size_t i = static_cast<std::size_t>(options_.rank); i < total_; i += w)
    mine.push_back(order[i]);
  return mine;
}

}  // namespace tinynas::data
