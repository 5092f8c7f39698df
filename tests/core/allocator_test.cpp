#include "tinynas/core/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace {

// Sets an environment variable for one scope.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

#if defined(__GLIBC__)
TEST(KeepFreedMemory, TunesGlibcUnlessTheUserDid) {
  EXPECT_TRUE(tinynas::core::keep_freed_memory());
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
    ScopedEnv e(v, "131072");
    EXPECT_FALSE(tinynas::core::keep_freed_memory()) << v;
  }
  {
    ScopedEnv e("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=131072");
    EXPECT_FALSE(tinynas::core::keep_freed_memory());
  }
  ScopedEnv other("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX512F:glibc.malloc.arena_max=2");
  EXPECT_TRUE(tinynas::core::keep_freed_memory());
  // mallopt takes an int: a larger value is refused, not truncated
  tinynas::core::AllocatorTuning huge;
  huge.trim_threshold = std::size_t(4) << 30;
  EXPECT_FALSE(tinynas::core::keep_freed_memory(huge));
  // and the allocator still works: large blocks come and go
  for (int i = 0; i < 4; ++i) {
    std::vector<char> big(std::size_t(8) << 20, char(i));
    EXPECT_EQ(big.back(), char(i));
  }
}
#endif
