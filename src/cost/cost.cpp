#include "tinynas/cost/cost.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "tinynas/core/error.h"

namespace tinynas::cost {
namespace {

using space::Graph;
using space::Op;
using space::OpKind;
using space::Shape;

std::string shape_text(const Shape& s) {
  return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string t = "[";
  for (size_t i = 0; i < dims.size(); ++i) t += (i ? ", " : "") + std::to_string(dims[i]);
  return t + "]";
}

std::string op_context(size_t index, const Op& op) {
  return "graph: op " + std::to_string(index) + " '" + op.name + "' (" + space::to_string(op.kind) +
         ")";
}

bool has_weights(OpKind kind) {
  return kind == OpKind::conv || kind == OpKind::linear || kind == OpKind::seq_pool;
}

int input_count(OpKind kind) {
  switch (kind) {
    case OpKind::add: return 2;
    case OpKind::attention_softmax:
    case OpKind::attention_relu_linear: return 3;
    default: return 1;
  }
}

std::int64_t tokens(const Shape& s) { return std::int64_t(s.h) * s.w; }

// Values an op puts in the int32 data section of the model data (cost.h header comment).
std::int64_t op_int32_values(const Graph& g, const Op& op) {
  const std::int64_t c = g.shape(op.output).c;
  switch (op.kind) {
    case OpKind::conv:
    case OpKind::linear: return (op.has_bias ? c : 0) + 2 * c;
    case OpKind::layer_norm: return 3 * c;
    case OpKind::add: return 6;
    case OpKind::seq_pool:  // no bias: a scalar added to every score cancels in the softmax
    case OpKind::attention_softmax:
    case OpKind::attention_relu_linear: return 4;
    default: return 0;
  }
}

// int8 bytes of an op's non-weight parameters: layer_norm's gamma.
std::int64_t int8_param_bytes(const Graph& g, const Op& op) {
  return op.kind == OpKind::layer_norm ? g.shape(op.output).c : 0;
}

// Checks one op of a graph whose tensor indices and production order are already checked.
class OpChecker {
 public:
  OpChecker(const Graph& g, size_t index, const Op& op) : g_(g), index_(index), op_(op) {}

