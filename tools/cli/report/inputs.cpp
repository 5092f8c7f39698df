// The stage files as the report reads them, and how it writes their values. A missing
// file means the stage did not run; a file that exists but does not parse is an error the
// report shows, naming the file and the parser's message, never "Not run.".
#include <filesystem>
#include <fstream>

#include "report.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"

namespace tinynas::cli::report {

JsonFile Context::json(const std::string& rel) const {
  JsonFile f{rel, std::nullopt, ""};
  const std::string p = path(rel);
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return f;
  try {
    f.json = core::Json::parse(core::read_text_file(p), p);
  } catch (const std::exception& e) {  // a directory, unreadable, corrupt or truncated
    f.error = e.what();
  }
  return f;
}

JsonLines Context::jsonl(const std::string& rel) const {
  JsonLines f{rel, {}, {}, true};
  const std::string p = path(rel);
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return f;
  f.missing = false;
  std::ifstream in(p);
  if (!in) {
    f.errors.push_back(p + ": cannot be opened");
    return f;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      f.lines.push_back(core::Json::parse(line, p + ": line " + std::to_string(n)));
    } catch (const std::exception& e) {
      f.errors.push_back(e.what());
    }
  }
  return f;
}

void Context::plot(const std::string& file, const std::string& svg) const {
  core::write_file_atomic(out + "/" + file, svg);
  doc.plot(file, svg);
}

bool Context::usable(const JsonFile& f, const std::string& missing_text) const {
  if (f.json) return true;
  if (f.missing())
    doc.text(missing_text);
  else
    doc.error(f.name + " could not be read: " + f.error);
  return false;
}

void Context::line_errors(const JsonLines& f) const {
  for (const auto& e : f.errors) doc.error(f.name + ": a line could not be read: " + e);
}

std::string fmt(const char* format, double v) { return core::format_number(format, v); }
double percent(double fraction) { return 100 * fraction; }
std::string pct(double fraction) { return fmt("%.2f%%", percent(fraction)); }
std::string kb(double bytes) { return fmt("%.1f KB", bytes / 1024.0); }

double num(const core::Json& j, const char* key, double fallback) {
  const core::Json* v = j.find(key);
  return v && v->is_number() ? v->as_double() : fallback;
}

std::string str(const core::Json& j, const char* key) {
  const core::Json* v = j.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

std::string cpu_name(const std::string& target) { return target == "m4" ? "Cortex-M4" : "Cortex-M7"; }

bool Pick::matches(const core::Json& candidate) const {
  return str(candidate, "arch") == arch && str(candidate, "sparse") == sparse;
}

std::optional<Pick> read_pick(const Context& c) {
  const JsonFile best = c.json("sparsenas/best.json");
  if (!best.error.empty()) c.doc.error(best.name + " could not be read: " + best.error);
  if (!best.json || str(*best.json, "arch").empty()) return std::nullopt;
  return Pick{str(*best.json, "arch"), str(*best.json, "sparse")};
}

}  // namespace tinynas::cli::report
