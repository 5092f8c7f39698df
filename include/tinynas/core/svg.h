// Small self-contained SVG plots (histograms, scatter plots with a Pareto front, line
// charts) for analysis files and reports. Files open in any browser; no scripts, no
// external fonts or styles.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace tinynas::core {

/// A vertical marker drawn across a plot (a limit, a bound), labelled at its top.
struct Marker {
  double x = 0;
  std::string label;
  std::string color = "#c0392b";
};

/// One data series of a histogram: values binned over the plot's common range.
struct HistSeries {
  std::string label;
  std::vector<double> values;
  std::string color = "#3b73b9";
  std::vector<double> weights;  ///< per value; empty = 1 each
};

struct HistogramOptions {
  std::string title;
  std::string x_label;
  std::string y_label = "samples";
  int bins = 30;
  /// The x range covers every value and every marker; a little margin is added.
  std::vector<Marker> markers;
  int width = 640;
  int height = 360;
};

/// Series are drawn as overlapping translucent bars in the given order (later on top),
/// with a legend when there is more than one series or a series has a label. Values that
/// are not finite are ignored. An empty plot (no values) still renders axes and a note.
std::string histogram_svg(const std::vector<HistSeries>& series, const HistogramOptions& options);

struct ScatterPoint {
  double x = 0;
  double y = 0;
  std::string label;  ///< tooltip (<title>)
  bool highlight = false;
};

struct ScatterOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  /// Connect the points on the front that maximises y for a given or smaller x.
  bool pareto_front = true;
  std::vector<Marker> markers;
  int width = 640;
  int height = 400;
};

std::string scatter_svg(const std::vector<ScatterPoint>& points, const ScatterOptions& options);

struct LineSeries {
  std::string label;
  std::vector<double> x, y;
  std::string color = "#3b73b9";
};

struct LineOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 640;
  int height = 360;
};

std::string line_svg(const std::vector<LineSeries>& series, const LineOptions& options);

/// One bar of a horizontal bar chart.
struct Bar {
  std::string label;              ///< left of the bar
  double value = 0;               ///< its length; negative or non-finite values draw none
  std::string note;               ///< right of the bar; empty: the value
  std::string color = "#3b73b9";
};

struct BarOptions {
  std::string title;
  std::string x_label;
  /// Colour key under the axis, (label, colour) each, in rows as wide as the chart.
  std::vector<std::pair<std::string, std::string>> legend;
  int plot_width = 420;  ///< the bars' area; the canvas adds room for the labels and notes
  int bar_height = 14;
};

/// Horizontal bars, one row each, top to bottom in the given order, over a common x axis
/// from 0. The canvas grows with the rows and with the longest label and note, so that no
/// text is clipped (widths estimated at 7 px per character of the 12 px sans-serif font).
std::string bar_svg(const std::vector<Bar>& bars, const BarOptions& options);

/// Escapes &, <, >, " for SVG/HTML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace tinynas::core
