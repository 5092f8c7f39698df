#include "program_runs.h"

#include <cstdlib>
#include <sstream>

#include "tinynas/core/error.h"
#include "tinynas/core/process.h"

namespace tinynas::exporter {

CommandResult run_command(const std::vector<std::string>& argv, int timeout_s, const std::string& dir) {
  core::CaptureOptions o;
  o.dir = dir;
  o.timeout_s = timeout_s;
  core::CapturedRun run = core::run_captured(argv, o);
  CommandResult r;
  r.command = core::command_line(argv);
  r.status = run.timed_out ? 124 : run.exit.shell_status();
  r.output = std::move(run.output);
  r.ended = run.describe(o);
  return r;
}

void require_success(const CommandResult& r, const std::string& context) {
  if (!r.ok()) throw core::Error(context + ": '" + r.command + "' " + r.ended + ":\n" + tail(r.output));
}

std::vector<std::string> make_command(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"make", "-j" + std::to_string(core::usable_cores())};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool have_program(const std::string& name) { return !core::find_program(name).empty(); }

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

Run parse_run(const std::string& out) {
  Run run;
  std::istringstream in(out);
  std::string line;
  int last = -1;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word;
    if (!(ls >> word)) continue;
    if (word == "icount") {
      if (last >= 0) ls >> run.images[last].icount;
      continue;
    }
    if (word == "op") {
      int k = -1;
      OpLine op;
      if (last >= 0 && ls >> k >> op.kind >> word >> op.icount && word == "icount") run.images[last].ops[k] = op;
      continue;
    }
    if (word == "invoke_stack") {
      ls >> run.invoke_stack;
      continue;
    }
    if (word == "profile_overhead") {
      ls >> run.profile_overhead;
      continue;
    }
    if (word != "image") continue;
    std::string idx;
    ls >> idx;
    if (idx.empty() || idx.back() != ':') continue;
    RunLine r;
    const int i = std::atoi(idx.c_str());
    bool logits = false;
    while (ls >> word) {
      if (word == "class") ls >> r.cls, logits = false;
      else if (word == "logits") logits = true;
      else if (logits) r.logits.push_back(std::atoi(word.c_str()));
    }
    run.images[i] = r;
    last = i;
  }
  return run;
}

}  // namespace tinynas::exporter
