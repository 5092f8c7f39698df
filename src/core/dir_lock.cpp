#include "tinynas/core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"

namespace tinynas::core {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string lock_path(const std::string& dir) { return dir + "/" + DirLock::kFileName; }

// This process's command line, for the lock file: what the message of a refused process
// shows besides the pid.
std::string own_command_line() {
  std::string args;
  try {
    args = read_text_file("/proc/self/cmdline");
  } catch (const Error&) {
    return "";
  }
  for (char& c : args)
    if (c == '\0') c = ' ';
  while (!args.empty() && args.back() == ' ') args.pop_back();
  if (args.size() > 300) args = args.substr(0, 300) + "...";
  return args;
}

// The whole content of an open file (from offset 0).
std::string read_all(int fd) {
  std::string out;
  char buf[512];
  off_t at = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    at += n;
    if (out.size() > 4096) break;  // ours are one short line each
  }
  return out;
}

struct Holder {
  pid_t pid = 0;
  std::string command;
};

// "<pid>\n<command line>\n" as DirLock writes it; pid 0 when the text is not that.
Holder parse_holder(const std::string& text) {
  Holder h;
  const auto nl = text.find('\n');
  const std::string first = text.substr(0, nl);
  if (first.empty() || first.size() > 12 || first.find_first_not_of("0123456789") != std::string::npos)
    return h;
  h.pid = static_cast<pid_t>(std::stoll(first));
  if (nl != std::string::npos) {
    h.command = text.substr(nl + 1);
    while (!h.command.empty() && h.command.back() == '\n') h.command.pop_back();
  }
  return h;
}

}  // namespace

DirLock::DirLock(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) fail_file(dir_, "cannot create directory: " + ec.message());
  const std::string path = lock_path(dir_);
  // CLOEXEC: programs this process runs (compilers, QEMU) must not inherit the lock and
  // keep the directory locked after we end.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail_file(path, "cannot open the lock file: " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    fd_ = fd;
    const std::string text = std::to_string(::getpid()) + "\n" + own_command_line() + "\n";
    // Best effort: the lock holds without it; only another process's message loses the pid.
    bool written = ::ftruncate(fd_, 0) == 0;
    written = written && ::pwrite(fd_, text.data(), text.size(), 0) == ssize_t(text.size());
    (void)written;
    return;
  }
  const int err = errno;
  if (err != EWOULDBLOCK) {
    ::close(fd);
    fail_file(path, std::string("cannot lock: ") + std::strerror(err));
  }
  // Held. The holder writes its pid right after locking: give it a moment when the file
  // is still empty.
  Holder h;
  for (int i = 0; i < 20; ++i) {
    h = parse_holder(read_all(fd));
    if (h.pid != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ::close(fd);
  // flock refuses a second open of the file in the same process too.
  if (h.pid == ::getpid())
    fail_file(dir_, "already locked by this process (pid " + std::to_string(h.pid) + ") through " + path +
                        ": the code holding the lock must pass it down instead of locking again");
  fail_file(dir_, "in use by another process (" +
                      (h.pid != 0 ? "pid " + std::to_string(h.pid) +
                                        (h.command.empty() ? "" : ": " + h.command)
                                  : std::string("pid unknown")) +
                      "), which holds " + path +
                      "; wait for it to end or stop it (two processes must not write the same run)");
}

DirLock::~DirLock() { release(); }

bool DirLock::holds(const std::string& dir) const {
  if (fd_ < 0) return false;  // moved from
  std::error_code ec;
  return std::filesystem::equivalent(dir_, dir, ec);  // false, not a throw, for a missing `dir`
}

DirLock::DirLock(DirLock&& other) noexcept
    : dir_(std::move(other.dir_)), fd_(std::exchange(other.fd_, -1)) {}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    release();
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void DirLock::release() noexcept {
  if (fd_ < 0) return;
  // Cleared before unlocking, so the file names a pid only while that pid holds the lock:
  // a later process that gets the same pid must not take the record for its own lock.
  const int cleared = ::ftruncate(fd_, 0);
  (void)cleared;
  ::close(fd_);  // drops the flock
  fd_ = -1;
}

pid_t dir_lock_holder(const std::string& dir) {
  const int fd = ::open(lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const Holder h = parse_holder(read_all(fd));
  ::close(fd);
  return h.pid;
}

}  // namespace tinynas::core
