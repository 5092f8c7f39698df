// The latency model (DESIGN.md §2, cost): instructions of one inference of a path on a
// Cortex-M target, predicted from per-kernel tables measured on our own runtime under QEMU
// (`tinynas latency measure`, export/latency_measure.h), computed once per (graph,
// storage) like flash and SRAM.
//
// Each op runs one kernel variant of the runtime (latency_key(): the kernel family the
// profile shows, e.g. "conv 1x1 sparse", plus the kernel and stride of depthwise convs,
// whose 3x3 stride 1 / stride 2 / generic paths differ). Its instructions are modelled as
// a linear function of features that follow the kernel's loops (latency_features()):
// MACs, outputs (each one requantized), output pixels, im2col elements, stored blocks times
// the 4-pixel groups a coded stream is walked for, softmax entries, ... The coefficients
// are least-squares fits over measured ops, one per variant, with a fit over the variant's
// kernel family (all depthwise sizes and strides together) as the fallback for a variant
// the measurement never ran. The interpreter's own
// instructions between ops are a constant per op.
//
// A table is a JSON file (format "tinynas-latency", version 1): the target, the runtime's
// source hash it was measured on (runtime_source_hash(): a table of another runtime is
// stale, detected by `tinynas latency show` and a test), the feature names of each variant
// and their coefficients. A fit whose feature names differ from this code's is not used
// (the table predates a change of the features: re-measure). The shipped tables
// (src/cost/latency/<target>.json) are compiled in: builtin_latency_table().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinynas/core/json.h"
#include "tinynas/cost/sparse_coding.h"
#include "tinynas/space/graph.h"

namespace tinynas::cost {

struct OpCost;

/// The kernel family an op runs (what the per-op profile groups by): the op kind's name,
/// for conv "conv depthwise" (groups = channels) or "conv 1x1", then " sparse" when its
/// weights are run-length coded.
std::string kernel_family(const space::Graph& graph, const space::Op& op, Storage storage);

/// The family refined to the runtime's dispatch: depthwise convs add "<kh>x<kw>/<stride>",
/// coded layers the sweep takes (takes_sweep) " sweep".
std::string latency_key(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                        const std::vector<std::uint8_t>* block_nonzero = nullptr);

/// The runtime runs a coded 1x1 conv (stride 1, no padding, no groups) or linear layer with
/// blocks of 4 (or 2) over rows of a multiple of the block by its weights-stationary sweep
/// when it stores at most kSweepMaxBlocksX2 / 2 (kSweep2MaxBlocksX2 / 2) blocks per output
/// channel on average (equal to TNN_SWEEP_MAX_BLOCKS_X2 and TNN_SWEEP2_MAX_BLOCKS_X2 of
/// src/runtime/tnn_sparse_sweep.h; a test compares them).
inline constexpr std::int64_t kSweepMaxBlocksX2 = 3;
inline constexpr std::int64_t kSweep2MaxBlocksX2 = 5;

/// Whether the sweep runs `op` (stored blocks counted from the real mask when given).
bool takes_sweep(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                 const std::vector<std::uint8_t>* block_nonzero = nullptr);

/// One op's features, in the order of `names`; names[0] is always "1" (the per-call cost).
struct LatencyFeatures {
  std::string key;                 ///< latency_key()
  std::string family;              ///< kernel_family(): the fallback fit
  std::vector<std::string> names;
  std::vector<double> values;
};

/// The features of `op` with its cost figures (OpCost: storage, blocks, pruned blocks,
/// MACs) and, when known, its real block mask (CostOptions::block_nonzero; else the
/// pruned blocks are taken as spread at random). `op` must belong to a valid graph.
LatencyFeatures latency_features(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                                 const std::vector<std::uint8_t>* block_nonzero = nullptr);

/// A least-squares fit: instructions = sum coef[i] * feature[i].
struct LatencyFit {
  std::vector<std::string> features;
  std::vector<double> coef;
  int rows = 0;         ///< measured ops it was fitted on
  double mape = 0;      ///< mean absolute percentage error on them
  double max_ape = 0;   ///< the largest
};

struct LatencyTable {
  static constexpr int kVersion = 1;
  std::string target;         ///< "m7", "m4"
  std::string cpu, board;     ///< "cortex-m7", "mps2-an500"
  std::string runtime_hash;   ///< runtime_source_hash() of the runtime measured
  std::string measured;       ///< what was measured (recipes, samples, seed): provenance
  int models = 0;             ///< models run
  double per_op = 0;          ///< the interpreter's instructions between ops, per op
  std::map<std::string, LatencyFit> variants;  ///< by latency_key()
  std::map<std::string, LatencyFit> families;  ///< by kernel_family(): fallback

  core::Json to_json() const;
  /// Errors name `where` and the key.
  static LatencyTable from_json(const core::Json& j, const std::string& where);
};

/// One measured op (export/latency_measure.h collects them).
struct MeasuredOp {
  LatencyFeatures features;
  std::int64_t instructions = 0;
};

/// Fits every variant and family with at least one row. `per_op` as measured.
LatencyTable fit_latency_table(const std::vector<MeasuredOp>& ops, double per_op);

/// Predicted instructions of one op, >= 0. Throws core::Error naming the target and the
/// variant when the table has neither its variant nor its family.
double predict_op_instructions(const LatencyTable& table, const LatencyFeatures& features);

/// The compiled-in table of `target` ("m7" or "m4"); throws core::Error for others or when
/// the target has no shipped table.
const LatencyTable& builtin_latency_table(const std::string& target);

/// FNV-1a 64 (hex) over the runtime's sources, given as (file name, contents) pairs in any
/// order: the hash a table records.
std::string runtime_source_hash(std::vector<std::pair<std::string, std::string>> files);

/// Milliseconds of `instructions` at `mhz`, one instruction per cycle (an estimate: see
/// exporter::VerifyReport::kClockAssumption).
inline double instructions_to_ms(double instructions, double mhz) { return instructions / (mhz * 1e3); }
/// The instruction budget of `ms` at `mhz` (rounded down).
inline std::int64_t ms_to_instructions(double ms, double mhz) { return std::int64_t(ms * mhz * 1e3); }

}  // namespace tinynas::cost
