// The report document rendered to Markdown (report.md) and HTML (report.html). Both
// renderers see the same blocks, so the two files say the same thing; only the HTML is
// escaped (the Markdown keeps the text as written, '|' escaped inside tables).
#include <string>

#include "report.h"
#include "tinynas/core/svg.h"

namespace tinynas::cli::report {
namespace {

std::string md_cell(std::string c) {
  for (std::size_t p = 0; (p = c.find('|', p)) != std::string::npos; p += 2) c.insert(p, "\\");
  return c;
}

std::string md_table(const Table& t) {
  std::string s;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const bool bold = int(i) == t.highlight;
    s += "|";
    for (const auto& c : t.rows[i]) s += " " + (bold && !c.empty() ? "**" + md_cell(c) + "**" : md_cell(c)) + " |";
    s += "\n";
    if (i == 0) {
      s += "|";
      for (std::size_t k = 0; k < t.rows[0].size(); ++k) s += "---|";
      s += "\n";
    }
  }
  return s + "\n";
}

std::string md_block(const Block& b, bool first_heading) {
  switch (b.kind) {
    case Block::Kind::heading: return (first_heading ? "# " : "\n## ") + b.body + "\n\n";
    case Block::Kind::text: return b.body + "\n\n";
    case Block::Kind::error: return "> **Error:** " + b.body + "\n\n";
    case Block::Kind::plot: return "![" + b.body + "](" + b.body + ")\n\n";
    case Block::Kind::code: return b.title + ":\n\n```yaml\n" + b.body + (b.body.empty() || b.body.back() == '\n' ? "" : "\n") + "```\n\n";
    case Block::Kind::table: return md_table(b.table);
  }
  return "";
}

// A table cell's contents. A path or sparse-config encoding ("tf1-n:D1.M0|D2.M1|P0")
// breaks only after a '|', never at its hyphen; a short value ("2.20 M") never breaks.
std::string html_cell(const std::string& c, const char* tag) {
  const std::string open = std::string("<") + tag, close = std::string("</") + tag + ">";
  if (c.find('|') != std::string::npos && c.find(' ') == std::string::npos) {
    std::string s = open + "><span class=\"nw\">";
    for (const char ch : c) s += ch == '|' ? "|</span><wbr><span class=\"nw\">" : core::xml_escape(std::string(1, ch));
    return s + "</span>" + close;
  }
  return open + (c.size() <= 24 ? " class=\"nw\">" : ">") + core::xml_escape(c) + close;
}

std::string html_table(const Table& t) {
  std::string s = "<table>\n";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    s += int(i) == t.highlight ? "<tr class=\"pick\">" : "<tr>";
    for (const auto& c : t.rows[i]) s += html_cell(c, i == 0 ? "th" : "td");
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string html_block(const Block& b, bool first_heading) {
  switch (b.kind) {
    case Block::Kind::heading:
      return first_heading ? "<h1>" + core::xml_escape(b.body) + "</h1>\n" : "<h2>" + core::xml_escape(b.body) + "</h2>\n";
    case Block::Kind::text: return "<p>" + core::xml_escape(b.body) + "</p>\n";
    case Block::Kind::error: return "<p class=\"error\"><strong>Error:</strong> " + core::xml_escape(b.body) + "</p>\n";
    case Block::Kind::plot: return "<figure>" + b.svg + "</figure>\n";
    case Block::Kind::code:  // long (the resolved recipe): folded, one click away
      return "<details><summary>" + core::xml_escape(b.title) + "</summary><pre>" + core::xml_escape(b.body) +
             "</pre></details>\n";
    case Block::Kind::table: return html_table(b.table);
  }
  return "";
}

// Wide plots scale down to the page (they carry a viewBox); the pick's row stands out in
// the same colour as its point.
constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;line-height:1.4}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .6em;"
    "text-align:left;font-size:90%}th{background:#f3f3f3}tr.pick td{background:#fff1c2;font-weight:bold}"
    ".nw{white-space:nowrap}figure{margin:1em 0}figure svg{max-width:100%;height:auto}"
    "summary{cursor:pointer;color:#245}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:85%}"
    ".error{color:#a00;background:#fdecea;border-left:4px solid #c0392b;padding:.4em .8em}";

}  // namespace

std::string render_markdown(const Document& d) {
  std::string s;
  bool first = true;
  for (const auto& b : d.blocks) {
    s += md_block(b, first && b.kind == Block::Kind::heading);
    if (b.kind == Block::Kind::heading) first = false;
  }
  return s;
}

std::string render_html(const Document& d, const std::string& title) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                  core::xml_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head><body>\n";
  bool first = true;
  for (const auto& b : d.blocks) {
    s += html_block(b, first && b.kind == Block::Kind::heading);
    if (b.kind == Block::Kind::heading) first = false;
  }
  return s + "</body></html>\n";
}

}  // namespace tinynas::cli::report