  void check() {
    const Shape& out = g_.shape(op_.output);
    const Shape& in = g_.shape(op_.inputs[0]);
    if (!has_weights(op_.kind)) {
      if (!op_.weight_shape.empty())
        fail("has weight_shape " + dims_text(op_.weight_shape) + " but takes no weights");
      if (op_.has_bias) fail("has_bias is set but the op takes no bias");
    }
    if (op_.prunable) {
      if (op_.kind != OpKind::conv && op_.kind != OpKind::linear)
        fail("only conv and linear ops can be prunable");
      if (!(op_.sparsity.ratio >= 0.0 && op_.sparsity.ratio < 1.0))
        fail("sparsity ratio " + std::to_string(op_.sparsity.ratio) + " is outside [0, 1)");
      if (op_.sparsity.block < 1)
        fail("sparsity block " + std::to_string(op_.sparsity.block) + " is < 1");
    }
    if (op_.float_params < 0) fail("negative float_params");
    switch (op_.kind) {
      case OpKind::conv: check_conv(in, out); break;
      case OpKind::linear:
        if (in.h != out.h || in.w != out.w)
          fail("maps " + shape_text(in) + " to " + shape_text(out) + ": token count changes");
        expect_weights({out.c, in.c},
                       "linear " + std::to_string(in.c) + "->" + std::to_string(out.c));
        break;
      case OpKind::add: {
        const Shape& b = g_.shape(op_.inputs[1]);
        if (in != out || b != out)
          fail("adds " + shape_text(in) + " and " + shape_text(b) + " into " + shape_text(out));
        break;
      }
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::mixed_pool:
        check_window(in, out);
        if (in.c != out.c) fail("pools " + shape_text(in) + " into " + shape_text(out));
        break;
      case OpKind::global_avg_pool:
        if (out != Shape{in.c, 1, 1}) fail("pools " + shape_text(in) + " into " + shape_text(out));
        break;
      case OpKind::seq_pool:
        if (out != Shape{in.c, 1, 1}) fail("pools " + shape_text(in) + " into " + shape_text(out));
        expect_weights({1, in.c}, "seq_pool over " + std::to_string(in.c) + " channels");
        break;
      case OpKind::layer_norm:
        if (in != out) fail("maps " + shape_text(in) + " to " + shape_text(out));
        break;
      case OpKind::attention_softmax:
      case OpKind::attention_relu_linear: check_attention(out); break;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw core::Error(op_context(index_, op_) + ": " + what);
  }

  void check_window(const Shape& in, const Shape& out) const {
    if (op_.kernel_h < 1 || op_.kernel_w < 1 || op_.stride < 1 || op_.padding < 0)
      fail("kernel " + std::to_string(op_.kernel_h) + "x" + std::to_string(op_.kernel_w) +
           ", stride " + std::to_string(op_.stride) + ", padding " + std::to_string(op_.padding) +
           " is invalid");
    const int ph = in.h + 2 * op_.padding - op_.kernel_h,
              pw = in.w + 2 * op_.padding - op_.kernel_w;
    const int oh = ph < 0 ? 0 : ph / op_.stride + 1, ow = pw < 0 ? 0 : pw / op_.stride + 1;
    if (out.h != oh || out.w != ow)
      fail("a " + std::to_string(op_.kernel_h) + "x" + std::to_string(op_.kernel_w) +
           " window, stride " + std::to_string(op_.stride) + ", padding " +
           std::to_string(op_.padding) + " over " + shape_text(in) + " gives " +
           std::to_string(oh) + "x" + std::to_string(ow) + ", but the output is " +
           shape_text(out));
  }

  void check_conv(const Shape& in, const Shape& out) const {
    check_window(in, out);
    const int g = op_.groups;
    if (g < 1 || in.c % g != 0 || out.c % g != 0)
      fail("groups " + std::to_string(g) + " does not divide " + std::to_string(in.c) + " -> " +
           std::to_string(out.c) + " channels");
    const std::int64_t kh = op_.kernel_h, kw = op_.kernel_w;
    const std::string what = "conv " + std::to_string(in.c) + "->" + std::to_string(out.c) + " " +
                             std::to_string(kh) + "x" + std::to_string(kw) + " groups " +
                             std::to_string(g);
    if (g == in.c && g == out.c) {
      const auto& w = op_.weight_shape;
      if (w == std::vector<std::int64_t>{out.c, kh, kw, 1}) return;
      expect_weights({out.c, kh, kw}, "depthwise " + what);
    } else {
      expect_weights({out.c, kh, kw, in.c / g}, what);
    }
  }

  void check_attention(const Shape& out) const {
    const Shape& q = g_.shape(op_.inputs[0]);
    const Shape& k = g_.shape(op_.inputs[1]);
    const Shape& v = g_.shape(op_.inputs[2]);
    if (tokens(q) != tokens(k) || tokens(q) != tokens(v))
      fail("q, k, v have different token counts: " + shape_text(q) + ", " + shape_text(k) + ", " +
           shape_text(v));
    if (q.c != k.c)
      fail("q has " + std::to_string(q.c) + " channels but k has " + std::to_string(k.c));
    if (op_.heads < 1 || q.c % op_.heads != 0 || v.c % op_.heads != 0)
      fail(std::to_string(op_.heads) + " heads do not divide q/k channels " + std::to_string(q.c) +
           " and v channels " + std::to_string(v.c));
    if (out != Shape{v.c, q.h, q.w})
      fail("output " + shape_text(out) + " is not v's channels over q's map (" +
           shape_text(Shape{v.c, q.h, q.w}) + ")");
  }

  void expect_weights(const std::vector<std::int64_t>& expected, const std::string& what) const {
    if (op_.weight_shape != expected)
      fail("weight shape " + dims_text(op_.weight_shape) + " does not fit " + what + " (expected " +
           dims_text(expected) + ")");
  }

  const Graph& g_;
  size_t index_;
  const Op& op_;
};

}  // namespace

bool is_depthwise(const Op& op) {
  const auto& w = op.weight_shape;
  if (op.kind != OpKind::conv) return false;
  // groups > 1: a 1-channel plain conv is not depthwise (graph.h).
  return op.groups > 1 && (w.size() == 3 || (w.size() == 4 && w[3] == 1 && w[0] == op.groups));
}

WeightLayout weight_layout(const Op& op) {
  const auto& w = op.weight_shape;
  auto fail = [&](const std::string& what) -> WeightLayout {
    throw core::Error("weight layout of op '" + op.name + "' (" + space::to_string(op.kind) +
                      "): " + what);
  };
  if (!has_weights(op.kind)) return fail("the op takes no weights");
  if (op.kind == OpKind::conv) {
    if (is_depthwise(op)) return {w[0] * w[1], w[2]};
    if (w.size() != 4)
      return fail("conv weights must be [out, kh, kw, in/groups], got " + dims_text(w));
    return {w[0], w[1] * w[2] * w[3]};
  }
  if (w.size() != 2) return fail("weights must be [rows, cols], got " + dims_text(w));
  return {w[0], w[1]};
}

void validate_graph(const Graph& g) {
  const auto n_tensors = std::int64_t(g.tensors.size());
  if (g.ops.empty()) throw core::Error("graph: has no ops");
  if (g.input < 0 || g.input >= n_tensors)
    throw core::Error("graph: input tensor " + std::to_string(g.input) + " is out of range (" +
                      std::to_string(n_tensors) + " tensors)");
  if (g.output < 0 || g.output >= n_tensors)
    throw core::Error("graph: output tensor " + std::to_string(g.output) + " is out of range (" +
                      std::to_string(n_tensors) + " tensors)");
  if (g.output == g.input) throw core::Error("graph: the output tensor is the input tensor");
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Shape& s = g.tensors[t].shape;
    if (s.c < 1 || s.h < 1 || s.w < 1)
      throw core::Error("graph: tensor " + std::to_string(t) + " '" + g.tensors[t].name +
                        "' has shape " + shape_text(s) + " (HxWxC): every dimension must be >= 1");
  }

