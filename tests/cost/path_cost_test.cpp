// The cost front door on a tiny space, every figure worked out by hand: the space file
// → layout → describe_path → evaluate chain, including the memory plan of a residual.
#include <gtest/gtest.h>

#include "tinynas/cost/path_cost.h"

using namespace tinynas;

namespace {

// 8x8x1 image → conv3x3/2 (1→4) → inverted residual (4→8→4, expansion 2, residual add)
// → global average pool → classifier 4→10.
const char* kSpace = R"(id: hw
stages:
  - name: s
    blocks:
      - {choice: down, out: 4}
      - {choice: mb}
      - {choice: pool}
choices:
  down: {letter: D, candidates: [{type: conv, kernel: 3, stride: 2}]}
  mb: {letter: M, candidates: [{type: inverted_residual, expansion: 2}]}
  pool: {letter: P, candidates: [{type: gap}]}
)";

struct Net {
  space::SpaceDef def = space::parse_space(kSpace, "hw.yaml");
  space::SupernetLayout layout =
      space::make_layout(def, space::default_supernet(def), space::Shape{1, 8, 8}, 10);
  space::Arch arch = space::parse_arch("hw:D0.M0.P0", layout);
};

}  // namespace

TEST(PathCost, HandWorkedDenseNetwork) {
  Net n;
  const cost::Cost c = cost::evaluate_path(n.layout, n.arch);
  // Float params (BatchNorm: 2 per channel):
  //   conv 3x3 1→4: 36 + 8 = 44; expand 1x1 4→8: 32 + 16 = 48; dw 3x3 x8: 72 + 16 = 88;
  //   project 1x1 8→4: 32 + 8 = 40; classifier 4→10: 40 + 10 = 50.   Sum 270.
  EXPECT_EQ(c.params, 270);
  EXPECT_EQ(c.weights, 36 + 32 + 72 + 32 + 40);
  // MACs: conv 4x4 out pixels * 4 * 9 = 576; expand 16*8*4 = 512; dw 16*8*9 = 1152;
  //   project 16*4*8 = 512; classifier 40.   Sum 2792.
  EXPECT_EQ(c.macs, 2792);
  // Flash, the model data blob of tnn_model.h: header 48, 8 tensors (input + one per op)
  //   of 20 bytes, 7 ops of 80 bytes = 768; int32 values: conv/linear bias + multiplier +
  //   shift per output channel: conv 12, expand 24, dw 24, project 12, classifier 30,
  //   add 3 steps = 6 -> 108 values = 432 bytes; int8 weights dense 36+32+72+32+40 = 212.
  //   768 + 432 + 212 = 1412 (a multiple of 4).
  EXPECT_EQ(c.flash, 1412);
  // Scratch, all stored dense: the non-depthwise convs widen two receptive fields to
  // int16, 4 * kh*kw * in: conv 4 * 9 * 1 = 36, expand 4 * 4 = 16, project 4 * 8 = 32;
  // the depthwise conv none; the classifier two tokens, 4 * 4 = 16.
  EXPECT_EQ(c.ops[0].scratch_bytes, 36);
  EXPECT_EQ(c.ops[1].scratch_bytes, 16);
  EXPECT_EQ(c.ops[2].scratch_bytes, 0);
  EXPECT_EQ(c.ops[3].scratch_bytes, 32);
  EXPECT_EQ(c.ops[6].scratch_bytes, 16);
  // Live int8 bytes per step (the conv output x stays alive for the residual add):
  //   0 conv:    input 64 + x 64 + scratch 36 = 164
  //   1 expand:  x 64 + e 128 + 16 = 208
  //   2 dw:      x 64 + e 128 + d 128 = 320   ← peak
  //   3 project: x 64 + d 128 + p 64 + 32 = 288
  //   4 add:     x 64 + p 64 + sum 64 = 192
  //   5 gap: 68; 6 classifier: 4 + 10 -> 12 (sizes round up to 4) + 16 = 32.
  EXPECT_EQ(c.sram_lower_bound, 320);
  EXPECT_EQ(c.sram_lower_bound_step, 2);
  // The plan reaches the bound: greedy puts e@0, d@128, input@0, x@256, p@0, sum@64, the
  // conv's scratch beside input at 64, project's at 64 (after p), expand's at 128 (after e),
  // the classifier's buffers low: 320.
  EXPECT_EQ(c.peak_sram, 320);
}

