// tinynas sparsenas compare: random search, evolution and NSGA-II side by side on the
// recipe's trained supernet, with the same seeds (nas/strategy_comparison.h).
#include <algorithm>
#include <cstdio>
#include <map>

#include "args.h"
#include "command.h"
#include "training_job.h"
#include "tinynas/core/error.h"
#include "tinynas/core/text.h"
#include "tinynas/nas/strategies.h"
#include "tinynas/nas/strategy_comparison.h"

namespace tinynas::cli {
namespace {

// "random=900,evolution=300" (or one number for all).
std::map<std::string, int> budgets_of(const std::string& text, const std::vector<std::string>& strategies) {
  std::map<std::string, int> out;
  if (text.empty()) return out;
  for (const auto& part : core::split(text, ',')) {
    const auto eq = part.find('=');
    const std::string name = eq == std::string::npos ? "" : core::trim(part.substr(0, eq));
    const std::string value = core::trim(eq == std::string::npos ? part : part.substr(eq + 1));
    int n = 0;
    try {
      std::size_t used = 0;
      n = std::stoi(value, &used);
      if (used != value.size() || n < 1) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw UsageError("--evaluations: '" + part + "' is not a positive count");
    }
    if (name.empty())
      for (const auto& s : strategies) out[s] = n;
    else if (std::find(strategies.begin(), strategies.end(), name) == strategies.end())
      throw UsageError("--evaluations: '" + name + "' is not one of the compared strategies");
    else
      out[name] = n;
  }
  return out;
}

int run_compare(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true}, {"--out", true, false}, {"--quiet", false, false},
                             {"--strategies", true, false}, {"--seeds", true, false}, {"--evaluations", true, false},
                             {"--step", true, false}},
                            1, 1);
  nas::StrategyComparisonOptions o;
  const auto& known = nas::strategy_names();
  o.strategies = core::split(a.get("--strategies", core::join(known, ",")), ',');
  for (auto& s : o.strategies) {
    s = core::trim(s);
    if (std::find(known.begin(), known.end(), s) == known.end())
      throw UsageError("--strategies: '" + s + "' is not one of " + core::join(known, ", "));
  }
  o.seeds = int(a.get_int("--seeds", 3, 1, 1000));
  o.step = int(a.get_int("--step", 25, 1, 1000000));
  o.evaluations = budgets_of(a.get("--evaluations"), o.strategies);
  TrainingJob job = open_training_job(a);
  o.recipe = job.recipe;
  o.out_dir = a.get("--out", job.recipe.run.dir + "/" + job.recipe.run.name + "/compare");
  o.progress = !a.has("--quiet");
  o.device = job.device;
  o.local_world_size = job.env.local_world_size;
  const auto cmp = nas::compare_strategies(o, job.sets, job.def, *job.group);
  if (!job.group->is_main()) return 0;
  std::printf("\n%-10s %6s %5s  %-28s %-28s\n", "strategy", "budget", "seeds", "median hypervolume at 100/300/all",
              "median best accuracy at 100/300/all");
  for (const auto& c : cmp.curves) {
    auto three = [&](double (nas::StrategyCurve::*f)(int) const) {
      std::string s;
      for (int k : {100, 300, c.budget}) s += (s.empty() ? "" : " / ") + core::format_number("%.4f", (c.*f)(k));
      return s;
    };
    std::printf("%-10s %6d %5zu  %-28s %-28s\n", c.strategy.c_str(), c.budget, c.hypervolume.size(),
                three(&nas::StrategyCurve::median_hypervolume_at).c_str(),
                three(&nas::StrategyCurve::median_best_accuracy_at).c_str());
  }
  std::printf("\nwrote %s/compare.json, compare.csv, hypervolume.svg, best_accuracy.svg\n", o.out_dir.c_str());
  return 0;
}

const char* kCompareHelp =
    "Runs the one-shot search strategies on the recipe's trained supernet (as 'sparsenas\n"
    "search' finds it) with the same seeds and limits: each strategy once per seed\n"
    "(sparsenas.seed + 0, 1, ...), with its evaluation budget, in OUT/<strategy>-s<seed>/ (a\n"
    "rerun resumes them). Then the curves over evaluations, median over seeds: hypervolume\n"
    "of everything evaluated (sparsenas.objectives, one reference point for all) and the best\n"
    "one-shot accuracy. Writes OUT/compare.json, compare.csv, hypervolume.svg,\n"
    "best_accuracy.svg.\n"
    "\n"
    "options:\n"
    "  --strategies L     comma-separated (default random,evolution,nsga2,mobo)\n"
    "  --seeds N          (default 3)\n"
    "  --evaluations B    budget: one count for all, or per strategy, e.g.\n"
    "                     random=900,nsga2=300,mobo=200 (default sparsenas.evaluations)\n"
    "  --step K           curve resolution in evaluations (default 25)\n"
    "  --out DIR          (default run.dir/run.name/compare)\n"
    "  --quiet            no progress lines\n"
    "  --set KEY=VALUE    override a recipe key (repeatable)\n";

}  // namespace

Command sparsenas_compare_command() {
  return {{"sparsenas", "compare"},
          "RECIPE [--strategies L] [--seeds N] [--evaluations B] [--step K] [--out DIR] [--set KEY=VALUE]...",
          "random search, evolution and NSGA-II side by side on one trained supernet", kCompareHelp, run_compare};
}

}  // namespace tinynas::cli
