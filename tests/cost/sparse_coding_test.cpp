#include "tinynas/cost/sparse_coding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "support/error_of.h"
#include "tinynas/core/error.h"

using namespace tinynas;
using cost::rle_decode;
using cost::rle_encode;
using Bytes = std::vector<std::uint8_t>;
using Weights = std::vector<std::int8_t>;

namespace {

Bytes encode(const Weights& w, std::int64_t rows, std::int64_t row_len, int block) {
  return rle_encode(w.data(), rows, row_len, block);
}

Weights decode(const Bytes& b, std::int64_t rows, std::int64_t row_len, int block) {
  return rle_decode(b.data(), b.size(), rows, row_len, block);
}

std::int64_t exact_size(const Weights& w, std::int64_t rows, std::int64_t row_len, int block) {
  return cost::rle_size(cost::block_nonzero_mask(w.data(), rows, row_len, block), block);
}

// One row of `n_blocks` blocks of `block` weights: block i holds values (i % 100 + 1, ...)
// where mask[i], zeros elsewhere.
Weights row_from_mask(const std::vector<bool>& mask, int block) {
  Weights w(mask.size() * size_t(block), 0);
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i])
      for (int j = 0; j < block; ++j)
        w[i * size_t(block) + size_t(j)] = std::int8_t(i % 100 + 1 + j);
  return w;
}

}  // namespace

TEST(SparseCoding, BlockCountAndPrunedBlocks) {
  EXPECT_EQ(cost::block_count(4, 4, 2), 8);
  EXPECT_EQ(cost::block_count(12, 3, 2), 24);  // short last block per row
  EXPECT_EQ(cost::block_count(12, 3, 3), 12);
  EXPECT_EQ(cost::block_count(0, 5, 4), 0);
  EXPECT_THROW(cost::block_count(1, 4, 0), core::Error);
  EXPECT_THROW(cost::block_count(-1, 4, 2), core::Error);

  EXPECT_EQ(cost::pruned_blocks(10, 0.25), 3);  // 2.5 rounds half up
  EXPECT_EQ(cost::pruned_blocks(10, 0.24), 2);
  EXPECT_EQ(cost::pruned_blocks(10, 0.3), 3);  // 3.0000000000000004
  EXPECT_EQ(cost::pruned_blocks(7, 0.5), 4);   // 3.5 -> 4
  EXPECT_EQ(cost::pruned_blocks(24, 0.5), 12);
  EXPECT_EQ(cost::pruned_blocks(8, 0.0), 0);
  EXPECT_EQ(cost::pruned_blocks(8, 1.0), 8);
  EXPECT_EQ(cost::pruned_blocks(0, 0.7), 0);
  EXPECT_THROW(cost::pruned_blocks(8, -0.1), core::Error);
  EXPECT_THROW(cost::pruned_blocks(8, 1.5), core::Error);
  EXPECT_THROW(cost::pruned_blocks(8, std::nan("")), core::Error);
}

