// What `tinynas train` prints when stdout is a file (SLURM, CI, `> log.txt`): progress
// lines while it trains, a status line while each epoch ends with BatchNorm
// recalibration and validation, the summary's img/s equal to the last progress line's,
// and, under `tinynas launch`, every line stamped with the time and rank.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "train/train_fixtures.h"

#ifndef TINYNAS_CLI
#error "TINYNAS_CLI must name the tinynas executable"
#endif

using namespace tinynas;
using namespace std::chrono_literals;

namespace {

class TrainConsole : public ::testing::Test {
 protected:
  void SetUp() override {
    recipe_ = dir_.write("recipe.yaml", std::string() +
        "base: " + tinynas::testing::source_dir() + "/recipes/quickstart.yaml\n"
        "data: {train_limit: 320, test_limit: 64, val_fraction: 0.1, workers: 0}\n"
        "space: {file: " + tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml, supernet: '" +
        tinynas::testing::kSmallSupernet + "'}\n"
        "train: {epochs: 2, batch_size: 32, warmup_epochs: 1, eval_paths: 2,\n"
        "        bn_recal_batches: 2, threads: 1, checkpoint_every: 0}\n"
        "distributed: {timeout_s: 60}\n"
        "run: {dir: " + dir_.file("runs") + ", name: base}\n");
  }

  // Runs `tinynas ARGS` with stdout and stderr in files (not terminals); returns stdout's
  // lines and fills `err` with stderr.
  std::vector<std::string> run(const std::vector<std::string>& args, const std::string& progress,
                               std::string& err) {
    const std::string out_file = dir_.file("out-" + std::to_string(++runs_) + ".txt");
    const std::string err_file = dir_.file("err-" + std::to_string(runs_) + ".txt");
    std::string command = "exec";
    for (const auto& a : args) command += " '" + a + "'";
    command += " > '" + out_file + "' 2> '" + err_file + "'";
    tinynas::testing::Child c({"/bin/sh", "-c", command}, {"TINYNAS_PROGRESS=" + progress},
                              dir_.file("sh.txt"));
    EXPECT_TRUE(c.wait_for(300s)) << "timed out: " << command;
    err = core::read_text_file(err_file);
    const std::string out = core::read_text_file(out_file);
    EXPECT_EQ(c.exit_code(), 0) << out << err;
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }

  tinynas::testing::TempDir dir_;
  std::string recipe_;
  int runs_ = 0;
};

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// Index of the first line containing `what`, or -1.
int find_line(const std::vector<std::string>& lines, const std::string& what, int from = 0) {
  for (int i = from; i < static_cast<int>(lines.size()); ++i)
    if (lines[std::size_t(i)].find(what) != std::string::npos) return i;
  return -1;
}

const std::string kStamp = R"(\[[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\] )";
const std::string kStampRank0 = R"(\[[0-2][0-9]:[0-5][0-9]:[0-5][0-9] rank 0\] )";
// A progress line of a `total`-step run: groups 1 = step, 2 = img/s, 3 = ETA.
std::string progress_pattern(int total) {
  return "train ([0-9]+)/" + std::to_string(total) +
         R"( \([0-9]+%\) epoch [12]/[12] loss [0-9.]+ lr [0-9.e+-]+ img/s ([0-9]+) ETA (--|[0-9hms]+))";
}

// Steps per epoch, from the header line ("..., 8 steps/epoch, 2 epochs").
int steps_per_epoch(const std::vector<std::string>& lines) {
  std::smatch m;
  for (const auto& l : lines)
    if (std::regex_search(l, m, std::regex(R"(, ([0-9]+) steps/epoch, )"))) return std::stoi(m[1]);
  ADD_FAILURE() << "no header line";
  return 1;
}

}  // namespace

