#include "tinynas/core/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace tinynas::core {
namespace {

constexpr double kFont = 12;       // the canvas's font size (set once on <svg>)
constexpr double kTitleFont = 15;
constexpr double kPad = 10;        // canvas edge to any text
constexpr double kTickLength = 5;
constexpr double kLegendRow = 18;
constexpr double kSwatch = 16;     // a legend key's drawing, left of its label
constexpr double kLegendGap = 14;  // between legend entries on a row
constexpr const char* kPointColor = "#3b73b9";
constexpr const char* kFrontColor = "#e67e22";
constexpr const char* kHighlightColor = "#f5b700";  // apart from the markers' red and the points' blue

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Tick label: short and exact enough ("12k", "0.25", "3.5M").
std::string tick_label(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// 1/2/5 x 10^k step giving about `target` intervals over [lo, hi].
double nice_step(double lo, double hi, int target) {
  const double span = hi - lo;
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

// The multiples of a 1/2/5 step inside [lo, hi] (at most 101). Integer steps: `t += step`
// can stall when |t| dwarfs the step.
std::vector<double> tick_values(double lo, double hi, int target) {
  const double step = nice_step(lo, hi, target);
  const double first = std::ceil(lo / step);
  std::vector<double> out;
  for (int k = 0; k <= 100 && (first + k) * step <= hi + 1e-9 * step; ++k) {
    const double t = (first + k) * step;
    out.push_back(std::fabs(t) < 1e-12 * step ? 0 : t);
  }
  return out;
}

double widest_tick(const std::vector<double>& ticks) {
  double w = 0;
  for (double t : ticks) w = std::max(w, estimated_text_width(tick_label(t), kFont));
  return w;
}

void widen(double& lo, double& hi) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
}

// ---- legend: keys in rows below the plot, as wide as the canvas ----

enum class Swatch { box, line, dashed, dot, highlight };

struct LegendItem {
  std::string label;
  std::string color;
  Swatch swatch = Swatch::box;
};

double legend_item_width(const LegendItem& item) {
  return kSwatch + 4 + estimated_text_width(item.label, kFont);
}

double widest_legend_item(const std::vector<LegendItem>& items) {
  double w = 0;
  for (const auto& item : items) w = std::max(w, legend_item_width(item));
  return w;
}

struct PlacedLegend {
  std::vector<std::pair<double, double>> at;  // each item's top-left corner
  int rows = 0;
};

// Left to right from the canvas's left padding, a new row when an item would pass the
// right padding. The canvas is at least as wide as the widest item plus both paddings.
PlacedLegend place_legend(const std::vector<LegendItem>& items, double width, double top) {
  PlacedLegend p;
  double x = kPad;
  int row = 0;
  for (const auto& item : items) {
    const double w = legend_item_width(item);
    if (x > kPad && x + w > width - kPad) x = kPad, ++row;
    p.at.push_back({x, top + kLegendRow * row});
    x += w + kLegendGap;
  }
  p.rows = items.empty() ? 0 : row + 1;
  return p;
}

void draw_swatch(std::ostringstream& o, const LegendItem& item, double x, double y) {
  const double mid = y + 6, color_x = x + kSwatch / 2;
  const std::string color = xml_escape(item.color);
  switch (item.swatch) {
    case Swatch::box:
      o << "<rect x=\"" << num(x + 3) << "\" y=\"" << num(y + 1) << "\" width=\"10\" height=\"10\" fill=\"" << color
        << "\" fill-opacity=\"0.7\"/>";
      break;
    case Swatch::line:
    case Swatch::dashed:
      o << "<line x1=\"" << num(x) << "\" y1=\"" << num(mid) << "\" x2=\"" << num(x + kSwatch) << "\" y2=\""
        << num(mid) << "\" stroke=\"" << color << "\" stroke-width=\"2\""
        << (item.swatch == Swatch::dashed ? " stroke-dasharray=\"5 3\"" : "") << "/>";
      break;
    case Swatch::dot:
      o << "<circle cx=\"" << num(color_x) << "\" cy=\"" << num(mid) << "\" r=\"4\" fill=\"" << color
        << "\" fill-opacity=\"0.75\"/>";
      break;
    case Swatch::highlight:
      o << "<circle cx=\"" << num(color_x) << "\" cy=\"" << num(mid) << "\" r=\"6\" fill=\"" << color
        << "\" stroke=\"#222\" stroke-width=\"1.5\"/>";
      break;
  }
}

void draw_legend(std::ostringstream& o, const std::vector<LegendItem>& items, const PlacedLegend& p) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto [x, y] = p.at[i];
    draw_swatch(o, items[i], x, y);
    o << "<text x=\"" << num(x + kSwatch + 4) << "\" y=\"" << num(y + 10) << "\">" << xml_escape(items[i].label)
      << "</text>\n";
  }
}

