// Code generation: an int8 model as a standalone C project (DESIGN.md §1, issue 7).
//
// The project directory holds:
//   model.h, model.c     the model data as `const uint32_t tnn_model_data[]` (one blob in
//                        the runtime's format, src/runtime/tnn_model.h, commented section by
//                        section), its sizes and input quantization as macros
//   runtime/             the runtime's sources, verbatim
//   main_host.c          host program: classifies int8 images from a file
//   main_m7.c, startup_m7.c, mps2.ld
//                        the same program for a Cortex-M7 (QEMU's mps2-an500 board) and a
//                        Cortex-M4 (mps2-an386), output through semihosting
//   Makefile, README.md  builds the host program and both cores (-std=c99 -Wall -Wextra
//                        -Werror); its TARGET (the core `make size` reports) defaults to
//                        ProjectOptions::target
//   model.tnnq           the int8 IR it was generated from (the reference `verify` runs)
//   export.json          what was exported: provenance, the cost model's figures (flash,
//                        peak SRAM, its lower bound), per-op storage and sizes
// The directory is written next to its destination and moved into place when complete, so
// a failed export never leaves a half-written project over a good one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tinynas/compress/quant_model.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/core/error.h"
#include "tinynas/core/json.h"
#include "tinynas/export/model_data.h"

namespace tinynas::exporter {

/// The Cortex-M build a project is made for: its Makefile's default TARGET, export.json's
/// "target", and the build `verify` runs under QEMU. Both builds are always in the project
/// (`make m7`, `make m4`).
enum class McuTarget {
  m7,  ///< Cortex-M7, QEMU mps2-an500
  m4   ///< Cortex-M4, QEMU mps2-an386
};
const char* to_string(McuTarget target);   ///< "m7", "m4" (the Makefile's goal names)
const char* mcu_cpu(McuTarget target);     ///< "cortex-m7", "cortex-m4"
const char* mcu_board(McuTarget target);   ///< QEMU's machine: "mps2-an500", "mps2-an386"
/// "m7" or "m4"; anything else throws core::Error naming the valid values.
McuTarget parse_mcu_target(const std::string& text);

struct ProjectOptions {
  std::string name = "model";  ///< the model's name in model.h (a C string; any text)
  McuTarget target = McuTarget::m7;  ///< recipe export.target
  ModelDataOptions data;
  /// The target's budgets, checked against the exact figures of the model data (they can
  /// differ from the search's prediction: the real pruned blocks set the coded sizes, and a
  /// layer that `auto` stores dense needs an im2col scratch buffer). Recorded in
  /// export.json; when `enforce_limits`, a model over them is an error and nothing is written.
  /// Their flash is also storage `fast`'s budget (ModelDataOptions::flash_budget).
  std::optional<cost::Limits> limits;
  bool enforce_limits = true;
};

/// Thrown by export_project when the model is over enforced limits (nothing was written).
class LimitsExceeded : public core::Error {
 public:
  using core::Error::Error;
};

/// The cost options an export chose its weight storage with, read back from its export.json
/// (storage_policy, target, limits.flash_bytes), with `model`'s real block masks: verify and
/// the report recompute the export's figures from them.
cost::CostOptions export_cost_options(const core::Json& manifest, const compress::QuantizedModel& model);

/// Which of `limits` the exported figures exceed, one readable line each (empty: fits).
std::vector<std::string> limits_exceeded(const cost::Cost& cost, const cost::Limits& limits);

struct ExportResult {
  ModelData data;
  core::Json manifest;  ///< the contents of export.json
  std::vector<std::string> limits_exceeded;  ///< as limits_exceeded() (exported anyway: not enforced)
};

/// Writes the project to `dir` (created, or replaced when it exists). Throws core::Error
/// naming the path when it cannot be written.
ExportResult export_project(const compress::QuantizedModel& model, const std::string& dir,
                            const ProjectOptions& options = {});

/// The generated model.h / model.c text (also for tests).
std::string model_header_source(const compress::QuantizedModel& model, const ModelData& data,
                                const std::string& name);
std::string model_data_source(const compress::QuantizedModel& model, const ModelData& data);

}  // namespace tinynas::exporter