  constexpr int kNotYet = -1, kGraphInput = -2;
  std::vector<int> producer(g.tensors.size(), kNotYet);
  producer[size_t(g.input)] = kGraphInput;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    auto fail = [&](const std::string& what) {
      throw core::Error(op_context(i, op) + ": " + what);
    };
    if (int(op.inputs.size()) != input_count(op.kind))
      fail("takes " + std::to_string(input_count(op.kind)) + " inputs, got " +
           std::to_string(op.inputs.size()));
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const int t = op.inputs[k];
      if (t < 0 || t >= n_tensors)
        fail("input " + std::to_string(k) + " is tensor " + std::to_string(t) + ", out of range (" +
             std::to_string(n_tensors) + " tensors)");
      if (producer[size_t(t)] == kNotYet)
        fail("reads tensor " + std::to_string(t) + " '" + g.tensors[size_t(t)].name +
             "' before any op produces it");
    }
    const int o = op.output;
    if (o < 0 || o >= n_tensors)
      fail("output is tensor " + std::to_string(o) + ", out of range (" +
           std::to_string(n_tensors) + " tensors)");
    if (producer[size_t(o)] == kGraphInput) fail("writes the graph input tensor");
    if (producer[size_t(o)] != kNotYet)
      fail("writes tensor " + std::to_string(o) + " '" + g.tensors[size_t(o)].name +
           "', already produced by op " + std::to_string(producer[size_t(o)]));
    OpChecker(g, i, op).check();
    producer[size_t(o)] = int(i);
  }
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (producer[t] == kNotYet)
      throw core::Error("graph: tensor " + std::to_string(t) + " '" + g.tensors[t].name +
                        "' is never produced" +
                        (int(t) == g.output ? " (it is the graph output)" : ""));
}

