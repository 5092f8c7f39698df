// Shared helpers of the search tests that run the real CLI (supernas search, sparsenas
// search|finetune): reading what a search wrote while it runs, and running the CLI to the
// end with its output captured.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "train/train_fixtures.h"

namespace tinynas::testing {

/// Complete lines only: a writer may be in the middle of the next one.
inline std::size_t complete_lines(const std::string& path) {
  if (!core::is_regular_file(path)) return 0;
  const auto text = core::read_text_file(path);
  return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

/// True when `dir` holds a committed training checkpoint (a ckpt-*.json sidecar).
inline bool has_checkpoint(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json" && e.path().filename().string().rfind("ckpt-", 0) == 0)
      return true;
  return false;
}

inline std::vector<core::Json> read_jsonl(const std::string& path) {
  std::vector<core::Json> out;
  std::istringstream in(core::read_text_file(path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(core::Json::parse(line, path));
  return out;
}

/// Runs `argv` to the end (at most 600 s) with its output in `dir`/log-<n>.txt; fails the
/// test on another exit status than `want_status`. Returns the output.
inline std::string run_cli(const TempDir& dir, int& runs, const std::vector<std::string>& argv,
                           int want_status = 0) {
  const std::string log = dir.file("log-" + std::to_string(++runs) + ".txt");
  Child c(argv, {}, log);
  EXPECT_TRUE(c.wait_for(std::chrono::seconds(600))) << "timed out";
  const std::string out = core::read_text_file(log);
  EXPECT_EQ(c.exit_code(), want_status) << out;
  return out;
}

#ifdef TINYNAS_CLI
/// A test that runs `tinynas <words> RECIPE --quiet` on a recipe it writes in SetUp.
class CliSearchTest : public ::testing::Test {
 protected:
  /// {tinynas, words..., the recipe, --quiet, extra...}
  std::vector<std::string> cli(std::vector<std::string> words, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {TINYNAS_CLI};
    a.insert(a.end(), words.begin(), words.end());
    a.insert(a.end(), {recipe_, "--quiet"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string run(const std::vector<std::string>& a, int want_status = 0) {
    return run_cli(dir_, runs_, a, want_status);
  }

  /// Starts the search `argv` writing to `out` and SIGKILLs it once candidate 0 is on
  /// record and candidate 1 has a mid-training checkpoint, so a resume must skip the first
  /// and continue the second. Returns candidate 0's metrics.jsonl as the kill left it ("" and
  /// a test failure when the search ended before it could be killed).
  std::string kill_during_second_candidate(const std::vector<std::string>& argv,
                                           const std::string& out) {
    const std::string log = dir_.file("killed.txt");
    Child c(argv, {}, log);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    while (std::chrono::steady_clock::now() < end && !c.wait_for(std::chrono::milliseconds(10)))
      if (complete_lines(out + "/candidates.jsonl") >= 1 && has_checkpoint(out + "/candidates/1"))
        break;
    if (c.wait_for(std::chrono::milliseconds(0))) {
      ADD_FAILURE() << "the search ended before it could be killed:\n" << core::read_text_file(log);
      return "";
    }
    ::kill(c.pid(), SIGKILL);
    EXPECT_TRUE(c.wait_for(std::chrono::seconds(10)));
    EXPECT_EQ(read_jsonl(out + "/candidates.jsonl").size(), 1u);
    return core::read_text_file(out + "/candidates/0/metrics.jsonl");
  }

  TempDir dir_;
  std::string recipe_;
  int runs_ = 0;
};
#endif

}  // namespace tinynas::testing
