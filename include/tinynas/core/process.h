// Child processes (POSIX, Linux): started from an argv vector (no shell, no quoting), in
// process groups of their own, their exit statuses in words; signals taken synchronously.
// Used by `tinynas launch` and `sweep` (spawn_group_leader and friends) and by the export
// layer's builds and runs of a project (run_captured).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace tinynas::core {

/// Absolute path of the running executable (/proc/self/exe); empty when it cannot be read.
std::string self_executable();

/// Where `name` would be executed from: `name` itself when it contains '/' (if executable),
/// else the first executable regular file `name` in a directory of $PATH; empty when none.
std::string find_program(const std::string& name);

/// "SIGTERM" for the usual signals, "signal N" otherwise.
std::string signal_name(int sig);

/// The cores this process may run on: its affinity mask (taskset, cpusets, SLURM), not all
/// of the machine's; at least 1.
int usable_cores();

/// How a child process ended.
struct ExitInfo {
  bool signaled = false;  // killed by a signal (then `value` is the signal number)
  bool core_dumped = false;
  int value = 0;          // exit status, or the signal number when `signaled`

  bool ok() const { return !signaled && value == 0; }
  /// The status a shell reports for it: the exit status, or 128 + the signal number.
  int shell_status() const { return signaled ? 128 + value : value; }
  /// "exited with status 3", "killed by signal SIGKILL", "... (core dumped)".
  std::string describe() const;
};

/// Blocks `signals` in the calling thread for the object's lifetime, so that they are taken
/// one at a time with wait() instead of running handlers or default actions. Also sets
/// SIGCHLD's action to the default, so that ended children are kept for waitid() (an
/// inherited SIG_IGN would reap them automatically). On destruction, signals still pending
/// from the set are discarded and the previous mask is restored.
class BlockedSignals {
 public:
  explicit BlockedSignals(const std::vector<int>& signals);
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  /// The next signal of the set, or 0 when none arrives within `timeout`.
  int wait(std::chrono::milliseconds timeout);
  /// The mask before construction; children get it back before they exec.
  const sigset_t& previous_mask() const { return previous_; }

 private:
  sigset_t set_;
  sigset_t previous_;
};

/// Whether `sig`'s action in this process is SIG_IGN (e.g. SIGHUP under nohup).
bool signal_ignored(int sig);

/// Starts `argv` (argv[0] names the command) in a child process that leads a new process
/// group (its pgid is its pid), with environment `env` ("NAME=value" entries) and signal
/// mask `mask`. `program` is executed: a path when it contains '/', otherwise looked up in
/// PATH. The child is killed if this process dies (PR_SET_PDEATHSIG). When the exec fails,
/// the child prints "tinynas: cannot run 'ARGV0': REASON" to stderr and exits 127.
/// Returns the child's pid; std::runtime_error when fork() fails.
pid_t spawn_group_leader(const std::string& program, const std::vector<std::string>& argv,
                         const std::vector<std::string>& env, const sigset_t& mask);

/// Whether child `pid` has ended, without reaping it: its zombie keeps its pid, and so its
/// process group id, from being reused until reap(). Fills `info` when it has ended.
bool has_ended(pid_t pid, ExitInfo& info);

/// Waits for child `pid` to end and reaps it.
void reap(pid_t pid);

/// Sends `sig` to every process in process group `pgid`; a group that no longer exists is
/// not an error.
void signal_group(pid_t pgid, int sig);

/// How run_captured runs a command.
struct CaptureOptions {
  std::string dir;       ///< the child's working directory; empty: this process's
  int timeout_s = 0;     ///< > 0: after this many seconds the child's process group gets
                         ///< SIGTERM, and SIGKILL kGraceSeconds later; 0: no limit
  static constexpr int kGraceSeconds = 5;
};

/// What a command run by run_captured did.
struct CapturedRun {
  ExitInfo exit;
  bool timed_out = false;  ///< stopped at CaptureOptions::timeout_s
  std::string output;      ///< stdout and stderr, interleaved as written

  bool ok() const { return !timed_out && exit.ok(); }
  /// "exited with status 2", "killed by signal SIGSEGV", "timed out after 60 s".
  std::string describe(const CaptureOptions& options) const;
};

/// Runs `argv` (argv[0] looked up in PATH unless it contains '/') to its end and returns
/// its output: stdout and stderr into one pipe (the shell's 2>&1), stdin from /dev/null,
/// this process's environment, no signals blocked, in a process group of its own (what a
/// timeout stops) that dies with this process (PR_SET_PDEATHSIG). A command that cannot be
/// executed exits 127 with "tinynas: cannot run 'ARGV0': REASON" as its output. Throws
/// core::Error naming the command when argv is empty or a pipe or fork fails.
CapturedRun run_captured(const std::vector<std::string>& argv, const CaptureOptions& options = {});

/// `argv` as one line for messages: the words joined by spaces, each one that a shell would
/// split or expand in single quotes.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace tinynas::core
