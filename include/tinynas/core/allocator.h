// The C library's allocator, tuned for training: LibTorch frees and allocates the same
// multi-megabyte activation and gradient buffers every step.
#pragma once

#include <cstddef>

namespace tinynas::core {

/// glibc's settings this process runs with (keep_freed_memory's, or glibc's own).
struct AllocatorTuning {
  std::size_t mmap_threshold = 64u << 20;  ///< blocks below this come from the heap
  std::size_t trim_threshold = 256u << 20;  ///< free heap top kept before returning it
  std::size_t top_pad = 16u << 20;          ///< extra heap grown at once
};

/// Keeps freed memory in the process for the next step instead of handing it back to the
/// kernel: with glibc's defaults every step of the quickstart supernet unmaps its large
/// buffers and faults them in again, zeroed, page by page (millions of page faults a
/// minute, a quarter of the CPU time in the kernel). Measured on the quickstart's
/// training: 1.4x to 1.7x the images/s. Returns false and changes nothing where the
/// allocator is not glibc's or the user set any of its MALLOC_*_ tunables (those win).
bool keep_freed_memory(const AllocatorTuning& t = {});

}  // namespace tinynas::core
