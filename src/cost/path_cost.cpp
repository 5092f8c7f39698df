#include "tinynas/cost/path_cost.h"

#include "tinynas/space/describe.h"

namespace tinynas::cost {

Cost evaluate_path(const space::SupernetLayout& layout, const space::Arch& arch,
                   const space::SparseConfig* sparse, const CostOptions& options) {
  return evaluate(space::describe_path(layout, arch, sparse), options);
}

}  // namespace tinynas::cost
