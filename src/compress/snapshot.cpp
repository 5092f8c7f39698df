#include "tinynas/compress/snapshot.h"

#include <string>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {

WeightSnapshot::WeightSnapshot(std::vector<torch::Tensor> tensors) : tensors_(std::move(tensors)) {
  saved_.reserve(tensors_.size());
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    if (!tensors_[i].defined())
      throw core::Error("WeightSnapshot: tensor " + std::to_string(i) + " is undefined");
    saved_.push_back(tensors_[i].detach().clone());
  }
}

WeightSnapshot::~WeightSnapshot() {
  if (!armed_) return;
  try {
    restore();
  } catch (...) {
    // A destructor must not throw; restore() only fails when a tensor was reshaped or
    // moved meanwhile, which the contract forbids.
  }
}

WeightSnapshot::WeightSnapshot(WeightSnapshot&& other) noexcept
    : tensors_(std::move(other.tensors_)), saved_(std::move(other.saved_)), armed_(other.armed_) {
  other.armed_ = false;
}

void WeightSnapshot::restore_keep() {
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const torch::Tensor& t = tensors_[i];
    const torch::Tensor& s = saved_[i];
    if (t.sizes() != s.sizes() || t.scalar_type() != s.scalar_type() || t.device() != s.device())
      throw core::Error("WeightSnapshot: tensor " + std::to_string(i) +
                        " changed shape, dtype or device since the snapshot");
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < tensors_.size(); ++i) tensors_[i].copy_(saved_[i]);
}

void WeightSnapshot::restore() {
  restore_keep();
  armed_ = false;
}

void WeightSnapshot::release() { armed_ = false; }

}  // namespace tinynas::compress
