#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/idx_files.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/error.h"
#include "tinynas/data/readers.h"

using namespace tinynas;
using ::testing::AllOf;
using tinynas::testing::TempDir;
using ::testing::HasSubstr;
using tinynas::testing::be32;

namespace {

// A minimal PNG encoder (8-bit gray or RGB, filter 0) on top of zlib. The test target
// does not see OpenCV's headers, and an independent encoder also checks the decoder.
std::string png_chunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                          static_cast<uInt>(body.size()));
  return be32(static_cast<std::uint32_t>(data.size())) + body +
         be32(static_cast<std::uint32_t>(crc));
}

// `pixels` is HWC, RGB for channels == 3.
std::string encode_png(int width, int height, int channels,
                       const std::vector<std::uint8_t>& pixels) {
  EXPECT_EQ(pixels.size(), static_cast<std::size_t>(width * height * channels));
  std::string raw;
  const std::size_t row = static_cast<std::size_t>(width * channels);
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter type: none
    raw.append(reinterpret_cast<const char*>(pixels.data()) + y * row, row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(&packed[0]), &packed_size,
                     reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size())),
            Z_OK);
  packed.resize(packed_size);
  std::string ihdr = be32(static_cast<std::uint32_t>(width)) +
                     be32(static_cast<std::uint32_t>(height));
  ihdr += static_cast<char>(8);                       // bit depth
  ihdr += static_cast<char>(channels == 1 ? 0 : 2);  // color type: gray / RGB
  ihdr += std::string(3, '\0');                       // compression, filter, interlace
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) +
         png_chunk("IDAT", packed) + png_chunk("IEND", "");
}

// A w x h RGB image filled with one color.
std::string solid_png(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  std::vector<std::uint8_t> px;
  for (int i = 0; i < w * h; ++i) px.insert(px.end(), {r, g, b});
  return encode_png(w, h, 3, px);
}

std::string gray_png(int w, int h, std::uint8_t v) {
  return encode_png(w, h, 1, std::vector<std::uint8_t>(static_cast<std::size_t>(w * h), v));
}

using tinynas::testing::error_of;

data::ImageFolderOptions opts(int image_size, int channels) {
  data::ImageFolderOptions o;
  o.image_size = image_size;
  o.channels = channels;
  return o;
}

// Two classes: cat (2 images) and dog (1 image), all 3 wide x 2 high, plus noise the
// reader must skip.
void write_two_classes(const TempDir& dir, const std::string& sub = "") {
  const std::string p = sub.empty() ? "" : sub + "/";
  // RGB image with distinct pixels, to check channel order and layout.
  std::vector<std::uint8_t> px;
  for (int i = 0; i < 6; ++i)
    px.insert(px.end(), {static_cast<std::uint8_t>(10 * i), static_cast<std::uint8_t>(100 + i),
                         static_cast<std::uint8_t>(200 + i)});
  dir.write(p + "cat/b.png", encode_png(3, 2, 3, px));
  dir.write(p + "cat/a.PNG", solid_png(3, 2, 255, 0, 0));
  dir.write(p + "dog/z.jpeg", gray_png(3, 2, 77));  // a PNG under a JPEG name: content wins
  dir.write(p + "dog/notes.txt", "not an image");
  dir.write(p + ".hidden/x.png", gray_png(3, 2, 1));
  dir.write(p + "README", "ignored");
}

TEST(ImageFolder, ReadsRgbSortedWithLabels) {
  TempDir dir;
  write_two_classes(dir);
  const data::DatasetFiles f = data::read_image_folder(dir.path(), opts(0, 3));
  const data::ImageSet& s = f.train;
  EXPECT_EQ(s.name, "image-folder/train");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.width, 3);
  EXPECT_EQ(s.channels, 3);
  EXPECT_EQ(s.num_classes, 2);
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(s.labels, (std::vector<std::int32_t>{0, 0, 1}));
  // a.PNG sorts before b.png: pure red, stored R, G, B.
  EXPECT_EQ(s.image(0)[0], 255);
  EXPECT_EQ(s.image(0)[1], 0);
  EXPECT_EQ(s.image(0)[2], 0);
  // b.png, pixel 4 = (y 1, x 1).
  EXPECT_EQ(s.image(1)[4 * 3 + 0], 40);
  EXPECT_EQ(s.image(1)[4 * 3 + 1], 104);
  EXPECT_EQ(s.image(1)[4 * 3 + 2], 204);
  // A gray file read as RGB repeats the value.
  for (int i = 0; i < 18; ++i) EXPECT_EQ(s.image(2)[i], 77);
  // No train/ sub-directory: the test set is empty but describes the images.
  EXPECT_EQ(f.test.size(), 0u);
  EXPECT_EQ(f.test.height, 2);
  EXPECT_EQ(f.test.width, 3);
  EXPECT_EQ(f.test.channels, 3);
  EXPECT_EQ(f.test.num_classes, 2);
}

