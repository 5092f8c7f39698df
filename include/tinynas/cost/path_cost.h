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
/// the hybrid-space paper compares spaces at a fixed parameter count.
struct Limits {
  std::int64_t sram_bytes = 0;
  std::int64_t flash_bytes = 0;
  std::int64_t effective_params = 0;  ///< 0: no parameter budget

  static Limits from_kb(double sram_kb, double flash_kb, double params_k = 0) {
    return {std::int64_t(sram_kb * 1024.0), std::int64_t(flash_kb * 1024.0),
            std::int64_t(params_k * 1000.0)};
  }
};

/// peak_sram <= sram_bytes and flash <= flash_bytes (Algorithm 1's ResourceEval test), and
/// effective_params within the parameter budget when there is one.
inline bool fits(const Cost& c, const Limits& l) {
  return c.peak_sram <= l.sram_bytes && c.flash <= l.flash_bytes &&
         (l.effective_params <= 0 || c.effective_params <= l.effective_params);
}

/// Cost of `arch` in `layout` pruned as `sparse` (dense when null).
Cost evaluate_path(const space::SupernetLayout& layout, const space::Arch& arch,
                   const space::SparseConfig* sparse = nullptr, const CostOptions& options = {});

}  // namespace tinynas::cost
