#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
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
using namespace std::string_literals;
using tinynas::testing::be32;
using tinynas::testing::idx_images;
using tinynas::testing::idx_labels;

namespace {

std::string write_gz(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr) << path;
  EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  EXPECT_EQ(gzclose(f), Z_OK);
  return path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

using tinynas::testing::error_of;

// Three 2x3 images whose pixels encode (image, position), labels 0, 2, 1.
std::vector<std::uint8_t> sample_pixels() {
  std::vector<std::uint8_t> p(3 * 2 * 3);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(10 + i * 7);
  return p;
}
const std::vector<std::uint8_t> kLabels = {0, 2, 1};

void expect_sample(const data::ImageSet& s) {
  EXPECT_EQ(s.name, "sample");
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.height, 2);
  EXPECT_EQ(s.width, 3);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.num_classes, 3);
  EXPECT_EQ(s.pixels, sample_pixels());
  EXPECT_EQ(s.labels, (std::vector<std::int32_t>{0, 2, 1}));
  EXPECT_EQ(s.image(2)[0], sample_pixels()[12]);
}

class IdxReader : public ::testing::Test {
 protected:
  // The good sample pair; each error test overwrites one of the files.
  void SetUp() override {
    images_ = dir_.write("images", idx_images(3, 2, 3, sample_pixels()));
    labels_ = dir_.write("labels", idx_labels(kLabels));
  }
  std::string read_error() {
    return error_of([&] { data::read_idx_pair(images_, labels_, 3, "sample"); });
  }

  TempDir dir_;
  std::string images_;
  std::string labels_;
};

TEST_F(IdxReader, ReadsPlainFiles) { expect_sample(data::read_idx_pair(images_, labels_, 3, "sample")); }

TEST_F(IdxReader, ReadsGzipDetectedByContentNotName) {
  // One compressed file without a .gz name, one with it: detection is by magic bytes.
  const std::string gz_images = write_gz(dir_.file("gz/images"), read_bytes(images_));
  const std::string gz_labels = write_gz(dir_.file("gz/labels.gz"), read_bytes(labels_));
  expect_sample(data::read_idx_pair(gz_images, gz_labels, 3, "sample"));
  // And a plain file named .gz is read as plain.
  const std::string plain_named_gz = dir_.write("plain.gz", read_bytes(images_));
  expect_sample(data::read_idx_pair(plain_named_gz, labels_, 3, "sample"));
}

TEST_F(IdxReader, ReadsConcatenatedGzipMembers) {
  const std::string bytes = read_bytes(images_);
  const std::string a = write_gz(dir_.file("a.gz"), bytes.substr(0, 20));
  const std::string b = write_gz(dir_.file("b.gz"), bytes.substr(20));
  const std::string joined = dir_.write("joined.gz", read_bytes(a) + read_bytes(b));
  expect_sample(data::read_idx_pair(joined, labels_, 3, "sample"));
}

TEST_F(IdxReader, MissingFileNamesIt) {
  const std::string missing = dir_.file("nope-images");
  EXPECT_THAT(error_of([&] { data::read_idx_pair(missing, labels_, 3, "x"); }),
              HasSubstr(missing));
}

TEST_F(IdxReader, WrongMagic) {
  dir_.write("images", be32(0x12345678) + std::string(40, '\0'));
  EXPECT_THAT(read_error(),
              AllOf(HasSubstr(images_), HasSubstr("byte offset 0"), HasSubstr("magic"),
                    HasSubstr("0x12345678")));
}

TEST_F(IdxReader, WrongDimensionCount) {
  // A label file (1 dimension) given as the image file.
  dir_.write("images", idx_labels(kLabels));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(images_), HasSubstr("byte offset 3"),
                                  HasSubstr("dimension count: expected 3, found 1")));
}

TEST_F(IdxReader, UnsupportedElementType) {
  dir_.write("images", be32(0x0D03) + be32(1) + be32(1) + be32(1) + std::string(4, '\0'));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(images_), HasSubstr("element type")));
}

TEST_F(IdxReader, TruncatedHeader) {
  dir_.write("images", be32(0x803) + be32(3) + "\0\0"s);
  EXPECT_THAT(read_error(), AllOf(HasSubstr(images_), HasSubstr("byte offset 4"),
                                  HasSubstr("truncated header"), HasSubstr("found 6")));
}

TEST_F(IdxReader, TruncatedMagic) {
  dir_.write("labels", "\0\0"s);
  EXPECT_THAT(read_error(), AllOf(HasSubstr(labels_), HasSubstr("byte offset 0"),
                                  HasSubstr("truncated header")));
}

TEST_F(IdxReader, TruncatedImageData) {
  std::vector<std::uint8_t> short_pixels = sample_pixels();
  short_pixels.resize(10);
  dir_.write("images", idx_images(3, 2, 3, short_pixels));
  EXPECT_THAT(read_error(),
              AllOf(HasSubstr(images_), HasSubstr("byte offset 16"),
                    HasSubstr("truncated image data: expected 18 bytes of pixels, found 10")));
}

