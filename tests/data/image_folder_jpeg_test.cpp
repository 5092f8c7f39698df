// JPEG files written by OpenCV itself, read back through the image-folder reader.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "support/temp_dir.h"
#include "tinynas/data/readers.h"

using namespace tinynas;

TEST(ImageFolderJpeg, ReadsJpegAsRgbAndResizes) {
  tinynas::testing::TempDir dir;
  // BGR in OpenCV: a pure red image in class "a", pure blue in class "b".
  const cv::Scalar red_bgr(0, 0, 255), blue_bgr(255, 0, 0);
  std::filesystem::create_directories(dir.file("a"));
  std::filesystem::create_directories(dir.file("b"));
  ASSERT_TRUE(cv::imwrite(dir.file("a/0.jpg"), cv::Mat(16, 12, CV_8UC3, red_bgr)));
  ASSERT_TRUE(cv::imwrite(dir.file("b/0.JPEG"), cv::Mat(16, 12, CV_8UC3, blue_bgr)));

  data::ImageFolderOptions o;
  o.image_size = 8;
  o.channels = 3;
  auto files = data::read_image_folder(dir.path(), o);
  const auto& s = files.train;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.height, 8);
  EXPECT_EQ(s.width, 8);
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"a", "b"}));
  // JPEG is lossy: compare with a tolerance. Memory order is RGB.
  const std::uint8_t* red = s.image(0);
  const std::uint8_t* blue = s.image(1);
  EXPECT_NEAR(red[0], 255, 8);
  EXPECT_NEAR(red[2], 0, 8);
  EXPECT_NEAR(blue[0], 0, 8);
  EXPECT_NEAR(blue[2], 255, 8);

  o.channels = 1;
  auto gray = data::read_image_folder(dir.path(), o).train;
  EXPECT_EQ(gray.channels, 1);
  // OpenCV's luma of pure red is ~76 and of pure blue ~29.
  EXPECT_NEAR(gray.image(0)[0], 76, 8);
  EXPECT_NEAR(gray.image(1)[0], 29, 8);
}
