// Training progress output: a redrawn one-line bar on a terminal, plain periodic lines
// when the output is a file or a pipe (logs, CI), so both stay readable.
#pragma once

#include <cstdint>
#include <cstdio>
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
  /// Not a TTY: one plain line each time the step passes a multiple of this (>= 1), one
  /// when the step reaches `total`, and one from finish() for a state not yet printed.
  int line_every = 50;
  /// Whether to draw the TTY form; nullopt = isatty(fileno(out)).
  std::optional<bool> tty;
  /// Where to write; must stay open for the bar's lifetime. Not owned.
  std::FILE* out = stderr;
  /// TTY: redraw at most this often (seconds). The first update and the one reaching
  /// `total` always draw.
  double min_redraw_s = 0.1;
  /// TTY: clip the bar line to this many columns so it never wraps (a wrapped line
  /// breaks the '\r' redraw). 0 = the terminal's width, asked on each draw; unlimited
  /// when `out` is not a real terminal.
  int columns = 0;
  /// Monotonic time in seconds, for tests; empty = std::chrono::steady_clock.
  std::function<double()> clock;
};

/// Progress of a job counted in steps. Not thread-safe: drive it from one thread (rank 0).
///
/// TTY form (redrawn in place with '\r', rest of the line cleared with ESC[K):
///   train [##########..............]  42% 420/1000 epoch 3/10 loss 1.234 ETA 1m02s
/// Non-TTY form (one line per `line_every` steps):
///   train 420/1000 (42%) epoch 3/10 loss 1.234 ETA 1m02s
/// With an unknown total both forms show just the step ("train 420 epoch 3/10 ...").
///
/// The ETA uses the average rate since the first update: (steps since the first
/// update's step) / (seconds since the first update). That way a resumed job (first
/// step > 0) does not count steps done before the restart, and an update(start, ...)
/// before the first step makes the rate cover the whole run. It reads "?" until at
/// least one step has been done.
class ProgressBar {
 public:
  /// Throws core::Error when `out` is null or `line_every` < 1.
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

  /// Shows the latest state if it was not shown yet and ends the bar line on a TTY.
  /// Idempotent; a later update() starts a fresh bar line.
  void finish();

 private:
  double now() const;
  std::string render(double now) const;
  void draw(double now);
  void print_line(double now);

  ProgressOptions opts_;
  bool tty_ = false;
  bool has_state_ = false;  // update() was called at least once
  bool dirty_ = false;      // the latest state has not been drawn/printed yet
  bool bar_visible_ = false;  // TTY: the cursor sits at the end of a drawn bar line
  std::int64_t step_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::int64_t base_step_ = 0;
  double base_time_ = 0.0;
  double last_draw_ = 0.0;
  std::int64_t last_bucket_ = 0;  // non-TTY: step / line_every at the last printed line
  bool end_printed_ = false;      // non-TTY: the line for step >= total was printed
};

/// Duration as "1h02m03s", "4m05s" or "12s" (rounded to whole seconds); "?" for
/// negative, NaN or infinite values (unknown).
std::string format_duration(double seconds);

}  // namespace tinynas::core