TEST(PathCost, HandWorkedSparseConfig) {
  Net n;
  const space::SparseConfig sp = space::parse_sparse("hw:D50/2.M50/4.P0/2", n.layout);
  const cost::Cost c = cost::evaluate_path(n.layout, n.arch, &sp);
  // Pruned weights (blocks along each layout row; zero blocks = round(ratio * blocks)):
  //   conv: 4 rows of 9 → 5 blocks of 2 each (last short), 20 blocks, 10 zero;
  //         10 * 36/20 = 18 weights
  //   expand: 8 rows of 4 → 8 blocks of 4, 4 zero → 16
  //   dw: block 3 along kernel width: 24 rows of 3, 12 zero → 36
  //   project: 4 rows of 8 → 8 blocks of 4, 4 zero → 16
  //   classifier: fixed layer, never pruned.   Total 86.
  EXPECT_EQ(c.pruned_weights, 86);
  EXPECT_EQ(c.effective_params, 270 - 86);
  // Storage (auto: sparse only when smaller; 4-byte count + (1 + b) per stored block):
  //   conv: 4 + 10*3 = 34 < 36 → sparse;   expand: 4 + 4*5 = 24 < 32 → sparse;
  //   dw: 4 + 12*4 = 52 < 72 → sparse;     project: 4 + 4*5 = 24 < 32 → sparse.
  //   1412 - (36 - 34) - (32 - 24) - (72 - 52) - (32 - 24) = 1374, padded to 1376.
  EXPECT_EQ(c.flash, 1376);
  // The coded convs run on tnn_conv_sparse_s8, four receptive fields as int16,
  // 8 * kh*kw * in: conv 8 * 9 = 72, expand 8 * 4 = 32, project 8 * 8 = 64; the coded
  // depthwise conv none; the classifier stays dense, 4 * 4 = 16. Live per step:
  //   0: 64 + 64 + 72 = 200;  1: 64 + 128 + 32 = 224;  2: 64 + 128 + 128 = 320;
  //   3: 64 + 128 + 64 + 64 = 320 (the project's scratch brings it level with step 2);
  //   4: 192;  5: 68;  6: 4 + 12 + 16 = 32.
  EXPECT_EQ(c.ops[0].scratch_bytes, 72);
  EXPECT_EQ(c.ops[1].scratch_bytes, 32);
  EXPECT_EQ(c.ops[2].scratch_bytes, 0);
  EXPECT_EQ(c.ops[3].scratch_bytes, 64);
  EXPECT_EQ(c.ops[6].scratch_bytes, 16);
  EXPECT_EQ(c.sram_lower_bound, 320);
  EXPECT_EQ(c.sram_lower_bound_step, 2);  // the first step reaching it
  // Greedy (128s, then 72, the 64s by first use, 32, 16, 12, 4): e@0, d@128, conv scratch
  // @0, input@72, x@256 (past e, d, the scratch and input), p@0, project scratch@64,
  // sum@64, expand scratch@128, classifier scratch@0, logits@16, gap@28: 320, the bound.
  EXPECT_EQ(c.peak_sram, 320);
}

TEST(PathCost, LimitsIncludeTheParameterBudgetWhenSet) {
  Net n;
  const space::SparseConfig sp = space::parse_sparse("hw:D50/2.M50/4.P0/2", n.layout);
  const cost::Cost c = cost::evaluate_path(n.layout, n.arch, &sp);  // 1376 B, 320 B, 184 params
  EXPECT_TRUE(cost::fits(c, cost::Limits{320, 1376, 0}));
  EXPECT_FALSE(cost::fits(c, cost::Limits{319, 1376, 0}));
  EXPECT_FALSE(cost::fits(c, cost::Limits{320, 1372, 0}));
  EXPECT_TRUE(cost::fits(c, cost::Limits{320, 1376, 184}));   // effective, not dense (270)
  EXPECT_FALSE(cost::fits(c, cost::Limits{320, 1376, 183}));
  const auto l = cost::Limits::from_kb(64, 256, 100);
  EXPECT_EQ(l.sram_bytes, 65536);
  EXPECT_EQ(l.flash_bytes, 262144);
  EXPECT_EQ(l.effective_params, 100000);
}
