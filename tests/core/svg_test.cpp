#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tinynas/core/svg.h"

using namespace tinynas;

namespace {

// Minimal well-formedness: tags nest and close, attributes are quoted, no raw '&' or '<'
// in text. Returns "" or what is wrong.
std::string xml_problem(const std::string& x) {
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

}  // namespace

TEST(Svg, HistogramIsWellFormedAndEscapesText) {
  core::HistogramOptions o;
  o.title = "a < b & \"c\"";
  o.x_label = "x";
  o.markers = {{5, "limit <5>"}};
  const auto svg = core::histogram_svg({{"all", {1, 2, 2, 3, 9}, "#123456", {}},
                                        {"weighted", {2, 3}, "#654321", {0.5, 2.5}}},
                                       o);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("limit &lt;5&gt;"), std::string::npos);
  // The weighted bin of value 3 holds 2.5.
  EXPECT_NE(svg.find(": 2.5</title>"), std::string::npos) << svg;
}

TEST(Svg, DegenerateRangesStillRender) {
  core::HistogramOptions o;
  // One value far from 0: the range is widened, tick loops end.
  for (const std::vector<double>& v :
       {std::vector<double>{1e12, 1e12}, std::vector<double>{}, std::vector<double>{0, 0},
        std::vector<double>{NAN, INFINITY, 3}}) {
    const auto svg = core::histogram_svg({{"s", v, "#000", {}}}, o);
    EXPECT_EQ(xml_problem(svg), "") << svg;
  }
  EXPECT_NE(core::histogram_svg({}, o).find("no data"), std::string::npos);
  const auto sc = core::scatter_svg({{1e12, 0.5, "a<b", true}, {1e12, 0.5, "c", false}}, {});
  EXPECT_EQ(xml_problem(sc), "");
  const auto ln = core::line_svg({{"l", {0, 1, 2}, {1, 1, 1}, "#000"}}, {});
  EXPECT_EQ(xml_problem(ln), "");
}

TEST(Svg, ScatterDrawsTheParetoFront) {
  core::ScatterOptions o;
  const auto svg = core::scatter_svg(
      {{1, 0.5, "a", false}, {2, 0.4, "dominated", false}, {3, 0.9, "b", true}}, o);
  EXPECT_EQ(xml_problem(svg), "");
  // The front visits a and b only: a path with one segment.
  const auto color = svg.find("#e67e22");
  ASSERT_NE(color, std::string::npos);
  const auto path = svg.rfind("<path d=\"M", color);
  ASSERT_NE(path, std::string::npos);
  const auto end = svg.find('"', path + 9);
  const std::string d = svg.substr(path + 9, end - path - 9);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 1) << d;
}

TEST(Svg, BarChartFitsItsLabelsAndScalesTheBars) {
  core::BarOptions o;
  o.title = "latency";
  o.x_label = "ms";
  o.legend = {{"conv", "#111111"}, {"add & co", "#222222"}};
  const std::string long_label = "12 s3.b1.attention.softmax (attention_softmax)";
  const auto svg = core::bar_svg({{"0 stem", 2.0, "2.00 ms", "#111111"},
                                  {long_label, 4.5, "", "#222222"},
                                  {"2 empty", 0.0, "", "#222222"},
                                  {"3 <bad>", NAN, "", "#222222"}},
                                 o);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("add &amp; co"), std::string::npos);
  EXPECT_NE(svg.find("3 &lt;bad&gt;"), std::string::npos);
  // the canvas is wider than the longest label at 7 px a character, plus the bars' area
  const auto w = svg.find("width=\"");
  const double width = std::stod(svg.substr(w + 7));
  EXPECT_GT(width, 7.0 * long_label.size() + o.plot_width);
  // two bars drawn (zero and NaN draw none), in proportion; the note or the value beside
  // each
  std::vector<double> lengths;
  for (std::size_t p = 0; (p = svg.find("<rect x=", p)) != std::string::npos; ++p) {
    const auto t = svg.find("<title>", p);
    if (t == std::string::npos || svg.find("</rect>", p) < t) continue;
    const auto wa = svg.find("width=\"", p);
    lengths.push_back(std::stod(svg.substr(wa + 7)));
  }
  ASSERT_EQ(lengths.size(), 2u);
  EXPECT_NEAR(lengths[1], 2.25 * lengths[0], 0.02);
  EXPECT_NE(svg.find(">2.00 ms</text>"), std::string::npos);
  EXPECT_NE(svg.find(">4.5</text>"), std::string::npos);
  EXPECT_EQ(xml_problem(core::bar_svg({}, o)), "");
  // a long colour key wraps into rows instead of widening the chart
  for (int i = 0; i < 12; ++i) o.legend.push_back({"kernel family " + std::to_string(i), "#333333"});
  const auto wrapped = core::bar_svg({{"a", 1.0, "", "#111111"}}, o);
  EXPECT_EQ(xml_problem(wrapped), "");
  EXPECT_LT(std::stod(wrapped.substr(wrapped.find("width=\"") + 7)), 7.0 * 16 * 4 + 40);
  EXPECT_NE(wrapped.find(">kernel family 11</text>"), std::string::npos);
}
