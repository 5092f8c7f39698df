#include "run_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "tinynas/compress/quant_model.h"
#include "tinynas/config/load.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/core/svg.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/cost.h"
#include "tinynas/export/model_data.h"
#include "tinynas/export/project.h"

namespace tinynas::cli {
namespace {
namespace fs = std::filesystem;
using core::Json;

// The report as blocks, rendered once to Markdown and once to HTML.
struct Block {
  enum Kind { heading, text, table, plot } kind;
  std::string body;                             // heading / text / plot file name
  std::vector<std::vector<std::string>> rows;   // table: header first
  std::string svg;                              // plot: the SVG itself
};

struct Report {
  std::vector<Block> blocks;
  void h(const std::string& s) { blocks.push_back({Block::heading, s, {}, {}}); }
  void p(const std::string& s) { blocks.push_back({Block::text, s, {}, {}}); }
  void t(std::vector<std::vector<std::string>> rows) { blocks.push_back({Block::table, "", std::move(rows), {}}); }
  void plot(const std::string& file, const std::string& svg) { blocks.push_back({Block::plot, file, {}, svg}); }
};

std::string fmt(const char* f, double v) { return core::format_number(f, v); }
std::string pct(double v) { return fmt("%.2f%%", 100 * v); }
std::string kb(double bytes) { return fmt("%.1f KB", bytes / 1024.0); }

std::optional<Json> load_json(const std::string& path) {
  if (!core::is_regular_file(path)) return std::nullopt;
  try {
    return Json::parse(core::read_text_file(path), path);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<Json> load_jsonl(const std::string& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) try {
        out.push_back(Json::parse(line, path));
      } catch (const std::exception&) {
      }
  return out;
}

double num(const Json& j, const char* key, double fallback = -1) {
  const Json* v = j.find(key);
  return v && (v->is_number()) ? v->as_double() : fallback;
}
std::string str(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

std::string render_md(const Report& r) {
  std::string s;
  for (const auto& b : r.blocks) {
    switch (b.kind) {
      case Block::heading: s += (s.empty() ? "# " : "\n## ") + b.body + "\n\n"; break;
      case Block::text: s += b.body + "\n\n"; break;
      case Block::plot: s += "![" + b.body + "](" + b.body + ")\n\n"; break;
      case Block::table:
        for (std::size_t i = 0; i < b.rows.size(); ++i) {
          s += "|";
          for (std::string c : b.rows[i]) {
            for (std::size_t p = 0; (p = c.find('|', p)) != std::string::npos; p += 2) c.insert(p, "\\");
            s += " " + c + " |";
          }
          s += "\n";
          if (i == 0) {
            s += "|";
            for (std::size_t k = 0; k < b.rows[0].size(); ++k) s += "---|";
            s += "\n";
          }
        }
        s += "\n";
        break;
    }
  }
  return s;
}

std::string render_html(const Report& r) {
  std::string s = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tinynas report</title>\n"
                  "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
                  "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .6em;"
                  "text-align:left;font-size:90%}th{background:#f3f3f3}code{background:#f3f3f3}</style>\n"
                  "</head><body>\n";
  bool first = true;
  for (const auto& b : r.blocks) {
    switch (b.kind) {
      case Block::heading:
        s += (first ? "<h1>" : "<h2>") + core::xml_escape(b.body) + (first ? "</h1>\n" : "</h2>\n");
        first = false;
        break;
      case Block::text: s += "<p>" + core::xml_escape(b.body) + "</p>\n"; break;
      case Block::plot: s += "<div>" + b.svg + "</div>\n"; break;
      case Block::table:
        s += "<table>\n";
        for (std::size_t i = 0; i < b.rows.size(); ++i) {
          s += "<tr>";
          for (const auto& c : b.rows[i])
            s += (i == 0 ? "<th>" : "<td>") + core::xml_escape(c) + (i == 0 ? "</th>" : "</td>");
          s += "</tr>\n";
        }
        s += "</table>\n";
        break;
    }
  }
  return s + "</body></html>\n";
}

// The verify report's per-op profile: a bar per op (its milliseconds at the profile's
// clock, coloured by kernel family), the per-family table and the total.
void latency_section(Report& r, const Json& prof, const std::string& target, double run_limit_ms,
                     const std::string& out) {
  static const char* const kPalette[] = {"#3b73b9", "#e67e22", "#27ae60", "#c0392b", "#8e44ad", "#16a085",
                                         "#d35400", "#7f8c8d", "#2c3e50", "#f1c40f", "#e84393", "#00b894",
                                         "#6c5ce7", "#a0522d", "#74b9ff", "#55efc4"};
  const double mhz = num(prof, "mcu_mhz", 0);
  const std::string cpu = target == "m4" ? "Cortex-M4" : "Cortex-M7";
  r.h("Latency per layer");
  std::vector<std::string> kernels;
  auto color_of = [&](const std::string& k) {
    auto it = std::find(kernels.begin(), kernels.end(), k);
    if (it == kernels.end()) it = kernels.insert(kernels.end(), k);
    return std::string(kPalette[std::size_t(it - kernels.begin()) % std::size(kPalette)]);
  };
  std::vector<core::Bar> bars;
  for (const auto& op : prof.at("ops").elements()) {
    const double ms = num(op, "milliseconds", 0);
    std::string note = fmt("%.3f ms", ms);
    if (num(op, "instructions_per_mac", 0) > 0) note += fmt(", %.2f instr/MAC", num(op, "instructions_per_mac"));
    bars.push_back({fmt("%.0f ", num(op, "index")) + str(op, "name"), ms, note, color_of(str(op, "kernel"))});
  }
  core::BarOptions bo;
  bo.title = "Per-layer latency, " + cpu + " at " + fmt("%g", mhz) + " MHz (1 instruction = 1 cycle)";
  bo.x_label = "milliseconds (QEMU -icount instructions / clock)";
  for (const auto& k : kernels) bo.legend.push_back({k, color_of(k)});
  const auto svg = core::bar_svg(bars, bo);
  core::write_file_atomic(out + "/latency.svg", svg);
  r.plot("latency.svg", svg);
  std::vector<std::vector<std::string>> rows = {{"kernel", "ops", "instructions", "share", "effective MACs", "instructions/MAC"}};
  for (const auto& k : prof.at("kinds").elements())
    rows.push_back({str(k, "kernel"), fmt("%.0f", num(k, "ops", 0)), fmt("%.0f", num(k, "instructions", 0)),
                    pct(num(k, "share", 0)), fmt("%.0f", num(k, "effective_macs", 0)),
                    num(k, "instructions_per_mac", 0) > 0 ? fmt("%.2f", num(k, "instructions_per_mac")) : "-"});
  r.t(rows);
  r.p("One inference: " + fmt("%.0f", num(prof, "total_instructions", 0)) + " instructions on the " + cpu +
      " (QEMU, image 0) = " + fmt("%.2f", num(prof, "milliseconds", 0)) + " ms at " + fmt("%g", mhz) +
      " MHz (verify's clock: export.mcu_mhz or --mhz): " + str(prof, "clock_assumption") + ".");
  const double predicted = num(prof, "predicted_instructions", 0), measured = num(prof, "total_instructions", 0);
  if (predicted > 0 && measured > 0)
    r.p("The search's latency model (cost/latency.h) predicted " + fmt("%.0f", predicted) + " instructions (" +
        fmt("%+.1f%%", 100 * (predicted - measured) / measured) + "): " + fmt("%.2f", predicted / (mhz * 1e3)) +
        " ms" + (run_limit_ms > 0 ? " against run.latency_ms = " + fmt("%g", run_limit_ms) + " ms" : "") + ".");
}

}  // namespace

// A one-shot search (sparsenas.strategy evolution / nsga2; oneshot_search.h): the front of
// accuracy against latency and flash, the pick, and the hypervolume over evaluations.
void oneshot_section(Report& r, const config::Recipe& recipe, const std::string& dir, const std::string& out) {
  const auto evals = load_jsonl(dir + "/evaluations.jsonl");
  const auto best = load_json(dir + "/best.json");
  const std::string pick_arch = best ? str(*best, "arch") : "", pick_sparse = best ? str(*best, "sparse") : "";
  r.p(fmt("%.0f", double(evals.size())) + " candidates scored one-shot by " + recipe.sparsenas.strategy +
      " (objectives " + recipe.sparsenas.objectives + "); the pick (sparsenas.pick: " + recipe.sparsenas.pick +
      ") is highlighted" + (best ? ": " + pick_arch + " " + pick_sparse : std::string()) + ".");
  const double mhz = recipe.export_.mcu_mhz;
  for (const bool by_latency : {true, false}) {
    std::vector<core::ScatterPoint> pts;
    for (const auto& e : evals) {
      const bool is_pick = str(e, "arch") == pick_arch && str(e, "sparse") == pick_sparse;
      pts.push_back({by_latency ? num(e, "latency_ms") : num(e, "flash") / 1024.0, num(e, "accuracy"),
                     str(e, "arch") + " " + str(e, "sparse"), is_pick});
    }
    core::ScatterOptions so;
    so.title = std::string("One-shot accuracy vs ") + (by_latency ? "latency (" + fmt("%g", mhz) + " MHz)" : "flash");
    so.x_label = by_latency ? "predicted latency (ms)" : "flash (KB)";
    so.y_label = "one-shot accuracy";
    if (by_latency && recipe.run.latency_ms > 0) so.markers.push_back({recipe.run.latency_ms, "latency limit"});
    if (!by_latency) so.markers.push_back({double(recipe.run.flash_kb), "flash limit"});
    const std::string file = by_latency ? "front_latency.svg" : "front_flash.svg";
    const auto svg = core::scatter_svg(pts, so);
    core::write_file_atomic(out + "/" + file, svg);
    r.plot(file, svg);
  }
  const auto hv = load_jsonl(dir + "/hv.jsonl");
  if (!hv.empty()) {
    core::LineSeries s{"hypervolume", {}, {}};
    for (const auto& h : hv) s.x.push_back(num(h, "evaluations")), s.y.push_back(num(h, "normalised"));
    const auto svg = core::line_svg({s}, {"Hypervolume over evaluations", "one-shot evaluations",
                                          "hypervolume / reference box"});
    core::write_file_atomic(out + "/hypervolume.svg", svg);
    r.plot("hypervolume.svg", svg);
  }
}

std::string write_run_report(const config::Recipe& recipe, const std::string& recipe_path) {
  const std::string run = recipe.run.dir + "/" + recipe.run.name;
  const std::string out = run + "/report";
  fs::create_directories(out);
  Report r;
  r.h("tinynas run " + recipe.run.name);
  {
    const std::time_t now = std::time(nullptr);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    r.p("Recipe " + recipe_path + ", run directory " + run + ", written " + when + ". Limits: " +
        fmt("%g", recipe.run.sram_kb) + " KB SRAM, " + fmt("%g", recipe.run.flash_kb) + " KB flash" +
        (recipe.run.params_k > 0 ? ", " + fmt("%g", recipe.run.params_k) + "k effective parameters" : "") + ".");
  }

  // Stages and their wall time.
  r.h("Stages");
  if (auto st = load_json(run + "/pipeline.json"); st && st->find("stages")) {
    std::vector<std::vector<std::string>> rows = {{"stage", "wall time"}};
    double total = 0;
    for (const auto& [name, v] : st->at("stages").items()) {
      const double s = num(v, "seconds", 0);
      total += s;
      rows.push_back({name, fmt("%.1f s", s)});
    }
    rows.push_back({"total", fmt("%.1f s", total)});
    r.t(rows);
  } else {
    r.p("No pipeline.json: the stages were run one by one.");
  }

  // Supernet training.
  r.h("Supernet training");
  {
    core::LineSeries acc{"val accuracy (mean over paths)", {}, {}, "#3b73b9"};
    core::LineSeries loss{"train loss", {}, {}, "#c0392b"};
    for (const auto& m : load_jsonl(run + "/supernet/metrics.jsonl")) {
      if (str(m, "type") == "epoch" && num(m, "val_accuracy") >= 0) {
        acc.x.push_back(num(m, "epoch"));
        acc.y.push_back(num(m, "val_accuracy"));
      } else if (str(m, "type") == "step" && num(m, "loss") >= 0) {
        loss.x.push_back(num(m, "epoch"));
        loss.y.push_back(num(m, "loss"));
      }
    }
    if (acc.x.empty() && loss.x.empty()) {
      r.p("No supernet/metrics.jsonl (the supernet came from the supernet search, or training did not run).");
    } else {
      // one loss point per ~1% of training keeps the plot light
      core::LineSeries thin = loss;
      if (loss.x.size() > 200) {
        thin.x.clear(), thin.y.clear();
        const std::size_t stride = loss.x.size() / 200;
        for (std::size_t i = 0; i < loss.x.size(); i += stride) thin.x.push_back(loss.x[i]), thin.y.push_back(loss.y[i]);
      }
      const auto svg1 = core::line_svg({thin}, {"Supernet training loss", "epoch", "loss"});
      core::write_file_atomic(out + "/train_loss.svg", svg1);
      r.plot("train_loss.svg", svg1);
      if (!acc.x.empty()) {
        const auto svg2 = core::line_svg({acc}, {"Supernet validation accuracy", "epoch", "accuracy"});
        core::write_file_atomic(out + "/train_accuracy.svg", svg2);
        r.plot("train_accuracy.svg", svg2);
        r.p("Final validation accuracy (mean over the sampled paths): " + pct(acc.y.back()) + ".");
      }
    }
  }

  // SuperNAS.
  r.h("SuperNAS space analysis");
  if (auto a = load_json(run + "/supernas/analysis.json")) {
    const Json* acc = a->find("accepted");
    r.p(std::string("The space is ") + (acc && acc->as_bool() ? "ACCEPTED" : "REJECTED") +
        " for the limits (Algorithm 1); details in supernas/analysis.txt.");
    for (const char* f : {"params.svg", "peak_sram.svg", "flash.svg"}) {
      const std::string path = run + "/supernas/" + f;
      if (core::is_regular_file(path)) {
        const std::string svg = core::read_text_file(path);
        core::write_file_atomic(out + "/supernas_" + f, svg);
        r.plot(std::string("supernas_") + f, svg);
      }
    }
  } else {
    r.p("Not run.");
  }

  // SparseNAS candidates.
  r.h("SparseNAS candidates");
  if (core::is_regular_file(run + "/sparsenas/evaluations.jsonl")) {
    oneshot_section(r, recipe, run + "/sparsenas", out);
  } else {
    const auto cands = load_jsonl(run + "/sparsenas/candidates.jsonl");
    if (cands.empty()) {
      r.p("No sparsenas/candidates.jsonl.");
    } else {
      std::vector<std::vector<std::string>> rows = {{"#", "path", "sparse config", "pruned accuracy", "flash", "peak SRAM"}};
      std::vector<core::ScatterPoint> pts;
      for (const auto& c : cands) {
        rows.push_back({fmt("%.0f", num(c, "index")), str(c, "arch"), str(c, "sparse"),
                        num(c, "pruned_accuracy") >= 0 ? pct(num(c, "pruned_accuracy")) : str(c, "status"),
                        num(c, "flash") >= 0 ? kb(num(c, "flash")) : "-", num(c, "peak_sram") >= 0 ? kb(num(c, "peak_sram")) : "-"});
        if (num(c, "pruned_accuracy") >= 0 && num(c, "flash") >= 0)
          pts.push_back({num(c, "flash") / 1024.0, num(c, "pruned_accuracy"), str(c, "arch"), false});
      }
      r.t(rows);
      if (!pts.empty()) {
        core::ScatterOptions so;
        so.title = "SparseNAS candidates: pruned accuracy vs flash";
        so.x_label = "flash (KB)";
        so.y_label = "pruned accuracy";
        so.markers.push_back({double(recipe.run.flash_kb), "flash limit"});
        const auto svg = core::scatter_svg(pts, so);
        core::write_file_atomic(out + "/sparsenas_pareto.svg", svg);
        r.plot("sparsenas_pareto.svg", svg);
      }
    }
  }

  // Accuracy.
  r.h("Accuracy");
  if (auto q = load_json(run + "/quant/quant.json")) {
    std::vector<std::vector<std::string>> rows = {{"model", "accuracy"}};
    if (num(*q, "dense_accuracy") >= 0) rows.push_back({"dense subnet (val)", pct(num(*q, "dense_accuracy"))});
    if (num(*q, "pruned_accuracy") >= 0) rows.push_back({"pruned, fine-tuned (val)", pct(num(*q, "pruned_accuracy"))});
    rows.push_back({"pruned float (" + str(*q, "eval_split") + ")", pct(num(*q, "float_accuracy"))});
    rows.push_back({"int8, runtime kernels (" + str(*q, "eval_split") + ")", pct(num(*q, "int8_accuracy"))});
    r.t(rows);
    r.p("Winner: " + str(*q, "arch") + " with sparse config " + str(*q, "sparse") + "; PTQ drop " +
        fmt("%.2f", 100 * num(*q, "ptq_drop", 0)) + " points on " + fmt("%.0f", num(*q, "eval_images", 0)) +
        " images; same top-1 as the float model on " + pct(num(*q, "agreement", 0)) + ".");
    // Where int8 loses precision: the tensors with the lowest signal-to-quantization-noise.
    if (const core::Json* te = q->find("tensor_errors"); te && te->size() > 0) {
      std::vector<std::pair<double, std::string>> worst;
      for (const auto& e : te->elements()) worst.push_back({num(e, "sqnr_db", 0), str(e, "tensor")});
      std::sort(worst.begin(), worst.end());
      std::string line = "Lowest per-tensor SQNR (int8 against float, " +
                         fmt("%.0f", num(*q, "tensor_error_images", 0)) + " images; " +
                         fmt("%.0f", num(*q, "equalized_channels", 0)) + " channels equalized):";
      for (std::size_t i = 0; i < worst.size() && i < 3; ++i)
        line += (i ? ", " : " ") + worst[i].second + " " + fmt("%.1f dB", worst[i].first);
      r.p(line + ". All tensors: quant/quant.json.");
    }
  } else {
    r.p("No quant/quant.json.");
  }

  // The exported model: per layer, memory plan, sizes.
  const std::string exp = run + "/export/" + recipe.run.name;
  r.h("Exported model");
  if (auto e = load_json(exp + "/export.json")) {
    r.p("C project: " + exp + " (make host / make " + (str(*e, "target").empty() ? "m7" : str(*e, "target")) +
        "). Effective parameters " +
        fmt("%.0f", num(*e, "effective_params", 0)) + " of " + fmt("%.0f", num(*e, "params", 0)) +
        " (nonzero after pruning); " + fmt("%.1f", num(*e, "effective_macs", 0) / 1e6) + " M effective MACs.");
    if (const core::Json* lim = e->find("limits"); lim && !lim->at("fits").as_bool())
      for (const auto& line : lim->at("exceeded").elements()) r.p("**Over the limits:** " + line.as_string() + ".");
    std::vector<std::vector<std::string>> rows = {{"op", "kind", "sparsity", "block", "storage", "weights (B)", "dense (B)"}};
    for (const auto& op : e->at("ops").elements()) {
      if (num(op, "dense_weight_bytes", 0) <= 0) continue;
      rows.push_back({str(op, "name"), str(op, "kind"), fmt("%.0f%%", 100 * num(op, "sparsity", 0)),
                      num(op, "block", 0) > 0 ? fmt("%.0f", num(op, "block")) : "-", str(op, "storage"),
                      fmt("%.0f", num(op, "weight_bytes", 0)), fmt("%.0f", num(op, "dense_weight_bytes", 0))});
    }
    r.t(rows);
    // the memory plan over time, from the exported model itself
    try {
      const auto model = compress::load_quantized(exp + "/model.tnnq");
      const cost::CostOptions co = exporter::export_cost_options(*e, model);
      const auto plan = cost::plan_graph_memory(model.graph, co);
      core::LineSeries live{"live bytes", {}, {}, "#3b73b9"};
      for (std::size_t step = 0; step < model.graph.ops.size(); ++step) {
        double bytes = 0;
        for (const auto& b : plan.buffers)
          if (b.first_use <= int(step) && int(step) <= b.last_use) bytes += double(b.size);
        live.x.push_back(double(step));
        live.y.push_back(bytes);
      }
      core::LineSeries arena{std::string("arena (") + cost::to_string(plan.strategy) + ")", {0, double(model.graph.ops.size() - 1)},
                             {double(plan.arena_size), double(plan.arena_size)}, "#c0392b"};
      const auto svg = core::line_svg({live, arena}, {"Memory plan: bytes live at each op", "op step", "bytes"});
      core::write_file_atomic(out + "/memory_plan.svg", svg);
      r.plot("memory_plan.svg", svg);
      r.p("Arena " + std::to_string(plan.arena_size) + " B; lower bound (largest live set) " +
          std::to_string(plan.lower_bound) + " B at op step " + std::to_string(plan.lower_bound_step) +
          "; greedy-by-size " + std::to_string(plan.greedy_arena) + " B, head-tail " +
          std::to_string(plan.head_tail_arena) + " B.");
    } catch (const std::exception& ex) {
      r.p(std::string("Memory plan unavailable: ") + ex.what());
    }
    std::vector<std::vector<std::string>> sizes = {{"", "predicted (cost model)", "measured"}};
    const auto v = load_json(exp + "/verify/report.json");
    const Json* s = v ? v->find("sizes") : nullptr;
    const std::string cpu = v && str(*v, "target") == "m4" ? "Cortex-M4" : "Cortex-M7";
    sizes.push_back({"model data (flash)", fmt("%.0f B", num(*e, "flash", 0)),
                     s ? fmt("%.0f B (", num(*s, "model_data", 0)) + str(*e, "c_name") + "_model_data)" : "-"});
    sizes.push_back({"arena (SRAM)", fmt("%.0f B", num(*e, "peak_sram", 0)),
                     s ? fmt("%.0f B (tnn_arena)", num(*s, "arena", 0)) : "-"});
    if (s) {
      sizes.push_back({"flash linked (" + cpu + ")", "", fmt("%.0f B", num(*s, "flash", 0)) + " = model data + runtime " +
                                                             fmt("%.0f", num(*s, "runtime_code", 0)) + " + other " +
                                                             fmt("%.0f", num(*s, "app_code", 0))});
      sizes.push_back({"SRAM linked (" + cpu + ")", "", fmt("%.0f B", num(*s, "sram", 0)) + " = arena + stack " +
                                                            fmt("%.0f", num(*s, "stack", 0)) + " + heap " +
                                                            fmt("%.0f", num(*s, "heap", 0)) + " + other " +
                                                            fmt("%.0f", num(*s, "app_sram", 0))});
    }
    r.t(sizes);
    if (v) {
      const Json* ok = v->find("ok");
      std::string line = std::string("Verification: ") + (ok && ok->as_bool() ? "passed" : "FAILED") + "; host " +
                         fmt("%.0f", num(*v, "images", 0)) + " images bit-exact with the integer evaluation";
      const Json* qr = v->find("qemu_ran");
      if (qr && qr->as_bool()) line += ", " + cpu + " (QEMU) " + fmt("%.0f", num(*v, "qemu_images", 0)) + " images identical";
      else line += ", " + cpu + " not run (" + str(*v, "qemu_skipped") + ")";
      if (const Json* ic = v->find("qemu_icount"); ic && !ic->elements().empty())
        line += ", " + fmt("%.0f", ic->elements().front().as_double()) + " instructions per inference";
      r.p(line + ".");
    }
    if (const Json* prof = v ? v->find("profile") : nullptr) latency_section(r, *prof, str(*v, "target"), recipe.run.latency_ms, out);
  } else {
    r.p("Not exported.");
  }

  core::write_file_atomic(out + "/report.md", render_md(r));
  core::write_file_atomic(out + "/report.html", render_html(r));
  return out;
}

}  // namespace tinynas::cli