std::int64_t scratch_bytes(const Graph& g, const Op& op, Storage storage) {
  const Shape& in = g.shape(op.inputs.at(0));
  switch (op.kind) {
    case OpKind::conv: {
      // Depthwise convs (groups > 1 == in == out) work in place of the input. The others
      // widen the receptive fields (K = kh * kw * in / groups values) of several output
      // pixels to int16 first: two for tnn_conv_s8, four for tnn_conv_sparse_s8.
      const bool depthwise = op.groups > 1 && op.groups == in.c && g.shape(op.output).c == in.c;
      if (depthwise) return 0;
      const std::int64_t k = std::int64_t(op.kernel_h) * op.kernel_w * (in.c / op.groups);
      return (storage == Storage::dense ? 4 : 8) * k;
    }
    case OpKind::linear:  // two tokens (dense) or four (coded) widened to int16
      return (storage == Storage::dense ? 4 : 8) * std::int64_t(in.c);
    case OpKind::attention_softmax: {  // 2 queries' scores, one head's V as int16 key pairs
      const std::int64_t m = tokens(g.shape(op.inputs.at(1)));
      const std::int64_t dv = g.shape(op.inputs.at(2)).c / op.heads;
      return 8 * m + 8 * ((m + 1) / 2) * ((dv + 1) / 2);
    }
    case OpKind::attention_relu_linear: {
      const std::int64_t dh = in.c / op.heads, dvh = g.shape(op.inputs.at(2)).c / op.heads;
      return 2 * dh * dvh;
    }
    case OpKind::seq_pool: return 4 * tokens(in);
    default: return 0;
  }
}

std::int64_t op_macs(const Graph& g, const Op& op) {
  const Shape& in = g.shape(op.inputs.at(0));
  const Shape& out = g.shape(op.output);
  switch (op.kind) {
    case OpKind::conv: return tokens(out) * out.c * (in.c / op.groups) * op.kernel_h * op.kernel_w;
    case OpKind::linear: return tokens(in) * in.c * out.c;
    case OpKind::attention_softmax: {
      const std::int64_t n = tokens(in);
      return n * n * (in.c + g.shape(op.inputs.at(2)).c);
    }
    case OpKind::attention_relu_linear:
      return 2 * tokens(in) * in.c * g.shape(op.inputs.at(2)).c / op.heads;
    case OpKind::seq_pool: return 2 * tokens(in) * in.c;
    default: return 0;
  }
}

namespace {

// Checks CostOptions::block_nonzero against a valid graph.
void check_masks(const Graph& g, const CostOptions& options) {
  const auto& masks = options.block_nonzero;
  if (masks.empty()) return;
  if (masks.size() != g.ops.size())
    throw core::Error("cost options: block_nonzero has " + std::to_string(masks.size()) +
                      " masks for a graph of " + std::to_string(g.ops.size()) +
                      " ops (give one per op, empty for the estimate, or none)");
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (masks[i].empty()) continue;
    const Op& op = g.ops[i];
    const std::string context = "cost options: block_nonzero of op " + std::to_string(i) +
                                " '" + op.name + "' (" + space::to_string(op.kind) + ")";
    if (!op.prunable)
      throw core::Error(context + ": the op is not prunable, so it has no block coding");
    const WeightLayout layout = weight_layout(op);
    const std::int64_t n = block_count(layout.rows, layout.row_len, op.sparsity.block);
    if (std::int64_t(masks[i].size()) != n)
      throw core::Error(context + ": the mask has " + std::to_string(masks[i].size()) +
                        " entries, the weights have " + std::to_string(n) + " blocks (" +
                        std::to_string(layout.rows) + " rows of " +
                        std::to_string(layout.row_len) + " in blocks of " +
                        std::to_string(op.sparsity.block) + ")");
  }
}

// The figures that follow from an op's storage.
void set_storage(const Graph& g, const Op& op, OpCost& c, Storage storage) {
  c.storage = storage;
  c.weight_bytes = storage == Storage::sparse ? c.sparse_weight_bytes : c.dense_weight_bytes;
  c.scratch_bytes = scratch_bytes(g, op, storage);
}

// The model data's size (cost.h header comment) with the ops' current storage.
std::int64_t model_flash(const Graph& g, const std::vector<OpCost>& ops) {
  std::int64_t blob = kModelHeaderBytes + kTensorRecordBytes * std::int64_t(g.tensors.size());
  for (const OpCost& c : ops) blob += c.weight_bytes + c.other_bytes;
  return align_up(blob, kModelAlignment);
}

