// The cost model against the runtime it predicts (DESIGN.md §2 "Cost is computed once"):
// the model data format's sizes are tnn_model.h's, and scratch_bytes() is, op for op,
// what the kernel that runs the op asks for through its get_buffer_size partner, on
// sampled paths and sparse configs of every shipped space under every storage policy.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "space/fixtures.h"
#include "tinynas/cost/cost.h"
#include "tinynas/cost/latency.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/describe.h"

extern "C" {
#include "tnn_model.h"
#include "tnn_nn.h"
#include "tnn_sparse.h"
#include "tnn_sparse_sweep.h"
#include "tnn_transformer.h"
}

using namespace tinynas;
using cost::Storage;
using space::Graph;
using space::Op;
using space::OpKind;

static_assert(cost::kModelHeaderBytes == TNN_MODEL_HEADER_BYTES, "header size");
static_assert(cost::kTensorRecordBytes == TNN_TENSOR_BYTES, "tensor record size");
static_assert(cost::kOpRecordBytes == TNN_OP_BYTES, "op record size");
static_assert(cost::kSweepMaxBlocksX2 == TNN_SWEEP_MAX_BLOCKS_X2, "the sweep's density limit");
static_assert(cost::kSweep2MaxBlocksX2 == TNN_SWEEP2_MAX_BLOCKS_X2, "the sweep's limit, blocks of 2");
static_assert(cost::kInt32Bytes == sizeof(std::int32_t), "int32 value size");
static_assert(cost::kArenaAlignment % alignof(std::int32_t) == 0, "arena alignment");

namespace {

// Dims as the runtime takes them (the int8 runner's and the exporter's mapping).
tnn_dims map_dims(const space::Shape& s) { return {1, s.h, s.w, s.c}; }
tnn_dims token_dims(const space::Shape& s) { return {1, s.h * s.w, 1, s.c}; }
tnn_dims filter_dims(const Op& op) {
  const auto& w = op.weight_shape;
  if (op.kind == OpKind::linear) return {std::int32_t(w[0]), 1, 1, std::int32_t(w[1])};
  return {std::int32_t(w[0]), std::int32_t(w[1]), std::int32_t(w[2]),
          w.size() == 4 ? std::int32_t(w[3]) : 1};
}

// The scratch the runtime's kernel for `op` asks for, weights stored as `storage`.
std::int64_t runtime_scratch(const Graph& g, const Op& op, Storage storage) {
  const space::Shape& in = g.shape(op.inputs[0]);
  switch (op.kind) {
    case OpKind::conv: {
      const tnn_dims i = map_dims(in), f = filter_dims(op);
      return storage == Storage::sparse ? tnn_conv_sparse_s8_get_buffer_size(&i, &f, op.groups)
                                        : tnn_conv_s8_get_buffer_size(&i, &f);
    }
    case OpKind::linear: {
      const tnn_dims f = filter_dims(op);
      return storage == Storage::sparse ? tnn_linear_sparse_s8_get_buffer_size(&f)
                                        : tnn_linear_s8_get_buffer_size(&f);
    }
    case OpKind::attention_softmax: {
      const tnn_dims k = token_dims(g.shape(op.inputs[1])), v = token_dims(g.shape(op.inputs[2]));
      return tnn_attention_s8_get_buffer_size(&k, &v, op.heads);
    }
    case OpKind::attention_relu_linear: {
      const tnn_dims q = token_dims(in), v = token_dims(g.shape(op.inputs[2]));
      return tnn_linear_attention_s8_get_buffer_size(&q, &v, op.heads);
    }
    case OpKind::seq_pool: {
      const tnn_dims i = token_dims(in);
      return tnn_seq_pool_s8_get_buffer_size(&i);
    }
    default: return 0;  // add, pools, layer_norm: their kernels take no context
  }
}

const space::SparseChoices& choices() {
  static const space::SparseChoices c = space::sparse_choices({0.0, 0.3, 0.5, 0.75, 0.9}, {2, 4});
  return c;
}

struct Seen {
  std::map<OpKind, int> nonzero_scratch;  // ops with scratch > 0, per kind
  int sparse_convs_with_scratch = 0;      // coded convs run with a non-zero scratch
};

void check_path(const Graph& g, cost::StoragePolicy policy, Seen& seen) {
  cost::CostOptions o;
  o.storage = policy;
  const cost::Cost c = cost::evaluate(g, o);
  ASSERT_EQ(c.ops.size(), g.ops.size());
  std::map<int, std::int64_t> scratch_of;  // op index -> its scratch, when non-zero
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const cost::OpCost& oc = c.ops[i];
    SCOPED_TRACE(op.name + " (" + space::to_string(op.kind) + ", " + cost::to_string(oc.storage) +
                 ")");
    EXPECT_EQ(oc.scratch_bytes, runtime_scratch(g, op, oc.storage));
    EXPECT_EQ(cost::scratch_bytes(g, op, oc.storage), oc.scratch_bytes);
    // Both storages, whatever was chosen (export may force either).
    for (Storage s : {Storage::dense, Storage::sparse})
      EXPECT_EQ(cost::scratch_bytes(g, op, s), runtime_scratch(g, op, s)) << cost::to_string(s);
    if (oc.scratch_bytes > 0) {
      ++seen.nonzero_scratch[op.kind];
      scratch_of[int(i)] = oc.scratch_bytes;
      if (op.kind == OpKind::conv && oc.storage == Storage::sparse)
        ++seen.sparse_convs_with_scratch;
    }
    if (policy == cost::StoragePolicy::dense) {
      EXPECT_EQ(oc.storage, Storage::dense);
    } else if (policy == cost::StoragePolicy::sparse) {
      EXPECT_EQ(oc.storage, op.prunable ? Storage::sparse : Storage::dense);
    }
  }

