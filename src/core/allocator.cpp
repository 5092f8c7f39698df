#include "tinynas/core/allocator.h"

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
  if (const char* g = std::getenv("GLIBC_TUNABLES"); g && std::strstr(g, "glibc.malloc.")) return false;
  // All three: setting any one turns glibc's adaptive mmap threshold off, and a fixed
  // 128 KiB one maps (and zeroes) every large buffer anew.
  return mallopt(M_MMAP_THRESHOLD, int(t.mmap_threshold)) == 1 &&
         mallopt(M_TRIM_THRESHOLD, int(t.trim_threshold)) == 1 &&
         mallopt(M_TOP_PAD, int(t.top_pad)) == 1;
#else
  (void)t;
  return false;
#endif
}

}  // namespace tinynas::core
