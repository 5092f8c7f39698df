#include "tinynas/cost/cost.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/error_of.h"
#include "tinynas/core/error.h"

using namespace tinynas;
using cost::Storage;
using space::Graph;
using space::Op;
using space::OpKind;
using space::Shape;
using Names = std::vector<std::string>;

namespace {

struct GraphBuilder {
  Graph g;

  int input(const std::string& name, Shape s) {
    g.input = g.add_tensor(name, s);
    return g.input;
  }
  // Adds an op writing a new tensor "<name>.out" of shape `out`; returns the op.
  Op& op(OpKind kind, const std::string& name, std::vector<int> inputs, Shape out) {
    Op o;
    o.kind = kind;
    o.name = name;
    o.inputs = std::move(inputs);
    o.output = g.add_tensor(name + ".out", out);
    g.ops.push_back(o);
    g.output = o.output;
    return g.ops.back();
  }
  Op& conv(const std::string& name, int in, Shape out, int k, int pad, int groups,
           std::int64_t float_params) {
    Op& o = op(OpKind::conv, name, {in}, out);
    o.kernel_h = o.kernel_w = k;
    o.padding = pad;
    o.groups = groups;
    o.has_bias = true;
    const int in_c = g.shape(in).c;
    if (groups == in_c && groups == out.c)
      o.weight_shape = {out.c, k, k};
    else
      o.weight_shape = {out.c, k, k, in_c / groups};
    o.float_params = float_params;
    return o;
  }
  Op& linear(const std::string& name, int in, int out_c, std::int64_t float_params) {
    const Shape s = g.shape(in);
    Op& o = op(OpKind::linear, name, {in}, Shape{out_c, s.h, s.w});
    o.weight_shape = {out_c, s.c};
    o.has_bias = true;
    o.float_params = float_params;
    return o;
  }
  int out(const Op& o) const { return o.output; }
};

void prune(Op& op, double ratio, int block) {
  op.prunable = true;
  op.choice_block = 0;
  op.sparsity = {ratio, block};
}

// The hand-worked CNN:
//   op  name      kind                 in -> out (HxWxC)      weights      float params
//   0   stem      conv 3x3 p1 1->4     8x8x1 -> 8x8x4         [4,3,3,1]=36 36 + BN 8 = 44
//   1   b0.dw     depthwise 3x3 p1     8x8x4 -> 8x8x4         [4,3,3]  =36 36 + 8    = 44
//   2   b0.pw     conv 1x1 4->4        8x8x4 -> 8x8x4         [4,1,1,4]=16 16 + 8    = 24
//   3   b0.add    add(stem, b0.pw)     8x8x4 -> 8x8x4
//   4   head.pw   conv 1x1 4->8        8x8x4 -> 8x8x8         [8,1,1,4]=32 32 + 16   = 48
//   5   pool      global_avg_pool      8x8x8 -> 1x1x8
//   6   fc        linear 8->10         1x1x8 -> 1x1x10        [10,8]   =80 80 + 10   = 90
// Pruned (ratio 0.5, block 2): b0.dw, b0.pw, head.pw.
Graph hand_cnn(bool pruned) {
  GraphBuilder b;
  const int image = b.input("image", {1, 8, 8});
  const int stem = b.out(b.conv("stem", image, {4, 8, 8}, 3, 1, 1, 44));
  Op& dw = b.conv("b0.dw", stem, {4, 8, 8}, 3, 1, 4, 44);
  if (pruned) prune(dw, 0.5, 2);
  const int dw_out = dw.output;
  Op& pw = b.conv("b0.pw", dw_out, {4, 8, 8}, 1, 0, 1, 24);
  if (pruned) prune(pw, 0.5, 2);
  const int pw_out = pw.output;
  b.op(OpKind::add, "b0.add", {stem, pw_out}, {4, 8, 8}).relu = true;
  Op& head = b.conv("head.pw", b.g.ops.back().output, {8, 8, 8}, 1, 0, 1, 48);
  if (pruned) prune(head, 0.5, 2);
  const int head_out = head.output;
  const int pooled = b.out(b.op(OpKind::global_avg_pool, "pool", {head_out}, {8, 1, 1}));
  b.linear("fc", pooled, 10, 90);
  b.g.tensors[size_t(b.g.output)].name = "logits";
  return b.g;
}

// The hand-worked token graph: N = 16 tokens (4x4) of D = 8.
//   0 ln        layer_norm            16x8          float 16
//   1 q         linear 8->8           16x8          [8,8]  float 72
//   2 k         linear 8->8           16x8          [8,8]  float 72
//   3 v         linear 8->4           16x4          [4,8]  float 36
//   4 attn      attention_softmax     q,k,v -> 16x4, 2 heads
//   5 attn_lin  attention_relu_linear q,k,v -> 16x4, 2 heads (dh = 4, dvh = 2)
//   6 sum       add(attn, attn_lin)   16x4
//   7 seq       seq_pool              16x4 -> 1x1x4   [1,4]  float 5
//   8 fc        linear 4->10          1x1x4 -> 1x1x10 [10,4] float 50
Graph token_graph() {
  GraphBuilder b;
  const int x = b.input("tokens", {8, 4, 4});
  Op& ln = b.op(OpKind::layer_norm, "ln", {x}, {8, 4, 4});
  ln.float_params = 16;
  const int n = ln.output;
  const int q = b.out(b.linear("q", n, 8, 72));
  const int k = b.out(b.linear("k", n, 8, 72));
  const int v = b.out(b.linear("v", n, 4, 36));
  Op& a = b.op(OpKind::attention_softmax, "attn", {q, k, v}, {4, 4, 4});
  a.heads = 2;
  const int a_out = a.output;
  Op& l = b.op(OpKind::attention_relu_linear, "attn_lin", {q, k, v}, {4, 4, 4});
  l.heads = 2;
  const int l_out = l.output;
  const int sum = b.out(b.op(OpKind::add, "sum", {a_out, l_out}, {4, 4, 4}));
  Op& seq = b.op(OpKind::seq_pool, "seq", {sum}, {4, 1, 1});
  seq.weight_shape = {1, 4};
  seq.has_bias = true;
  seq.float_params = 5;
  b.linear("fc", seq.output, 10, 50);
  return b.g;
}

}  // namespace

