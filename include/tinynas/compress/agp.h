// Automated gradual pruning (Zhu & Gupta 2017, "To prune, or not to prune"), the schedule
// SparseNAS prunes with (TinyFormer III-C):
//
//   s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n Δt))^3,   t in {t0, t0 + Δt, ..., t0 + n Δt}
//
// Sparsity rises from s_i to s_f over n pruning updates Δt steps apart, starting at step t0,
// fast at first and slowly at the end, when the remaining weights matter most. Between
// updates it holds; before t0 nothing is pruned; from t0 + nΔt on it is s_f.
//
// Each layer has its own final sparsity s_f (the sparse config), so the schedule works in
// fractions of it: fraction(t) = s_t / s_f, with s_i = initial_fraction * s_f. The masks
// (MaskSet::compute_magnitude(fraction)) then hold every layer at s_t of its own target.
#pragma once
#include <cstdint>

#include "tinynas/compress/mask_set.h"

namespace tinynas::compress {

struct AgpOptions {
  std::int64_t start_step = 0;   ///< t0
  std::int64_t updates = 1;      ///< n (>= 1): the last update is at t0 + n Δt
  std::int64_t frequency = 1;    ///< Δt in optimizer steps (>= 1)
  double initial_fraction = 0;   ///< s_i / s_f, in [0, 1]
};

class AgpSchedule {
 public:
  /// Throws core::Error on updates < 1, frequency < 1, a negative start or
  /// initial_fraction outside [0, 1].
  explicit AgpSchedule(AgpOptions options);

  /// The schedule for a run of `total_steps` optimizer steps that prunes from
  /// start * total_steps to end * total_steps (recipe sparsenas.agp_start / agp_end, fractions
  /// of the run) every `frequency` steps: t0 = floor(start * T), n = max(1, floor((floor(end *
  /// T) - t0) / Δt)). When the window is shorter than Δt there is one update, at t0 + Δt.
  static AgpSchedule for_run(std::int64_t total_steps, double start, double end,
                             std::int64_t frequency, double initial_fraction = 0);

  /// s_t / s_f after `step` optimizer steps: 0 before t0, the cubic at the last update
  /// step <= step, 1 from the last update on.
  double fraction(std::int64_t step) const;
  /// s_t for a layer whose final sparsity is `final_sparsity`.
  double sparsity(std::int64_t step, double final_sparsity) const {
    return fraction(step) * final_sparsity;
  }
  /// True when the masks are recomputed at `step`: t0 + kΔt, k = 0..n.
  bool updates_at(std::int64_t step) const;
  /// t0 + nΔt: the step from which the final sparsity holds.
  std::int64_t end_step() const { return o_.start_step + o_.updates * o_.frequency; }
  const AgpOptions& options() const { return o_; }

 private:
  AgpOptions o_;
};

/// Drives a MaskSet through an AgpSchedule around a training loop:
///
///   for t in [start, T):            // t = optimizer steps done so far
///     pruner.before_forward(t);     // at update steps: recompute masks, prune weights
///     loss.backward();
///     pruner.before_step();         // pruned weights get no gradient
///     optimizer.step();
///     pruner.after_step();          // and stay exactly zero (momentum, decay)
///
/// The masks at step t depend only on the weights and on t, so a run resumed at step t
/// recomputes the same masks as one that never stopped, provided it calls
/// before_forward(t) first (it recomputes when t is past t0 even off an update step).
class AgpPruner {
 public:
  AgpPruner(MaskSet& masks, AgpSchedule schedule);

  /// Recomputes the masks when `step` is an update step, or on the first call of a run
  /// resumed past t0, then applies them to the weights. Returns true when it recomputed.
  bool before_forward(std::int64_t step);
  /// For a run resumed from a checkpoint that saved the masks (MaskSet::save / load): they
  /// are current, so before_forward recomputes only at update steps, exactly as the run
  /// that never stopped did (no recomputation on the first call).
  void resume_with_loaded_masks() { started_ = true; }
  void before_step() { masks_.apply_to_gradients(); }
  void after_step() { masks_.apply(); }

  const AgpSchedule& schedule() const { return schedule_; }
  MaskSet& masks() { return masks_; }

 private:
  MaskSet& masks_;
  AgpSchedule schedule_;
  bool started_ = false;
};

}  // namespace tinynas::compress
