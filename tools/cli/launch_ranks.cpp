#include "launch_ranks.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "process.h"
#include "tinynas/config/recipe.h"
#include "tinynas/core/process.h"
#include "tinynas/train/distributed.h"
#include "tinynas/train/trainer.h"

namespace tinynas::cli {
namespace {

using Clock = std::chrono::steady_clock;

const char* const kRankVariables[] = {"RANK",        "LOCAL_RANK",  "WORLD_SIZE",
                                      "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"};

// The launcher's environment without the rank variables, then this rank's.
std::vector<std::string> rank_environment(const LaunchOptions& o, int rank) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (std::none_of(std::begin(kRankVariables), std::end(kRankVariables),
                     [&](const char* v) { return name == v; }))
      env.push_back(entry);
  }
  const std::string r = std::to_string(rank), n = std::to_string(o.nproc);
  for (const auto& kv : {std::pair<std::string, std::string>{"RANK", r},
                         {"LOCAL_RANK", r},
                         {"WORLD_SIZE", n},
                         {"LOCAL_WORLD_SIZE", n},
                         {"MASTER_ADDR", o.master_addr},
                         {"MASTER_PORT", std::to_string(o.master_port)}})
    env.push_back(kv.first + "=" + kv.second);
  return env;
}

std::string ranks(std::size_t n) { return std::to_string(n) + (n == 1 ? " rank" : " ranks"); }

// Waits for every rank; on the first failure or stop signal, SIGTERM to every rank's
// process group, SIGKILL after the grace period (or on a second stop signal). Ended ranks
// stay zombies until the end, so their process group ids cannot be reused meanwhile and
// signalling the groups can only reach what the ranks started. Returns the exit status.
int supervise(const std::vector<pid_t>& pids, core::BlockedSignals& signals, int grace_s,
              const std::string& who) {
  std::vector<bool> ended(pids.size(), false);
  std::size_t running = pids.size();
  int status = 0;
  bool stopping = false, killed = false;
  Clock::time_point deadline;
  const auto signal_all = [&](int sig) {
    for (pid_t p : pids) core::signal_group(p, sig);
  };
  const auto stop = [&](int launcher_status) {
    status = launcher_status;
    stopping = true;
    deadline = Clock::now() + std::chrono::seconds(grace_s);
    signal_all(SIGTERM);
  };

  for (;;) {
    for (std::size_t i = 0; i < pids.size(); ++i) {
      core::ExitInfo info;
      if (ended[i] || !core::has_ended(pids[i], info)) continue;
      ended[i] = true;
      --running;
      if (info.ok() || stopping) continue;
      std::cerr << who << ": rank " << i << " " << info.describe()
                << (running > 0 ? "; stopping the other ranks" : "") << "\n";
      stop(info.shell_status());
    }
    if (running == 0) break;
    if (stopping && !killed && Clock::now() >= deadline) {
      signal_all(SIGKILL);
      killed = true;
    }
    auto timeout = std::chrono::milliseconds(1000);  // SIGCHLD normally wakes us first
    if (stopping && !killed)
      timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(
                                      deadline - Clock::now()));
    const int sig = signals.wait(timeout);
    if (sig == 0 || sig == SIGCHLD) continue;
    if (!stopping) {
      std::cerr << who << ": " << core::signal_name(sig) << " received; stopping "
                << ranks(running) << " (SIGKILL in " << grace_s << " s or on a second signal)\n";
      stop(128 + sig);
    } else if (!killed) {
      std::cerr << who << ": " << core::signal_name(sig) << " received again; killing "
                << ranks(running) << "\n";
      signal_all(SIGKILL);
      killed = true;
    }
  }
  if (stopping && !killed) signal_all(SIGKILL);  // what the ranks left in their groups
  for (pid_t p : pids) core::reap(p);
  return status;
}

}  // namespace

int launch_ranks(LaunchOptions o) {
  if (o.master_port == 0) o.master_port = free_tcp_port(o.master_addr);
  std::string program = o.command[0];
  if (program == "tinynas") {
    const std::string self = core::self_executable();
    if (!self.empty()) program = self;
  }

  // Blocked before the first fork, so a Ctrl-C while starting is handled like any other.
  std::vector<int> taken = {SIGCHLD};
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    if (!core::signal_ignored(s)) taken.push_back(s);  // e.g. SIGHUP stays ignored under nohup
  core::BlockedSignals signals(taken);

  std::cout.flush();
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  try {
    for (int r = 0; r < o.nproc; ++r)
      pids.push_back(core::spawn_group_leader(program, o.command, rank_environment(o, r),
                                              signals.previous_mask()));
  } catch (...) {
    for (pid_t p : pids) core::signal_group(p, SIGKILL);
    for (pid_t p : pids) core::reap(p);
    throw;
  }
  return supervise(pids, signals, o.grace_s, o.name);
}

std::optional<int> run_as_ranks_if_wanted(const std::vector<std::string>& words,
                                          const std::vector<std::string>& args,
                                          const config::Recipe& recipe, int nproc_flag) {
  if (train::dist_env().launched) return std::nullopt;
  const int cores = core::usable_cores();
  const auto& t = recipe.train;
  const bool cpu = train::select_device(t.device, 0, 1).is_cpu();
  const int configured = nproc_flag >= 0 ? nproc_flag : recipe.distributed.nproc;
  // A fixed thread count per process leaves room for cores / threads processes.
  const int budget = t.threads > 0 ? std::max(1, cores / t.threads) : cores;
  const int n = train::processes_to_start(configured, cpu, budget, t.batch_size, t.accumulate);
  if (n <= 1) return std::nullopt;
  // Checked once here, not as N copies of the same error from the ranks.
  train::check_batch_split(t.batch_size, n, t.accumulate);
  if (!cpu) train::select_device(t.device, 0, n);  // enough GPUs for n ranks
  const int threads = t.threads > 0 ? t.threads : std::max(1, cores / n);
  const std::string why = configured > 0 ? (nproc_flag > 0 ? "--nproc" : "distributed.nproc")
                                         : std::to_string(cores) + " cores, distributed.nproc 0 = auto";
  std::printf("data-parallel on %d processes of %d thread%s each (%s; --nproc 1 for one)\n", n,
              threads, threads == 1 ? "" : "s", why.c_str());
  LaunchOptions o;
  o.nproc = n;
  o.name = "tinynas " + words.front();
  o.command = {"tinynas"};
  o.command.insert(o.command.end(), words.begin(), words.end());
  o.command.insert(o.command.end(), args.begin(), args.end());
  return launch_ranks(o);
}

}  // namespace tinynas::cli
