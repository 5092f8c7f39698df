// NSGA-II strategy (nas/nsga2.h) on a synthetic problem: a hand-built space of 10 conv
// choice blocks, accuracy and latency computed from the genome alone, so the search runs
// in milliseconds without a supernet.
#include "tinynas/nas/nsga2.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "nas/tiny_space.h"
#include "tinynas/core/error.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::nas {
namespace {

space::SupernetLayout tiny_layout(int blocks) { return tiny::conv_layout(blocks); }

constexpr int kBlocks = 10;
constexpr double kLatencyLimit = 115;  // of a maximum 3 * (10 + 9 + ... + 1) = 165

// Block i's capacity (1 + candidate) * (1 - sparsity) buys accuracy with a concave return
// at weight 1 + i and costs latency at 10 - i per unit; block size 4 is a little faster
// and a little less accurate than 2. The front is curved and spread over many genomes.
Objectives synthetic(const Genome& g) {
  Objectives o;
  double acc = 0, norm = 0, lat = 0;
  for (int i = 0; i < kBlocks; ++i) {
    const auto& b = g.sparse.at(i);
    const double cap = (1 + g.arch.at(i)) * (1 - b.percent / 100.0);
    const double big_block = b.percent > 0 && b.block == 4;
    acc += (1 + i) * std::sqrt(cap) * (big_block ? 0.97 : 1.0);
    norm += (1 + i) * std::sqrt(3.0);
    lat += (10 - i) * cap * (big_block ? 0.9 : 1.0);
  }
  o.accuracy = acc / norm;
  o.latency_ms = lat;
  o.flash = std::int64_t(lat * 100);
  o.peak_sram = 1000;
  return o;
}

struct Fixture {
  space::SupernetLayout layout = tiny_layout(kBlocks);
  StrategyContext ctx;
  Fixture() {
    ctx.layout = &layout;
    ctx.choices = space::sparse_choices({0, 0.25, 0.5, 0.75}, {2, 4});
    ctx.fits = [](const Genome& g) { return synthetic(g).latency_ms <= kLatencyLimit; };
  }
  std::string key(const Genome& g) const {
    return space::to_string(g.arch, layout) + " " + space::to_string(g.sparse, layout);
  }
};

struct RunResult {
  std::vector<std::string> proposals;  // every generation's, in order
  std::vector<double> hypervolume;      // of the population after each generation
  std::vector<Scored> population;
};

// The driver's loop (strategy.h): rng_g from (seed, g), evaluate, tell.
RunResult run(const Fixture& f, const Nsga2Options& options, std::uint64_t seed, int generations) {
  auto strategy = make_nsga2_strategy(f.ctx, options);
  EXPECT_EQ(strategy->name(), "nsga2");
  RunResult r;
  const auto ref = options.objectives.reference(kLatencyLimit, 100 * 165, 2000);
  for (int g = 0; g < generations; ++g) {
    core::Rng rng(core::derive_seed(seed, 7, std::uint64_t(g)));
    const auto genomes = strategy->propose(g, rng);
    std::vector<Scored> scored;
    for (const auto& genome : genomes) {
      r.proposals.push_back(f.key(genome));
      scored.push_back({genome, synthetic(genome)});
    }
    strategy->tell(g, scored);
    r.hypervolume.push_back(hypervolume(options.objectives.minimised(strategy->population()), ref));
  }
  r.population = strategy->population();
  return r;
}

Nsga2Options small_options() {
  Nsga2Options o;
  o.population = 20;
  return o;
}

TEST(Nsga2, ProposalsFitAndAreNeverRepeated) {
  Fixture f;
  auto strategy = make_nsga2_strategy(f.ctx, small_options());
  std::set<std::string> seen;
  for (int g = 0; g < 8; ++g) {
    core::Rng rng(core::derive_seed(11, 7, std::uint64_t(g)));
    const auto genomes = strategy->propose(g, rng);
    EXPECT_EQ(genomes.size(), 20u);
    std::vector<Scored> scored;
    for (const auto& genome : genomes) {
      EXPECT_TRUE(f.ctx.fits(genome));
      EXPECT_TRUE(seen.insert(f.key(genome)).second) << "repeated " << f.key(genome);
      scored.push_back({genome, synthetic(genome)});
    }
    strategy->tell(g, scored);
    const auto pop = strategy->population();
    EXPECT_EQ(pop.size(), 20u);
    // Sorted by (front rank, accuracy descending).
    const auto ranks = front_ranks(small_options().objectives.minimised(pop));
    for (std::size_t j = 1; j < pop.size(); ++j) {
      EXPECT_LE(ranks[j - 1], ranks[j]);
      if (ranks[j - 1] == ranks[j]) {
        EXPECT_GE(pop[j - 1].objectives.accuracy, pop[j].objectives.accuracy);
      }
    }
  }
}

TEST(Nsga2, DeterministicGivenSeedsAndScores) {
  Fixture f;
  Nsga2Options o = small_options();
  o.objectives = ObjectiveSet("accuracy,latency,flash");
  const auto a = run(f, o, 5, 6);
  const auto b = run(f, o, 5, 6);
  EXPECT_EQ(a.proposals, b.proposals);
  EXPECT_EQ(a.hypervolume, b.hypervolume);
  EXPECT_NE(a.proposals, run(f, o, 6, 6).proposals);
}

// Random search at the same number of evaluations: the same fitting, distinct draws.
double random_hypervolume(const Fixture& f, std::size_t evaluations, std::uint64_t seed) {
  core::Rng rng(seed);
  std::set<std::string> seen;
  std::vector<Scored> scored;
  while (scored.size() < evaluations) {
    Genome g{space::sample_arch(f.layout, rng), space::sample_sparse(f.layout, f.ctx.choices, rng)};
    if (!f.ctx.fits(g) || !seen.insert(f.key(g)).second) continue;
    scored.push_back({g, synthetic(g)});
  }
  const ObjectiveSet set;
  return hypervolume(set.minimised(scored), set.reference(kLatencyLimit, 1, 1));
}

TEST(Nsga2, HypervolumeGrowsAndBeatsRandomSearch) {
  Fixture f;
  const int generations = 15;
  for (std::uint64_t seed : {1, 2, 3}) {
    const auto r = run(f, small_options(), seed, generations);
    ASSERT_EQ(r.proposals.size(), std::size_t(20 * generations));
    const double first = r.hypervolume.front(), last = r.hypervolume.back();
    EXPECT_GT(last, first * 1.1) << "seed " << seed;
    // Random search keeps every point it drew; NSGA-II is judged on its population alone.
    const double random = random_hypervolume(f, r.proposals.size(), 100 + seed);
    EXPECT_GT(last, random) << "seed " << seed;
    RecordProperty("hv_seed" + std::to_string(seed),
                   std::to_string(first) + " -> " + std::to_string(last) + " (random " +
                       std::to_string(random) + ")");
    std::printf("seed %d: population hypervolume %.2f (gen 0) -> %.2f (gen %d); random search "
                "over %zu evaluations %.2f\n",
                int(seed), first, last, generations - 1, r.proposals.size(), random);
  }
}

TEST(Nsga2, StopsProposingWhenTheSpaceIsExhausted) {
  // One block, three candidates, one sparse option: three genomes in all.
  const auto layout = tiny_layout(1);
  StrategyContext ctx;
  ctx.layout = &layout;
  ctx.choices = space::sparse_choices({0}, {2});
  Nsga2Options o;
  o.population = 5;
  auto strategy = make_nsga2_strategy(ctx, o);
  core::Rng rng(1);
  auto genomes = strategy->propose(0, rng);
  ASSERT_EQ(genomes.size(), 3u);
  std::vector<Scored> scored;
  for (std::size_t i = 0; i < genomes.size(); ++i) {
    Objectives obj;
    obj.accuracy = 0.1 * double(i);
    obj.latency_ms = double(i);
    scored.push_back({genomes[i], obj});
  }
  strategy->tell(0, scored);
  EXPECT_TRUE(strategy->propose(1, rng).empty());
  strategy->tell(1, {});
  EXPECT_EQ(strategy->population().size(), 3u);
  EXPECT_EQ(strategy->population().front().objectives.accuracy, 0.2);
}

TEST(Nsga2, RejectsBadOptionsAndMismatchedTells) {
  Fixture f;
  Nsga2Options o = small_options();
  o.population = 1;
  EXPECT_THROW(make_nsga2_strategy(f.ctx, o), core::Error);
  o = small_options();
  o.mutation_prob = 1.5;
  EXPECT_THROW(make_nsga2_strategy(f.ctx, o), core::Error);
  o = small_options();
  o.crossover_share = -0.1;
  EXPECT_THROW(make_nsga2_strategy(f.ctx, o), core::Error);
  StrategyContext no_layout = f.ctx;
  no_layout.layout = nullptr;
  EXPECT_THROW(make_nsga2_strategy(no_layout, small_options()), core::Error);

  auto strategy = make_nsga2_strategy(f.ctx, small_options());
  core::Rng rng(3);
  const auto genomes = strategy->propose(0, rng);
  ASSERT_FALSE(genomes.empty());
  EXPECT_THROW(strategy->tell(0, {Scored{genomes[0], synthetic(genomes[0])}}), core::Error);
}

}  // namespace
}  // namespace tinynas::nas
