// CIFAR-10 / CIFAR-100 binary-version reader. Every batch file is checked whole (size a
// multiple of the record, every label in range) before its images are appended.
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/data/readers.h"

namespace tinynas::data {
namespace {

using core::fail_file;

constexpr int kSide = 32;
constexpr int kChannels = 3;
constexpr std::size_t kPlane = kSide * kSide;
constexpr std::size_t kImageBytes = kPlane * kChannels;

// Where the label used sits in a record: CIFAR-100 records carry a coarse label first.
struct RecordLayout {
  std::size_t label_bytes;  // label bytes before the pixels
  std::size_t label_index;  // which of them is the class label
  int num_classes;
  const char* label_word;   // "label" or "fine label", for messages
  const char* title;        // dataset name for messages
};

constexpr RecordLayout kCifar10{1, 0, 10, "label", "CIFAR-10"};
constexpr RecordLayout kCifar100{2, 1, 100, "fine label", "CIFAR-100"};

std::string record_at(std::size_t record, std::size_t record_bytes) {
  return "record " + std::to_string(record) + " (byte offset " +
         std::to_string(record * record_bytes) + ")";
}

// Checks one batch file completely, then appends its images (CHW planes -> HWC).
void append_batch(const std::string& path, const RecordLayout& layout, ImageSet& set) {
  const std::vector<unsigned char> bytes = core::read_file(path);
  const std::size_t record_bytes = layout.label_bytes + kImageBytes;
  if (bytes.empty()) fail_file(path, "empty file: no records");
  const std::size_t records = bytes.size() / record_bytes;
  const std::size_t tail = bytes.size() % record_bytes;
  if (tail != 0)
    fail_file(path, record_at(records, record_bytes) + ": truncated record: expected " +
                        std::to_string(record_bytes) + " bytes, found " + std::to_string(tail) +
                        " (file size " + std::to_string(bytes.size()) +
                        " is not a multiple of the record size)");

  for (std::size_t r = 0; r < records; ++r) {
    const int label = bytes[r * record_bytes + layout.label_index];
    if (label >= layout.num_classes)
      fail_file(path, record_at(r, record_bytes) + ": " + layout.label_word + " " +
                          std::to_string(label) + " out of range [0, " +
                          std::to_string(layout.num_classes) + ")");
  }

  const std::size_t first = set.labels.size();
  set.labels.resize(first + records);
  set.pixels.resize((first + records) * kImageBytes);
  for (std::size_t r = 0; r < records; ++r) {
    const unsigned char* rec = bytes.data() + r * record_bytes;
    set.labels[first + r] = rec[layout.label_index];
    const unsigned char* planes = rec + layout.label_bytes;
    unsigned char* dst = set.pixels.data() + (first + r) * kImageBytes;
    for (std::size_t p = 0; p < kPlane; ++p) {
      dst[p * 3 + 0] = planes[p];
      dst[p * 3 + 1] = planes[kPlane + p];
      dst[p * 3 + 2] = planes[2 * kPlane + p];
    }
  }
}

ImageSet read_batches(const std::string& root, const std::vector<std::string>& files,
                      const RecordLayout& layout, const std::vector<std::string>& class_names,
                      const std::string& name) {
  // Check that every file is there, and size the buffers once, before the slow reads.
  std::uintmax_t total = 0;
  for (const auto& f : files) {
    const std::string path = root + "/" + f;
    if (!core::is_regular_file(path))
      fail_file(path, std::string("no such file (the ") + layout.title +
                          " binary version needs " + core::join(files, ", ") + " in " + root +
                          "; see datasets/README.md)");
    std::error_code ec;
    total += std::filesystem::file_size(path, ec);
  }
  ImageSet set;
  set.name = name;
  set.height = kSide;
  set.width = kSide;
  set.channels = kChannels;
  set.num_classes = layout.num_classes;
  set.class_names = class_names;
  const std::size_t record_bytes = layout.label_bytes + kImageBytes;
  set.labels.reserve(total / record_bytes);
  set.pixels.reserve(total / record_bytes * kImageBytes);
  for (const auto& f : files) append_batch(root + "/" + f, layout, set);
  return set;
}

// Class names, one per line (blank lines ignored), from `file` in root if present;
// otherwise `fallback`.
std::vector<std::string> class_names_from(const std::string& root, const std::string& file,
                                          int num_classes, std::vector<std::string> fallback) {
  const std::string path = root + "/" + file;
  if (!core::is_regular_file(path)) return fallback;
  std::vector<std::string> names;
  for (const std::string& line : core::split(core::read_text_file(path), '\n')) {
    std::string name = core::trim(line);
    if (!name.empty()) names.push_back(std::move(name));
  }
  if (static_cast<int>(names.size()) != num_classes)
    fail_file(path, "expected " + std::to_string(num_classes) +
                        " class names (one per line), found " + std::to_string(names.size()));
  return names;
}

}  // namespace

DatasetFiles read_cifar10_dir(const std::string& root) {
  const std::vector<std::string> names =
      class_names_from(root, "batches.meta.txt", kCifar10.num_classes,
                       {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                        "ship", "truck"});
  DatasetFiles files;
  files.train = read_batches(root,
                             {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                              "data_batch_4.bin", "data_batch_5.bin"},
                             kCifar10, names, "cifar10/train");
  files.test = read_batches(root, {"test_batch.bin"}, kCifar10, names, "cifar10/test");
  return files;
}

DatasetFiles read_cifar100_dir(const std::string& root) {
  std::vector<std::string> numbers;
  for (int c = 0; c < kCifar100.num_classes; ++c) numbers.push_back(std::to_string(c));
  const std::vector<std::string> names =
      class_names_from(root, "fine_label_names.txt", kCifar100.num_classes, numbers);
  DatasetFiles files;
  files.train = read_batches(root, {"train.bin"}, kCifar100, names, "cifar100/train");
  files.test = read_batches(root, {"test.bin"}, kCifar100, names, "cifar100/test");
  return files;
}

}  // namespace tinynas::data
