// SparseNAS end to end through the real CLI on a small Fashion-MNIST subset, on a supernet
// `tinynas train` wrote: stage 1 survives a kill without redoing finished candidates and
// refuses resumes that would mix two searches, its winner is a loadable saved subnet;
// stage 2 fine-tunes it into final/; two processes search with rank 0 alone writing.
#include <gtest/gtest.h>

#include <filesystem>

#include "nas/search_fixtures.h"
#include "tinynas/core/fs.h"
#include "tinynas/nas/saved_subnet.h"
#include "tinynas/nas/sparse_search.h"
#include "tinynas/train/checkpoint.h"

using namespace tinynas;
namespace fs = std::filesystem;
using tinynas::testing::has_checkpoint;
using tinynas::testing::read_jsonl;

namespace {

class SparseSearch : public tinynas::testing::CliSearchTest {
 protected:
  void SetUp() override {
    recipe_ = dir_.write("recipe.yaml", std::string() +
        "base: " + tinynas::testing::source_dir() + "/recipes/quickstart.yaml\n"
        "data: {train_limit: 640, test_limit: 32, val_fraction: 0.1, workers: 0}\n"
        "space: {file: " + tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml, supernet: '" +
        tinynas::testing::kSmallSupernet + "'}\n"
        "train: {batch_size: 32, warmup_epochs: 0, eval_paths: 0, bn_recal_batches: 2,\n"
        "        threads: 1, log_every: 10, checkpoint_every: 4}\n"
        "sparsenas: {candidates: 3, epochs: 1, finetune_epochs: 1, agp_frequency: 2}\n"
        "distributed: {timeout_s: 60}\n"
        "run: {dir: " + dir_.file("runs") + ", name: s}\n");
    // The supernet to search: a couple of SPOS steps are enough for the mechanics.
    run({TINYNAS_CLI, "train", recipe_, "--quiet", "--set", "train.max_steps=2"});
  }

  std::vector<std::string> args(const std::string& sub, std::vector<std::string> extra = {}) {
    return cli({"sparsenas", sub}, std::move(extra));
  }

  std::string out_dir() { return dir_.file("runs/s/sparsenas"); }
};

}  // namespace

