// The accuracy predictor's view of a candidate (nas/predictor.h): a fixed-length row of
// numbers from its path, its sparse config and its cost.
//
// Features, in this order (names as names() gives them):
//   per choice block, flat order, named by its label ("dot1.mbv2[0]"):
//     <label>.cand       the chosen candidate's index (only when the block has several)
//     <label>.skip       1 when the chosen candidate is a `skip` (only when one is)
//     <label>.<param>    each candidate parameter whose value differs between the block's
//                        candidates (expansion, heads, mlp_ratio, ...): integers and reals as
//                        they are, booleans 0/1, text as the index of its value among the
//                        block's distinct values in candidate order; 0 for a candidate
//                        without it (skip)
//     <label>.sparsity   percent / 100 (only when the sparse choices hold a non-zero one)
//     <label>.block      block size, 0 at 0% so that 0/2 and 0/4 encode alike (only when the
//                        choices hold several block sizes)
//   global:
//     active_blocks      choice blocks not skipped
//     pruned_fraction    pruned weights / weights of the path (cost model)
//     log10_params, log10_effective_params, log10_macs, log10_effective_macs
//     flash_kb, peak_sram_kb, latency_ms (at the recipe's clock)
// The cost features come from cost::evaluate_path with the recipe's cost options: what the
// search computes anyway for the limits and the latency objective.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/cost/cost.h"
#include "tinynas/nas/strategy.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {

class FeatureEncoder {
 public:
  /// Keeps a pointer to `layout`, which must outlive the encoder.
  FeatureEncoder(const space::SupernetLayout& layout, const space::SparseChoices& choices);

  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }
  /// Per feature, the direction accuracy may move in as the feature grows with all others
  /// held: -1 (never up) for each block's sparsity and the pruned fraction, 0 (either way)
  /// for the rest. Pruning more of the same path's one-shot weights does not make it more
  /// accurate; the predictor passes this prior to XGBoost (monotone_constraints), which 300
  /// evaluations alone do not teach it. It binds those columns only: the cost columns that
  /// also fall with pruning (effective params and MACs, flash, latency) stay free, so a
  /// re-encoded, more pruned genome may still be predicted higher.
  const std::vector<int>& monotone() const { return monotone_; }

  /// Writes size() values to `row`. `genome` must be of the layout (space::check_arch).
  void encode(const Genome& genome, const cost::Cost& cost, double mcu_mhz, float* row) const;

  /// 16 hex digits: FNV-1a of the space id, the supernet's hyper-parameter values, every
  /// candidate's summary and the feature names. A predictor saved under one fingerprint is
  /// refused under another (the same row would mean something else).
  std::string fingerprint() const;

 private:
  // How one feature is read from a genome.
  struct Source {
    enum class Kind { cand, skip, param, sparsity, block } kind = Kind::cand;
    int flat = 0;                    // choice block
    std::vector<float> per_candidate;  // param: the value of each candidate
  };
  const space::SupernetLayout* layout_;
  std::vector<std::string> names_;
  std::vector<int> monotone_;      // one per name
  std::vector<Source> sources_;    // one per per-block feature; the globals follow
  std::vector<std::string> candidate_summaries_;
};

/// Rows for every (genome, cost) pair, row-major: genomes.size() x encoder.size().
std::vector<float> encode_rows(const FeatureEncoder& encoder, const std::vector<Genome>& genomes,
                               const std::vector<cost::Cost>& costs, double mcu_mhz);

}  // namespace tinynas::nas
