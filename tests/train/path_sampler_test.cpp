// SPOS path sampling: a pure function of (seed, step); strict fairness visits each
// block's candidates equally.
#include <gtest/gtest.h>

#include <map>

#include "tinynas/core/error.h"
#include "train/train_fixtures.h"
#include "tinynas/train/path_sampler.h"

using namespace tinynas;

TEST(PathSampler, SameSeedAndStepGiveTheSamePathOnAnyRank) {
  const auto layout = tinynas::testing::default_layout(tinynas::testing::tinyformer_space());
  const train::PathSampler a(layout, train::Sampling::Uniform, 7), b(layout, train::Sampling::Uniform, 7);
  const train::PathSampler other(layout, train::Sampling::Uniform, 8);
  int differ = 0;
  for (std::int64_t t = 0; t < 50; ++t) {
    EXPECT_EQ(a.at(t), b.at(t));
    space::check_arch(a.at(t), layout);
    differ += a.at(t) != other.at(t);
  }
  EXPECT_GT(differ, 40);
  // No hidden state: a sampler asked for step 10^6 first agrees with one that has
  // already drawn 50 other steps.
  const train::PathSampler fresh(layout, train::Sampling::Uniform, 7);
  EXPECT_EQ(fresh.at(1000000), a.at(1000000));
  EXPECT_EQ(fresh.at(3), a.at(3));
}

TEST(PathSampler, UniformVisitsEveryCandidate) {
  const auto layout = tinynas::testing::default_layout(tinynas::testing::tinyformer_space());
  const train::PathSampler s(layout, train::Sampling::Uniform, 1);
  std::map<std::pair<int, int>, int> count;
  const int steps = 3000;
  for (int t = 0; t < steps; ++t) {
    const auto arch = s.at(t);
    for (int f = 0; f < layout.num_choice_blocks(); ++f) ++count[{f, arch.at(f)}];
  }
  for (int f = 0; f < layout.num_choice_blocks(); ++f) {
    const int n = int(layout.block(f).candidates.size());
    for (int c = 0; c < n; ++c) {
      const int seen = count[std::make_pair(f, c)];
      EXPECT_NEAR(seen, steps / n, 0.15 * steps / n) << "block " << f << " cand " << c;
    }
  }
}

TEST(PathSampler, FairVisitsEachCandidateOncePerWindow) {
  const auto layout = tinynas::testing::default_layout(tinynas::testing::tinyformer_space());
  const train::PathSampler s(layout, train::Sampling::Fair, 5);
  for (int f = 0; f < layout.num_choice_blocks(); ++f) {
    const int n = int(layout.block(f).candidates.size());
    for (int window = 0; window < 20; ++window) {
      std::vector<int> seen(static_cast<std::size_t>(n), 0);
      for (int t = window * n; t < (window + 1) * n; ++t) ++seen[std::size_t(s.at(t).at(f))];
      for (int c = 0; c < n; ++c) EXPECT_EQ(seen[std::size_t(c)], 1) << f << "/" << window;
    }
  }
  EXPECT_THROW(train::parse_sampling("fiar"), core::Error);
}
