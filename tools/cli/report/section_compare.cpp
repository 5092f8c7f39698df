// The strategy comparison (`tinynas sparsenas compare`, compare/compare.json): the
// hypervolume of everything evaluated against one-shot evaluations, median over seeds, one
// line per strategy (HyT-NAS Fig. 4 on our data), and how soon each reaches NSGA-II's
// final hypervolume. Only when the run has one: most runs never compare.
#include <cmath>

#include "report.h"
#include "tinynas/core/svg.h"
#include "tinynas/nas/strategy_comparison.h"

namespace tinynas::cli::report {
namespace {

// A strategy's median curve: evaluations and hypervolumes (negative: not reached by every seed).
struct Curve {
  std::string strategy;
  std::vector<double> evaluations, hypervolume;
  double at(double k) const {  // the last point at or before k evaluations
    double v = -1;
    for (std::size_t i = 0; i < evaluations.size() && evaluations[i] <= k; ++i) v = hypervolume[i];
    return v;
  }
  double first_reaching(double hv) const {  // evaluations, -1 when never
    for (std::size_t i = 0; i < evaluations.size(); ++i)
      if (hypervolume[i] >= hv && hypervolume[i] >= 0) return evaluations[i];
    return -1;
  }
};

std::vector<double> numbers(const core::Json& j, const char* key) {
  std::vector<double> out;
  for (const auto& v : j.at(key).elements()) out.push_back(v.as_double());
  return out;
}

}  // namespace

void compare_section(const Context& c) {
  const JsonFile f = c.json("compare/compare.json");
  if (f.missing()) return;
  c.doc.heading("Search strategies compared");
  if (!c.usable(f, "")) return;
  std::vector<Curve> curves;
  std::vector<core::LineSeries> lines;
  for (const auto& s : f.json->at("strategies").elements()) {
    Curve cv{str(s, "strategy"), numbers(s, "evaluations"), numbers(s, "median_hypervolume")};
    core::LineSeries l{cv.strategy, {}, {}, nas::strategy_color(cv.strategy)};
    for (std::size_t i = 0; i < cv.evaluations.size(); ++i)
      if (cv.hypervolume[i] >= 0) l.x.push_back(cv.evaluations[i]), l.y.push_back(cv.hypervolume[i]);
    curves.push_back(cv), lines.push_back(l);
  }
  c.plot("compare_hypervolume.svg",
         core::line_svg(lines, {"Hypervolume of everything evaluated (median over seeds)", "one-shot evaluations",
                                "hypervolume / reference box"}));
  double nsga2_final = -1, nsga2_budget = 0;
  for (const auto& cv : curves)
    if (cv.strategy == "nsga2" && !cv.evaluations.empty())
      nsga2_final = cv.hypervolume.back(), nsga2_budget = cv.evaluations.back();
  Table t{{{"strategy", "budget", "hypervolume at 100", "at 200", "at the budget",
            nsga2_final >= 0 ? "evaluations to NSGA-II's " + fmt("%.0f", nsga2_budget) : "-"}}};
  for (const auto& cv : curves) {
    const double budget = cv.evaluations.empty() ? 0 : cv.evaluations.back();
    auto hv = [&](double k) { return cv.at(k) >= 0 ? fmt("%.4f", cv.at(k)) : std::string("-"); };
    const double reach = nsga2_final >= 0 ? cv.first_reaching(nsga2_final) : -1;
    t.rows.push_back({cv.strategy, fmt("%.0f", budget), hv(100), hv(200), hv(budget),
                      reach >= 0 ? fmt("%.0f", reach) : std::string("not reached")});
  }
  c.doc.add(t);
  c.doc.text("Seeds: sparsenas.seed + 0, 1, ...; one hypervolume reference for all (the search's "
             "objectives and limits). Every strategy's runs and curves: compare/ (compare.json, compare.csv).");
}

}  // namespace tinynas::cli::report
