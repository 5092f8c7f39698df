#include "tinynas/core/checksum.h"

#include <algorithm>

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

}  // namespace tinynas::core
