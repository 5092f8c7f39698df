// Sparse kernels on run-length coded weights: bit-exact with the dense reference kernels,
// on streams written by the exporter's encoder (cost/sparse_coding.h); and stream
// validation that rejects every malformed stream without reading past it.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/quant_ref.h"
#include "tinynas/cost/sparse_coding.h"
#include "tnn_sparse.h"

namespace tt = tinynas::testing;
using tinynas::cost::rle_encode;

namespace {

// Zeroes a `sparsity` share of the blocks (rows x row_len, blocks of `block`), at random.
void prune_blocks(std::vector<std::int8_t>& w, int rows, int row_len, int block, double sparsity,
                  std::mt19937& gen) {
  const int bpr = (row_len + block - 1) / block;
  std::vector<int> ids(std::size_t(rows * bpr));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i);
  std::shuffle(ids.begin(), ids.end(), gen);
  const auto zero = static_cast<std::size_t>(sparsity * double(ids.size()) + 0.5);
  for (std::size_t k = 0; k < zero; ++k) {
    const int r = ids[k] / bpr, b = ids[k] % bpr;
    for (int j = b * block; j < std::min(row_len, (b + 1) * block); ++j)
      w[std::size_t(r * row_len + j)] = 0;
  }
}

void check_conv(int h, int w, int c, int o, int k, int s, int p, int groups, int block,
                double sparsity, unsigned seed) {
  std::mt19937 gen(seed);
  const bool dw = groups == c && o == c;
  const int icg = c / groups;
  const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
  const auto x = tt::random_int8(std::size_t(h * w * c), gen);
  auto wt = tt::random_int8(std::size_t(o * k * k * icg), gen);
  const int rows = dw ? c * k : o, row_len = dw ? k : k * k * icg;
  prune_blocks(wt, rows, row_len, block, sparsity, gen);
  const auto coded = rle_encode(wt.data(), rows, row_len, block);
  std::vector<std::int32_t> bias(static_cast<std::size_t>(o));
  for (auto& b : bias) b = std::uniform_int_distribution<int>(-500, 500)(gen);
  const tt::ChannelQuant q(o, gen);
  const auto quant = q.view();
  const tnn_conv_params prm{7, -3, {s, s}, {p, p}, groups, {-128, 127}};
  const tnn_dims in_d{1, h, w, c}, f_d{o, k, k, icg}, out_d{1, oh, ow, o};
  std::vector<std::int8_t> dense(std::size_t(oh * ow * o)), sparse(dense.size());
  ASSERT_EQ(tnn_conv_s8(nullptr, &prm, &quant, &in_d, x.data(), &f_d, wt.data(), bias.data(),
                        &out_d, dense.data()),
            TNN_OK);
  const tnn_rle_weights rle{coded.data(), std::int32_t(coded.size()), block};
  ASSERT_EQ(tnn_rle_validate(&rle, rows, row_len), TNN_OK);
  const auto need = tnn_conv_sparse_s8_get_buffer_size(&in_d, &f_d, groups);
  EXPECT_EQ(need, dw || k == 1 ? 0 : 2 * k * k * icg);
  std::vector<std::int16_t> scratch(std::size_t(need / 2 + 1));
  const tnn_context ctx{scratch.data(), need};
  ASSERT_EQ(tnn_conv_sparse_s8(&ctx, &prm, &quant, &in_d, x.data(), &f_d, &rle, bias.data(),
                               &out_d, sparse.data()),
            TNN_OK);
  ASSERT_EQ(dense, sparse) << "conv " << h << "x" << w << "x" << c << "->" << o << " k" << k
                           << " s" << s << " p" << p << " g" << groups << " b" << block << " "
                           << sparsity;
}

}  // namespace

TEST(SparseConv, BitExactWithTheDenseReference) {
  for (double sp : {0.0, 0.5, 0.75, 0.9, 1.0}) {
    check_conv(8, 8, 8, 16, 3, 1, 1, 1, 4, sp, 1);    // 3x3
    check_conv(9, 7, 12, 8, 3, 2, 1, 4, 2, sp, 2);    // grouped, stride 2
    check_conv(6, 6, 16, 24, 1, 1, 0, 1, 4, sp, 3);   // pointwise, no scratch
    check_conv(7, 7, 10, 10, 3, 1, 1, 10, 3, sp, 4);  // depthwise, blocks along kw
    check_conv(5, 5, 6, 6, 3, 2, 0, 6, 2, sp, 5);     // depthwise, short last block
    check_conv(4, 4, 5, 7, 1, 1, 1, 1, 3, sp, 6);     // 1x1 with padding: border pixels
  }
}