TEST(Cost, HandWorkedCnnCounts) {
  const cost::Cost c = cost::evaluate(hand_cnn(true));
  EXPECT_EQ(c.params, 44 + 44 + 24 + 48 + 90);   // 250
  EXPECT_EQ(c.weights, 36 + 36 + 16 + 32 + 80);  // 200

  // Pruning, ratio 0.5 block 2:
  //  b0.dw: layout 12 rows (C*kh) of kw = 3 -> blocks [2][1] per row, n = 24, z = 12;
  //         pruned = round(12 * 36 / 24) = 18 (average real block 1.5 weights).
  //  b0.pw: 4 rows of 4 -> n = 8, z = 4, pruned 8.  head.pw: 8 rows of 4 -> n = 16, z = 8, 16.
  ASSERT_EQ(c.ops.size(), 7u);
  EXPECT_EQ(c.ops[1].blocks, 24);
  EXPECT_EQ(c.ops[1].pruned_blocks, 12);
  EXPECT_EQ(c.ops[1].pruned_weights, 18);
  EXPECT_EQ(c.ops[2].pruned_weights, 8);
  EXPECT_EQ(c.ops[4].pruned_weights, 16);
  EXPECT_EQ(c.pruned_weights, 42);
  EXPECT_EQ(c.effective_params, 250 - 42);

  // MACs: stem 64 px * 4 * 1 * 9 = 2304; dw 64 * 4 * 9 = 2304; b0.pw 64 * 4 * 4 = 1024;
  // head.pw 64 * 8 * 4 = 2048; fc 8 * 10 = 80.
  EXPECT_EQ(c.ops[0].macs, 2304);
  EXPECT_EQ(c.ops[1].macs, 2304);
  EXPECT_EQ(c.ops[2].macs, 1024);
  EXPECT_EQ(c.ops[3].macs, 0);
  EXPECT_EQ(c.ops[4].macs, 2048);
  EXPECT_EQ(c.ops[5].macs, 0);
  EXPECT_EQ(c.ops[6].macs, 80);
  EXPECT_EQ(c.macs, 7760);
  // Effective: every conv weight is used once per output pixel (64):
  // dw 2304 - 18*64 = 1152, b0.pw 1024 - 8*64 = 512, head.pw 2048 - 16*64 = 1024.
  EXPECT_EQ(c.ops[1].effective_macs, 1152);
  EXPECT_EQ(c.ops[2].effective_macs, 512);
  EXPECT_EQ(c.ops[4].effective_macs, 1024);
  EXPECT_EQ(c.effective_macs, 2304 + 1152 + 512 + 1024 + 80);  // 5072

  // Scratch (the runtime's kernels, by storage; flash below: only head.pw is coded):
  //  stem    dense 3x3 1->4, tnn_conv_s8: two receptive fields as int16, 4 * 3*3 * 1 = 36
  //  b0.dw   depthwise: none, whatever the storage
  //  b0.pw   dense 1x1 4->4 (a tie keeps dense): 4 * 1*1 * 4 = 16
  //  head.pw coded 1x1 4->8, tnn_conv_sparse_s8: four receptive fields, 8 * 1*1 * 4 = 32
  //  add, pool: none;  fc dense linear 8->10, tnn_linear_s8: two tokens, 4 * 8 = 32
  std::vector<std::int64_t> scratch;
  for (const auto& op : c.ops) scratch.push_back(op.scratch_bytes);
  EXPECT_EQ(scratch, (std::vector<std::int64_t>{36, 0, 16, 0, 32, 0, 32}));
}

