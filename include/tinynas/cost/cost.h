// The resource model of one path: params, MACs, peak SRAM and flash of the int8 runtime
// executing a space::Graph (DESIGN.md §2 "Cost is computed once"). Search ranks candidates
// with evaluate(); export lays out the real arena with plan_graph_memory() and codes the
// weights with sparse_coding.h, so the linker's figures match these predictions.
//
// What each figure counts (Cost, OpCost); all counts are int64, bytes are bytes:
//  - params: sum of op.float_params, the trainable parameters of the float model on this
//    path (BatchNorm included, as graph.h defines it).
//  - weights: deployed weight elements of conv, linear and seq_pool ops (product of
//    weight_shape); biases, requantization and layer-norm parameters are not weights.
//  - pruned_weights: real weights inside zero blocks. For a prunable op whose weight layout
//    (weight_layout) has W weights in n = rows * ceil(row_len / b) blocks, the pruner zeroes
//    z = pruned_blocks(n, ratio) blocks; pruned_weights = round_half_up(z * W / n), i.e.
//    z * b when b divides row_len, and the average real block size otherwise (short blocks
//    are shorter; which blocks get pruned is not known at search time). 0 for other ops.
//  - effective_params = params - pruned_weights.
//  - macs: dense multiply-accumulates of one inference.
//      conv: out_h * out_w * out * (in / groups) * kh * kw (depthwise: out_h*out_w*C*kh*kw)
//      linear: N * in * out, N = tokens = H*W of the input
//      attention_softmax: N * N * (dq + dv) (q kᵀ scores + weighted sum of v, all heads);
//        dq = channels of q (= of k), dv = channels of v
//      attention_relu_linear: 2 * N * dq * dv / heads (per head, relu(k)ᵀ v is dh x dvh
//        accumulated over N tokens, then relu(q) times it over N tokens: 2*N*dh*dvh; times
//        heads; dh = dq / heads, dvh = dv / heads)
//      seq_pool: 2 * N * C (token scores x·w, then the weighted sum of tokens)
//      add, pools, global_avg_pool, layer_norm: 0
//  - effective_macs: macs minus the MACs of pruned weights: every conv weight is used
//    out_h * out_w times and every linear weight N times, so an op loses pruned_weights *
//    that many MACs. Equal to macs for unpruned ops.
//  - peak_sram: arena bytes of the int8 memory plan of plan_graph_memory() (buffers below),
//    the smaller of the two strategies of memory_plan.h.
//  - sram_lower_bound: max over op steps of the bytes live at that step (no plan can do
//    better); sram_lower_bound_step is the first step reaching it and live_at_lower_bound
//    names the buffers live then (tensor names; scratch as "<op name>.scratch").
//  - flash: bytes of model data = kModelHeaderBytes + sum over ops of
//    (weight_bytes + other_bytes), where
//      weight_bytes (conv, linear, seq_pool): dense rows*row_len bytes, or the run-length
//        coded size (sparse_coding.h); the coded size at search time is
//        rle_size_estimate(n, z, b). Prunable ops choose by the storage policy (auto: the
//        smaller, ties dense); other ops are always dense (no block size is defined).
//      other_bytes: kOpRecordBytes for every op, plus
//        conv, linear: out * (kBiasBytes if has_bias) + out * kRequantBytes
//        seq_pool: kBiasBytes if has_bias + kRequantBytes (one score output)
//        layer_norm: C * kLayerNormBytesPerChannel
//
// Memory buffers (peak_sram): activations are int8. Every tensor is one buffer of
// shape.numel() bytes, live from the step of the op that produces it (the graph input:
// from step 0) to the last op that reads it (the graph output: to the last op; a tensor no
// op reads: only its producing step). Each op with a non-zero scratch_bytes() adds one
// scratch buffer live at its own step only. Buffers are added in the order: graph input,
// then per op its output tensor and then its scratch.
//
// The runtime's scratch contract (scratch_bytes; the export kernels are written to it):
//    conv, not depthwise and not 1x1: im2col of one output pixel as int16:
//                                  2 * kh * kw * (in / groups)
//    depthwise conv, 1x1 conv (kh = kw = 1): 0
//    attention_softmax:            N*N + 4*N  (one head's N x N int8 probabilities and
//                                  one row of N int32 logits)
//    attention_relu_linear:        4 * dh * dvh  (one head's relu(k)ᵀ v in int32)
//    layer_norm:                   2 * C  (one token in int16)
//    seq_pool:                     4 * N  (N int32 token scores)
//    all others:                   0
// A conv is depthwise when groups == in channels == out channels (graph.h).
//
// Graph rules checked by validate_graph() (every evaluate / plan_graph_memory call):
// tensors[input] is produced by no op and every other tensor by exactly one op; an op reads
// only tensors already produced; input counts (attention: q, k, v; add: 2; others: 1);
// shapes: conv/pool outputs follow out = (in + 2*padding - kernel) / stride + 1 (floor),
// conv/linear channels match the weights, add inputs equal the output, global_avg_pool and
// seq_pool give C x 1 x 1, layer_norm keeps the shape, attention q, k, v have the same
// token count, q and k the same channels, heads divides both, the output is dv over q's map;
// weights: conv [out, kh, kw, in/groups] (depthwise: [C, kh, kw] or [C, kh, kw, 1]),
// linear [out, in], seq_pool [1, C], none elsewhere; has_bias only on conv, linear and
// seq_pool; prunable only on conv and linear, with ratio in [0, 1) and block >= 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/cost/memory_plan.h"
#include "tinynas/cost/sparse_coding.h"
#include "tinynas/space/graph.h"

