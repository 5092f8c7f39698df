// Checksums of file contents: what a reader compares against what the writer stored, so a
// flipped or truncated byte is refused instead of being used.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tinynas::core {

/// zlib's CRC-32 (the gzip/PNG polynomial) of `size` bytes at `data`, continuing from
/// `crc` (the CRC of the bytes before them; 0 to start). Detects every error burst of up
/// to 32 bits, so any single flipped byte. Any `size` (zlib's own call takes 32 bits).
std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace tinynas::core