TEST_F(TrainConsole, PipedOutputHasProgressLinesStatusLinesAndOneImagesPerSecond) {
  std::string err;
  const auto lines = run({TINYNAS_CLI, "train", recipe_}, "lines:0", err);
  const std::string all = joined(lines);
  EXPECT_EQ(all.find('\r'), std::string::npos) << all;
  EXPECT_EQ(all.find('\x1b'), std::string::npos) << all;
  EXPECT_EQ(all.find('?'), std::string::npos) << all;
  EXPECT_EQ(all.find("[none]"), std::string::npos) << all;
  EXPECT_NE(all.find(": 1 process x accumulate 1, batch 32, "), std::string::npos) << all;
  EXPECT_EQ(err, "");  // progress goes to stdout, with the rest of the log
  const int per_epoch = steps_per_epoch(lines);
  const int total = 2 * per_epoch;

  // Interval 0: a stamped line for every step, ETA "--" before a rate exists.
  const std::regex progress("^" + kStamp + progress_pattern(total) + "$");
  std::vector<int> at;
  std::string last_rate;
  for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[std::size_t(i)], m, progress)) continue;
    at.push_back(i);
    EXPECT_EQ(m[1].str(), std::to_string(at.size())) << lines[std::size_t(i)];
    if (at.size() == 1) {
      EXPECT_EQ(m[3].str(), "--");
    } else {
      EXPECT_NE(m[3].str(), "--") << lines[std::size_t(i)];
    }
    last_rate = m[2].str();
  }
  ASSERT_EQ(at.size(), std::size_t(total)) << all;

  // Each epoch end: a status line per evaluated path between the epoch's last step and
  // its accuracy line.
  for (int epoch = 1; epoch <= 2; ++epoch) {
    const std::string e = "epoch " + std::to_string(epoch) + "/2";
    const int last_step = at[std::size_t(per_epoch * epoch - 1)];
    const int path1 = find_line(lines, e + ": path 1/2: BatchNorm recalibration (2 batches) and validation...");
    const int path2 = find_line(lines, e + ": path 2/2: BatchNorm recalibration (2 batches) and validation...");
    const int result = find_line(lines, e + ": val accuracy ");
    ASSERT_GE(path1, 0) << all;
    EXPECT_LT(last_step, path1) << all;
    EXPECT_LT(path1, path2) << all;
    EXPECT_LT(path2, result) << all;
    EXPECT_TRUE(std::regex_match(lines[std::size_t(path1)], std::regex("^" + kStamp + ".*")));
    EXPECT_TRUE(std::regex_match(lines[std::size_t(result)], std::regex("^" + kStamp + ".*")));
  }

  // The summary repeats the last progress line's rate (same definition, same rounding).
  const std::string n = std::to_string(total);
  const int summary = find_line(lines, "trained " + n + " steps (" + n + " in this run) at ");
  ASSERT_GT(summary, at.back()) << all;
  EXPECT_NE(lines[std::size_t(summary)].find(" at " + last_rate + " images/s"), std::string::npos)
      << lines[std::size_t(summary)] << " vs img/s " << last_rate;
}

TEST_F(TrainConsole, OffAndQuietPrintNoProgress) {
  struct Case {
    std::string progress;
    bool quiet;
  };
  for (const Case& c : {Case{"off", false}, Case{"lines:0", true}}) {
    std::vector<std::string> args = {TINYNAS_CLI, "train", recipe_, "--set",
                                     "run.name=" + c.progress.substr(0, 3), "--set",
                                     "train.epochs=1"};
    if (c.quiet) args.push_back("--quiet");
    std::string err;
    const auto all = joined(run(args, c.progress, err));
    EXPECT_EQ(all.find("train 1/"), std::string::npos) << all;
    EXPECT_EQ(all.find("BatchNorm recalibration"), std::string::npos) << all;
    EXPECT_NE(all.find("trained "), std::string::npos) << all;
  }
}

TEST_F(TrainConsole, ABadProgressSettingFailsNamingTheVariable) {
  const std::string log = dir_.file("bad.txt");
  tinynas::testing::Child c({TINYNAS_CLI, "train", recipe_}, {"TINYNAS_PROGRESS=lines:soon"}, log);
  ASSERT_TRUE(c.wait_for(120s));
  EXPECT_EQ(c.exit_code(), 1);
  const auto out = core::read_text_file(log);
  EXPECT_NE(out.find("TINYNAS_PROGRESS='lines:soon'"), std::string::npos) << out;
  EXPECT_NE(out.find("valid: auto, bar, lines, off"), std::string::npos) << out;
}

TEST_F(TrainConsole, UnderLaunchEveryLineCarriesTheTimeAndRank) {
  std::string err;
  const auto lines = run({TINYNAS_CLI, "launch", "--nproc", "2", "--", TINYNAS_CLI, "train",
                          recipe_, "--set", "run.name=dp", "--set", "train.epochs=1"},
                         "lines:0", err);
  const std::string all = joined(lines);
  ASSERT_NE(find_line(lines, "trained "), -1) << all << err;
  const std::regex stamped("^" + kStampRank0 + ".*");
  for (const auto& l : lines) EXPECT_TRUE(std::regex_match(l, stamped)) << l;
  EXPECT_NE(find_line(lines, "2 process(es) [gloo]"), -1) << all;
  const std::string n = std::to_string(steps_per_epoch(lines));
  EXPECT_NE(find_line(lines, "train " + n + "/" + n + " (100%)"), -1) << all;
  EXPECT_NE(find_line(lines, "epoch 1/1: path 2/2: BatchNorm recalibration"), -1) << all;
}
