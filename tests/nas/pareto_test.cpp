// Pareto machinery (nas/pareto.h) against brute-force definitions.
#include "tinynas/nas/pareto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "tinynas/core/error.h"
#include "tinynas/core/rng.h"

namespace tinynas::nas {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strict = false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    strict = strict || a[k] < b[k];
  }
  return strict;
}

// Peels the non-dominated points off the remaining set, O(n^2) per front.
std::vector<std::vector<std::size_t>> brute_fronts(const Points& p) {
  std::vector<std::vector<std::size_t>> fronts;
  std::vector<bool> done(p.size(), false);
  std::size_t left = p.size();
  while (left > 0) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (done[i]) continue;
      bool dominated = false;
      for (std::size_t j = 0; j < p.size() && !dominated; ++j)
        dominated = !done[j] && dominates(p[j], p[i]);
      if (!dominated) front.push_back(i);
    }
    for (auto i : front) done[i] = true;
    left -= front.size();
    fronts.push_back(front);
  }
  return fronts;
}

// Integer coordinates in [0, range): many ties and duplicates.
Points random_points(core::Rng& rng, std::size_t n, std::size_t m, int range) {
  Points p(n, std::vector<double>(m));
  for (auto& x : p)
    for (auto& v : x) v = double(rng.uniform_int(std::uint64_t(range)));
  return p;
}

// Counts the unit cells of the grid [0, ref) that some point weakly dominates (the point
// is <= the cell's lower corner): exact for integer coordinates.
double grid_hypervolume(const Points& p, const std::vector<int>& ref) {
  const std::size_t m = ref.size();
  std::vector<int> cell(m, 0);
  double volume = 0;
  while (true) {
    for (const auto& x : p) {
      bool covers = true;
      for (std::size_t k = 0; k < m && covers; ++k) covers = x[k] <= cell[k];
      if (covers) {
        volume += 1;
        break;
      }
    }
    std::size_t k = 0;
    while (k < m && ++cell[k] == ref[k]) cell[k++] = 0;
    if (k == m) break;
  }
  return volume;
}

// Exact 2-D sweep: sort by x, add the strip each new best y adds.
double sweep_hypervolume_2d(Points p, const std::vector<double>& ref) {
  p.erase(std::remove_if(p.begin(), p.end(),
                         [&](const auto& x) { return !(x[0] < ref[0] && x[1] < ref[1]); }),
          p.end());
  std::sort(p.begin(), p.end());
  double volume = 0, best_y = ref[1];
  for (const auto& x : p) {
    if (x[1] < best_y) {
      volume += (ref[0] - x[0]) * (best_y - x[1]);
      best_y = x[1];
    }
  }
  return volume;
}

TEST(NondominatedFronts, MatchBruteForceOnRandomSetsWithTies) {
  core::Rng rng(1);
  for (std::size_t m : {2, 3, 4}) {
    for (int trial = 0; trial < 60; ++trial) {
      const std::size_t n = 1 + rng.uniform_int(40);
      const int range = trial % 2 ? 4 : 50;  // coarse: many duplicates
      const auto p = random_points(rng, n, m, range);
      const auto fronts = nondominated_fronts(p);
      ASSERT_EQ(fronts, brute_fronts(p)) << "m=" << m << " n=" << n;
      const auto ranks = front_ranks(p);
      for (std::size_t r = 0; r < fronts.size(); ++r)
        for (auto i : fronts[r]) EXPECT_EQ(ranks[i], r);
    }
  }
}

TEST(NondominatedFronts, EdgeCases) {
  EXPECT_TRUE(nondominated_fronts({}).empty());
  EXPECT_EQ(nondominated_fronts({{1, 2}}), (std::vector<std::vector<std::size_t>>{{0}}));
  // Duplicates share a front.
  EXPECT_EQ(nondominated_fronts({{1, 1}, {1, 1}, {2, 2}}),
            (std::vector<std::vector<std::size_t>>{{0, 1}, {2}}));
  EXPECT_EQ(nondominated_fronts({{3, 3}, {1, 1}}),
            (std::vector<std::vector<std::size_t>>{{1}, {0}}));
}

