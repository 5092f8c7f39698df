// The exported C project (export/<name>/export.json, model.tnnq, verify/report.json): its
// layers, the memory plan over time, predicted against linked sizes, the verification.
#include "report.h"
#include "tinynas/compress/quant_model.h"
#include "tinynas/core/svg.h"
#include "tinynas/cost/cost.h"
#include "tinynas/export/project.h"

namespace tinynas::cli::report {
namespace {

std::string export_dir(const Context& c) { return "export/" + c.recipe.run.name; }

Table layer_table(const core::Json& e) {
  Table t{{{"op", "kind", "sparsity", "block", "storage", "weights (B)", "dense (B)"}}};
  for (const auto& op : e.at("ops").elements()) {
    if (num(op, "dense_weight_bytes", 0) <= 0) continue;
    t.rows.push_back({str(op, "name"), str(op, "kind"), fmt("%.0f%%", percent(num(op, "sparsity", 0))),
                      num(op, "block", 0) > 0 ? fmt("%.0f", num(op, "block")) : "-", str(op, "storage"),
                      fmt("%.0f", num(op, "weight_bytes", 0)), fmt("%.0f", num(op, "dense_weight_bytes", 0))});
  }
  return t;
}

// Bytes live at each op step under the exported model's own plan, against its arena.
void memory_plan(const Context& c, const core::Json& e) {
  const auto model = compress::load_quantized(c.path(export_dir(c) + "/model.tnnq"));
  const cost::CostOptions co = exporter::export_cost_options(e, model);
  const auto plan = cost::plan_graph_memory(model.graph, co);
  core::LineSeries live{"bytes live", {}, {}, "#3b73b9"};
  for (std::size_t step = 0; step < model.graph.ops.size(); ++step) {
    double bytes = 0;
    for (const auto& b : plan.buffers)
      if (b.first_use <= int(step) && int(step) <= b.last_use) bytes += double(b.size);
    live.x.push_back(double(step));
    live.y.push_back(bytes);
  }
  const double last = double(model.graph.ops.size() - 1), arena = double(plan.arena_size);
  core::LineSeries line{std::string("arena (") + cost::to_string(plan.strategy) + ")", {0, last}, {arena, arena},
                        "#c0392b"};
  c.plot("memory_plan.svg", core::line_svg({live, line}, {"Memory plan: bytes live at each op", "op step", "bytes"}));
  c.doc.text("Arena " + std::to_string(plan.arena_size) + " B; lower bound (largest live set) " +
             std::to_string(plan.lower_bound) + " B at op step " + std::to_string(plan.lower_bound_step) +
             "; greedy-by-size " + std::to_string(plan.greedy_arena) + " B, head-tail " +
             std::to_string(plan.head_tail_arena) + " B.");
}

// The model data's C symbol: prefixed by the model's name (export --name) since project
// version 2, tnn_model_data before.
std::string data_symbol(const core::Json& e) {
  return (str(e, "c_name").empty() ? std::string("tnn") : str(e, "c_name")) + "_model_data";
}

Table size_table(const core::Json& e, const core::Json* v) {
  const core::Json* s = v ? v->find("sizes") : nullptr;
  const std::string cpu = cpu_name(v ? str(*v, "target") : "");
  Table t{{{"", "predicted (cost model)", "measured"}}};
  t.rows.push_back({"model data (flash)", fmt("%.0f B", num(e, "flash", 0)),
                    s ? fmt("%.0f B (", num(*s, "model_data", 0)) + data_symbol(e) + ")" : "-"});
  t.rows.push_back({"arena (SRAM)", fmt("%.0f B", num(e, "peak_sram", 0)),
                    s ? fmt("%.0f B (tnn_arena)", num(*s, "arena", 0)) : "-"});
  if (!s) return t;
  t.rows.push_back({"flash linked (" + cpu + ")", "",
                    fmt("%.0f B", num(*s, "flash", 0)) + " = model data + runtime " +
                        fmt("%.0f", num(*s, "runtime_code", 0)) + " + other " + fmt("%.0f", num(*s, "app_code", 0))});
  t.rows.push_back({"SRAM linked (" + cpu + ")", "",
                    fmt("%.0f B", num(*s, "sram", 0)) + " = arena + stack " + fmt("%.0f", num(*s, "stack", 0)) +
                        " + heap " + fmt("%.0f", num(*s, "heap", 0)) + " + other " +
                        fmt("%.0f", num(*s, "app_sram", 0))});
  return t;
}

bool flag(const core::Json& j, const char* key) {
  const core::Json* v = j.find(key);
  return v && v->is_bool() && v->as_bool();
}

void verification(const Context& c, const core::Json& v) {
  const std::string cpu = cpu_name(str(v, "target"));
  std::string line = "host " + fmt("%.0f", num(v, "images", 0)) + " images bit-exact with the integer evaluation";
  if (flag(v, "qemu_ran"))
    line += ", " + cpu + " (QEMU) " + fmt("%.0f", num(v, "qemu_images", 0)) + " images identical";
  else
    line += ", " + cpu + " not run (" + str(v, "qemu_skipped") + ")";
  if (const core::Json* ic = v.find("qemu_icount"); ic && ic->is_array() && ic->size() > 0)
    line += ", " + fmt("%.0f", ic->elements().front().as_double()) + " instructions per inference";
  if (flag(v, "ok"))
    c.doc.text("Verification passed: " + line + ".");
  else
    c.doc.error("Verification FAILED (" + export_dir(c) + "/verify/report.json): " + line + ".");
}

}  // namespace

void export_section(const Context& c) {
  const std::string dir = export_dir(c);
  c.doc.heading("Exported model");
  const JsonFile ef = c.json(dir + "/export.json");
  if (!c.usable(ef, "Not exported.")) return;
  const core::Json& e = *ef.json;
  c.doc.text("C project: " + c.path(dir) + " (see its README.md; make host / make " +
             (str(e, "target").empty() ? "m7" : str(e, "target")) + "). Effective parameters " +
             fmt("%.0f", num(e, "effective_params", 0)) + " of " + fmt("%.0f", num(e, "params", 0)) +
             " (nonzero after pruning); " + fmt("%.2f", num(e, "effective_macs", 0) / 1e6) + " M effective MACs of " +
             fmt("%.2f", num(e, "macs", 0) / 1e6) + " M.");
  if (const core::Json* lim = e.find("limits"); lim && !flag(*lim, "fits"))
    for (const auto& over : lim->at("exceeded").elements()) c.doc.error("Over the limits: " + over.as_string() + ".");
  c.doc.add(layer_table(e));
  try {
    memory_plan(c, e);
  } catch (const std::exception& ex) {
    c.doc.error(std::string("Memory plan unavailable: ") + ex.what());
  }
  const JsonFile vf = c.json(dir + "/verify/report.json");
  c.doc.add(size_table(e, vf.json ? &*vf.json : nullptr));
  if (!c.usable(vf, "Not verified (no " + vf.name + ").")) return;
  verification(c, *vf.json);
  if (const core::Json* prof = vf.json->find("profile")) latency_section(c, *prof, str(*vf.json, "target"));
}

}  // namespace tinynas::cli::report