  // The plan: one scratch buffer per op with scratch, of exactly that request; every size,
  // offset and the arena are multiples of 4; no conflicts; the arena is peak_sram.
  const cost::GraphMemoryPlan m = cost::plan_graph_memory(g, o);
  EXPECT_EQ(m.arena_size, c.peak_sram);
  EXPECT_EQ(m.arena_size % cost::kArenaAlignment, 0);
  std::map<int, std::int64_t> planned;
  std::vector<cost::Buffer> requests;
  std::vector<std::int64_t> offsets;
  for (const auto& b : m.buffers) {
    if (b.kind == cost::GraphBuffer::Kind::scratch) {
      planned[b.index] = b.bytes;
    } else {
      EXPECT_EQ(b.bytes, g.shape(b.index).numel()) << b.name;
    }
    EXPECT_EQ(b.size, cost::align_up(b.bytes, cost::kArenaAlignment)) << b.name;
    EXPECT_EQ(b.offset % cost::kArenaAlignment, 0) << b.name;
    requests.push_back({b.size, b.first_use, b.last_use});
    offsets.push_back(b.offset);
  }
  EXPECT_EQ(planned, scratch_of);
  EXPECT_EQ(cost::find_plan_conflict(requests, offsets, m.arena_size), "");

  // Flash: the blob's formula from the per-op figures, padded to 4.
  std::int64_t blob = cost::kModelHeaderBytes +
                      cost::kTensorRecordBytes * std::int64_t(g.tensors.size());
  for (const auto& oc : c.ops) blob += oc.weight_bytes + oc.other_bytes;
  EXPECT_EQ(c.flash, cost::align_up(blob, cost::kModelAlignment));
  EXPECT_EQ(c.flash % 4, 0);
}

}  // namespace

