// The runtime's model data (src/runtime/tnn_model.h, format version 1) of an int8 model:
// the bytes an exported project compiles in as `NAME_model_data`. Weights are stored dense
// or run-length coded per layer (cost/sparse_coding.h; export.storage, by default the
// faster of the two within the flash limit; auto: the smaller, the paper's self-adaptive
// rule), activations and scratch placed in
// one arena by the cost model's planner (cost/memory_plan.h). The cost model is evaluated
// on the same graph with the weights' real zero blocks, and the blob's size is checked
// against its flash figure and the arena against its peak SRAM: one definition of both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/compress/quant_model.h"
#include "tinynas/cost/cost.h"

namespace tinynas::exporter {

struct ModelDataOptions {
  cost::StoragePolicy storage = cost::StoragePolicy::automatic;
  std::int64_t flash_budget = 0;  ///< StoragePolicy::fastest's (CostOptions::flash_budget)
  std::string target = "m7";  ///< whose latency table ModelData::cost's instructions use
  bool latency = true;        ///< predict them (false while measuring the tables)
};

/// A labelled byte range of the blob, for the comments of the generated model.c.
struct BlobSection {
  std::int64_t offset = 0;  ///< bytes from the blob's start
  std::int64_t size = 0;
  std::string label;        ///< e.g. "op 3 s0.b1.expand conv: weights, run-length coded (block 4)"
};

struct ModelData {
  std::vector<std::uint8_t> bytes;      ///< the blob; size a multiple of 4
  cost::Cost cost;                      ///< evaluated with the weights' real zero blocks
  cost::GraphMemoryPlan plan;           ///< the arena layout the blob records
  std::vector<cost::Storage> storage;   ///< per op: how its weights are stored
  std::vector<BlobSection> sections;    ///< in byte order, covering the whole blob
};

/// Block non-zero flags of op i's int8 weights in the runtime's layout (cost::weight_layout)
/// with the op's pruning block; empty for ops that are not prunable.
std::vector<std::uint8_t> weight_block_mask(const compress::QuantizedModel& model, std::size_t op);

/// Builds the blob. Validates the model (compress::validate) and throws core::Error naming
/// the op when something cannot be represented (e.g. a value outside the format's range),
/// or when the blob's size or arena disagree with the cost model (a bug, not bad input).
ModelData build_model_data(const compress::QuantizedModel& model,
                           const ModelDataOptions& options = {});

}  // namespace tinynas::exporter
