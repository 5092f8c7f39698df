#include "tinynas/cost/sparse_coding.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tinynas/core/error.h"

namespace tinynas::cost {
namespace {

void check_layout(const char* what, std::int64_t rows, std::int64_t row_len, int block) {
  if (rows < 0 || row_len < 0)
    throw core::Error(std::string(what) + ": negative tensor size " + std::to_string(rows) + " x " +
                      std::to_string(row_len));
  if (block < 1)
    throw core::Error(std::string(what) + ": block size must be >= 1, got " +
                      std::to_string(block));
}

// Stored entries for a block mask: each non-zero block after a run of g zero blocks costs
// floor(g / 256) fillers plus itself.
template <class IsNonzero>
std::int64_t stored_entries(std::int64_t n_blocks, IsNonzero&& is_nonzero) {
  std::int64_t stored = 0, run = 0;
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    if (!is_nonzero(i)) {
      ++run;
      continue;
    }
    stored += run / (kRleMaxSkip + 1) + 1;
    run = 0;
  }
  return stored;
}

}  // namespace

std::int64_t block_count(std::int64_t rows, std::int64_t row_len, int block) {
  check_layout("block_count", rows, row_len, block);
  return rows * ((row_len + block - 1) / block);
}

std::int64_t pruned_blocks(std::int64_t n_blocks, double ratio) {
  if (n_blocks < 0)
    throw core::Error("pruned_blocks: negative block count " + std::to_string(n_blocks));
  if (!(ratio >= 0.0 && ratio <= 1.0))
    throw core::Error("pruned_blocks: sparsity ratio must be in [0, 1], got " +
                      std::to_string(ratio));
  const auto z = static_cast<std::int64_t>(std::floor(ratio * double(n_blocks) + 0.5));
  return std::clamp<std::int64_t>(z, 0, n_blocks);
}

std::vector<std::uint8_t> block_nonzero_mask(const std::int8_t* weights, std::int64_t rows,
                                             std::int64_t row_len, int block) {
  check_layout("block_nonzero_mask", rows, row_len, block);
  const std::int64_t per_row = (row_len + block - 1) / block;
  std::vector<std::uint8_t> mask(size_t(rows * per_row), 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int8_t* row = weights + r * row_len;
    for (std::int64_t j = 0; j < row_len; ++j)
      if (row[j] != 0) mask[size_t(r * per_row + j / block)] = 1;
  }
  return mask;
}

std::vector<std::uint8_t> rle_encode(const std::int8_t* weights, std::int64_t rows,
                                     std::int64_t row_len, int block) {
  check_layout("rle_encode", rows, row_len, block);
  const std::int64_t per_row = (row_len + block - 1) / block;
  const std::int64_t n_blocks = rows * per_row;
  const auto mask = block_nonzero_mask(weights, rows, row_len, block);
  const std::int64_t stored =
      stored_entries(n_blocks, [&](std::int64_t i) { return mask[size_t(i)] != 0; });
  if (stored > std::int64_t(std::numeric_limits<std::uint32_t>::max()))
    throw core::Error("rle_encode: " + std::to_string(stored) +
                      " stored blocks do not fit the uint32 count");

  std::vector<std::uint8_t> out;
  out.reserve(size_t(kRleHeaderBytes + stored * (1 + block)));
  for (int i = 0; i < 4; ++i)
    out.push_back(std::uint8_t((std::uint64_t(stored) >> (8 * i)) & 0xFF));
  std::int64_t run = 0;
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    if (!mask[size_t(i)]) {
      ++run;
      continue;
    }
    while (run > kRleMaxSkip) {  // filler: d = 255 plus an all-zero block
      out.push_back(std::uint8_t(kRleMaxSkip));
      out.insert(out.end(), size_t(block), 0);
      run -= kRleMaxSkip + 1;
    }
    out.push_back(std::uint8_t(run));
    const std::int64_t r = i / per_row, col = (i % per_row) * block;
    const std::int64_t len = std::min<std::int64_t>(block, row_len - col);
    const std::int8_t* v = weights + r * row_len + col;
    for (std::int64_t j = 0; j < len; ++j) out.push_back(std::uint8_t(v[j]));
    out.insert(out.end(), size_t(block - len), 0);
    run = 0;
  }
  return out;
}

