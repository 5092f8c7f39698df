#include "tinynas/core/checksum.h"

#include <algorithm>
#include <cstdio>

#include <zlib.h>

namespace tinynas::core {

std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  while (size > 0) {  // zlib's crc32 takes a uInt length
    const auto n = static_cast<uInt>(std::min<std::size_t>(size, std::size_t(1) << 30));
    c = ::crc32(c, p, n);
    p += n;
    size -= n;
  }
  return static_cast<std::uint32_t>(c);
}

std::uint64_t fnv1a64(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace tinynas::core
