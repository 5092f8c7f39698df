// The measured latency tables (src/cost/latency/*.json) compiled into the cost library by
// cmake/embed_files.cmake; read through builtin_latency_table() (cost/latency.h).
#pragma once

#include <string>
#include <vector>

namespace tinynas::cost {

struct EmbeddedTable {
  std::string name;     ///< file name, e.g. "m7.json"
  std::string content;  ///< the JSON text
};

const std::vector<EmbeddedTable>& embedded_latency_tables();

}  // namespace tinynas::cost