TEST(SparseConv, RandomizedShapes) {
  std::mt19937 gen(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  for (int t = 0; t < 80; ++t) {
    const bool dw = pick(0, 2) == 0;
    const int g = dw ? 0 : std::vector<int>{1, 1, 2}[std::size_t(pick(0, 2))];
    const int c = dw ? pick(1, 9) : g * pick(1, 5), o = dw ? c : g * pick(1, 5);
    const int k = pick(1, 3) * 2 - 1, s = pick(1, 2), p = pick(0, k / 2);
    const int h = pick(k, 9), w = pick(k, 9);
    check_conv(h, w, c, o, k, s, p, dw ? c : g, dw ? 3 : pick(1, 4), pick(0, 10) / 10.0,
               unsigned(100 + t));
  }
}

TEST(SparseLinear, BitExactIncludingRunsLongerThan255Blocks) {
  std::mt19937 gen(21);
  for (auto [in, out, block, sp] : std::vector<std::tuple<int, int, int, double>>{
           {64, 32, 2, 0.5}, {100, 7, 4, 0.75}, {33, 5, 3, 0.9}, {600, 4, 1, 0.995}, {10, 3, 4, 1.0}}) {
    const int tokens = 5;
    const auto x = tt::random_int8(std::size_t(tokens * in), gen);
    auto w = tt::random_int8(std::size_t(out * in), gen);
    prune_blocks(w, out, in, block, sp, gen);
    const auto coded = rle_encode(w.data(), out, in, block);
    const tt::ChannelQuant q(out, gen);
    const auto quant = q.view();
    const tnn_linear_params prm{-4, 2, {-128, 127}};
    const tnn_dims in_d{1, tokens, 1, in}, f_d{out, 1, 1, in}, out_d{1, tokens, 1, out};
    std::vector<std::int8_t> dense(std::size_t(tokens * out)), sparse(dense.size());
    ASSERT_EQ(tnn_linear_s8(nullptr, &prm, &quant, &in_d, x.data(), &f_d, w.data(), nullptr, &out_d,
                            dense.data()),
              TNN_OK);
    const tnn_rle_weights rle{coded.data(), std::int32_t(coded.size()), block};
    ASSERT_EQ(tnn_rle_validate(&rle, out, in), TNN_OK);
    ASSERT_EQ(tnn_linear_sparse_s8(nullptr, &prm, &quant, &in_d, x.data(), &f_d, &rle, nullptr,
                                   &out_d, sparse.data()),
              TNN_OK);
    EXPECT_EQ(dense, sparse) << in << "x" << out << " b" << block << " " << sp;
  }
}

TEST(RleValidate, RejectsMalformedStreams) {
  // 2 rows x 5 weights, block 2: blocks per row 3 (the last one short).
  const std::vector<std::int8_t> w = {1, 2, 0, 0, 5, /**/ 0, 0, 0, 0, 9};
  auto coded = rle_encode(w.data(), 2, 5, 2);
  auto check = [](const std::vector<std::uint8_t>& bytes) {
    const tnn_rle_weights rle{bytes.data(), std::int32_t(bytes.size()), 2};
    return tnn_rle_validate(&rle, 2, 5);
  };
  EXPECT_EQ(check(coded), TNN_OK);
  auto truncated = coded;
  truncated.pop_back();
  EXPECT_EQ(check(truncated), TNN_ERR_MODEL);
  auto trailing = coded;
  trailing.push_back(0);
  EXPECT_EQ(check(trailing), TNN_ERR_MODEL);
  auto past_end = coded;
  past_end[4 + 3 * 2] = 200;  // the last entry's skip runs past block 5
  EXPECT_EQ(check(past_end), TNN_ERR_MODEL);
  auto padding = coded;
  padding[4 + 3 * 2 + 2] = 1;  // the last entry is row 1's short block: padding must be 0
  EXPECT_EQ(check(padding), TNN_ERR_MODEL);
  auto count = coded;
  count[0] = 0xff;  // claims 255 entries
  EXPECT_EQ(check(count), TNN_ERR_MODEL);
  EXPECT_EQ(check({1, 0, 0}), TNN_ERR_MODEL);  // shorter than its header
  const tnn_rle_weights none{nullptr, 0, 2};
  EXPECT_EQ(tnn_rle_validate(&none, 2, 5), TNN_ERR_ARG);
}
