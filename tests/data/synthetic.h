// Tiny synthetic ImageSets for loader/transform tests.
#pragma once

#include <cstdint>
#include <string>

#include "tinynas/core/rng.h"
#include "tinynas/data/image_set.h"

namespace tinynas::testing {

/// n images of h x w x c random bytes; label i % classes.
inline data::ImageSet random_images(std::size_t n, int h, int w, int c, int classes = 10,
                                    std::uint64_t seed = 1) {
  data::ImageSet s;
  s.name = "synthetic";
  s.height = h;
  s.width = w;
  s.channels = c;
  s.num_classes = classes;
  s.pixels.resize(n * static_cast<std::size_t>(h * w * c));
  core::Rng rng(seed);
  for (auto& p : s.pixels) p = static_cast<std::uint8_t>(rng.next_u64());
  for (std::size_t i = 0; i < n; ++i) s.labels.push_back(static_cast<std::int32_t>(i % classes));
  return s;
}

}  // namespace tinynas::testing
