// Random int8 models of the shipped spaces for the export tests: a sampled path of a
// randomly initialised supernet, block-pruned at `percent` (0: dense), calibrated on random
// images and quantized. Not trained: the tests check arithmetic, not accuracy.
#pragma once

#include <torch/torch.h>

#include "space/fixtures.h"
#include "tinynas/compress/calibration.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/core/rng.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/supernet.h"

namespace tinynas::testing {

inline compress::QuantizedModel random_quantized_model(const std::string& space_file, std::uint64_t seed,
                                                       int percent, space::Shape input = {1, 16, 16}) {
  torch::manual_seed(seed);
  const auto def = space::load_space(space_file);
  const auto layout = default_layout(def, input, 10);
  space::Supernet net(layout);
  core::Rng rng(seed);
  const auto arch = space::sample_arch(layout, rng);
  auto sub = space::extract_subnet(net, arch);
  sub->eval();
  auto sparse = space::dense_config(layout);
  if (percent > 0) {
    for (auto& stage : sparse.blocks)
      for (auto& b : stage) b.percent = percent;
    compress::MaskSet masks(compress::prunable_layers(sub, layout, sparse));
    masks.compute_magnitude();
    masks.apply();
  }
  const compress::FloatGraph g(sub, layout, sparse);
  compress::Calibrator cal(g, compress::RangeMethod::minmax, 99.9);
  cal.observe(torch::rand({8, input.c, input.h, input.w}) * 4 - 2);
  auto m = compress::quantize(g, cal.result(), compress::input_qparams({0.5f}, {0.25f}));
  m.info["arch"] = space::to_string(arch, layout);
  m.info["sparse"] = space::to_string(sparse, layout);
  return m;
}

}  // namespace tinynas::testing
