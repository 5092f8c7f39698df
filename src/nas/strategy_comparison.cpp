#include "tinynas/nas/strategy_comparison.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/svg.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/core/stats.h"
#include "tinynas/nas/oneshot_search.h"
#include "tinynas/nas/pareto.h"

namespace tinynas::nas {
namespace {

// -1 where no seed reached the point (a shorter budget).
double median(const std::vector<double>& v) { return v.empty() ? -1 : core::median(v); }

double at(const std::vector<int>& ks, const std::vector<double>& ys, int k) {
  double y = -1;
  for (std::size_t i = 0; i < ks.size() && ks[i] <= k; ++i) y = ys[i];
  return y;
}

std::vector<int> grid(int budget, int step) {
  std::vector<int> ks;
  for (int k = step; k < budget; k += step) ks.push_back(k);
  ks.push_back(budget);
  return ks;
}

// One run's curves at the grid points it reached.
void add_run(StrategyCurve& c, const OneShotSearchResult& r, const config::Recipe& recipe) {
  const ObjectiveSet objs(recipe.sparsenas.objectives);
  const cost::Limits limits = cost::limits_of(recipe);
  const auto ref = objs.reference(r.latency_reference_ms, limits.flash_bytes, limits.sram_bytes);
  const double box = box_volume(objs.ideal(), ref);
  Points pts;
  std::vector<double> hv, acc;
  double best = 0;
  std::size_t next = 0;
  for (int k : c.evaluations) {
    if (k > int(r.evaluations.size())) break;
    for (; next < std::size_t(k); ++next) {
      pts.push_back(objs.minimised(r.evaluations[next].objectives));
      best = std::max(best, r.evaluations[next].objectives.accuracy);
    }
    hv.push_back(hypervolume(pts, ref) / box);
    acc.push_back(best);
  }
  c.hypervolume.push_back(std::move(hv));
  c.best_accuracy.push_back(std::move(acc));
}

void finish_medians(StrategyCurve& c) {
  for (std::size_t i = 0; i < c.evaluations.size(); ++i) {
    std::vector<double> h, a;
    for (std::size_t s = 0; s < c.hypervolume.size(); ++s)
      if (i < c.hypervolume[s].size()) h.push_back(c.hypervolume[s][i]), a.push_back(c.best_accuracy[s][i]);
    c.median_hypervolume.push_back(median(h));
    c.median_best_accuracy.push_back(median(a));
  }
}

void write_files(const StrategyComparison& cmp, const std::string& out) {
  core::write_file_atomic(out + "/compare.json", cmp.to_json().dump_pretty() + "\n");
  std::string csv = "strategy,evaluations,median_hypervolume,median_best_accuracy\n";
  std::vector<core::LineSeries> hv, acc;
  for (const auto& c : cmp.curves) {
    core::LineSeries h{c.strategy, {}, {}, strategy_color(c.strategy)}, a = h;
    for (std::size_t i = 0; i < c.evaluations.size(); ++i) {
      csv += c.strategy + "," + std::to_string(c.evaluations[i]) + "," +
             core::format_number("%.6f", c.median_hypervolume[i]) + "," +
             core::format_number("%.6f", c.median_best_accuracy[i]) + "\n";
      if (c.median_hypervolume[i] < 0) continue;
      h.x.push_back(c.evaluations[i]), h.y.push_back(c.median_hypervolume[i]);
      a.x.push_back(c.evaluations[i]), a.y.push_back(c.median_best_accuracy[i]);
    }
    hv.push_back(h), acc.push_back(a);
  }
  core::write_file_atomic(out + "/compare.csv", csv);
  core::write_file_atomic(out + "/hypervolume.svg",
                          core::line_svg(hv, {"Hypervolume (median over seeds)", "one-shot evaluations",
                                              "hypervolume / reference box"}));
  core::write_file_atomic(out + "/best_accuracy.svg",
                          core::line_svg(acc, {"Best one-shot accuracy (median over seeds)", "one-shot evaluations",
                                               "accuracy"}));
}

}  // namespace

const char* strategy_color(const std::string& strategy) {
  if (strategy == "random") return "#8c8c8c";
  if (strategy == "evolution") return "#3b73b9";
  if (strategy == "mobo") return "#2a9d3c";  // green, as HyT-NAS Fig. 4
  return "#d1495b";
}

double StrategyCurve::median_hypervolume_at(int k) const { return at(evaluations, median_hypervolume, k); }
double StrategyCurve::median_best_accuracy_at(int k) const { return at(evaluations, median_best_accuracy, k); }

int StrategyCurve::evaluations_to_reach(double hv) const {
  for (std::size_t i = 0; i < evaluations.size(); ++i)
    if (median_hypervolume[i] >= 0 && median_hypervolume[i] >= hv) return evaluations[i];
  return -1;
}

core::Json StrategyComparison::to_json() const {
  core::Json j = core::Json::object(), arr = core::Json::array();
  auto list = [](const auto& v) {
    core::Json a = core::Json::array();
    for (const auto& x : v) a.push_back(x);
    return a;
  };
  for (const auto& c : curves) {
    core::Json s = core::Json::object();
    s["strategy"] = c.strategy;
    s["budget"] = c.budget;
    s["seeds"] = int(c.hypervolume.size());
    s["evaluations"] = list(c.evaluations);
    s["median_hypervolume"] = list(c.median_hypervolume);
    s["median_best_accuracy"] = list(c.median_best_accuracy);
    core::Json hv = core::Json::array(), acc = core::Json::array();
    for (const auto& v : c.hypervolume) hv.push_back(list(v));
    for (const auto& v : c.best_accuracy) acc.push_back(list(v));
    s["hypervolume"] = hv;
    s["best_accuracy"] = acc;
    arr.push_back(s);
  }
  j["strategies"] = arr;
  return j;
}

StrategyComparison compare_strategies(const StrategyComparisonOptions& o, const data::Datasets& sets,
                                      const space::SpaceDef& def, train::DistributedGroup& group) {
  if (o.seeds < 1) throw core::Error("compare: --seeds must be at least 1");
  if (o.step < 1) throw core::Error("compare: the curve step must be at least 1");
  const bool main = group.is_main();
  StrategyComparison cmp;
  for (const auto& strategy : o.strategies) {
    StrategyCurve c;
    c.strategy = strategy;
    const auto it = o.evaluations.find(strategy);
    c.budget = it != o.evaluations.end() ? it->second : o.recipe.sparsenas.evaluations;
    c.evaluations = grid(c.budget, o.step);
    cmp.curves.push_back(std::move(c));
  }
  // Seed by seed, every strategy at each: a comparison stopped early still compares.
  for (int s = 0; s < o.seeds; ++s)
    for (auto& c : cmp.curves) {
      OneShotSearchOptions so;
      so.recipe = o.recipe;
      so.recipe.sparsenas.strategy = c.strategy;
      so.recipe.sparsenas.seed = o.recipe.sparsenas.seed + s;
      so.recipe.sparsenas.evaluations = c.budget;
      so.out_dir = o.out_dir + "/" + c.strategy + "-s" + std::to_string(s);
      so.resume = core::is_regular_file(so.out_dir + "/search.json");
      so.progress = o.progress;
      so.device = o.device;
      so.local_world_size = o.local_world_size;
      if (main && o.progress)
        std::printf("compare: %s, seed %d of %d, %d evaluations -> %s\n", c.strategy.c_str(), s + 1, o.seeds,
                    c.budget, so.out_dir.c_str()),
            std::fflush(stdout);
      const auto r = search_oneshot(so, sets, def, group);
      if (main) add_run(c, r, so.recipe);
    }
  for (auto& c : cmp.curves) finish_medians(c);
  if (main) write_files(cmp, o.out_dir);
  return cmp;
}

}  // namespace tinynas::nas