TEST(Cost, HandWorkedCnnMemory) {
  // Buffers (bytes, steps), in the order added (input, then per op its output and its
  // scratch; scratch from HandWorkedCnnCounts):
  //   0 image 64 0..0             1 stem.out 256 0..3 (read by b0.dw and b0.add)
  //   2 stem.scratch 36 0..0      3 b0.dw.out 256 1..2 (the depthwise conv has none)
  //   4 b0.pw.out 256 2..3        5 b0.pw.scratch 16 2..2
  //   6 b0.add.out 256 3..4       7 head.pw.out 512 4..5
  //   8 head.pw.scratch 32 4..4   9 pool.out 8 5..6
  //  10 logits 10 (planned as 12: sizes round up to 4) 6..6     11 fc.scratch 32 6..6
  // Live: step 0: 64 + 256 + 36 = 356; 1: 256 + 256 = 512; 2: stem + dw + pw + 16 = 784;
  // 3: stem + pw + add = 768; 4: add 256 + head 512 + 32 = 800; 5: 512 + 8 = 520;
  // 6: 8 + 12 + 32 = 52. Lower bound 800, at step 4: the 1x1 head conv's scratch tips it
  // over the three activations of steps 2 and 3.
  //
  // greedy (sizes 512; the 256s by first use; 64; 36; the 32s by first use; 16; 12; 8):
  // head.pw.out@0; stem.out@0 (no time overlap with head); b0.dw.out@256; b0.pw.out@512;
  // b0.add.out meets head [0,512), stem [0,256), pw [512,768) -> @768; image meets stem ->
  // @256; stem.scratch meets stem, image [256,320) -> @320; head.pw.scratch meets head
  // [0,512), add [768,1024) -> @512; fc.scratch meets nothing placed -> @0; b0.pw.scratch
  // meets stem, dw, pw -> @768; logits meets fc.scratch -> @32; pool.out meets head,
  // fc.scratch, logits -> @512. Arena 1024.
  // head-tail (first-use order; distance from the buffer's end; the end opposite the
  // latest-placed buffer still live):
  //   image head 0 | stem.out tail 0 | stem.scratch (stem.out live) head after image: 64 |
  //   b0.dw.out (stem.out) head 0 | b0.pw.out (dw) tail after stem.out: 256 |
  //   b0.pw.scratch (pw) head after dw: 256 | b0.add.out (pw) head 0 |
  //   head.pw.out (add) tail 0 | head.pw.scratch (head.pw.out) head after add: 256 |
  //   pool.out (head.pw.out) head 0 | logits (pool) tail 0 | fc.scratch (logits) head
  //   after pool: 8.
  // Head + tail ends of time-intersecting pairs: image/stem 64 + 256 = 320, stem.scratch/
  // stem 100 + 256 = 356, dw/pw 256 + 512 = 768, pw.scratch/pw 272 + 512 = 784, add/pw and
  // add/head 256 + 512 = 768, head.pw.scratch/head 288 + 512 = 800, pool/head 520,
  // fc.scratch/logits 40 + 12 = 52: arena 800 = the bound.
  const cost::GraphMemoryPlan m = cost::plan_graph_memory(hand_cnn(true));
  ASSERT_EQ(m.buffers.size(), 12u);
  Names names;
  for (const auto& b : m.buffers) names.push_back(b.name);
  EXPECT_EQ(names, (Names{"image", "stem.out", "stem.scratch", "b0.dw.out", "b0.pw.out",
                          "b0.pw.scratch", "b0.add.out", "head.pw.out", "head.pw.scratch",
                          "pool.out", "logits", "fc.scratch"}));
  std::vector<std::int64_t> bytes, sizes, offsets;
  std::vector<int> first, last, scratch_of;
  for (const auto& b : m.buffers) {
    bytes.push_back(b.bytes);
    sizes.push_back(b.size);
    offsets.push_back(b.offset);
    first.push_back(b.first_use);
    last.push_back(b.last_use);
    if (b.kind == cost::GraphBuffer::Kind::scratch) scratch_of.push_back(b.index);
  }
  EXPECT_EQ(scratch_of, (std::vector<int>{0, 2, 4, 6}));  // stem, b0.pw, head.pw, fc
  EXPECT_EQ(bytes, (std::vector<std::int64_t>{64, 256, 36, 256, 256, 16, 256, 512, 32, 8, 10, 32}));
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{64, 256, 36, 256, 256, 16, 256, 512, 32, 8, 12, 32}));
  EXPECT_EQ(first, (std::vector<int>{0, 0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6}));
  EXPECT_EQ(last, (std::vector<int>{0, 3, 0, 2, 3, 2, 4, 5, 4, 6, 6, 6}));
  EXPECT_EQ(m.lower_bound, 800);
  EXPECT_EQ(m.lower_bound_step, 4);
  EXPECT_EQ(m.live_at_lower_bound, (Names{"b0.add.out", "head.pw.out", "head.pw.scratch"}));
  EXPECT_EQ(m.greedy_arena, 1024);
  EXPECT_EQ(m.head_tail_arena, 800);
  EXPECT_EQ(m.strategy, cost::PlanStrategy::head_tail);
  EXPECT_EQ(m.arena_size, 800);
  // Tail buffers sit at arena - distance - size: stem.out 800 - 256 = 544, b0.pw.out
  // 800 - 256 - 256 = 288, head.pw.out 800 - 512 = 288, logits 800 - 12 = 788 (not 790:
  // aligned).
  EXPECT_EQ(offsets, (std::vector<std::int64_t>{0, 544, 64, 0, 288, 256, 0, 288, 256, 0, 788, 8}));

  std::vector<cost::Buffer> requests;
  for (const auto& b : m.buffers) requests.push_back({b.size, b.first_use, b.last_use});
  EXPECT_EQ(cost::find_plan_conflict(requests, offsets, m.arena_size), "");

  const cost::Cost c = cost::evaluate(hand_cnn(true));
  EXPECT_EQ(c.peak_sram, 800);
  EXPECT_EQ(c.sram_lower_bound, 800);
  EXPECT_EQ(c.sram_lower_bound_step, 4);
  EXPECT_EQ(c.live_at_lower_bound, m.live_at_lower_bound);
  EXPECT_EQ(c.sram_strategy, cost::PlanStrategy::head_tail);
}

