#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/error.h"
#include "tinynas/data/readers.h"

using namespace tinynas;
using ::testing::AllOf;
using tinynas::testing::TempDir;
using ::testing::HasSubstr;

namespace {

constexpr int kPlane = 32 * 32;

// Pixel value of channel c at (y, x) of image `id`: distinct enough to catch a plane mix-up.
std::uint8_t pixel_value(int id, int y, int x, int c) {
  return static_cast<std::uint8_t>(id * 31 + y * 7 + x * 3 + c * 101);
}

// One record: label byte(s), then the R, G and B planes of 32x32 (CHW).
std::string record(const std::vector<std::uint8_t>& label_bytes, int id) {
  std::string r(label_bytes.begin(), label_bytes.end());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) r.push_back(static_cast<char>(pixel_value(id, y, x, c)));
  return r;
}

using tinynas::testing::error_of;

// CIFAR-10 dir with two records per batch; image ids 0..9 train, 10..11 test,
// label = id % 10.
void write_cifar10(const TempDir& dir) {
  int id = 0;
  for (int b = 1; b <= 5; ++b) {
    std::string bytes;
    for (int k = 0; k < 2; ++k, ++id)
      bytes += record({static_cast<std::uint8_t>(id % 10)}, id);
    dir.write("data_batch_" + std::to_string(b) + ".bin", bytes);
  }
  dir.write("test_batch.bin", record({0}, 10) + record({1}, 11));
}

void expect_hwc(const data::ImageSet& s, std::size_t i, int id) {
  const std::uint8_t* img = s.image(i);
  for (int y : {0, 5, 31})
    for (int x : {0, 17, 31})
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(img[(y * 32 + x) * 3 + c], pixel_value(id, y, x, c))
            << "image " << i << " y=" << y << " x=" << x << " c=" << c;
}

TEST(Cifar10, ReadsBatchesAsHwc) {
  TempDir dir;
  write_cifar10(dir);
  const data::DatasetFiles f = data::read_cifar10_dir(dir.path());
  EXPECT_EQ(f.train.name, "cifar10/train");
  EXPECT_EQ(f.test.name, "cifar10/test");
  ASSERT_EQ(f.train.size(), 10u);
  ASSERT_EQ(f.test.size(), 2u);
  EXPECT_EQ(f.train.height, 32);
  EXPECT_EQ(f.train.width, 32);
  EXPECT_EQ(f.train.channels, 3);
  EXPECT_EQ(f.train.num_classes, 10);
  EXPECT_EQ(f.train.pixels.size(), 10u * 3 * kPlane);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(f.train.labels[static_cast<std::size_t>(i)], i % 10);
    expect_hwc(f.train, static_cast<std::size_t>(i), i);
  }
  expect_hwc(f.test, 1, 11);
  EXPECT_EQ(f.test.labels, (std::vector<std::int32_t>{0, 1}));
  // Without batches.meta.txt: the standard names.
  ASSERT_EQ(f.train.class_names.size(), 10u);
  EXPECT_EQ(f.train.class_names[0], "airplane");
  EXPECT_EQ(f.train.class_names[9], "truck");
}

TEST(Cifar10, ClassNamesFromMetaFile) {
  TempDir dir;
  write_cifar10(dir);
  dir.write("batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nten words  \r\n\n\n");
  const data::DatasetFiles f = data::read_cifar10_dir(dir.path());
  ASSERT_EQ(f.train.class_names.size(), 10u);
  EXPECT_EQ(f.train.class_names[0], "a");
  EXPECT_EQ(f.train.class_names[9], "ten words");
  EXPECT_EQ(f.test.class_names, f.train.class_names);
}

TEST(Cifar10, MetaFileWithWrongCount) {
  TempDir dir;
  write_cifar10(dir);
  const std::string meta = dir.write("batches.meta.txt", "a\nb\n");
  EXPECT_THAT(error_of([&] { data::read_cifar10_dir(dir.path()); }),
              AllOf(HasSubstr(meta), HasSubstr("expected 10 class names"), HasSubstr("found 2")));
}

