#include "tinynas/export/model_data.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "tinynas/core/checksum.h"
#include "tinynas/core/error.h"
#include "tinynas/cost/sparse_coding.h"

extern "C" {
#include "tnn_model_format.h"
}

namespace tinynas::exporter {
namespace {

using space::Op;
using space::OpKind;

static_assert(cost::kModelHeaderBytes == TNN_MODEL_HEADER_BYTES, "header size");
static_assert(cost::kTensorRecordBytes == TNN_TENSOR_BYTES, "tensor record size");
static_assert(cost::kOpRecordBytes == TNN_OP_BYTES, "op record size");
static_assert(int(OpKind::attention_relu_linear) == TNN_OP_ATTENTION_RELU_LINEAR &&
                  int(OpKind::conv) == TNN_OP_CONV && int(OpKind::layer_norm) == TNN_OP_LAYER_NORM,
              "space::OpKind and tnn_op_kind share their numbering");

std::string op_label(const compress::QuantizedModel& m, std::size_t i) {
  const Op& op = m.graph.ops[i];
  return "op " + std::to_string(i) + " " + op.name + " (" + space::to_string(op.kind) + ")";
}

std::int32_t to_i32(std::int64_t v, const std::string& what) {
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
    throw core::Error(what + ": " + std::to_string(v) + " does not fit the model format's int32");
  return std::int32_t(v);
}

// Appends little-endian int32 words (the blob is only ever read on little-endian targets,
// but writing bytes explicitly keeps the host's endianness out of the file).
void put_words(std::vector<std::uint8_t>& out, const std::vector<std::int32_t>& words) {
  for (std::int32_t w : words) {
    const auto u = std::uint32_t(w);
    for (int b = 0; b < 4; ++b) out.push_back(std::uint8_t(u >> (8 * b)));
  }
}

}  // namespace

std::vector<std::uint8_t> weight_block_mask(const compress::QuantizedModel& m, std::size_t i) {
  const Op& op = m.graph.ops.at(i);
  if (!op.prunable) return {};
  const cost::WeightLayout l = cost::weight_layout(op);
  return cost::block_nonzero_mask(m.ops[i].weight.data(), l.rows, l.row_len, op.sparsity.block);
}

ModelData build_model_data(const compress::QuantizedModel& m, const ModelDataOptions& options) {
  compress::validate(m);
  const space::Graph& g = m.graph;
  const std::size_t n_ops = g.ops.size(), n_tensors = g.tensors.size();

  cost::CostOptions co;
  co.storage = options.storage;
  co.flash_budget = options.flash_budget;
  co.target = options.target;
  co.latency = options.latency;
  co.block_nonzero.resize(n_ops);
  for (std::size_t i = 0; i < n_ops; ++i) co.block_nonzero[i] = weight_block_mask(m, i);
  ModelData out;
  out.cost = cost::evaluate(g, co);
  out.plan = cost::plan_graph_memory(g, co);
  if (out.plan.arena_size != out.cost.peak_sram)
    throw core::Error("export: the memory plan's arena (" + std::to_string(out.plan.arena_size) +
                      " B) differs from the cost model's peak SRAM (" +
                      std::to_string(out.cost.peak_sram) + " B)");

  // Where each tensor and each op's scratch lives in the arena.
  std::vector<std::int64_t> tensor_offset(n_tensors, 0), scratch_offset(n_ops, 0), scratch_size(n_ops, 0);
  for (const auto& b : out.plan.buffers) {
    if (b.kind == cost::GraphBuffer::Kind::tensor) {
      tensor_offset[std::size_t(b.index)] = b.offset;
    } else {
      scratch_offset[std::size_t(b.index)] = b.offset;
      scratch_size[std::size_t(b.index)] = b.size;
    }
  }

  std::vector<std::int32_t> data32;
  std::vector<std::uint8_t> data8;
  struct Pending {  // data sections, labelled once their final offsets are known
    bool is32;
    std::int64_t at, size;
    std::string label;
  };
  std::vector<Pending> pending;
  auto add32 = [&](const std::vector<std::int32_t>& v, const std::string& label) -> std::int32_t {
    if (v.empty()) return -1;
    const auto at = std::int64_t(data32.size());
    data32.insert(data32.end(), v.begin(), v.end());
    pending.push_back({true, at, std::int64_t(v.size()), label});
    return to_i32(at, label);
  };
  auto add8 = [&](const std::uint8_t* p, std::size_t n, const std::string& label) -> std::int32_t {
    const auto at = std::int64_t(data8.size());
    data8.insert(data8.end(), p, p + n);
    pending.push_back({false, at, std::int64_t(n), label});
    return to_i32(at, label);
  };

  std::vector<std::int32_t> op_words;
  out.storage.assign(n_ops, cost::Storage::dense);
  for (std::size_t i = 0; i < n_ops; ++i) {
    const Op& op = g.ops[i];
    const compress::QuantOp& q = m.ops[i];
    const std::string label = op_label(m, i);
    const cost::OpCost& oc = out.cost.ops[i];
    const compress::QParams& oq = m.tensors[std::size_t(op.output)];
    std::int32_t rec[TNN_OP_WORDS];
    std::fill(rec, rec + TNN_OP_WORDS, 0);
    rec[TNN_OPR_KIND] = std::int32_t(op.kind);
    for (int k = 0; k < TNN_OP_MAX_INPUTS; ++k)
      rec[TNN_OPR_IN0 + k] = k < int(op.inputs.size()) ? op.inputs[std::size_t(k)] : TNN_ABSENT;
    rec[TNN_OPR_OUT] = op.output;
    rec[TNN_OPR_SCRATCH] = to_i32(scratch_offset[i], label + " scratch offset");
    rec[TNN_OPR_SCRATCH_SIZE] = to_i32(scratch_size[i], label + " scratch size");
    const bool clamps = op.kind == OpKind::conv || op.kind == OpKind::linear || op.kind == OpKind::add ||
                        op.kind == OpKind::layer_norm || op.kind == OpKind::seq_pool ||
                        op.kind == OpKind::attention_softmax || op.kind == OpKind::attention_relu_linear;
    rec[TNN_OPR_ACT_MIN] = clamps && op.relu ? std::max(-128, oq.zero_point) : -128;
    rec[TNN_OPR_ACT_MAX] = 127;
    rec[TNN_OPR_WEIGHT] = rec[TNN_OPR_BIAS] = rec[TNN_OPR_QUANT] = rec[TNN_OPR_STEPS] = TNN_ABSENT;

    // weights: dense bytes, or the run-length coded stream when the cost model chose it
    if (!q.weight.empty()) {
      out.storage[i] = oc.storage;
      if (oc.storage == cost::Storage::sparse) {
        const cost::WeightLayout l = cost::weight_layout(op);
        const auto coded = cost::rle_encode(q.weight.data(), l.rows, l.row_len, op.sparsity.block);
        if (std::int64_t(coded.size()) != oc.weight_bytes)
          throw core::Error("export: " + label + " codes to " + std::to_string(coded.size()) +
                            " B, the cost model says " + std::to_string(oc.weight_bytes) + " B");
        if (op.sparsity.block < 1 || op.sparsity.block > TNN_OP_FLAG_BLOCK_MASK)
          throw core::Error("export: " + label + ": block size " + std::to_string(op.sparsity.block) +
                            " is outside the model format's 1.." + std::to_string(TNN_OP_FLAG_BLOCK_MASK));
        rec[TNN_OPR_FLAGS] = TNN_OP_FLAG_SPARSE | (op.sparsity.block << TNN_OP_FLAG_BLOCK_SHIFT);
        rec[TNN_OPR_WEIGHT] = add8(coded.data(), coded.size(),
                                   label + ": weights, run-length coded (block " +
                                       std::to_string(op.sparsity.block) + ")");
        rec[TNN_OPR_WEIGHT_SIZE] = to_i32(std::int64_t(coded.size()), label);
      } else {
        const char* what = op.kind == OpKind::layer_norm ? ": gamma" : ": weights, dense";
        rec[TNN_OPR_WEIGHT] =
            add8(reinterpret_cast<const std::uint8_t*>(q.weight.data()), q.weight.size(), label + what);
        rec[TNN_OPR_WEIGHT_SIZE] = to_i32(std::int64_t(q.weight.size()), label);
      }
    }
    const bool has_bias = op.kind == OpKind::layer_norm ||
                          ((op.kind == OpKind::conv || op.kind == OpKind::linear) && op.has_bias);
    if (!has_bias && std::any_of(q.bias.begin(), q.bias.end(), [](std::int32_t b) { return b != 0; }))
      throw core::Error("export: " + label + " has a non-zero bias but the graph says it has none");
    if (has_bias) rec[TNN_OPR_BIAS] = add32(q.bias, label + ": bias");
    if (!q.multiplier.empty()) {
      std::vector<std::int32_t> pc = q.multiplier;
      pc.insert(pc.end(), q.shift.begin(), q.shift.end());
      rec[TNN_OPR_QUANT] = add32(pc, label + ": multipliers, shifts");
    }
    if (!q.steps.empty()) {
      std::vector<std::int32_t> st;
      for (const auto& s : q.steps) {
        st.push_back(s.multiplier);
        st.push_back(s.shift);
      }
      rec[TNN_OPR_STEPS] = add32(st, label + ": requantization steps");
    }
    switch (op.kind) {
      case OpKind::conv:
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::mixed_pool:
        rec[TNN_OPR_KERNEL_H] = op.kernel_h, rec[TNN_OPR_KERNEL_W] = op.kernel_w;
        rec[TNN_OPR_STRIDE] = op.stride, rec[TNN_OPR_PADDING] = op.padding;
        if (op.kind == OpKind::conv) rec[TNN_OPR_GROUPS] = op.groups;
        break;
      case OpKind::add: rec[TNN_OPR_LEFT_SHIFT] = q.left_shift; break;
      case OpKind::attention_softmax:
      case OpKind::attention_relu_linear: rec[TNN_OPR_HEADS] = op.heads; break;
      default: break;
    }
    op_words.insert(op_words.end(), rec, rec + TNN_OP_WORDS);
  }

  std::vector<std::int32_t> tensor_words;
  for (std::size_t t = 0; t < n_tensors; ++t) {
    const auto& s = g.tensors[t].shape;
    std::int32_t rec[TNN_TENSOR_WORDS];
    rec[TNN_TENSOR_H] = s.h, rec[TNN_TENSOR_W] = s.w, rec[TNN_TENSOR_C] = s.c;
    rec[TNN_TENSOR_ZERO_POINT] = m.tensors[t].zero_point;
    rec[TNN_TENSOR_OFFSET] = to_i32(tensor_offset[t], "tensor " + g.tensors[t].name);
    tensor_words.insert(tensor_words.end(), rec, rec + TNN_TENSOR_WORDS);
  }

  const std::int64_t data32_offset = TNN_MODEL_HEADER_BYTES + TNN_TENSOR_BYTES * std::int64_t(n_tensors) +
                                     TNN_OP_BYTES * std::int64_t(n_ops);
  const std::int64_t data8_offset = data32_offset + 4 * std::int64_t(data32.size());
  const std::int64_t total = (data8_offset + std::int64_t(data8.size()) + 3) / 4 * 4;
  if (total != out.cost.flash)
    throw core::Error("export: the model data has " + std::to_string(total) +
                      " B, the cost model predicts " + std::to_string(out.cost.flash) + " B");
  std::vector<std::int32_t> header(TNN_MODEL_HEADER_WORDS, 0);  // the CRC and the reserved word: 0 here
  header[TNN_HDR_MAGIC] = TNN_MODEL_MAGIC;
  header[TNN_HDR_VERSION] = TNN_MODEL_VERSION;
  header[TNN_HDR_SIZE] = to_i32(total, "model size");
  header[TNN_HDR_OPS] = std::int32_t(n_ops);
  header[TNN_HDR_TENSORS] = std::int32_t(n_tensors);
  header[TNN_HDR_INPUT] = g.input;
  header[TNN_HDR_OUTPUT] = g.output;
  header[TNN_HDR_ARENA] = to_i32(out.plan.arena_size, "arena size");
  header[TNN_HDR_DATA32] = to_i32(data32_offset, "data32 offset");
  header[TNN_HDR_DATA8] = to_i32(data8_offset, "data8 offset");
  auto& b = out.bytes;
  put_words(b, header);
  put_words(b, tensor_words);
  put_words(b, op_words);
  put_words(b, data32);
  b.insert(b.end(), data8.begin(), data8.end());
  b.resize(std::size_t(total), 0);
  const std::uint32_t crc = core::crc32_of(b.data() + TNN_MODEL_HEADER_BYTES, b.size() - TNN_MODEL_HEADER_BYTES);
  for (int k = 0; k < 4; ++k) b[4 * TNN_HDR_CRC + std::size_t(k)] = std::uint8_t(crc >> (8 * k));

  // The runtime's own validation, as the device will run it at init: a model it would
  // refuse must not be exported. Ops are checked one by one first, so the error names one.
  {
    std::vector<std::uint32_t> words(b.size() / 4);
    std::memcpy(words.data(), b.data(), b.size());
    tnn_model probe;
    const tnn_status st = tnn_model_init(&probe, words.data(), std::uint32_t(b.size()));
    if (st != TNN_OK) {
      std::string culprit;
      for (std::size_t i = 0; i < n_ops && culprit.empty(); ++i) {
        const Op& op = g.ops[i];
        if (op.kind != OpKind::conv && op.kind != OpKind::linear) continue;
        const std::int64_t k = std::int64_t(m.ops[i].weight.size()) / std::max<std::int64_t>(1, std::int64_t(m.ops[i].bias.size()));
        for (std::int32_t bias : m.ops[i].bias)
          if (std::abs(std::int64_t(bias)) + 32768 * k > std::numeric_limits<std::int32_t>::max())
            culprit = op_label(m, i) + ": a bias of " + std::to_string(bias) + " leaves no int32 headroom for " +
                      std::to_string(k) + " products";
      }
      throw core::Error("export: the runtime refuses the model data (tnn_model_init status " +
                        std::to_string(int(st)) + ")" + (culprit.empty() ? "" : ": " + culprit));
    }
  }

  auto& sec = out.sections;
  sec.push_back({0, TNN_MODEL_HEADER_BYTES, "header"});
  sec.push_back({TNN_MODEL_HEADER_BYTES, TNN_TENSOR_BYTES * std::int64_t(n_tensors),
                 "tensor table: h, w, c, zero point, arena offset"});
  for (std::size_t i = 0; i < n_ops; ++i)
    sec.push_back({TNN_MODEL_HEADER_BYTES + TNN_TENSOR_BYTES * std::int64_t(n_tensors) + TNN_OP_BYTES * std::int64_t(i),
                   TNN_OP_BYTES, op_label(m, i) + ": record"});
  for (const auto& p : pending)
    sec.push_back({p.is32 ? data32_offset + 4 * p.at : data8_offset + p.at, p.is32 ? 4 * p.size : p.size,
                   p.label});
  std::stable_sort(sec.begin(), sec.end(), [](const BlobSection& x, const BlobSection& y) { return x.offset < y.offset; });
  const std::int64_t end = data8_offset + std::int64_t(data8.size());
  if (end < total) sec.push_back({end, total - end, "padding"});
  return out;
}

}  // namespace tinynas::exporter
