// `tinynas predictor fit|eval`: the accuracy predictor (nas/predictor.h) fitted on the
// evaluations of one-shot searches and judged on held-out ones, or timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/core/error.h"
#include "tinynas/core/json.h"
#include "tinynas/core/rng.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/nas/features.h"
#include "tinynas/nas/predictor.h"
#include "tinynas/nas/predictor_data.h"

namespace tinynas::cli {
namespace {

// The stream of a fitted predictor's draws: derive_seed(--seed, this).
constexpr std::uint64_t kPredictorStream = 0x5a45'0020;

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The recipe's space with the supernet a log (or a saved predictor) names.
struct Setting {
  SpaceContext ctx;
  std::string supernet;  // full text, "tf1-n{c1=24,...}"
  space::SupernetLayout layout;
  space::SparseChoices choices;
  cost::CostOptions cost;
  double mcu_mhz = 216;
};

Setting setting_for(SpaceContext ctx, const std::string& supernet_text, const std::string& named_in) {
  Setting s;
  s.ctx = std::move(ctx);
  space::SupernetConfig config;
  try {
    config = space::parse_supernet(supernet_text, s.ctx.def);
  } catch (const core::Error& e) {
    core::rethrow_with_context(named_in + ": supernet '" + supernet_text + "' is not one of the recipe's space (" +
                                   s.ctx.def.source + ")",
                               e);
  }
  s.supernet = space::to_string(config, s.ctx.def);
  s.layout = space::make_layout(s.ctx.def, config, s.ctx.input, s.ctx.classes);
  const auto& sp = s.ctx.recipe.sparsenas;
  s.choices = space::sparse_choices(sp.sparsity, sp.block);
  s.cost = cost::cost_options_of(s.ctx.recipe);
  s.mcu_mhz = s.ctx.recipe.export_.mcu_mhz;
  return s;
}

// Every --data directory's evaluations, in the order given.
nas::PredictorData read_logs(const Setting& s, const std::vector<std::string>& dirs) {
  nas::PredictorData d;
  for (const auto& dir : dirs) d.append(nas::read_search_log(dir, s.layout, s.supernet, s.cost));
  return d;
}

std::vector<float> rows_of(const nas::FeatureEncoder& enc, const nas::PredictorData& d, std::size_t begin,
                           std::size_t end, double mhz) {
  std::vector<nas::Genome> g(d.genomes.begin() + std::ptrdiff_t(begin), d.genomes.begin() + std::ptrdiff_t(end));
  std::vector<cost::Cost> c(d.costs.begin() + std::ptrdiff_t(begin), d.costs.begin() + std::ptrdiff_t(end));
  return nas::encode_rows(enc, g, c, mhz);
}

std::string metrics_line(const nas::PredictorMetrics& m) {
  return "Kendall tau " + core::format_number("%.3f", m.kendall_tau) + ", MAE " +
         core::format_number("%.2f", 100 * m.mae) + " points";
}

core::Json metrics_json(const nas::PredictorMetrics& m) {
  core::Json j = core::Json::object();
  j["n"] = m.n;
  j["kendall_tau"] = m.kendall_tau;
  j["mae"] = m.mae;
  return j;
}

nas::PredictorMetrics judge(const nas::AccuracyPredictor& p, const nas::FeatureEncoder& enc,
                            const nas::PredictorData& d, std::size_t begin, std::size_t end, double mhz) {
  const auto pred = p.predict(rows_of(enc, d, begin, end, mhz));
  return nas::score_predictions(pred.mean, {d.accuracy.begin() + std::ptrdiff_t(begin),
                                            d.accuracy.begin() + std::ptrdiff_t(end)});
}

int run_fit(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--data", true, true}, {"--train", true, false}, {"--holdout", true, false},
                             {"--out", true, false}, {"--seed", true, false}, {"--set", true, true},
                             {"--input", true, false}, {"--classes", true, false}},
                            1, 1);
  const auto& dirs = a.all("--data");
  if (dirs.empty()) throw UsageError("--data DIR is required (a one-shot search's directory)");
  SpaceContext ctx = load_space_context(a);  // first: a bad recipe is named before the data
  const Setting s = setting_for(std::move(ctx), nas::search_log_supernet(dirs.front()), dirs.front() + "/search.json");
  const nas::PredictorData d = read_logs(s, dirs);
  const std::size_t holdout = std::size_t(a.get_int("--holdout", 0, 0, 100000000));
  const std::size_t train =
      std::size_t(a.get_int("--train", d.size() > holdout ? (long long)(d.size() - holdout) : 0, 1, 100000000));
  if (train + holdout > d.size())
    throw core::Error("--train " + std::to_string(train) + " + --holdout " + std::to_string(holdout) + " needs " +
                      std::to_string(train + holdout) + " evaluations; " + core::join(dirs, ", ") + " hold " +
                      std::to_string(d.size()));
  const nas::FeatureEncoder enc(s.layout, s.choices);
  const auto options = nas::PredictorOptions::from(s.ctx.recipe.predictor);
  const std::uint64_t seed = std::uint64_t(a.get_int("--seed", 0, 0, 1LL << 53));
  core::Rng rng(core::derive_seed(seed, kPredictorStream));
  const std::vector<float> y(d.accuracy.begin(), d.accuracy.begin() + std::ptrdiff_t(train));
  const auto t0 = Clock::now();
  const auto p =
      nas::AccuracyPredictor::fit(rows_of(enc, d, 0, train, s.mcu_mhz), enc.size(), y, options, rng, enc.monotone());
  const double fit_s = since(t0);
  std::printf("fitted %zu members on %zu evaluations x %zu features of %s in %.2f s\n", p.members().size(), train,
              enc.size(), s.supernet.c_str(), fit_s);
  for (std::size_t k = 0; k < p.members().size(); ++k) {
    const auto& m = p.members()[k];
    std::printf("  member %zu: %4d trees, depth %2d, learning rate %g\n", k, m.estimators, m.depth, m.learning_rate);
  }
  core::Json meta = core::Json::object();
  meta["supernet"] = s.supernet;
  core::Json data = core::Json::array();
  for (const auto& dir : dirs) data.push_back(dir);
  meta["data"] = data;
  meta["train_rows"] = static_cast<unsigned long long>(train);
  meta["seed"] = static_cast<unsigned long long>(seed);
  meta["fit_seconds"] = fit_s;
  meta["bootstrap"] = options.bootstrap;
  meta["monotone"] = options.monotone;
  const auto fitted = judge(p, enc, d, 0, train, s.mcu_mhz);
  meta["train_metrics"] = metrics_json(fitted);
  std::printf("training %zu: %s\n", train, metrics_line(fitted).c_str());
  if (holdout > 0) {
    const auto m = judge(p, enc, d, train, train + holdout, s.mcu_mhz);
    meta["holdout_rows"] = static_cast<unsigned long long>(holdout);
    meta["holdout_metrics"] = metrics_json(m);
    std::printf("held out %zu (evaluations %zu..%zu): %s\n", holdout, train, train + holdout - 1,
                metrics_line(m).c_str());
  }
  const auto& r = s.ctx.recipe;
  const std::string out = a.get("--out", r.run.dir + "/" + r.run.name + "/predictor");
  p.save(out, enc, meta);
  std::printf("wrote %s/predictor.json and %zu member files\n", out.c_str(), p.members().size());
  return 0;
}