TEST(Cost, ConvScratchFollowsTheWeightStorage) {
  // The stem (1->4 3x3) pruned at 0.5, block 2: 4 rows of 9 -> 20 blocks, 10 zero, coded
  // 4 + 10 * 3 = 34 < 36 -> sparse under auto, run by tnn_conv_sparse_s8 with four output
  // pixels' int16 receptive fields, 8 * 3*3 * 1 = 72 bytes, live at step 0 only. Stored
  // dense, tnn_conv_s8 widens two: 4 * 3*3 * 1 = 36.
  Graph g = hand_cnn(true);
  prune(g.ops[0], 0.5, 2);
  const cost::Cost c = cost::evaluate(g);
  EXPECT_EQ(c.ops[0].storage, Storage::sparse);
  EXPECT_EQ(c.ops[0].scratch_bytes, 72);
  EXPECT_EQ(cost::scratch_bytes(g, g.ops[0], Storage::sparse), 72);
  EXPECT_EQ(cost::scratch_bytes(g, g.ops[0], Storage::dense), 36);
  // The depthwise conv works in place of its input: none in either storage.
  EXPECT_EQ(cost::scratch_bytes(g, g.ops[1], Storage::sparse), 0);
  EXPECT_EQ(cost::scratch_bytes(g, g.ops[1], Storage::dense), 0);
  // 1x1 convs are no exception: K = 1*1*4 = 4 inputs, 16 bytes dense, 32 coded.
  for (int i : {2, 4}) {
    EXPECT_EQ(cost::scratch_bytes(g, g.ops[size_t(i)], Storage::dense), 16) << i;
    EXPECT_EQ(cost::scratch_bytes(g, g.ops[size_t(i)], Storage::sparse), 32) << i;
  }

  // The buffers of HandWorkedCnnMemory with the stem's scratch 72 in place of 36. Live at
  // step 0: image 64 + stem.out 256 + scratch 72 = 392 < 800. Head-tail puts the scratch at
  // the head after the image (64; end 136, + stem.out's 256 = 392), the plan is otherwise
  // the one there: arena 800. Greedy now places the scratch (72) before the image (64):
  // @256 and @328 beside stem.out, nothing else moves: 1024.
  const cost::GraphMemoryPlan m = cost::plan_graph_memory(g);
  ASSERT_EQ(m.buffers.size(), 12u);
  const cost::GraphBuffer& s = m.buffers[2];
  EXPECT_EQ(s.kind, cost::GraphBuffer::Kind::scratch);
  EXPECT_EQ(s.index, 0);
  EXPECT_EQ(s.name, "stem.scratch");
  EXPECT_EQ(s.bytes, 72);
  EXPECT_EQ(s.size, 72);
  EXPECT_EQ(s.first_use, 0);
  EXPECT_EQ(s.last_use, 0);
  EXPECT_EQ(s.offset, 64);
  EXPECT_EQ(m.arena_size, 800);
  EXPECT_EQ(m.greedy_arena, 1024);
  EXPECT_EQ(c.peak_sram, 800);

  // Forced dense storage: the stem's scratch is tnn_conv_s8's 36, and head.pw (coded under
  // auto) drops from 32 to 16; still one scratch buffer per non-depthwise conv and the fc.
  cost::CostOptions o;
  o.storage = cost::StoragePolicy::dense;
  const cost::Cost dense = cost::evaluate(g, o);
  EXPECT_EQ(dense.ops[0].scratch_bytes, 36);
  EXPECT_EQ(dense.ops[4].scratch_bytes, 16);
  const cost::GraphMemoryPlan md = cost::plan_graph_memory(g, o);
  ASSERT_EQ(md.buffers.size(), 12u);
  EXPECT_EQ(md.buffers[2].name, "stem.scratch");
  EXPECT_EQ(md.buffers[2].bytes, 36);
}

TEST(Cost, HandWorkedCnnFlash) {
  // The model data blob of tnn_model.h: header 48 + 8 tensors * 20 + per op a record of 80,
  // its int32 values (4 bytes each) and its int8 bytes.
  // int32 values: conv/linear with bias: out (bias) + 2 * out (multiplier, shift):
  //   stem, b0.dw, b0.pw (4 ch): 12 -> other 80 + 48 = 128; head.pw (8 ch): 24 -> 176;
  //   fc (10): 30 -> 200; add: 3 steps = 6 -> 104; pool: none -> 80.
  // Dense weights: 36 + 36 + 16 + 32 + 80 = 200.
  // flash dense = 48 + 160 + other (128*3 + 104 + 176 + 80 + 200 = 944) + 200 = 1352.
  const cost::Cost dense = cost::evaluate(hand_cnn(false));
  EXPECT_EQ(dense.flash, 1352);
  EXPECT_EQ(dense.pruned_weights, 0);
  EXPECT_EQ(dense.effective_macs, dense.macs);
  EXPECT_EQ(dense.ops[0].int32_values, 12);
  EXPECT_EQ(dense.ops[0].other_bytes, 128);
  EXPECT_EQ(dense.ops[3].int32_values, 6);
  EXPECT_EQ(dense.ops[3].other_bytes, 104);
  EXPECT_EQ(dense.ops[4].other_bytes, 176);
  EXPECT_EQ(dense.ops[5].int32_values, 0);
  EXPECT_EQ(dense.ops[5].other_bytes, 80);
  EXPECT_EQ(dense.ops[6].other_bytes, 200);

  // Pruned at 0.5, block 2, coded size 4 + k * (1 + 2):
  //   b0.dw: k = 12 -> 40 > 36: dense.   b0.pw: k = 4 -> 16 = 16: tie, dense.
  //   head.pw: k = 8 -> 28 < 32: sparse, saving 4 bytes -> 1348.
  const cost::Cost c = cost::evaluate(hand_cnn(true));
  EXPECT_EQ(c.ops[1].sparse_weight_bytes, 40);
  EXPECT_EQ(c.ops[1].storage, Storage::dense);
  EXPECT_EQ(c.ops[2].sparse_weight_bytes, 16);
  EXPECT_EQ(c.ops[2].storage, Storage::dense);
  EXPECT_EQ(c.ops[4].sparse_weight_bytes, 28);
  EXPECT_EQ(c.ops[4].storage, Storage::sparse);
  EXPECT_EQ(c.ops[4].weight_bytes, 28);
  EXPECT_FALSE(c.ops[4].sparse_size_exact);
  EXPECT_EQ(c.ops[0].storage, Storage::dense);  // not prunable
  EXPECT_EQ(c.ops[0].sparse_weight_bytes, 0);
  EXPECT_EQ(c.flash, 1348);

  // Forced storage: dense -> 1352; sparse -> dw 40, pw 16, head 28 -> 1352.
  cost::CostOptions o;
  o.storage = cost::StoragePolicy::dense;
  EXPECT_EQ(cost::evaluate(hand_cnn(true), o).flash, 1352);
  o.storage = cost::StoragePolicy::sparse;
  const cost::Cost forced = cost::evaluate(hand_cnn(true), o);
  EXPECT_EQ(forced.flash, 1352);
  EXPECT_EQ(forced.ops[1].storage, Storage::sparse);
  EXPECT_EQ(forced.ops[0].storage, Storage::dense);  // non-prunable ops stay dense
}

