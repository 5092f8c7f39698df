// Random int8 models of the shipped spaces for the export tests: a sampled path of a
// randomly initialised supernet, block-pruned at `percent` (0: dense), calibrated on random
// images and quantized. Not trained: the tests check arithmetic, not accuracy.
#pragma once

#include "space/fixtures.h"
#include "tinynas/compress/random_model.h"
#include "tinynas/core/rng.h"
#include "tinynas/space/arch.h"

namespace tinynas::testing {

inline compress::QuantizedModel random_quantized_model(const std::string& space_file, std::uint64_t seed,
                                                       int percent, space::Shape input = {1, 16, 16}) {
  const auto def = space::load_space(space_file);
  const auto layout = default_layout(def, input, 10);
  core::Rng rng(seed);
  const auto arch = space::sample_arch(layout, rng);
  auto sparse = space::dense_config(layout);
  for (auto& stage : sparse.blocks)
    for (auto& b : stage) b.percent = percent;
  return compress::random_int8_model(layout, arch, sparse, seed);
}

}  // namespace tinynas::testing
