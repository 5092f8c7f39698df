#include "tinynas/compress/random_model.h"

#include <torch/torch.h>

#include "tinynas/compress/calibration.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/space/supernet.h"

namespace tinynas::compress {

QuantizedModel random_int8_model(const space::SupernetLayout& layout, const space::Arch& arch,
                                 const space::SparseConfig& sparse, std::uint64_t seed) {
  torch::manual_seed(seed);
  space::Supernet net(layout);
  auto sub = space::extract_subnet(net, arch);
  sub->eval();
  MaskSet masks(prunable_layers(sub, layout, sparse));
  masks.compute_magnitude();
  masks.apply();
  const FloatGraph g(sub, layout, sparse);
  Calibrator cal(g, RangeMethod::minmax, 99.9);
  const auto& in = layout.input;
  cal.observe(torch::rand({8, in.c, in.h, in.w}) * 4 - 2);
  const std::vector<float> mean(std::size_t(in.c), 0.5f), std(std::size_t(in.c), 0.25f);
  auto m = quantize(g, cal.result(), input_qparams(mean, std));
  m.info["arch"] = space::to_string(arch, layout);
  m.info["sparse"] = space::to_string(sparse, layout);
  return m;
}

}  // namespace tinynas::compress