TEST_F(IdxReader, TrailingBytes) {
  dir_.write("images", idx_images(3, 2, 3, sample_pixels()) + "xyz");
  EXPECT_THAT(read_error(),
              AllOf(HasSubstr(images_), HasSubstr("byte offset 34"), HasSubstr("3 unexpected")));
}

TEST_F(IdxReader, TruncatedLabels) {
  dir_.write("labels", be32(0x801) + be32(3) + "\x01");
  EXPECT_THAT(read_error(), AllOf(HasSubstr(labels_), HasSubstr("byte offset 8"),
                                  HasSubstr("expected 3 bytes of labels, found 1")));
}

TEST_F(IdxReader, CountMismatch) {
  dir_.write("labels", idx_labels({0, 1}));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(labels_), HasSubstr(images_),
                                  HasSubstr("count mismatch"), HasSubstr("2 labels"),
                                  HasSubstr("3 images")));
}

TEST_F(IdxReader, LabelOutOfRange) {
  dir_.write("labels", idx_labels({0, 5, 1}));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(labels_), HasSubstr("byte offset 9"),
                                  HasSubstr("label 5 of image 1 out of range [0, 3)")));
}

TEST_F(IdxReader, ZeroSizedImagesRejected) {
  dir_.write("images", idx_images(3, 0, 3, {}));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(images_), HasSubstr("invalid image size 0x3")));
}

TEST_F(IdxReader, HugeHeaderDoesNotOverflowOrAllocate) {
  // 2^32-1 images of 32768x32768 (about 4.6e18 bytes): rejected from the header alone.
  dir_.write("images", be32(0x803) + be32(0xFFFFFFFF) + be32(1u << 15) + be32(1u << 15));
  EXPECT_THAT(read_error(), AllOf(HasSubstr(images_), HasSubstr("byte offset 16"),
                                  HasSubstr("truncated image data")));
}

TEST_F(IdxReader, CorruptGzipStream) {
  std::vector<std::uint8_t> pixels(3 * 20 * 20);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * i);
  const std::string gz = write_gz(dir_.file("img.gz"), idx_images(3, 20, 20, pixels));
  std::string bytes = read_bytes(gz);
  ASSERT_GT(bytes.size(), 60u);
  for (std::size_t i = 20; i < 40; ++i) bytes[i] = static_cast<char>(0xff);
  dir_.write("img.gz", bytes);
  EXPECT_THAT(error_of([&] { data::read_idx_pair(gz, labels_, 3, "x"); }),
              AllOf(HasSubstr(gz), HasSubstr("gzip")));
}

TEST_F(IdxReader, GzipBombStopsAtTheSizeItsHeaderDeclares) {
  // 3 images of 2x3 declared (34 bytes), 256 MiB of zeros behind them: ~250 KiB compressed.
  const std::string path = dir_.file("bomb.gz");
  gzFile f = gzopen(path.c_str(), "wb9");
  ASSERT_NE(f, nullptr);
  const std::string header = idx_images(3, 2, 3, sample_pixels());
  ASSERT_EQ(gzwrite(f, header.data(), unsigned(header.size())), int(header.size()));
  const std::string zeros(1 << 20, '\0');
  for (int i = 0; i < 256; ++i) ASSERT_EQ(gzwrite(f, zeros.data(), unsigned(zeros.size())), 1 << 20);
  ASSERT_EQ(gzclose(f), Z_OK);
  EXPECT_THAT(error_of([&] { data::read_idx_pair(path, labels_, 3, "x"); }),
              AllOf(HasSubstr(path), HasSubstr("more than the 34 bytes its IDX header declares")));
}

TEST_F(IdxReader, GzipWhoseHeaderDeclaresTerabytesIsRefusedUpFront) {
  // 2^60 bytes declared; the 8 MiB that follow are never inflated whole.
  const std::string path = write_gz(dir_.file("huge.gz"), be32(0x803) + be32(1u << 30) + be32(1u << 15) +
                                                             be32(1u << 15) + std::string(8 << 20, '\0'));
  EXPECT_THAT(error_of([&] { data::read_idx_pair(path, labels_, 3, "x"); }),
              AllOf(HasSubstr(path), HasSubstr("IDX header declares more than")));
}

TEST_F(IdxReader, TruncatedGzipStream) {
  const std::string gz = write_gz(dir_.file("img.gz"), read_bytes(images_));
  const std::string bytes = read_bytes(gz);
  dir_.write("img.gz", bytes.substr(0, bytes.size() - 6));
  EXPECT_THAT(error_of([&] { data::read_idx_pair(gz, labels_, 3, "x"); }),
              AllOf(HasSubstr(gz), HasSubstr("truncated gzip stream")));
}

