#include "tinynas/core/text.h"

#include <gtest/gtest.h>

using namespace tinynas::core;

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}

TEST(Text, DidYouMean) {
  std::vector<std::string> keys = {"epochs", "batch_size", "lr"};
  EXPECT_EQ(closest_match("epochz", keys), "epochs");
  EXPECT_EQ(did_you_mean("batchsize", keys), " (did you mean 'batch_size'?)");
  EXPECT_EQ(did_you_mean("completely_unrelated", keys), "");
}

TEST(Text, JoinSplitHuman) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(split("a..b", '.'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim(" \n "), "");
  EXPECT_EQ(human_count(1234567), "1.23M");
  EXPECT_EQ(human_count(12), "12");
}
