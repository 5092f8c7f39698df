// Untrained int8 models of a path, for what does not depend on training: the latency
// tables and their check (export/latency_measure.h), export and runtime tests. The supernet
// keeps its random initial weights (torch::manual_seed(seed)), the path is block-pruned by
// magnitude to its sparse config, calibrated on random images and quantized like PTQ.
#pragma once

#include <cstdint>

#include "tinynas/compress/quant_model.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::compress {

/// `arch` of `layout` pruned as `sparse`, quantized; its info holds "arch" and "sparse".
/// Deterministic in `seed`.
QuantizedModel random_int8_model(const space::SupernetLayout& layout, const space::Arch& arch,
                                  const space::SparseConfig& sparse, std::uint64_t seed);

}  // namespace tinynas::compress
