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
#pragma once

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

}  // namespace tinynas::compat
