#include "tinynas/nas/strategies.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "genome_draws.h"
#include "tinynas/core/error.h"
#include "tinynas/nas/mobo.h"
#include "tinynas/nas/nsga2.h"

namespace tinynas::nas {
namespace {

// What random search and evolution share: the set of genomes proposed so far (no genome
// is proposed twice), the evaluated ones in the order told, and the accuracy ranking.
class StrategyBase : public SearchStrategy {
 public:
  StrategyBase(const StrategyContext& ctx, int population) : ctx_(ctx), population_(population) {
    if (!ctx_.layout) throw core::Error("search strategy: no supernet layout");
    if (!ctx_.fits) throw core::Error("search strategy: no limits test (StrategyContext::fits)");
    if (population_ < 1)
      throw core::Error("sparsenas.population: " + std::to_string(population_) + ", must be >= 1");
  }

  void tell(int generation, const std::vector<Scored>& scored) override {
    if (generation != proposed_generation_ || scored.size() != proposed_.size())
      throw core::Error(name() + " strategy: told " + std::to_string(scored.size()) +
                        " score(s) of generation " + std::to_string(generation) + ", but generation " +
                        std::to_string(proposed_generation_) + " proposed " +
                        std::to_string(proposed_.size()));
    for (std::size_t i = 0; i < scored.size(); ++i) {
      if (!(scored[i].genome == proposed_[i]))
        throw core::Error(name() + " strategy: score " + std::to_string(i) + " of generation " +
                          std::to_string(generation) + " is not of the genome proposed there");
      evaluated_.push_back(scored[i]);
    }
    proposed_.clear();
    proposed_generation_ = -1;
  }

  std::vector<Scored> population() const override {
    std::vector<Scored> out;
    for (std::size_t i : ranking()) out.push_back(evaluated_[i]);
    return out;
  }

 protected:
  // Indices of the top `population_` evaluated genomes, most accurate first; ties by
  // evaluation order.
  std::vector<std::size_t> ranking() const {
    std::vector<std::size_t> idx(evaluated_.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return evaluated_[a].objectives.accuracy > evaluated_[b].objectives.accuracy;
    });
    if (idx.size() > std::size_t(population_)) idx.resize(std::size_t(population_));
    return idx;
  }

  std::optional<Genome> draw(const std::function<Genome(int attempt)>& make) { return draws_.draw(make); }
  Genome random_genome(core::Rng& rng) const { return draws_.random(rng); }

  std::vector<Genome> random_generation(core::Rng& rng) {
    std::vector<Genome> out;
    for (int i = 0; i < population_; ++i)
      if (auto g = draw([&](int) { return random_genome(rng); })) out.push_back(std::move(*g));
    return out;
  }

  std::vector<Genome> remember_proposed(int generation, std::vector<Genome> genomes) {
    proposed_generation_ = generation;
    proposed_ = genomes;
    return genomes;
  }

  StrategyContext ctx_;
  int population_;
  std::vector<Scored> evaluated_;

 private:
  detail::GenomeDraws draws_{ctx_};
  std::vector<Genome> proposed_;
  int proposed_generation_ = -1;
};

class RandomStrategy : public StrategyBase {
 public:
  RandomStrategy(const StrategyContext& ctx, const RandomOptions& o) : StrategyBase(ctx, o.population) {}
  std::string name() const override { return "random"; }
  std::vector<Genome> propose(int generation, core::Rng& rng) override {
    return remember_proposed(generation, random_generation(rng));
  }
};

class EvolutionStrategy : public StrategyBase {
 public:
  EvolutionStrategy(const StrategyContext& ctx, const EvolutionOptions& o)
      : StrategyBase(ctx, o.population), opt_(o) {
    if (o.parents < 1)
      throw core::Error("sparsenas.parents: " + std::to_string(o.parents) + ", must be >= 1");
    if (!(o.mutation_prob >= 0 && o.mutation_prob <= 1))
      throw core::Error("sparsenas.mutation_prob: " + std::to_string(o.mutation_prob) +
                        ", must be in [0, 1]");
    if (!(o.crossover_share >= 0 && o.crossover_share <= 1))
      throw core::Error("sparsenas.crossover_share: " + std::to_string(o.crossover_share) +
                        ", must be in [0, 1]");
  }
  std::string name() const override { return "evolution"; }

