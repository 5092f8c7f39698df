// Runtime-layout views of torch weights and magnitude block masks: the layout is cost's
// (weight_layout, sparse_coding.h block numbering), exactly pruned_blocks(n, ratio) blocks
// are zeroed, and they are the lowest-magnitude ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include <torch/torch.h>

#include "support/error_of.h"
#include "tinynas/compress/block_mask.h"
#include "tinynas/cost/sparse_coding.h"

using namespace tinynas;
using namespace tinynas::compress;

namespace {

struct Case {
  std::vector<std::int64_t> shape;
  bool depthwise;
  int block;
};

// conv (row_len 27: short blocks for 2 and 4), conv 1x1 (divisible), grouped-like conv
// with I/g = 3 and a 5x5 kernel, depthwise (block ignored: 3), linear (row_len 10: short
// block for 4), linear 1 x C.
std::vector<Case> cases() {
  std::vector<Case> out;
  for (int b : {2, 4}) {
    out.push_back({{6, 3, 3, 3}, false, b});
    out.push_back({{8, 6, 1, 1}, false, b});
    out.push_back({{4, 3, 5, 5}, false, b});
    out.push_back({{5, 1, 3, 3}, true, b});
    out.push_back({{5, 10}, false, b});
    out.push_back({{1, 7}, false, b});
  }
  return out;
}

std::string name_of(const Case& c) {
  std::string s = c.depthwise ? "dw[" : "[";
  for (auto d : c.shape) s += std::to_string(d) + ",";
  return s + "] b=" + std::to_string(c.block);
}

// Random non-zero weights whose int8 cast is non-zero too: ±[1, 100] plus a fraction.
torch::Tensor nonzero_weights(at::IntArrayRef shape, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto mag = torch::randint(1, 101, shape, torch::kFloat) + torch::rand(shape) * 0.5;
  const auto sign = torch::randint(0, 2, shape, torch::kFloat) * 2 - 1;
  return mag * sign;
}

std::int64_t zero_count(const std::vector<std::uint8_t>& flags) {
  return std::int64_t(std::count(flags.begin(), flags.end(), std::uint8_t{0}));
}

}  // namespace

TEST(RuntimeLayout, ConvViewIsOhwi) {
  const std::int64_t O = 3, I = 2, KH = 2, KW = 3;
  const auto w = torch::arange(O * I * KH * KW, torch::kFloat).reshape({O, I, KH, KW});
  const auto r = to_runtime(w, false);
  ASSERT_EQ(r.sizes(), (std::vector<std::int64_t>{O, KH * KW * I}));
  const auto wa = w.accessor<float, 4>();
  const auto ra = r.accessor<float, 2>();
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t h = 0; h < KH; ++h)
      for (std::int64_t x = 0; x < KW; ++x)
        for (std::int64_t i = 0; i < I; ++i)
          EXPECT_EQ(ra[o][(h * KW + x) * I + i], wa[o][i][h][x]);
  const auto l = runtime_layout(w, false);
  EXPECT_EQ(l.rows, O);
  EXPECT_EQ(l.row_len, KH * KW * I);
  EXPECT_TRUE(torch::equal(from_runtime(r, w.sizes(), false), w));
}

TEST(RuntimeLayout, DepthwiseViewIsKernelRows) {
  const std::int64_t C = 4, K = 3;
  const auto w = torch::randn({C, 1, K, K});
  const auto r = to_runtime(w, true);
  ASSERT_EQ(r.sizes(), (std::vector<std::int64_t>{C * K, K}));
  const auto wa = w.accessor<float, 4>();
  const auto ra = r.accessor<float, 2>();
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t h = 0; h < K; ++h)
      for (std::int64_t x = 0; x < K; ++x) EXPECT_EQ(ra[c * K + h][x], wa[c][0][h][x]);
  EXPECT_EQ(effective_block(w, true, 4), 3);
  EXPECT_TRUE(torch::equal(from_runtime(r, w.sizes(), true), w));
}

TEST(RuntimeLayout, LinearViewIsItself) {
  const auto w = torch::randn({5, 7});
  EXPECT_TRUE(torch::equal(to_runtime(w, false), w));
  EXPECT_EQ(runtime_layout(w, false).row_len, 7);
}

TEST(RuntimeLayout, RoundTripsEveryCaseAndCopies) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(name_of(c));
    const auto w = torch::randn(c.shape, torch::requires_grad());
    const auto r = to_runtime(w, c.depthwise);
    EXPECT_FALSE(r.requires_grad());
    EXPECT_TRUE(r.is_contiguous());
    EXPECT_EQ(r.numel(), w.numel());
    EXPECT_TRUE(torch::equal(from_runtime(r, w.sizes(), c.depthwise), w.detach()));
    r.fill_(0);  // a copy: the weight is untouched
    EXPECT_GT(w.detach().abs().sum().item<float>(), 0.0f);
  }
}

