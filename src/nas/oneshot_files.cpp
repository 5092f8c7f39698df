#include "oneshot_files.h"

#include <utility>

#include "tinynas/core/fs.h"

namespace tinynas::nas::detail {
namespace {

core::Json genome_json(const Scored& s, const space::SupernetLayout& layout) {
  core::Json j = core::Json::object();
  j["arch"] = space::to_string(s.genome.arch, layout);
  j["sparse"] = space::to_string(s.genome.sparse, layout);
  j["accuracy"] = s.objectives.accuracy;
  j["latency_ms"] = s.objectives.latency_ms;
  j["flash"] = s.objectives.flash;
  j["peak_sram"] = s.objectives.peak_sram;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Doubles as JSON writes them, so the CSV and the JSON files agree digit for digit.
std::string csv_row(const OneShotEvaluation& e) {
  return std::to_string(e.evaluation) + "," + std::to_string(e.generation) + "," +
         std::to_string(e.index) + "," + csv_field(e.arch) + "," + csv_field(e.sparse) + "," +
         core::Json(e.objectives.accuracy).dump() + "," + core::Json(e.objectives.latency_ms).dump() +
         "," + std::to_string(e.objectives.flash) + "," + std::to_string(e.objectives.peak_sram) +
         "," + std::to_string(e.effective_params) + "," + std::to_string(e.macs) + "\n";
}

}  // namespace

GenerationFiles::GenerationFiles(std::string out_dir, const ObjectiveSet& objectives,
                                 std::vector<double> reference)
    : out_dir_(std::move(out_dir)),
      objectives_(objectives),
      reference_(std::move(reference)),
      box_(box_volume(objectives.ideal(), reference_)) {}

double GenerationFiles::write_front(int generation, const std::vector<Scored>& all,
                                    const std::vector<OneShotEvaluation>& evals) {
  const Points points = objectives_.minimised(all);
  const double hv = hypervolume(points, reference_);
  write_hv(generation, int(all.size()), hv);
  write_pareto(points, evals);
  return hv;
}

void GenerationFiles::write_hv(int generation, int evaluations, double hv) {
  core::Json h = core::Json::object();
  h["generation"] = generation;
  h["evaluations"] = evaluations;
  h["hypervolume"] = hv;
  h["normalised"] = box_ > 0 ? hv / box_ : 0.0;
  hv_records_.push_back(h);
  std::string text;
  for (const auto& r : hv_records_) text += r.dump() + "\n";
  core::write_file_atomic(out_dir_ + "/hv.jsonl", text);
}

void GenerationFiles::write_pareto(const Points& points, const std::vector<OneShotEvaluation>& evals) const {
  std::string csv = "evaluation,generation,index,arch,sparse,accuracy,latency_ms,flash,peak_sram,"
                    "effective_params,macs\n";
  for (std::size_t k : pareto_front(points)) csv += csv_row(evals[k]);
  core::write_file_atomic(out_dir_ + "/pareto.csv", csv);
}

void GenerationFiles::write_population(int generation, int evaluations, const std::string& strategy,
                                       const std::vector<Scored>& population,
                                       const space::SupernetLayout& layout) const {
  core::Json pop = core::Json::object();
  pop["strategy"] = strategy;
  pop["generation"] = generation;
  pop["evaluations"] = evaluations;
  core::Json list = core::Json::array();
  for (const auto& s : population) list.push_back(genome_json(s, layout));
  pop["population"] = list;
  core::write_file_atomic(out_dir_ + "/population.json", pop.dump_pretty() + "\n");
}

}  // namespace tinynas::nas::detail
