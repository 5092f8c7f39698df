// tinynas launch: a torchrun-style launcher for data-parallel training on one machine. It
// only starts N processes with the c10d environment (RANK, WORLD_SIZE, MASTER_ADDR, ...),
// waits for them and tears them all down when one fails or the launcher is interrupted.
#include <algorithm>

#include "args.h"
#include "command.h"
#include "launch_ranks.h"

namespace tinynas::cli {
namespace {

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

int run_launch(const std::vector<std::string>& args) { return launch_ranks(parse_launch_args(args)); }

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