void add_markers(std::vector<LegendItem>& legend, const std::vector<Marker>& markers) {
  for (const auto& m : markers) legend.push_back({m.label, m.color, Swatch::dashed});
}

// ---- the frame of an x/y plot: canvas, margins, axes ----

struct FrameText {
  std::string title, x_label, y_label;
  std::vector<LegendItem> legend;
};

struct Frame {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // data range
  std::vector<double> x_ticks, y_ticks;
  double left = 0, top = 0, plot_w = 0, plot_h = 0, width = 0, height = 0;
  PlacedLegend legend;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * plot_w; }
  double py(double y) const { return top + plot_h - (y - y0) / (y1 - y0) * plot_h; }
  double bottom() const { return top + plot_h; }
};

// Text positions relative to the plot area's bottom edge (baselines) and its left edge.
constexpr double kTickBaseline = 18, kXLabelBaseline = 36, kLegendTop = 48, kNoLegendBottom = 44;
constexpr double kYTickGap = 8;  // tick label's right end to the axis

// Margins from the widest tick labels; a plot area at least the nominal size (the canvas
// for short labels less the margins of short labels) and as long as each axis label; a
// canvas wide enough for the title and the widest legend entry.
Frame layout(double x0, double x1, double y0, double y1, const FrameText& t, int width, int height) {
  Frame f;
  f.x0 = x0, f.x1 = x1, f.y0 = y0, f.y1 = y1;
  f.x_ticks = tick_values(x0, x1, 6), f.y_ticks = tick_values(y0, y1, 5);
  const double xtick_w = widest_tick(f.x_ticks), ytick_w = widest_tick(f.y_ticks);
  const double y_label_band = t.y_label.empty() ? 0 : 1.5 * kFont;  // the rotated y label
  f.left = std::max(kPad + y_label_band + ytick_w + kYTickGap, kPad + xtick_w / 2);
  const double right = kPad + std::max(kPad, xtick_w / 2);
  f.top = t.title.empty() ? 2 * kPad : 40;
  f.plot_w = std::max({double(width) - 84, 120.0, estimated_text_width(t.x_label, kFont)});
  f.plot_h = std::max({double(height) - 92, 80.0, estimated_text_width(t.y_label, kFont) + 4});
  f.width = f.left + f.plot_w + right;
  const double needed = 2 * kPad + std::max(estimated_text_width(t.title, kTitleFont), widest_legend_item(t.legend));
  if (f.width < needed) f.plot_w += needed - f.width, f.width = needed;
  f.legend = place_legend(t.legend, f.width, f.bottom() + kLegendTop);
  f.height = f.legend.rows ? f.bottom() + kLegendTop + kLegendRow * f.legend.rows : f.bottom() + kNoLegendBottom;
  return f;
}

void header(std::ostringstream& o, double w, double h, const std::string& title) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(w) << "\" height=\"" << num(h)
    << "\" viewBox=\"0 0 " << num(w) << ' ' << num(h) << "\" font-family=\"sans-serif\" font-size=\"" << kFont
    << "\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << num(w / 2) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"" << kTitleFont << "\">"
    << xml_escape(title) << "</text>\n";
}

