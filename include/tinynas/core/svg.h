// Small self-contained SVG plots (histograms, scatter plots with a Pareto front, line
// charts) for analysis files and reports. Files open in any browser; no scripts, no
// external fonts or styles.
//
// Every plot sizes itself to its text: the margins grow with the widest tick label, the
// plot area with the axis labels, the canvas with the title and the legend, with widths
// estimated by estimated_text_width() (generously: no font is measured). The legend
// (series, markers, highlighted points) sits below the x axis, outside the plot area, so
// it never covers a line. `width` / `height` are the canvas for short labels.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace tinynas::core {

/// Width in pixels that `text` (UTF-8) takes at `font_size` in the plots' sans-serif font,
/// overestimated: 0.6 em a character, wider than the average glyph of common sans fonts.
double estimated_text_width(const std::string& text, double font_size);

/// A vertical dashed marker drawn across a plot (a limit, a bound), named in the legend.
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
  bool highlight = false;  ///< drawn larger, outlined, on top of the others
};

struct ScatterOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  /// Connect the points on the front that maximises y for a given or smaller x.
  bool pareto_front = true;
  std::vector<Marker> markers;
  std::string points_label = "candidates";       ///< legend entry of the plain points
  std::string highlight_label = "highlighted";   ///< legend entry of the highlighted ones
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

/// Each series a polyline (a series of one point: a dot), labelled series in the legend.
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
/// from 0. The canvas grows with the rows and with the longest label, note, title and
/// legend entry, so that no text is clipped (estimated_text_width).
std::string bar_svg(const std::vector<Bar>& bars, const BarOptions& options);

/// Escapes &, <, >, " for SVG/HTML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace tinynas::core
