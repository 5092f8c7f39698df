// MOBO (nas/mobo.h): its sampling and batch selection against counts and a hand-computed
// sequence, the genome codec (nas/genome_codec.h), and the strategy on a synthetic
// problem: a small conv space whose resources come from the real cost model and whose
// accuracy is a formula of the genome, so a search runs in seconds without a supernet.
#include "tinynas/nas/mobo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "nas/tiny_space.h"
#include "tinynas/core/error.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/nas/genome_codec.h"
#include "tinynas/nas/strategies.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::nas {
namespace {

TEST(LatinHypercube, EveryGeneStratified) {
  const std::vector<int> cards = {1, 2, 3, 7, 27, 40};
  for (int n : {1, 5, 12, 40, 81}) {
    core::Rng rng(static_cast<std::uint64_t>(n));
    const auto pts = latin_hypercube(cards, n, rng);
    ASSERT_EQ(pts.size(), std::size_t(n));
    for (std::size_t k = 0; k < cards.size(); ++k) {
      std::map<int, int> count;
      for (const auto& p : pts) {
        ASSERT_EQ(p.size(), cards.size());
        ASSERT_GE(p[k], 0);
        ASSERT_LT(p[k], cards[k]);
        ++count[p[k]];
      }
      for (int v = 0; v < cards[k]; ++v) {
        const int c = count.count(v) ? count[v] : 0;
        EXPECT_GE(c, n / cards[k] - 1) << "gene " << k << " value " << v << " n " << n;
        EXPECT_LE(c, (n + cards[k] - 1) / cards[k] + 1) << "gene " << k << " value " << v;
        if (n >= 2 * cards[k]) {
          EXPECT_GE(c, 1) << "gene " << k << " value " << v << " n " << n;
        }
      }
    }
  }
}

TEST(LatinHypercube, DeterministicAndRejectsBadInput) {
  core::Rng a(5), b(5);
  EXPECT_EQ(latin_hypercube({3, 4}, 10, a), latin_hypercube({3, 4}, 10, b));
  core::Rng r(1);
  EXPECT_THROW(latin_hypercube({3, 0}, 4, r), core::Error);
  EXPECT_THROW(latin_hypercube({3}, 0, r), core::Error);
}

// The greedy reference: the same steps written from the definition, over every
// candidate of fronts 0 and 1.
TEST(SelectByHvi, FirstTwoFrontsGreedyImprovement) {
  const std::vector<double> ref = {0, 10};
  // minimised: (-accuracy, latency)
  const Points observed = {{-0.5, 5}};
  const Points cand = {
      {-0.9, 9},  // 0 front 0: far right, big gain
      {-0.7, 3},  // 1 front 0
      {-0.6, 6},  // 2 front 1 (dominated by 1), adds volume on its own
      {-0.4, 8},  // 3 front 2 or worse: never chosen
      {-0.3, 9},  // 4 worse still
      {-0.7, 3},  // 5 duplicate of 1: front 0, adds nothing once 1 is in
  };
  const auto chosen = select_by_hvi(cand, observed, ref, 10);
  ASSERT_FALSE(chosen.empty());
  for (auto i : chosen) EXPECT_TRUE(i != 3 && i != 4) << i;
  // Step 1: the largest gain. HV(observed) = 0.5 * 5 = 2.5.
  //  +0 -> {(-.9,9),(-.5,5)}: .9*1 + .5*4 = 2.9;  +1 -> .7*7 = 4.9;  +2 -> .6*4 + .5*1 = 2.9
  EXPECT_EQ(chosen[0], 1u);
  // Step 2 from {(-.5,5),(-.7,3)} (4.9): +0 -> .9*1 + .7*6 = 5.1; +2 -> 4.9 (nothing).
  ASSERT_GE(chosen.size(), 2u);
  EXPECT_EQ(chosen[1], 0u);
  // Then nothing adds volume: 2 and 5 are dominated by chosen points.
  EXPECT_EQ(chosen.size(), 2u);
  EXPECT_EQ(select_by_hvi(cand, observed, ref, 1), std::vector<std::size_t>{1});
  EXPECT_TRUE(select_by_hvi(cand, observed, ref, 0).empty());
  // Nothing observed yet: the volumes start from 0.
  const auto first = select_by_hvi(cand, {}, ref, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], 1u);  // .7 * 7 = 4.9 beats .9 * 1 and .6 * 4
}

