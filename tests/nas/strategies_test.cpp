// Random search and evolution (nas/strategies.h) on a synthetic fitness, without a
// supernet: every proposal fits the limits and none repeats, proposals are a pure function
// of (rng streams, scores told), evolution finds better genomes than random search at the
// same number of evaluations, and the factory builds each strategy the recipe names.
#include <gtest/gtest.h>

#include <set>

#include "support/error_of.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/nas/strategies.h"
#include "train/train_fixtures.h"

using namespace tinynas;

namespace {

space::SupernetLayout default_layout() {
  const auto def = tinynas::testing::tinyformer_space();
  return space::make_layout(def, space::parse_supernet("", def), {1, 28, 28}, 10);
}

// Memory limits only: no latency table needed.
cost::CostOptions no_latency() {
  cost::CostOptions o;
  o.latency = false;
  return o;
}

const space::SparseChoices kChoices = space::sparse_choices({0.5, 0.7, 0.9}, {2, 4});

// OneMax over the genome: the share of choice blocks whose candidate and sparsity equal a
// fixed target's.
struct TargetFitness {
  space::Arch arch;
  space::SparseConfig sparse;
  int blocks = 0;
  TargetFitness(const space::SupernetLayout& layout, std::uint64_t seed) {
    core::Rng rng(seed);
    arch = space::sample_arch(layout, rng);
    sparse = space::sample_sparse(layout, kChoices, rng);
    blocks = layout.num_choice_blocks();
  }
  double operator()(const nas::Genome& g) const {
    int hits = 0;
    for (int i = 0; i < blocks; ++i)
      hits += (g.arch.at(i) == arch.at(i)) + (g.sparse.at(i) == sparse.at(i));
    return double(hits) / double(2 * blocks);
  }
};

std::vector<int> key(const nas::Genome& g, int blocks) {
  std::vector<int> k = g.arch.flat();
  for (int i = 0; i < blocks; ++i) k.push_back(g.sparse.at(i).percent * 100 + g.sparse.at(i).block);
  return k;
}

// Runs `generations` generations, scoring with `fitness`; returns every proposal in order.
template <class F>
std::vector<nas::Genome> run(nas::SearchStrategy& s, int generations, const F& fitness,
                             std::uint64_t seed = 7) {
  std::vector<nas::Genome> all;
  for (int g = 0; g < generations; ++g) {
    core::Rng rng(core::derive_seed(seed, 1, std::uint64_t(g)));
    const auto p = s.propose(g, rng);
    if (p.empty()) break;
    std::vector<nas::Scored> scored;
    for (const auto& genome : p) {
      nas::Scored sc{genome, {}};
      sc.objectives.accuracy = fitness(genome);
      scored.push_back(sc);
      all.push_back(genome);
    }
    s.tell(g, scored);
  }
  return all;
}

nas::StrategyContext context(const space::SupernetLayout& layout,
                             std::function<bool(const nas::Genome&)> fits) {
  nas::StrategyContext ctx;
  ctx.layout = &layout;
  ctx.choices = kChoices;
  ctx.fits = std::move(fits);
  return ctx;
}

nas::EvolutionOptions evolution(int population, int parents) {
  nas::EvolutionOptions o;
  o.population = population;
  o.parents = parents;
  o.mutation_prob = 0.1;
  o.crossover_share = 0.5;
  return o;
}

}  // namespace

TEST(Strategies, ProposeOnlyFittingGenomesNeverTwice) {
  // The real limits test: a flash limit that about half of the genomes exceed.
  const auto layout = tinynas::testing::small_layout();
  std::vector<std::int64_t> flash;
  core::Rng probe(3);
  for (int i = 0; i < 200; ++i) {
    const auto a = space::sample_arch(layout, probe);
    const auto s = space::sample_sparse(layout, kChoices, probe);
    flash.push_back(cost::evaluate_path(layout, a, &s, no_latency()).flash);
  }
  std::sort(flash.begin(), flash.end());
  cost::Limits limits = cost::Limits::from_kb(64, 256);
  limits.flash_bytes = flash[flash.size() / 2];
  int rejected = 0;
  const auto fits = [&](const nas::Genome& g) {
    const bool ok = cost::fits(cost::evaluate_path(layout, g.arch, &g.sparse, no_latency()), limits);
    rejected += ok ? 0 : 1;
    return ok;
  };
  const TargetFitness fitness(layout, 11);
  for (const std::string name : {"random", "evolution"}) {
    SCOPED_TRACE(name);
    rejected = 0;
    config::SparseNasConfig sp;
    sp.strategy = name;
    sp.population = 12;
    sp.parents = 4;
    auto s = nas::make_strategy(sp, context(layout, fits));
    EXPECT_EQ(s->name(), name);
    const auto all = run(*s, 6, fitness);
    EXPECT_GE(all.size(), 12u * 5);
    EXPECT_GT(rejected, 0);  // the limit did reject draws
    std::set<std::vector<int>> seen;
    for (const auto& g : all) {
      EXPECT_TRUE(cost::fits(cost::evaluate_path(layout, g.arch, &g.sparse, no_latency()), limits));
      EXPECT_TRUE(seen.insert(key(g, layout.num_choice_blocks())).second)
          << space::to_string(g.arch, layout) << " " << space::to_string(g.sparse, layout);
    }
    // population(): the top `population` by accuracy, best first.
    const auto pop = s->population();
    ASSERT_EQ(pop.size(), 12u);
    for (std::size_t i = 1; i < pop.size(); ++i)
      EXPECT_GE(pop[i - 1].objectives.accuracy, pop[i].objectives.accuracy);
    double best = 0;
    for (const auto& g : all) best = std::max(best, fitness(g));
    EXPECT_EQ(pop[0].objectives.accuracy, best);
  }
}

