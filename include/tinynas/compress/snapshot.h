// Undoing in-place changes to weights: SuperNAS prunes a supernet path one-shot,
// evaluates it, then puts the shared supernet weights back.
//
//   {
//     auto layers = prunable_layers(supernet, arch, sparse);
//     WeightSnapshot keep(weights_of(layers));
//     one_shot_prune(layers);
//     evaluate(...);
//   }  // weights restored here, bit for bit
#pragma once

#include <cstddef>
#include <vector>

#include <torch/types.h>

namespace tinynas::compress {

/// Clones the given tensors on construction and copies the clones back into them (in
/// place, without autograd) on restore() or, unless restored or released before, on
/// destruction. The tensors must keep their shape, dtype and device meanwhile.
/// Movable, not copyable.
class WeightSnapshot {
 public:
  explicit WeightSnapshot(std::vector<torch::Tensor> tensors);
  ~WeightSnapshot();

  WeightSnapshot(const WeightSnapshot&) = delete;
  WeightSnapshot& operator=(const WeightSnapshot&) = delete;
  WeightSnapshot(WeightSnapshot&& other) noexcept;
  WeightSnapshot& operator=(WeightSnapshot&&) = delete;

  /// Copies the saved values back and disarms the destructor. Throws core::Error when a
  /// tensor changed shape, dtype or device.
  void restore();
  /// Copies the saved values back and stays armed (for restoring again later).
  void restore_keep();
  /// Disarms without restoring: the current values stay.
  void release();

  bool armed() const { return armed_; }
  std::size_t size() const { return tensors_.size(); }

 private:
  std::vector<torch::Tensor> tensors_;
  std::vector<torch::Tensor> saved_;
  bool armed_ = true;
};

}  // namespace tinynas::compress
