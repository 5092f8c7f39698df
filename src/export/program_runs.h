// Running the programs of an exported project (internal to the export layer): shell
// commands with a time limit, and the output format of main_host.c / main_m7.c.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinynas::exporter {

/// `s` quoted for sh.
std::string quote(const std::string& s);

struct CommandResult {
  int status = -1;  ///< exit status; 124 = timed out
  std::string output;
};

/// Runs `cmd` through sh with stderr folded into stdout and a time limit.
CommandResult run_command(const std::string& cmd, int timeout_s);
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
