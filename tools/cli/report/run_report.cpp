// write_run_report: the sections in order (report.h), each on its own so that one failing
// (an input with an unexpected shape) leaves an error in its place and the rest written.
#include "run_report.h"

#include <filesystem>
#include <utility>

#include "report.h"
#include "tinynas/core/fs.h"

namespace tinynas::cli {

std::string write_run_report(const config::Recipe& recipe, const std::string& recipe_path) {
  const std::string run = recipe.run.dir + "/" + recipe.run.name;
  const std::string out = run + "/report";
  std::filesystem::create_directories(out);
  report::Document doc;
  const report::Context c{recipe, recipe_path, run, out, doc};
  using Section = void (*)(const report::Context&);
  const std::pair<const char*, Section> sections[] = {
      {"overview", report::overview_section},   {"stages", report::stages_section},
      {"training", report::training_section},   {"SuperNAS", report::supernas_section},
      {"SparseNAS", report::sparsenas_section}, {"strategy comparison", report::compare_section},
      {"accuracy", report::accuracy_section},
      {"export", report::export_section},       {"recipe", report::recipe_section}};
  for (const auto& [name, section] : sections) {
    try {
      section(c);
    } catch (const std::exception& e) {
      doc.error(std::string("the ") + name + " section could not be written: " + e.what());
    }
  }
  core::write_file_atomic(out + "/report.md", report::render_markdown(doc));
  core::write_file_atomic(out + "/report.html", report::render_html(doc, "tinynas run " + recipe.run.name));
  return out;
}

}  // namespace tinynas::cli
