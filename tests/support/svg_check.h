// Checks on generated SVG (core/svg.h plots, the run report's figures): well-formed XML,
// and every text element inside the canvas by the plots' own width estimate.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tinynas/core/svg.h"

namespace tinynas::testing {

// Minimal well-formedness: tags nest and close, attributes are quoted, no raw '&' or '<'
// in text. Returns "" or what is wrong.
inline std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  while (i < x.size()) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return "raw & at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (x[i] != '<') {
      if (x[i] == '>') return "stray > at " + std::to_string(i);
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    bool in_quote = false;
    while (end < x.size() && (in_quote || x[end] != '>')) {
      if (x[end] == '"') in_quote = !in_quote;
      if (in_quote && x[end] == '<') return "< inside an attribute at " + std::to_string(end);
      ++end;
    }
    if (end >= x.size()) return "unclosed tag at " + std::to_string(i);
    std::string tag = x.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
    } else if (tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

// Every <text> of `svg` whose estimated box (estimated_text_width along the baseline,
// 0.8 em above it, 0.25 em below) leaves the viewBox, one line each; "" when none does.
// Understands what the plots write: x/y or translate(x,y) rotate(-90), text-anchor,
// font-size (default: the <svg>'s), escaped text.
inline std::string text_outside_viewbox(const std::string& svg) {
  auto attr = [](const std::string& tag, const std::string& name) -> std::string {
    const auto p = tag.find(" " + name + "=\"");
    if (p == std::string::npos) return "";
    const auto start = p + name.size() + 3;
    return tag.substr(start, tag.find('"', start) - start);
  };
  const auto root = svg.substr(0, svg.find('>'));
  std::istringstream box(attr(root, "viewBox"));
  double vx, vy, vw, vh;
  box >> vx >> vy >> vw >> vh;
  const double root_font = std::stod(attr(root, "font-size"));
  std::string problems;
  for (std::size_t p = 0; (p = svg.find("<text", p)) != std::string::npos; ++p) {
    const auto close = svg.find('>', p);
    const std::string tag = svg.substr(p, close - p);
    std::string text = svg.substr(close + 1, svg.find("</text>", close) - close - 1);
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;"})
      for (std::size_t q; (q = text.find(e)) != std::string::npos;) text.replace(q, std::string(e).size(), "x");
    const double fs = attr(tag, "font-size").empty() ? root_font : std::stod(attr(tag, "font-size"));
    const double w = core::estimated_text_width(text, fs);
    const std::string anchor = attr(tag, "text-anchor");
    const double along = anchor == "middle" ? w / 2 : anchor == "end" ? w : 0;  // run before the anchor
    double x, y, x0, x1, y0, y1;
    const std::string transform = attr(tag, "transform");
    if (transform.empty()) {
      x = std::stod(attr(tag, "x")), y = std::stod(attr(tag, "y"));
      x0 = x - along, x1 = x - along + w, y0 = y - 0.8 * fs, y1 = y + 0.25 * fs;
    } else {  // translate(x,y) rotate(-90): the text runs upwards from the anchor
      EXPECT_NE(transform.find("rotate(-90)"), std::string::npos) << transform;
      x = std::stod(transform.substr(transform.find('(') + 1));
      y = std::stod(transform.substr(transform.find(',') + 1));
      x0 = x - 0.8 * fs, x1 = x + 0.25 * fs, y0 = y + along - w, y1 = y + along;
    }
    if (x0 < vx || y0 < vy || x1 > vx + vw || y1 > vy + vh)
      problems += "'" + text + "' spans x " + std::to_string(x0) + ".." + std::to_string(x1) + ", y " +
                  std::to_string(y0) + ".." + std::to_string(y1) + " in " + std::to_string(vw) + "x" +
                  std::to_string(vh) + "\n";
  }
  return problems;
}

}  // namespace tinynas::testing
