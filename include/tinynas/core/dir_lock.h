// An exclusive lock on a directory that one process writes (a run directory): two tinynas
// processes on the same run would otherwise both write its checkpoints, metrics and
// pipeline.json, each overwriting the other's.
//
// The lock is flock(2) on <dir>/.tinynas.lock, taken without waiting and held for the
// lifetime of the DirLock (in practice, of the command). The kernel drops it when the
// process dies, SIGKILL included, so a lock is never stale. After locking, the holder
// writes its pid and command line into the file, so the error another process gets names
// it. The file itself stays (deleting a lock file races with a process opening it).
#pragma once

#include <string>
#include <sys/types.h>

namespace tinynas::core {

class DirLock {
 public:
  /// Name of the lock file inside the locked directory.
  static constexpr const char* kFileName = ".tinynas.lock";

  /// Creates `dir` (and its parents) when missing and locks it. Throws core::Error
  /// "<dir>: in use by another process (pid N: <its command line>) ..." when another
  /// process holds it, or naming the lock file when it cannot be created or locked.
  ///
  /// A process that holds the directory already (`tinynas run` calling `tinynas train`
  /// in the same process) gets a nested lock: it neither takes nor releases anything,
  /// and the outer DirLock keeps the directory until it ends.
  explicit DirLock(std::string dir);
  ~DirLock();  ///< clears the pid from the file, then unlocks (unless nested)

  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  const std::string& dir() const { return dir_; }
  /// True when this process held the directory already when this lock was made.
  bool nested() const { return fd_ < 0; }

 private:
  void release() noexcept;

  std::string dir_;
  int fd_ = -1;
};

/// The pid recorded in `dir`'s lock file: the process holding it, or 0 when the file is
/// missing, empty (nobody holds it) or unreadable. Advisory, for messages and tests: only
/// the lock itself decides who holds the directory.
pid_t dir_lock_holder(const std::string& dir);

}  // namespace tinynas::core
