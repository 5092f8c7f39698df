#include "tinynas/data/image_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/core/error.h"

using namespace tinynas;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

// Five 1x2x2 images; image i holds bytes 10i .. 10i+3, label i % 3.
data::ImageSet five_images() {
  data::ImageSet s;
  s.name = "five";
  s.height = 1;
  s.width = 2;
  s.channels = 2;
  s.num_classes = 3;
  s.class_names = {"a", "b", "c"};
  for (int i = 0; i < 5; ++i) {
    for (int k = 0; k < 4; ++k) s.pixels.push_back(static_cast<std::uint8_t>(10 * i + k));
    s.labels.push_back(i % 3);
  }
  return s;
}

TEST(ImageSet, SubsetKeepsOrderAndMetadata) {
  const data::ImageSet s = five_images();
  const data::ImageSet sub = s.subset({4, 0, 4}, "five/sub");
  EXPECT_EQ(sub.name, "five/sub");
  EXPECT_EQ(sub.height, 1);
  EXPECT_EQ(sub.width, 2);
  EXPECT_EQ(sub.channels, 2);
  EXPECT_EQ(sub.num_classes, 3);
  EXPECT_EQ(sub.class_names, s.class_names);
  ASSERT_EQ(sub.size(), 3u);
  EXPECT_EQ(sub.labels, (std::vector<std::int32_t>{1, 0, 1}));
  EXPECT_EQ(sub.pixels, (std::vector<std::uint8_t>{40, 41, 42, 43, 0, 1, 2, 3, 40, 41, 42, 43}));
}

TEST(ImageSet, EmptySubset) {
  const data::ImageSet sub = five_images().subset({}, "none");
  EXPECT_EQ(sub.size(), 0u);
  EXPECT_TRUE(sub.pixels.empty());
  EXPECT_EQ(sub.image_bytes(), 4u);
  EXPECT_EQ(sub.class_counts(), (std::vector<std::size_t>{0, 0, 0}));
}

TEST(ImageSet, SubsetIndexOutOfRange) {
  const data::ImageSet s = five_images();
  try {
    s.subset({1, 5}, "bad");
    FAIL() << "expected a core::Error";
  } catch (const core::Error& e) {
    EXPECT_THAT(std::string(e.what()),
                AllOf(HasSubstr("five"), HasSubstr("index 1"), HasSubstr("5"),
                      HasSubstr("[0, 5)")));
  }
}

TEST(ImageSet, ClassCounts) {
  EXPECT_EQ(five_images().class_counts(), (std::vector<std::size_t>{2, 2, 1}));
}

TEST(ImageSet, ClassCountsRejectsBadLabel) {
  data::ImageSet s = five_images();
  s.labels[3] = 7;
  EXPECT_THROW(s.class_counts(), core::Error);
}

}  // namespace