space::SupernetLayout codec_layout() {
  const auto def = space::parse_space(R"(
id: tiny
name: codec test
hyper:
  c: {choices: [4], default: 4}
stages:
  - name: a
    blocks:
      - {choice: conv, out: $c, repeat: 2}
  - name: b
    blocks:
      - {choice: one, out: $c}
head:
  - {type: gap}
choices:
  conv:
    letter: C
    candidates:
      - {type: conv, kernel: [1, 3, 5], stride: 1}
  one:
    letter: O
    candidates:
      - {type: conv, kernel: 3, stride: 1}
)",
                                      "tiny.yaml");
  return space::make_layout(def, space::default_supernet(def), {1, 8, 8}, 2);
}

TEST(GenomeCodec, RoundTripsEveryGenomeAndNamesBadGenes) {
  const auto layout = codec_layout();
  const auto choices = space::sparse_choices({0, 0.5, 0.9}, {2, 4});
  const GenomeCodec codec(layout, choices);
  EXPECT_EQ(codec.cards(), (std::vector<int>{3, 6, 3, 6, 1, 6}));
  core::Rng rng(3);
  std::set<std::vector<int>> seen;
  for (int i = 0; i < 300; ++i) {
    Genome g;
    g.arch = space::sample_arch(layout, rng);
    g.sparse = space::sample_sparse(layout, choices, rng);
    const auto genes = codec.encode(g);
    EXPECT_TRUE(codec.decode(genes) == g);
    seen.insert(genes);
  }
  EXPECT_GT(seen.size(), 200u);
  try {
    codec.decode({0, 0, 3, 0, 0, 0});
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gene 2 is 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(codec.decode({0, 0}), core::Error);
  Genome g = codec.decode({0, 0, 0, 0, 0, 0});
  g.sparse.blocks[0][0] = {70, 2};
  EXPECT_THROW(codec.encode(g), core::Error);
}

// --- the strategy ---------------------------------------------------------------------------

constexpr int kBlocks = 8;

struct Problem {
  space::SupernetLayout layout = tiny::conv_layout(kBlocks, 8);
  StrategyContext ctx;
  ObjectiveSet objectives;
  double limit_ms = 0;

  Problem() {
    ctx.layout = &layout;
    ctx.choices = space::sparse_choices({0, 0.25, 0.5, 0.75}, {2, 4});
    ctx.cost = [this](const Genome& g) { return cost::evaluate_path(layout, g.arch, &g.sparse, {}); };
    ctx.mcu_mhz = 216;
    // The limit: the 70th percentile of random genomes' latency.
    core::Rng rng(99);
    std::vector<double> lat;
    for (int i = 0; i < 300; ++i) {
      Genome g;
      g.arch = space::sample_arch(layout, rng);
      g.sparse = space::sample_sparse(layout, ctx.choices, rng);
      lat.push_back(ctx.cost(g).latency_ms(216));
    }
    std::sort(lat.begin(), lat.end());
    limit_ms = lat[lat.size() * 7 / 10];
    ctx.fits = [this](const Genome& g) { return ctx.cost(g).latency_ms(216) <= limit_ms; };
    ctx.reference = objectives.reference(1.1 * limit_ms, 1, 1);
  }
  Objectives score(const Genome& g) const {
    const auto c = ctx.cost(g);
    Objectives o;
    o.accuracy = tiny::accuracy(g, kBlocks);
    o.latency_ms = c.latency_ms(216);
    o.flash = c.flash;
    o.peak_sram = c.peak_sram;
    return o;
  }
  std::string key(const Genome& g) const {
    return space::to_string(g.arch, layout) + " " + space::to_string(g.sparse, layout);
  }
};

MoboOptions small_mobo() {
  MoboOptions o;
  o.init = 12;
  o.batch = 6;
  o.surrogate_population = 24;
  o.surrogate_generations = 6;
  o.population = 20;
  o.predictor.ensemble = 3;
  o.predictor.estimators = {20, 50};
  o.predictor.depth = {3, 4};
  o.predictor.learning_rate = {0.1, 0.3};
  o.predictor.threads = 1;
  return o;
}

struct Run {
  std::vector<std::string> proposals;
  std::vector<int> sizes;  // per generation
  Points evaluated;        // minimised, in order
};

Run run(const Problem& p, SearchStrategy& s, std::uint64_t seed, int evaluations) {
  Run r;
  for (int g = 0; int(r.proposals.size()) < evaluations; ++g) {
    core::Rng rng(core::derive_seed(seed, 7, std::uint64_t(g)));
    const auto genomes = s.propose(g, rng);
    if (genomes.empty()) break;
    std::vector<Scored> scored;
    for (const auto& genome : genomes) {
      r.proposals.push_back(p.key(genome));
      scored.push_back({genome, p.score(genome)});
      r.evaluated.push_back(p.objectives.minimised(scored.back().objectives));
    }
    r.sizes.push_back(int(genomes.size()));
    s.tell(g, scored);
  }
  return r;
}

TEST(Mobo, ProposalsFitAndAreNeverRepeated) {
  const Problem p;
  auto s = make_mobo_strategy(p.ctx, small_mobo());
  EXPECT_EQ(s->name(), "mobo");
  const auto r = run(p, *s, 1, 42);
  ASSERT_GE(r.sizes.size(), 4u);
  EXPECT_EQ(r.sizes[0], 12);
  for (std::size_t g = 1; g < r.sizes.size(); ++g) EXPECT_EQ(r.sizes[g], 6) << "generation " << g;
  EXPECT_EQ(std::set<std::string>(r.proposals.begin(), r.proposals.end()).size(), r.proposals.size());
  for (const auto& e : r.evaluated) EXPECT_LE(e[1], p.limit_ms);
  const auto pop = s->population();
  EXPECT_EQ(pop.size(), 20u);
  // Ranked: the first front first, by accuracy.
  const auto ranks = front_ranks(p.objectives.minimised(pop));
  EXPECT_TRUE(std::is_sorted(ranks.begin(), ranks.end()));
}

TEST(Mobo, DeterministicGivenStreamsAndScores) {
  const Problem p;
  auto a = make_mobo_strategy(p.ctx, small_mobo());
  auto b = make_mobo_strategy(p.ctx, small_mobo());
  EXPECT_EQ(run(p, *a, 5, 30).proposals, run(p, *b, 5, 30).proposals);
}

TEST(Mobo, RejectsBadOptionsAndAMissingCostModel) {
  const Problem p;
  auto error_of = [&](const StrategyContext& ctx, const MoboOptions& o) -> std::string {
    try {
      make_mobo_strategy(ctx, o);
    } catch (const core::Error& e) {
      return e.what();
    }
    return "";
  };
  MoboOptions o = small_mobo();
  o.init = 0;
  EXPECT_NE(error_of(p.ctx, o).find("sparsenas.mobo_init"), std::string::npos);
  o = small_mobo();
  o.surrogate_population = 1;
  EXPECT_NE(error_of(p.ctx, o).find("sparsenas.mobo_population"), std::string::npos);
  StrategyContext ctx = p.ctx;
  ctx.cost = nullptr;
  EXPECT_NE(error_of(ctx, small_mobo()).find("no cost model"), std::string::npos);
  ctx = p.ctx;
  ctx.reference = {1, 2, 3};
  EXPECT_NE(error_of(ctx, small_mobo()).find("reference"), std::string::npos);
  config::SparseNasConfig sp;
  sp.strategy = "mobo";
  sp.mobo_init = 7;
  EXPECT_EQ(make_strategy(sp, p.ctx)->name(), "mobo");
  sp.strategy = "bayes";
  EXPECT_THROW(make_strategy(sp, p.ctx), core::Error);
}

// The point of a surrogate: at equal (small) budgets MOBO's evaluated points dominate more
// than random search's, median of three seeds.
TEST(Mobo, BeatsRandomSearchAtEqualEvaluations) {
  const Problem p;
  const int budget = 60;
  std::vector<double> mobo, random;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    auto m = make_mobo_strategy(p.ctx, small_mobo());
    mobo.push_back(hypervolume(run(p, *m, seed, budget).evaluated, p.ctx.reference));
    RandomOptions ro;
    ro.population = 12;
    auto rs = make_random_strategy(p.ctx, ro);
    random.push_back(hypervolume(run(p, *rs, seed, budget).evaluated, p.ctx.reference));
  }
  std::sort(mobo.begin(), mobo.end());
  std::sort(random.begin(), random.end());
  std::printf("hypervolume at %d evaluations, median of 3 seeds: mobo %.4f, random %.4f\n", budget,
              mobo[1], random[1]);
  EXPECT_GT(mobo[1], random[1]);
}

}  // namespace
}  // namespace tinynas::nas