TEST(Cifar10, TruncatedRecord) {
  TempDir dir;
  write_cifar10(dir);
  const std::string batch =
      dir.write("data_batch_2.bin", record({1}, 0) + record({2}, 1) + std::string(100, 'x'));
  EXPECT_THAT(error_of([&] { data::read_cifar10_dir(dir.path()); }),
              AllOf(HasSubstr(batch), HasSubstr("record 2 (byte offset 6146)"),
                    HasSubstr("truncated record: expected 3073 bytes, found 100")));
}

TEST(Cifar10, LabelOutOfRange) {
  TempDir dir;
  write_cifar10(dir);
  const std::string batch = dir.write("test_batch.bin", record({3}, 0) + record({12}, 1));
  EXPECT_THAT(error_of([&] { data::read_cifar10_dir(dir.path()); }),
              AllOf(HasSubstr(batch),
                    HasSubstr("record 1 (byte offset 3073): label 12 out of range [0, 10)")));
}

TEST(Cifar10, MissingBatchFile) {
  TempDir dir;
  write_cifar10(dir);
  std::filesystem::remove(dir.file("data_batch_3.bin"));
  EXPECT_THAT(error_of([&] { data::read_cifar10_dir(dir.path()); }),
              AllOf(HasSubstr(dir.file("data_batch_3.bin")), HasSubstr("no such file")));
}

TEST(Cifar10, EmptyBatchFile) {
  TempDir dir;
  write_cifar10(dir);
  const std::string batch = dir.write("data_batch_5.bin", "");
  EXPECT_THAT(error_of([&] { data::read_cifar10_dir(dir.path()); }),
              AllOf(HasSubstr(batch), HasSubstr("empty")));
}

TEST(Cifar100, ReadsFineLabels) {
  TempDir dir;
  // Coarse labels are deliberately different from the fine ones; only fine are used.
  dir.write("train.bin", record({19, 42}, 0) + record({0, 99}, 1) + record({5, 7}, 2));
  dir.write("test.bin", record({1, 3}, 3));
  const data::DatasetFiles f = data::read_cifar100_dir(dir.path());
  EXPECT_EQ(f.train.name, "cifar100/train");
  EXPECT_EQ(f.train.num_classes, 100);
  EXPECT_EQ(f.train.labels, (std::vector<std::int32_t>{42, 99, 7}));
  EXPECT_EQ(f.test.labels, (std::vector<std::int32_t>{3}));
  for (int i = 0; i < 3; ++i) expect_hwc(f.train, static_cast<std::size_t>(i), i);
  expect_hwc(f.test, 0, 3);
  ASSERT_EQ(f.train.class_names.size(), 100u);
  EXPECT_EQ(f.train.class_names[0], "0");
  EXPECT_EQ(f.train.class_names[99], "99");
}

TEST(Cifar100, ClassNamesFromFile) {
  TempDir dir;
  dir.write("train.bin", record({0, 1}, 0));
  dir.write("test.bin", record({0, 2}, 1));
  std::string names;
  for (int i = 0; i < 100; ++i) names += "class_" + std::to_string(i) + "\n";
  dir.write("fine_label_names.txt", names + "\n");
  const data::DatasetFiles f = data::read_cifar100_dir(dir.path());
  EXPECT_EQ(f.train.class_names[1], "class_1");
  EXPECT_EQ(f.test.class_names[99], "class_99");
}

TEST(Cifar100, FineLabelOutOfRangeAndTruncation) {
  TempDir dir;
  const std::string train = dir.write("train.bin", record({0, 1}, 0) + record({0, 100}, 1));
  dir.write("test.bin", record({0, 2}, 1));
  EXPECT_THAT(error_of([&] { data::read_cifar100_dir(dir.path()); }),
              AllOf(HasSubstr(train),
                    HasSubstr("record 1 (byte offset 3074): fine label 100 out of range")));

  dir.write("train.bin", record({0, 1}, 0) + record({0, 2}, 1).substr(0, 3073));
  EXPECT_THAT(error_of([&] { data::read_cifar100_dir(dir.path()); }),
              AllOf(HasSubstr(train), HasSubstr("record 1 (byte offset 3074)"),
                    HasSubstr("expected 3074 bytes, found 3073")));
}

TEST(Cifar100, MissingTestFile) {
  TempDir dir;
  dir.write("train.bin", record({0, 1}, 0));
  EXPECT_THAT(error_of([&] { data::read_cifar100_dir(dir.path()); }),
              HasSubstr(dir.file("test.bin")));
}

}  // namespace
