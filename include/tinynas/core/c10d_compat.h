// The c10d half of the LibTorch version shim (see torch_compat.h): which distributed
// backends this LibTorch has, and how to make them. Included only where process groups
// are made, not in the precompiled header.
//
// Differences handled here:
//  - In 1.13 ProcessGroupGloo/ProcessGroupNCCL derive from c10d::ProcessGroup; from 2.0
//    they derive from c10d::Backend (ProcessGroup became a dispatching wrapper).
//    `C10dBackend` names whichever base the concrete backends have.
//  - NCCL: USE_C10D_NCCL is defined by CUDA builds that ship NCCL; pip wheels keep
//    <nccl.h> outside torch's include dirs (CMake adds it when it finds it), so NCCL
//    support also needs the header to be reachable.
//  - Gloo: Debian needs libgloo-dev for c10d's Gloo headers; a LibTorch without them
//    still builds (TINYNAS_HAS_GLOO is 0) so a CUDA-only machine can use NCCL.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <torch/csrc/distributed/c10d/Store.hpp>

#include "tinynas/core/torch_compat.h"

#if __has_include(<gloo/algorithm.h>) && defined(USE_C10D_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define TINYNAS_HAS_GLOO 1
#else
#define TINYNAS_HAS_GLOO 0
#endif

#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define TINYNAS_HAS_NCCL 1
#else
#define TINYNAS_HAS_NCCL 0
#endif

#if TINYNAS_TORCH_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
#endif

namespace tinynas::compat {

#if TINYNAS_TORCH_AT_LEAST(2, 0)
using C10dBackend = ::c10d::Backend;
#else
using C10dBackend = ::c10d::ProcessGroup;
#endif

/// True when this build can make the NCCL backend.
inline constexpr bool has_nccl() { return TINYNAS_HAS_NCCL != 0; }

#if TINYNAS_HAS_GLOO
/// A Gloo backend for (rank, world_size) rendezvousing through `store`. The interface:
/// GLOO_SOCKET_IFNAME when set (as in PyTorch), else loopback for a single-node job, else
/// the interface of this machine's hostname (Gloo's default).
inline c10::intrusive_ptr<C10dBackend> make_gloo_backend(
    const c10::intrusive_ptr<::c10d::Store>& store, int rank, int world_size,
    std::chrono::milliseconds timeout, bool single_node) {
  auto options = ::c10d::ProcessGroupGloo::Options::create(timeout);
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname)
    options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (single_node)
    options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(::c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<::c10d::ProcessGroupGloo>(store, rank, world_size, options);
}
#endif

#if TINYNAS_HAS_NCCL
/// An NCCL backend (CUDA tensors only; each rank on its own device). Blocking wait makes
/// a failed or timed-out collective throw from wait() instead of only stalling the stream,
/// so a dead rank ends the others with an error (the variable names of 1.13 and 2.x).
inline c10::intrusive_ptr<C10dBackend> make_nccl_backend(
    const c10::intrusive_ptr<::c10d::Store>& store, int rank, int world_size,
    std::chrono::milliseconds timeout) {
  ::setenv("NCCL_BLOCKING_WAIT", "1", 0);
  ::setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
  auto options = ::c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<::c10d::ProcessGroupNCCL>(store, rank, world_size, options);
}
#endif

}  // namespace tinynas::compat