std::vector<std::int8_t> rle_decode(const std::uint8_t* data, std::size_t size, std::int64_t rows,
                                    std::int64_t row_len, int block) {
  check_layout("rle_decode", rows, row_len, block);
  const char* what = "rle_decode";
  if (data == nullptr && size > 0)
    throw core::Error("rle_decode: null data of size " + std::to_string(size));
  if (size < 4)
    core::fail_at_offset(
        what, 0, "truncated: the uint32 block count needs 4 bytes, got " + std::to_string(size));
  const std::int64_t per_row = (row_len + block - 1) / block;
  const std::int64_t n_blocks = rows * per_row;
  const std::uint64_t count = std::uint64_t(data[0]) | std::uint64_t(data[1]) << 8 |
                              std::uint64_t(data[2]) << 16 | std::uint64_t(data[3]) << 24;
  const std::size_t entry = std::size_t(1 + block);

  std::vector<std::int8_t> out(size_t(rows * row_len), 0);
  std::size_t off = 4;
  std::int64_t next = 0;  // first block not yet accounted for
  for (std::uint64_t k = 0; k < count; ++k) {
    if (size - off < entry)
      core::fail_at_offset(what, off,
                           "truncated: entry " + std::to_string(k) + " of " +
                               std::to_string(count) + " needs " + std::to_string(entry) +
                               " bytes, " + std::to_string(size - off) + " left");
    const std::int64_t index = next + data[off];
    if (index >= n_blocks)
      core::fail_at_offset(what, off,
                           "skip " + std::to_string(data[off]) + " reaches block " +
                               std::to_string(index) + " but the tensor has " +
                               std::to_string(n_blocks) + " blocks");
    const std::int64_t r = index / per_row, col = (index % per_row) * block;
    const std::int64_t len = std::min<std::int64_t>(block, row_len - col);
    const std::uint8_t* v = data + off + 1;
    for (std::int64_t j = 0; j < len; ++j) out[size_t(r * row_len + col + j)] = std::int8_t(v[j]);
    for (std::int64_t j = len; j < block; ++j)
      if (v[j] != 0)
        core::fail_at_offset(
            what, off + 1 + size_t(j),
            "non-zero padding in the short last block of row " + std::to_string(r));
    next = index + 1;
    off += entry;
  }
  if (off != size)
    core::fail_at_offset(what, off,
                         std::to_string(size - off) + " unexpected bytes after the last of " +
                             std::to_string(count) + " entries");
  return out;
}

std::int64_t rle_size(const std::uint8_t* block_nonzero, std::int64_t n_blocks, int block) {
  check_layout("rle_size", 1, n_blocks, block);
  const std::int64_t stored =
      stored_entries(n_blocks, [&](std::int64_t i) { return block_nonzero[i] != 0; });
  return kRleHeaderBytes + stored * (1 + block);
}

std::int64_t rle_size(const std::vector<std::uint8_t>& block_nonzero, int block) {
  return rle_size(block_nonzero.data(), std::int64_t(block_nonzero.size()), block);
}

std::int64_t rle_size_estimate(std::int64_t n_blocks, std::int64_t n_zero_blocks, int block) {
  check_layout("rle_size_estimate", 1, n_blocks, block);
  if (n_zero_blocks < 0 || n_zero_blocks > n_blocks)
    throw core::Error("rle_size_estimate: " + std::to_string(n_zero_blocks) +
                      " zero blocks out of " + std::to_string(n_blocks));
  const std::int64_t k = n_blocks - n_zero_blocks;
  if (k == 0) return kRleHeaderBytes;
  const std::int64_t q = n_zero_blocks / k, r = n_zero_blocks % k;
  const std::int64_t span = kRleMaxSkip + 1;
  const std::int64_t fillers = r * ((q + 1) / span) + (k - r) * (q / span);
  return kRleHeaderBytes + (k + fillers) * (1 + block);
}

const char* to_string(Storage storage) { return storage == Storage::sparse ? "sparse" : "dense"; }

const char* to_string(StoragePolicy policy) {
  switch (policy) {
    case StoragePolicy::automatic: return "auto";
    case StoragePolicy::dense: return "dense";
    case StoragePolicy::sparse: return "sparse";
    case StoragePolicy::fastest: return "fast";
  }
  return "?";
}

StoragePolicy parse_storage_policy(const std::string& text) {
  if (text == "auto") return StoragePolicy::automatic;
  if (text == "dense") return StoragePolicy::dense;
  if (text == "sparse") return StoragePolicy::sparse;
  if (text == "fast") return StoragePolicy::fastest;
  throw core::Error("weight storage '" + text + "' is not one of: fast, auto, dense, sparse");
}

Storage choose_storage(std::int64_t dense_bytes, std::int64_t sparse_bytes, StoragePolicy policy) {
  switch (policy) {
    case StoragePolicy::dense: return Storage::dense;
    case StoragePolicy::sparse: return Storage::sparse;
    case StoragePolicy::automatic:
    case StoragePolicy::fastest: break;
  }
  return sparse_bytes < dense_bytes ? Storage::sparse : Storage::dense;
}

}  // namespace tinynas::cost