TEST(Cost, TokenGraphAttentionLayerNormSeqPool) {
  const cost::Cost c = cost::evaluate(token_graph());
  ASSERT_EQ(c.ops.size(), 9u);
  EXPECT_EQ(c.params, 16 + 72 + 72 + 36 + 5 + 50);  // 251
  EXPECT_EQ(c.weights, 64 + 64 + 32 + 4 + 40);      // 204

  // MACs: q, k 16*8*8 = 1024; v 16*8*4 = 512; softmax attention N*N*(dq+dv) = 256*12 = 3072;
  // relu-linear: per head relu(k)ᵀv 16*4*2 = 128 and relu(q)(..) 128, 2 heads -> 512
  // (= 2*N*dq*dv/heads); seq_pool 2*N*C = 2*16*4 = 128; fc 4*10 = 40.
  const std::vector<std::int64_t> macs{0, 1024, 1024, 512, 3072, 512, 0, 128, 40};
  // Scratch (the kernels' get_buffer_size): layer_norm none; the dense linears widen two
  // tokens to int16, 4 * in: q, k, v 4*8 = 32, fc 4*4 = 16; softmax two queries' int32
  // scores over the M = 16 tokens of k, 8*16 = 128, and one head's V (dv = 2) as int16 pairs
  // of keys, 8 * 8 pairs * 1 channel pair = 64; relu-linear one head's int16 KV
  // 2*dh*dvh = 2*4*2 = 16; seq_pool 4*N = 64.
  const std::vector<std::int64_t> scratch{0, 32, 32, 32, 128 + 64, 16, 0, 64, 16};
  // int32 values: ln 3*C = 24; q, k 8 bias + 16 quant = 24; v 12; attention 2 steps = 4;
  // add 3 steps = 6; seq_pool 2 steps = 4 (its bias is not deployed); fc 30.
  const std::vector<std::int64_t> int32{24, 24, 24, 12, 4, 4, 6, 4, 30};
  // Other bytes = 80 + 4 * int32 values (+ ln's int8 gamma, 8).
  const std::vector<std::int64_t> other{184, 176, 176, 128, 96, 96, 104, 96, 200};
  const std::vector<std::int64_t> weight_bytes{0, 64, 64, 32, 0, 0, 0, 4, 40};
  for (size_t i = 0; i < c.ops.size(); ++i) {
    EXPECT_EQ(c.ops[i].macs, macs[i]) << c.ops[i].name;
    EXPECT_EQ(c.ops[i].scratch_bytes, scratch[i]) << c.ops[i].name;
    EXPECT_EQ(c.ops[i].int32_values, int32[i]) << c.ops[i].name;
    EXPECT_EQ(c.ops[i].other_bytes, other[i]) << c.ops[i].name;
    EXPECT_EQ(c.ops[i].weight_bytes, weight_bytes[i]) << c.ops[i].name;
  }
  EXPECT_EQ(c.macs, 6312);
  // flash = header 48 + 10 tensors * 20 + weights 204 + other 1256 = 1708 (a multiple of 4).
  EXPECT_EQ(c.flash, 1708);

  // Live bytes (tensors: tokens, ln.out, q.out, k.out 128; v.out, attn.out, attn_lin.out,
  // sum.out 64; seq.out 4; fc.out 10 -> 12; each op's scratch at its own step):
  //   0: tokens + ln = 256             1: ln + q + q.scratch 32 = 288
  //   2: ln + q + k + 32 = 416         3: ln + q + k + v + 32 = 480
  //   4: q + k + v + attn.out + attn.scratch 192 = 576, the maximum
  //   5: q + k + v + attn.out + attn_lin.out + 16 = 464     6: 3 * 64 = 192
  //   7: sum + seq.out 4 + seq.scratch 64 = 132             8: 4 + 12 + 16 = 32
  EXPECT_EQ(c.sram_lower_bound, 576);
  EXPECT_EQ(c.sram_lower_bound_step, 4);
  EXPECT_EQ(c.live_at_lower_bound,
            (Names{"q.out", "k.out", "v.out", "attn.out", "attn.scratch"}));
  EXPECT_GE(c.peak_sram, c.sram_lower_bound);
  const cost::GraphMemoryPlan m = cost::plan_graph_memory(token_graph());
  std::vector<cost::Buffer> requests;
  std::vector<std::int64_t> offsets;
  for (const auto& b : m.buffers) {
    requests.push_back({b.size, b.first_use, b.last_use});
    offsets.push_back(b.offset);
  }
  EXPECT_EQ(cost::find_plan_conflict(requests, offsets, m.arena_size), "");
  EXPECT_EQ(c.peak_sram, m.arena_size);
}

TEST(Cost, PrunedLinearEffectiveMacs) {
  // fc 8->10 on 1 token, ratio 0.3 block 4: 10 rows x 2 blocks = 20, z = 6, pruned 24,
  // effective MACs 80 - 24 * 1 token; coded 4 + 14 * 5 = 74 < 80 -> sparse.
  Graph g = hand_cnn(false);
  prune(g.ops[6], 0.3, 4);
  const cost::Cost c = cost::evaluate(g);
  EXPECT_EQ(c.ops[6].pruned_weights, 24);
  EXPECT_EQ(c.ops[6].effective_macs, 56);
  EXPECT_EQ(c.ops[6].sparse_weight_bytes, 74);
  EXPECT_EQ(c.ops[6].storage, Storage::sparse);
  // tnn_linear_sparse_s8 widens four tokens to int16: 8 * 8 = 64 (dense: two, 4 * 8 = 32).
  EXPECT_EQ(c.ops[6].scratch_bytes, 64);
  EXPECT_EQ(cost::scratch_bytes(g, g.ops[6], Storage::dense), 32);
  // The blob: 1352 - 80 + 74 = 1346 bytes, zero-padded to a multiple of 4.
  EXPECT_EQ(c.flash, 1348);
}

