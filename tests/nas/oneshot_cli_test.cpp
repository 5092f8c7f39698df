// The one-shot search (sparsenas.strategy evolution / nsga2, nas/oneshot_search.h) and
// `sparsenas compare` (nas/strategy_comparison.h) through the real CLI, on a tiny
// Fashion-MNIST subset and a supernet `tinynas train` wrote once for the suite: a search
// SIGKILLed mid-generation and resumed writes the same population, hypervolume curve and
// Pareto front as one that never stopped; compare writes its curves for every (strategy,
// seed) and a rerun resumes them; bad --strategies / --evaluations are usage errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "nas/search_fixtures.h"
#include "tinynas/core/fs.h"

using namespace tinynas;
using tinynas::testing::complete_lines;
using tinynas::testing::read_jsonl;
using tinynas::testing::TempDir;

namespace {

#ifdef TINYNAS_CLI
class OneShotCli : public ::testing::Test {
 protected:
  // One recipe and one trained supernet (two SPOS steps: enough for the mechanics) for
  // every test: the training is the expensive part.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    recipe_ = dir_->write("recipe.yaml", std::string() +
        "base: " + tinynas::testing::source_dir() + "/recipes/quickstart.yaml\n"
        "data: {train_limit: 640, test_limit: 32, val_fraction: 0.1, workers: 0}\n"
        "space: {file: " + tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml, supernet: '" +
        tinynas::testing::kSmallSupernet + "'}\n"
        "train: {batch_size: 32, warmup_epochs: 0, eval_paths: 0, bn_recal_batches: 1,\n"
        "        threads: 1, log_every: 10}\n"
        "sparsenas: {strategy: evolution, population: 4, parents: 2, generations: 4,\n"
        "            evaluations: 14, fitness_images: 32}\n"
        "run: {dir: " + dir_->file("runs") + ", name: s}\n");
    int runs = 0;
    tinynas::testing::run_cli(*dir_, runs,
                              {TINYNAS_CLI, "train", recipe_, "--quiet", "--set", "train.max_steps=2"});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  /// {tinynas, words..., the recipe, --quiet, extra...}
  static std::vector<std::string> cli(std::vector<std::string> words, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {TINYNAS_CLI};
    a.insert(a.end(), words.begin(), words.end());
    a.insert(a.end(), {recipe_, "--quiet"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string run(const std::vector<std::string>& a, int want_status = 0) {
    return tinynas::testing::run_cli(*dir_, runs_, a, want_status);
  }
  static std::string text(const std::string& path) { return core::read_text_file(path); }

  /// evaluations.jsonl without the one field that is a measurement, not a result.
  static std::vector<core::Json> without_seconds(const std::string& path) {
    auto lines = read_jsonl(path);
    for (auto& l : lines) {
      EXPECT_TRUE(l.erase("seconds")) << path;
    }
    return lines;
  }

  /// Searches with `strategy` uninterrupted into A, and into B killed (SIGKILL) once five
  /// evaluations are on record, then resumed: both must end in the same files.
  void expect_kill_and_resume_match(const std::string& strategy, const std::vector<std::string>& more = {}) {
    const std::string a = dir_->file("A-" + strategy), b = dir_->file("B-" + strategy);
    std::vector<std::string> set = {"--set", "sparsenas.strategy=" + strategy};
    set.insert(set.end(), more.begin(), more.end());
    auto with_out = [&](const std::string& out, bool resume) {
      auto extra = set;
      extra.insert(extra.end(), {"--out", out});
      if (resume) extra.push_back("--resume");
      return cli({"sparsenas", "search"}, extra);
    };
    run(with_out(a, false));
    const std::size_t total = complete_lines(a + "/evaluations.jsonl");
    ASSERT_GE(total, 8u) << "the budget should outlast the kill by a generation";

    {
      const std::string log = dir_->file("killed-" + strategy + ".txt");
      tinynas::testing::Child c(with_out(b, false), {}, log);
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(300);
      while (std::chrono::steady_clock::now() < end && !c.wait_for(std::chrono::milliseconds(2)))
        if (complete_lines(b + "/evaluations.jsonl") >= 5) break;
      ASSERT_FALSE(c.wait_for(std::chrono::milliseconds(0)))
          << "the search ended before it could be killed:\n" << text(log);
      ::kill(c.pid(), SIGKILL);
      ASSERT_TRUE(c.wait_for(std::chrono::seconds(10)));
      const std::size_t at_kill = complete_lines(b + "/evaluations.jsonl");
      ASSERT_GE(at_kill, 5u);
      ASSERT_LT(at_kill, total) << "killed too late to test the resume";
    }
    // Without --resume the killed search is refused, with it the search goes on to the end.
    auto out = run(with_out(b, false), 1);
    EXPECT_NE(out.find("already holds a search"), std::string::npos) << out;
    run(with_out(b, true));

    for (const char* f : {"population.json", "hv.jsonl", "pareto.csv"})
      EXPECT_EQ(text(b + "/" + f), text(a + "/" + f)) << strategy << ": " << f;
    const auto ea = without_seconds(a + "/evaluations.jsonl"), eb = without_seconds(b + "/evaluations.jsonl");
    ASSERT_EQ(eb.size(), ea.size());
    for (std::size_t i = 0; i < ea.size(); ++i) EXPECT_EQ(eb[i], ea[i]) << strategy << ": evaluation " << i;
    const auto best_a = core::Json::parse(text(a + "/best.json"), "A/best.json");
    const auto best_b = core::Json::parse(text(b + "/best.json"), "B/best.json");
    EXPECT_EQ(best_b.at("candidate"), best_a.at("candidate"));
    EXPECT_EQ(best_b.at("strategy").as_string(), strategy);
  }

  static TempDir* dir_;
  static std::string recipe_;
  int runs_ = 100;  // log-<n>.txt names apart from the suite set-up's
};
TempDir* OneShotCli::dir_ = nullptr;
std::string OneShotCli::recipe_;
#endif

}  // namespace

#ifdef TINYNAS_CLI
TEST_F(OneShotCli, KilledEvolutionSearchResumesToTheIdenticalPopulation) {
  expect_kill_and_resume_match("evolution");
}

TEST_F(OneShotCli, KilledNsga2SearchResumesToTheIdenticalPopulation) {
  expect_kill_and_resume_match("nsga2");
}

// MOBO's state is its predictor, refitted from the replayed scores: the resumed search
// proposes what the uninterrupted one did (4 Latin hypercube pairs, then batches of 4).
TEST_F(OneShotCli, KilledMoboSearchResumesToTheIdenticalPopulation) {
  expect_kill_and_resume_match("mobo", {"--set", "sparsenas.mobo_init=4", "--set", "sparsenas.mobo_batch=4",
                                        "--set", "sparsenas.mobo_population=8", "--set",
                                        "sparsenas.mobo_generations=2", "--set", "predictor.ensemble=2", "--set",
                                        "predictor.estimators=[10, 20]", "--set", "predictor.depth=[3]"});
}

TEST_F(OneShotCli, CompareWritesMedianCurvesAndARerunResumes) {
  const std::string out = dir_->file("cmp");
  const auto args = cli({"sparsenas", "compare"}, {"--strategies", "random,evolution", "--seeds", "2",
                                                   "--evaluations", "8", "--step", "4", "--out", out});
  const auto t0 = std::chrono::steady_clock::now();
  run(args);
  const double first_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const std::string json = text(out + "/compare.json");
  const auto cmp = core::Json::parse(json, "compare.json");
  const auto& strategies = cmp.at("strategies");
  ASSERT_EQ(strategies.size(), 2u) << json;
  const std::vector<std::string> names = {"random", "evolution"};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& s = strategies[i];
    EXPECT_EQ(s.at("strategy").as_string(), names[i]);
    EXPECT_EQ(s.at("budget").as_int(), 8);
    EXPECT_EQ(s.at("seeds").as_int(), 2);
    ASSERT_EQ(s.at("evaluations").size(), 2u) << json;
    EXPECT_EQ(s.at("evaluations")[0].as_int(), 4);
    EXPECT_EQ(s.at("evaluations")[1].as_int(), 8);
    for (const char* key : {"median_hypervolume", "median_best_accuracy"}) {
      ASSERT_EQ(s.at(key).size(), 2u) << key;
      for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_GE(s.at(key)[k].as_double(), 0.0) << key;  // every seed reached every point
        EXPECT_LE(s.at(key)[k].as_double(), 1.0) << key;
      }
      // Curves over more evaluations never go down.
      EXPECT_LE(s.at(key)[0].as_double(), s.at(key)[1].as_double()) << key;
    }
    for (const char* key : {"hypervolume", "best_accuracy"}) {
      ASSERT_EQ(s.at(key).size(), 2u) << key;  // per seed
      for (std::size_t seed = 0; seed < 2; ++seed) EXPECT_EQ(s.at(key)[seed].size(), 2u) << key;
    }
    for (int seed = 0; seed < 2; ++seed)
      EXPECT_EQ(complete_lines(out + "/" + names[i] + "-s" + std::to_string(seed) + "/evaluations.jsonl"), 8u);
  }
  // The seeds are different searches.
  EXPECT_NE(text(out + "/evolution-s0/evaluations.jsonl"), text(out + "/evolution-s1/evaluations.jsonl"));