int run_eval(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--model", true, false}, {"--data", true, true}, {"--bench", true, false},
                             {"--skip", true, false}, {"--rows", true, false}, {"--seed", true, false},
                             {"--set", true, true}, {"--input", true, false}, {"--classes", true, false}},
                            1, 1);
  const std::string model = a.get("--model");
  if (model.empty()) throw UsageError("--model DIR is required (what 'tinynas predictor fit' wrote)");
  if (a.has("--data") == a.has("--bench")) throw UsageError("give one of --data DIR and --bench N");
  SpaceContext ctx = load_space_context(a);
  const core::Json info = nas::AccuracyPredictor::read_info(model);
  const core::Json* sn = info.find("supernet");
  if (!sn || !sn->is_string()) core::fail_file(model + "/predictor.json", "key 'supernet': missing");
  const Setting s = setting_for(std::move(ctx), sn->as_string(), model + "/predictor.json");
  const nas::FeatureEncoder enc(s.layout, s.choices);
  auto p = nas::AccuracyPredictor::load(model, enc);
  const int threads = s.ctx.recipe.predictor.threads > 0 ? s.ctx.recipe.predictor.threads
                                                          : int(std::thread::hardware_concurrency());
  p.set_threads(threads);

  if (a.has("--data")) {
    const nas::PredictorData d = read_logs(s, a.all("--data"));
    const std::size_t skip = std::size_t(a.get_int("--skip", 0, 0, 100000000));
    if (skip >= d.size())
      throw core::Error("--skip " + std::to_string(skip) + " leaves none of the " + std::to_string(d.size()) +
                        " evaluations");
    std::size_t end = d.size();
    if (a.has("--rows")) end = std::min(end, skip + std::size_t(a.get_int("--rows", 0, 1, 100000000)));
    const auto m = judge(p, enc, d, skip, end, s.mcu_mhz);
    std::printf("%d evaluations (%zu..%zu of %s): %s\n", m.n, skip, end - 1,
                core::join(a.all("--data"), ", ").c_str(), metrics_line(m).c_str());
    return 0;
  }

  // --bench N: N fitting genomes drawn uniformly, costed and encoded, then predicted at once.
  const int n = int(a.get_int("--bench", 10000, 1, 10000000));
  core::Rng rng(std::uint64_t(a.get_int("--seed", 0, 0, 1LL << 53)));
  std::vector<nas::Genome> genomes;
  std::vector<cost::Cost> costs;
  const auto t0 = Clock::now();
  for (long long tries = 0; int(genomes.size()) < n; ++tries) {
    if (tries > 100LL * n)
      throw core::Error("--bench: only " + std::to_string(genomes.size()) + " of " + std::to_string(tries) +
                        " drawn candidates fit the recipe's limits");
    nas::Genome g{space::sample_arch(s.layout, rng), space::sample_sparse(s.layout, s.choices, rng)};
    auto c = cost::evaluate_path(s.layout, g.arch, &g.sparse, s.cost);
    if (!cost::fits(c, s.ctx.limits)) continue;
    genomes.push_back(std::move(g));
    costs.push_back(std::move(c));
  }
  const double cost_s = since(t0);
  const auto t1 = Clock::now();
  const auto rows = nas::encode_rows(enc, genomes, costs, s.mcu_mhz);
  const double encode_s = since(t1);
  const auto t2 = Clock::now();
  const auto pred = p.predict(rows);
  const double predict_s = since(t2);
  double lo = 1, hi = 0, spread = 0;
  for (std::size_t i = 0; i < pred.mean.size(); ++i)
    lo = std::min(lo, pred.mean[i]), hi = std::max(hi, pred.mean[i]), spread += pred.stddev[i];
  std::printf("predicted %d candidates in %.3f s (%.1f us each, %zu members, %d threads)\n", n, predict_s,
              1e6 * predict_s / n, p.members().size(), threads);
  std::printf("drawing + cost model %.3f s, encoding %.3f s; predicted accuracy %.4f..%.4f, mean spread %.4f\n",
              cost_s, encode_s, lo, hi, spread / n);
  return 0;
}

