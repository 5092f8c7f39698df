// The one place that knows LibTorch versions apart (with its c10d half in
// c10d_compat.h, kept apart because this header is every torch target's precompiled
// header and the distributed backends' headers are heavy). Debian ships LibTorch 1.13
// (CPU, c10d with Gloo); the GPU machines have PyTorch 2.x (CUDA, NCCL). Code elsewhere
// uses the names below and never tests TORCH_VERSION_* itself.
//
// Differences handled here:
//  - Autocast: 2.4 made the switches per device type (set_autocast_enabled(kCUDA, ...))
//    and deprecated the CUDA-only set_enabled / set_autocast_gpu_dtype of 1.13.
//  - RNG state: default generators' get_state/set_state (a byte tensor) are reached
//    through at::globalContext(), which needs no CUDA headers; wrapped here so
//    checkpoints do not reach into ATen directly.
#pragma once

#include <ATen/autocast_mode.h>

#include <torch/torch.h>
#include <torch/version.h>

#include <string>

#define TINYNAS_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||          \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace tinynas::compat {

/// "1.13.0"-style version of the LibTorch headers compiled against.
inline std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

/// True when this LibTorch was built with CUDA and a device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

/// RAII: CUDA autocast to bfloat16 in this scope when `enabled` (no loss scaling needed,
/// unlike float16); a no-op otherwise.
class CudaAutocast {
 public:
  explicit CudaAutocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
#if TINYNAS_TORCH_AT_LEAST(2, 4)
    previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
    previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    previous_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~CudaAutocast() {
    if (!enabled_) return;
#if TINYNAS_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_enabled(at::kCUDA, previous_);
    at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
    at::autocast::set_enabled(previous_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
    at::autocast::clear_cache();
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

/// State of `device`'s default generator (torch's own random ops: init, dropout), for
/// checkpoints.
inline torch::Tensor rng_state(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device).get_state();
}
inline void set_rng_state(const torch::Device& device, const torch::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);  // shares its state
  gen.set_state(state);
}

}  // namespace tinynas::compat
