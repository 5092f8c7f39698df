// The int8 runtime on the host: dense reference kernels against the sparse kernels on
// run-length coded weights at 50 / 75 / 90% block sparsity (block 4; depthwise: 3 along
// the kernel width). Targets (issue 7): sparse faster than dense from 50%, >= 2x at 75%.
// Shapes are those of the quickstart space: a 3x3 conv and a 1x1 conv on a 14x14x48 map,
// a depthwise 3x3, and an encoder linear layer over 49 tokens.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tinynas/cost/sparse_coding.h"
#include "tnn_sparse.h"

namespace {

struct ConvCase {
  int h, w, c, o, k, groups, block;
};

const ConvCase kCases[] = {
    {14, 14, 48, 48, 3, 1, 4},   // 0: conv 3x3
    {14, 14, 48, 96, 1, 1, 4},   // 1: pointwise
    {14, 14, 96, 96, 3, 96, 3},  // 2: depthwise
};

struct Setup {
  std::vector<std::int8_t> x, w, out;
  std::vector<std::uint8_t> coded;
  std::vector<std::int32_t> bias, mult, shift;
  std::vector<std::int16_t> scratch;
};

Setup make(const ConvCase& cc, double sparsity) {
  std::mt19937 gen(1);
  std::uniform_int_distribution<int> d(-128, 127);
  Setup s;
  const int icg = cc.c / cc.groups;
  const bool dw = cc.groups == cc.c;
  s.x.resize(std::size_t(cc.h * cc.w * cc.c));
  for (auto& v : s.x) v = std::int8_t(d(gen));
  s.w.resize(std::size_t(cc.o * cc.k * cc.k * icg));
  for (auto& v : s.w) v = std::int8_t(d(gen) | 1);  // no accidental zeros
  const int rows = dw ? cc.c * cc.k : cc.o, row_len = dw ? cc.k : cc.k * cc.k * icg;
  const int bpr = (row_len + cc.block - 1) / cc.block;
  std::vector<int> ids(std::size_t(rows * bpr));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i);
  std::shuffle(ids.begin(), ids.end(), gen);
  for (std::size_t i = 0; i < std::size_t(sparsity * double(ids.size()) + 0.5); ++i) {
    const int r = ids[i] / bpr, b = ids[i] % bpr;
    for (int j = b * cc.block; j < std::min(row_len, (b + 1) * cc.block); ++j)
      s.w[std::size_t(r * row_len + j)] = 0;
  }
  s.coded = tinynas::cost::rle_encode(s.w.data(), rows, row_len, cc.block);
  s.bias.assign(std::size_t(cc.o), 100);
  s.mult.assign(std::size_t(cc.o), 1 << 30);
  s.shift.assign(std::size_t(cc.o), -8);
  s.out.resize(std::size_t(cc.h * cc.w * cc.o));
  // one scratch for both kernels: the larger of what each asks for
  const tnn_dims in_d{1, cc.h, cc.w, cc.c}, f_d{cc.o, cc.k, cc.k, icg};
  const std::int32_t need = std::max(tnn_conv_s8_get_buffer_size(&in_d, &f_d),
                                     tnn_conv_sparse_s8_get_buffer_size(&in_d, &f_d, cc.groups));
  s.scratch.resize(std::size_t(need) / 2 + 1);
  return s;
}

