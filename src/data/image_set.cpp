#include "tinynas/data/image_set.h"

#include <algorithm>
#include <cstring>

#include "tinynas/core/error.h"

namespace tinynas::data {

ImageSet ImageSet::subset(const std::vector<std::size_t>& indices,
                          const std::string& new_name) const {
  ImageSet out;
  out.name = new_name;
  out.height = height;
  out.width = width;
  out.channels = channels;
  out.num_classes = num_classes;
  out.class_names = class_names;

  // Validate every index before allocating so a bad call cannot leave a half-filled set.
  const std::size_t n = size();
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= n)
      throw core::Error(name + ": subset index " + std::to_string(k) + " is " +
                        std::to_string(indices[k]) + ", out of range [0, " +
                        std::to_string(n) + ")");
  }

  const std::size_t bytes = image_bytes();
  out.pixels.resize(indices.size() * bytes);
  out.labels.resize(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    std::memcpy(out.pixels.data() + k * bytes, image(indices[k]), bytes);
    out.labels[k] = labels[indices[k]];
  }
  return out;
}

std::vector<std::size_t> ImageSet::class_counts() const {
  std::vector<std::size_t> counts(static_cast<std::size_t>(std::max(num_classes, 0)), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int32_t label = labels[i];
    if (label < 0 || label >= num_classes)
      throw core::Error(name + ": image " + std::to_string(i) + ": label " +
                        std::to_string(label) + " out of range [0, " +
                        std::to_string(num_classes) + ")");
    ++counts[static_cast<std::size_t>(label)];
  }
  return counts;
}

}  // namespace tinynas::data
