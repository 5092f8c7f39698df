// Running the programs of an exported project (internal to the export layer): commands
// (make, the built programs, binutils) with a time limit, through core/process.h, and the
// output format of main_host.c / main_m7.c.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinynas::exporter {

struct CommandResult {
  std::string command;  ///< the command line, for messages (core::command_line)
  int status = -1;      ///< exit status (128 + N when killed by signal N); 124 = timed out
  std::string output;   ///< stdout and stderr, interleaved
  std::string ended;    ///< how it ended: "exited with status 2", "timed out after 600 s", ...

  bool ok() const { return status == 0; }
};

/// Runs `argv` (no shell: each word is one argument as given) in directory `dir` (empty:
/// the current one) with stdout and stderr captured together and a time limit.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s,
                          const std::string& dir = "");
/// Throws core::Error "<context>: '<command>' <how it ended>:\n<the output's tail>" unless
/// the command succeeded.
void require_success(const CommandResult& r, const std::string& context);
/// make with `args` (targets, VAR=value) and -jN, N = core::usable_cores(): the project's
/// rules are parallel-safe, and its two dozen compiles are most of verify's time.
std::vector<std::string> make_command(const std::vector<std::string>& args);
/// Whether `name` is an executable in PATH.
bool have_program(const std::string& name);
/// The last `n` characters of `s` (for error messages quoting a tool's output).
std::string tail(const std::string& s, std::size_t n = 3000);

struct OpLine {
  std::string kind;
  std::int64_t icount = 0;
};

struct RunLine {
  int cls = -1;
  std::vector<int> logits;
  std::int64_t icount = -1;
  std::map<int, OpLine> ops;  ///< --profile
};

/// Lines "image <i>: class <c> logits <l0> <l1> ..."; an "icount <n>" line and the
/// "op <k> <kind> icount <n>" lines belong to the image line before them,
/// "invoke_stack <bytes>" and "profile_overhead <n>" to the run; other lines are ignored.
struct Run {
  std::map<int, RunLine> images;
  std::int64_t invoke_stack = -1;
  std::int64_t profile_overhead = -1;
};

Run parse_run(const std::string& out);

}  // namespace tinynas::exporter
