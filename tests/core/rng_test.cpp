#include "tinynas/core/rng.h"

#include <gtest/gtest.h>

#include <vector>

using tinynas::core::Rng;

TEST(Rng, KnownSequenceIsStableAcrossPlatforms) {
  // Pinned output: a change here silently changes every split, order and augmentation.
  Rng r(0);
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(r.next_u64());
  Rng again(0);
  for (auto g : got) EXPECT_EQ(g, again.next_u64());
  EXPECT_EQ(got[0], 0x99EC5F36CB75F2B4ULL);
}

TEST(Rng, UniformIntInRangeAndCoversIt) {
  Rng r(5);
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 7000; ++i) {
    auto v = r.uniform_int(7);
    ASSERT_LT(v, 7u);
    hist[v]++;
  }
  for (int h : hist) EXPECT_GT(h, 800);
}

TEST(Rng, StateRoundTrips) {
  Rng a(11);
  a.next_u64();
  auto s = a.state();
  auto x = a.next_u64();
  Rng b;
  b.set_state(s);
  EXPECT_EQ(b.next_u64(), x);
}

TEST(Rng, DerivedSeedsDiffer) {
  using tinynas::core::derive_seed;
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(1, 3, 2));
  EXPECT_NE(derive_seed(1, 2), derive_seed(2, 2));
  EXPECT_EQ(derive_seed(1, 2, 3), derive_seed(1, 2, 3));
}

TEST(Rng, ShuffleIsAPermutation) {
  Rng r(3);
  std::vector<int> v(100);
  for (int i = 0; i < 100; ++i) v[static_cast<std::size_t>(i)] = i;
  r.shuffle(v);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_NE(v, sorted);
}
