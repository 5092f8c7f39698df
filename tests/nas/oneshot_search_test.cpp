// The one-shot search driver (nas/oneshot_search.h) in process, on a tiny supernet trained
// two SPOS steps on synthetic images: it writes its files, keeps to the evaluation budget,
// a search stopped at a smaller budget (with a torn log line) and resumed to the larger one
// ends with the population.json of one that never stopped, its pick is what stage 2
// fine-tunes, and the pick rules choose the documented points.
#include <gtest/gtest.h>

#include <set>

#include <thread>

#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/torch.h>

#include "data/synthetic.h"
#include "nas/search_fixtures.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/nas/oneshot_search.h"
#include "tinynas/nas/saved_subnet.h"
#include "tinynas/nas/sparse_search.h"
#include "tinynas/train/trainer.h"
#include "train/train_fixtures.h"

using namespace tinynas;
using tinynas::testing::error_of;
using tinynas::testing::read_jsonl;
using tinynas::testing::TempDir;

namespace {

// Random pixels brightened by the label, so a few SPOS steps already tell classes apart and
// candidates score differently (rankings are then about accuracy, not ties).
data::ImageSet learnable(std::size_t n, std::uint64_t seed) {
  auto s = tinynas::testing::random_images(n, 28, 28, 1, 10, seed);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < s.image_bytes(); ++p) {
      auto& v = s.pixels[i * s.image_bytes() + p];
      v = std::uint8_t(v / 4 + 18 * s.labels[i]);
    }
  return s;
}

data::Datasets synthetic_sets() {
  data::Datasets s;
  s.train = learnable(256, 1);
  s.val = learnable(96, 2);
  s.normalization = data::default_normalization("fashion-mnist", 1);
  return s;
}

class OneShotSearch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    sets_ = new data::Datasets(synthetic_sets());
    // The supernet of run "s": a few SPOS steps.
    auto r = recipe();
    r.train.max_steps = 12;
    train::TrainerOptions to;
    to.recipe = r;
    to.out_dir = r.run.dir + "/" + r.run.name + "/supernet";
    to.supernet_text = r.space.supernet;
    to.progress = false;
    train::DistributedGroup single;
    train::SupernetTrainer trainer(to, *sets_, tinynas::testing::small_layout(), single);
    trainer.run();
  }
  static void TearDownTestSuite() {
    delete sets_;
    delete dir_;
  }

  static config::Recipe recipe() {
    const auto def = tinynas::testing::tinyformer_space();
    config::Recipe r;
    r.data.workers = 0;
    r.space.supernet = space::to_string(space::parse_supernet(tinynas::testing::kSmallSupernet, def), def);
    r.train.epochs = 1;
    r.train.batch_size = 32;
    r.train.warmup_epochs = 0;
    r.train.eval_paths = 0;
    r.train.bn_recal_batches = 2;
    r.train.threads = 1;
    r.train.device = "cpu";
    r.run.dir = dir_->file("runs");
    r.run.name = "s";
    r.sparsenas.strategy = "evolution";
    r.sparsenas.population = 4;
    r.sparsenas.parents = 2;
    r.sparsenas.generations = 10;
    r.sparsenas.evaluations = 12;
    r.sparsenas.fitness_images = 48;
    r.sparsenas.finetune_epochs = 1;
    return r;
  }

  nas::OneShotSearchOptions options(const std::string& out, int evaluations, bool resume = false) {
    nas::OneShotSearchOptions o;
    o.recipe = recipe();
    o.recipe.sparsenas.evaluations = evaluations;
    o.out_dir = dir_->file(out);
    o.resume = resume;
    o.progress = false;
    return o;
  }

  nas::OneShotSearchResult search(const nas::OneShotSearchOptions& o) {
    train::DistributedGroup single;
    return nas::search_oneshot(o, *sets_, tinynas::testing::tinyformer_space(), single);
  }

  static std::string text(const std::string& path) { return core::read_text_file(path); }

  static TempDir* dir_;
  static data::Datasets* sets_;
};
TempDir* OneShotSearch::dir_ = nullptr;
data::Datasets* OneShotSearch::sets_ = nullptr;

nas::Scored point(double accuracy, double latency) {
  nas::Scored s;
  s.objectives.accuracy = accuracy;
  s.objectives.latency_ms = latency;
  return s;
}

}  // namespace

