#include "tinynas/core/process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tinynas/core/fs.h"

using namespace tinynas;

TEST(RunCaptured, CapturesStdoutAndStderrTogetherWithTheExitStatus) {
  const auto r = core::run_captured({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit.shell_status(), 3);
  EXPECT_EQ(r.describe({}), "exited with status 3");
}

// No shell in between: quotes, spaces and $ reach the program as given.
TEST(RunCaptured, PassesArgumentsWithoutAShell) {
  const auto r = core::run_captured({"printf", "%s|", "a b", "'q'", "$HOME", ""});
  EXPECT_TRUE(r.ok()) << r.output;
  EXPECT_EQ(r.output, "a b|'q'|$HOME||");
}

TEST(RunCaptured, RunsInTheGivenDirectoryWithStdinEmpty) {
  tinynas::testing::TempDir dir;
  core::write_file_atomic(dir.file("here.txt"), std::string("x"));
  core::CaptureOptions o;
  o.dir = dir.path();
  const auto r = core::run_captured({"sh", "-c", "ls; cat"}, o);  // cat reads /dev/null: no wait
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.output, "here.txt\n");
}

TEST(RunCaptured, AMissingProgramExits127WithTheReason) {
  const auto r = core::run_captured({"no-such-program-tinynas", "x"});
  EXPECT_EQ(r.exit.shell_status(), 127);
  EXPECT_NE(r.output.find("cannot run 'no-such-program-tinynas': No such file or directory"), std::string::npos)
      << r.output;
}

// The whole process group stops at the limit, the shell's child (sleep) included: the pipe
// closes and the call returns long before the sleep would end.
TEST(RunCaptured, StopsTheProcessGroupAtTheTimeLimit) {
  core::CaptureOptions o;
  o.timeout_s = 1;
  const auto start = std::chrono::steady_clock::now();
  const auto r = core::run_captured({"sh", "-c", "echo started; sleep 30; echo never"}, o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.output, "started\n");
  EXPECT_EQ(r.describe(o), "timed out after 1 s");
  EXPECT_LT(took, std::chrono::seconds(1 + core::CaptureOptions::kGraceSeconds));
}

TEST(RunCaptured, ASignalIsReported) {
  const auto r = core::run_captured({"sh", "-c", "kill -9 $$"});
  EXPECT_TRUE(r.exit.signaled);
  EXPECT_EQ(r.exit.shell_status(), 128 + 9);
  EXPECT_EQ(r.describe({}), "killed by signal SIGKILL");
}

TEST(RunCaptured, RefusesAnEmptyCommand) { EXPECT_THROW(core::run_captured({}), std::exception); }

TEST(CommandLine, QuotesOnlyWordsAShellWouldChange) {
  EXPECT_EQ(core::command_line({"make", "-s", "run-m7", "IMAGES=verify/images.bin"}),
            "make -s run-m7 IMAGES=verify/images.bin");
  EXPECT_EQ(core::command_line({"cat", "a b", "it's", "", "$X"}), "cat 'a b' 'it'\\''s' '' '$X'");
}

TEST(FindProgram, LooksInPath) {
  EXPECT_NE(core::find_program("sh"), "");
  EXPECT_EQ(core::find_program("no-such-program-tinynas"), "");
  EXPECT_EQ(core::find_program("/bin/sh"), "/bin/sh");
  EXPECT_EQ(core::find_program("/no/such/sh"), "");
}
