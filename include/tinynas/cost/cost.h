// The resource model of one path: params, MACs, peak SRAM and flash of the int8 runtime
// executing a space::Graph (DESIGN.md §2 "Cost is computed once"). Search ranks candidates
// with evaluate(); export lays out the real arena with plan_graph_memory() and codes the
// weights with sparse_coding.h, passing the real block masks (CostOptions::block_nonzero),
// so the linker's figures equal these predictions: flash is the size of the model data
// blob of src/runtime/tnn_model.h, peak_sram its arena size.
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
//    These are the pruner's counts for the ratio, also when CostOptions::block_nonzero
//    gives the real masks (which only make the coded size exact).
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
//    the smaller of the two strategies of memory_plan.h; a multiple of kArenaAlignment.
//  - sram_lower_bound: max over op steps of the (rounded, see below) bytes live at that
//    step (no plan of these buffers can do better); sram_lower_bound_step is the first step
//    reaching it and live_at_lower_bound names the buffers live then (tensor names; scratch
//    as "<op name>.scratch").
//  - instructions: predicted instructions of one inference on the latency table's target
//    (cost/latency.h): per op predict_op_instructions() of its latency_features(), plus the
//    table's per-op interpreter cost; OpCost::instructions excludes the latter. The
//    storage chosen for flash picks the kernel variant.
//  - flash: bytes of the model data blob of src/runtime/tnn_model.h (format version 1),
//    the exporter's output to the byte:
//      flash = round_up(kModelHeaderBytes + kTensorRecordBytes * graph.tensors.size()
//                       + sum over ops of (weight_bytes + other_bytes), kModelAlignment)
//    The rounding (0..3 zero bytes closing the int8 section) belongs to Cost::flash only;
//    per-op figures, and the sum of them, do not include it, nor the header and the
//    tensor table. Per op:
//      weight_bytes (conv, linear, seq_pool; int8 section): dense rows*row_len bytes, or the
//        run-length coded size (sparse_coding.h): rle_size() of the op's real block mask
//        when CostOptions::block_nonzero gives one (export), otherwise the search-time
//        estimate rle_size_estimate(n, z, b). Prunable ops choose by the storage policy
//        (auto: the smaller, ties dense; fast: the faster on the latency model within
//        CostOptions::flash_budget, sparse_coding.h); other ops are always dense (no block
//        size).
//      other_bytes = kOpRecordBytes + kInt32Bytes (4) * int32_values + int8 parameters:
//        int32_values (the int32 data section: biases, per-channel multipliers and shifts,
//        per-tensor (multiplier, shift) steps):
//          conv, linear: out (the bias, only when has_bias) + 2 * out (multiplier, shift)
//          layer_norm: 3 * C (bias, multiplier, shift)
//          add: 6 (3 steps: input1, input2, output)
//          seq_pool: 4 (2 steps: score, output); no bias: its scalar bias cancels in the
//            softmax over tokens, so the runtime takes none (even with has_bias)
//          attention_softmax: 4 (score, output); attention_relu_linear: 4 (kv, output)
//          pools, global_avg_pool: 0
//        int8 parameters: layer_norm: C (gamma); all others: 0.
//
// Memory buffers (peak_sram): activations are int8. Every tensor is one buffer of
// shape.numel() bytes, live from the step of the op that produces it (the graph input:
// from step 0) to the last op that reads it (the graph output: to the last op; a tensor no
// op reads: only its producing step). Each op with a non-zero scratch_bytes() adds one
// scratch buffer live at its own step only. Buffers are added in the order: graph input,
// then per op its output tensor and then its scratch. Every buffer's size is rounded up to
// a multiple of kArenaAlignment (4) before planning, so every offset and the arena size are
// multiples of 4 (scratch holds int16 / int32; the runtime checks 4-byte alignment).
// GraphBuffer::size is the rounded size (what the plan reserves), GraphBuffer::bytes the
// exact request.
//
// The runtime's scratch contract (scratch_bytes): exactly what the kernel that runs the op
// asks for through its get_buffer_size partner (tested against them). The kernel depends
// on the op's weight storage (Storage, chosen as for flash):
//    conv, dense (tnn_conv_s8):    0 for depthwise (the runtime's test: groups == in ==
//                                  out channels); otherwise the receptive fields of two
//                                  output pixels of one group as int16 (im2col, 1x1
//                                  included): 4 * kh * kw * (in / groups)
//    conv, coded (tnn_conv_sparse_s8): 0 for depthwise; otherwise four output pixels'
//                                  receptive fields as int16: 8 * kh * kw * (in / groups)
//    linear, dense (tnn_linear_s8): two tokens as int16: 4 * in
//    linear, coded (tnn_linear_sparse_s8): four tokens as int16: 8 * in
//    attention_softmax:            8 * M  (M = tokens of k: two queries' int32 scores)
//    attention_relu_linear:        2 * dh * dvh  (one head's int16 relu(k)ᵀ v; dh = q
//                                  channels / heads, dvh = v channels / heads)
//    seq_pool:                     4 * N  (N int32 token scores)
//    layer_norm, add, pools:       0
// A conv is depthwise (is_depthwise, weight_layout) when groups > 1 and groups == in
// channels == out channels (graph.h), the runtime's own test: a 1-channel conv (groups ==
// in == out == 1) is a plain conv with scratch.
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

