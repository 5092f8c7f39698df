// A genome as a vector of integer genes, for what works on
// plain vectors: the Latin hypercube sampler and the surrogate problem MOBO hands to
// pagmo's NSGA-II. Per choice block, in execution order, two genes: the candidate index,
// then the sparse option (its index in space::sparse_options(choices)).
#pragma once

#include <vector>

#include "tinynas/nas/strategy.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {

class GenomeCodec {
 public:
  GenomeCodec(const space::SupernetLayout& layout, const space::SparseChoices& choices);

  /// How many values each gene takes (every one >= 1).
  const std::vector<int>& cards() const { return cards_; }
  std::vector<int> encode(const Genome& genome) const;
  /// Throws core::Error naming the gene when the vector has the wrong length or a gene is
  /// outside [0, card).
  Genome decode(const std::vector<int>& genes) const;

 private:
  const space::SupernetLayout* layout_;
  std::vector<space::BlockSparsity> options_;
  std::vector<int> cards_;
};

}  // namespace tinynas::nas