TEST(RuntimeLayout, RejectsBadShapes) {
  EXPECT_NE(tinynas::testing::error_of([] { runtime_layout(torch::zeros({2, 3, 4}), false); })
                .find("[2, 3, 4]"),
            std::string::npos);
  EXPECT_NE(tinynas::testing::error_of([] { runtime_layout(torch::zeros({4, 2, 3, 3}), true); })
                .find("depthwise"),
            std::string::npos);
  EXPECT_NE(tinynas::testing::error_of([] { runtime_layout(torch::zeros({4, 3}), true); })
                .find("depthwise"),
            std::string::npos);
  EXPECT_NE(tinynas::testing::error_of([] { effective_block(torch::zeros({4, 3}), false, 0); })
                .find("block"),
            std::string::npos);
  EXPECT_NE(tinynas::testing::error_of(
                [] { from_runtime(torch::zeros({5}), at::IntArrayRef{2, 3}, false); })
                .find("elements"),
            std::string::npos);
}

TEST(BlockScores, AreL1OfRealWeightsWithShortLastBlock) {
  const auto w = torch::tensor({1.f, -2.f, 3.f, 4.f, -5.f, 0.5f, 0.f, -1.f, 2.f, 8.f}).reshape({2, 5});
  const auto s = block_scores(w, false, 2);
  ASSERT_EQ(s.numel(), 6);
  EXPECT_EQ(s.scalar_type(), torch::kDouble);
  const std::vector<double> want = {3, 7, 5, 0.5, 3, 8};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(s[i].item<double>(), want[std::size_t(i)]);
  const auto s4 = block_scores(w, false, 4);
  ASSERT_EQ(s4.numel(), 4);
  EXPECT_DOUBLE_EQ(s4[1].item<double>(), 5.0);
  EXPECT_DOUBLE_EQ(s4[3].item<double>(), 8.0);
}

TEST(MagnitudeMask, ZeroesExactlyPrunedBlocksOfTheBlockSize) {
  const std::vector<double> ratios = {0.0, 0.1, 0.25, 0.33, 0.5, 0.7, 0.9, 0.99, 1.0};
  std::uint64_t seed = 0;
  for (const Case& c : cases()) {
    torch::manual_seed(++seed);
    const auto w = torch::randn(c.shape);
    const auto l = runtime_layout(w, c.depthwise);
    const int b = effective_block(w, c.depthwise, c.block);
    const std::int64_t n = cost::block_count(l.rows, l.row_len, b);
    for (double ratio : ratios) {
      SCOPED_TRACE(name_of(c) + " ratio " + std::to_string(ratio));
      const auto m = magnitude_block_mask(w, c.depthwise, c.block, ratio);
      ASSERT_EQ(m.sizes(), w.sizes());
      ASSERT_EQ(m.scalar_type(), w.scalar_type());
      EXPECT_TRUE((m.eq(0) | m.eq(1)).all().item<bool>());
      const std::int64_t z = cost::pruned_blocks(n, ratio);
      const auto nonzero = block_nonzero(m, c.depthwise, c.block);
      ASSERT_EQ(std::int64_t(nonzero.size()), n);
      EXPECT_EQ(zero_count(nonzero), z);
      // Whole blocks: every block of the mask is all zeros or all ones, so the number of
      // zero weights is the real size of the zeroed blocks.
      const auto blocks = to_runtime(m, c.depthwise);
      std::int64_t zero_weights = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t nb = n / l.rows, row = i / nb, first = (i % nb) * b;
        const std::int64_t len = std::min<std::int64_t>(b, l.row_len - first);
        const auto blk = blocks[row].narrow(0, first, len);
        const float sum = blk.sum().item<float>();
        EXPECT_TRUE(sum == 0.0f || sum == float(len)) << "block " << i;
        if (sum == 0.0f) zero_weights += len;
      }
      EXPECT_EQ(m.eq(0).sum().item<std::int64_t>(), zero_weights);
      if (ratio == 0.0) {
        EXPECT_TRUE(m.eq(1).all().item<bool>());
      }
      if (ratio == 1.0) {
        EXPECT_TRUE(m.eq(0).all().item<bool>());
      }
    }
  }
}

TEST(MagnitudeMask, PrunesTheLowestScoringBlocks) {
  std::uint64_t seed = 100;
  for (const Case& c : cases()) {
    SCOPED_TRACE(name_of(c));
    torch::manual_seed(++seed);
    const auto w = torch::randn(c.shape);
    const auto scores = block_scores(w, c.depthwise, c.block);
    const auto m = magnitude_block_mask(w, c.depthwise, c.block, 0.6);
    const auto kept = block_nonzero(m, c.depthwise, c.block);
    double max_pruned = -1, min_kept = std::numeric_limits<double>::infinity();
    for (std::int64_t i = 0; i < scores.numel(); ++i) {
      const double s = scores[i].item<double>();
      if (kept[std::size_t(i)])
        min_kept = std::min(min_kept, s);
      else
        max_pruned = std::max(max_pruned, s);
    }
    EXPECT_LE(max_pruned, min_kept);
    // The same set as lowest_score_blocks.
    std::set<std::int64_t> want;
    for (auto i : lowest_score_blocks(scores, cost::pruned_blocks(scores.numel(), 0.6)))
      want.insert(i);
    for (std::int64_t i = 0; i < scores.numel(); ++i)
      EXPECT_EQ(kept[std::size_t(i)] == 0, want.count(i) == 1) << "block " << i;
  }
}

