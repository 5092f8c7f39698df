// Code generation: an int8 model as a standalone C project (DESIGN.md §1, issue 7).
//
// The project directory (NAME = model_identifier(ProjectOptions::name), e.g. "mnist"):
//   src/NAME_model.h, src/NAME_model.c
//                        the model data as `const uint32_t NAME_model_data[]` (one blob in
//                        the runtime's format, src/runtime/tnn_model.h, commented section by
//                        section), its sizes and input quantization as NAME_MODEL_* macros;
//                        every name prefixed, so several models link into one firmware
//   src/runtime/         the runtime's sources, verbatim
//   src/app/             the programs: main_host.c (host: classifies int8 images from a
//                        file), main_m7.c, startup_m7.c, mps2.ld (the same program for a
//                        Cortex-M7 on QEMU's mps2-an500 and a Cortex-M4 on mps2-an386,
//                        output through semihosting), app_model.h (generated: this model
//                        under the APP_MODEL_* names the programs use)
//   CMakeLists.txt       a component: library NAME_model (the model data) linked to the
//                        library tinynas_runtime (defined once however many models a
//                        firmware adds with add_subdirectory), the host program only when
//                        not cross-compiling
//   zephyr/              a Zephyr module (module.yml, CMakeLists.txt, Kconfig)
//   Makefile, README.md  builds the host program and both cores (-std=c99 -Wall -Wextra
//                        -Werror) into build/; its TARGET (the core `make size` reports)
//                        defaults to ProjectOptions::target
//   model.tnnq           the int8 IR it was generated from (the reference `verify` runs)
//   export.json          what was exported: provenance, the C name, the cost model's
//                        figures (flash, peak SRAM, its lower bound), per-op storage and sizes
// Build outputs go to build/ (the Makefile's; a CMake build directory of one's choice),
// `tinynas verify`'s to verify/.
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

/// The exported project's layout ("version" of its export.json): 2 since the sources
/// moved under src/ with names prefixed by the model's (model_identifier). verify refuses
/// older projects, and `tinynas run` mixes it into its export stage's fingerprint, so a
/// run exported by an older tinynas exports again.
inline constexpr int kProjectVersion = 2;

struct ProjectOptions {
  /// The model's name: any text, kept as a C string in the header (NAME_MODEL_NAME); its
  /// model_identifier() names the files, symbols, macros and CMake targets.
  std::string name = "model";
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

/// The C identifier of a model's name: lower case, every run of characters other than
/// letters, digits and '_' one '_', no leading or trailing '_', a leading digit prefixed
/// with "m", at most 40 characters; "model" when nothing is left, and "tnn" (the runtime's
/// own prefix: its tnn_model.h) becomes "tnn_net". The project's names derive from it:
/// files src/ID_model.h/.c, symbol ID_model_data, macros and include guard ID_MODEL_*
/// (upper case), CMake target ID_model, Zephyr module ID_model and Kconfig symbol
/// TINYNAS_ID_MODEL.
std::string model_identifier(const std::string& name);

/// The generated src/ID_model.h / src/ID_model.c text (also for tests); ID is
/// model_identifier(name).
std::string model_header_source(const compress::QuantizedModel& model, const ModelData& data,
                                const std::string& name);
std::string model_data_source(const compress::QuantizedModel& model, const ModelData& data,
                              const std::string& name);
/// src/app/app_model.h: the model under the names the project's programs use.
std::string app_model_header_source(const std::string& name);

/// Where model_header_source's and model_data_source's text goes, relative to the project.
std::string model_header_path(const std::string& name);
std::string model_source_path(const std::string& name);

}  // namespace tinynas::exporter
