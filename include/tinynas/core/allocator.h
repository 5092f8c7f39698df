// The C library's allocator, tuned for training: LibTorch frees and allocates the same
// multi-megabyte activation and gradient buffers every step.
#pragma once

#include <cstddef>

namespace tinynas::core {

/// What keep_freed_memory sets, in bytes (each at most INT_MAX: mallopt takes an int).
struct AllocatorTuning {
  /// Blocks below this come from the heap, not from mmap. glibc documents 32 MiB as the
  /// limit on 64-bit and 2.26-2.34 refuse more: there 32 MiB is taken instead. 64 MiB
  /// trains the quickstart 1.2x faster than 32 where glibc takes it (2.35 on).
  std::size_t mmap_threshold = 64u << 20;
  std::size_t trim_threshold = 256u << 20;  ///< free heap top kept before returning it
  std::size_t top_pad = 16u << 20;          ///< extra heap grown at once
};

/// Keeps freed memory in the process for the next step instead of handing it back to the
/// kernel: with glibc's defaults every step of the quickstart supernet unmaps its large
/// buffers and faults them in again, zeroed, page by page (millions of page faults a
/// minute, a quarter of the CPU time in the kernel). Measured on the quickstart's
/// training: 1.4x to 1.7x the images/s. Returns false and changes nothing where the
/// allocator is not glibc's, a value is out of range, or the user set one of these
/// tunables (theirs win): MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_,
/// or glibc.malloc.mmap_threshold / trim_threshold / top_pad in GLIBC_TUNABLES. All three or
/// none: setting any one turns glibc's adaptive mmap threshold off.
bool keep_freed_memory(const AllocatorTuning& t = {});

}  // namespace tinynas::core
