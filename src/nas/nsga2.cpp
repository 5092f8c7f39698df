#include "tinynas/nas/nsga2.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

#include "genome_draws.h"
#include "tinynas/core/error.h"

namespace tinynas::nas {

namespace {

class Nsga2Strategy : public SearchStrategy {
 public:
  Nsga2Strategy(const StrategyContext& ctx, const Nsga2Options& options)
      : ctx_(ctx), options_(options) {}

  std::string name() const override { return "nsga2"; }

  std::vector<Genome> propose(int generation, core::Rng& rng) override {
    std::vector<Genome> out;
    if (population_.empty()) {
      for (int c = 0; c < options_.population; ++c)
        if (auto g = draws_.draw([&](int) { return draws_.random(rng); })) out.push_back(std::move(*g));
    } else {
      rank_population();
      for (int c = 0; c < options_.population; ++c)
        if (auto g = draws_.draw([&](int) { return child(rng); })) out.push_back(std::move(*g));
    }
    proposed_generation_ = generation;
    proposed_count_ = out.size();
    return out;
  }

  void tell(int generation, const std::vector<Scored>& scored) override {
    if (generation == proposed_generation_ && scored.size() != proposed_count_)
      throw core::Error("nsga2: generation " + std::to_string(generation) + " proposed " +
                        std::to_string(proposed_count_) + " candidates but was told " +
                        std::to_string(scored.size()) + " scores");
    std::vector<Scored> merged = population_;
    for (const auto& s : scored) {
      draws_.remember(s.genome);
      merged.push_back(s);
    }
    const auto keep = select_best(options_.objectives.minimised(merged),
                                  std::size_t(options_.population));
    population_.clear();
    for (auto i : keep) population_.push_back(merged[i]);
    proposed_generation_ = -1;
  }

  std::vector<Scored> population() const override {
    const auto ranks = front_ranks(options_.objectives.minimised(population_));
    std::vector<std::size_t> order(population_.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (ranks[a] != ranks[b]) return ranks[a] < ranks[b];
      return population_[a].objectives.accuracy > population_[b].objectives.accuracy;
    });
    std::vector<Scored> out;
    for (auto i : order) out.push_back(population_[i]);
    return out;
  }

 private:
  // Front rank and crowding distance of every population member, for the tournaments.
  void rank_population() {
    const Points pts = options_.objectives.minimised(population_);
    rank_.assign(population_.size(), 0);
    crowding_.assign(population_.size(), 0.0);
    const auto fronts = nondominated_fronts(pts);
    for (std::size_t r = 0; r < fronts.size(); ++r) {
      const auto dist = crowding_distances(pts, fronts[r]);
      for (std::size_t j = 0; j < fronts[r].size(); ++j) {
        rank_[fronts[r][j]] = r;
        crowding_[fronts[r][j]] = dist[j];
      }
    }
  }

  const Genome& tournament(core::Rng& rng) const {
    const auto n = population_.size();
    std::size_t a = std::size_t(rng.uniform_int(n));
    std::size_t b = std::size_t(rng.uniform_int(n));
    if (a > b) std::swap(a, b);
    std::size_t w = a;
    if (rank_[b] < rank_[a] || (rank_[b] == rank_[a] && crowding_[b] > crowding_[a])) w = b;
    return population_[w].genome;
  }

  Genome child(core::Rng& rng) const {
    const auto& layout = *ctx_.layout;
    Genome g;
    if (rng.bernoulli(options_.crossover_share)) {
      const Genome& p1 = tournament(rng);
      const Genome& p2 = tournament(rng);
      g.arch = space::crossover(p1.arch, p2.arch, rng);
      g.sparse = space::crossover(p1.sparse, p2.sparse, rng);
    } else {
      g = tournament(rng);
    }
    g.arch = space::mutate(g.arch, layout, options_.mutation_prob, rng);
    g.sparse = space::mutate(g.sparse, layout, ctx_.choices, options_.mutation_prob, rng);
    return g;
  }

  StrategyContext ctx_;
  Nsga2Options options_;
  std::vector<Scored> population_;  // select_best order
  std::vector<std::size_t> rank_;   // of population_, set by rank_population()
  std::vector<double> crowding_;
  detail::GenomeDraws draws_{ctx_};  // every genome proposed or told
  int proposed_generation_ = -1;
  std::size_t proposed_count_ = 0;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_nsga2_strategy(const StrategyContext& ctx,
                                                    const Nsga2Options& options) {
  if (ctx.layout == nullptr) throw core::Error("nsga2: no supernet layout");
  if (options.population < 2)
    throw core::Error("sparsenas.population: nsga2 needs a population of at least 2, got " +
                      std::to_string(options.population));
  if (!(options.mutation_prob >= 0 && options.mutation_prob <= 1))
    throw core::Error("sparsenas.mutation_prob: expected a probability in [0, 1], got " +
                      std::to_string(options.mutation_prob));
  if (!(options.crossover_share >= 0 && options.crossover_share <= 1))
    throw core::Error("sparsenas.crossover_share: expected a probability in [0, 1], got " +
                      std::to_string(options.crossover_share));
  space::sparse_options(ctx.choices);  // throws on empty sparsity / block lists
  return std::make_unique<Nsga2Strategy>(ctx, options);
}

}  // namespace tinynas::nas
