// The run report's parts (run_report.h writes it): a document of blocks rendered once to
// Markdown and once to HTML (document.cpp), the stage files it reads and how their values
// are written (inputs.cpp), and one function per section (section_*.cpp), called in
// order by write_run_report (run_report.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"

namespace tinynas::cli::report {

// ---- the document ----

struct Table {
  std::vector<std::vector<std::string>> rows;  ///< header first
  int highlight = -1;                          ///< index into rows drawn highlighted (the pick)
};

struct Block {
  enum class Kind { heading, text, error, table, plot, code } kind;
  std::string body;  ///< heading, text, error; plot: the SVG file's name; code: the text
  Table table;
  std::string svg;    ///< plot: the SVG itself, inlined into the HTML
  std::string title;  ///< code: its caption (the HTML folds the text under it)
};

struct Document {
  std::vector<Block> blocks;
  void heading(const std::string& s) { blocks.push_back({Block::Kind::heading, s, {}, {}, {}}); }
  void text(const std::string& s) { blocks.push_back({Block::Kind::text, s, {}, {}, {}}); }
  /// What the reader must not miss: a corrupt input, a model over the limits.
  void error(const std::string& s) { blocks.push_back({Block::Kind::error, s, {}, {}, {}}); }
  void add(Table t) { blocks.push_back({Block::Kind::table, "", std::move(t), {}, {}}); }
  void code(const std::string& title, const std::string& s) { blocks.push_back({Block::Kind::code, s, {}, {}, title}); }
  void plot(const std::string& file, const std::string& svg) {
    blocks.push_back({Block::Kind::plot, file, {}, svg, {}});
  }
};

/// The first heading is the title (# / <h1>), later ones sections (## / <h2>).
std::string render_markdown(const Document& d);
/// A self-contained page: plots inlined, every text escaped, no script.
std::string render_html(const Document& d, const std::string& title);

// ---- the stage files ----

/// A stage's JSON file as the report found it: parsed, missing, or unreadable (corrupt,
/// truncated, not a file), with why.
struct JsonFile {
  std::string name;                ///< relative to the run directory
  std::optional<core::Json> json;
  std::string error;               ///< set when the file exists but could not be read
  bool missing() const { return !json && error.empty(); }
};

/// A JSON Lines file: the lines that parse, and one message per line that does not.
struct JsonLines {
  std::string name;
  std::vector<core::Json> lines;
  std::vector<std::string> errors;
  bool missing = true;
};

/// What one section needs: the recipe, the run's files, the document and the report
/// directory its plots are written to.
struct Context {
  const config::Recipe& recipe;
  std::string recipe_path;
  std::string run;  ///< the run directory
  std::string out;  ///< run/report
  Document& doc;

  std::string path(const std::string& rel) const { return run + "/" + rel; }
  JsonFile json(const std::string& rel) const;
  JsonLines jsonl(const std::string& rel) const;
  /// Writes out/file and adds the plot to the document.
  void plot(const std::string& file, const std::string& svg) const;
  /// Adds what stands in for an unusable input: `missing_text` when the file does not
  /// exist, an error naming the file and why when it exists but cannot be read. True when
  /// the file parsed.
  bool usable(const JsonFile& f, const std::string& missing_text) const;
  /// Adds an error for each line of `f` that did not parse.
  void line_errors(const JsonLines& f) const;
};

// ---- values as the report writes them: one unit per kind of figure ----

std::string fmt(const char* format, double v);
/// Accuracies are fractions in the stage files; the report shows percent everywhere.
double percent(double fraction);
std::string pct(double fraction);      ///< "82.65%"
std::string kb(double bytes);          ///< "12.3 KB"
double num(const core::Json& j, const char* key, double fallback = -1);
std::string str(const core::Json& j, const char* key);
std::string cpu_name(const std::string& target);  ///< "m4" -> "Cortex-M4", else Cortex-M7

/// The configuration SparseNAS chose (sparsenas/best.json): its path and sparse config.
/// read_pick adds an error when best.json exists but cannot be read; nullopt then, and
/// when the search has not picked (no file, or "arch": null).
struct Pick {
  std::string arch, sparse;
  bool matches(const core::Json& candidate) const;
};
std::optional<Pick> read_pick(const Context& c);

// ---- the sections, in report order ----

void overview_section(const Context& c);
void stages_section(const Context& c);
void training_section(const Context& c);
void supernas_section(const Context& c);
void sparsenas_section(const Context& c);
void oneshot_section(const Context& c, const std::optional<Pick>& pick);
/// Only when the run holds compare/compare.json.
void compare_section(const Context& c);
void accuracy_section(const Context& c);
void export_section(const Context& c);
void latency_section(const Context& c, const core::Json& profile, const std::string& target);
void recipe_section(const Context& c);

}  // namespace tinynas::cli::report
