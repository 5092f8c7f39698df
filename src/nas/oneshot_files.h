// The files a one-shot search rewrites after each generation (their formats:
// include/tinynas/nas/oneshot_search.h's header comment): hv.jsonl, pareto.csv and
// population.json. Rank 0 alone writes them (private to the nas layer).
#pragma once

#include <string>
#include <vector>

#include "tinynas/core/json.h"
#include "tinynas/nas/oneshot_search.h"
#include "tinynas/nas/pareto.h"
#include "tinynas/nas/strategy.h"
#include "tinynas/space/space.h"

namespace tinynas::nas::detail {

class GenerationFiles {
 public:
  /// `reference`: the hypervolume reference point in `objectives` (their minimised form).
  GenerationFiles(std::string out_dir, const ObjectiveSet& objectives, std::vector<double> reference);

  /// After generation `generation`: appends its record to hv.jsonl (rewritten atomically
  /// with every record so far) and rewrites pareto.csv. `all` are the scored candidates so
  /// far, `evals` their records (same order). Returns the hypervolume of `all`.
  double write_front(int generation, const std::vector<Scored>& all,
                     const std::vector<OneShotEvaluation>& evals);

  /// population.json after told generation `generation`; `population` best first,
  /// `evaluations` scored so far.
  void write_population(int generation, int evaluations, const std::string& strategy,
                        const std::vector<Scored>& population, const space::SupernetLayout& layout) const;

 private:
  void write_hv(int generation, int evaluations, double hv);
  void write_pareto(const Points& points, const std::vector<OneShotEvaluation>& evals) const;

  std::string out_dir_;
  ObjectiveSet objectives_;
  std::vector<double> reference_;
  double box_;                          // volume between ideal() and the reference
  std::vector<core::Json> hv_records_;  // one per generation so far
};

}  // namespace tinynas::nas::detail
