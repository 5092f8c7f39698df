// Flash ratio of the blockwise run-length coding (cost/sparse_coding.h) against the paper's
// eq. 2 (tinyformer.txt III-D): eta = 1 / ((1 - rho) * (1 + 1/b)), dense bytes over coded
// bytes at block sparsity rho and block size b. For each layer of bench/runtime_bench.cpp,
// rho in {0.5, 0.75, 0.9} and b in {2, 3, 4}, the weights (no zero value) get
// round(rho * blocks) random blocks pruned and are coded with rle_encode (the timed part);
// counters: dense_B, coded_B, ratio = dense_B / coded_B, eta, dev_pct = 100 * (ratio / eta - 1).
// Deviations come from the 4-byte header, a row's short last block padded to b values
// (the depthwise rows of 3 with b = 2 or 4: -25%) and the rounding of the pruned count;
// tests/runtime/sparse_test.cpp (FlashRatio.*) asserts the 10% bound where it holds.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tinynas/cost/sparse_coding.h"

namespace {

struct Layer {
  const char* name;
  int rows, row_len;  // the coding's layout: conv rows = out, dw rows = C * kh, linear rows = out
};

const Layer kLayers[] = {
    {"conv3x3 14x14x48->48", 48, 3 * 3 * 48},
    {"conv1x1 14x14x48->96", 96, 48},
    {"dwconv3x3 14x14x96", 96 * 3, 3},
    {"linear 49x96->192", 192, 96},
};

void BM_FlashRatio(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  const double rho = double(state.range(1)) / 100.0;
  const int b = int(state.range(2));
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> w(std::size_t(l.rows) * std::size_t(l.row_len));
  for (auto& v : w) v = std::int8_t(d(gen) | 1);  // no accidental zeros
  const int bpr = (l.row_len + b - 1) / b;
  std::vector<int> ids(std::size_t(l.rows * bpr));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i);
  std::shuffle(ids.begin(), ids.end(), gen);
  const auto pruned = tinynas::cost::pruned_blocks(std::int64_t(ids.size()), rho);
  for (std::int64_t i = 0; i < pruned; ++i) {
    const int r = ids[std::size_t(i)] / bpr, blk = ids[std::size_t(i)] % bpr;
    for (int j = blk * b; j < std::min(l.row_len, (blk + 1) * b); ++j)
      w[std::size_t(r * l.row_len + j)] = 0;
  }
  std::size_t coded = 0;
  for (auto _ : state) {
    const auto bytes = tinynas::cost::rle_encode(w.data(), l.rows, l.row_len, b);
    coded = bytes.size();
    benchmark::DoNotOptimize(bytes.data());
  }
  const double dense = double(w.size()), ratio = dense / double(coded);
  const double eta = 1.0 / ((1.0 - rho) * (1.0 + 1.0 / b));
  state.counters["dense_B"] = dense;
  state.counters["coded_B"] = double(coded);
  state.counters["ratio"] = ratio;
  state.counters["eta"] = eta;
  state.counters["dev_pct"] = 100.0 * (ratio / eta - 1.0);
  state.SetLabel(std::string(l.name) + " rho " + std::to_string(state.range(1)) + "% b" +
                 std::to_string(b) + (l.row_len % b ? " (short blocks)" : ""));
}

}  // namespace

BENCHMARK(BM_FlashRatio)
    ->ArgsProduct({{0, 1, 2, 3}, {50, 75, 90}, {2, 3, 4}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
