// Block masks over a list of prunable layers: one-shot magnitude pruning (SuperNAS) and
// the masks AGP keeps re-applying to weights after each optimizer step and to gradients
// (SparseNAS). Masks follow block_mask.h: 0/1 tensors of each weight's shape, dtype and
// device, zero on whole blocks of the runtime's layout.
//
//   MaskSet masks(prunable_layers(supernet, arch, sparse));
//   masks.compute_magnitude();     // one shot, each layer at its ratio
//   masks.apply();                 // w *= mask
//   // AGP: masks.compute_magnitude(fraction_of_target); masks.apply();
//   //      loss.backward(); masks.apply_to_gradients(); opt.step(); masks.apply();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/serialize/archive.h>
#include <torch/types.h>

#include "tinynas/compress/prunable.h"

namespace tinynas::compress {

/// One layer's pruning outcome. Block counts use the layer's effective block size.
struct LayerReport {
  std::string name;               ///< PrunableLayer::name
  std::string op;                 ///< PrunableLayer::op
  int block = 0;                  ///< weights per block (depthwise: kw)
  double target_ratio = 0.0;      ///< the ratio the mask was computed at
  std::int64_t weights = 0;       ///< weight elements
  std::int64_t blocks = 0;
  std::int64_t pruned_blocks = 0; ///< blocks the mask zeroes
  std::int64_t zero_blocks = 0;   ///< blocks whose weights are all zero now
  std::int64_t zero_weights = 0;  ///< weight elements equal to zero now
  double sparsity = 0.0;          ///< achieved: zero_blocks / blocks (0 when no blocks)
};

/// How load() finds a saved mask's layer.
enum class MaskMatch {
  name,  ///< by parameter name (same model type)
  op,    ///< by graph op name (supernet path ↔ the subnet extracted from it)
};

/// The masks of a list of layers, index-aligned with layers().
class MaskSet {
 public:
  MaskSet() = default;
  /// All-ones masks for `layers`. Throws core::Error naming a layer whose weight is
  /// undefined or whose layout or block does not fit its weight.
  explicit MaskSet(std::vector<PrunableLayer> layers);

  std::size_t size() const { return layers_.size(); }
  bool empty() const { return layers_.empty(); }
  const std::vector<PrunableLayer>& layers() const { return layers_; }
  const torch::Tensor& mask(std::size_t i) const { return masks_.at(i); }
  /// The mask of the layer named `name`; throws core::Error when there is none.
  const torch::Tensor& mask(const std::string& name) const;
  /// The ratio the i-th mask was last computed at (0 for masks set by hand or loaded).
  double mask_ratio(std::size_t i) const { return mask_ratios_.at(i); }

  /// Recomputes every mask by magnitude from the current weights: layer i at ratio
  /// fraction * layers()[i].ratio (fraction in [0, 1]; AGP passes its schedule's share of
  /// the target). Does not touch the weights.
  void compute_magnitude(double fraction = 1.0);
  /// Replaces the i-th mask. `mask` must have the weight's shape and hold only 0 and 1;
  /// it is converted to the weight's dtype and device.
  void set_mask(std::size_t i, const torch::Tensor& mask);

  /// weight *= mask for every layer, in place, without autograd.
  void apply();
  /// weight.grad() *= mask for every layer whose gradient is defined.
  void apply_to_gradients();

  /// Per-layer figures of the current masks and weights (see LayerReport).
  std::vector<LayerReport> report() const;

  /// Writes keys "count" (int), "name_<i>", "op_<i>" (strings) and "mask_<i>" (tensors,
  /// saved on the CPU) into `archive`; give the masks an archive (or sub-archive) of their own.
  void save(torch::serialize::OutputArchive& archive) const;
  /// Reads what save() wrote and replaces the masks, matching saved entries to layers by
  /// `match`. The archive must hold exactly one mask, of the weight's shape and 0/1, for
  /// each layer and no others; errors name the layer, and leave the masks unchanged.
  void load(torch::serialize::InputArchive& archive, MaskMatch match = MaskMatch::name);

 private:
  const torch::Tensor& synced_mask(std::size_t i);

  std::vector<PrunableLayer> layers_;
  std::vector<torch::Tensor> masks_;
  std::vector<double> mask_ratios_;
};

/// One-shot magnitude pruning: computes every layer's mask at its ratio and applies it to
/// the weights (which stay pruned; keep a WeightSnapshot to undo). Returns the report.
std::vector<LayerReport> one_shot_prune(const std::vector<PrunableLayer>& layers);

}  // namespace tinynas::compress
