// Builders for IDX file contents (the MNIST format), for reader and dataset tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinynas::testing {

/// Big-endian 32-bit integer as 4 bytes.
inline std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

/// An IDX3 uint8 image file: header (magic 0x803, n, rows, cols) then the pixels.
inline std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols,
                              const std::vector<std::uint8_t>& pixels) {
  return be32(0x803) + be32(n) + be32(rows) + be32(cols) +
         std::string(pixels.begin(), pixels.end());
}

/// An IDX1 uint8 label file: header (magic 0x801, n) then the labels.
inline std::string idx_labels(const std::vector<std::uint8_t>& labels) {
  return be32(0x801) + be32(static_cast<std::uint32_t>(labels.size())) +
         std::string(labels.begin(), labels.end());
}

}  // namespace tinynas::testing
