// SuperNAS Algorithm 2 end to end through the real CLI on a Fashion-MNIST subset: a short
// search writes its files, survives a kill without redoing finished candidates, and
// refuses resumes that would mix two searches.
#include <gtest/gtest.h>

#include <filesystem>

#include "nas/search_fixtures.h"
#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/nas/supernet_search.h"
#include "train/train_fixtures.h"

using namespace tinynas;
namespace fs = std::filesystem;

namespace {

using tinynas::testing::read_jsonl;

class SupernetSearch : public tinynas::testing::CliSearchTest {
 protected:
  void SetUp() override {
    recipe_ = dir_.write("recipe.yaml", std::string() +
        "base: " + tinynas::testing::source_dir() + "/recipes/quickstart.yaml\n"
        "data: {train_limit: 640, test_limit: 64, val_fraction: 0.1, workers: 0}\n"
        "train: {batch_size: 32, warmup_epochs: 0, eval_paths: 1, bn_recal_batches: 2,\n"
        "        threads: 1, log_every: 10, checkpoint_every: 4}\n"
        "supernas: {supernets: 3, epochs: 1, test_paths: 20, paths: 2, sparse_configs: 2}\n"
        "distributed: {timeout_s: 60}\n"
        "run: {dir: " + dir_.file("runs") + ", name: s}\n");
  }

  std::vector<std::string> args(std::vector<std::string> extra = {}) {
    return cli({"supernas", "search"}, std::move(extra));
  }

  std::string out_dir() { return dir_.file("runs/s/supernas"); }
};

}  // namespace

TEST_F(SupernetSearch, KilledSearchResumesWithoutRedoingFinishedCandidates) {
  const std::string log_path = out_dir() + "/candidates.jsonl";
  const std::string first_metrics = kill_during_second_candidate(args(), out_dir());
  ASSERT_FALSE(first_metrics.empty());

  // Without --resume the directory is refused, and nothing is changed.
  auto out = run(args(), 1);
  EXPECT_NE(out.find("already holds a search"), std::string::npos) << out;
  EXPECT_EQ(read_jsonl(log_path).size(), 1u);

  // Nor is a resume under settings that score candidates differently.
  out = run(args({"--resume", "--set", "run.sram_kb=32"}), 1);
  EXPECT_NE(out.find("run.sram_kb: 64 in " + out_dir() + "/search.json, 32 now"), std::string::npos)
      << out;

  out = run(args({"--resume"}));
  EXPECT_NE(out.find("candidate 1/3 "), std::string::npos) << out;
  EXPECT_NE(out.find(": finished in an earlier run, skipped"), std::string::npos) << out;
  EXPECT_NE(out.find("resuming from " + out_dir() + "/candidates/1/ckpt-"), std::string::npos) << out;
  // Candidate 0 was not retrained: its training log is exactly as the killed run left it.
  EXPECT_EQ(core::read_text_file(out_dir() + "/candidates/0/metrics.jsonl"), first_metrics);

  const auto records = read_jsonl(log_path);
  ASSERT_EQ(records.size(), 3u);
  int evaluated = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto c = nas::candidate_from_json(records[i], "candidates.jsonl");
    EXPECT_EQ(c.index, int(i));
    EXPECT_EQ(c.test.sampled, 20);
    if (c.status != "evaluated") continue;
    ++evaluated;
    EXPECT_TRUE(core::is_regular_file(c.checkpoint)) << c.checkpoint;
    ASSERT_EQ(c.paths.size(), 2u);
    double sum = 0;
    int scored = 0;
    for (const auto& p : c.paths) {
      // A path whose activations alone exceed the SRAM limit has no fitting config.
      EXPECT_LE(p.configs.size(), 2u) << p.arch;
      EXPECT_GE(p.draws, int(p.configs.size()));
      if (p.configs.empty()) {
        EXPECT_EQ(p.mean_accuracy, -1) << p.arch;
        EXPECT_EQ(p.draws, 40) << p.arch;  // gave up after 20 draws per wanted config
        continue;
      }
      double psum = 0;
      for (const auto& s : p.configs) {
        EXPECT_GE(s.accuracy, 0.0) << s.sparse;
        EXPECT_LE(s.accuracy, 1.0) << s.sparse;
        EXPECT_LE(s.peak_sram, 64 * 1024);
        EXPECT_LE(s.flash, 256 * 1024);
        psum += s.accuracy;
      }
      EXPECT_NEAR(p.mean_accuracy, psum / double(p.configs.size()), 1e-12);
      sum += p.mean_accuracy;
      ++scored;
    }
    ASSERT_GT(scored, 0);
    EXPECT_NEAR(c.score, sum / scored, 1e-12);
  }
  EXPECT_GE(evaluated, 1);

  const auto best = core::Json::parse(core::read_text_file(out_dir() + "/best.json"), "best.json");
  const auto winner = nas::candidate_from_json(records[std::size_t(best.at("candidate").as_int())], "");
  EXPECT_EQ(best.at("supernet").as_string(), winner.supernet);
  EXPECT_EQ(best.at("checkpoint").as_string(), winner.checkpoint);
  for (const auto& r : records) {
    const auto c = nas::candidate_from_json(r, "");
    if (c.status == "evaluated") {
      EXPECT_LE(c.score, winner.score);
    }
  }
  EXPECT_NE(out.find("best supernet: " + winner.supernet), std::string::npos) << out;

  // A best.json lost to a kill right after the last record is rewritten on resume.
  core::write_file_atomic(out_dir() + "/best.json", "{}\n");
  out = run(args({"--resume"}));
  EXPECT_EQ(core::Json::parse(core::read_text_file(out_dir() + "/best.json"), "best.json")
                .at("supernet").as_string(),
            winner.supernet);
  EXPECT_EQ(read_jsonl(log_path).size(), 3u);

  // A resume that would sample other supernets is refused before any work.
  out = run(args({"--resume", "--set", "space.file=" + tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml"}), 1);
  EXPECT_NE(out.find("space.file: "), std::string::npos) << out;
}

TEST_F(SupernetSearch, CorruptCandidateLogNamesTheLine) {
  fs::create_directories(out_dir());
  core::write_file_atomic(out_dir() + "/candidates.jsonl",
                          "{\"index\": 0, \"supernet\": \"x\"}\n{\"index\": 1}\n");
  const auto out = run(args({"--resume"}), 1);
  EXPECT_NE(out.find("candidates.jsonl:1: "), std::string::npos) << out;
  EXPECT_NE(out.find("missing key 'status'"), std::string::npos) << out;
}

TEST_F(SupernetSearch, RunsDataParallelOnTwoProcesses) {
  const auto out = run({TINYNAS_CLI, "launch", "--nproc", "2", "--", "tinynas", "supernas", "search",
                        recipe_, "--quiet", "--set", "supernas.supernets=1"});
  EXPECT_NE(out.find("2 process(es) [gloo]"), std::string::npos) << out;
  const auto records = read_jsonl(out_dir() + "/candidates.jsonl");
  ASSERT_EQ(records.size(), 1u);  // rank 0 alone writes
  const auto c = nas::candidate_from_json(records[0], "candidates.jsonl");
  EXPECT_EQ(c.status, "evaluated");
  EXPECT_EQ(c.paths.size(), 2u);
}
