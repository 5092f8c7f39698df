#include "tinynas/nas/genome_codec.h"

#include <algorithm>
#include <string>

#include "tinynas/core/error.h"

namespace tinynas::nas {

GenomeCodec::GenomeCodec(const space::SupernetLayout& layout, const space::SparseChoices& choices)
    : layout_(&layout), options_(space::sparse_options(choices)) {
  for (int i = 0; i < layout.num_choice_blocks(); ++i) {
    cards_.push_back(int(layout.block(i).candidates.size()));
    cards_.push_back(int(options_.size()));
  }
}

std::vector<int> GenomeCodec::encode(const Genome& genome) const {
  std::vector<int> genes;
  genes.reserve(cards_.size());
  for (int i = 0; i < layout_->num_choice_blocks(); ++i) {
    const auto& s = genome.sparse.at(i);
    const auto it = std::find(options_.begin(), options_.end(), s);
    if (it == options_.end())
      throw core::Error("genome codec: block " + layout_->block(i).label + " has sparsity " +
                        std::to_string(s.percent) + "/" + std::to_string(s.block) +
                        ", not one of the recipe's sparse choices");
    genes.push_back(genome.arch.at(i));
    genes.push_back(int(it - options_.begin()));
  }
  return genes;
}

Genome GenomeCodec::decode(const std::vector<int>& genes) const {
  if (genes.size() != cards_.size())
    throw core::Error("genome codec: " + std::to_string(genes.size()) + " genes, expected " +
                      std::to_string(cards_.size()));
  for (std::size_t k = 0; k < genes.size(); ++k)
    if (genes[k] < 0 || genes[k] >= cards_[k])
      throw core::Error("genome codec: gene " + std::to_string(k) + " is " +
                        std::to_string(genes[k]) + ", outside [0, " + std::to_string(cards_[k]) +
                        ")");
  Genome g;
  g.arch.space_id = g.sparse.space_id = layout_->space_id;
  std::size_t k = 0;
  for (const auto& stage : layout_->stages) {
    std::vector<int> cand;
    std::vector<space::BlockSparsity> sparse;
    for (std::size_t b = 0; b < stage.size(); ++b, k += 2) {
      cand.push_back(genes[k]);
      sparse.push_back(options_[std::size_t(genes[k + 1])]);
    }
    g.arch.choices.push_back(std::move(cand));
    g.sparse.blocks.push_back(std::move(sparse));
  }
  return g;
}

}  // namespace tinynas::nas
