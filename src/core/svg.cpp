#include "tinynas/core/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace tinynas::core {
namespace {

constexpr double kLeft = 64, kRight = 20, kTop = 40, kBottom = 52;

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

struct Axes {
  double x0, x1, y0, y1;  // data range
  double w, h;            // canvas
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (w - kLeft - kRight); }
  double py(double y) const { return h - kBottom - (y - y0) / (y1 - y0) * (h - kTop - kBottom); }
};

void widen(double& lo, double& hi) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
}

void header(std::ostringstream& o, double w, double h, const std::string& title) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" viewBox=\"0 0 " << w << ' ' << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << w / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << xml_escape(title) << "</text>\n";
}

void axes(std::ostringstream& o, const Axes& a, const std::string& xl, const std::string& yl) {
  const double bx = kLeft, by = a.h - kBottom, ex = a.w - kRight, ey = kTop;
  o << "<g stroke=\"#333\" fill=\"none\"><path d=\"M" << bx << ' ' << ey << " V" << by << " H"
    << ex << "\"/></g>\n";
  const double xs = nice_step(a.x0, a.x1, 6), ys = nice_step(a.y0, a.y1, 5);
  // Integer steps: `t += step` can stall when |t| dwarfs the step.
  const double xfirst = std::ceil(a.x0 / xs);
  for (int k = 0; k <= 100 && (xfirst + k) * xs <= a.x1 + 1e-9 * xs; ++k) {
    const double t = (xfirst + k) * xs;
    const double x = a.px(t);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << by << "\" x2=\"" << num(x) << "\" y2=\""
      << by + 5 << "\" stroke=\"#333\"/><text x=\"" << num(x) << "\" y=\"" << by + 18
      << "\" text-anchor=\"middle\">" << tick_label(std::fabs(t) < 1e-12 * xs ? 0 : t)
      << "</text>\n";
  }
  const double yfirst = std::ceil(a.y0 / ys);
  for (int k = 0; k <= 100 && (yfirst + k) * ys <= a.y1 + 1e-9 * ys; ++k) {
    const double t = (yfirst + k) * ys;
    const double y = a.py(t);
    o << "<line x1=\"" << bx - 5 << "\" y1=\"" << num(y) << "\" x2=\"" << ex << "\" y2=\""
      << num(y) << "\" stroke=\"#ddd\"/><text x=\"" << bx - 8 << "\" y=\"" << num(y + 4)
      << "\" text-anchor=\"end\">" << tick_label(std::fabs(t) < 1e-12 * ys ? 0 : t)
      << "</text>\n";
  }
  o << "<text x=\"" << (bx + ex) / 2 << "\" y=\"" << a.h - 12 << "\" text-anchor=\"middle\">"
    << xml_escape(xl) << "</text>\n"
    << "<text transform=\"translate(16," << (by + ey) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(yl) << "</text>\n";
}

void markers(std::ostringstream& o, const Axes& a, const std::vector<Marker>& ms) {
  int i = 0;
  for (const auto& m : ms) {
    const double x = a.px(m.x);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << kTop << "\" x2=\"" << num(x) << "\" y2=\""
      << a.h - kBottom << "\" stroke=\"" << xml_escape(m.color)
      << "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"
      << "<text x=\"" << num(x + 3) << "\" y=\"" << kTop + 12 + 13 * (i++ % 3) << "\" fill=\""
      << xml_escape(m.color) << "\">" << xml_escape(m.label) << "</text>\n";
  }
}

void legend(std::ostringstream& o, double w, const std::vector<std::pair<std::string, std::string>>& items) {
  double y = kTop + 4;
  for (const auto& [label, color] : items) {
    o << "<rect x=\"" << w - kRight - 150 << "\" y=\"" << y << "\" width=\"10\" height=\"10\" fill=\""
      << xml_escape(color) << "\" fill-opacity=\"0.7\"/><text x=\"" << w - kRight - 135 << "\" y=\"" << y + 9
      << "\">" << xml_escape(label) << "</text>\n";
    y += 16;
  }
}

}  // namespace

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
  Axes a{lo, hi, 0, peak * 1.1, double(opt.width), double(opt.height)};
  std::ostringstream o;
  header(o, a.w, a.h, opt.title);
  axes(o, a, opt.x_label, opt.y_label);
  std::vector<std::pair<std::string, std::string>> items;
  for (std::size_t s = 0; s < series.size(); ++s) {
    o << "<g fill=\"" << xml_escape(series[s].color) << "\" fill-opacity=\"0.6\">\n";
    for (int b = 0; b < bins; ++b) {
      const double c = counts[s][std::size_t(b)];
      if (c == 0) continue;
      const double x0 = a.px(lo + b * bw), x1 = a.px(lo + (b + 1) * bw), y = a.py(c);
      o << "<rect x=\"" << num(x0) << "\" y=\"" << num(y) << "\" width=\"" << num(x1 - x0 - 0.5)
        << "\" height=\"" << num(a.py(0) - y) << "\"><title>" << tick_label(lo + b * bw) << " - "
        << tick_label(lo + (b + 1) * bw) << ": " << c << "</title></rect>\n";
    }
    o << "</g>\n";
    if (!series[s].label.empty()) items.emplace_back(series[s].label, series[s].color);
  }
  markers(o, a, opt.markers);
  if (items.size() > 1 || (items.size() == 1 && series.size() == 1)) legend(o, a.w, items);
  if (empty)
    o << "<text x=\"" << a.w / 2 << "\" y=\"" << a.h / 2 << "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
  o << "</svg>\n";
  return o.str();
}

