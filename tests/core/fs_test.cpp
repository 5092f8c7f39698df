#include "tinynas/core/fs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "tinynas/core/error.h"

using namespace tinynas;

TEST(AtomicWrite, WritesAndReplaces) {
  tinynas::testing::TempDir dir;
  auto p = dir.file("out.txt");
  core::write_file_atomic(p, std::string("first"));
  EXPECT_EQ(core::read_text_file(p), "first");
  core::write_file_atomic(p, std::string("second"));
  EXPECT_EQ(core::read_text_file(p), "second");
  // No temporary files left behind.
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++n;
  EXPECT_EQ(n, 1);
}

TEST(AtomicWrite, FailureLeavesOldFileUntouched) {
  tinynas::testing::TempDir dir;
  auto p = dir.file("good.txt");
  core::write_file_atomic(p, std::string("good"));
  // Target is a directory: the rename fails after the temp file was written.
  auto d = dir.file("adir");
  std::filesystem::create_directory(d);
  std::filesystem::create_directory(d + "/x");
  EXPECT_THROW(core::write_file_atomic(d, std::string("bad")), core::Error);
  EXPECT_EQ(core::read_text_file(p), "good");
  EXPECT_THROW(core::write_file_atomic(dir.file("missing/dir/f"), std::string("x")), core::Error);
}

TEST(ReadFile, MissingFileNamesPath) {
  try {
    core::read_file("/nonexistent/tinynas.bin");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tinynas.bin"), std::string::npos);
  }
}

TEST(ResolveRelative, AgainstFileDirectory) {
  EXPECT_EQ(core::resolve_relative_to("recipes/a.yaml", "spaces/x.yaml"), "recipes/spaces/x.yaml");
  EXPECT_EQ(core::resolve_relative_to("recipes/a.yaml", "/abs/x"), "/abs/x");
  EXPECT_EQ(core::resolve_relative_to("a.yaml", "b.yaml"), "b.yaml");
}

TEST(AtomicWrite, StaleTemporariesAreRemovedAndNothingElse) {
  tinynas::testing::TempDir dir;
  const auto stale = dir.write(".ckpt-000000008.pt.tmp.Ab12Cd", "half");
  const auto stale2 = dir.write(".metrics.jsonl.tmp.zzzzzz", "half");
  const std::vector<std::string> kept = {
      dir.write("ckpt-000000008.pt", "good"), dir.write("notes.tmp", "mine"),
      dir.write(".x.tmp.toolong1", "mine"), dir.write(".x.tmp.ab-12c", "mine"),
      dir.write("x.tmp.Ab12Cd", "mine"), dir.write(".tmp.Ab12Cd", "mine"),
      dir.write("sub/.y.tmp.Ab12Cd", "below")};
  EXPECT_TRUE(core::is_atomic_temporary(".a.tmp.XXXXXX"));
  EXPECT_FALSE(core::is_atomic_temporary("a.tmp.XXXXXX"));
  auto removed = core::remove_atomic_temporaries(dir.path());
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{stale, stale2}));
  for (const auto& k : kept) EXPECT_TRUE(std::filesystem::exists(k)) << k;
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(core::remove_atomic_temporaries(dir.file("missing")).empty());
}
