#include "search_files.h"

#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/train/checkpoint.h"

namespace tinynas::nas::detail {
namespace fs = std::filesystem;

std::vector<std::pair<core::Json, std::string>> read_json_lines(const std::string& path) {
  std::vector<std::pair<core::Json, std::string>> out;
  if (!core::is_regular_file(path)) return out;
  const std::string text = core::read_text_file(path);
  std::size_t pos = 0;
  int lineno = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn tail
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    out.emplace_back(core::Json::parse(line, where), where);
  }
  return out;
}

void append_line(const std::string& path, const std::string& line) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) core::fail_file(path, "cannot open for appending");
  const std::string text = line + "\n";
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) core::fail_file(path, "write failed (disk full?)");
}

core::Json read_settings(const std::string& settings_path) {
  if (!core::is_regular_file(settings_path)) return core::Json();
  return core::Json::parse(core::read_text_file(settings_path), settings_path);
}

void start_search_files(const std::string& out_dir, const std::string& log_path,
                        const std::string& settings_path, bool resume,
                        const std::vector<std::pair<std::string, std::string>>& flat,
                        const std::vector<std::string>& resumable,
                        const std::string& space_source, const core::Json& extra) {
  if (!resume && (core::is_regular_file(log_path) || core::is_regular_file(settings_path)))
    throw core::Error(out_dir + " already holds a search (" + log_path +
                      "); pass --resume to continue it, or pick another run.name / run.dir");
  if (resume && core::is_regular_file(settings_path)) {
    const auto saved = read_settings(settings_path);
    std::vector<std::pair<std::string, std::string>> recorded;
    try {
      for (const auto& [k, v] : saved.at("recipe").items()) recorded.emplace_back(k, v.as_string());
    } catch (const core::Error& e) {
      core::rethrow_with_context(settings_path, e);
    }
    const auto diffs = train::recipe_differences(recorded, flat, resumable, settings_path);
    if (!diffs.empty())
      throw core::Error("cannot resume the search in " + out_dir +
                        ": the recipe changed what candidates are trained and scored on: " +
                        core::join(diffs, "; "));
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) core::fail_file(out_dir, "cannot create directory: " + ec.message());
  core::Json settings = core::Json::object();
  settings["space"] = space_source;
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) settings[k] = v;
  settings["recipe"] = core::Json::object();
  for (const auto& [k, v] : flat) settings["recipe"][k] = v;
  core::write_file_atomic(settings_path, settings.dump_pretty() + "\n");
}

double broadcast_outcome(train::DistributedGroup& group, const std::string& refusal, double value,
                         const char* what) {
  auto t = torch::tensor({refusal.empty() ? value : -1.0}, torch::kDouble);
  std::vector<torch::Tensor> ts{t};
  group.broadcast(ts, 0, what);
  const double v = t.item<double>();
  if (!refusal.empty()) throw core::Error(refusal);
  if (v < 0) throw core::Error("rank 0 refused to start the search (its output says why)");
  return v;
}

void agree_written(train::DistributedGroup& group, const std::string& refusal,
                   const std::string& what) {
  auto failed = torch::tensor({refusal.empty() ? 0.0 : 1.0}, torch::kDouble);
  group.all_reduce_sum(failed, "search candidate record");
  if (!refusal.empty()) throw core::Error(refusal);
  if (failed.item<double>() > 0)
    throw core::Error("rank 0 could not record " + what + " (its output says why)");
}

}  // namespace tinynas::nas::detail
