#include <algorithm>
#include <numeric>
#include <optional>
#include <string>

#include "genome_draws.h"
#include "tinynas/core/error.h"
#include "tinynas/nas/features.h"
#include "tinynas/nas/genome_codec.h"
#include "tinynas/nas/mobo.h"
#include "tinynas/nas/nsga2.h"

namespace tinynas::nas {

namespace {

// A genome scored by the surrogate: its UCB as the accuracy, exact resources.
struct Surrogate {
  std::vector<Scored> scored;
  std::vector<double> bound;  // UCB of each, to rank a short batch's fill
};

class MoboStrategy : public SearchStrategy {
 public:
  MoboStrategy(const StrategyContext& ctx, const MoboOptions& options)
      : ctx_(ctx), options_(options), codec_(*ctx.layout, ctx.choices), encoder_(*ctx.layout, ctx.choices) {}

  std::string name() const override { return "mobo"; }

  std::vector<Genome> propose(int generation, core::Rng& rng) override {
    std::vector<Genome> out = told_.empty() ? initial(rng) : next_batch(rng);
    proposed_generation_ = generation;
    proposed_count_ = out.size();
    return out;
  }

  void tell(int generation, const std::vector<Scored>& scored) override {
    if (generation == proposed_generation_ && scored.size() != proposed_count_)
      throw core::Error("mobo: generation " + std::to_string(generation) + " proposed " +
                        std::to_string(proposed_count_) + " candidates but was told " +
                        std::to_string(scored.size()) + " scores");
    for (const auto& s : scored) {
      draws_.remember(s.genome);
      told_.push_back(s);
      const auto c = ctx_.cost(s.genome);
      rows_.resize(rows_.size() + encoder_.size());
      encoder_.encode(s.genome, c, ctx_.mcu_mhz, &rows_[rows_.size() - encoder_.size()]);
      labels_.push_back(float(s.objectives.accuracy));
    }
    proposed_generation_ = -1;
  }

  // Everything evaluated, by (front rank, accuracy, evaluation order), the top `population`.
  std::vector<Scored> population() const override {
    const auto ranks = front_ranks(options_.objectives.minimised(told_));
    std::vector<std::size_t> order(told_.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (ranks[a] != ranks[b]) return ranks[a] < ranks[b];
      return told_[a].objectives.accuracy > told_[b].objectives.accuracy;
    });
    std::vector<Scored> out;
    for (std::size_t i = 0; i < order.size() && int(out.size()) < options_.population; ++i)
      out.push_back(told_[order[i]]);
    return out;
  }

 private:
  std::vector<Genome> initial(core::Rng& rng) {
    std::vector<Genome> out;
    const auto points = latin_hypercube(codec_.cards(), options_.init, rng);
    for (const auto& genes : points) {
      auto g = draws_.draw([&](int attempt) { return attempt == 0 ? codec_.decode(genes) : draws_.random(rng); });
      if (g) out.push_back(std::move(*g));
    }
    return out;
  }

  std::vector<Genome> next_batch(core::Rng& rng) {
    const auto predictor =
        AccuracyPredictor::fit(rows_, encoder_.size(), labels_, options_.predictor, rng, encoder_.monotone());
    const Surrogate s = solve_surrogate(predictor, rng);
    const Points pts = options_.objectives.minimised(s.scored);
    std::vector<Genome> out;
    auto take = [&](const Genome& g) {
      if (int(out.size()) < options_.batch)
        if (auto d = draws_.take(g)) out.push_back(std::move(*d));
    };
    for (auto i : select_by_hvi(pts, options_.objectives.minimised(told_), ctx_.reference,
                                std::size_t(options_.batch)))
      take(s.scored[i].genome);
    const auto ranks = front_ranks(pts);
    std::vector<std::size_t> order(pts.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return ranks[a] != ranks[b] ? ranks[a] < ranks[b] : s.bound[a] > s.bound[b];
    });
    for (auto i : order) take(s.scored[i].genome);  // the ones taken above: take() skips them
    while (int(out.size()) < options_.batch) {
      auto g = draws_.draw([&](int) { return draws_.random(rng); });
      if (!g) break;
      out.push_back(std::move(*g));
    }
    return out;
  }