TEST(Strategies, AreDeterministicGivenStreamsAndScores) {
  const auto layout = default_layout();
  const TargetFitness fitness(layout, 5);
  const auto fits = [](const nas::Genome& g) { return g.arch.at(0) != 2; };
  for (const std::string name : {"random", "evolution"}) {
    SCOPED_TRACE(name);
    config::SparseNasConfig sp;
    sp.strategy = name;
    sp.population = 10;
    sp.parents = 3;
    auto a = nas::make_strategy(sp, context(layout, fits));
    auto b = nas::make_strategy(sp, context(layout, fits));
    const auto ga = run(*a, 5, fitness);
    const auto gb = run(*b, 5, fitness);
    ASSERT_EQ(ga.size(), gb.size());
    for (std::size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(ga[i] == gb[i]) << i;
    const auto pa = a->population(), pb = b->population();
    ASSERT_EQ(pa.size(), pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].genome == pb[i].genome) << i;
    // Other streams, other proposals.
    auto c = nas::make_strategy(sp, context(layout, fits));
    const auto gc = run(*c, 5, fitness, 8);
    EXPECT_FALSE(gc.front() == ga.front());
  }
}

TEST(Strategies, EvolutionBeatsRandomSearchAtEqualEvaluations) {
  const auto layout = default_layout();
  const auto fits = [](const nas::Genome&) { return true; };
  double evolved = 0, drawn = 0;
  for (std::uint64_t trial = 0; trial < 3; ++trial) {
    const TargetFitness fitness(layout, 100 + trial);
    auto evo = nas::make_evolution_strategy(context(layout, fits), evolution(20, 5));
    nas::RandomOptions ro;
    ro.population = 20;
    auto rnd = nas::make_random_strategy(context(layout, fits), ro);
    const auto ge = run(*evo, 15, fitness, trial);
    const auto gr = run(*rnd, 15, fitness, trial);
    ASSERT_EQ(ge.size(), gr.size());  // 300 evaluations each
    evolved += evo->population().front().objectives.accuracy;
    drawn += rnd->population().front().objectives.accuracy;
  }
  ::testing::Test::RecordProperty("evolution_best", std::to_string(evolved / 3));
  ::testing::Test::RecordProperty("random_best", std::to_string(drawn / 3));
  // Random search over 9 blocks x (candidate, sparsity) reaches about 60% of the target;
  // evolution climbs well above.
  EXPECT_GT(evolved / 3, drawn / 3 + 0.15) << "evolution " << evolved / 3 << ", random " << drawn / 3;
}

TEST(Strategies, EvolutionBreedsFromTheTopParents) {
  const auto layout = default_layout();
  const TargetFitness fitness(layout, 9);
  auto evo = nas::make_evolution_strategy(context(layout, [](const nas::Genome&) { return true; }),
                                          evolution(10, 2));
  run(*evo, 1, fitness);
  const auto parents = evo->population();
  core::Rng rng(1);
  const auto children = evo->propose(1, rng);
  ASSERT_EQ(children.size(), 10u);
  // Every block of every child comes from one of the two parents, or was mutated: with
  // mutation_prob 0.1 over 9 blocks most blocks must match a parent.
  int from_parents = 0, total = 0;
  for (const auto& c : children)
    for (int i = 0; i < layout.num_choice_blocks(); ++i, ++total)
      from_parents += c.arch.at(i) == parents[0].genome.arch.at(i) ||
                      c.arch.at(i) == parents[1].genome.arch.at(i);
  EXPECT_GT(from_parents, total * 3 / 4);
}

TEST(Strategies, TellChecksTheProposalsAndTheFactoryTheName) {
  const auto layout = default_layout();
  const auto ctx = context(layout, [](const nas::Genome&) { return true; });
  auto s = nas::make_evolution_strategy(ctx, evolution(4, 2));
  core::Rng rng(1);
  const auto p = s->propose(0, rng);
  ASSERT_EQ(p.size(), 4u);
  std::vector<nas::Scored> short_list = {{p[0], {}}};
  EXPECT_NE(tinynas::testing::error_of([&] { s->tell(0, short_list); }).find("proposed 4"),
            std::string::npos);
  config::SparseNasConfig sp;
  sp.strategy = "annealing";
  EXPECT_NE(tinynas::testing::error_of([&] { nas::make_strategy(sp, ctx); }).find("random, evolution, nsga2 or mobo"),
            std::string::npos);
  sp.strategy = "nsga2";
  EXPECT_EQ(nas::make_strategy(sp, ctx)->name(), "nsga2");
  EXPECT_NE(tinynas::testing::error_of([&] { nas::make_evolution_strategy(ctx, evolution(4, 0)); })
                .find("sparsenas.parents"),
            std::string::npos);
}