TEST(NondominatedFronts, RejectsBadPoints) {
  EXPECT_THROW(nondominated_fronts({{1}}), core::Error);
  EXPECT_THROW(nondominated_fronts({{1}, {2}}), core::Error);
  EXPECT_THROW(nondominated_fronts({{1, 2}, {1, 2, 3}}), core::Error);
  EXPECT_THROW(nondominated_fronts({{1, std::nan("")}, {1, 2}}), core::Error);
  EXPECT_THROW(hypervolume({{1, 2}, {1, 2, 3}}, {5, 5}), core::Error);
  EXPECT_THROW(hypervolume({{1, 2}}, {5, 5, 5}), core::Error);
  EXPECT_THROW(select_best({{1}, {2}}, 1), core::Error);
  EXPECT_THROW(crowding_distances({{1}, {2}}, {0, 1}), core::Error);
}

TEST(ParetoFront, FirstFrontSortedByFirstObjective) {
  const Points p = {{3, 1}, {1, 3}, {2, 2}, {3, 3}, {1, 3}, {2, 5}};
  EXPECT_EQ(pareto_front(p), (std::vector<std::size_t>{1, 4, 2, 0}));
  EXPECT_TRUE(pareto_front({}).empty());
  EXPECT_EQ(pareto_front({{4, 4}}), (std::vector<std::size_t>{0}));
}

TEST(Crowding, EdgeCases) {
  const Points p = {{0, 4}, {1, 3}, {3, 1}, {4, 0}, {2, 2}};
  EXPECT_TRUE(crowding_distances(p, {}).empty());
  EXPECT_EQ(crowding_distances(p, {2}), (std::vector<double>{kInf}));
  EXPECT_EQ(crowding_distances(p, {2, 0}), (std::vector<double>{kInf, kInf}));
  // On the line x + y = 4: the interior points' neighbour gaps over the range 4, summed
  // over both objectives.
  const auto d = crowding_distances(p, {0, 1, 2, 3, 4});
  EXPECT_EQ(d[0], kInf);
  EXPECT_EQ(d[3], kInf);
  EXPECT_DOUBLE_EQ(d[1], 2 * (2.0 / 4));
  EXPECT_DOUBLE_EQ(d[2], 2 * (2.0 / 4));
  EXPECT_DOUBLE_EQ(d[4], 2 * (2.0 / 4));
  // A front equal on one objective: that objective adds 0, never NaN.
  const Points flat = {{1, 0, 5}, {1, 1, 4}, {1, 2, 3}, {1, 4, 1}};
  const auto f = crowding_distances(flat, {0, 1, 2, 3});
  for (double v : f) EXPECT_FALSE(std::isnan(v));
  EXPECT_EQ(f[0], kInf);
  EXPECT_EQ(f[3], kInf);
  EXPECT_DOUBLE_EQ(f[1], 2.0 / 4 + 2.0 / 4);
  // Duplicates: finite, and the same result every time.
  const Points dup = {{1, 3}, {2, 2}, {2, 2}, {3, 1}};
  const auto g = crowding_distances(dup, {0, 1, 2, 3});
  for (double v : g) EXPECT_FALSE(std::isnan(v));
  EXPECT_EQ(g, crowding_distances(dup, {0, 1, 2, 3}));
  EXPECT_THROW(crowding_distances(p, {0, 5}), core::Error);
}

TEST(Crowding, MatchesDefinitionOnDistinctValues) {
  core::Rng rng(2);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t n = 3 + rng.uniform_int(10), m = 2 + rng.uniform_int(3);
    Points p(n, std::vector<double>(m));
    for (auto& x : p)
      for (auto& v : x) v = rng.uniform01();
    std::vector<std::size_t> all(n);
    for (std::size_t i = 0; i < n; ++i) all[i] = i;
    const auto d = crowding_distances(p, all);
    for (std::size_t i = 0; i < n; ++i) {
      double want = 0;
      for (std::size_t k = 0; k < m; ++k) {
        double lo = kInf, hi = -kInf, below = -kInf, above = kInf;
        for (const auto& x : p) {
          lo = std::min(lo, x[k]);
          hi = std::max(hi, x[k]);
          if (x[k] < p[i][k]) below = std::max(below, x[k]);
          if (x[k] > p[i][k]) above = std::min(above, x[k]);
        }
        want += (p[i][k] == lo || p[i][k] == hi) ? kInf : (above - below) / (hi - lo);
      }
      if (std::isinf(want))
        EXPECT_EQ(d[i], kInf);
      else
        EXPECT_NEAR(d[i], want, 1e-12);
    }
  }
}