TEST(Cost, EveryOpKindFlashAndScratch) {
  // One op of each kind (ops / tensors: 13 / 14):
  //   op  name  kind                   out (HxWxC)  int32 values        int8 bytes
  //   0   c     conv 3x3 p1 2->4, bias 4x4x4        4 + 8 = 12          [4,3,3,2] = 72
  //   1   mp    max_pool 2x2 s2        2x2x4        0                   0
  //   2   ap    avg_pool 3x3 s1 p1     2x2x4        0                   0
  //   3   xp    mixed_pool 3x3 s1 p1   2x2x4        0                   0
  //   4   ln    layer_norm             2x2x4        3 * 4 = 12          gamma 4
  //   5   q     linear 4->4, no bias   2x2x4        2 * 4 = 8           16
  //   6   sa    attention_softmax (q, ln, ln), 2 heads       4          0
  //   7   la    attention_relu_linear (q, ln, xp), 2 heads   4          0
  //   8   add   add(sa, la)            2x2x4        6                   0
  //   9   sp    seq_pool, has_bias     1x1x4        4 (no bias)         [1,4] = 4
  //   10  gap   global_avg_pool(add)   1x1x4        0                   0
  //   11  mix   add(sp, gap)           1x1x4        6                   0
  //   12  fc    linear 4->3, bias      1x1x3        3 + 6 = 9           [3,4] = 12
  // int32: 65 values = 260 bytes. Fixed part: 48 + 14 * 20 + 13 * 80 = 1368.
  // c and fc are prunable at 0.5, block 2:
  //   c: 4 rows of 18 -> 36 blocks, 18 zero: estimate 4 + 18 * 3 = 58 < 72 -> sparse;
  //   fc: 3 rows of 4 -> 6 blocks, 3 zero: estimate 4 + 3 * 3 = 13 > 12 -> dense.
  GraphBuilder b;
  const int image = b.input("image", {2, 4, 4});
  Op& conv = b.conv("c", image, {4, 4, 4}, 3, 1, 1, 80);
  prune(conv, 0.5, 2);
  const int c_out = conv.output;
  auto pool = [&](OpKind kind, const std::string& name, int in, int k, int stride, int pad) {
    Op& o = b.op(kind, name, {in}, {4, 2, 2});
    o.kernel_h = o.kernel_w = k;
    o.stride = stride;
    o.padding = pad;
    return o.output;
  };
  const int mp = pool(OpKind::max_pool, "mp", c_out, 2, 2, 0);
  const int ap = pool(OpKind::avg_pool, "ap", mp, 3, 1, 1);
  const int xp = pool(OpKind::mixed_pool, "xp", ap, 3, 1, 1);
  const int ln = b.out(b.op(OpKind::layer_norm, "ln", {xp}, {4, 2, 2}));
  Op& q = b.linear("q", ln, 4, 16);
  q.has_bias = false;
  const int q_out = q.output;
  Op& sa = b.op(OpKind::attention_softmax, "sa", {q_out, ln, ln}, {4, 2, 2});
  sa.heads = 2;
  const int sa_out = sa.output;
  Op& la = b.op(OpKind::attention_relu_linear, "la", {q_out, ln, xp}, {4, 2, 2});
  la.heads = 2;
  const int la_out = la.output;
  const int sum = b.out(b.op(OpKind::add, "add", {sa_out, la_out}, {4, 2, 2}));
  Op& sp = b.op(OpKind::seq_pool, "sp", {sum}, {4, 1, 1});
  sp.weight_shape = {1, 4};
  sp.has_bias = true;
  const int sp_out = sp.output;
  const int gap = b.out(b.op(OpKind::global_avg_pool, "gap", {sum}, {4, 1, 1}));
  const int mix = b.out(b.op(OpKind::add, "mix", {sp_out, gap}, {4, 1, 1}));
  prune(b.linear("fc", mix, 3, 15), 0.5, 2);
  const Graph g = b.g;
  ASSERT_EQ(g.ops.size(), 13u);
  ASSERT_EQ(g.tensors.size(), 14u);

  const cost::Cost c = cost::evaluate(g);
  const std::vector<std::int64_t> int32{12, 0, 0, 0, 12, 8, 4, 4, 6, 4, 0, 6, 9};
  const std::vector<std::int64_t> weight_bytes{58, 0, 0, 0, 0, 16, 0, 0, 0, 4, 0, 0, 12};
  // Scratch: c is coded, four receptive fields of 3*3*2 as int16: 8 * 18 = 144; pools,
  // layer_norm, adds none; q dense linear 4 * in = 16; softmax over the M = 4 tokens of k
  // (ln): 8 * M = 32, and a head's packed V (dv = 2): 8 * 2 key pairs = 16; relu-linear
  // 2 * (4/2) * (4/2) = 8; seq_pool 4 * N = 16; fc dense (below) 4 * 4 = 16.
  const std::vector<std::int64_t> scratch{144, 0, 0, 0, 0, 16, 32 + 16, 8, 0, 16, 0, 0, 16};
  std::int64_t sum_ops = 0;
  for (size_t i = 0; i < c.ops.size(); ++i) {
    const auto& o = c.ops[i];
    EXPECT_EQ(o.int32_values, int32[i]) << o.name;
    EXPECT_EQ(o.weight_bytes, weight_bytes[i]) << o.name;
    EXPECT_EQ(o.other_bytes, 80 + 4 * int32[i] + (o.kind == OpKind::layer_norm ? 4 : 0))
        << o.name;
    EXPECT_EQ(o.scratch_bytes, scratch[i]) << o.name;
    sum_ops += o.weight_bytes + o.other_bytes;
  }
  EXPECT_EQ(c.ops[0].storage, Storage::sparse);
  EXPECT_EQ(c.ops[12].storage, Storage::dense);
  EXPECT_EQ(c.ops[12].sparse_weight_bytes, 13);
  // 1368 + 260 + int8 (58 + 4 + 16 + 4 + 12 = 94) = 1722 -> padded to 1724.
  EXPECT_EQ(cost::kModelHeaderBytes + 14 * cost::kTensorRecordBytes + sum_ops, 1722);
  EXPECT_EQ(c.flash, 1724);

  // Forced dense: int8 72 + 4 + 16 + 4 + 12 = 108 -> 1736; the conv on tnn_conv_s8 takes
  // two receptive fields: 4 * 18 = 72.
  cost::CostOptions o;
  o.storage = cost::StoragePolicy::dense;
  const cost::Cost dense = cost::evaluate(g, o);
  EXPECT_EQ(dense.flash, 1736);
  EXPECT_EQ(dense.ops[0].scratch_bytes, 72);
  EXPECT_EQ(dense.ops[12].scratch_bytes, 16);
  // Forced sparse: fc coded at 13 -> 1723 -> 1724; its scratch is tnn_linear_sparse_s8's
  // 8 * 4 = 32.
  o.storage = cost::StoragePolicy::sparse;
  const cost::Cost sparse = cost::evaluate(g, o);
  EXPECT_EQ(sparse.flash, 1724);
  EXPECT_EQ(sparse.ops[12].scratch_bytes, 32);

  // The real masks make the coded size exact. fc with blocks {1,0,0,0,0,1}: two stored
  // entries, 4 + 2 * 3 = 10 < 12 -> sparse (the estimate said dense): 1720.
  o.storage = cost::StoragePolicy::automatic;
  o.block_nonzero.assign(g.ops.size(), {});
  o.block_nonzero[12] = {1, 0, 0, 0, 0, 1};
  const cost::Cost exact = cost::evaluate(g, o);
  EXPECT_TRUE(exact.ops[12].sparse_size_exact);
  EXPECT_FALSE(exact.ops[0].sparse_size_exact);  // empty entry: the estimate
  EXPECT_EQ(exact.ops[12].sparse_weight_bytes, 10);
  EXPECT_EQ(exact.ops[12].storage, Storage::sparse);
  EXPECT_EQ(exact.ops[12].pruned_blocks, 3);  // still the ratio's count
  EXPECT_EQ(exact.ops[12].scratch_bytes, 32);  // coded now: four tokens, 8 * 4
  EXPECT_EQ(exact.flash, 1720);
  // A dense conv mask codes to 4 + 36 * 3 = 112 > 72: dense, and its scratch shrinks to
  // tnn_conv_s8's 4 * 18 = 72.
  o.block_nonzero[0].assign(36, 1);
  const cost::Cost full = cost::evaluate(g, o);
  EXPECT_EQ(full.ops[0].sparse_weight_bytes, 112);
  EXPECT_EQ(full.ops[0].storage, Storage::dense);
  EXPECT_EQ(full.ops[0].scratch_bytes, 72);
  // 14 tensors + 6 scratch (c, q, sa, la, sp, fc): the storage changes sizes, not which ops
  // take scratch.
  EXPECT_EQ(cost::plan_graph_memory(g, o).buffers.size(), 20u);
  // 1368 + 260 + (72 + 4 + 16 + 4 + 10 = 106) = 1734 -> padded to 1736.
  EXPECT_EQ(full.flash, 1736);

  // Memory: sizes round up to 4 (fc's 3-byte output takes 4), and so does every offset.
  // 14 tensors and 6 scratch buffers; fc's output is the last but one, before its scratch.
  // Live at step 0: image 32 + c.out 64 + c.scratch 144 = 240, the maximum (step 1: c.out
  // + mp.out 16 = 80; step 6: xp, ln, q, sa.out 16 each + sa.scratch 32 = 96; the rest less).
  const cost::GraphMemoryPlan m = cost::plan_graph_memory(g);
  ASSERT_EQ(m.buffers.size(), 20u);
  EXPECT_EQ(m.buffers[18].name, "fc.out");
  EXPECT_EQ(m.buffers[18].bytes, 3);
  EXPECT_EQ(m.buffers[18].size, 4);
  EXPECT_EQ(m.buffers[19].name, "fc.scratch");
  EXPECT_EQ(m.buffers[19].bytes, 16);
  EXPECT_EQ(m.lower_bound, 240);
  EXPECT_EQ(m.lower_bound_step, 0);
  EXPECT_EQ(m.live_at_lower_bound, (Names{"image", "c.out", "c.scratch"}));
  std::vector<cost::Buffer> requests;
  std::vector<std::int64_t> offsets;
  for (const auto& buf : m.buffers) {
    EXPECT_EQ(buf.size % 4, 0) << buf.name;
    EXPECT_EQ(buf.offset % 4, 0) << buf.name;
    EXPECT_GE(buf.size, buf.bytes) << buf.name;
    EXPECT_LT(buf.size - buf.bytes, 4) << buf.name;
    requests.push_back({buf.size, buf.first_use, buf.last_use});
    offsets.push_back(buf.offset);
  }
  EXPECT_EQ(m.arena_size % 4, 0);
  EXPECT_EQ(cost::find_plan_conflict(requests, offsets, m.arena_size), "");
  EXPECT_EQ(c.peak_sram, m.arena_size);
}

