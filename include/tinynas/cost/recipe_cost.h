// The recipe's view of the cost model, defined once for every stage that checks limits:
// the limits (run.sram_kb, run.flash_kb, run.params_k, run.latency_ms at export.mcu_mhz)
// and the options the cost is computed with (export.storage, export.target's latency
// table).
#pragma once

#include "tinynas/config/recipe.h"
#include "tinynas/cost/path_cost.h"

namespace tinynas::cost {

Limits limits_of(const config::Recipe& recipe);
/// Throws core::Error naming export.storage when it is not a storage policy.
CostOptions cost_options_of(const config::Recipe& recipe);

}  // namespace tinynas::cost
