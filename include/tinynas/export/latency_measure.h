// Measuring the latency tables of cost/latency.h on our own kernels, and checking them.
//
// Models: untrained int8 models (compress/random_model.h) of (path, sparse config) pairs
// drawn from a recipe's space, each fitting the recipe's memory budgets; model i of a
// source is a function of (seed, i). Even-numbered models use the recipe's supernet, the
// others a supernet drawn from the space (wider coverage of channel counts and shapes).
//
// Measuring: one exported project kept built in a work directory (the runtime compiled
// once; each model rewrites src/model_model.c and .h only), run under QEMU with -icount and the
// per-op profile (main_m7.c --profile): every op gives one cost::MeasuredOp (its features
// from the cost model with the model's real block masks), every model the interpreter's
// instructions between ops. cost::fit_latency_table() fits them.
//
// Checking: fresh models (another seed), each predicted at search time
// (cost::evaluate_path: the sparse config's pruned-block counts, no real masks) and
// measured; the mean absolute percentage error, Kendall's tau between predicted and
// measured, and the prediction time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tinynas/compress/quant_model.h"
#include "tinynas/config/recipe.h"
#include "tinynas/cost/latency.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/export/project.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::exporter {

/// Where models are drawn from: one recipe's space, input and sparse choices.
struct LatencySource {
  std::string name;                 ///< the recipe file (provenance)
  space::SpaceDef space;
  space::SupernetConfig supernet;   ///< the recipe's supernet (space.supernet)
  space::Shape input;
  int classes = 10;
  space::SparseChoices choices;     ///< sparsenas.sparsity x sparsenas.block
  cost::StoragePolicy storage = cost::StoragePolicy::automatic;  ///< export.storage
  cost::Limits limits;              ///< models fit its memory budgets
};

/// The source of `recipe` (its space file resolved against the recipe's directory).
LatencySource latency_source(const config::Recipe& recipe, space::Shape input, int classes);

/// One drawn pair and its layout.
struct LatencySample {
  space::SupernetLayout layout;
  space::Arch arch;
  space::SparseConfig sparse;
};

/// Model `index` of `source` (header comment). Throws core::Error when no pair fits the
/// memory budgets in a few hundred draws.
LatencySample draw_latency_sample(const LatencySource& source, std::uint64_t seed, int index);

struct LatencyBenchOptions {
  McuTarget target = McuTarget::m7;
  std::string work_dir;             ///< scratch: the kept-built project lives in work_dir/project
  int timeout_s = 600;              ///< per build or run
  std::function<void(const std::string&)> log;
};

/// One model measured on the target.
struct MeasuredModel {
  std::int64_t instructions = 0;   ///< one plain inference (the `icount` line)
  std::int64_t op_instructions = 0;  ///< the sum over its ops
  cost::Cost cost;                 ///< with the real masks; no latency prediction
  std::vector<cost::MeasuredOp> ops;
};

/// The project kept built between models (header comment).
class LatencyBench {
 public:
  /// Throws core::Error when arm-none-eabi-gcc or qemu-system-arm is missing.
  explicit LatencyBench(LatencyBenchOptions options);
  /// Builds `model` with weights stored by `storage` and runs one random image. Throws
  /// core::Error with the tool's output when a build or run fails.
  MeasuredModel measure(const compress::QuantizedModel& model, cost::StoragePolicy storage);

 private:
  LatencyBenchOptions o_;
  bool built_ = false;
};

/// The runtime_source_hash() of the runtime compiled into this tinynas (the sources export
/// writes into projects).
std::string embedded_runtime_hash();

struct LatencyMeasureOptions {
  std::vector<LatencySource> sources;
  int models_per_source = 12;
  std::uint64_t seed = 1;
  LatencyBenchOptions bench;
};

struct LatencyMeasurement {
  cost::LatencyTable table;
  std::vector<cost::MeasuredOp> ops;  ///< what it was fitted on
};

/// Measures and fits a table for options.bench.target.
LatencyMeasurement measure_latency_table(const LatencyMeasureOptions& options);

/// The measured ops as CSV: key, family, instructions, then feature=value pairs.
std::string measured_ops_csv(const std::vector<cost::MeasuredOp>& ops);

struct LatencyCheckRow {
  std::string arch, sparse;
  std::int64_t predicted = 0, measured = 0;
  double ape = 0;  ///< |predicted - measured| / measured
};

struct LatencyCheck {
  std::vector<LatencyCheckRow> rows;
  double mape = 0;
  double max_ape = 0;
  double kendall_tau = 0;
  double predict_us = 0;  ///< mean microseconds of one search-time prediction (evaluate_path)
};

/// Checks `table` on `models` fresh models of `source` drawn from `seed`.
LatencyCheck check_latency(const cost::LatencyTable& table, const LatencySource& source, int models,
                           std::uint64_t seed, const LatencyBenchOptions& bench);

}  // namespace tinynas::exporter