std::string scatter_svg(const std::vector<ScatterPoint>& points, const ScatterOptions& opt) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
  for (const auto& m : opt.markers) x0 = std::min(x0, m.x), x1 = std::max(x1, m.x);
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (!std::isfinite(y0)) y0 = 0, y1 = 1;
  widen(x0, x1);
  widen(y0, y1);
  const double mx = (x1 - x0) * 0.05, my = (y1 - y0) * 0.08;
  Axes a{x0 - mx, x1 + mx, y0 - my, y1 + my, double(opt.width), double(opt.height)};
  std::ostringstream o;
  header(o, a.w, a.h, opt.title);
  axes(o, a, opt.x_label, opt.y_label);
  if (opt.pareto_front) {
    std::vector<ScatterPoint> sorted;
    for (const auto& p : points)
      if (std::isfinite(p.x) && std::isfinite(p.y)) sorted.push_back(p);
    std::sort(sorted.begin(), sorted.end(), [](const ScatterPoint& l, const ScatterPoint& r) {
      return l.x < r.x || (l.x == r.x && l.y > r.y);
    });
    std::string path;
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& p : sorted) {
      if (p.y <= best) continue;
      best = p.y;
      path += (path.empty() ? "M" : " L") + num(a.px(p.x)) + " " + num(a.py(p.y));
    }
    if (!path.empty())
      o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"#e67e22\" stroke-width=\"1.5\"/>\n";
  }
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    o << "<circle cx=\"" << num(a.px(p.x)) << "\" cy=\"" << num(a.py(p.y)) << "\" r=\""
      << (p.highlight ? 6 : 4) << "\" fill=\"" << (p.highlight ? "#c0392b" : "#3b73b9")
      << "\" fill-opacity=\"0.75\"><title>" << xml_escape(p.label) << "</title></circle>\n";
  }
  markers(o, a, opt.markers);
  o << "</svg>\n";
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
  Axes a{x0, x1, y0 - my, y1 + my, double(opt.width), double(opt.height)};
  std::ostringstream o;
  header(o, a.w, a.h, opt.title);
  axes(o, a, opt.x_label, opt.y_label);
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& s : series) {
    std::string path;
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      path += (path.empty() ? "M" : " L") + num(a.px(s.x[i])) + " " + num(a.py(s.y[i]));
    }
    if (!path.empty())
      o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << xml_escape(s.color)
        << "\" stroke-width=\"1.5\"/>\n";
    if (!s.label.empty()) items.emplace_back(s.label, s.color);
  }
  if (!items.empty()) legend(o, a.w, items);
  o << "</svg>\n";
  return o.str();
}

std::string bar_svg(const std::vector<Bar>& bars, const BarOptions& opt) {
  constexpr double kChar = 7, kGap = 4, kPad = 10, kLegendRow = 18;
  std::vector<std::string> notes;
  double hi = 0;
  std::size_t label_chars = 0, note_chars = 0, legend_chars = 0;
  for (const auto& b : bars) {
    const bool drawn = std::isfinite(b.value) && b.value > 0;
    if (drawn) hi = std::max(hi, b.value);
    notes.push_back(!b.note.empty() ? b.note : drawn ? tick_label(b.value) : std::string());
    label_chars = std::max(label_chars, b.label.size());
    note_chars = std::max(note_chars, notes.back().size());
  }
  for (const auto& item : opt.legend) legend_chars = std::max(legend_chars, item.first.size());
  if (!(hi > 0)) hi = 1;
  const double left = kPad + kChar * double(label_chars) + kPad, row = opt.bar_height + kGap;
  const double plot = std::max(100, opt.plot_width);
  const double legend_item = 14 + kChar * double(legend_chars) + kPad;  // swatch, label, gap
  const double width = std::max({left + plot + kPad + kChar * double(note_chars) + kPad,
                                 kChar * double(opt.title.size()) + 2 * kPad, legend_item + 2 * kPad});
  // The legend wraps into rows of as many items as fit the width.
  const std::size_t per_row = std::max<std::size_t>(1, std::size_t((width - 2 * kPad) / legend_item));
  const std::size_t legend_rows = (opt.legend.size() + per_row - 1) / per_row;
  const double axis_y = kTop + row * double(bars.size()) + kGap;
  const double height = axis_y + 44 + kLegendRow * double(legend_rows) + (legend_rows ? kGap : 0);
  const double step = nice_step(0, hi, 5);
  const double x1 = std::ceil(hi / step) * step;  // the axis ends on a tick
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
      << num(axis_y + 5) << "\" stroke=\"#333\"/><text x=\"" << num(x) << "\" y=\"" << num(axis_y + 18)
      << "\" text-anchor=\"middle\">" << tick_label(k * step) << "</text>\n";
  }
  o << "<text x=\"" << num(left + plot / 2) << "\" y=\"" << num(axis_y + 36) << "\" text-anchor=\"middle\">"
    << xml_escape(opt.x_label) << "</text>\n";
  for (std::size_t i = 0; i < opt.legend.size(); ++i) {
    const auto& [label, color] = opt.legend[i];
    const double lx = kPad + legend_item * double(i % per_row);
    const double ly = axis_y + 46 + kLegendRow * double(i / per_row);
    o << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly) << "\" width=\"10\" height=\"10\" fill=\""
      << xml_escape(color) << "\"/><text x=\"" << num(lx + 14) << "\" y=\"" << num(ly + 9) << "\">"
      << xml_escape(label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace tinynas::core
