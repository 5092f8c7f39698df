#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "support/svg_check.h"
#include "tinynas/core/svg.h"

using namespace tinynas;
using tinynas::testing::text_outside_viewbox;
using tinynas::testing::xml_problem;

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

namespace {

const std::string kLong =
    "validation accuracy (mean over the sampled paths of the supernet, in percent of the images)";

}  // namespace

TEST(Svg, EveryTextFitsTheCanvasAtAnyLabelLength) {
  // Each label long on its own (a long title would widen the canvas for the others), and
  // tick labels as wide as %g writes them ("-0.00012", "-120k").
  for (const std::string& label : {std::string("x"), std::string("acc (%)"), kLong, kLong + " " + kLong})
    for (int which = 0; which < 4; ++which) {
      auto pick = [&](int i, const std::string& fallback) { return which == i ? label : fallback; };
      const std::string title = pick(0, "t"), x_label = pick(1, "x"), y_label = pick(2, "y"), entry = pick(3, "e");
      const std::string what = label + " as #" + std::to_string(which);
      core::LineOptions lo{title, x_label, y_label};
      const auto line = core::line_svg({{entry, {0, 1, 2}, {-0.00012, 0.00031, 0.0002}, "#000"},
                                        {"arena", {0, 2}, {0.0003, 0.0003}, "#c00"}},
                                       lo);
      EXPECT_EQ(xml_problem(line), "");
      EXPECT_EQ(text_outside_viewbox(line), "") << what;
      core::ScatterOptions so;
      so.title = title, so.x_label = x_label, so.y_label = y_label, so.highlight_label = entry;
      so.markers = {{123456.5, "flash limit " + entry}, {-0.001, "latency"}};
      const auto scatter = core::scatter_svg({{-123456.25, 82.65, "a", false}, {99999.5, 12.5, "b", true}}, so);
      EXPECT_EQ(xml_problem(scatter), "");
      EXPECT_EQ(text_outside_viewbox(scatter), "") << what;
      core::HistogramOptions ho;
      ho.title = title, ho.x_label = x_label, ho.y_label = y_label;
      ho.markers = {{1e7, "SRAM limit " + entry}};
      const auto hist = core::histogram_svg({{"all", {1, 2, 3}, "#111", {}}, {entry, {2}, "#222", {}}}, ho);
      EXPECT_EQ(text_outside_viewbox(hist), "") << what;
      EXPECT_EQ(text_outside_viewbox(core::histogram_svg({}, ho)), "") << what;
      core::BarOptions bo;
      bo.title = title, bo.x_label = x_label;
      bo.legend = {{entry, "#111"}, {"conv", "#222"}};
      const auto bars = core::bar_svg({{"0 " + y_label, 12345.5, "", "#111"}, {"1 x", 0.5, entry, "#222"}}, bo);
      EXPECT_EQ(text_outside_viewbox(bars), "") << what;
    }
}

TEST(Svg, TheLegendIsBelowThePlotArea) {
  // The memory plan: two series, the arena line at the top of the plot where a legend in
  // the corner used to cover it.
  const auto svg = core::line_svg({{"live bytes", {0, 1, 2}, {1, 3, 2}, "#000"}, {"arena", {0, 2}, {3, 3}, "#c00"}},
                                  {"t", "op step", "bytes"});
  const auto axis = svg.find("<path d=\"M");
  ASSERT_NE(axis, std::string::npos);
  const double axis_bottom = std::stod(svg.substr(svg.find(" V", axis) + 2));
  for (const char* entry : {">live bytes</text>", ">arena</text>"}) {
    const auto at = svg.find(entry);
    ASSERT_NE(at, std::string::npos) << entry;
    const auto tag = svg.rfind("<text", at);
    EXPECT_GT(std::stod(svg.substr(svg.find("y=\"", tag) + 3)), axis_bottom + 30) << entry;
  }
}

TEST(Svg, HighlightedPointsAreDrawnOnTopAndNamedInTheLegend) {
  core::ScatterOptions o;
  o.highlight_label = "chosen";
  const auto svg = core::scatter_svg({{1, 50, "pick", true}, {2, 60, "other", false}}, o);
  EXPECT_LT(svg.find("<title>other</title>"), svg.find("<title>pick</title>"));
  EXPECT_NE(svg.find(">chosen</text>"), std::string::npos);
  EXPECT_NE(svg.find(">candidates</text>"), std::string::npos);
}
