// The run-directory lock: a second process is refused with the directory and the holder's
// pid named; so is a second lock of the holder itself (it passes its lock down, checked
// with holds()); a killed holder frees the lock.
#include "tinynas/core/dir_lock.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"

using namespace tinynas;

namespace {

// Runs `f` in a forked child (another process, as a second tinynas would be) and returns
// its exit status: what `f` returns, 99 when it throws.
int in_child(const std::function<int()>& f) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    try {
      rc = f();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// 0 when taking `dir` in another process fails with the message naming `dir` and `holder`.
int refused_in_child(const std::string& dir, pid_t holder) {
  return in_child([&] {
    try {
      core::DirLock other(dir);
      return 1;
    } catch (const core::Error& e) {
      const std::string m = e.what();
      const std::string want = dir + ": in use by another process (pid " + std::to_string(holder);
      return m.rfind(want, 0) == 0 && m.find(std::string(core::DirLock::kFileName)) != std::string::npos ? 0 : 2;
    }
  });
}

}  // namespace

TEST(DirLock, ASecondProcessIsRefusedNamingTheDirectoryAndTheHolder) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("runs/a");  // created by the lock
  {
    core::DirLock lock(dir);
    EXPECT_EQ(lock.dir(), dir);
    EXPECT_EQ(core::dir_lock_holder(dir), ::getpid());
    // The file names the command too, for the other process's message.
    const std::string text = core::read_text_file(dir + "/" + core::DirLock::kFileName);
    EXPECT_EQ(text.rfind(std::to_string(::getpid()) + "\n", 0), 0u) << text;
    EXPECT_NE(text.find("tinynas_core_tests"), std::string::npos) << text;
    EXPECT_EQ(refused_in_child(dir, ::getpid()), 0);

    // The same process again: refused too, and the refusal leaves the lock as it was.
    const std::string again = tinynas::testing::error_of([&] { core::DirLock second(dir); });
    EXPECT_EQ(again.rfind(dir + ": already locked by this process (pid " + std::to_string(::getpid()) +
                              ") through " + dir + "/" + core::DirLock::kFileName,
                          0),
              0u)
        << again;
    EXPECT_EQ(core::dir_lock_holder(dir), ::getpid());
    EXPECT_EQ(refused_in_child(dir, ::getpid()), 0);
  }
  // Released: the record is cleared and another process takes the directory.
  EXPECT_EQ(core::dir_lock_holder(dir), 0);
  EXPECT_EQ(in_child([&] {
              core::DirLock other(dir);
              return core::dir_lock_holder(dir) == ::getpid() ? 0 : 1;
            }),
            0);
  // Other directories are independent.
  core::DirLock a(tmp.file("runs/a"));
  EXPECT_EQ(in_child([&] { return core::DirLock(tmp.file("runs/b")).holds(tmp.file("runs/b")) ? 0 : 1; }), 0);
}

TEST(DirLock, AKilledHolderFreesTheDirectory) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("run");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    core::DirLock lock(dir);
    const char c = 'x';
    (void)!::write(ready[1], &c, 1);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(core::dir_lock_holder(dir), holder);
  const std::string msg = [&] {
    try {
      core::DirLock lock(dir);
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
    return std::string("not refused");
  }();
  EXPECT_EQ(msg.rfind(dir + ": in use by another process (pid " + std::to_string(holder), 0), 0u) << msg;

  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  // The dead holder's pid is still in the file; the kernel dropped its lock all the same.
  EXPECT_EQ(core::dir_lock_holder(dir), holder);
  core::DirLock lock(dir);
  EXPECT_EQ(core::dir_lock_holder(dir), ::getpid());
}

TEST(DirLock, MovesKeepTheLockAndBadPlacesAreNamed) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("run");
  core::DirLock a(dir);
  core::DirLock b(std::move(a));
  EXPECT_TRUE(b.holds(dir));
  EXPECT_FALSE(a.holds(dir));  // NOLINT(bugprone-use-after-move): moved from, holds nothing
  EXPECT_EQ(refused_in_child(dir, ::getpid()), 0);

  const std::string file = tmp.write("plain", "x");
  try {
    core::DirLock bad(file + "/run");
    ADD_FAILURE() << "a directory below a regular file was locked";
  } catch (const core::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(file + "/run: cannot create directory", 0), 0u) << e.what();
  }
}

TEST(DirLock, HoldsNamesItsOwnDirectoryHoweverSpelled) {
  tinynas::testing::TempDir tmp;
  const std::string dir = tmp.file("runs/a");
  core::DirLock lock(dir);
  EXPECT_TRUE(lock.holds(dir));
  EXPECT_TRUE(lock.holds(dir + "/."));
  EXPECT_TRUE(lock.holds(tmp.file("runs/../runs/a")));
  EXPECT_FALSE(lock.holds(tmp.file("runs")));
  EXPECT_FALSE(lock.holds(tmp.file("runs/b")));  // missing: no error, not held
  core::DirLock b(tmp.file("runs/b"));
  EXPECT_FALSE(lock.holds(b.dir()));
  EXPECT_TRUE(b.holds(tmp.file("runs/b")));
}