const LatencyTable& latency_table_of(const CostOptions& o, const std::string& target) {
  return o.latency_table ? *o.latency_table : builtin_latency_table(target);
}

double predicted_instructions(const Graph& g, std::size_t i, const OpCost& c, const CostOptions& o,
                              const LatencyTable& table) {
  const auto* mask = i < o.block_nonzero.size() && !o.block_nonzero[i].empty() ? &o.block_nonzero[i] : nullptr;
  return predict_op_instructions(table, latency_features(g, g.ops[i], c, mask));
}

// StoragePolicy::fastest (sparse_coding.h) on costs made with the smaller form: each
// prunable op takes its faster form; then, over the flash budget, the ops whose faster form
// is the larger go back, fewest instructions lost per byte saved first (op order on ties).
void choose_fastest(const Graph& g, const CostOptions& o, std::vector<OpCost>& ops) {
  const LatencyTable& table = latency_table_of(o, o.storage_target.empty() ? o.target : o.storage_target);
  struct Back {
    double loss_per_byte;
    std::size_t op;
    Storage smaller;
  };
  std::vector<Back> back;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    OpCost& c = ops[i];
    if (!c.prunable) continue;
    const Storage smaller = c.storage, larger = smaller == Storage::sparse ? Storage::dense : Storage::sparse;
    const double t_small = predicted_instructions(g, i, c, o, table);
    set_storage(g, g.ops[i], c, larger);
    const double t_large = predicted_instructions(g, i, c, o, table);
    const std::int64_t saved = c.weight_bytes - (smaller == Storage::sparse ? c.sparse_weight_bytes : c.dense_weight_bytes);
    if (!(t_large < t_small))
      set_storage(g, g.ops[i], c, smaller);
    else if (saved > 0)
      back.push_back({(t_small - t_large) / double(saved), i, smaller});
  }
  if (o.flash_budget <= 0) return;
  std::stable_sort(back.begin(), back.end(),
                   [](const Back& a, const Back& b) { return a.loss_per_byte < b.loss_per_byte; });
  for (const Back& b : back) {
    if (model_flash(g, ops) <= o.flash_budget) break;
    set_storage(g, g.ops[b.op], ops[b.op], b.smaller);
  }
}

// Every per-op figure of a valid graph (storage, flash, scratch, MACs).
std::vector<OpCost> op_costs(const Graph& g, const CostOptions& options) {
  check_masks(g, options);
  std::vector<OpCost> costs;
  costs.reserve(g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    OpCost c;
    c.name = op.name;
    c.kind = op.kind;
    c.params = op.float_params;
    c.macs = op_macs(g, op);
    c.effective_macs = c.macs;
    if (has_weights(op.kind)) {
      const WeightLayout layout = weight_layout(op);
      c.weights = layout.numel();
      c.dense_weight_bytes = c.weights;
      c.weight_bytes = c.weights;
      if (op.prunable) {
        c.prunable = true;
        c.sparsity = op.sparsity.ratio;
        c.block = op.sparsity.block;
        c.blocks = block_count(layout.rows, layout.row_len, c.block);
        c.pruned_blocks = pruned_blocks(c.blocks, c.sparsity);
        if (c.blocks > 0)
          c.pruned_weights = (2 * c.pruned_blocks * c.weights + c.blocks) / (2 * c.blocks);
        const std::vector<std::uint8_t>* mask =
            options.block_nonzero.empty() || options.block_nonzero[i].empty()
                ? nullptr
                : &options.block_nonzero[i];
        c.sparse_size_exact = mask != nullptr;
        c.sparse_weight_bytes = mask ? rle_size(*mask, c.block)
                                     : rle_size_estimate(c.blocks, c.pruned_blocks, c.block);
        c.storage = choose_storage(c.dense_weight_bytes, c.sparse_weight_bytes, options.storage);
        // Every conv weight is used once per output pixel, every linear weight once per token.
        const Shape& out = g.shape(op.output);
        const std::int64_t uses =
            op.kind == OpKind::conv ? tokens(out) : tokens(g.shape(op.inputs[0]));
        c.effective_macs = c.macs - c.pruned_weights * uses;
      }
    }
    c.int32_values = op_int32_values(g, op);
    c.other_bytes = kOpRecordBytes + kInt32Bytes * c.int32_values + int8_param_bytes(g, op);
    set_storage(g, op, c, c.storage);
    costs.push_back(std::move(c));
  }
  if (options.storage == StoragePolicy::fastest) choose_fastest(g, options, costs);
  return costs;
}

