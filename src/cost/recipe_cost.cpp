#include "tinynas/cost/recipe_cost.h"

namespace tinynas::cost {

Limits limits_of(const config::Recipe& r) {
  return Limits::from_kb(r.run.sram_kb, r.run.flash_kb, r.run.params_k, r.run.latency_ms, r.export_.mcu_mhz);
}

CostOptions cost_options_of(const config::Recipe& r) {
  CostOptions co;
  co.storage = parse_storage_policy(r.export_.storage);
  co.target = r.export_.target;
  co.flash_budget = limits_of(r).flash_bytes;
  return co;
}

}  // namespace tinynas::cost
