// Per-rank index order with torch.utils.data.DistributedSampler semantics, so a run
// launched on N processes sees the same data partition a PyTorch user would expect.
#pragma once

#include <cstdint>
#include <vector>

namespace tinynas::data {

struct DistributedSamplerOptions {
  std::size_t dataset_size = 0;
  int rank = 0;
  int world_size = 1;
  bool shuffle = true;     // seeded permutation per epoch (same on every rank)
  bool drop_last = false;  // true: truncate the order to a multiple of world_size
  bool pad = true;  // when not dropping: pad by repeating the head of the order (torch's
                    // behaviour, equal shard sizes); false: shards differ by at most one
                    // image and nothing is seen twice (exact evaluation)
  std::uint64_t seed = 0;
};

/// Every epoch, all ranks build the same order of [0, N) (shuffled with (seed, epoch)),
/// make it divisible by world_size (padding with its first indices, or dropping the tail
/// when drop_last), and rank r takes positions r, r+W, r+2W, ...
/// Without padding the ranks' index sets are disjoint and together cover the dataset.
class DistributedSampler {
 public:
  /// Throws core::Error for world_size < 1 or rank outside [0, world_size).
  explicit DistributedSampler(const DistributedSamplerOptions& options);

  /// Indices this rank visits in `epoch`, in visiting order.
  std::vector<std::size_t> indices(std::int64_t epoch) const;
  /// Indices this rank gets per epoch.
  std::size_t num_samples() const { return num_samples_; }
  const DistributedSamplerOptions& options() const { return options_; }

 private:
  DistributedSamplerOptions options_;
  std::size_t num_samples_ = 0;  // this rank's share
  std::size_t total_ = 0;        // length of the padded/truncated order all ranks share
};

}  // namespace tinynas::data