namespace tinynas::cost {

/// The runtime's per-op record (params struct) in flash; export keeps it equal to sizeof.
constexpr std::int64_t kOpRecordBytes = 32;
/// The model data header (magic, version, op count, arena size, ...) in flash.
constexpr std::int64_t kModelHeaderBytes = 32;
/// int32 bias per output channel.
constexpr std::int64_t kBiasBytes = 4;
/// Requantization per output channel: int32 multiplier + int32 shift.
constexpr std::int64_t kRequantBytes = 8;
/// layer_norm per channel: int32 multiplier + int32 shift (gamma folded) + int32 bias (beta).
constexpr std::int64_t kLayerNormBytesPerChannel = 12;

/// A weight tensor as rows of row_len weights (sparse_coding.h layout).
struct WeightLayout {
  std::int64_t rows = 0;
  std::int64_t row_len = 0;
  std::int64_t numel() const { return rows * row_len; }
};

/// conv with groups == in == out channels, judged from its weight shape.
bool is_depthwise(const space::Op& op);
/// Rows and row length of op's weights: conv [O,kh,kw,I] → O x kh*kw*I; depthwise
/// [C,kh,kw(,1)] → C*kh x kw; linear [O,I] → O x I; seq_pool [1,C] → 1 x C. Throws
/// core::Error naming the op when it has no weights or a shape of the wrong rank.
WeightLayout weight_layout(const space::Op& op);

/// Throws core::Error "graph: op <i> '<name>' (<kind>): <what>" (or naming the tensor)
/// on the first broken rule listed in the header comment.
void validate_graph(const space::Graph& graph);

/// The runtime's scratch contract (header comment), bytes. `op` must belong to a valid graph.
std::int64_t scratch_bytes(const space::Graph& graph, const space::Op& op);
/// Dense MACs of one op (header comment). `op` must belong to a valid graph.
std::int64_t op_macs(const space::Graph& graph, const space::Op& op);

/// One buffer of the graph's arena.
struct GraphBuffer {
  enum class Kind { tensor, scratch };
  Kind kind = Kind::tensor;
  int index = -1;               ///< tensor index (tensor) or op index (scratch)
  std::string name;             ///< tensor name, or "<op name>.scratch"
  std::int64_t size = 0;        ///< bytes
  int first_use = 0;            ///< op steps, inclusive
  int last_use = 0;
  std::int64_t offset = 0;      ///< first byte in the arena
};

/// The arena of a graph: where every activation and scratch buffer lives.
struct GraphMemoryPlan {
  std::vector<GraphBuffer> buffers;  ///< order: input, then per op output and scratch
  std::int64_t arena_size = 0;       ///< bytes (= Cost::peak_sram)
  PlanStrategy strategy = PlanStrategy::greedy_by_size;
  std::int64_t greedy_arena = 0;
  std::int64_t head_tail_arena = 0;
  std::int64_t lower_bound = 0;      ///< max over steps of the live bytes
  int lower_bound_step = 0;          ///< first step reaching it
  std::vector<std::string> live_at_lower_bound;  ///< buffer names, in buffer order
};

/// Validates the graph, builds its buffers (header comment) and plans them.
GraphMemoryPlan plan_graph_memory(const space::Graph& graph);

struct CostOptions {
  /// Weight storage of prunable ops (recipe export.storage); see choose_storage().
  StoragePolicy storage = StoragePolicy::automatic;
};

/// Per-op figures, for the CLI and report tables (definitions in the header comment).
struct OpCost {
  std::string name;
  space::OpKind kind = space::OpKind::conv;
  std::int64_t params = 0;               ///< op.float_params
  std::int64_t weights = 0;              ///< deployed weight elements (0: no weights)
  bool prunable = false;
  double sparsity = 0.0;                 ///< op.sparsity.ratio when prunable, else 0
  int block = 0;                         ///< op.sparsity.block when prunable, else 0
  std::int64_t blocks = 0;               ///< weight blocks when prunable, else 0
  std::int64_t pruned_blocks = 0;        ///< pruned_blocks(blocks, sparsity)
  std::int64_t pruned_weights = 0;
  Storage storage = Storage::dense;      ///< chosen weight storage (dense without weights)
  std::int64_t dense_weight_bytes = 0;   ///< = weights
  std::int64_t sparse_weight_bytes = 0;  ///< rle_size_estimate when prunable, else 0
  std::int64_t weight_bytes = 0;         ///< flash bytes of the weights as stored
  std::int64_t other_bytes = 0;          ///< op record + bias + requant / layer-norm params
  std::int64_t macs = 0;
  std::int64_t effective_macs = 0;
  std::int64_t scratch_bytes = 0;        ///< the scratch contract
};

/// Whole-path figures (definitions in the header comment).
struct Cost {
  std::int64_t params = 0;
  std::int64_t weights = 0;
  std::int64_t pruned_weights = 0;
  std::int64_t effective_params = 0;
  std::int64_t macs = 0;
  std::int64_t effective_macs = 0;
  std::int64_t peak_sram = 0;            ///< bytes
  std::int64_t sram_lower_bound = 0;     ///< bytes
  int sram_lower_bound_step = 0;
  std::vector<std::string> live_at_lower_bound;
  PlanStrategy sram_strategy = PlanStrategy::greedy_by_size;
  std::int64_t flash = 0;                ///< bytes
  std::vector<OpCost> ops;               ///< in execution order
};

/// The cost of one path. Throws core::Error (validate_graph) on a broken graph.
Cost evaluate(const space::Graph& graph, const CostOptions& options = {});

}  // namespace tinynas::cost