#include "tinynas/cost/latency.h"
#include "tinynas/cost/memory_plan.h"
#include "tinynas/cost/sparse_coding.h"
#include "tinynas/space/graph.h"

namespace tinynas::cost {

// Model data format sizes (src/runtime/tnn_model.h, format version 1). The cost tests
// check each against the runtime's macro.
/// The model data header; equal to TNN_MODEL_HEADER_BYTES of src/runtime/tnn_model.h.
constexpr std::int64_t kModelHeaderBytes = 48;
/// One tensor record (h, w, c, zero point, arena offset); equal to TNN_TENSOR_BYTES.
constexpr std::int64_t kTensorRecordBytes = 20;
/// One op record; equal to TNN_OP_BYTES of src/runtime/tnn_model.h.
constexpr std::int64_t kOpRecordBytes = 80;
/// One value of the int32 data section (bias, multiplier, shift, step half).
constexpr std::int64_t kInt32Bytes = 4;
/// The blob's size is a multiple of this (the int8 section is zero-padded).
constexpr std::int64_t kModelAlignment = 4;

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

/// The runtime's scratch contract (header comment), bytes: what the kernel running `op`
/// with its weights stored as `storage` asks for (only conv depends on it; pass
/// OpCost::storage, Storage::dense for ops without weights). `op` must belong to a valid
/// graph.
std::int64_t scratch_bytes(const space::Graph& graph, const space::Op& op, Storage storage);
/// Dense MACs of one op (header comment). `op` must belong to a valid graph.
std::int64_t op_macs(const space::Graph& graph, const space::Op& op);

struct CostOptions {
  /// Weight storage of prunable ops (recipe export.storage); see StoragePolicy.
  StoragePolicy storage = StoragePolicy::automatic;
  /// The real block non-zero masks (sparse_coding.h block_nonzero_mask of the int8
  /// weights), for the exact coded size rle_size() in place of the search-time estimate.
  /// Either empty (estimate everywhere) or index-aligned with graph.ops: entry i empty =
  /// estimate for op i; a non-empty entry only on a prunable op, with exactly
  /// block_count(rows, row_len, op.sparsity.block) flags (weight_layout). Anything else
  /// throws core::Error naming the op.
  std::vector<std::vector<std::uint8_t>> block_nonzero;
  /// Predict instructions (false: Cost::instructions stays 0, as when measuring the
  /// tables themselves).
  bool latency = true;
  /// The latency table the instructions come from; null: the built-in table of `target`.
  const LatencyTable* latency_table = nullptr;
  /// The Cortex-M target of the built-in table (recipe export.target): "m7" or "m4".
  std::string target = "m7";
  /// StoragePolicy::fastest: the flash the model may take, bytes (run.flash_kb; 0: none).
  std::int64_t flash_budget = 0;
  /// StoragePolicy::fastest: the target whose speed decides (empty: `target`), so that a
  /// verification on another core recomputes the storage the export chose.
  std::string storage_target;
};

/// One buffer of the graph's arena.
struct GraphBuffer {
  enum class Kind { tensor, scratch };
  Kind kind = Kind::tensor;
  int index = -1;               ///< tensor index (tensor) or op index (scratch)
  std::string name;             ///< tensor name, or "<op name>.scratch"
  std::int64_t bytes = 0;       ///< the exact request: tensor numel or scratch_bytes()
  std::int64_t size = 0;        ///< bytes reserved: `bytes` rounded up to kArenaAlignment
  int first_use = 0;            ///< op steps, inclusive
  int last_use = 0;
  std::int64_t offset = 0;      ///< first byte in the arena (a multiple of kArenaAlignment)
};

/// The arena of a graph: where every activation and scratch buffer lives. All byte figures
/// are of the rounded sizes (GraphBuffer::size), hence multiples of kArenaAlignment.
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

/// Validates the graph and `options`, chooses each op's weight storage as evaluate() does
/// (scratch depends on it), builds the buffers (header comment) and plans them. Export
/// passes the options it passes to evaluate(), so the plan is the one Cost::peak_sram sizes.
GraphMemoryPlan plan_graph_memory(const space::Graph& graph, const CostOptions& options = {});

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
  /// When prunable: rle_size of the real mask (sparse_size_exact) or rle_size_estimate;
  /// else 0.
  std::int64_t sparse_weight_bytes = 0;
  bool sparse_size_exact = false;        ///< a CostOptions::block_nonzero mask was used
  std::int64_t weight_bytes = 0;         ///< flash bytes of the weights as stored (int8)
  std::int64_t int32_values = 0;         ///< entries of the int32 data section
  /// kOpRecordBytes + kInt32Bytes * int32_values + int8 parameters (layer_norm gamma)
  std::int64_t other_bytes = 0;
  std::int64_t macs = 0;
  std::int64_t effective_macs = 0;
  std::int64_t scratch_bytes = 0;        ///< the scratch contract, for `storage`
  double instructions = 0;               ///< predicted on the target (latency.h)
};