TEST(SparseCoding, EncodeHandWrittenExamples) {
  // One row of 8, block 2: [0 0 | 1 2 | 0 0 | 0 0]: one leading zero block, trailing free.
  EXPECT_EQ(encode({0, 0, 1, 2, 0, 0, 0, 0}, 1, 8, 2), (Bytes{1, 0, 0, 0, 1, 1, 2}));

  // Two rows of 5, block 2 (short last block per row):
  // row 0 [0 0 | 3 0 | -1], row 1 all zero -> blocks z nz nz | z z z.
  EXPECT_EQ(encode({0, 0, 3, 0, -1, 0, 0, 0, 0, 0}, 2, 5, 2),
            (Bytes{2, 0, 0, 0, /*d*/ 1, 3, 0, /*d*/ 0, 0xFF, /*pad*/ 0}));

  // Block 3, one row of 6: [0 0 0 | 4 5 6].
  EXPECT_EQ(encode({0, 0, 0, 4, 5, 6}, 1, 6, 3), (Bytes{1, 0, 0, 0, 1, 4, 5, 6}));

  // Block 4, two rows of 6: row 0 [1 0 0 0 | 0 0], row 1 [0 0 0 0 | 0 7]:
  // blocks nz z | z nz(short, padded with two zeros).
  EXPECT_EQ(encode({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}, 2, 6, 4),
            (Bytes{2, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 7, 0, 0}));

  // All zero, and an empty tensor: the count alone.
  EXPECT_EQ(encode(Weights(12, 0), 3, 4, 2), (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(encode({}, 0, 4, 2), (Bytes{0, 0, 0, 0}));

  // A dense tensor: every block stored with d = 0.
  EXPECT_EQ(encode({1, 2, 3, 4}, 1, 4, 2), (Bytes{2, 0, 0, 0, 0, 1, 2, 0, 3, 4}));
}

TEST(SparseCoding, EncodeLongGapsUseFillers) {
  // Block 1: a run of exactly 255 zero blocks fits one d.
  {
    Weights w(256, 0);
    w[255] = 9;
    EXPECT_EQ(encode(w, 1, 256, 1), (Bytes{1, 0, 0, 0, 255, 9}));
  }
  // 256 zero blocks: one filler (d=255 + a zero block = 256 blocks), then d = 0.
  {
    Weights w(257, 0);
    w[256] = 9;
    EXPECT_EQ(encode(w, 1, 257, 1), (Bytes{2, 0, 0, 0, 255, 0, 0, 9}));
  }
  // Block 2, 600 zero blocks before (5, -5): 600 = 2*256 + 88 -> two fillers, d = 88.
  {
    Weights w(601 * 2, 0);
    w[1200] = 5;
    w[1201] = -5;
    EXPECT_EQ(encode(w, 1, 1202, 2), (Bytes{3, 0, 0, 0, 255, 0, 0, 255, 0, 0, 88, 5, 0xFB}));
  }
  // Any run g: floor(g / 256) fillers and a final d of g % 256; decode restores it.
  for (int g : {0, 1, 254, 255, 256, 257, 511, 512, 513, 767, 768, 1000}) {
    std::vector<bool> mask(size_t(g) + 2, false);
    mask[size_t(g)] = true;
    mask[size_t(g) + 1] = true;  // a second block right after: d = 0
    const Weights w = row_from_mask(mask, 2);
    const Bytes b = encode(w, 1, std::int64_t(w.size()), 2);
    const int fillers = g / 256;
    ASSERT_EQ(b.size(), size_t(4 + (fillers + 2) * 3)) << "gap " << g;
    EXPECT_EQ(b[0], fillers + 2) << "gap " << g;
    for (int f = 0; f < fillers; ++f) EXPECT_EQ(b[size_t(4 + 3 * f)], 255) << "gap " << g;
    EXPECT_EQ(b[size_t(4 + 3 * fillers)], g % 256) << "gap " << g;
    EXPECT_EQ(b[size_t(4 + 3 * (fillers + 1))], 0) << "gap " << g;
    EXPECT_EQ(decode(b, 1, std::int64_t(w.size()), 2), w) << "gap " << g;
    EXPECT_EQ(exact_size(w, 1, std::int64_t(w.size()), 2), std::int64_t(b.size()));
  }
}

TEST(SparseCoding, RoundTripAndSizeOnRandomMasks) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 400; ++trial) {
    const int block = 1 + int(rng() % 5);
    const std::int64_t rows = 1 + rng() % 12;
    const std::int64_t row_len = 1 + rng() % 40;
    // Density from dense to very sparse (long runs, fillers).
    const double keep = trial % 4 == 0 ? 0.002 : std::uniform_real_distribution<double>(0, 1)(rng);
    const std::int64_t per_row = (row_len + block - 1) / block;
    Weights w(size_t(rows * row_len), 0);
    for (std::int64_t i = 0; i < rows * per_row; ++i) {
      if (std::uniform_real_distribution<double>(0, 1)(rng) >= keep) continue;
      const std::int64_t r = i / per_row, col = (i % per_row) * block;
      for (std::int64_t j = col; j < std::min<std::int64_t>(col + block, row_len); ++j)
        w[size_t(r * row_len + j)] = std::int8_t(int(rng() % 256) - 128);  // zeros possible
    }
    const Bytes b = encode(w, rows, row_len, block);
    ASSERT_EQ(decode(b, rows, row_len, block), w) << "trial " << trial;
    EXPECT_EQ(exact_size(w, rows, row_len, block), std::int64_t(b.size())) << "trial " << trial;
  }
  // Long, very sparse rows.
  for (int trial = 0; trial < 20; ++trial) {
    const std::int64_t row_len = 20000;
    Weights w(size_t(row_len), 0);
    for (int k = 0; k < 5; ++k) w[rng() % size_t(row_len)] = 1;
    const Bytes b = encode(w, 1, row_len, 2);
    ASSERT_EQ(decode(b, 1, row_len, 2), w);
    EXPECT_EQ(exact_size(w, 1, row_len, 2), std::int64_t(b.size()));
  }
}

