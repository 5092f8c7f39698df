#include "tinynas/nas/sweep.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/core/svg.h"
#include "tinynas/core/text.h"

namespace tinynas::nas {
namespace {

// Fixed width, so ids stay stable when a resumed sweep grows.
std::string point_id(std::size_t i) {
  std::string digits = std::to_string(i);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return "p" + digits;
}

// "sparsenas.sparsity" -> "sparsity" for labels.
std::string short_key(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v, const char* fmt = "%.4f") {
  if (v < 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// A difference, which may be negative.
std::string signed_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

GridAxis parse_grid_axis(const std::string& text, const config::Recipe& recipe) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw core::Error("--grid '" + text + "': expected KEY=[V1, V2, ...]");
  GridAxis axis;
  axis.key = core::trim(text.substr(0, eq));
  std::string list = core::trim(text.substr(eq + 1));
  if (list.size() >= 2 && list.front() == '[' && list.back() == ']')
    list = list.substr(1, list.size() - 2);
  for (const auto& v : core::split(list, ',')) {
    const std::string value = core::trim(v);
    if (!value.empty()) axis.values.push_back(value);
  }
  if (axis.values.empty()) throw core::Error("--grid '" + text + "': no values");
  std::vector<std::string> keys;
  for (const auto& [k, v] : config::flat_values(recipe)) keys.push_back(k);
  if (std::find(keys.begin(), keys.end(), axis.key) == keys.end())
    throw core::Error("--grid '" + text + "': unknown recipe key '" + axis.key + "'" +
                      core::did_you_mean(axis.key, keys));
  return axis;
}

std::vector<SweepPoint> grid_points(const std::vector<GridAxis>& axes,
                                    const config::Recipe& recipe) {
  std::set<std::string> list_keys;
  for (const auto& [k, v] : config::flat_values(recipe))
    if (!v.empty() && v.front() == '[') list_keys.insert(k);
  std::size_t total = 1;
  for (const auto& a : axes) total *= a.values.size();
  std::vector<SweepPoint> points;
  for (std::size_t i = 0; i < total; ++i) {
    SweepPoint p;
    p.id = point_id(i);
    std::size_t rest = i;
    std::vector<std::size_t> pick(axes.size());
    for (std::size_t a = axes.size(); a-- > 0;) {
      pick[a] = rest % axes[a].values.size();
      rest /= axes[a].values.size();
    }
    std::vector<std::string> label;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const std::string& v = axes[a].values[pick[a]];
      const bool list = list_keys.count(axes[a].key) && v.front() != '[';
      p.overrides.push_back(axes[a].key + "=" + (list ? "[" + v + "]" : v));
      label.push_back(short_key(axes[a].key) + "=" + v);
    }
    p.label = core::join(label, " ");
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<SweepPoint> random_points(int count, const config::Recipe& recipe,
                                      const space::SupernetLayout& layout, std::uint64_t seed) {
  const auto choices = space::sparse_choices(recipe.sparsenas.sparsity, recipe.sparsenas.block);
  std::vector<SweepPoint> points;
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      core::Rng rng(core::derive_seed(seed, std::uint64_t(i), std::uint64_t(attempt)));
      const std::string line = space::to_string(space::sample_sparse(layout, choices, rng), layout);
      if (!seen.insert(line).second) continue;
      SweepPoint p;
      p.overrides.push_back("sparsenas.sparse=" + line);
      p.label = line;
      points.push_back(std::move(p));
      break;
    }
  }
  for (std::size_t i = 0; i < points.size(); ++i) points[i].id = point_id(i);
  return points;
}

SweepRow sweep_row(const SweepPoint& point, const core::Json* q, const config::RunConfig& limits,
                   const std::string& status) {
  SweepRow r;
  r.point = point.id;
  r.label = point.label;
  r.status = status;
  if (!q) return r;
  auto num = [&](const char* key, double fallback = -1) {
    const core::Json* v = q->find(key);
    return v && v->is_number() ? v->as_double() : fallback;
  };
  auto count = [&](const char* key) { return std::int64_t(num(key, 0)); };
  auto text = [&](const char* key) {
    const core::Json* v = q->find(key);
    return v && v->is_string() ? v->as_string() : std::string();
  };
  r.arch = text("arch");
  r.sparse = text("sparse");
  r.eval_split = text("eval_split");
  r.dense_val = num("dense_accuracy");
  r.pruned_val = num("pruned_accuracy");
  r.pruned_float = num("float_accuracy");
  r.int8 = num("int8_accuracy");
  r.params = count("params");
  r.effective_params = count("effective_params");
  r.flash = count("flash");
  r.peak_sram = count("peak_sram");
  r.macs = count("macs");
  r.achieved_sparsity = num("achieved_sparsity", 0);
  r.fits = double(r.flash) <= limits.flash_kb * 1024 && double(r.peak_sram) <= limits.sram_kb * 1024 &&
           (limits.params_k <= 0 || double(r.effective_params) <= limits.params_k * 1000);
  return r;
}

void write_sweep_outputs(const std::string& dir, const std::vector<SweepRow>& rows,
                         const config::RunConfig& limits) {
  std::string csv =
      "point,status,setting,arch,sparse,dense_val_acc,pruned_val_acc,pruned_float_acc,"
      "int8_acc,ptq_drop,eval_split,params,effective_params,achieved_sparsity,flash_bytes,"
      "peak_sram_bytes,macs,fits\n";
  std::vector<core::ScatterPoint> by_flash, by_sram;
  for (const SweepRow& r : rows) {
    const bool done = r.status == "done";
    csv += csv_field(r.point) + "," + r.status + "," + csv_field(r.label) + "," +
           csv_field(r.arch) + "," + csv_field(r.sparse) + "," + number(r.dense_val) + "," +
           number(r.pruned_val) + "," + number(r.pruned_float) + "," + number(r.int8) + "," +
           (done && r.pruned_float >= 0 && r.int8 >= 0 ? signed_number(r.pruned_float - r.int8) : "") + "," +
           r.eval_split + "," + (done ? std::to_string(r.params) : "") + "," +
           (done ? std::to_string(r.effective_params) : "") + "," +
           (done ? number(r.achieved_sparsity) : "") + "," + (done ? std::to_string(r.flash) : "") +
           "," + (done ? std::to_string(r.peak_sram) : "") + "," +
           (done ? std::to_string(r.macs) : "") + "," + (done ? (r.fits ? "yes" : "no") : "") + "\n";
    if (!done || r.int8 < 0) continue;
    const std::string tip = r.point + " " + r.label + ": int8 " + number(100 * r.int8, "%.2f") + "%";
    by_flash.push_back({double(r.flash) / 1024.0, 100 * r.int8, tip, !r.fits});
    by_sram.push_back({double(r.peak_sram) / 1024.0, 100 * r.int8, tip, !r.fits});
  }
  core::write_file_atomic(dir + "/sweep.csv", csv);
  core::ScatterOptions o;
  o.y_label = "int8 top-1 accuracy (%)";
  o.title = "Sweep: int8 accuracy vs flash (Pareto front; highlighted points exceed a limit)";
  o.x_label = "flash (KiB)";
  o.markers = {{limits.flash_kb, "flash limit"}};
  core::write_file_atomic(dir + "/pareto_flash.svg", core::scatter_svg(by_flash, o));
  o.title = "Sweep: int8 accuracy vs peak SRAM (Pareto front; highlighted points exceed a limit)";
  o.x_label = "peak SRAM (KiB)";
  o.markers = {{limits.sram_kb, "SRAM limit"}};
  core::write_file_atomic(dir + "/pareto_sram.svg", core::scatter_svg(by_sram, o));
}

core::Json sweep_json(const std::vector<SweepPoint>& points, const std::vector<std::string>& sets) {
  core::Json j = core::Json::object();
  core::Json base = core::Json::array();
  for (const auto& s : sets) base.push_back(s);
  j["sets"] = base;
  core::Json arr = core::Json::array();
  for (const auto& p : points) {
    core::Json e = core::Json::object();
    e["id"] = p.id;
    e["label"] = p.label;
    core::Json o = core::Json::array();
    for (const auto& s : p.overrides) o.push_back(s);
    e["overrides"] = o;
    arr.push_back(e);
  }
  j["points"] = arr;
  return j;
}

void check_sweep_resume(const core::Json& saved, const std::vector<SweepPoint>& points,
                        const std::vector<std::string>& sets, const std::string& source) {
  std::vector<std::string> was_sets;
  for (const auto& s : saved.at("sets").elements()) was_sets.push_back(s.as_string());
  if (was_sets != sets)
    throw core::Error(source + ": the sweep ran with --set '" + core::join(was_sets, " ") +
                      "', now '" + core::join(sets, " ") +
                      "'; a resumed sweep must keep its settings (use another --out)");
  const auto& old = saved.at("points").elements();
  for (std::size_t i = 0; i < old.size() && i < points.size(); ++i) {
    std::vector<std::string> was;
    for (const auto& o : old[i].at("overrides").elements()) was.push_back(o.as_string());
    if (old[i].at("id").as_string() != points[i].id || was != points[i].overrides)
      throw core::Error(source + ": point " + points[i].id + " was '" + core::join(was, " ") +
                        "', now '" + core::join(points[i].overrides, " ") +
                        "'; a resumed sweep must keep its points (use another --out)");
  }
  if (points.size() < old.size())
    throw core::Error(source + ": the sweep had " + std::to_string(old.size()) +
                      " points, now " + std::to_string(points.size()) +
                      "; a resumed sweep may add points, not drop them");
}

}  // namespace tinynas::nas