TEST(Hypervolume, TwoDimensionsMatchExactSweep) {
  core::Rng rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    const std::size_t n = 1 + rng.uniform_int(30);
    Points p(n, std::vector<double>(2));
    for (auto& x : p)
      for (auto& v : x) v = trial % 2 ? double(rng.uniform_int(6)) : rng.uniform01() * 10;
    const std::vector<double> ref = {8, 7};  // some points beyond it: clipped away
    EXPECT_NEAR(hypervolume(p, ref), sweep_hypervolume_2d(p, ref), 1e-9);
  }
}

TEST(Hypervolume, ThreeAndFourDimensionsMatchGridCount) {
  core::Rng rng(4);
  for (std::size_t m : {3, 4}) {
    const int range = m == 3 ? 7 : 5;
    for (int trial = 0; trial < 40; ++trial) {
      const std::size_t n = 1 + rng.uniform_int(12);
      const auto p = random_points(rng, n, m, range + 2);  // some beyond the reference
      const std::vector<int> ref(m, range);
      EXPECT_DOUBLE_EQ(hypervolume(p, std::vector<double>(ref.begin(), ref.end())),
                       grid_hypervolume(p, ref))
          << "m=" << m << " n=" << n;
    }
  }
}

TEST(Hypervolume, ClipsPointsNotBeatingTheReference) {
  EXPECT_EQ(hypervolume({}, {1, 1}), 0.0);
  EXPECT_EQ(hypervolume({{2, 0}, {0, 2}, {1, 1}}, {1, 1}), 0.0);  // on or beyond it
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5}}, {1, 1}), 0.25);
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5}, {0.5, 0.5}, {3, -1}}, {1, 1}), 0.25);
  // Accuracy-style reference -0: accuracy 0 adds nothing, accuracy 0.5 adds.
  EXPECT_EQ(hypervolume({{-0.0, 1}}, {-0.0, 2}), 0.0);
  EXPECT_DOUBLE_EQ(hypervolume({{-0.0, 1}, {-0.5, 1}}, {-0.0, 2}), 0.5);
}

// A search logs the hypervolume of everything evaluated after each generation: a
// generation that adds only dominated points (or repeats) must log the same figure, not
// one an ulp lower from pagmo summing in another order.
TEST(Hypervolume, DominatedPointsAndRepeatsLeaveItBitIdentical) {
  core::Rng rng(6);
  for (std::size_t m : {2, 3, 4}) {
    for (int trial = 0; trial < 60; ++trial) {
      Points p(4 + rng.uniform_int(20), std::vector<double>(m));
      for (auto& x : p)
        for (auto& v : x) v = rng.uniform01() * 10;
      const std::vector<double> ref(m, 11.0);
      const double before = hypervolume(p, ref);
      Points more = p;
      for (std::size_t i = 0; i < p.size(); ++i) {
        more.push_back(p[i]);  // a repeat
        auto worse = p[i];
        for (auto& v : worse) v += rng.uniform01() * (11.0 - v) * 0.5;  // dominated by p[i]
        more.insert(more.begin() + long(rng.uniform_int(more.size() + 1)), worse);
      }
      EXPECT_EQ(hypervolume(more, ref), before) << "m=" << m << " trial " << trial;
    }
  }
}