const char* kFitHelp =
    "Fits the accuracy predictor (recipe section 'predictor': an ensemble of XGBoost\n"
    "regressors with hyper-parameters drawn from its grids) on the evaluations of one-shot\n"
    "searches of the recipe's space ('sparsenas search' with strategy evolution/nsga2, or\n"
    "'sparsenas compare'): the first N evaluations train it, the next M are held out and\n"
    "judged (Kendall tau and mean absolute error). Features: nas/features.h.\n"
    "\n"
    "options:\n"
    "  --data DIR         a search directory (search.json, evaluations.jsonl); repeat to join\n"
    "                     several searches of the same supernet, in order\n"
    "  --train N          training evaluations (default: all but the held-out ones)\n"
    "  --holdout M        evaluations after them to judge the fit on (default 0)\n"
    "  --seed S           seed of the members' draws (and bootstrap resamples) (default 0)\n"
    "  --out DIR          where predictor.json and member-*.ubj go (default\n"
    "                     run.dir/run.name/predictor)\n"
    "  --set KEY=VALUE    override a recipe key (repeatable), e.g. predictor.ensemble=3\n";

const char* kEvalHelp =
    "Loads a predictor 'tinynas predictor fit' wrote (refused when the recipe's space or\n"
    "supernet encodes candidates differently) and either judges it on evaluations of\n"
    "one-shot searches (Kendall tau, mean absolute error) or times it: --bench N draws N\n"
    "candidates fitting the recipe's limits and predicts them in one call (the time of the\n"
    "cost model and of the encoding is printed apart).\n"
    "\n"
    "options:\n"
    "  --model DIR        the predictor's directory\n"
    "  --data DIR         a search directory (repeatable, joined in order)\n"
    "  --skip K           leave out the first K evaluations (e.g. the training ones)\n"
    "  --rows M           judge at most M evaluations after them\n"
    "  --bench N          time N predictions instead\n"
    "  --seed S           seed of the --bench draws (default 0)\n"
    "  --set KEY=VALUE    override a recipe key (repeatable); predictor.threads sets the\n"
    "                     prediction threads\n";

}  // namespace

Command predictor_fit_command() {
  return {{"predictor", "fit"},
          "RECIPE --data DIR [--data DIR]... [--train N] [--holdout M] [--seed S] [--out DIR] [--set KEY=VALUE]...",
          "fit the accuracy predictor (XGBoost ensemble) on one-shot evaluations",
          kFitHelp,
          run_fit};
}

Command predictor_eval_command() {
  return {{"predictor", "eval"},
          "RECIPE --model DIR (--data DIR [--skip K] [--rows M] | --bench N) [--set KEY=VALUE]...",
          "judge a fitted accuracy predictor on evaluations, or time it",
          kEvalHelp,
          run_eval};
}

}  // namespace tinynas::cli
