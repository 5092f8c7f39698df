#include "process.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace tinynas::cli {

std::string self_executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

int free_tcp_port(const std::string& addr) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(addr.c_str(), "0", &hints, &found); rc != 0)
    throw std::runtime_error("cannot pick a free port on '" + addr + "': " + gai_strerror(rc) +
                             " (give --master-port)");
  std::string reason = "no address";
  int port = 0;
  for (addrinfo* a = found; a && port == 0; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      reason = std::strerror(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      port = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    } else {
      reason = std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(found);
  if (port == 0)
    throw std::runtime_error("cannot pick a free port on '" + addr + "': " + reason +
                             " (give --master-port)");
  return port;
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

// The child's side of spawn_group_leader(); never returns. Only async-signal-safe calls
// apart from strerror(), which is safe enough here: the launcher forks from one thread.
[[noreturn]] void exec_child(pid_t parent, const char* program, char* const* argv,
                             char* const* envp, const sigset_t& mask) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the launcher died before prctl()
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  if (std::strchr(program, '/'))
    execve(program, argv, envp);
  else
    execvpe(program, argv, envp);
  const char* parts[] = {"tinynas launch: cannot run '", argv[0], "': ", std::strerror(errno),
                         "\n"};
  for (const char* p : parts)
    if (write(STDERR_FILENO, p, std::strlen(p)) < 0) break;
  _exit(127);
}

}  // namespace

pid_t spawn_group_leader(const std::string& program, const std::vector<std::string>& argv,
                         const std::vector<std::string>& env, const sigset_t& mask) {
  // Everything the child needs is built before fork().
  std::vector<char*> argv_c, envp_c;
  for (const auto& a : argv) argv_c.push_back(const_cast<char*>(a.c_str()));
  argv_c.push_back(nullptr);
  for (const auto& e : env) envp_c.push_back(const_cast<char*>(e.c_str()));
  envp_c.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) exec_child(parent, program.c_str(), argv_c.data(), envp_c.data(), mask);
  // Also here, so the group exists when this returns; EACCES once the child has exec'd
  // means it already did it itself.
  setpgid(pid, pid);
  return pid;
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

}  // namespace tinynas::cli