void BM_Conv(benchmark::State& state) {
  const ConvCase cc = kCases[state.range(0)];
  const int pct = int(state.range(1));
  const bool sparse = state.range(2) != 0;
  Setup s = make(cc, pct / 100.0);
  const tnn_conv_params p{5, -2, {1, 1}, {cc.k / 2, cc.k / 2}, cc.groups, {-128, 127}};
  const tnn_per_channel_quant q{s.mult.data(), s.shift.data()};
  const tnn_dims in_d{1, cc.h, cc.w, cc.c}, f_d{cc.o, cc.k, cc.k, cc.c / cc.groups},
      out_d{1, cc.h, cc.w, cc.o};
  const tnn_rle_weights rle{s.coded.data(), std::int32_t(s.coded.size()), cc.block};
  const tnn_context ctx{s.scratch.data(), std::int32_t(s.scratch.size() * 2)};
  for (auto _ : state) {
    const auto st = sparse ? tnn_conv_sparse_s8(&ctx, &p, &q, &in_d, s.x.data(), &f_d, &rle,
                                                s.bias.data(), &out_d, s.out.data())
                           : tnn_conv_s8(&ctx, &p, &q, &in_d, s.x.data(), &f_d, s.w.data(),
                                         s.bias.data(), &out_d, s.out.data());
    if (st != TNN_OK) state.SkipWithError("kernel failed");
    benchmark::DoNotOptimize(s.out.data());
  }
  static const char* names[] = {"conv3x3 14x14x48->48", "conv1x1 14x14x48->96",
                                "dwconv3x3 14x14x96"};
  state.SetLabel(std::string(names[state.range(0)]) + (sparse ? " sparse " : " dense ") +
                 std::to_string(pct) + "%, coded " + std::to_string(s.coded.size()) + " B vs " +
                 std::to_string(s.w.size()) + " B");
}

void BM_Linear(benchmark::State& state) {
  const int pct = int(state.range(0));
  const bool sparse = state.range(1) != 0;
  const int tokens = 49, in = 96, out = 192, block = 4;
  std::mt19937 gen(2);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> x(std::size_t(tokens * in)), w(std::size_t(out * in)),
      y(std::size_t(tokens * out));
  for (auto& v : x) v = std::int8_t(d(gen));
  for (auto& v : w) v = std::int8_t(d(gen) | 1);
  const int bpr = in / block;
  std::vector<int> ids(std::size_t(out * bpr));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i);
  std::shuffle(ids.begin(), ids.end(), gen);
  for (std::size_t i = 0; i < std::size_t(pct / 100.0 * double(ids.size()) + 0.5); ++i)
    for (int j = 0; j < block; ++j) w[std::size_t((ids[i] / bpr) * in + (ids[i] % bpr) * block + j)] = 0;
  const auto coded = tinynas::cost::rle_encode(w.data(), out, in, block);
  std::vector<std::int32_t> mult(std::size_t(out), 1 << 30), shift(std::size_t(out), -8);
  const tnn_per_channel_quant q{mult.data(), shift.data()};
  const tnn_linear_params p{3, 1, {-128, 127}};
  const tnn_dims in_d{1, tokens, 1, in}, f_d{out, 1, 1, in}, out_d{1, tokens, 1, out};
  const tnn_rle_weights rle{coded.data(), std::int32_t(coded.size()), block};
  std::vector<std::int32_t> scratch(std::size_t(std::max(tnn_linear_s8_get_buffer_size(&f_d),
                                                         tnn_linear_sparse_s8_get_buffer_size(&f_d))) / 4 + 1);
  const tnn_context ctx{scratch.data(), std::int32_t(scratch.size() * 4)};
  for (auto _ : state) {
    const auto st = sparse ? tnn_linear_sparse_s8(&ctx, &p, &q, &in_d, x.data(), &f_d, &rle, nullptr,
                                                  &out_d, y.data())
                           : tnn_linear_s8(&ctx, &p, &q, &in_d, x.data(), &f_d, w.data(), nullptr,
                                           &out_d, y.data());
    if (st != TNN_OK) state.SkipWithError("kernel failed");
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(std::string("linear 49x96->192") + (sparse ? " sparse " : " dense ") +
                 std::to_string(pct) + "%");
}

}  // namespace

BENCHMARK(BM_Conv)->ArgsProduct({{0, 1, 2}, {50, 75, 90}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Linear)->ArgsProduct({{50, 75, 90}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