class EverySpace : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySpace, ScratchIsWhatTheRuntimeKernelsAskFor) {
  const space::SpaceDef s = space::load_space(GetParam());
  core::Rng rng(21);
  Seen seen;
  for (int k = 0; k < 3; ++k) {
    const space::SupernetConfig cfg =
        k == 0 ? space::default_supernet(s) : space::sample_supernet(s, rng);
    const space::SupernetLayout layout = space::make_layout(
        s, cfg, k == 2 ? space::Shape{3, 32, 32} : space::Shape{1, 28, 28}, 10);
    for (int i = 0; i < 12; ++i) {
      const space::Arch arch = space::sample_arch(layout, rng);
      const space::SparseConfig sparse = space::sample_sparse(layout, choices(), rng);
      SCOPED_TRACE(space::to_string(arch, layout) + " " + space::to_string(sparse, layout));
      const Graph dense_graph = space::describe_path(layout, arch);
      const Graph sparse_graph = space::describe_path(layout, arch, &sparse);
      check_path(dense_graph, cost::StoragePolicy::automatic, seen);
      for (auto policy : {cost::StoragePolicy::automatic, cost::StoragePolicy::dense,
                          cost::StoragePolicy::sparse, cost::StoragePolicy::fastest})
        check_path(sparse_graph, policy, seen);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  // The sample exercised the storage-dependent rule: coded convs with an int16 scratch.
  EXPECT_GT(seen.sparse_convs_with_scratch, 0);
}

INSTANTIATE_TEST_SUITE_P(Shipped, EverySpace, ::testing::ValuesIn(tinynas::testing::shipped_spaces()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(RuntimeContract, HandBuiltOpsOfEveryScratchKind) {
  // Shapes the sampled spaces may not reach: grouped convs, non-square kernels, a
  // 1-channel conv (groups == in == out == 1: a plain conv to both runtime kernels, whose
  // depthwise tests want more than one channel), attention with dv != dq.
  Graph g;
  g.input = g.add_tensor("x", {6, 5, 5});
  auto conv = [&](const std::string& name, int in, int out_c, int kh, int kw, int groups,
                  bool dw_rank3) {
    Op o;
    o.kind = OpKind::conv;
    o.name = name;
    o.inputs = {in};
    o.kernel_h = kh;
    o.kernel_w = kw;
    o.padding = 0;
    o.groups = groups;
    const space::Shape s = g.shape(in);  // a copy: add_tensor below may move the tensors
    o.output = g.add_tensor(name, {out_c, s.h - kh + 1, s.w - kw + 1});
    const int icg = s.c / groups;
    if (dw_rank3) o.weight_shape = {out_c, kh, kw};
    else o.weight_shape = {out_c, kh, kw, icg};
    o.has_bias = true;
    g.ops.push_back(o);
    return o.output;
  };
  // K = kh * kw * (in / groups) inputs per output; dense 4 * K, coded 8 * K:
  const int a = conv("grouped", g.input, 6, 3, 1, 2, false);  // 3x1, groups 2: K = 9: 36, 72
  const int b = conv("dw", a, 6, 1, 3, 6, true);               // depthwise: 0, 0
  const int c = conv("dw4", b, 6, 2, 2, 6, false);             // depthwise [C,kh,kw,1]: 0, 0
  const int d = conv("pw", c, 1, 1, 1, 1, false);              // 1x1 6->1: K = 6: 24, 48
  g.output = conv("one", d, 1, 2, 1, 1, false);                // 2x1 1->1: K = 2: 8, 16
  cost::validate_graph(g);
  for (const Op& op : g.ops)
    for (Storage s : {Storage::dense, Storage::sparse})
      EXPECT_EQ(cost::scratch_bytes(g, op, s), runtime_scratch(g, op, s))
          << op.name << " " << cost::to_string(s);
  const std::vector<std::int64_t> dense{36, 0, 0, 24, 8}, coded{72, 0, 0, 48, 16};
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    EXPECT_EQ(cost::scratch_bytes(g, g.ops[i], Storage::dense), dense[i]) << g.ops[i].name;
    EXPECT_EQ(cost::scratch_bytes(g, g.ops[i], Storage::sparse), coded[i]) << g.ops[i].name;
  }

  // Attention with q/k of 8 channels and v of 4 over 6 tokens, 2 heads; seq_pool over 6.
  Graph t;
  t.input = t.add_tensor("x", {8, 2, 3});
  auto add_op = [&](OpKind kind, const std::string& name, std::vector<int> inputs,
                    space::Shape out) {
    Op o;
    o.kind = kind;
    o.name = name;
    o.inputs = std::move(inputs);
    o.output = t.add_tensor(name, out);
    t.ops.push_back(o);
    return int(t.ops.size()) - 1;
  };
  const int v = add_op(OpKind::linear, "v", {t.input}, {4, 2, 3});
  t.ops[size_t(v)].weight_shape = {4, 8};
  const int sa = add_op(OpKind::attention_softmax, "sa", {t.input, t.input, t.ops[size_t(v)].output},
                        {4, 2, 3});
  t.ops[size_t(sa)].heads = 2;
  const int la = add_op(OpKind::attention_relu_linear, "la",
                        {t.input, t.input, t.ops[size_t(v)].output}, {4, 2, 3});
  t.ops[size_t(la)].heads = 2;
  const int sp = add_op(OpKind::seq_pool, "sp", {t.ops[size_t(la)].output}, {4, 1, 1});
  t.ops[size_t(sp)].weight_shape = {1, 4};
  t.output = t.ops[size_t(sp)].output;
  cost::validate_graph(t);
  for (const Op& op : t.ops)
    for (Storage s : {Storage::dense, Storage::sparse})
      EXPECT_EQ(cost::scratch_bytes(t, op, s), runtime_scratch(t, op, s))
          << op.name << " " << cost::to_string(s);
  // v: two tokens of 8 as int16 dense, four coded.
  EXPECT_EQ(cost::scratch_bytes(t, t.ops[size_t(v)], Storage::dense), 4 * 8);
  EXPECT_EQ(cost::scratch_bytes(t, t.ops[size_t(v)], Storage::sparse), 8 * 8);
  // Softmax: two queries' int32 scores over the 6 tokens of k, then one head's V (2 channels
  // a head) as int16 pairs of keys: 3 key pairs x 1 channel pair x 8 bytes.
  EXPECT_EQ(cost::scratch_bytes(t, t.ops[size_t(sa)], Storage::dense), 8 * 6 + 3 * 1 * 8);
  EXPECT_EQ(cost::scratch_bytes(t, t.ops[size_t(la)], Storage::dense), 2 * 4 * 2);
  EXPECT_EQ(cost::scratch_bytes(t, t.ops[size_t(sp)], Storage::dense), 4 * 6);
}
