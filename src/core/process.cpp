#include "tinynas/core/process.h"

#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>

#include "tinynas/core/error.h"

namespace tinynas::core {

std::string self_executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string find_program(const std::string& name) {
  auto runnable = [](const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return runnable(name) ? name : std::string();
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t begin = 0;;) {
    const std::size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (dir.empty()) dir = ".";  // an empty entry is the current directory
    if (runnable(dir + "/" + name)) return dir + "/" + name;
    if (end == std::string::npos) return {};
    begin = end + 1;
  }
}

std::string signal_name(int sig) {
  static const struct {
    int sig;
    const char* name;
  } kNames[] = {{SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
                {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
                {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
                {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
                {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
                {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};
  for (const auto& n : kNames)
    if (n.sig == sig) return n.name;
  return "signal " + std::to_string(sig);
}

std::string ExitInfo::describe() const {
  if (!signaled) return "exited with status " + std::to_string(value);
  return "killed by signal " + signal_name(value) + (core_dumped ? " (core dumped)" : "");
}

BlockedSignals::BlockedSignals(const std::vector<int>& signals) {
  signal(SIGCHLD, SIG_DFL);
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_);
}

BlockedSignals::~BlockedSignals() {
  const timespec now{0, 0};
  while (sigtimedwait(&set_, nullptr, &now) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

int BlockedSignals::wait(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count() < 0 ? 0 : timeout.count();
  const timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  const int sig = sigtimedwait(&set_, nullptr, &ts);
  return sig > 0 ? sig : 0;  // timeout (EAGAIN) or EINTR
}

bool signal_ignored(int sig) {
  struct sigaction current {};
  return sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

namespace {

// What the child does between fork() and exec(); everything is prepared before fork().
struct ChildSetup {
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const sigset_t* mask = nullptr;
  int stdin_fd = -1;   // dup2'ed to stdin when >= 0
  int output_fd = -1;  // dup2'ed to stdout and stderr when >= 0
  const char* dir = nullptr;
};

void write_stderr(const char* const* parts, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (write(STDERR_FILENO, parts[i], std::strlen(parts[i])) < 0) return;
}

// The child's side of a spawn; never returns. Only async-signal-safe calls apart from
// strerror(), which is safe enough here: the callers fork from one thread.
[[noreturn]] void exec_child(pid_t parent, const ChildSetup& c) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl()
  if (c.stdin_fd >= 0) dup2(c.stdin_fd, STDIN_FILENO);
  if (c.output_fd >= 0) {
    dup2(c.output_fd, STDOUT_FILENO);
    dup2(c.output_fd, STDERR_FILENO);
  }
  if (c.dir && chdir(c.dir) != 0) {
    const char* parts[] = {"tinynas: cannot change to directory '", c.dir, "': ", std::strerror(errno), "\n"};
    write_stderr(parts, sizeof parts / sizeof parts[0]);
    _exit(127);
  }
  pthread_sigmask(SIG_SETMASK, c.mask, nullptr);
  if (std::strchr(c.program, '/'))
    execve(c.program, c.argv, c.envp);
  else
    execvpe(c.program, c.argv, c.envp);
  const char* parts[] = {"tinynas: cannot run '", c.argv[0], "': ", std::strerror(errno), "\n"};
  write_stderr(parts, sizeof parts / sizeof parts[0]);
  _exit(127);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Starts the child; also sets its process group here, so that the group exists when this
// returns (EACCES once the child has exec'd means it already did it itself).
pid_t fork_child(const ChildSetup& c) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) exec_child(parent, c);
  setpgid(pid, pid);
  return pid;
}

}  // namespace

pid_t spawn_group_leader(const std::string& program, const std::vector<std::string>& argv,
                         const std::vector<std::string>& env, const sigset_t& mask) {
  const std::vector<char*> argv_c = c_strings(argv), envp_c = c_strings(env);
  ChildSetup c;
  c.program = program.c_str();
  c.argv = argv_c.data();
  c.envp = envp_c.data();
  c.mask = &mask;
  return fork_child(c);
}

bool has_ended(pid_t pid, ExitInfo& info) {
  siginfo_t si{};
  if (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) != 0)
    throw std::system_error(errno, std::generic_category(), "waitid");
  if (si.si_pid == 0) return false;
  info.signaled = si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED;
  info.core_dumped = si.si_code == CLD_DUMPED;
  info.value = si.si_status;
  return true;
}

void reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void signal_group(pid_t pgid, int sig) {
  if (pgid > 1) kill(-pgid, sig);  // never kill(-1) or kill(0): those reach far more
}

std::string CapturedRun::describe(const CaptureOptions& options) const {
  if (timed_out) return "timed out after " + std::to_string(options.timeout_s) + " s";
  return exit.describe();
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    const bool plain = !a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789_@%+=:,./-") == std::string::npos;
    if (!line.empty()) line += ' ';
    if (plain) {
      line += a;
      continue;
    }
    line += '\'';
    for (char ch : a) line += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    line += '\'';
  }
  return line;
}

CapturedRun run_captured(const std::vector<std::string>& argv, const CaptureOptions& options) {
  using Clock = std::chrono::steady_clock;
  if (argv.empty()) throw Error("run_captured: no command");
  const std::string what = command_line(argv);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Error(what + ": cannot create a pipe: " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto close_all = [&] {
    close(out[0]);
    if (out[1] >= 0) close(out[1]);
    if (null_fd >= 0) close(null_fd);
  };
  if (null_fd < 0) {
    const int e = errno;
    close_all();
    throw Error(what + ": cannot open /dev/null: " + std::strerror(e));
  }
  const std::vector<char*> argv_c = c_strings(argv);
  sigset_t none;
  sigemptyset(&none);
  ChildSetup c;
  c.program = argv_c[0];
  c.argv = argv_c.data();
  c.envp = environ;
  c.mask = &none;
  c.stdin_fd = null_fd;
  c.output_fd = out[1];
  c.dir = options.dir.empty() ? nullptr : options.dir.c_str();
  pid_t pid = -1;
  try {
    pid = fork_child(c);
  } catch (const std::exception& e) {
    close_all();
    throw Error(what + ": cannot start it: " + e.what());
  }
  close(out[1]);
  close(null_fd);
  out[1] = -1;

  // Read the output until the pipe closes and the child has ended. At the time limit:
  // SIGTERM to the child's group, SIGKILL after the grace period; after that, stop waiting
  // for the pipe to close (a process that left the group may still hold it).
  CapturedRun r;
  Clock::time_point deadline =
      options.timeout_s > 0 ? Clock::now() + std::chrono::seconds(options.timeout_s) : Clock::time_point::max();
  int stage = 0;  // 0 running, 1 SIGTERM sent, 2 SIGKILL sent
  bool eof = false, ended = false;
  char buf[4096];
  auto read_some = [&](int timeout_ms) {
    pollfd p{out[0], POLLIN, 0};
    const int n = poll(&p, 1, timeout_ms);
    if (n <= 0) return false;  // nothing yet, or EINTR
    const ssize_t got = read(out[0], buf, sizeof buf);
    if (got > 0) r.output.append(buf, static_cast<std::size_t>(got));
    else if (got == 0 || errno != EINTR) eof = true;
    return got > 0;
  };
  try {
    for (;;) {
      if (!ended) ended = has_ended(pid, r.exit);
      if (ended && (eof || stage == 2)) break;
      const auto now = Clock::now();
      if (now >= deadline) {
        if (stage == 0) r.timed_out = true;
        signal_group(pid, stage == 0 ? SIGTERM : SIGKILL);
        deadline = stage == 0 ? now + std::chrono::seconds(CaptureOptions::kGraceSeconds) : Clock::time_point::max();
        ++stage;
        continue;
      }
      // Waits of at most 100 ms while reading (the child's end is polled), 10 ms after EOF.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
      const int wait_ms = int(std::min<long long>(left, eof ? 10 : 100));
      if (eof) poll(nullptr, 0, wait_ms);
      else read_some(wait_ms);
    }
    while (!eof && read_some(0)) {
    }
  } catch (...) {
    signal_group(pid, SIGKILL);
    reap(pid);
    close(out[0]);
    throw;
  }
  close(out[0]);
  reap(pid);
  return r;
}

int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace tinynas::core