TEST(ImageFolder, ReadsGrayscale) {
  TempDir dir;
  write_two_classes(dir);
  const data::ImageSet s = data::read_image_folder(dir.path(), opts(0, 1)).train;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.pixels.size(), 3u * 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(s.image(2)[i], 77);
  // Pure red converts to about 0.299 * 255.
  EXPECT_NEAR(s.image(0)[0], 76, 1);
}

TEST(ImageFolder, ResizesBothWays) {
  TempDir dir;
  // 4x4 made of four 2x2 blocks: shrinking to 2x2 by area averaging keeps each block.
  std::vector<std::uint8_t> px(16);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) px[static_cast<std::size_t>(y * 4 + x)] =
        static_cast<std::uint8_t>(y < 2 ? (x < 2 ? 10 : 20) : (x < 2 ? 30 : 40));
  dir.write("big/blocks.png", encode_png(4, 4, 1, px));
  dir.write("small/solid.png", gray_png(1, 1, 99));
  const data::ImageSet s = data::read_image_folder(dir.path(), opts(2, 1)).train;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.width, 2);
  EXPECT_EQ(std::vector<std::uint8_t>(s.image(0), s.image(0) + 4),
            (std::vector<std::uint8_t>{10, 20, 30, 40}));
  EXPECT_EQ(std::vector<std::uint8_t>(s.image(1), s.image(1) + 4),
            (std::vector<std::uint8_t>{99, 99, 99, 99}));
}

TEST(ImageFolder, DifferingSizesWithoutResizeIsAnError) {
  TempDir dir;
  const std::string first = dir.write("a/1.png", gray_png(3, 2, 5));
  const std::string odd = dir.write("b/1.png", gray_png(4, 4, 5));
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 1)); }),
              AllOf(HasSubstr(odd), HasSubstr(first), HasSubstr("4x4"), HasSubstr("3x2"),
                    HasSubstr("image_size")));
  // With a common size requested, the same folder is fine.
  EXPECT_EQ(data::read_image_folder(dir.path(), opts(3, 1)).train.size(), 2u);
}

TEST(ImageFolder, UnreadableImageNamesTheFile) {
  TempDir dir;
  write_two_classes(dir);
  const std::string bad = dir.write("dog/broken.png", "this is not a png at all");
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              AllOf(HasSubstr(bad), HasSubstr("cannot decode")));
  const std::string empty = dir.write("dog/broken.png", "");
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              HasSubstr(empty));
}

TEST(ImageFolder, EmptyFolderOrClassIsAnError) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              AllOf(HasSubstr(dir.path()), HasSubstr("no class sub-directories")));
  dir.write("cat/a.png", gray_png(2, 2, 1));
  dir.write("dog/readme.txt", "no images here");
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              AllOf(HasSubstr(dir.file("dog")), HasSubstr("no .png")));
}

TEST(ImageFolder, MissingRootAndBadOptions) {
  TempDir dir;
  const std::string missing = dir.file("nowhere");
  EXPECT_THAT(error_of([&] { data::read_image_folder(missing, opts(0, 3)); }),
              AllOf(HasSubstr(missing), HasSubstr("not a directory")));
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 2)); }),
              HasSubstr("channels must be 1"));
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(-1, 3)); }),
              HasSubstr("image_size"));
}

TEST(ImageFolder, TrainTestLayout) {
  TempDir dir;
  write_two_classes(dir, "train");
  dir.write("test/dog/q.png", solid_png(3, 2, 1, 2, 3));
  const data::DatasetFiles f = data::read_image_folder(dir.path(), opts(0, 3));
  EXPECT_EQ(f.train.size(), 3u);
  EXPECT_EQ(f.train.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(f.test.name, "image-folder/test");
  ASSERT_EQ(f.test.size(), 1u);
  // test/ has only "dog", yet labels follow the train/ class list.
  EXPECT_EQ(f.test.labels, (std::vector<std::int32_t>{1}));
  EXPECT_EQ(f.test.num_classes, 2);
  EXPECT_EQ(f.test.class_names, f.train.class_names);
  EXPECT_EQ(f.test.height, 2);
  EXPECT_EQ(f.test.width, 3);
  EXPECT_EQ(std::vector<std::uint8_t>(f.test.image(0), f.test.image(0) + 3),
            (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(ImageFolder, TestClassUnknownToTrainIsAnError) {
  TempDir dir;
  write_two_classes(dir, "train");
  dir.write("test/dgo/q.png", solid_png(3, 2, 1, 2, 3));
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              AllOf(HasSubstr(dir.file("test/dgo")), HasSubstr("did you mean 'dog'")));
}

TEST(ImageFolder, TestImageOfOtherSizeIsAnError) {
  TempDir dir;
  write_two_classes(dir, "train");
  const std::string odd = dir.write("test/cat/q.png", solid_png(5, 5, 1, 2, 3));
  EXPECT_THAT(error_of([&] { data::read_image_folder(dir.path(), opts(0, 3)); }),
              AllOf(HasSubstr(odd), HasSubstr("5x5")));
}

}  // namespace