TEST(MagnitudeMask, TiesGoToLowerBlockNumbers) {
  const auto w = torch::ones({4, 8});  // 16 blocks of 2, all scoring 2
  const auto m = magnitude_block_mask(w, false, 2, 0.25);
  const auto kept = block_nonzero(m, false, 2);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(kept[std::size_t(i)], i < 4 ? 0 : 1) << i;
  const auto order = lowest_score_blocks(torch::tensor({3.0, 1.0, 3.0, 1.0, 0.0}), 5);
  EXPECT_EQ(order, (std::vector<std::int64_t>{4, 1, 3, 0, 2}));
}

TEST(MagnitudeMask, DepthwiseBlocksAreKernelRows) {
  torch::manual_seed(7);
  const std::int64_t C = 6, K = 3;
  const auto w = torch::randn({C, 1, K, K});
  for (int block : {2, 4}) {
    const auto m = magnitude_block_mask(w, true, block, 0.5);
    const std::int64_t n = C * K;  // one block per kernel row
    std::int64_t zero_rows = 0;
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t h = 0; h < K; ++h) {
        const auto row = m[c][0][h];
        const float sum = row.sum().item<float>();
        EXPECT_TRUE(sum == 0.0f || sum == float(K)) << "channel " << c << " row " << h;
        zero_rows += sum == 0.0f;
      }
    EXPECT_EQ(zero_rows, cost::pruned_blocks(n, 0.5));
  }
}

TEST(MagnitudeMask, AgreesWithCostBlockNumberingOnInt8Weights) {
  std::uint64_t seed = 200;
  for (const Case& c : cases()) {
    for (double ratio : {0.3, 0.75}) {
      SCOPED_TRACE(name_of(c) + " ratio " + std::to_string(ratio));
      const auto w = nonzero_weights(c.shape, ++seed);
      const auto m = magnitude_block_mask(w, c.depthwise, c.block, ratio);
      const auto pruned = w * m;
      const auto l = runtime_layout(w, c.depthwise);
      const int b = effective_block(w, c.depthwise, c.block);
      const auto q = to_runtime(pruned, c.depthwise).to(torch::kInt8).contiguous();
      const auto flags = cost::block_nonzero_mask(q.data_ptr<std::int8_t>(), l.rows, l.row_len, b);
      const std::int64_t n = cost::block_count(l.rows, l.row_len, b);
      ASSERT_EQ(std::int64_t(flags.size()), n);
      EXPECT_EQ(n - zero_count(flags), n - cost::pruned_blocks(n, ratio));
      // Same numbering: cost's zero blocks are exactly the mask's pruned blocks.
      EXPECT_EQ(flags, block_nonzero(m, c.depthwise, c.block));
      EXPECT_EQ(flags, block_nonzero(pruned, c.depthwise, c.block));
      // And the coding round-trips the pruned tensor.
      const auto coded = cost::rle_encode(q.data_ptr<std::int8_t>(), l.rows, l.row_len, b);
      EXPECT_EQ(std::int64_t(coded.size()), cost::rle_size(flags, b));
    }
  }
}

TEST(ExpandBlockMask, RoundTripsBlockFlags) {
  std::mt19937 gen(3);
  for (const Case& c : cases()) {
    SCOPED_TRACE(name_of(c));
    const auto w = torch::zeros(c.shape, torch::kDouble);
    const auto l = runtime_layout(w, c.depthwise);
    const int b = effective_block(w, c.depthwise, c.block);
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(cost::block_count(l.rows, l.row_len, b)));
    for (auto& k : keep) k = std::uint8_t(gen() % 2);
    const auto m = expand_block_mask(keep, w.sizes(), c.depthwise, c.block, w.options());
    EXPECT_EQ(m.scalar_type(), torch::kDouble);
    EXPECT_EQ(block_nonzero(m, c.depthwise, c.block), keep);
  }
  EXPECT_NE(tinynas::testing::error_of([] {
              expand_block_mask({1, 0}, at::IntArrayRef{2, 4}, false, 2, torch::kFloat);
            }).find("block flags"),
            std::string::npos);
}

TEST(MagnitudeMask, RejectsNanAndBadRatios) {
  auto w = torch::ones({2, 4});
  w[0][1] = std::nanf("");
  EXPECT_NE(tinynas::testing::error_of([&] { magnitude_block_mask(w, false, 2, 0.5); }).find("NaN"),
            std::string::npos);
  EXPECT_THROW(magnitude_block_mask(torch::ones({2, 4}), false, 2, 1.5), core::Error);
  EXPECT_THROW(lowest_score_blocks(torch::ones({3}), 4), core::Error);
}