// The buffers of a valid graph (cost.h header comment), planned; scratch from `ops`.
GraphMemoryPlan plan_memory(const Graph& g, const std::vector<OpCost>& ops) {
  const int last_op = int(g.ops.size()) - 1;
  std::vector<int> first(g.tensors.size(), 0), last(g.tensors.size(), 0);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    first[size_t(g.ops[i].output)] = int(i);
    last[size_t(g.ops[i].output)] = int(i);
  }
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (int t : g.ops[i].inputs) last[size_t(t)] = std::max(last[size_t(t)], int(i));
  last[size_t(g.output)] = last_op;

  GraphMemoryPlan plan;
  auto add = [&](GraphBuffer::Kind kind, int index, std::string name, std::int64_t bytes,
                 int first_use, int last_use) {
    plan.buffers.push_back({kind, index, std::move(name), bytes,
                            align_up(bytes, kArenaAlignment), first_use, last_use, 0});
  };
  auto add_tensor = [&](int t) {
    add(GraphBuffer::Kind::tensor, t, g.tensors[size_t(t)].name, g.shape(t).numel(),
        first[size_t(t)], last[size_t(t)]);
  };
  add_tensor(g.input);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    add_tensor(g.ops[i].output);
    if (const std::int64_t s = ops[i].scratch_bytes; s > 0)
      add(GraphBuffer::Kind::scratch, int(i), g.ops[i].name + ".scratch", s, int(i), int(i));
  }

  MemoryPlanner planner;
  for (const auto& b : plan.buffers) planner.add_buffer(b.size, b.first_use, b.last_use);
  const MemoryPlan& m = planner.plan();
  for (size_t i = 0; i < plan.buffers.size(); ++i) plan.buffers[i].offset = m.offsets[i];
  plan.arena_size = m.arena_size;
  plan.strategy = m.strategy;
  plan.greedy_arena = m.greedy_arena;
  plan.head_tail_arena = m.head_tail_arena;
  const LiveBound bound = live_lower_bound(planner.buffers());
  plan.lower_bound = bound.bytes;
  plan.lower_bound_step = bound.step;
  for (int b : planner.live_at(bound.step))
    plan.live_at_lower_bound.push_back(plan.buffers[size_t(b)].name);
  return plan;
}

}  // namespace

GraphMemoryPlan plan_graph_memory(const Graph& g, const CostOptions& options) {
  validate_graph(g);
  return plan_memory(g, op_costs(g, options));
}

Cost evaluate(const Graph& g, const CostOptions& options) {
  validate_graph(g);
  Cost cost;
  cost.ops = op_costs(g, options);
  const GraphMemoryPlan memory = plan_memory(g, cost.ops);
  cost.peak_sram = memory.arena_size;
  cost.sram_lower_bound = memory.lower_bound;
  cost.sram_lower_bound_step = memory.lower_bound_step;
  cost.live_at_lower_bound = memory.live_at_lower_bound;
  cost.sram_strategy = memory.strategy;
  for (const OpCost& c : cost.ops) {
    cost.params += c.params;
    cost.weights += c.weights;
    cost.pruned_weights += c.pruned_weights;
    cost.macs += c.macs;
    cost.effective_macs += c.effective_macs;
  }
  cost.flash = model_flash(g, cost.ops);
  cost.effective_params = cost.params - cost.pruned_weights;
  if (!options.latency) return cost;
  const LatencyTable& table = latency_table_of(options, options.target);
  double instructions = table.per_op * double(g.ops.size());
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    OpCost& c = cost.ops[i];
    c.instructions = predicted_instructions(g, i, c, options, table);
    instructions += c.instructions;
  }
  cost.instructions = std::int64_t(std::llround(instructions));
  cost.latency_target = table.target;
  return cost;
}

}  // namespace tinynas::cost
