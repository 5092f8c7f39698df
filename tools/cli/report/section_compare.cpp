// The strategy comparison (`tinynas sparsenas compare`, compare/compare.json): the
// hypervolume of everything evaluated against one-shot evaluations, median over seeds, one
// line per strategy (HyT-NAS Fig. 4 on our data), and how soon each reaches NSGA-II's
// final hypervolume. Only when the run has one: most runs never compare.
#include "report.h"
#include "tinynas/core/error.h"
#include "tinynas/core/svg.h"
#include "tinynas/nas/strategy_comparison.h"

namespace tinynas::cli::report {
namespace {

// A strategy's median curve as compare.json holds it (the rest of StrategyCurve stays empty).
nas::StrategyCurve curve_of(const core::Json& s) {
  nas::StrategyCurve c;
  c.strategy = str(s, "strategy");
  for (const auto& v : s.at("evaluations").elements()) c.evaluations.push_back(int(v.as_double()));
  for (const auto& v : s.at("median_hypervolume").elements()) c.median_hypervolume.push_back(v.as_double());
  if (c.median_hypervolume.size() != c.evaluations.size())
    throw core::Error("compare/compare.json: " + c.strategy + ": evaluations and median_hypervolume differ in length");
  return c;
}

}  // namespace

void compare_section(const Context& c) {
  const JsonFile f = c.json("compare/compare.json");
  if (f.missing()) return;
  c.doc.heading("Search strategies compared");
  if (!c.usable(f, "")) return;
  std::vector<nas::StrategyCurve> curves;
  std::vector<core::LineSeries> lines;
  for (const auto& s : f.json->at("strategies").elements()) {
    nas::StrategyCurve cv = curve_of(s);
    core::LineSeries l{cv.strategy, {}, {}, nas::strategy_color(cv.strategy)};
    for (std::size_t i = 0; i < cv.evaluations.size(); ++i)
      if (cv.median_hypervolume[i] >= 0) l.x.push_back(cv.evaluations[i]), l.y.push_back(cv.median_hypervolume[i]);
    curves.push_back(cv), lines.push_back(l);
  }
  c.plot("compare_hypervolume.svg",
         core::line_svg(lines, {"Hypervolume of everything evaluated (median over seeds)", "one-shot evaluations",
                                "hypervolume / reference box"}));
  double nsga2_final = -1;
  int nsga2_budget = 0;
  for (const auto& cv : curves)
    if (cv.strategy == "nsga2" && !cv.evaluations.empty())
      nsga2_final = cv.median_hypervolume.back(), nsga2_budget = cv.evaluations.back();
  Table t{{{"strategy", "budget", "hypervolume at 100", "at 200", "at the budget",
            nsga2_final >= 0 ? "evaluations to NSGA-II's " + std::to_string(nsga2_budget) : "-"}}};
  for (const auto& cv : curves) {
    const int budget = cv.evaluations.empty() ? 0 : cv.evaluations.back();
    auto hv = [&](int k) {
      const double v = cv.median_hypervolume_at(k);
      return v >= 0 ? fmt("%.4f", v) : std::string("-");
    };
    const int reach = nsga2_final >= 0 ? cv.evaluations_to_reach(nsga2_final) : -1;
    t.rows.push_back({cv.strategy, std::to_string(budget), hv(100), hv(200), hv(budget),
                      reach >= 0 ? std::to_string(reach) : std::string("not reached")});
  }
  c.doc.add(t);
  c.doc.text("Seeds: sparsenas.seed + 0, 1, ...; one hypervolume reference for all (the search's "
             "objectives and limits). Every strategy's runs and curves: compare/ (compare.json, compare.csv).");
}

}  // namespace tinynas::cli::report