TEST(SparseCoding, DecodeErrorsNameTheByteOffset) {
  using tinynas::testing::error_of;
  // The two-row example above: count 2, entries at offsets 4 and 7, padding byte at 9.
  const Bytes good{2, 0, 0, 0, 1, 3, 0, 0, 0xFF, 0};
  ASSERT_EQ(decode(good, 2, 5, 2), (Weights{0, 0, 3, 0, -1, 0, 0, 0, 0, 0}));

  EXPECT_NE(error_of([&] {
              decode(Bytes{2, 0, 0}, 2, 5, 2);
            }).find("byte offset 0: truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { rle_decode(nullptr, 0, 2, 5, 2); }).find("byte offset 0"),
            std::string::npos);

  Bytes cut(good.begin(), good.end() - 1);
  auto msg = error_of([&] { decode(cut, 2, 5, 2); });
  EXPECT_NE(msg.find("rle_decode: byte offset 7: truncated: entry 1 of 2"), std::string::npos)
      << msg;

  Bytes more = good;
  more[0] = 3;  // claims a third entry
  msg = error_of([&] { decode(more, 2, 5, 2); });
  EXPECT_NE(msg.find("byte offset 10: truncated: entry 2 of 3"), std::string::npos) << msg;

  Bytes far = good;
  far[7] = 5;  // second entry skips to block 2 + 5 = 7 of 6
  msg = error_of([&] { decode(far, 2, 5, 2); });
  EXPECT_NE(msg.find("byte offset 7: skip 5 reaches block 7 but the tensor has 6 blocks"),
            std::string::npos)
      << msg;

  Bytes pad = good;
  pad[9] = 1;  // the short block's padding
  msg = error_of([&] { decode(pad, 2, 5, 2); });
  EXPECT_NE(msg.find("byte offset 9: non-zero padding"), std::string::npos) << msg;

  Bytes trailing = good;
  trailing.push_back(0);
  msg = error_of([&] { decode(trailing, 2, 5, 2); });
  EXPECT_NE(msg.find("byte offset 10: 1 unexpected bytes"), std::string::npos) << msg;

  // A huge count with no entries fails on the first missing entry, reading nothing beyond.
  msg = error_of([&] { decode(Bytes{0xFF, 0xFF, 0xFF, 0xFF}, 2, 5, 2); });
  EXPECT_NE(msg.find("byte offset 4: truncated"), std::string::npos) << msg;
}

TEST(SparseCoding, DecodeSurvivesCorruption) {
  // Random corruptions either decode or throw core::Error; never anything else.
  std::mt19937 rng(7);
  Weights w(64, 0);
  for (int i = 0; i < 64; i += 5) w[size_t(i)] = std::int8_t(i + 1);
  const Bytes good = encode(w, 4, 16, 4);
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes b = good;
    const int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits; ++e) b[rng() % b.size()] = std::uint8_t(rng());
    if (rng() % 3 == 0) b.resize(rng() % (b.size() + 1));
    try {
      const Weights out = decode(b, 4, 16, 4);
      EXPECT_EQ(out.size(), w.size());
    } catch (const core::Error&) {
    }
  }
}

