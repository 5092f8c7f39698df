#include "tinynas/core/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "tinynas/core/error.h"

namespace tinynas::core {
namespace {

constexpr int kBarWidth = 24;

// Columns of the terminal behind `out`, 0 when it is not one (or does not say).
int terminal_columns(std::FILE* out) {
  winsize ws{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

}  // namespace

std::string format_duration(double seconds) {
  // 1e15 s is far beyond any real ETA and still exact in a long long.
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e15) return "--";
  const long long total = std::llround(seconds);
  const long long h = total / 3600;
  const int m = static_cast<int>(total / 60 % 60);
  const int s = static_cast<int>(total % 60);
  char buf[48];
  if (h > 0) std::snprintf(buf, sizeof buf, "%lldh%02dm%02ds", h, m, s);
  else if (m > 0) std::snprintf(buf, sizeof buf, "%dm%02ds", m, s);
  else std::snprintf(buf, sizeof buf, "%ds", s);
  return buf;
}

std::string log_prefix(const std::tm& t, const std::string& tag) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%02d:%02d:%02d", t.tm_hour, t.tm_min, t.tm_sec);
  return buf + (tag.empty() ? std::string() : " " + tag) + "] ";
}

std::string log_prefix_now(const std::string& tag) {
  const std::time_t now = std::time(nullptr);
  std::tm t{};
  ::localtime_r(&now, &t);
  return log_prefix(t, tag);
}

ProgressStyle parse_progress_style(const char* value) {
  ProgressStyle style;
  const std::string v = value ? value : "";
  if (v.empty()) return style;
  const auto colon = v.find(':');
  const std::string mode = v.substr(0, colon);
  const auto bad = [&](const std::string& why) {
    return Error("TINYNAS_PROGRESS='" + v + "': " + why +
                 " (valid: auto, bar, lines, off; lines:SECONDS or auto:SECONDS sets the "
                 "interval of the lines, e.g. lines:30)");
  };
  if (mode == "auto") style.mode = ProgressStyle::Mode::automatic;
  else if (mode == "bar") style.mode = ProgressStyle::Mode::bar;
  else if (mode == "lines") style.mode = ProgressStyle::Mode::lines;
  else if (mode == "off") style.mode = ProgressStyle::Mode::off;
  else throw bad("unknown mode '" + mode + "'");
  if (colon != std::string::npos) {
    if (style.mode != ProgressStyle::Mode::lines && style.mode != ProgressStyle::Mode::automatic)
      throw bad("only lines and auto take an interval");
    const std::string seconds = v.substr(colon + 1);
    char* end = nullptr;
    const double s = std::strtod(seconds.c_str(), &end);
    if (seconds.empty() || *end != '\0' || !std::isfinite(s) || s < 0)
      throw bad("the interval '" + seconds + "' is not a number of seconds >= 0");
    style.interval_s = s;
  }
  return style;
}

ProgressBar::ProgressBar(ProgressOptions o) : opts_(std::move(o)) {
  if (!opts_.out) throw Error("ProgressOptions.out must not be null");
  if (opts_.line_every < 0) {
    throw Error("ProgressOptions.line_every must be >= 0, got " + std::to_string(opts_.line_every));
  }
  tty_ = opts_.tty ? *opts_.tty : ::isatty(::fileno(opts_.out)) != 0;
}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; at worst the last state is not shown.
  }
}