void axes(std::ostringstream& o, const Frame& f, const FrameText& t) {
  const double bx = f.left, by = f.bottom(), ex = f.left + f.plot_w, ey = f.top;
  o << "<g stroke=\"#333\" fill=\"none\"><path d=\"M" << num(bx) << ' ' << num(ey) << " V" << num(by) << " H"
    << num(ex) << "\"/></g>\n";
  for (double v : f.x_ticks) {
    const double x = f.px(v);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(by) << "\" x2=\"" << num(x) << "\" y2=\""
      << num(by + kTickLength) << "\" stroke=\"#333\"/><text x=\"" << num(x) << "\" y=\""
      << num(by + kTickBaseline) << "\" text-anchor=\"middle\">" << tick_label(v) << "</text>\n";
  }
  for (double v : f.y_ticks) {
    const double y = f.py(v);
    o << "<line x1=\"" << num(bx - kTickLength) << "\" y1=\"" << num(y) << "\" x2=\"" << num(ex) << "\" y2=\""
      << num(y) << "\" stroke=\"#ddd\"/><text x=\"" << num(bx - kYTickGap) << "\" y=\"" << num(y + 4)
      << "\" text-anchor=\"end\">" << tick_label(v) << "</text>\n";
  }
  o << "<text x=\"" << num((bx + ex) / 2) << "\" y=\"" << num(by + kXLabelBaseline) << "\" text-anchor=\"middle\">"
    << xml_escape(t.x_label) << "</text>\n"
    << "<text transform=\"translate(" << num(kPad + kFont) << "," << num((by + ey) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(t.y_label) << "</text>\n";
}

// Canvas, title, axes; the caller draws the data, then finish() the legend.
Frame begin_plot(std::ostringstream& o, double x0, double x1, double y0, double y1, const FrameText& t, int width,
                 int height) {
  const Frame f = layout(x0, x1, y0, y1, t, width, height);
  header(o, f.width, f.height, t.title);
  axes(o, f, t);
  return f;
}

void finish(std::ostringstream& o, const Frame& f, const FrameText& t) {
  draw_legend(o, t.legend, f.legend);
  o << "</svg>\n";
}

void draw_markers(std::ostringstream& o, const Frame& f, const std::vector<Marker>& ms) {
  for (const auto& m : ms) {
    const double x = f.px(m.x);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(f.top) << "\" x2=\"" << num(x) << "\" y2=\"" << num(f.bottom())
      << "\" stroke=\"" << xml_escape(m.color) << "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"><title>"
      << xml_escape(m.label) << "</title></line>\n";
  }
}

}  // namespace

double estimated_text_width(const std::string& text, double font_size) {
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;  // UTF-8: count code points
  return 0.6 * font_size * double(chars);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string histogram_svg(const std::vector<HistSeries>& series, const HistogramOptions& opt) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series)
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  const bool empty = !std::isfinite(lo);
  for (const auto& m : opt.markers) lo = std::min(lo, m.x), hi = std::max(hi, m.x);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  widen(lo, hi);
  const double margin = (hi - lo) * 0.04;
  lo -= margin;
  hi += margin;
  const int bins = std::max(1, opt.bins);
  const double bw = (hi - lo) / bins;
  std::vector<std::vector<double>> counts;
  double peak = 1;
  for (const auto& s : series) {
    std::vector<double> c(std::size_t(bins), 0.0);
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      const double v = s.values[i];
      if (!std::isfinite(v)) continue;
      const int b = std::clamp(int((v - lo) / bw), 0, bins - 1);
      c[std::size_t(b)] += i < s.weights.size() ? s.weights[i] : 1.0;
    }
    for (double x : c) peak = std::max(peak, x);
    counts.push_back(std::move(c));
  }
  FrameText t{opt.title, opt.x_label, opt.y_label, {}};
  std::size_t labelled = 0;
  for (const auto& s : series) labelled += !s.label.empty();
  if (labelled > 1 || (labelled == 1 && series.size() == 1))
    for (const auto& s : series)
      if (!s.label.empty()) t.legend.push_back({s.label, s.color, Swatch::box});
  add_markers(t.legend, opt.markers);
  std::ostringstream o;
  const Frame f = begin_plot(o, lo, hi, 0, peak * 1.1, t, opt.width, opt.height);
  for (std::size_t s = 0; s < series.size(); ++s) {
    o << "<g fill=\"" << xml_escape(series[s].color) << "\" fill-opacity=\"0.6\">\n";
    for (int b = 0; b < bins; ++b) {
      const double c = counts[s][std::size_t(b)];
      if (c == 0) continue;
      const double x0 = f.px(lo + b * bw), x1 = f.px(lo + (b + 1) * bw), y = f.py(c);
      o << "<rect x=\"" << num(x0) << "\" y=\"" << num(y) << "\" width=\"" << num(x1 - x0 - 0.5)
        << "\" height=\"" << num(f.py(0) - y) << "\"><title>" << tick_label(lo + b * bw) << " - "
        << tick_label(lo + (b + 1) * bw) << ": " << c << "</title></rect>\n";
    }
    o << "</g>\n";
  }
  draw_markers(o, f, opt.markers);
  if (empty)
    o << "<text x=\"" << num(f.left + f.plot_w / 2) << "\" y=\"" << num(f.top + f.plot_h / 2)
      << "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
  finish(o, f, t);
  return o.str();
}

