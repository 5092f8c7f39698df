// Training data for the accuracy predictor (nas/predictor.h): the candidates a one-shot
// search scored (nas/oneshot_search.h), read back from its directory.
#pragma once

#include <string>
#include <vector>

#include "tinynas/cost/cost.h"
#include "tinynas/nas/strategy.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {

struct PredictorData {
  std::vector<Genome> genomes;
  std::vector<cost::Cost> costs;     ///< recomputed with the caller's cost options
  std::vector<double> accuracy;      ///< one-shot top-1 in [0, 1]
  std::vector<std::string> where;    ///< "<dir>/evaluations.jsonl:<line>" of each row
  std::string supernet;              ///< the supernet the accuracies were measured on

  std::size_t size() const { return genomes.size(); }
  /// Appends `more`'s rows; throws core::Error (naming both) when it is of another supernet.
  void append(const PredictorData& more);
};

/// The supernet text ("tf1-n{c1=24,...}") recorded in <dir>/search.json; throws
/// core::Error naming the file when it is missing or has none.
std::string search_log_supernet(const std::string& dir);

/// Every scored candidate of the one-shot search in `dir`, in evaluation order: its arch
/// and sparse config parsed against `layout`, its cost from cost::evaluate_path with
/// `options`, its accuracy. `supernet` is the text of layout's supernet (space::to_string);
/// search.json must name the same one. Errors (no search there, another supernet, a line
/// that does not parse) name the file and line.
PredictorData read_search_log(const std::string& dir, const space::SupernetLayout& layout,
                              const std::string& supernet, const cost::CostOptions& options);

}  // namespace tinynas::nas