TEST_F(OneShotSearch, WritesItsFilesWithinTheBudgetAndResumesAsIfUninterrupted) {
  const auto whole = search(options("whole", 12));
  const std::string w = dir_->file("whole");
  // Budget: 12 evaluations = generations 0, 1, 2 of 4.
  ASSERT_EQ(whole.evaluations.size(), 12u);
  EXPECT_EQ(whole.generations, 3);
  EXPECT_EQ(whole.resumed, 0);
  const auto log = read_jsonl(w + "/evaluations.jsonl");
  ASSERT_EQ(log.size(), 12u);
  const auto layout = tinynas::testing::small_layout();
  const auto limits = cost::Limits::from_kb(64, 256);
  for (std::size_t i = 0; i < log.size(); ++i) {
    const auto e = nas::oneshot_evaluation_from_json(log[i], "evaluations.jsonl");
    EXPECT_EQ(e.evaluation, int(i));
    EXPECT_EQ(e.generation, int(i / 4));
    EXPECT_EQ(e.index, int(i % 4));
    EXPECT_GE(e.objectives.accuracy, 0.0);
    EXPECT_LE(e.objectives.accuracy, 1.0);
    // Scored on 48 images: a multiple of 1/48.
    EXPECT_NEAR(e.objectives.accuracy * 48, std::round(e.objectives.accuracy * 48), 1e-9);
    const auto arch = space::parse_arch(e.arch, layout);
    const auto sparse = space::parse_sparse(e.sparse, layout);
    // The search stores each layer as the recipe's export.storage says ('fast' by default).
    const auto c = cost::evaluate_path(layout, arch, &sparse, cost::cost_options_of(recipe()));
    EXPECT_TRUE(cost::fits(c, limits));
    EXPECT_EQ(e.objectives.flash, c.flash);
    EXPECT_EQ(e.objectives.peak_sram, c.peak_sram);
    EXPECT_EQ(e.macs, c.macs);
    EXPECT_GT(e.objectives.latency_ms, 0.0);  // the cost model's prediction at export.mcu_mhz
  }
  // Candidates score apart (the resume check below is then about rankings, not ties).
  std::set<double> accuracies;
  for (const auto& e : whole.evaluations) accuracies.insert(e.objectives.accuracy);
  EXPECT_GE(accuracies.size(), 4u);
  const auto hv = read_jsonl(w + "/hv.jsonl");
  ASSERT_EQ(hv.size(), 3u);
  for (std::size_t g = 0; g < hv.size(); ++g) {
    EXPECT_EQ(hv[g].at("generation").as_int(), std::int64_t(g));
    EXPECT_EQ(hv[g].at("evaluations").as_int(), std::int64_t(4 * (g + 1)));
    if (g > 0) {
      EXPECT_GE(hv[g].at("hypervolume").as_double(), hv[g - 1].at("hypervolume").as_double());
    }
  }
  const auto pop = core::Json::parse(text(w + "/population.json"), "population.json");
  EXPECT_EQ(pop.at("generation").as_int(), 2);
  EXPECT_EQ(pop.at("population").elements().size(), 4u);
  EXPECT_NE(text(w + "/pareto.csv").find("evaluation,generation,index,arch"), std::string::npos);
  const auto settings = core::Json::parse(text(w + "/search.json"), "search.json");
  EXPECT_GT(settings.at("latency_reference_ms").as_double(), 0.0);
  EXPECT_EQ(settings.at("strategy").as_string(), "evolution");

  // The pick (best): the most accurate evaluation, saved as stage 1 saves its winner.
  ASSERT_GE(whole.best, 0);
  for (const auto& e : whole.evaluations)
    EXPECT_LE(e.objectives.accuracy, whole.evaluations[std::size_t(whole.best)].objectives.accuracy);
  const auto best = core::Json::parse(text(w + "/best.json"), "best.json");
  EXPECT_EQ(best.at("arch").as_string(), whole.evaluations[std::size_t(whole.best)].arch);
  EXPECT_EQ(best.at("pruned_accuracy").as_double(), whole.evaluations[std::size_t(whole.best)].objectives.accuracy);
  const auto saved = nas::load_subnet(w + "/best", tinynas::testing::tinyformer_space());
  EXPECT_EQ(saved.info.at("sparse").as_string(), best.at("sparse").as_string());
  EXPECT_EQ(saved.info.at("zero_blocks").as_int(), saved.info.at("target_blocks").as_int());

  // Again without resume: refused. Stopped at 6 (generation 1 cut short), a torn line, then
  // resumed to 12: the same population.json, hv.jsonl, pareto.csv and scores.
  EXPECT_NE(error_of([&] { search(options("whole", 12)); }).find("already holds a search"), std::string::npos);
  const std::string p = dir_->file("parts");
  const auto first = search(options("parts", 6));
  EXPECT_EQ(first.evaluations.size(), 6u);
  EXPECT_EQ(core::Json::parse(text(p + "/population.json"), "").at("generation").as_int(), 0);
  core::write_file_atomic(p + "/evaluations.jsonl", text(p + "/evaluations.jsonl") + "{\"evaluation\": 6, \"gen");
  auto changed = options("parts", 12, true);
  changed.recipe.sparsenas.parents = 3;
  EXPECT_NE(error_of([&] { search(changed); }).find("sparsenas.parents"), std::string::npos);
  const auto resumed = search(options("parts", 12, true));
  EXPECT_EQ(resumed.resumed, 6);
  EXPECT_EQ(text(p + "/population.json"), text(w + "/population.json"));
  EXPECT_EQ(text(p + "/hv.jsonl"), text(w + "/hv.jsonl"));
  EXPECT_EQ(text(p + "/pareto.csv"), text(w + "/pareto.csv"));
  const auto plog = read_jsonl(p + "/evaluations.jsonl");
  ASSERT_EQ(plog.size(), log.size());
  for (std::size_t i = 0; i < log.size(); ++i) {
    auto a = log[i], b = plog[i];
    a.erase("seconds");
    b.erase("seconds");
    EXPECT_EQ(a.dump(), b.dump()) << i;
  }
  EXPECT_EQ(resumed.best, whole.best);
}