TEST_F(IdxReader, TruncatedDataInsideGzipReportsDecompressedOffset) {
  std::vector<std::uint8_t> short_pixels = sample_pixels();
  short_pixels.resize(5);
  const std::string gz = write_gz(dir_.file("img.gz"), idx_images(3, 2, 3, short_pixels));
  EXPECT_THAT(error_of([&] { data::read_idx_pair(gz, labels_, 3, "x"); }),
              AllOf(HasSubstr(gz), HasSubstr("byte offset 16"), HasSubstr("found 5")));
}

TEST(ReadMnistDir, MixesPlainAndGzAndSetsClassNames) {
  TempDir dir;
  std::vector<std::uint8_t> train_px(4 * 2 * 2), test_px(2 * 2 * 2);
  std::iota(train_px.begin(), train_px.end(), 0);
  std::iota(test_px.begin(), test_px.end(), 100);
  dir.write("train-images-idx3-ubyte", idx_images(4, 2, 2, train_px));
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_labels({9, 0, 3, 3}));
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(2, 2, 2, test_px));
  dir.write("t10k-labels-idx1-ubyte", idx_labels({1, 2}));

  const data::DatasetFiles f = data::read_mnist_dir(dir.path(), "fashion-mnist");
  EXPECT_EQ(f.train.name, "fashion-mnist/train");
  EXPECT_EQ(f.test.name, "fashion-mnist/test");
  EXPECT_EQ(f.train.pixels, train_px);
  EXPECT_EQ(f.test.pixels, test_px);
  EXPECT_EQ(f.train.labels, (std::vector<std::int32_t>{9, 0, 3, 3}));
  EXPECT_EQ(f.test.labels, (std::vector<std::int32_t>{1, 2}));
  ASSERT_EQ(f.train.class_names.size(), 10u);
  EXPECT_EQ(f.train.class_names[0], "T-shirt/top");
  EXPECT_EQ(f.train.class_names[9], "Ankle boot");
  EXPECT_EQ(f.test.class_names, f.train.class_names);

  const data::DatasetFiles m = data::read_mnist_dir(dir.path(), "mnist");
  EXPECT_EQ(m.train.name, "mnist/train");
  EXPECT_EQ(m.train.num_classes, 10);
  EXPECT_EQ(m.train.class_names.front(), "0");
  EXPECT_EQ(m.train.class_names.back(), "9");
}

TEST(ReadMnistDir, MissingFileListsBothNames) {
  TempDir dir;
  dir.write("train-images-idx3-ubyte", idx_images(1, 1, 1, {7}));
  const std::string plain = dir.file("train-labels-idx1-ubyte");
  EXPECT_THAT(error_of([&] { data::read_mnist_dir(dir.path(), "mnist"); }),
              AllOf(HasSubstr(plain + ":"), HasSubstr(plain + ".gz")));
}

TEST(ReadMnistDir, UnknownDatasetName) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { data::read_mnist_dir(dir.path(), "kmnist"); }),
              AllOf(HasSubstr("kmnist"), HasSubstr("fashion-mnist")));
}

bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(data::kFashionMnistDefaultRoot) +
                                 "/t10k-images-idx3-ubyte.gz");
}

TEST(RealFashionMnist, TestFiles) {
  if (!have_fashion_mnist()) GTEST_SKIP() << data::kFashionMnistDefaultRoot << " absent";
  const std::string root = data::kFashionMnistDefaultRoot;
  const data::ImageSet s = data::read_idx_pair(root + "/t10k-images-idx3-ubyte.gz",
                                               root + "/t10k-labels-idx1-ubyte.gz", 10,
                                               "fashion-mnist/test");
  EXPECT_EQ(s.size(), 10000u);
  EXPECT_EQ(s.height, 28);
  EXPECT_EQ(s.width, 28);
  EXPECT_EQ(s.channels, 1);
  EXPECT_EQ(s.num_classes, 10);
  EXPECT_EQ(s.pixels.size(), 10000u * 28 * 28);
  // First labels and first-image pixel sum, taken with an independent (Python) reader.
  EXPECT_EQ(std::vector<std::int32_t>(s.labels.begin(), s.labels.begin() + 5),
            (std::vector<std::int32_t>{9, 2, 1, 1, 6}));
  EXPECT_EQ(std::accumulate(s.image(0), s.image(0) + 784, 0), 33456);
  for (std::size_t count : s.class_counts()) EXPECT_EQ(count, 1000u);
}

TEST(RealFashionMnist, WholeDirectory) {
  if (!have_fashion_mnist()) GTEST_SKIP() << data::kFashionMnistDefaultRoot << " absent";
  const data::DatasetFiles f =
      data::read_mnist_dir(data::kFashionMnistDefaultRoot, "fashion-mnist");
  EXPECT_EQ(f.train.size(), 60000u);
  EXPECT_EQ(f.test.size(), 10000u);
  EXPECT_EQ(f.train.labels[0], 9);
  EXPECT_EQ(std::accumulate(f.train.image(0), f.train.image(0) + 784, 0), 76247);
  for (std::size_t count : f.train.class_counts()) EXPECT_EQ(count, 6000u);
}

}  // namespace