TEST(Cost, BadBlockMasksNameTheOp) {
  using tinynas::testing::error_of;
  auto expect_in = [](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  };
  const Graph g = hand_cnn(true);  // prunable: b0.dw (24 blocks), b0.pw (8), head.pw (16)
  cost::CostOptions o;
  o.block_nonzero.assign(3, {});
  expect_in(error_of([&] { cost::evaluate(g, o); }),
            "block_nonzero has 3 masks for a graph of 7 ops");

  o.block_nonzero.assign(7, {});
  o.block_nonzero[4].assign(15, 1);
  auto msg = error_of([&] { cost::evaluate(g, o); });
  expect_in(msg, "op 4 'head.pw' (conv)");
  expect_in(msg, "the mask has 15 entries, the weights have 16 blocks");
  EXPECT_THROW(cost::plan_graph_memory(g, o), core::Error);

  o.block_nonzero.assign(7, {});
  o.block_nonzero[0].assign(18, 1);  // the stem is not prunable
  expect_in(error_of([&] { cost::evaluate(g, o); }),
            "op 0 'stem' (conv): the op is not prunable");

  o.block_nonzero.assign(7, {});
  o.block_nonzero[4].assign(16, 1);
  EXPECT_EQ(cost::evaluate(g, o).ops[4].sparse_weight_bytes, 4 + 16 * 3);
}

