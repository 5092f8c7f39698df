// Agreement statistics (core/stats.h).
#include "tinynas/core/stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tinynas/core/error.h"
#include "tinynas/core/rng.h"

namespace tinynas::core {
namespace {

// Kendall's tau-b written out from its definition: n0 = n(n-1)/2, n1 / n2 = pairs tied in
// a / b (tied in both counted in each), tau_b = (nc - nd) / sqrt((n0 - n1)(n0 - n2)).
double tau_b_by_definition(const std::vector<double>& a, const std::vector<double>& b) {
  double nc = 0, nd = 0, n1 = 0, n2 = 0, n0 = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      ++n0;
      const double s = (a[i] - a[j]) * (b[i] - b[j]);
      if (a[i] == a[j]) ++n1;
      if (b[i] == b[j]) ++n2;
      if (s > 0) ++nc;
      if (s < 0) ++nd;
    }
  return (nc - nd) / std::sqrt((n0 - n1) * (n0 - n2));
}

TEST(Stats, KendallTauBMatchesBruteForceWithTies) {
  Rng rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> a, b;
    for (int i = 0; i < 40; ++i) {
      a.push_back(double(rng.uniform_int(6)));  // few values: many ties
      b.push_back(0.5 * a.back() + double(rng.uniform_int(4)));
    }
    EXPECT_NEAR(kendall_tau(a, b), tau_b_by_definition(a, b), 1e-12) << "trial " << trial;
  }
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_DOUBLE_EQ(kendall_tau({1, 1, 1}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(kendall_tau({}, {}), 0.0);
  EXPECT_THROW(kendall_tau({1, 2}, {1}), Error);
}

TEST(Stats, MeanAbsErrorAndMedian) {
  EXPECT_DOUBLE_EQ(mean_abs_error({1, 2, 3}, {2, 2, 1}), 1.0);
  EXPECT_DOUBLE_EQ(mean_abs_error({}, {}), 0.0);
  EXPECT_THROW(mean_abs_error({1}, {}), Error);
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0.0);
}

}  // namespace
}  // namespace tinynas::core
