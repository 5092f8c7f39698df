// POSIX process helpers for `tinynas launch` (Linux): children in process groups of their
// own, exit statuses in words, signals taken synchronously, a free TCP port.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace tinynas::cli {

/// Absolute path of the running executable (/proc/self/exe); empty when it cannot be read.
std::string self_executable();

/// A TCP port that was free on `addr` (numeric address or host name) a moment ago: binds
/// port 0 there, reads the port the kernel chose and closes the socket. Another process
/// may take it before it is used again. std::runtime_error when nothing can be bound.
int free_tcp_port(const std::string& addr);

/// "SIGTERM" for the usual signals, "signal N" otherwise.
std::string signal_name(int sig);

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
/// the child prints "tinynas launch: cannot run 'ARGV0': REASON" to stderr and exits 127.
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

}  // namespace tinynas::cli
