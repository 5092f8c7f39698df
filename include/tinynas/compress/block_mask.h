// Block structure of one torch weight in the int8 runtime's layout, and magnitude block
// masks over it (paper: tinyformer.txt III-D; DESIGN.md §3, §4).
//
// Runtime layout (cost.h weight_layout(), sparse_coding.h). A torch weight is read as
// `rows` rows of `row_len` weights:
//   conv       [O, I/g, kh, kw] → OHWI: permute(0, 2, 3, 1) then rows = O,
//              row_len = kh * kw * I/g
//   depthwise  [C, 1, kh, kw] (groups == in == out channels, groups > 1) → C x kh x kw:
//              rows = C * kh, row_len = kw; blocks are always kw long (a kernel row),
//              whatever block size the sparse config names
//   linear     [O, I] → rows = O, row_len = I
// Each row is cut into ceil(row_len / b) blocks of b consecutive weights; the last block
// of a row is short when b does not divide row_len; blocks never straddle rows. Blocks are
// numbered row by row: block i of row r is r * ceil(row_len / b) + i, exactly as
// cost::block_nonzero_mask numbers them.
//
// Magnitude score of a block: the L1 norm (sum of |w|) of its real weights, computed in
// float64. A short block is not padded up or rescaled: its score is the sum over its
// fewer weights (so it is somewhat more likely to be pruned than a full block of the same
// mean magnitude).
//
// Block selection: exactly z = cost::pruned_blocks(n, ratio) blocks are zeroed, the z
// lowest scores; ties go to the lower block number first (stable sort), so the result is
// deterministic. Already-zero blocks score 0 and are therefore pruned first, which keeps
// masks nested as the ratio grows (AGP).
//
// Errors are core::Error naming the shape; callers that know the layer add its name.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "tinynas/cost/cost.h"

namespace tinynas::compress {

/// Rows and row length of `weight` in the runtime's layout. `weight` is 4-D (conv; with
/// `depthwise`, [C, 1, kh, kw]) or 2-D (linear; `depthwise` must be false).
cost::WeightLayout runtime_layout(const torch::Tensor& weight, bool depthwise);

/// Weights per block: kw (weight.size(3)) for depthwise, else `block` (must be >= 1).
int effective_block(const torch::Tensor& weight, bool depthwise, int block);

/// A contiguous rows x row_len copy of `weight` in the runtime's order (same dtype and
/// device). Gradients do not flow through it.
torch::Tensor to_runtime(const torch::Tensor& weight, bool depthwise);

/// Inverse of to_runtime: `rows` (rows x row_len, or anything with that many elements in
/// runtime order) back to a contiguous tensor of torch shape `shape`.
torch::Tensor from_runtime(const torch::Tensor& rows, at::IntArrayRef shape, bool depthwise);

/// Magnitude score of every block (header comment), in block-number order: a 1-D float64
/// CPU tensor of cost::block_count(rows, row_len, effective_block) values.
torch::Tensor block_scores(const torch::Tensor& weight, bool depthwise, int block);

/// The `count` block numbers with the lowest scores, ties by lower number, in ascending
/// (score, number) order. `scores` is 1-D; throws when a score is NaN or count is outside
/// [0, scores.numel()].
std::vector<std::int64_t> lowest_score_blocks(const torch::Tensor& scores, std::int64_t count);

/// Expands per-block keep flags (block-number order; 0 = pruned, non-zero = kept) into a
/// 0/1 mask of the weight's shape, with `options`' dtype and device.
torch::Tensor expand_block_mask(const std::vector<std::uint8_t>& keep, at::IntArrayRef shape,
                                bool depthwise, int block, const torch::TensorOptions& options);

/// Per-block flags of `t` (a weight or a mask of the weight's shape): 1 when any real
/// element of the block is non-zero (the cost::block_nonzero_mask rule).
std::vector<std::uint8_t> block_nonzero(const torch::Tensor& t, bool depthwise, int block);

/// The one-shot magnitude mask of `weight` at `ratio` in [0, 1]: a tensor of the weight's
/// shape, dtype and device, 0 on the cost::pruned_blocks(n, ratio) lowest-score blocks and
/// 1 elsewhere. ratio 0 gives all ones.
torch::Tensor magnitude_block_mask(const torch::Tensor& weight, bool depthwise, int block,
                                   double ratio);

}  // namespace tinynas::compress