TEST_F(OneShotSearch, StageOneDispatchesToItAndStageTwoFinetunesThePick) {
  nas::SparseSearchOptions o;
  o.recipe = recipe();
  o.recipe.sparsenas.strategy = "nsga2";
  o.recipe.sparsenas.evaluations = 8;
  o.recipe.sparsenas.pick = "knee";
  o.out_dir = dir_->file("stage");
  o.progress = false;
  train::DistributedGroup single;
  const auto def = tinynas::testing::tinyformer_space();
  const auto r = nas::search_sparse(o, *sets_, def, single);
  ASSERT_EQ(r.candidates.size(), 8u);
  ASSERT_GE(r.best, 0);
  EXPECT_EQ(r.candidates[0].status, "evaluated");
  EXPECT_TRUE(core::is_regular_file(o.out_dir + "/evaluations.jsonl"));
  EXPECT_FALSE(core::is_regular_file(o.out_dir + "/candidates.jsonl"));
  const auto f = nas::finetune_sparse(o, *sets_, def, single);
  EXPECT_EQ(f.arch, r.candidates[std::size_t(r.best)].arch);
  EXPECT_EQ(f.stage1_accuracy, r.candidates[std::size_t(r.best)].pruned_accuracy);
  const auto final_subnet = nas::load_subnet(o.out_dir + "/final", def);
  EXPECT_EQ(final_subnet.info.at("stage").as_string(), "finetune");

  // pick fastest above anything reached names the key.
  auto strict = options("strict", 4);
  strict.recipe.sparsenas.pick = "fastest";
  strict.recipe.sparsenas.pick_accuracy = 1.0;
  EXPECT_NE(error_of([&] { search(strict); }).find("sparsenas.pick_accuracy"), std::string::npos);
}

TEST_F(OneShotSearch, TwoRanksScoreAlikeAndRankZeroAloneWrites) {
  // Ranks as threads over a HashStore: the validation split is sharded, the scores are
  // all-reduced, so both ranks propose, score and pick alike.
  auto store = c10::make_intrusive<c10d::HashStore>();
  std::vector<nas::OneShotSearchResult> results(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        train::DistributedGroup g(store, r, 2, "gloo", std::chrono::seconds(60));
        results[std::size_t(r)] =
            nas::search_oneshot(options("two", 8), *sets_, tinynas::testing::tinyformer_space(), g);
      } catch (const std::exception& e) {
        errors[std::size_t(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  ASSERT_EQ(results[0].evaluations.size(), 8u);
  ASSERT_EQ(results[1].evaluations.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(results[0].evaluations[i].arch, results[1].evaluations[i].arch);
    EXPECT_EQ(results[0].evaluations[i].objectives.accuracy, results[1].evaluations[i].objectives.accuracy);
  }
  EXPECT_EQ(results[0].best, results[1].best);
  EXPECT_EQ(read_jsonl(dir_->file("two/evaluations.jsonl")).size(), 8u);
}

TEST(OneShotPick, BestKneeAndFastest) {
  // Accuracy / latency front: (0.9, 10), (0.85, 4), (0.5, 2), (0.4, 1); (0.6, 9) dominated.
  const std::vector<nas::Scored> s = {point(0.5, 2), point(0.9, 10), point(0.6, 9),
                                      point(0.85, 4), point(0.4, 1), point(0.9, 10)};
  EXPECT_EQ(nas::pick_point(s, "best", 0), 1);  // ties: the earlier
  EXPECT_EQ(nas::pick_point(s, "knee", 0), 3);
  EXPECT_EQ(nas::pick_point(s, "fastest", 0), 4);
  EXPECT_EQ(nas::pick_point(s, "fastest", 0.55), 3);
  EXPECT_EQ(nas::pick_point(s, "fastest", 0.9), 1);
  EXPECT_NE(error_of([&] { nas::pick_point(s, "fastest", 0.95); }).find("sparsenas.pick_accuracy"),
            std::string::npos);
  EXPECT_EQ(nas::pick_point({}, "best", 0), -1);
  // A front of two points: the most accurate.
  EXPECT_EQ(nas::pick_point({point(0.5, 1), point(0.7, 3)}, "knee", 0), 1);
}