  const std::string csv = text(out + "/compare.csv");
  EXPECT_EQ(csv.rfind("strategy,evaluations,median_hypervolume,median_best_accuracy\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;  // header + 2 strategies x 2 points
  for (const char* svg : {"hypervolume.svg", "best_accuracy.svg"}) {
    ASSERT_TRUE(core::is_regular_file(out + "/" + svg)) << svg;
    EXPECT_NE(text(out + "/" + svg).find("<svg"), std::string::npos) << svg;
  }

  // A rerun resumes every (strategy, seed) with nothing left to score: the logs stay as they
  // are (a rescored candidate would carry new seconds) and the curves come out the same.
  std::map<std::string, std::string> logs;
  for (const auto& n : names)
    for (const char* s : {"-s0", "-s1"}) logs[n + s] = text(out + "/" + n + s + "/evaluations.jsonl");
  const auto t1 = std::chrono::steady_clock::now();
  run(args);
  const double rerun_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_EQ(text(out + "/compare.json"), json);
  for (const auto& [dir, log] : logs) EXPECT_EQ(text(out + "/" + dir + "/evaluations.jsonl"), log) << dir;
  std::printf("compare: first run %.1f s, rerun %.1f s\n", first_s, rerun_s);
}

TEST_F(OneShotCli, CompareRefusesAnUnknownStrategyAndAZeroBudget) {
  auto out = run(cli({"sparsenas", "compare"}, {"--strategies", "random,foo"}), 2);
  EXPECT_NE(out.find("'foo'"), std::string::npos) << out;
  out = run(cli({"sparsenas", "compare"}, {"--strategies", "random,evolution", "--evaluations", "random=0"}), 2);
  EXPECT_NE(out.find("--evaluations"), std::string::npos) << out;
  EXPECT_NE(out.find("random=0"), std::string::npos) << out;
  out = run(cli({"sparsenas", "compare"}, {"--strategies", "random", "--evaluations", "nsga2=5"}), 2);
  EXPECT_NE(out.find("'nsga2' is not one of the compared strategies"), std::string::npos) << out;
}
#endif