TEST(SparseCoding, EstimateMatchesExactOnEvenlySpreadMasks) {
  // Masks laid out as the estimate assumes: k non-zero blocks, each after a run of zero
  // blocks, the first r runs one longer, nothing trailing.
  for (auto [n, z] : std::vector<std::pair<int, int>>{{1, 0},
                                                      {10, 0},
                                                      {10, 5},
                                                      {10, 9},
                                                      {10, 10},
                                                      {100, 37},
                                                      {1000, 990},
                                                      {3000, 2990},
                                                      {5000, 4999},
                                                      {2570, 2560},
                                                      {2571, 2560},
                                                      {600, 599}}) {
    const int k = n - z;
    std::vector<bool> mask;
    if (k > 0) {
      const int q = z / k, r = z % k;
      for (int i = 0; i < k; ++i) {
        mask.insert(mask.end(), size_t(q + (i < r ? 1 : 0)), false);
        mask.push_back(true);
      }
    } else {
      mask.assign(size_t(n), false);
    }
    ASSERT_EQ(mask.size(), size_t(n));
    for (int block : {1, 2, 4}) {
      const Weights w = row_from_mask(mask, block);
      const auto row_len = std::int64_t(w.size());
      EXPECT_EQ(cost::rle_size_estimate(n, z, block),
                std::int64_t(encode(w, 1, row_len, block).size()))
          << "n " << n << " z " << z << " b " << block;
    }
  }
  // Hand values: 10 blocks, 5 zero, block 2 -> 4 + 5 * 3; 600 blocks, 599 zero -> 2 fillers.
  EXPECT_EQ(cost::rle_size_estimate(10, 5, 2), 19);
  EXPECT_EQ(cost::rle_size_estimate(600, 599, 2), 4 + 3 * 3);
  EXPECT_EQ(cost::rle_size_estimate(8, 8, 2), 4);
  EXPECT_THROW(cost::rle_size_estimate(8, 9, 2), core::Error);
  EXPECT_THROW(cost::rle_size_estimate(8, 4, 0), core::Error);

  // Any arrangement with the same counts stays within the documented bound.
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 2000, z = 1990 - trial;
    std::vector<bool> mask(size_t(n), false);
    std::vector<int> idx(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) idx[size_t(i)] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    for (int i = 0; i < n - z; ++i) mask[size_t(idx[size_t(i)])] = true;
    const Weights w = row_from_mask(mask, 2);
    EXPECT_LE(exact_size(w, 1, std::int64_t(w.size()), 2), 4 + (n - z + z / 256) * 3);
  }
}

TEST(SparseCoding, PaperEquation2CompressionRatio) {
  // eta = dense / sparse = 1 / ((1 - rho) (1 + 1/b)) for large randomly pruned tensors.
  std::mt19937 rng(11);
  const std::int64_t rows = 128, row_len = 1024;
  for (int block : {2, 4}) {
    for (double rho : {0.3, 0.5, 0.7, 0.9}) {
      const std::int64_t n = cost::block_count(rows, row_len, block);
      const std::int64_t z = cost::pruned_blocks(n, rho);
      std::vector<std::uint8_t> mask(size_t(n), 1);
      std::vector<std::int64_t> idx(static_cast<size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) idx[size_t(i)] = i;
      std::shuffle(idx.begin(), idx.end(), rng);
      for (std::int64_t i = 0; i < z; ++i) mask[size_t(idx[size_t(i)])] = 0;
      const double eta = double(rows * row_len) / double(cost::rle_size(mask, block));
      const double paper = 1.0 / ((1.0 - rho) * (1.0 + 1.0 / block));
      EXPECT_NEAR(eta / paper, 1.0, 0.002) << "rho " << rho << " b " << block;
    }
  }
}

TEST(SparseCoding, StorageChoice) {
  using cost::Storage;
  using cost::StoragePolicy;
  EXPECT_EQ(cost::choose_storage(32, 28), Storage::sparse);
  EXPECT_EQ(cost::choose_storage(16, 16), Storage::dense);  // a tie stays dense
  EXPECT_EQ(cost::choose_storage(36, 40), Storage::dense);
  EXPECT_EQ(cost::choose_storage(32, 28, StoragePolicy::dense), Storage::dense);
  EXPECT_EQ(cost::choose_storage(36, 40, StoragePolicy::sparse), Storage::sparse);
  EXPECT_EQ(cost::parse_storage_policy("auto"), StoragePolicy::automatic);
  EXPECT_EQ(cost::parse_storage_policy("dense"), StoragePolicy::dense);
  EXPECT_EQ(cost::parse_storage_policy("sparse"), StoragePolicy::sparse);
  EXPECT_EQ(cost::parse_storage_policy("fast"), StoragePolicy::fastest);
  EXPECT_STREQ(cost::to_string(StoragePolicy::automatic), "auto");
  EXPECT_STREQ(cost::to_string(StoragePolicy::fastest), "fast");
  EXPECT_STREQ(cost::to_string(Storage::sparse), "sparse");
  EXPECT_EQ(tinynas::testing::error_of([] { cost::parse_storage_policy("rle"); }),
            "weight storage 'rle' is not one of: fast, auto, dense, sparse");
}