/// Whole-path figures (definitions in the header comment).
struct Cost {
  std::int64_t params = 0;
  std::int64_t weights = 0;
  std::int64_t pruned_weights = 0;
  std::int64_t effective_params = 0;
  std::int64_t macs = 0;
  std::int64_t effective_macs = 0;
  std::int64_t peak_sram = 0;            ///< bytes, a multiple of kArenaAlignment
  std::int64_t sram_lower_bound = 0;     ///< bytes
  int sram_lower_bound_step = 0;
  std::vector<std::string> live_at_lower_bound;
  PlanStrategy sram_strategy = PlanStrategy::greedy_by_size;
  std::int64_t flash = 0;                ///< bytes: the model data blob, a multiple of 4
  std::int64_t instructions = 0;         ///< predicted per inference (header comment)
  std::string latency_target;            ///< the table's target ("m7", "m4")
  /// Milliseconds at `mhz`, one instruction per cycle (cost/latency.h).
  double latency_ms(double mhz) const { return double(instructions) / (mhz * 1e3); }
  std::vector<OpCost> ops;               ///< in execution order
};

/// The cost of one path. Throws core::Error (validate_graph, or CostOptions::block_nonzero
/// not fitting the graph) on a broken input.
Cost evaluate(const space::Graph& graph, const CostOptions& options = {});

}  // namespace tinynas::cost
