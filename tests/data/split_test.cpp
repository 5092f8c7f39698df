#include "tinynas/data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/synthetic.h"

using namespace tinynas;

TEST(StratifiedSplit, DisjointCoversAllAndStratified) {
  auto set = tinynas::testing::random_images(1000, 2, 2, 1, 10);
  auto s = data::stratified_split(set, 0.1, 7);
  EXPECT_EQ(s.val.size(), 100u);
  EXPECT_EQ(s.train.size(), 900u);
  std::set<std::size_t> all(s.train.begin(), s.train.end());
  for (auto i : s.val) EXPECT_TRUE(all.insert(i).second) << "index in both splits: " << i;
  EXPECT_EQ(all.size(), 1000u);
  std::vector<int> per_class(10, 0);
  for (auto i : s.val) per_class[static_cast<std::size_t>(set.labels[i])]++;
  for (int c : per_class) EXPECT_EQ(c, 10);
}

TEST(StratifiedSplit, DeterministicForSeedAndDiffersAcrossSeeds) {
  auto set = tinynas::testing::random_images(500, 2, 2, 1, 5);
  auto a = data::stratified_split(set, 0.2, 3);
  auto b = data::stratified_split(set, 0.2, 3);
  auto c = data::stratified_split(set, 0.2, 4);
  EXPECT_EQ(a.val, b.val);
  EXPECT_NE(a.val, c.val);
}

TEST(StratifiedSplit, ZeroFractionKeepsEverythingForTraining) {
  auto set = tinynas::testing::random_images(50, 2, 2, 1, 5);
  auto s = data::stratified_split(set, 0.0, 0);
  EXPECT_TRUE(s.val.empty());
  EXPECT_EQ(s.train.size(), 50u);
}

TEST(SeededSubset, SizeSortedDeterministic) {
  auto a = data::seeded_subset(100, 10, 1);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(a, data::seeded_subset(100, 10, 1));
  EXPECT_NE(a, data::seeded_subset(100, 10, 2));
  EXPECT_EQ(data::seeded_subset(5, 0, 1).size(), 5u);
  EXPECT_EQ(data::seeded_subset(5, 9, 1).size(), 5u);
}
