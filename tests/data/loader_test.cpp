#include "tinynas/data/loader.h"

#include <gtest/gtest.h>

#include <set>

#include "data/synthetic.h"

using namespace tinynas;

namespace {

data::LoaderOptions train_options(int workers) {
  data::LoaderOptions o;
  o.batch_size = 16;
  o.workers = workers;
  o.prefetch = 3;
  o.seed = 9;
  o.transform.augment = true;
  o.transform.crop_padding = 2;
  o.transform.hflip = true;
  o.transform.mean = {0.5f};
  o.transform.std = {0.25f};
  return o;
}

std::vector<data::Batch> epoch(data::BatchLoader& l, std::int64_t e, std::int64_t first = 0) {
  l.start_epoch(e, first);
  std::vector<data::Batch> out;
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}

void expect_same(const std::vector<data::Batch>& a, const std::vector<data::Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].labels, b[i].labels);
    EXPECT_EQ(a[i].sample_indices, b[i].sample_indices);
    EXPECT_EQ(a[i].images, b[i].images) << "batch " << i;
  }
}

}  // namespace

TEST(BatchLoader, SameSeedSameBatchesForAnyWorkerCount) {
  auto set = tinynas::testing::random_images(100, 8, 8, 1);
  data::BatchLoader l0(set, train_options(0)), l1(set, train_options(1)), l3(set, train_options(3));
  auto a = epoch(l0, 2), b = epoch(l1, 2), c = epoch(l3, 2);
  ASSERT_EQ(a.size(), 7u);  // ceil(100 / 16)
  EXPECT_EQ(a.back().n, 4);
  expect_same(a, b);
  expect_same(a, c);
}

TEST(BatchLoader, EpochsDifferAndOtherSeedDiffers) {
  auto set = tinynas::testing::random_images(64, 8, 8, 1);
  data::BatchLoader l(set, train_options(2));
  auto e0 = epoch(l, 0), e1 = epoch(l, 1);
  EXPECT_NE(e0[0].sample_indices, e1[0].sample_indices);
  auto o = train_options(2);
  o.seed = 10;
  data::BatchLoader other(set, o);
  EXPECT_NE(epoch(other, 0)[0].images, e0[0].images);
}

TEST(BatchLoader, ResumeMidEpochGivesTheRemainingBatches) {
  auto set = tinynas::testing::random_images(100, 6, 6, 3);
  auto o = train_options(2);
  o.transform.mean = {0.5f, 0.5f, 0.5f};
  o.transform.std = {0.2f, 0.2f, 0.2f};
  data::BatchLoader l(set, o);
  auto full = epoch(l, 4);
  auto tail = epoch(l, 4, 3);
  ASSERT_EQ(tail.size(), full.size() - 3);
  expect_same(std::vector<data::Batch>(full.begin() + 3, full.end()), tail);
}

TEST(BatchLoader, EveryImageOncePerEpochAndLabelsMatch) {
  auto set = tinynas::testing::random_images(50, 4, 4, 1, 7);
  data::BatchLoader l(set, train_options(2));
  std::multiset<std::size_t> seen;
  for (auto& b : epoch(l, 0))
    for (int i = 0; i < b.n; ++i) {
      seen.insert(b.sample_indices[static_cast<std::size_t>(i)]);
      EXPECT_EQ(b.labels[static_cast<std::size_t>(i)],
                set.labels[b.sample_indices[static_cast<std::size_t>(i)]]);
    }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), 50u);
}

TEST(BatchLoader, TwoRanksPartitionTheData) {
  auto set = tinynas::testing::random_images(96, 4, 4, 1);
  std::set<std::size_t> all;
  for (int rank = 0; rank < 2; ++rank) {
    auto o = train_options(1);
    o.rank = rank;
    o.world_size = 2;
    data::BatchLoader l(set, o);
    EXPECT_EQ(l.samples_per_epoch(), 48u);
    for (auto& b : epoch(l, 1))
      for (auto i : b.sample_indices) EXPECT_TRUE(all.insert(i).second) << "seen twice: " << i;
  }
  EXPECT_EQ(all.size(), 96u);
}

TEST(BatchLoader, DropLastDropsShortBatch) {
  auto set = tinynas::testing::random_images(40, 4, 4, 1);
  auto o = train_options(0);
  o.drop_last = true;
  data::BatchLoader l(set, o);
  EXPECT_EQ(l.batches_per_epoch(), 2);
  auto batches = epoch(l, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].n, 16);
}

TEST(BatchLoader, AbandoningAnEpochMidwayIsSafe) {
  auto set = tinynas::testing::random_images(200, 4, 4, 1);
  data::BatchLoader l(set, train_options(3));
  l.start_epoch(0);
  ASSERT_TRUE(l.next().has_value());
  l.start_epoch(1);  // workers of epoch 0 must stop cleanly
  ASSERT_TRUE(l.next().has_value());
}  // destructor joins while workers may be waiting on the prefetch bound