  std::vector<Genome> propose(int generation, core::Rng& rng) override {
    const auto top = ranking();
    // Nothing evaluated yet (generation 0, or nothing fit so far): a random generation.
    if (top.empty()) return remember_proposed(generation, random_generation(rng));
    std::vector<const Genome*> parents;
    for (std::size_t i = 0; i < top.size() && int(parents.size()) < opt_.parents; ++i)
      parents.push_back(&evaluated_[top[i]].genome);
    const auto np = parents.size();
    const auto pick = [&]() -> const Genome& { return *parents[std::size_t(rng.uniform_int(np))]; };
    // One parent crosses with itself into itself: those children are mutations instead.
    const int crossovers =
        np < 2 ? 0 : int(std::lround(opt_.crossover_share * double(population_)));
    const auto& layout = *ctx_.layout;
    std::vector<Genome> out;
    for (int i = 0; i < population_; ++i) {
      std::optional<Genome> child;
      if (i < crossovers) {
        child = draw([&](int attempt) {
          const std::size_t a = std::size_t(rng.uniform_int(np));
          std::size_t b = std::size_t(rng.uniform_int(np - 1));
          if (b >= a) ++b;  // two different parents
          Genome g;
          g.arch = space::crossover(parents[a]->arch, parents[b]->arch, rng);
          g.sparse = space::crossover(parents[a]->sparse, parents[b]->sparse, rng);
          // Parents that differ in few blocks have few crosses, all of them soon proposed:
          // the second half of the draws mutates the cross as well.
          if (attempt >= kMaxChildDraws / 2) {
            g.arch = space::mutate(g.arch, layout, opt_.mutation_prob, rng);
            g.sparse = space::mutate(g.sparse, layout, ctx_.choices, opt_.mutation_prob, rng);
          }
          return g;
        });
      } else {
        child = draw([&](int) {
          const Genome& p = pick();
          Genome g;
          g.arch = space::mutate(p.arch, layout, opt_.mutation_prob, rng);
          g.sparse = space::mutate(p.sparse, layout, ctx_.choices, opt_.mutation_prob, rng);
          return g;
        });
      }
      if (child) out.push_back(std::move(*child));
    }
    return remember_proposed(generation, std::move(out));
  }

 private:
  EvolutionOptions opt_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_random_strategy(const StrategyContext& ctx,
                                                     const RandomOptions& options) {
  return std::make_unique<RandomStrategy>(ctx, options);
}

std::unique_ptr<SearchStrategy> make_evolution_strategy(const StrategyContext& ctx,
                                                        const EvolutionOptions& options) {
  return std::make_unique<EvolutionStrategy>(ctx, options);
}

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = {"random", "evolution", "nsga2", "mobo"};
  return names;
}

std::unique_ptr<SearchStrategy> make_strategy(const config::SparseNasConfig& sp,
                                              const StrategyContext& ctx,
                                              const config::PredictorConfig& predictor) {
  if (sp.strategy == "random") {
    RandomOptions o;
    o.population = sp.population;
    return make_random_strategy(ctx, o);
  }
  if (sp.strategy == "evolution") {
    EvolutionOptions o;
    o.population = sp.population;
    o.parents = sp.parents;
    o.mutation_prob = sp.mutation_prob;
    o.crossover_share = sp.crossover_share;
    return make_evolution_strategy(ctx, o);
  }
  if (sp.strategy == "nsga2") {
    Nsga2Options o;
    o.population = sp.population;
    o.mutation_prob = sp.mutation_prob;
    o.crossover_share = sp.crossover_share;
    o.objectives = ObjectiveSet(sp.objectives);
    return make_nsga2_strategy(ctx, o);
  }
  if (sp.strategy == "mobo") {
    MoboOptions o;
    o.init = sp.mobo_init;
    o.batch = sp.mobo_batch;
    o.kappa = sp.mobo_kappa;
    o.surrogate_population = sp.mobo_population;
    o.surrogate_generations = sp.mobo_generations;
    o.population = sp.population;
    o.mutation_prob = sp.mutation_prob;
    o.crossover_share = sp.crossover_share;
    o.objectives = ObjectiveSet(sp.objectives);
    o.predictor = PredictorOptions::from(predictor);
    return make_mobo_strategy(ctx, o);
  }
  throw core::Error("sparsenas.strategy: unknown strategy '" + sp.strategy +
                    "' (random, evolution, nsga2 or mobo)");
}

}  // namespace tinynas::nas