TEST_F(SparseSearch, KilledSearchResumesThenFinetunes) {
  const std::string log_path = out_dir() + "/candidates.jsonl";
  const std::string first_metrics = kill_during_second_candidate(args("search"), out_dir());
  ASSERT_FALSE(first_metrics.empty());

  auto out = run(args("search"), 1);
  EXPECT_NE(out.find("already holds a search"), std::string::npos) << out;
  out = run(args("search", {"--resume", "--set", "sparsenas.agp_end=0.6"}), 1);
  EXPECT_NE(out.find("sparsenas.agp_end: 0.7 in " + out_dir() + "/search.json, 0.6 now"),
            std::string::npos)
      << out;
  EXPECT_EQ(read_jsonl(log_path).size(), 1u);

  out = run(args("search", {"--resume"}));
  EXPECT_NE(out.find("candidate 1/3: finished in an earlier run, skipped"), std::string::npos) << out;
  EXPECT_NE(out.find("resuming from " + out_dir() + "/candidates/1/ckpt-"), std::string::npos) << out;
  EXPECT_EQ(core::read_text_file(out_dir() + "/candidates/0/metrics.jsonl"), first_metrics);

  const auto records = read_jsonl(log_path);
  ASSERT_EQ(records.size(), 3u);
  int evaluated = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto c = nas::sparse_candidate_from_json(records[i], "candidates.jsonl");
    EXPECT_EQ(c.index, int(i));
    EXPECT_GE(c.draws, 1);
    if (c.status != "evaluated") continue;
    ++evaluated;
    EXPECT_LE(c.peak_sram, 64 * 1024);
    EXPECT_LE(c.flash, 256 * 1024);
    EXPECT_GE(c.dense_accuracy, 0.0);
    EXPECT_GE(c.pruned_accuracy, 0.0);
    EXPECT_EQ(c.zero_blocks, c.target_blocks) << c.sparse;
    ASSERT_TRUE(core::is_regular_file(c.checkpoint)) << c.checkpoint;
    EXPECT_EQ(c.train_steps, train::read_checkpoint(c.checkpoint).info.steps_per_epoch);  // 1 epoch
  }
  EXPECT_GE(evaluated, 1);

  // best.json, best/ and the summary agree on the winner.
  const auto best = core::Json::parse(core::read_text_file(out_dir() + "/best.json"), "best.json");
  const auto winner = nas::sparse_candidate_from_json(
      records[std::size_t(best.at("candidate").as_int())], "candidates.jsonl");
  for (const auto& r : records) {
    const auto c = nas::sparse_candidate_from_json(r, "");
    if (c.status == "evaluated") {
      EXPECT_LE(c.pruned_accuracy, winner.pruned_accuracy);
    }
  }
  const auto def = tinynas::testing::tinyformer_space();
  const auto saved = nas::load_subnet(out_dir() + "/best", def);
  EXPECT_EQ(saved.info.at("arch").as_string(), winner.arch);
  EXPECT_EQ(saved.info.at("sparse").as_string(), winner.sparse);
  EXPECT_EQ(saved.info.at("pruned_accuracy").as_double(), winner.pruned_accuracy);
  EXPECT_NE(out.find("best: " + winner.arch + " " + winner.sparse), std::string::npos) << out;

  // A torn last line is dropped; damage elsewhere names the line.
  const std::string good = core::read_text_file(log_path);
  core::write_file_atomic(log_path, good + "{\"index\": 3, \"ar");
  run(args("search", {"--resume"}));
  EXPECT_EQ(core::read_text_file(log_path), good);
  std::string bad = good;
  bad.replace(bad.find("\"draws\""), 7, "\"drawz\"");
  core::write_file_atomic(log_path, bad);
  out = run(args("search", {"--resume"}), 1);
  EXPECT_NE(out.find("candidates.jsonl:1: key 'draws'"), std::string::npos) << out;
  core::write_file_atomic(log_path, good);

  // Stage 2: the winner fine-tuned into final/.
  out = run(args("finetune"));
  EXPECT_NE(out.find("fine-tuned " + winner.arch), std::string::npos) << out;
  const auto final_subnet = nas::load_subnet(out_dir() + "/final", def);
  EXPECT_EQ(final_subnet.info.at("stage").as_string(), "finetune");
  EXPECT_EQ(final_subnet.info.at("arch").as_string(), winner.arch);
  EXPECT_EQ(final_subnet.info.at("zero_blocks").as_int(), final_subnet.info.at("target_blocks").as_int());
  EXPECT_TRUE(has_checkpoint(out_dir() + "/finetune"));
  // Run again without --resume: refused; with it: the finished run is restored, not redone.
  out = run(args("finetune"), 1);
  EXPECT_NE(out.find("already holds checkpoints"), std::string::npos) << out;
  run(args("finetune", {"--resume"}));
}

TEST_F(SparseSearch, RunsDataParallelOnTwoProcessesAndCopiesBestWithoutFinetuning) {
  const auto launch = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {TINYNAS_CLI, "launch", "--nproc", "2", "--"});
    a[5] = "tinynas";
    return a;
  };
  const auto out = run(launch(args("search", {"--set", "sparsenas.candidates=1"})));
  EXPECT_NE(out.find("2 process(es) [gloo]"), std::string::npos) << out;
  const auto records = read_jsonl(out_dir() + "/candidates.jsonl");
  ASSERT_EQ(records.size(), 1u);  // rank 0 alone writes
  EXPECT_EQ(records[0].at("status").as_string(), "evaluated");

  run(launch(args("finetune", {"--set", "sparsenas.finetune_epochs=0"})));
  const auto def = tinynas::testing::tinyformer_space();
  auto best = nas::load_subnet(out_dir() + "/best", def);
  auto copy = nas::load_subnet(out_dir() + "/final", def);
  EXPECT_EQ(copy.info, best.info);
  const auto x = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(copy.model->forward(x), best.model->forward(x)));
}

TEST_F(SparseSearch, WithoutASupernetNamesBothPlaces) {
  const auto out = run(args("search", {"--set", "run.name=empty"}), 1);
  EXPECT_NE(out.find("runs/empty/supernas/best.json"), std::string::npos) << out;
  EXPECT_NE(out.find("runs/empty/supernet"), std::string::npos) << out;
}
