// Shared helpers of the train tests: a small TinyFormer layout, and running the tinynas
// CLI as child processes (for multi-process, kill-and-resume and failure tests).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "space/fixtures.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::testing {

/// The smallest supernet of the TinyFormer space, for fast tests.
inline const char* kSmallSupernet = "c1=16,c2=32,n1=1,m1=1,n2=1,m2=1,d=32";

inline space::SpaceDef tinyformer_space() {
  return space::load_space(source_dir() + "/recipes/spaces/tinyformer.yaml");
}

inline space::SupernetLayout small_layout() {
  const auto def = tinyformer_space();
  return space::make_layout(def, space::parse_supernet(kSmallSupernet, def), {1, 28, 28}, 10);
}

/// A child process running `argv` with `env` added to the environment; output goes to
/// `log_path`. Killed (SIGKILL) on destruction if still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
        const std::string& log_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      wait_for(std::chrono::seconds(10));
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  /// Waits up to `limit`; true when the child ended (status in status()).
  bool wait_for(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done_) {
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
        done_ = true;
        break;
      }
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  bool exited_ok() const { return done_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0; }
  bool killed_by(int sig) const { return done_ && WIFSIGNALED(status_) && WTERMSIG(status_) == sig; }
  int exit_code() const { return done_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool done_ = false;
};

}  // namespace tinynas::testing
