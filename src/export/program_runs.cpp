#include "program_runs.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tinynas/core/error.h"

namespace tinynas::exporter {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CommandResult run_command(const std::string& cmd, int timeout_s) {
  const std::string full = "timeout " + std::to_string(timeout_s) + " sh -c " + quote(cmd) + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw core::Error("cannot run: " + cmd);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

bool have_program(const std::string& name) {
  return run_command("command -v " + name + " >/dev/null", 10).status == 0;
}

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
