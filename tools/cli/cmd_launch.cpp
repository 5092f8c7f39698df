// tinynas launch: a torchrun-style launcher for data-parallel training on one machine. It
// only starts N processes with the c10d environment (RANK, WORLD_SIZE, MASTER_ADDR, ...),
// waits for them and tears them all down when one fails or the launcher is interrupted.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "args.h"
#include "command.h"
#include "process.h"
#include "tinynas/core/process.h"

namespace tinynas::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct LaunchOptions {
  int nproc = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: pick a free one
  int grace_s = 10;
  std::vector<std::string> command;
};

const char* const kRankVariables[] = {"RANK",        "LOCAL_RANK",  "WORLD_SIZE",
                                      "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"};

LaunchOptions parse_launch_args(const std::vector<std::string>& args) {
  const auto dash = std::find(args.begin(), args.end(), "--");
  if (dash == args.end()) throw UsageError("missing '--' before the command to run");
  const auto a = parse_args({args.begin(), dash},
                            {{"--nproc", true, false},
                             {"--master-addr", true, false},
                             {"--master-port", true, false},
                             {"--grace", true, false}},
                            0, args.size());
  if (!a.positional.empty())
    throw UsageError("unexpected argument '" + a.positional[0] +
                     "' (the command goes after '--')");
  if (!a.has("--nproc")) throw UsageError("--nproc is required");
  LaunchOptions o;
  o.nproc = static_cast<int>(a.get_int("--nproc", 1, 1, 1024));
  o.master_addr = a.get("--master-addr", o.master_addr);
  if (o.master_addr.empty()) throw UsageError("--master-addr: empty address");
  o.master_port = static_cast<int>(a.get_int("--master-port", 0, 1, 65535));
  o.grace_s = static_cast<int>(a.get_int("--grace", o.grace_s, 0, 3600));
  o.command.assign(dash + 1, args.end());
  if (o.command.empty()) throw UsageError("missing the command after '--'");
  return o;
}

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
int supervise(const std::vector<pid_t>& pids, core::BlockedSignals& signals, int grace_s) {
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
      std::cerr << "tinynas launch: rank " << i << " " << info.describe()
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
      std::cerr << "tinynas launch: " << core::signal_name(sig) << " received; stopping "
                << ranks(running) << " (SIGKILL in " << grace_s << " s or on a second signal)\n";
      stop(128 + sig);
    } else if (!killed) {
      std::cerr << "tinynas launch: " << core::signal_name(sig) << " received again; killing "
                << ranks(running) << "\n";
      signal_all(SIGKILL);
      killed = true;
    }
  }
  if (stopping && !killed) signal_all(SIGKILL);  // what the ranks left in their groups
  for (pid_t p : pids) core::reap(p);
  return status;
}

int run_launch(const std::vector<std::string>& args) {
  LaunchOptions o = parse_launch_args(args);
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
  return supervise(pids, signals, o.grace_s);
}

}  // namespace

Command launch_command() {
  Command c;
  c.words = {"launch"};
  c.synopsis = "--nproc N [options] -- COMMAND [ARGS...]";
  c.summary = "start N local processes of a command for data-parallel training (torchrun-style)";
  c.help =
      "Starts N processes of COMMAND on this machine and waits for them. Each gets the\n"
      "launcher's environment plus the variables LibTorch's c10d (Gloo/NCCL) needs:\n"
      "  RANK, LOCAL_RANK              0 .. N-1 (the same on one machine)\n"
      "  WORLD_SIZE, LOCAL_WORLD_SIZE  N\n"
      "  MASTER_ADDR, MASTER_PORT      where rank 0 serves the rendezvous store\n"
      "These always come from the options and their defaults, even when the launcher's own\n"
      "environment has them. Without --master-port, a TCP port free on MASTER_ADDR is\n"
      "picked. A COMMAND of 'tinynas' runs this very executable; any other without a '/'\n"
      "is looked up in PATH. The ranks share the launcher's stdout and stderr (rank 0\n"
      "reports progress); with several ranks, tinynas's training commands start each of\n"
      "their log lines with the time and rank, e.g. \"[14:03:27 rank 0] train 40/900 ...\"\n"
      "(TINYNAS_PROGRESS: see 'tinynas train --help').\n\n"
      "Teardown: as soon as one rank exits non-zero or is killed by a signal, the launcher\n"
      "says which, sends SIGTERM to the other ranks, SIGKILL to whatever is left after\n"
      "--grace seconds, and exits with that rank's status (128 + the signal number for a\n"
      "signal); 0 when all ranks exit 0. SIGINT (Ctrl-C), SIGTERM or SIGHUP to the launcher\n"
      "stops the ranks the same way (a second one kills them at once), and it exits with\n"
      "128 + that signal. Each rank leads a process group of its own, so processes it\n"
      "started are signalled with it; a rank is killed if the launcher dies.\n\n"
      "Several machines: start the training command directly on every node, one process\n"
      "per GPU, with the same variables set from the job system, e.g. under SLURM:\n"
      "  srun --ntasks-per-node=G bash -c 'RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID \\\n"
      "    WORLD_SIZE=$SLURM_NTASKS LOCAL_WORLD_SIZE=$SLURM_NTASKS_PER_NODE \\\n"
      "    MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1) \\\n"
      "    MASTER_PORT=29500 exec tinynas train recipe.yaml'\n\n"
      "options:\n"
      "  --nproc N          processes to start, 1..1024 (required)\n"
      "  --master-addr A    MASTER_ADDR for the ranks (default 127.0.0.1)\n"
      "  --master-port P    MASTER_PORT for the ranks (default: a free port on A)\n"
      "  --grace S          seconds from SIGTERM to SIGKILL on teardown (default 10)\n\n"
      "example:\n"
      "  tinynas launch --nproc 2 -- tinynas train recipes/fmnist-tiny.yaml\n";
  c.run = run_launch;
  return c;
}

}  // namespace tinynas::cli
