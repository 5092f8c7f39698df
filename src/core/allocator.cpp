#include "tinynas/core/allocator.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tinynas::core {

bool keep_freed_memory(const AllocatorTuning& t) {
#if defined(__GLIBC__)
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (std::getenv(v)) return false;
  if (const char* g = std::getenv("GLIBC_TUNABLES"))
    for (const char* name : {"glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad"})
      if (std::strstr(g, name)) return false;
  for (const std::size_t v : {t.mmap_threshold, t.trim_threshold, t.top_pad})
    if (v > std::size_t(INT_MAX)) return false;
  // All three: setting any one turns glibc's adaptive mmap threshold off, and a fixed
  // 128 KiB one maps (and zeroes) every large buffer anew. So the first refused stops it.
  const int documented_max = 32 << 20;  // DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, int(t.mmap_threshold)) == 1 ||
                        (int(t.mmap_threshold) > documented_max &&
                         mallopt(M_MMAP_THRESHOLD, documented_max) == 1);
  return mmap_set && mallopt(M_TRIM_THRESHOLD, int(t.trim_threshold)) == 1 &&
         mallopt(M_TOP_PAD, int(t.top_pad)) == 1;
#else
  (void)t;
  return false;
#endif
}

}  // namespace tinynas::core