namespace {

// The points on the front that maximises y for a given or smaller x, by increasing x.
std::vector<ScatterPoint> pareto_front(const std::vector<ScatterPoint>& points) {
  std::vector<ScatterPoint> sorted;
  for (const auto& p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y)) sorted.push_back(p);
  std::sort(sorted.begin(), sorted.end(), [](const ScatterPoint& l, const ScatterPoint& r) {
    return l.x < r.x || (l.x == r.x && l.y > r.y);
  });
  std::vector<ScatterPoint> front;
  for (const auto& p : sorted)
    if (front.empty() || p.y > front.back().y) front.push_back(p);
  return front;
}

}  // namespace

std::string scatter_svg(const std::vector<ScatterPoint>& points, const ScatterOptions& opt) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  bool any_highlight = false, any_plain = false;
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    (p.highlight ? any_highlight : any_plain) = true;
  }
  for (const auto& m : opt.markers) x0 = std::min(x0, m.x), x1 = std::max(x1, m.x);
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  widen(x0, x1);
  widen(y0, y1);
  const double mx = (x1 - x0) * 0.05, my = (y1 - y0) * 0.08;
  FrameText t{opt.title, opt.x_label, opt.y_label, {}};
  if (any_plain) t.legend.push_back({opt.points_label, kPointColor, Swatch::dot});
  if (any_highlight) t.legend.push_back({opt.highlight_label, kHighlightColor, Swatch::highlight});
  const std::vector<ScatterPoint> front = opt.pareto_front ? pareto_front(points) : std::vector<ScatterPoint>{};
  if (front.size() > 1) t.legend.push_back({"Pareto front", kFrontColor, Swatch::line});
  add_markers(t.legend, opt.markers);
  std::ostringstream o;
  const Frame f = begin_plot(o, x0 - mx, x1 + mx, y0 - my, y1 + my, t, opt.width, opt.height);
  if (front.size() > 1) {  // one point is no line
    std::string path;
    for (const auto& p : front) path += (path.empty() ? "M" : " L") + num(f.px(p.x)) + " " + num(f.py(p.y));
    o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << kFrontColor << "\" stroke-width=\"1.5\"/>\n";
  }
  for (const bool highlighted : {false, true})  // highlighted points on top
    for (const auto& p : points) {
      if (p.highlight != highlighted || !std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      o << "<circle cx=\"" << num(f.px(p.x)) << "\" cy=\"" << num(f.py(p.y)) << "\" r=\"" << (highlighted ? 6 : 4)
        << "\" fill=\"" << (highlighted ? kHighlightColor : kPointColor) << "\""
        << (highlighted ? " stroke=\"#222\" stroke-width=\"1.5\"" : " fill-opacity=\"0.75\"") << "><title>"
        << xml_escape(p.label) << "</title></circle>\n";
    }
  draw_markers(o, f, opt.markers);
  finish(o, f, t);
  return o.str();
}

std::string line_svg(const std::vector<LineSeries>& series, const LineOptions& opt) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  widen(x0, x1);
  widen(y0, y1);
  const double my = (y1 - y0) * 0.05;
  FrameText t{opt.title, opt.x_label, opt.y_label, {}};
  for (const auto& s : series)
    if (!s.label.empty()) t.legend.push_back({s.label, s.color, Swatch::line});
  std::ostringstream o;
  const Frame f = begin_plot(o, x0, x1, y0 - my, y1 + my, t, opt.width, opt.height);
  for (const auto& s : series) {
    std::string path;
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      path += (path.empty() ? "M" : " L") + num(f.px(s.x[i])) + " " + num(f.py(s.y[i]));
    }
    if (path.find('L') != std::string::npos)
      o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << xml_escape(s.color)
        << "\" stroke-width=\"1.5\"/>\n";
    else if (!path.empty())  // one point (one epoch): a dot, where a path would draw nothing
      o << "<circle cx=\"" << path.substr(1, path.find(' ') - 1) << "\" cy=\"" << path.substr(path.find(' ') + 1)
        << "\" r=\"3\" fill=\"" << xml_escape(s.color) << "\"/>\n";
  }
  finish(o, f, t);
  return o.str();
}

