// The cost front door used by search and the CLI: one (supernet layout, arch, sparse
// config) → its op graph (space/describe.h) → its Cost (cost.h).
#pragma once

#include <cstdint>

#include "tinynas/cost/cost.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::cost {

/// The target MCU's budgets (recipe: run.sram_kb, run.flash_kb; 1 KB = 1024 bytes), and
/// optionally a model-size budget (run.params_k, in thousands of effective parameters) as
/// the hybrid-space paper compares spaces at a fixed parameter count, and a latency budget
/// (run.latency_ms at export.mcu_mhz: predicted instructions per inference, latency.h).
struct Limits {
  std::int64_t sram_bytes = 0;
  std::int64_t flash_bytes = 0;
  std::int64_t effective_params = 0;  ///< 0: no parameter budget
  std::int64_t instructions = 0;      ///< 0: no latency budget
  double mcu_mhz = 216;               ///< the clock `instructions` was converted at

  static Limits from_kb(double sram_kb, double flash_kb, double params_k = 0, double latency_ms = 0,
                        double mcu_mhz = 216) {
    return {std::int64_t(sram_kb * 1024.0), std::int64_t(flash_kb * 1024.0), std::int64_t(params_k * 1000.0),
            ms_to_instructions(latency_ms, mcu_mhz), mcu_mhz};
  }
  /// Only the memory budgets (what pruning cannot fix, or what Algorithm 1 tests).
  Limits memory_only() const { return {sram_bytes, flash_bytes, 0, 0, mcu_mhz}; }
};

/// peak_sram <= sram_bytes and flash <= flash_bytes (Algorithm 1's ResourceEval test),
/// effective_params within the parameter budget and the predicted instructions within the
/// latency budget when there are ones.
inline bool fits(const Cost& c, const Limits& l) {
  return c.peak_sram <= l.sram_bytes && c.flash <= l.flash_bytes &&
         (l.effective_params <= 0 || c.effective_params <= l.effective_params) &&
         (l.instructions <= 0 || c.instructions <= l.instructions);
}

/// Cost of `arch` in `layout` pruned as `sparse` (dense when null).
Cost evaluate_path(const space::SupernetLayout& layout, const space::Arch& arch,
                   const space::SparseConfig* sparse = nullptr, const CostOptions& options = {});

}  // namespace tinynas::cost