double ProgressBar::now() const {
  if (opts_.clock) return opts_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string ProgressBar::stamp() const {
  if (tty_ || !opts_.stamp) return "";
  if (opts_.wall_clock) return log_prefix(opts_.wall_clock(), opts_.tag);
  return log_prefix_now(opts_.tag);
}

std::string ProgressBar::render(double now) const {
  const std::int64_t total = opts_.total;
  std::string s = opts_.label;
  if (!s.empty()) s += ' ';
  char buf[96];
  if (total > 0) {
    const double fraction =
        std::clamp(static_cast<double>(step_) / static_cast<double>(total), 0.0, 1.0);
    const int percent = static_cast<int>(fraction * 100.0);
    if (tty_) {
      const int filled = static_cast<int>(fraction * kBarWidth);
      s += '[';
      s.append(static_cast<std::size_t>(filled), '#');
      s.append(static_cast<std::size_t>(kBarWidth - filled), '.');
      std::snprintf(buf, sizeof buf, "] %3d%% %lld/%lld", percent, static_cast<long long>(step_),
                    static_cast<long long>(total));
    } else {
      std::snprintf(buf, sizeof buf, "%lld/%lld (%d%%)", static_cast<long long>(step_),
                    static_cast<long long>(total), percent);
    }
    s += buf;
  } else {
    s += std::to_string(step_);
  }
  for (const auto& [name, value] : fields_) {
    s += ' ';
    if (!name.empty()) s += name + ' ';
    s += value;
  }
  if (total > 0) {
    const std::int64_t done = step_ - base_step_;
    const double elapsed = now - base_time_;
    double eta = -1.0;
    if (done >= 1 && elapsed > 0) {
      eta = static_cast<double>(std::max<std::int64_t>(total - step_, 0)) * elapsed /
            static_cast<double>(done);
    }
    s += " ETA " + format_duration(eta);
  }
  return s;
}

std::string ProgressBar::clip(std::string line) const {
  const int columns = opts_.columns > 0 ? opts_.columns : terminal_columns(opts_.out);
  // Stop one short of the last column: some terminals wrap as soon as it is written.
  if (columns > 1 && line.size() > static_cast<std::size_t>(columns - 1)) {
    line.resize(static_cast<std::size_t>(columns - 1));
  }
  return line;
}

void ProgressBar::draw(double now) {
  const std::string line = clip(render(now));
  std::fputs(("\r" + line + "\x1b[K").c_str(), opts_.out);
  std::fflush(opts_.out);
  bar_visible_ = true;
  status_visible_ = false;
  dirty_ = false;
  last_draw_ = now;
}

void ProgressBar::print_line(double now) {
  std::fputs((stamp() + render(now) + "\n").c_str(), opts_.out);
  std::fflush(opts_.out);
  dirty_ = false;
  line_printed_ = true;
  last_line_ = now;
}

void ProgressBar::update(std::int64_t step,
                         const std::vector<std::pair<std::string, std::string>>& fields) {
  const double t = now();
  const std::int64_t every = std::max(opts_.line_every, 1);
  const std::int64_t bucket = std::max<std::int64_t>(step, 0) / every;
  if (!has_state_) {
    has_state_ = true;
    base_step_ = step;
    base_time_ = t;
    // A first step sitting exactly on a multiple (other than 0) still gets its line.
    last_bucket_ = (step > 0 && step % every == 0) ? bucket - 1 : bucket;
  }
  step_ = step;
  fields_ = fields;
  dirty_ = true;
  const bool at_end = opts_.total > 0 && step >= opts_.total;
  if (tty_) {
    if (!bar_visible_ || status_visible_ || at_end || t - last_draw_ >= opts_.min_redraw_s)
      draw(t);
    return;
  }
  const bool by_steps = opts_.line_every > 0 && bucket > last_bucket_;
  const bool by_time =
      opts_.line_interval_s >= 0 && (!line_printed_ || t - last_line_ >= opts_.line_interval_s);
  if (by_steps || by_time || (at_end && !end_printed_)) {
    print_line(t);
    last_bucket_ = std::max(last_bucket_, bucket);
    if (at_end) end_printed_ = true;
  }
}

void ProgressBar::message(const std::string& line) {
  if (tty_ && bar_visible_) {
    std::fputs(("\r\x1b[K" + line + "\n").c_str(), opts_.out);
    bar_visible_ = status_visible_ = false;
    if (has_state_) draw(now());
    std::fflush(opts_.out);
    return;
  }
  std::fputs((stamp() + line + "\n").c_str(), opts_.out);
  std::fflush(opts_.out);
}

void ProgressBar::status(const std::string& line) {
  if (line.empty()) return;
  if (!tty_) {
    message(line);
    return;
  }
  // The status takes the bar's line until the next update() or finish() draws the bar.
  std::fputs(("\r" + clip(line) + "\x1b[K").c_str(), opts_.out);
  std::fflush(opts_.out);
  bar_visible_ = true;
  status_visible_ = true;
  dirty_ = has_state_;  // the bar is hidden: the next update() or finish() redraws it
}

void ProgressBar::finish() {
  if (!has_state_) return;
  if (tty_) {
    if (dirty_) draw(now());
    if (bar_visible_) {
      std::fputs("\n", opts_.out);
      std::fflush(opts_.out);
      bar_visible_ = false;
    }
    return;
  }
  if (dirty_) print_line(now());
}

}  // namespace tinynas::core