std::string bar_svg(const std::vector<Bar>& bars, const BarOptions& opt) {
  constexpr double kGap = 4, kTop = 40;
  std::vector<std::string> notes;
  double hi = 0, label_w = 0, note_w = 0;
  for (const auto& b : bars) {
    const bool drawn = std::isfinite(b.value) && b.value > 0;
    if (drawn) hi = std::max(hi, b.value);
    notes.push_back(!b.note.empty() ? b.note : drawn ? tick_label(b.value) : std::string());
    label_w = std::max(label_w, estimated_text_width(b.label, kFont));
    note_w = std::max(note_w, estimated_text_width(notes.back(), kFont));
  }
  if (!(hi > 0)) hi = 1;
  const double step = nice_step(0, hi, 5);
  const double x1 = std::ceil(hi / step) * step;  // the axis ends on a tick
  std::vector<LegendItem> legend;
  for (const auto& [label, color] : opt.legend) legend.push_back({label, color, Swatch::box});
  const double left = kPad + label_w + kPad, row = opt.bar_height + kGap;
  const double plot = std::max({100.0, double(opt.plot_width), estimated_text_width(opt.x_label, kFont)});
  const double last_tick_w = estimated_text_width(tick_label(x1), kFont);
  const double width = std::max({left + plot + 4 + note_w + kPad, left + plot + last_tick_w / 2 + kPad,
                                 estimated_text_width(opt.title, kTitleFont) + 2 * kPad,
                                 widest_legend_item(legend) + 2 * kPad});
  const double axis_y = kTop + row * double(bars.size()) + kGap;
  const PlacedLegend placed = place_legend(legend, width, axis_y + kLegendTop);
  const double height = placed.rows ? axis_y + kLegendTop + kLegendRow * placed.rows : axis_y + kNoLegendBottom;
  auto px = [&](double v) { return left + v / x1 * plot; };
  std::ostringstream o;
  header(o, width, height, opt.title);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = kTop + row * double(i), mid = y + opt.bar_height / 2.0 + 4;
    const double len = std::isfinite(b.value) && b.value > 0 ? px(b.value) - left : 0;
    o << "<text x=\"" << num(left - kPad) << "\" y=\"" << num(mid) << "\" text-anchor=\"end\">"
      << xml_escape(b.label) << "</text>\n";
    if (len > 0)
      o << "<rect x=\"" << num(left) << "\" y=\"" << num(y) << "\" width=\"" << num(len) << "\" height=\""
        << opt.bar_height << "\" fill=\"" << xml_escape(b.color) << "\"><title>" << xml_escape(b.label) << ": "
        << xml_escape(notes[i]) << "</title></rect>\n";
    o << "<text x=\"" << num(left + len + 4) << "\" y=\"" << num(mid) << "\" fill=\"#333\">"
      << xml_escape(notes[i]) << "</text>\n";
  }
  o << "<g stroke=\"#333\" fill=\"none\"><path d=\"M" << num(left) << ' ' << kTop - kGap << " V" << num(axis_y)
    << " H" << num(left + plot) << "\"/></g>\n";
  for (int k = 0; k <= 100 && k * step <= x1 + 1e-9 * step; ++k) {
    const double x = px(k * step);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(axis_y) << "\" x2=\"" << num(x) << "\" y2=\""
      << num(axis_y + kTickLength) << "\" stroke=\"#333\"/><text x=\"" << num(x) << "\" y=\""
      << num(axis_y + kTickBaseline) << "\" text-anchor=\"middle\">" << tick_label(k * step) << "</text>\n";
  }
  o << "<text x=\"" << num(left + plot / 2) << "\" y=\"" << num(axis_y + kXLabelBaseline)
    << "\" text-anchor=\"middle\">" << xml_escape(opt.x_label) << "</text>\n";
  draw_legend(o, legend, placed);
  o << "</svg>\n";
  return o.str();
}

}  // namespace tinynas::core
