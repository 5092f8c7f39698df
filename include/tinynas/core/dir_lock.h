// An exclusive lock on a directory that one process writes (a run directory): two tinynas
// processes on the same run would otherwise both write its checkpoints, metrics and
// pipeline.json, each overwriting the other's.
//
// The lock is flock(2) on <dir>/.tinynas.lock, taken without waiting and held for the
// lifetime of the DirLock (in practice, of the command). The kernel drops it when the
// process dies, SIGKILL included, so a lock is never stale. After locking, the holder
// writes its pid and command line into the file, so the error another process gets names
// it. The file itself stays (deleting a lock file races with a process opening it).
//
// One lock per directory and process: code that runs under a lock its caller holds
// (`tinynas run` running `tinynas train` in the same process) is handed that DirLock and
// checks it with holds(), instead of locking again.
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
  /// process holds it, "<dir>: already locked by this process ..." when this process
  /// does (a caller that holds it must pass its DirLock down), or naming the lock file
  /// when it cannot be created or locked.
  explicit DirLock(std::string dir);
  ~DirLock();  ///< clears the pid from the file, then unlocks

  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  const std::string& dir() const { return dir_; }
  /// True when this lock is held and on `dir`: the same directory, however the path is
  /// spelled (relative, trailing "/."). False for a `dir` that does not exist.
  bool holds(const std::string& dir) const;

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
