// The report's frame: what ran (title, version, recipe, limits), the stages' wall time,
// and the resolved recipe at the end.
#include <algorithm>
#include <ctime>

#include "../version.h"
#include "report.h"
#include "tinynas/config/load.h"
#include "tinynas/core/fs.h"

namespace tinynas::cli::report {
namespace {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
  return when;
}

std::string limits(const config::RunConfig& run) {
  std::string s = fmt("%g", run.sram_kb) + " KB SRAM, " + fmt("%g", run.flash_kb) + " KB flash";
  if (run.params_k > 0) s += ", " + fmt("%g", run.params_k) + "k effective parameters";
  if (run.latency_ms > 0) s += ", " + fmt("%g", run.latency_ms) + " ms latency";
  return s;
}

}  // namespace

void overview_section(const Context& c) {
  c.doc.heading("tinynas run " + c.recipe.run.name);
  c.doc.text("Written " + utc_now() + " by tinynas " + kVersion + " from the recipe " + c.recipe_path +
             " (resolved at the end of this report and in report/recipe.resolved.yaml); run directory " + c.run +
             ". Limits: " + limits(c.recipe.run) + ". Accuracies are top-1, in percent.");
}

void stages_section(const Context& c) {
  c.doc.heading("Stages");
  const JsonFile st = c.json("pipeline.json");
  if (!c.usable(st, "No pipeline.json: the stages were run one by one.")) return;
  const core::Json* stages = st.json->find("stages");
  if (!stages || !stages->is_object()) {
    c.doc.error(st.name + " has no \"stages\" object.");
    return;
  }
  Table t{{{"stage", "state", "wall time"}}};
  double total = 0;
  for (const auto& [name, v] : stages->items()) {
    const core::Json* done = v.find("finished");
    const bool finished = done && done->is_bool() && done->as_bool();
    const double s = num(v, "seconds", 0);
    total += s;
    t.rows.push_back({name, finished ? "finished" : "not finished", finished ? fmt("%.1f s", s) : "-"});
  }
  t.rows.push_back({"total", "", fmt("%.1f s", total)});
  c.doc.add(t);
}

// The recipe as this run resolved it (base chain, defaults, --set overrides): what every
// stage read, with each key's comment.
void recipe_section(const Context& c) {
  const std::string yaml = config::to_yaml(c.recipe);
  core::write_file_atomic(c.out + "/recipe.resolved.yaml", yaml);
  c.doc.heading("Resolved recipe");
  c.doc.text("From " + c.recipe_path + " with its base recipes, defaults and --set overrides applied.");
  c.doc.code("recipe.resolved.yaml (" + std::to_string(std::count(yaml.begin(), yaml.end(), '\n')) + " lines)", yaml);
}

}  // namespace tinynas::cli::report
