// Training progress output: a redrawn one-line bar on a terminal, plain periodic lines
// when the output is a file or a pipe (logs, CI), so both stay readable.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tinynas::core {

struct ProgressOptions {
  /// Steps in the whole job (for the bar, % and ETA); 0 = unknown (none of those shown).
  std::int64_t total = 0;
  /// Printed first on every line, e.g. "train". May be empty.
  std::string label;
  /// Not a TTY: a plain line once at least this many seconds have passed since the last
  /// one (the first update always prints one); 0 = a line at every update; negative = no
  /// time-based lines. A line is also printed when the step reaches `total`, and by
  /// finish() for a state not yet printed.
  double line_interval_s = -1.0;
  /// Not a TTY: also a line each time the step passes a multiple of this; 0 = none.
  int line_every = 0;
  /// Whether to draw the TTY form; nullopt = isatty(fileno(out)).
  std::optional<bool> tty;
  /// Where to write; must stay open for the bar's lifetime. Not owned.
  std::FILE* out = stderr;
  /// Not a TTY: start every line (progress, message(), status()) with log_prefix(), the
  /// wall-clock time and `tag`, so a log file shows when each line was written.
  bool stamp = false;
  /// In the stamp, after the time, e.g. "rank 0" under `tinynas launch`. May be empty.
  std::string tag;
  /// TTY: redraw at most this often (seconds). The first update and the one reaching
  /// `total` always draw.
  double min_redraw_s = 0.1;
  /// TTY: clip the bar line to this many columns so it never wraps (a wrapped line
  /// breaks the '\r' redraw). 0 = the terminal's width, asked on each draw; unlimited
  /// when `out` is not a real terminal.
  int columns = 0;
  /// Monotonic time in seconds, for tests; empty = std::chrono::steady_clock.
  std::function<double()> clock;
  /// Local wall-clock time for the stamps, for tests; empty = the system clock.
  std::function<std::tm()> wall_clock;
};

/// Progress of a job counted in steps. Not thread-safe: drive it from one thread (rank 0).
///
/// TTY form (redrawn in place with '\r', rest of the line cleared with ESC[K):
///   train [##########..............]  42% 420/1000 epoch 3/10 loss 1.234 ETA 1m02s
/// Non-TTY form (one line per `line_interval_s` seconds and/or `line_every` steps; with
/// `stamp`, each line starts with the time and the tag):
///   [14:03:27 rank 0] train 420/1000 (42%) epoch 3/10 loss 1.234 ETA 1m02s
/// With an unknown total both forms show just the step ("train 420 epoch 3/10 ...").
///
/// The ETA uses the average rate since the first update: (steps since the first
/// update's step) / (seconds since the first update). That way a resumed job (first
/// step > 0) does not count steps done before the restart, and an update(start, ...)
/// before the first step makes the rate cover the whole run. It reads "--" until at
/// least one step has been done.
class ProgressBar {
 public:
  /// Throws core::Error when `out` is null or `line_every` < 0.
  explicit ProgressBar(ProgressOptions o);
  /// Calls finish(); never throws.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Records that `step` steps are done (absolute count, may start > 0 when resuming)
  /// and the fields to show, printed in order as "name value", e.g. {"epoch", "3/10"},
  /// {"loss", "1.234"}, {"lr", "5.5e-04"}, {"img/s", "812"}; an empty name prints only
  /// the value. Draws or prints a line when due (see ProgressOptions).
  void update(std::int64_t step, const std::vector<std::pair<std::string, std::string>>& fields);

  /// Prints a full line (e.g. an epoch summary; without the trailing newline) without
  /// garbling the bar: on a TTY clears the bar line, prints, and redraws the bar.
  void message(const std::string& line);

  /// Says what the job does while no step advances (e.g. "evaluating path 2/5"), so a
  /// long pause shows a sign of life: on a TTY it replaces the bar line until the next
  /// update() redraws the bar; otherwise it prints one line. Empty `line` does nothing.
  void status(const std::string& line);

  /// Shows the latest state if it was not shown yet and ends the bar line on a TTY.
  /// Idempotent; a later update() starts a fresh bar line.
  void finish();

 private:
  double now() const;
  std::string render(double now) const;
  void draw(double now);
  void print_line(double now);
  std::string stamp() const;
  std::string clip(std::string line) const;  // TTY: to the columns, so it never wraps

  ProgressOptions opts_;
  bool tty_ = false;
  bool has_state_ = false;  // update() was called at least once
  bool dirty_ = false;      // the latest state has not been drawn/printed yet
  bool bar_visible_ = false;  // TTY: the cursor sits at the end of a drawn bar line
  bool status_visible_ = false;  // TTY: that line shows a status() instead of the bar
  std::int64_t step_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::int64_t base_step_ = 0;
  double base_time_ = 0.0;
  double last_draw_ = 0.0;
  double last_line_ = 0.0;        // non-TTY: clock() at the last printed progress line
  bool line_printed_ = false;     // non-TTY: a progress line was printed
  std::int64_t last_bucket_ = 0;  // non-TTY: step / line_every at the last printed line
  bool end_printed_ = false;      // non-TTY: the line for step >= total was printed
};

/// Duration as "1h02m03s", "4m05s" or "12s" (rounded to whole seconds); "--" for
/// negative, NaN or infinite values (unknown, e.g. an ETA before any step is timed).
std::string format_duration(double seconds);

/// The stamp that starts a log line: "[14:03:27] " or, with a tag, "[14:03:27 rank 1] ".
std::string log_prefix(const std::tm& local_time, const std::string& tag);
/// log_prefix() at the current local time.
std::string log_prefix_now(const std::string& tag);

/// How training progress is shown, from the environment variable TINYNAS_PROGRESS (read
/// by the training loop, so every training command honours it):
///   auto (default)  the bar when stdout is a terminal, lines otherwise
///   bar             the redrawn bar, even when stdout is not a terminal
///   lines[:S]       one line every S seconds (default 10; 0 = every step)
///   off             nothing (like --quiet)
/// "auto:S" sets the interval the lines use when stdout is not a terminal.
struct ProgressStyle {
  enum class Mode { automatic, bar, lines, off };
  Mode mode = Mode::automatic;
  double interval_s = 10.0;
};

/// Parses a TINYNAS_PROGRESS value (nullptr or "" = the defaults). Throws core::Error
/// naming the variable and the valid values on anything else.
ProgressStyle parse_progress_style(const char* value);

}  // namespace tinynas::core