TEST(Cost, WeightLayouts) {
  const Graph g = hand_cnn(false);
  EXPECT_FALSE(cost::is_depthwise(g.ops[0]));
  EXPECT_TRUE(cost::is_depthwise(g.ops[1]));
  const auto stem = cost::weight_layout(g.ops[0]);
  EXPECT_EQ(stem.rows, 4);
  EXPECT_EQ(stem.row_len, 9);
  const auto dw = cost::weight_layout(g.ops[1]);
  EXPECT_EQ(dw.rows, 12);
  EXPECT_EQ(dw.row_len, 3);
  const auto fc = cost::weight_layout(g.ops[6]);
  EXPECT_EQ(fc.rows, 10);
  EXPECT_EQ(fc.row_len, 8);
  EXPECT_THROW(cost::weight_layout(g.ops[3]), core::Error);

  // The OHWI spelling of a depthwise weight, [C, kh, kw, 1], is the same layout.
  Graph g4 = g;
  g4.ops[1].weight_shape = {4, 3, 3, 1};
  EXPECT_TRUE(cost::is_depthwise(g4.ops[1]));
  EXPECT_EQ(cost::weight_layout(g4.ops[1]).rows, 12);
  EXPECT_EQ(cost::evaluate(g4).flash, cost::evaluate(g).flash);
}

TEST(Cost, BadGraphsNameTheOp) {
  using tinynas::testing::error_of;
  auto message = [](Graph g) { return error_of([&] { cost::evaluate(g); }); };
  auto expect_in = [](const std::string& msg, const std::string& part) {
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  };

  Graph g = hand_cnn(false);
  g.ops[1].inputs = {17};
  auto msg = message(g);
  expect_in(msg, "graph: op 1 'b0.dw' (conv)");
  expect_in(msg, "tensor 17, out of range (8 tensors)");

  g = hand_cnn(false);
  g.ops[1].inputs = {3};  // b0.pw.out, produced by op 2
  msg = message(g);
  expect_in(msg,
            "graph: op 1 'b0.dw' (conv): reads tensor 3 'b0.pw.out' before any op produces it");

  g = hand_cnn(false);
  g.ops[0].weight_shape = {4, 3, 3, 2};
  msg = message(g);
  expect_in(
      msg,
      "graph: op 0 'stem' (conv): weight shape [4, 3, 3, 2] does not fit conv 1->4 3x3 groups 1");
  expect_in(msg, "expected [4, 3, 3, 1]");

  g = hand_cnn(false);
  g.ops[6].weight_shape = {8, 10};  // transposed
  expect_in(message(g), "op 6 'fc' (linear): weight shape [8, 10] does not fit linear 8->10");

  g = hand_cnn(false);
  g.ops[3].weight_shape = {4};
  expect_in(message(g), "op 3 'b0.add' (add): has weight_shape [4] but takes no weights");

  g = hand_cnn(false);
  g.ops[3].prunable = true;
  expect_in(message(g), "op 3 'b0.add' (add): only conv and linear ops can be prunable");

  g = hand_cnn(false);
  prune(g.ops[2], 1.0, 2);
  expect_in(message(g), "op 2 'b0.pw' (conv): sparsity ratio");

  g = hand_cnn(false);
  g.ops[0].padding = 0;  // 8x8 -> 6x6 with a 3x3 kernel, but the output says 8x8
  expect_in(message(g),
            "op 0 'stem' (conv): a 3x3 window, stride 1, padding 0 over 8x8x1 gives 6x6");

  g = hand_cnn(false);
  g.ops[3].inputs = {1};
  expect_in(message(g), "op 3 'b0.add' (add): takes 2 inputs, got 1");

  g = hand_cnn(false);
  g.ops[2].output = 1;  // stem.out again
  expect_in(message(g),
            "op 2 'b0.pw' (conv): writes tensor 1 'stem.out', already produced by op 0");

  g = hand_cnn(false);
  g.add_tensor("orphan", {1, 1, 1});
  expect_in(message(g), "graph: tensor 8 'orphan' is never produced");

  g = token_graph();
  g.ops[4].heads = 3;
  expect_in(message(g), "op 4 'attn' (attention_softmax): 3 heads do not divide");

  g = token_graph();
  g.ops[7].weight_shape = {4, 1};
  expect_in(message(g),
            "op 7 'seq' (seq_pool): weight shape [4, 1] does not fit seq_pool over 4 channels");

  g = hand_cnn(false);
  g.output = g.input;
  expect_in(message(g), "graph: the output tensor is the input tensor");

  g = Graph{};
  expect_in(message(g), "graph: has no ops");
}
