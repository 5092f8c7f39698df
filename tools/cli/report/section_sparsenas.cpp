// SparseNAS stage 1: the candidates (Algorithm 3, sparsenas/candidates.jsonl) or the
// one-shot search (sparsenas/evaluations.jsonl), each as a table and plots with the
// configuration it chose (sparsenas/best.json) highlighted in both.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "report.h"
#include "tinynas/core/svg.h"

namespace tinynas::cli::report {
namespace {

// The chosen configuration's int8 accuracy: quant/quant.json when it quantized the pick
// (only the pick is fine-tuned and quantized).
std::string pick_int8(const Context& c, const std::optional<Pick>& pick) {
  const JsonFile q = c.json("quant/quant.json");
  if (!pick || !q.json || !pick->matches(*q.json) || num(*q.json, "int8_accuracy") < 0) return "";
  return pct(num(*q.json, "int8_accuracy")) + " (" + str(*q.json, "eval_split") + ")";
}

std::string or_dash(double v, const std::string& text) { return v >= 0 ? text : "-"; }

// One table row of a candidate; `accuracy_key` is the score the search ranked it by.
std::vector<std::string> candidate_row(const core::Json& e, const char* index_key, const char* accuracy_key,
                                       bool latency, const std::string& int8) {
  std::vector<std::string> row = {fmt("%.0f", num(e, index_key)), str(e, "arch"), str(e, "sparse")};
  const double acc = num(e, accuracy_key);
  row.push_back(acc >= 0 ? pct(acc) : str(e, "status"));
  if (latency) row.push_back(or_dash(num(e, "latency_ms"), fmt("%.2f ms", num(e, "latency_ms"))));
  row.push_back(or_dash(num(e, "macs"), fmt("%.2f M", num(e, "macs") / 1e6)));
  row.push_back(or_dash(num(e, "flash"), kb(num(e, "flash"))));
  row.push_back(or_dash(num(e, "peak_sram"), kb(num(e, "peak_sram"))));
  row.push_back(int8.empty() ? "-" : int8);
  return row;
}

Table candidate_table(const std::vector<const core::Json*>& rows, const std::optional<Pick>& pick,
                      const std::string& int8, const char* index_key, const char* accuracy_key,
                      const std::string& accuracy_header, bool latency) {
  Table t{{{"#", "path", "sparse config", accuracy_header}}};
  if (latency) t.rows[0].push_back("predicted latency");
  for (const char* h : {"MACs", "flash", "peak SRAM", "int8 accuracy"}) t.rows[0].push_back(h);
  for (const core::Json* e : rows) {
    const bool chosen = pick && pick->matches(*e);
    if (chosen && t.highlight < 0) t.highlight = int(t.rows.size());
    t.rows.push_back(candidate_row(*e, index_key, accuracy_key, latency, chosen ? int8 : ""));
  }
  return t;
}

std::string pick_sentence(const std::optional<Pick>& pick, const std::string& int8) {
  if (!pick) return "No configuration chosen yet (no sparsenas/best.json).";
  return "The chosen configuration (highlighted) is " + pick->arch + " with " + pick->sparse +
         ". Only it is fine-tuned and quantized: its int8 accuracy " +
         (int8.empty() ? std::string("is not measured yet") : "is " + int8) + ". MACs are dense (before pruning).";
}

// Algorithm 3: every candidate trained for sparsenas.epochs under AGP pruning.
void candidates_section(const Context& c, const std::optional<Pick>& pick) {
  const JsonLines cands = c.jsonl("sparsenas/candidates.jsonl");
  c.line_errors(cands);
  if (cands.lines.empty()) {
    c.doc.text(cands.missing ? "Not run." : "sparsenas/candidates.jsonl holds no candidate yet.");
    return;
  }
  const std::string int8 = pick_int8(c, pick);
  std::vector<const core::Json*> rows;
  std::vector<core::ScatterPoint> pts;
  for (const auto& e : cands.lines) {
    rows.push_back(&e);
    if (num(e, "pruned_accuracy") >= 0 && num(e, "flash") >= 0)
      pts.push_back({num(e, "flash") / 1024.0, percent(num(e, "pruned_accuracy")),
                     str(e, "arch") + " " + str(e, "sparse"), pick && pick->matches(e)});
  }
  c.doc.text(pick_sentence(pick, int8));
  c.doc.add(candidate_table(rows, pick, int8, "index", "pruned_accuracy", "pruned accuracy (val)", false));
  if (pts.empty()) return;
  core::ScatterOptions so;
  so.title = "SparseNAS candidates: pruned accuracy vs flash";
  so.x_label = "flash (KB)";
  so.y_label = "pruned accuracy, validation (%)";
  so.highlight_label = "chosen configuration";
  so.markers.push_back({c.recipe.run.flash_kb, "flash limit (" + fmt("%g", c.recipe.run.flash_kb) + " KB)"});
  c.plot("sparsenas_pareto.svg", core::scatter_svg(pts, so));
}

}  // namespace

void sparsenas_section(const Context& c) {
  c.doc.heading("SparseNAS candidates");
  const std::optional<Pick> pick = read_pick(c);
  if (c.recipe.sparsenas.strategy != "random" || !c.jsonl("sparsenas/evaluations.jsonl").missing)
    oneshot_section(c, pick);
  else
    candidates_section(c, pick);
}

namespace {

// The evaluations on the search's last front (sparsenas/pareto.csv, first column), or the
// ten most accurate when the file is missing; the pick always.
std::vector<const core::Json*> front_rows(const Context& c, const std::vector<core::Json>& evals,
                                          const std::optional<Pick>& pick) {
  std::set<long long> front;
  std::ifstream in(c.path("sparsenas/pareto.csv"));
  std::string line;
  for (bool header = true; std::getline(in, line); header = false)
    if (!header && !line.empty()) front.insert(std::atoll(line.c_str()));
  std::vector<const core::Json*> rows;
  for (const auto& e : evals) rows.push_back(&e);
  std::sort(rows.begin(), rows.end(), [](const core::Json* a, const core::Json* b) {
    return num(*a, "accuracy") > num(*b, "accuracy");
  });
  std::vector<const core::Json*> out;
  for (const core::Json* e : rows) {
    const bool on_front = front.empty() ? out.size() < 10 : front.count((long long)num(*e, "evaluation")) > 0;
    if (on_front || (pick && pick->matches(*e))) out.push_back(e);
  }
  return out;
}

core::ScatterOptions front_plot(const Context& c, bool by_latency) {
  const auto& r = c.recipe;
  core::ScatterOptions so;
  so.title = std::string("One-shot accuracy vs ") +
             (by_latency ? "predicted latency (" + cpu_name(r.export_.target) + ", " + fmt("%g", r.export_.mcu_mhz) + " MHz)"
                         : "flash");
  so.x_label = by_latency ? "predicted latency (ms)" : "flash (KB)";
  so.y_label = "one-shot accuracy, validation (%)";
  so.highlight_label = "chosen configuration (sparsenas.pick: " + r.sparsenas.pick + ")";
  if (by_latency && r.run.latency_ms > 0)
    so.markers.push_back({r.run.latency_ms, "latency limit (" + fmt("%g", r.run.latency_ms) + " ms)"});
  if (!by_latency) so.markers.push_back({r.run.flash_kb, "flash limit (" + fmt("%g", r.run.flash_kb) + " KB)"});
  return so;
}

void hypervolume_plot(const Context& c) {
  const JsonLines hv = c.jsonl("sparsenas/hv.jsonl");
  c.line_errors(hv);
  if (hv.lines.empty()) return;
  core::LineSeries s{"", {}, {}};
  for (const auto& h : hv.lines) s.x.push_back(num(h, "evaluations")), s.y.push_back(percent(num(h, "normalised")));
  c.plot("hypervolume.svg", core::line_svg({s}, {"Hypervolume over evaluations", "one-shot evaluations",
                                                  "hypervolume (% of the reference box)"}));
}

}  // namespace

// A one-shot search (sparsenas.strategy evolution / nsga2; oneshot_search.h): the front of
// accuracy against latency and flash, the pick, and the hypervolume over evaluations.
void oneshot_section(const Context& c, const std::optional<Pick>& pick) {
  const JsonLines evals = c.jsonl("sparsenas/evaluations.jsonl");
  c.line_errors(evals);
  if (evals.lines.empty()) {
    c.doc.text(evals.missing ? "Not run." : "sparsenas/evaluations.jsonl holds no evaluation yet.");
    return;
  }
  const auto& s = c.recipe.sparsenas;
  const std::string int8 = pick_int8(c, pick);
  c.doc.text(fmt("%.0f", double(evals.lines.size())) + " candidates scored one-shot (after BatchNorm recalibration, "
             "no training) by " + s.strategy + ", objectives " + s.objectives + ". The table lists the last front "
             "(sparsenas/pareto.csv), most accurate first; every evaluation is in sparsenas/evaluations.jsonl. " +
             pick_sentence(pick, int8));
  c.doc.add(candidate_table(front_rows(c, evals.lines, pick), pick, int8, "evaluation", "accuracy",
                            "one-shot accuracy (val)", true));
  for (const bool by_latency : {true, false}) {
    std::vector<core::ScatterPoint> pts;
    for (const auto& e : evals.lines)
      pts.push_back({by_latency ? num(e, "latency_ms") : num(e, "flash") / 1024.0, percent(num(e, "accuracy")),
                     str(e, "arch") + " " + str(e, "sparse"), pick && pick->matches(e)});
    c.plot(by_latency ? "front_latency.svg" : "front_flash.svg", core::scatter_svg(pts, front_plot(c, by_latency)));
  }
  hypervolume_plot(c);
}

}  // namespace tinynas::cli::report
