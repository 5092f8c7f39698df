// The one place that knows LibTorch versions apart. Debian ships LibTorch 1.13 (CPU,
// c10d with Gloo); the GPU machines have PyTorch 2.x (CUDA, NCCL). Code elsewhere uses
// the names below and never tests TORCH_VERSION_* itself.
//
// Differences handled here:
//  - c10d: in 1.13 ProcessGroupGloo/ProcessGroupNCCL derive from c10d::ProcessGroup; from
//    2.0 they derive from c10d::Backend (ProcessGroup became a dispatching wrapper).
//    `C10dBackend` names whichever base the concrete backends have.
//  - NCCL availability: USE_C10D_NCCL is defined by CUDA builds that ship NCCL.
//  - Gloo: Debian needs libgloo-dev for c10d's Gloo headers; a LibTorch without them
//    still builds (TINYNAS_HAS_GLOO is 0) so a CUDA-only machine can use NCCL.
//  - Autocast: 2.4 made the switches per device type (set_autocast_enabled(kCUDA, ...))
//    and deprecated the CUDA-only set_enabled / set_autocast_gpu_dtype of 1.13.
//  - RNG state: the default CPU generator's get_state/set_state (a byte tensor) exist in
//    both; they are wrapped here so checkpoints do not reach into ATen directly.
#pragma once

#include <ATen/autocast_mode.h>

#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <memory>
#include <string>

#include <torch/csrc/distributed/c10d/Store.hpp>

#if __has_include(<gloo/algorithm.h>) && defined(USE_C10D_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define TINYNAS_HAS_GLOO 1
#else
#define TINYNAS_HAS_GLOO 0
#endif

#define TINYNAS_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||          \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

#if TINYNAS_TORCH_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
#endif

#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tinynas::compat {

#if TINYNAS_TORCH_AT_LEAST(2, 0)
using C10dBackend = ::c10d::Backend;
#else
using C10dBackend = ::c10d::ProcessGroup;
#endif

/// "1.13.0"-style version of the LibTorch headers compiled against.
inline std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

/// True when this LibTorch was built with CUDA and a device is visible.
inline bool cuda_available() { return torch::cuda::is_available(); }

/// True when this LibTorch build includes the NCCL backend.
inline constexpr bool has_nccl() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

#if TINYNAS_HAS_GLOO
/// A Gloo backend for (rank, world_size) rendezvousing through `store`, talking over the
/// interface that resolves `hostname` (loopback for single-node runs).
inline c10::intrusive_ptr<C10dBackend> make_gloo_backend(
    const c10::intrusive_ptr<::c10d::Store>& store, int rank, int world_size,
    std::chrono::milliseconds timeout, const std::string& hostname = "127.0.0.1") {
  auto options = ::c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
  return c10::make_intrusive<::c10d::ProcessGroupGloo>(store, rank, world_size, options);
}
#endif

#ifdef USE_C10D_NCCL
/// An NCCL backend (CUDA tensors only); each rank must use its own device.
inline c10::intrusive_ptr<C10dBackend> make_nccl_backend(
    const c10::intrusive_ptr<::c10d::Store>& store, int rank, int world_size,
    std::chrono::milliseconds timeout) {
  auto options = ::c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<::c10d::ProcessGroupNCCL>(store, rank, world_size, options);
}
#endif

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

/// State of the default CPU generator (torch's own random ops), for checkpoints.
inline torch::Tensor cpu_rng_state() {
  return at::detail::getDefaultCPUGenerator().get_state();
}
inline void set_cpu_rng_state(const torch::Tensor& state) {
  at::Generator gen = at::detail::getDefaultCPUGenerator();  // shares the default's state
  gen.set_state(state);
}

}  // namespace tinynas::compat
