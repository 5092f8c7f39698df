// In-memory image classification data: uint8 pixels, HWC, one int label per image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tinynas::data {

struct ImageSet {
  std::string name;  // for messages, e.g. "fashion-mnist/train"
  int height = 0;
  int width = 0;
  int channels = 0;
  int num_classes = 0;
  std::vector<std::string> class_names;  // num_classes entries, or empty when unknown
  std::vector<std::uint8_t> pixels;      // size() * height * width * channels bytes, HWC
  std::vector<std::int32_t> labels;      // each in [0, num_classes)

  std::size_t size() const { return labels.size(); }
  std::size_t image_bytes() const {
    return static_cast<std::size_t>(height) * width * channels;
  }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_bytes(); }

  /// A new set holding the listed images, in that order (indices must be < size();
  /// an index out of range throws core::Error naming the set and the index).
  ImageSet subset(const std::vector<std::size_t>& indices, const std::string& new_name) const;

  /// Images per class (num_classes entries). Throws core::Error on a label outside
  /// [0, num_classes).
  std::vector<std::size_t> class_counts() const;
};

/// The files of a dataset: the training files (split into train/val later) and the
/// test files (empty set when the dataset has none).
struct DatasetFiles {
  ImageSet train;
  ImageSet test;
};

}  // namespace tinynas::data
