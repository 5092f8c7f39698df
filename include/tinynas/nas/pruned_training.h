// AGP block pruning while a subnet trains (TinyFormer III-C: SparseNAS prunes iteratively
// with Zhu & Gupta's schedule, compress/agp.h): AgpHooks plugs a compress::AgpPruner into
// train::SubnetTrainer.
//
// Around each optimizer step t of a run of T steps:
//   before the forward   at AGP update steps, masks recomputed by block magnitude at the
//                        schedule's share of each layer's final sparsity; weights masked
//   before the update    gradients masked (after the all-reduce, before clipping)
//   after the update     weights masked again, so momentum and weight decay cannot revive
//                        a pruned block: pruned blocks stay exactly zero
// The masks go into every checkpoint and come back on resume, so a resumed run prunes
// exactly as one that never stopped. BatchNorm trains normally.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinynas/compress/agp.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/config/recipe.h"
#include "tinynas/train/subnet_trainer.h"

namespace tinynas::nas {

/// Where in a run AGP prunes (recipe sparsenas.agp_start / agp_end / agp_frequency).
struct AgpSettings {
  double start = 0.1;           ///< fraction of the run's steps before pruning starts, [0, 1]
  double end = 0.7;             ///< fraction by which the final sparsity is reached, [start, 1]
  std::int64_t frequency = 50;  ///< Δt: steps between mask updates, >= 1

  static AgpSettings from(const config::SparseNasConfig& sparsenas);
};

/// The AGP schedule of a run of `total_steps` steps: compress::AgpSchedule::for_run(T,
/// start, end, Δt') with Δt' = min(frequency, max(1, floor(end T) - floor(start T))), so
/// that a run shorter than one update interval still reaches the final sparsity (with a
/// single update at floor(end T)) instead of never getting there.
compress::AgpSchedule agp_schedule(std::int64_t total_steps, const AgpSettings& settings);

/// Whole-model figures of a MaskSet's report, over the prunable layers.
struct PruningSummary {
  std::int64_t weights = 0;        ///< prunable weight elements
  std::int64_t zero_weights = 0;   ///< of them exactly zero now
  std::int64_t blocks = 0;
  std::int64_t zero_blocks = 0;    ///< blocks whose weights are all zero now
  std::int64_t target_blocks = 0;  ///< blocks the sparse config prunes (sum of
                                   ///< PrunableLayer::target_pruned_blocks)
  double sparsity() const { return weights ? double(zero_weights) / double(weights) : 0.0; }
};
PruningSummary summarize(const compress::MaskSet& masks);

/// train::TrainHooks that prune a subnet with AGP (header comment). Build it over
/// compress::prunable_layers(subnet, layout, sparse) of the model the trainer trains.
class AgpHooks : public train::TrainHooks {
 public:
  /// `sparse_text` names the sparse config in checkpoints (the identity, with the settings).
  AgpHooks(std::vector<compress::PrunableLayer> layers, std::string sparse_text,
           AgpSettings settings);
  AgpHooks(const AgpHooks&) = delete;  // the pruner holds a reference to masks_
  AgpHooks& operator=(const AgpHooks&) = delete;

  std::string identity() const override;
  void start(std::int64_t total_steps) override;
  void before_forward(std::int64_t step) override;
  void before_update() override;
  /// Masks the weights; on the run's last step, also finish().
  void after_update(std::int64_t step) override;
  /// Adds "sparsity_fraction": the schedule's share of the final sparsity at `step`.
  void describe_step(std::int64_t step, core::Json& record) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  /// Brings every mask to its layer's full target when the schedule has not (a run of no
  /// steps, or one whose last update lies past its end, e.g. agp_end = 1): one more
  /// magnitude update at fraction 1, applied to the weights. Idempotent.
  void finish();

  const compress::MaskSet& masks() const { return masks_; }
  PruningSummary summary() const { return summarize(masks_); }
  /// The schedule of the current run (after start()).
  const compress::AgpSchedule& schedule() const;

 private:
  compress::MaskSet masks_;
  std::string sparse_text_;
  AgpSettings settings_;
  std::int64_t total_steps_ = 0;
  std::optional<compress::AgpPruner> pruner_;
  double fraction_ = 0;  // the share of the final sparsity the masks are at now
};

}  // namespace tinynas::nas