TEST(SelectBest, WholeFrontsThenMostCrowdingDistant) {
  core::Rng rng(5);
  for (std::size_t m : {2, 3}) {
    for (int trial = 0; trial < 40; ++trial) {
      const std::size_t size = 2 + rng.uniform_int(30);
      const auto p = random_points(rng, size, m, trial % 2 ? 5 : 100);
      const std::size_t n = rng.uniform_int(size + 3);
      const auto sel = select_best(p, n);
      ASSERT_EQ(sel.size(), std::min(n, size));
      EXPECT_EQ(std::set<std::size_t>(sel.begin(), sel.end()).size(), sel.size());
      EXPECT_EQ(sel, select_best(p, n));  // deterministic
      const auto fronts = brute_fronts(p);
      const auto ranks = front_ranks(p);
      // A prefix of the full ranking.
      const auto all = select_best(p, size);
      EXPECT_TRUE(std::equal(sel.begin(), sel.end(), all.begin()));
      for (std::size_t j = 1; j < sel.size(); ++j) EXPECT_LE(ranks[sel[j - 1]], ranks[sel[j]]);
      if (sel.empty()) continue;
      // Every front better than the last selected one is in whole; from the last one the
      // chosen points are at least as crowding-distant as the rest.
      const std::size_t last = ranks[sel.back()];
      std::set<std::size_t> chosen(sel.begin(), sel.end());
      for (std::size_t r = 0; r < last; ++r)
        for (auto i : fronts[r]) EXPECT_TRUE(chosen.count(i));
      const auto d = crowding_distances(p, fronts[last]);
      double min_in = kInf, max_out = -kInf;
      for (std::size_t j = 0; j < fronts[last].size(); ++j) {
        if (chosen.count(fronts[last][j]))
          min_in = std::min(min_in, d[j]);
        else
          max_out = std::max(max_out, d[j]);
      }
      EXPECT_GE(min_in, max_out);
    }
  }
  EXPECT_TRUE(select_best({{1, 2}, {2, 1}}, 0).empty());
  EXPECT_EQ(select_best({{1, 2}}, 5), (std::vector<std::size_t>{0}));
  // Ties in distance go to the lower index.
  EXPECT_EQ(select_best({{2, 2}, {2, 2}, {2, 2}}, 1), (std::vector<std::size_t>{0}));
}

TEST(ObjectiveSetTest, ParsesTheRecipeChoices) {
  EXPECT_EQ(ObjectiveSet().to_string(), "accuracy,latency");
  for (const char* s : {"accuracy,latency", "accuracy,flash", "accuracy,latency,flash",
                        "accuracy,latency,flash,sram"})
    EXPECT_EQ(ObjectiveSet(s).to_string(), s);
  const ObjectiveSet set(" accuracy , flash,sram");
  EXPECT_EQ(set.names(), (std::vector<std::string>{"accuracy", "flash", "sram"}));
  EXPECT_EQ(set.size(), 3u);
  Objectives o;
  o.accuracy = 0.75;
  o.latency_ms = 12.5;
  o.flash = 1000;
  o.peak_sram = 2000;
  EXPECT_EQ(set.minimised(o), (std::vector<double>{-0.75, 1000, 2000}));
  EXPECT_EQ(ObjectiveSet("latency,accuracy").minimised(o), (std::vector<double>{12.5, -0.75}));
  EXPECT_EQ(set.minimised(std::vector<Scored>{Scored{{}, o}, Scored{{}, o}}).size(), 2u);
  const auto ref = ObjectiveSet("accuracy,latency,flash,sram").reference(50, 3000, 4000);
  EXPECT_EQ(ref, (std::vector<double>{0, 50, 3000, 4000}));
  EXPECT_TRUE(std::signbit(ref[0]));
  EXPECT_EQ(ObjectiveSet("accuracy,flash").reference(0, 3000, 0), (std::vector<double>{0, 3000}));
  EXPECT_THROW(ObjectiveSet("accuracy,latency").reference(0, 3000, 4000), core::Error);
  EXPECT_EQ(set.ideal(), (std::vector<double>{-1, 0, 0}));
  EXPECT_DOUBLE_EQ(box_volume(set.ideal(), set.reference(1, 10, 20)), 200);
}

TEST(ObjectiveSetTest, ErrorsNameTheKey) {
  for (const char* bad : {"", "accuracy", "accuracy,speed", "accuracy,accuracy", "accuracy,,latency",
                          "accuracy,latency,"}) {
    try {
      ObjectiveSet s(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find("sparsenas.objectives"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tinynas::nas