  // The surrogate's NSGA-II, seeded with every evaluated genome; its final population, less
  // the evaluated genomes.
  Surrogate solve_surrogate(const AccuracyPredictor& predictor, core::Rng& rng) const {
    Nsga2Options o;
    o.population = options_.surrogate_population;
    o.mutation_prob = options_.mutation_prob;
    o.crossover_share = options_.crossover_share;
    o.objectives = options_.objectives;
    auto nsga2 = make_nsga2_strategy(ctx_, o);
    std::vector<Genome> seed;
    for (const auto& t : told_) seed.push_back(t.genome);
    nsga2->tell(0, score(predictor, seed).scored);
    for (int g = 1; g <= options_.surrogate_generations; ++g) {
      core::Rng sub(rng.next_u64());
      const auto children = nsga2->propose(g, sub);
      if (children.empty()) break;
      nsga2->tell(g, score(predictor, children).scored);
    }
    std::vector<Genome> fresh;
    for (const auto& p : nsga2->population())
      if (!evaluated(p.genome)) fresh.push_back(p.genome);
    return score(predictor, fresh);
  }

  Surrogate score(const AccuracyPredictor& predictor, const std::vector<Genome>& genomes) const {
    Surrogate s;
    if (genomes.empty()) return s;
    std::vector<cost::Cost> costs;
    for (const auto& g : genomes) costs.push_back(ctx_.cost(g));
    const auto p = predictor.predict(encode_rows(encoder_, genomes, costs, ctx_.mcu_mhz));
    for (std::size_t i = 0; i < genomes.size(); ++i) {
      const double ucb = p.mean[i] + options_.kappa * p.stddev[i];
      Objectives o;
      o.accuracy = ucb;
      o.latency_ms = costs[i].latency_ms(ctx_.mcu_mhz);
      o.flash = costs[i].flash;
      o.peak_sram = costs[i].peak_sram;
      s.scored.push_back({genomes[i], o});
      s.bound.push_back(ucb);
    }
    return s;
  }

  bool evaluated(const Genome& g) const {
    return std::any_of(told_.begin(), told_.end(), [&](const Scored& t) { return t.genome == g; });
  }

  StrategyContext ctx_;
  MoboOptions options_;
  GenomeCodec codec_;
  FeatureEncoder encoder_;
  detail::GenomeDraws draws_{ctx_};
  std::vector<Scored> told_;    // every genome told, in order
  std::vector<float> rows_;     // their feature rows
  std::vector<float> labels_;   // their accuracies
  int proposed_generation_ = -1;
  std::size_t proposed_count_ = 0;
};

void check_range(bool ok, const std::string& key, const std::string& want, double got) {
  if (!ok) throw core::Error("sparsenas." + key + ": expected " + want + ", got " + std::to_string(got));
}

}  // namespace

std::unique_ptr<SearchStrategy> make_mobo_strategy(const StrategyContext& ctx, const MoboOptions& options) {
  if (ctx.layout == nullptr) throw core::Error("mobo: no supernet layout");
  if (!ctx.cost) throw core::Error("mobo: no cost model");
  if (ctx.reference.size() != options.objectives.size())
    throw core::Error("mobo: a hypervolume reference of " + std::to_string(ctx.reference.size()) +
                      " values for " + std::to_string(options.objectives.size()) + " objectives");
  check_range(options.init >= 1, "mobo_init", "at least 1", options.init);
  check_range(options.batch >= 1, "mobo_batch", "at least 1", options.batch);
  check_range(options.kappa >= 0, "mobo_kappa", "at least 0", options.kappa);
  check_range(options.surrogate_population >= 2, "mobo_population", "at least 2", options.surrogate_population);
  check_range(options.surrogate_generations >= 1, "mobo_generations", "at least 1",
              options.surrogate_generations);
  check_range(options.population >= 1, "population", "at least 1", options.population);
  space::sparse_options(ctx.choices);  // throws on empty sparsity / block lists
  return std::make_unique<MoboStrategy>(ctx, options);
}

}  // namespace tinynas::nas
