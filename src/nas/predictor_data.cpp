#include "tinynas/nas/predictor_data.h"

#include "search_files.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/nas/oneshot_search.h"

namespace tinynas::nas {

void PredictorData::append(const PredictorData& more) {
  if (!supernet.empty() && !more.supernet.empty() && supernet != more.supernet)
    throw core::Error("cannot join evaluations of supernet " + more.supernet + " (" +
                      (more.where.empty() ? std::string("?") : more.where.front()) + ") to those of " + supernet);
  if (supernet.empty()) supernet = more.supernet;
  genomes.insert(genomes.end(), more.genomes.begin(), more.genomes.end());
  costs.insert(costs.end(), more.costs.begin(), more.costs.end());
  accuracy.insert(accuracy.end(), more.accuracy.begin(), more.accuracy.end());
  where.insert(where.end(), more.where.begin(), more.where.end());
}

std::string search_log_supernet(const std::string& dir) {
  const std::string path = dir + "/search.json";
  if (!core::is_regular_file(path))
    core::fail_file(path, "missing: not the directory of a one-shot search ('tinynas sparsenas search' with "
                          "strategy evolution/nsga2, or 'sparsenas compare', writes one)");
  const core::Json j = core::Json::parse(core::read_text_file(path), path);
  const core::Json* s = j.is_object() ? j.find("supernet") : nullptr;
  if (!s || !s->is_string() || s->as_string().empty()) core::fail_file(path, "key 'supernet': missing");
  return s->as_string();
}

PredictorData read_search_log(const std::string& dir, const space::SupernetLayout& layout,
                              const std::string& supernet, const cost::CostOptions& options) {
  const std::string recorded = search_log_supernet(dir);
  if (recorded != supernet)
    core::fail_file(dir + "/search.json", "the search ran on supernet " + recorded + ", not " + supernet);
  const std::string log = dir + "/evaluations.jsonl";
  if (!core::is_regular_file(log)) core::fail_file(log, "missing: the search scored nothing yet");
  PredictorData d;
  d.supernet = supernet;
  for (const auto& [json, where] : detail::read_json_lines(log)) {
    const OneShotEvaluation e = oneshot_evaluation_from_json(json, where);
    Genome g;
    try {
      g.arch = space::parse_arch(e.arch, layout);
      g.sparse = space::parse_sparse(e.sparse, layout);
    } catch (const core::Error& err) {
      core::rethrow_with_context(where, err);
    }
    d.costs.push_back(cost::evaluate_path(layout, g.arch, &g.sparse, options));
    d.genomes.push_back(std::move(g));
    d.accuracy.push_back(e.objectives.accuracy);
    d.where.push_back(where);
  }
  if (d.genomes.empty()) core::fail_file(log, "holds no evaluation");
  return d;
}

}  // namespace tinynas::nas
