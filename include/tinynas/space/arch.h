// Paths and sparse configs, and their one-line text forms (DESIGN.md §3).
//
//   Arch          tf1:D0.M2.M1.T0|D1.M0.T2|P0
//                 space id, then per stage ('|') the chosen candidate of each choice
//                 block ('.'): its letter and candidate index.
//   SparseConfig  tf1:D50/4.M70/2.M0/2.T90/4|D50/4.M0/2.T0/2|P0/2
//                 per choice block: sparsity in whole percent / block size. The block
//                 size applies to conv and linear layers; depthwise convs always use
//                 blocks of kernel width (3).
//
// Both are read against a SupernetLayout (block counts, letters, candidate counts);
// errors name the character position and what was expected there.
#pragma once

#include <string>
#include <vector>

#include "tinynas/core/rng.h"
#include "tinynas/space/layout.h"

namespace tinynas::space {

struct Arch {
  std::string space_id;
  std::vector<std::vector<int>> choices;  ///< [stage][block] = candidate index

  bool operator==(const Arch& o) const {
    return space_id == o.space_id && choices == o.choices;
  }
  bool operator!=(const Arch& o) const { return !(*this == o); }
  /// Candidate of the flat-th choice block.
  int at(int flat) const;
  std::vector<int> flat() const;
};

struct BlockSparsity {
  int percent = 0;  ///< 0..99
  int block = 2;
  bool operator==(const BlockSparsity& o) const {
    return percent == o.percent && block == o.block;
  }
};

struct SparseConfig {
  std::string space_id;
  std::vector<std::vector<BlockSparsity>> blocks;  ///< [stage][block]

  bool operator==(const SparseConfig& o) const {
    return space_id == o.space_id && blocks == o.blocks;
  }
  const BlockSparsity& at(int flat) const;
};

std::string to_string(const Arch& arch, const SupernetLayout& layout);
Arch parse_arch(const std::string& text, const SupernetLayout& layout);
/// Throws (naming the block) when `arch` does not fit `layout`.
void check_arch(const Arch& arch, const SupernetLayout& layout);

std::string to_string(const SparseConfig& sparse, const SupernetLayout& layout);
SparseConfig parse_sparse(const std::string& text, const SupernetLayout& layout);
void check_sparse(const SparseConfig& sparse, const SupernetLayout& layout);
/// Every block dense (0%); block size 2 (unused at 0%).
SparseConfig dense_config(const SupernetLayout& layout);

/// What sparse configs may choose from (recipe: sparsenas.sparsity, sparsenas.block).
struct SparseChoices {
  std::vector<int> percents;
  std::vector<int> blocks;
};
/// From the recipe's lists; sparsities must be whole percents in [0, 99], blocks in
/// [1, 16]. Errors name the recipe key and index.
SparseChoices sparse_choices(const std::vector<double>& sparsity, const std::vector<int>& block);

/// Every (percent, block) pair a choice block can take: percents outer, blocks inner (the
/// order sample_sparse draws from). Throws core::Error when either list is empty.
std::vector<BlockSparsity> sparse_options(const SparseChoices& choices);

// Sampling, mutation and crossover. All randomness comes from the Rng passed in.

/// Uniform over paths: each choice block's candidate drawn independently.
Arch sample_arch(const SupernetLayout& layout, core::Rng& rng);
SparseConfig sample_sparse(const SupernetLayout& layout, const SparseChoices& choices,
                           core::Rng& rng);
SupernetConfig sample_supernet(const SpaceDef& space, core::Rng& rng);

/// Each block is redrawn with probability `prob` among its *other* candidates; at least
/// one block changes when any block has more than one candidate.
Arch mutate(const Arch& arch, const SupernetLayout& layout, double prob, core::Rng& rng);
SparseConfig mutate(const SparseConfig& sparse, const SupernetLayout& layout,
                    const SparseChoices& choices, double prob, core::Rng& rng);
/// Uniform crossover: each block from `a` or `b` with probability 1/2.
Arch crossover(const Arch& a, const Arch& b, core::Rng& rng);
SparseConfig crossover(const SparseConfig& a, const SparseConfig& b, core::Rng& rng);

}  // namespace tinynas::space
