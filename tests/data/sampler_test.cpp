#include "tinynas/data/sampler.h"

#include <gtest/gtest.h>

#include <set>

#include "tinynas/core/error.h"

using namespace tinynas;
using data::DistributedSampler;
using data::DistributedSamplerOptions;

namespace {
DistributedSamplerOptions opts(std::size_t n, int rank, int world) {
  DistributedSamplerOptions o;
  o.dataset_size = n;
  o.rank = rank;
  o.world_size = world;
  o.seed = 42;
  return o;
}
}  // namespace

TEST(DistributedSampler, TwoRanksSeeDisjointHalves) {
  DistributedSampler r0(opts(1000, 0, 2)), r1(opts(1000, 1, 2));
  for (std::int64_t epoch : {0, 1, 5}) {
    auto a = r0.indices(epoch), b = r1.indices(epoch);
    EXPECT_EQ(a.size(), 500u);
    EXPECT_EQ(b.size(), 500u);
    std::set<std::size_t> all(a.begin(), a.end());
    for (auto i : b) EXPECT_TRUE(all.insert(i).second) << "epoch " << epoch << " index " << i;
    EXPECT_EQ(all.size(), 1000u);
  }
}

TEST(DistributedSampler, ShuffleDependsOnEpochNotRank) {
  DistributedSampler r0(opts(100, 0, 1));
  EXPECT_EQ(r0.indices(3), r0.indices(3));
  EXPECT_NE(r0.indices(3), r0.indices(4));
  auto o = opts(10, 0, 1);
  o.shuffle = false;
  auto seq = DistributedSampler(o).indices(9);
  for (std::size_t i = 0; i < seq.size(); ++i) EXPECT_EQ(seq[i], i);
}

TEST(DistributedSampler, PadsLikeTorch) {
  // torch: n=5, world=2 -> num_samples 3, total 6, the first index is repeated.
  auto o0 = opts(5, 0, 2), o1 = opts(5, 1, 2);
  o0.shuffle = o1.shuffle = false;
  EXPECT_EQ(DistributedSampler(o0).indices(0), (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(DistributedSampler(o1).indices(0), (std::vector<std::size_t>{1, 3, 0}));
}

TEST(DistributedSampler, DropLastTruncatesLikeTorch) {
  auto o = opts(5, 1, 2);
  o.shuffle = false;
  o.drop_last = true;
  DistributedSampler s(o);
  EXPECT_EQ(s.num_samples(), 2u);
  EXPECT_EQ(s.indices(0), (std::vector<std::size_t>{1, 3}));
}

TEST(DistributedSampler, UnpaddedShardsAreExactPartition) {
  std::set<std::size_t> all;
  std::size_t total = 0;
  for (int r = 0; r < 3; ++r) {
    auto o = opts(10, r, 3);
    o.pad = false;
    DistributedSampler s(o);
    auto idx = s.indices(2);
    EXPECT_EQ(idx.size(), s.num_samples());
    total += idx.size();
    all.insert(idx.begin(), idx.end());
  }
  EXPECT_EQ(total, 10u);
  EXPECT_EQ(all.size(), 10u);
}

TEST(DistributedSampler, RejectsBadRank) {
  EXPECT_THROW(DistributedSampler(opts(10, 2, 2)), core::Error);
  EXPECT_THROW(DistributedSampler(opts(10, 0, 0)), core::Error);
}
