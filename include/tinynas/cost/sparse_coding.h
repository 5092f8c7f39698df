// Sparse weight coding: the runtime's storage of a block-pruned int8 weight tensor
// (paper: tinyformer.txt III-D, Fig. 8 and eq. 2; DESIGN.md §4). The cost model sizes
// storage with these functions and export writes the bytes with them, so a predicted flash
// figure and the linked one agree by construction.
//
// Layout. A weight tensor is a sequence of `rows` rows of `row_len` int8 weights, in the
// runtime's layout (cost.h, weight_layout()): conv OHWI → rows = out, row_len =
// kh*kw*in/groups; depthwise C x kh x kw → rows = C*kh, row_len = kw; linear (out, in) →
// rows = out, row_len = in; seq_pool (1, C) → one row of C. Each row is cut into
// ceil(row_len / block) blocks of `block` consecutive weights; the last block of a row is
// short when block does not divide row_len. Blocks never straddle rows and are numbered
// consecutively across rows (block i of row r has number r*ceil(row_len/block) + i).
// A block is zero when all of its real weights are zero.
//
// Byte format (little-endian, no alignment, no padding between fields):
//   uint32  n_stored                         number of stored block entries
//   n_stored entries of 1 + block bytes:
//     uint8  d                               zero blocks skipped since the previous stored
//                                            block (or since block 0)
//     int8   v[block]                        the block's weights; a short block is padded
//                                            with zeros to `block` values
// Every non-zero block is stored. A run of more than 255 zero blocks before a non-zero block
// is bridged by filler entries: an all-zero block stored with d = 255, which stands for 255
// skipped blocks plus itself (256 blocks); as many fillers as needed, then the non-zero
// block with the remaining d <= 255. So a run of g zero blocks costs floor(g / 256) fillers.
// Zero blocks after the last stored block cost nothing (the decoder knows the tensor's size).
// Size: 4 + n_stored * (1 + block) bytes. Dense storage is rows * row_len bytes (no padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tinynas::cost {

/// Largest skip `d` one entry can hold.
constexpr int kRleMaxSkip = 255;
/// Bytes of the leading uint32 block count.
constexpr std::int64_t kRleHeaderBytes = 4;

/// Blocks of a rows x row_len tensor: rows * ceil(row_len / block). Throws core::Error on
/// negative sizes or block < 1.
std::int64_t block_count(std::int64_t rows, std::int64_t row_len, int block);

/// Zero blocks for a sparsity ratio over n_blocks blocks: floor(ratio * n_blocks + 0.5)
/// (round half up), clamped to [0, n_blocks]. The pruner zeroes exactly this many blocks.
/// Throws core::Error when ratio is outside [0, 1] or n_blocks < 0.
std::int64_t pruned_blocks(std::int64_t n_blocks, double ratio);

/// One byte per block (numbered as above): 1 if any real weight of the block is non-zero.
std::vector<std::uint8_t> block_nonzero_mask(const std::int8_t* weights, std::int64_t rows,
                                             std::int64_t row_len, int block);

/// The coded bytes of `weights` (rows * row_len int8 values, row-major), exactly the format
/// above. Throws core::Error on bad sizes or more than 2^32-1 entries.
std::vector<std::uint8_t> rle_encode(const std::int8_t* weights, std::int64_t rows,
                                     std::int64_t row_len, int block);

/// Inverse of rle_encode: rows * row_len weights. Never reads outside [data, data + size).
/// Throws core::Error "rle_decode: byte offset <o>: <what>" when the data is truncated, a
/// skip runs past the last block, a short block's padding is non-zero, or bytes follow the
/// last entry. (An all-zero block stored with d < 255 is accepted: it decodes correctly.)
std::vector<std::int8_t> rle_decode(const std::uint8_t* data, std::size_t size,
                                    std::int64_t rows, std::int64_t row_len, int block);

/// Bytes rle_encode would produce for a tensor whose block non-zero flags are
/// `block_nonzero[0..n_blocks)` (any non-zero byte = non-zero block).
std::int64_t rle_size(const std::uint8_t* block_nonzero, std::int64_t n_blocks, int block);
std::int64_t rle_size(const std::vector<std::uint8_t>& block_nonzero, int block);

/// Search-time estimate of the coded size when only the count of zero blocks is known.
/// The k = n_blocks - n_zero_blocks non-zero blocks each follow a run of zero blocks, the
/// zero blocks spread as evenly as possible over these k runs and none trailing:
/// with q = n_zero_blocks / k and r = n_zero_blocks % k (integer division), r runs hold q+1
/// and k-r runs hold q zero blocks, so the fillers are
///   F = r * floor((q+1) / 256) + (k - r) * floor(q / 256)
/// (0 unless the average run exceeds 255) and the estimate is 4 + (k + F) * (1 + block).
/// k = 0 (all blocks zero) gives 4. Exact for masks laid out that way; any mask with the
/// same counts codes to at most 4 + (k + floor(n_zero_blocks / 256)) * (1 + block).
/// Throws core::Error unless 0 <= n_zero_blocks <= n_blocks and block >= 1.
std::int64_t rle_size_estimate(std::int64_t n_blocks, std::int64_t n_zero_blocks, int block);

/// How one layer's weights are stored.
enum class Storage { dense, sparse };

/// Recipe `export.storage`: automatic ("auto") keeps the smaller of the two per layer (the
/// paper's self-adaptive strategy); dense / sparse force one form for every prunable layer;
/// fastest ("fast") keeps the form the latency model predicts faster per layer (a tie: the
/// smaller), then, while the model is over CostOptions::flash_budget, moves layers back to
/// their smaller form, those losing the fewest instructions per byte saved first. So a
/// model that fits the flash under auto fits it under fast: the search's flash test does
/// not depend on the choice. cost.cpp applies it (it needs the latency tables).
enum class StoragePolicy { automatic, dense, sparse, fastest };

const char* to_string(Storage storage);
/// "auto", "dense", "sparse" or "fast" (the recipe's spelling).
const char* to_string(StoragePolicy policy);
/// Parses the recipe's spelling; throws core::Error listing the valid values.
StoragePolicy parse_storage_policy(const std::string& text);

/// Sparse only when coding is strictly smaller (a tie stays dense), unless forced; fastest
/// gives the smaller form too (its speed comparison lives in cost.cpp).
Storage choose_storage(std::int64_t dense_bytes, std::int64_t sparse_bytes,
                       StoragePolicy policy = StoragePolicy::automatic);

}  // namespace tinynas::cost
