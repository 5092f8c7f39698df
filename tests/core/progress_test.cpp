#include "tinynas/core/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"

using namespace tinynas::core;

namespace {

// A tmpfile() and a hand-driven clock for one bar.
class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    ASSERT_NE(file_, nullptr);
  }
  void TearDown() override {
    if (file_) std::fclose(file_);
  }

  ProgressOptions options(bool tty, std::int64_t total) {
    ProgressOptions o;
    o.total = total;
    o.label = "train";
    o.tty = tty;
    o.out = file_;
    o.line_every = 50;
    o.clock = [this] { return now_; };
    return o;
  }

  // Everything written so far.
  std::string output() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    std::fseek(file_, 0, SEEK_END);
    return text;
  }

  // Non-TTY output as lines (the final newline does not start another line).
  std::vector<std::string> lines() {
    std::string text = output();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.empty()) return {};
    return split(text, '\n');
  }

  std::FILE* file_ = nullptr;
  double now_ = 0.0;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(FormatDuration, Cases) {
  EXPECT_EQ(format_duration(3723), "1h02m03s");
  EXPECT_EQ(format_duration(245), "4m05s");
  EXPECT_EQ(format_duration(12), "12s");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59.6), "1m00s");
  EXPECT_EQ(format_duration(360000), "100h00m00s");
  // Unknown (no rate yet) reads "--", never "?".
  EXPECT_EQ(format_duration(-1), "--");
  EXPECT_EQ(format_duration(std::nan("")), "--");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "--");
}

TEST_F(ProgressTest, RejectsBadOptions) {
  ProgressOptions o = options(false, 10);
  o.line_every = -1;
  EXPECT_THROW(ProgressBar{o}, Error);
  o = options(false, 10);
  o.out = nullptr;
  EXPECT_THROW(ProgressBar{o}, Error);
}

TEST_F(ProgressTest, PlainLinesEveryNSteps) {
  {
    ProgressBar bar(options(false, 1000));
    for (int step = 1; step <= 1000; ++step) {
      now_ = step * 0.1;
      bar.update(step, {{"epoch", "1/2"}, {"loss", "1.000"}});
    }
  }
  const auto got = lines();
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(got[0], "train 50/1000 (5%) epoch 1/2 loss 1.000 ETA 1m35s");
  EXPECT_EQ(got[9], "train 500/1000 (50%) epoch 1/2 loss 1.000 ETA 50s");
  EXPECT_EQ(got[19], "train 1000/1000 (100%) epoch 1/2 loss 1.000 ETA 0s");
  EXPECT_EQ(output().find('\r'), std::string::npos);
  EXPECT_EQ(output().find('\x1b'), std::string::npos);
}

TEST_F(ProgressTest, PlainLineAtTheEndAndFromFinish) {
  ProgressOptions o = options(false, 105);
  ProgressBar bar(o);
  for (int step = 1; step <= 105; ++step) bar.update(step, {});
  EXPECT_EQ(lines().size(), 3u);  // 50, 100, and the end
  bar.finish();
  EXPECT_EQ(lines().size(), 3u);

  // Unknown total: no %, no ETA; finish() prints the unprinted last state.
  o = options(false, 0);
  o.line_every = 10;
  std::rewind(file_);
  ASSERT_EQ(ftruncate(fileno(file_), 0), 0);
  ProgressBar unknown(o);
  for (int step = 1; step <= 25; ++step) unknown.update(step, {{"loss", "2"}, {"", "(warmup)"}});
  unknown.finish();
  unknown.finish();
  const auto got = lines();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "train 10 loss 2 (warmup)");
  EXPECT_EQ(got[2], "train 25 loss 2 (warmup)");
}

TEST_F(ProgressTest, PlainResumeCountsOnlyNewSteps) {
  ProgressBar bar(options(false, 2000));
  now_ = 100.0;
  bar.update(1000, {});  // resumed exactly on a multiple: printed, nothing to time yet
  now_ = 105.0;
  bar.update(1050, {});  // 50 steps in 5 s: 950 left take 95 s
  const auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "train 1000/2000 (50%) ETA --");
  EXPECT_EQ(got[1], "train 1050/2000 (52%) ETA 1m35s");
}

TEST_F(ProgressTest, TtyBarForm) {
  ProgressBar bar(options(true, 1000));
  now_ = 0.0;
  bar.update(0, {{"epoch", "1/10"}});
  EXPECT_EQ(output(), "\rtrain [........................]   0% 0/1000 epoch 1/10 ETA --\x1b[K");
  now_ = 42.0;
  bar.update(420, {{"epoch", "3/10"}, {"loss", "1.234"}, {"lr", "5.5e-04"}, {"img/s", "812"}});
  const std::string text = output();
  const std::string last = text.substr(text.rfind('\r'));
  EXPECT_EQ(last,
            "\rtrain [##########..............]  42% 420/1000 epoch 3/10 loss 1.234 lr 5.5e-04 "
            "img/s 812 ETA 58s\x1b[K");
  EXPECT_EQ(text.find('\n'), std::string::npos);
  bar.finish();
  EXPECT_EQ(output(), text + "\n");
}

TEST_F(ProgressTest, TtyRedrawIsThrottled) {
  ProgressOptions o = options(true, 1000);
  o.min_redraw_s = 0.1;
  ProgressBar bar(o);
  for (int step = 1; step <= 1000; ++step) {
    now_ = step * 0.001;  // 1000 steps in 1 s: about 10 draws
    bar.update(step, {});
  }
  std::string text = output();
  EXPECT_GE(count(text, "\r"), 9u);
  EXPECT_LE(count(text, "\r"), 12u);
  EXPECT_EQ(count(text, "\n"), 0u);
  // The step reaching the total is always drawn.
  EXPECT_NE(text.rfind("] 100% 1000/1000 ETA 0s\x1b[K"), std::string::npos);
  EXPECT_EQ(text.size() - text.rfind("\x1b[K"), 3u);
  bar.finish();
  EXPECT_EQ(output(), text + "\n");
}

TEST_F(ProgressTest, TtyFinishDrawsAPendingState) {
  ProgressBar bar(options(true, 100));
  now_ = 0.0;
  bar.update(1, {});
  now_ = 0.01;
  bar.update(2, {});  // too soon to redraw
  EXPECT_EQ(count(output(), "\r"), 1u);
  bar.finish();
  const std::string text = output();
  EXPECT_EQ(count(text, "\r"), 2u);
  EXPECT_NE(text.find(" 2/100 "), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(ProgressTest, TtyMessageKeepsTheBar) {
  {
    ProgressBar bar(options(true, 10));
    bar.message("before any step");
    bar.update(1, {});
    bar.message("epoch 1: loss 0.5");
    bar.update(2, {});
  }  // the destructor ends the bar line
  const std::string text = output();
  EXPECT_EQ(text.rfind("before any step\n", 0), 0u);
  // The bar line is cleared, the message printed on its own line, the bar redrawn.
  EXPECT_NE(text.find("ETA --\x1b[K\r\x1b[Kepoch 1: loss 0.5\n\rtrain ["), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(count(text, "\n"), 3u);
}

TEST_F(ProgressTest, PlainMessage) {
  ProgressBar bar(options(false, 10));
  bar.update(1, {});
  bar.message("epoch 1: loss 0.5");
  bar.finish();
  const auto got = lines();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "epoch 1: loss 0.5");
  EXPECT_EQ(got[1], "train 1/10 (10%) ETA --");
}

TEST_F(ProgressTest, TtyLineIsClippedToColumns) {
  ProgressOptions o = options(true, 100);
  o.columns = 20;
  o.label.clear();
  ProgressBar bar(o);
  bar.update(50, {{"loss", "1.0"}});
  // 19 of the 20 columns: the last one is left free so the line never wraps.
  EXPECT_EQ(output(), "\r[############......\x1b[K");
}

// --- Lines every N seconds, stamps, status lines, TINYNAS_PROGRESS (issue 23) ---

namespace {

std::tm clock_time(int h, int m, int s) {
  std::tm t{};
  t.tm_hour = h;
  t.tm_min = m;
  t.tm_sec = s;
  return t;
}

}  // namespace

TEST(LogPrefix, TimeAndTag) {
  EXPECT_EQ(log_prefix(clock_time(9, 5, 7), ""), "[09:05:07] ");
  EXPECT_EQ(log_prefix(clock_time(23, 59, 0), "rank 1"), "[23:59:00 rank 1] ");
  const std::string now = log_prefix_now("rank 0");
  ASSERT_EQ(now.size(), std::string("[00:00:00 rank 0] ").size()) << now;
  EXPECT_EQ(now.substr(9), " rank 0] ");
}

TEST_F(ProgressTest, PlainLinesEveryNSecondsWithStamps) {
  {
    ProgressOptions o = options(false, 100);
    o.line_every = 0;
    o.line_interval_s = 10.0;
    o.stamp = true;
    o.tag = "rank 0";
    o.wall_clock = [this] { return clock_time(14, 3, static_cast<int>(now_) % 60); };
    ProgressBar bar(o);
    for (int step = 1; step <= 100; ++step) {
      now_ = step * 1.0;  // one step a second: a line every 10 steps
      bar.update(step, {{"loss", "1.000"}, {"img/s", "32"}});
    }
  }
  const auto got = lines();
  // The first update (sign of life, ETA not known yet), then every 10 s, and the end.
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got[0], "[14:03:01 rank 0] train 1/100 (1%) loss 1.000 img/s 32 ETA --");
  EXPECT_EQ(got[1], "[14:03:11 rank 0] train 11/100 (11%) loss 1.000 img/s 32 ETA 1m29s");
  EXPECT_EQ(got[10], "[14:03:40 rank 0] train 100/100 (100%) loss 1.000 img/s 32 ETA 0s");
  for (const auto& l : got) EXPECT_EQ(l.find('?'), std::string::npos) << l;
}

TEST_F(ProgressTest, PlainIntervalZeroPrintsEveryUpdate) {
  ProgressOptions o = options(false, 5);
  o.line_every = 0;
  o.line_interval_s = 0;
  ProgressBar bar(o);
  for (int step = 1; step <= 5; ++step) bar.update(step, {});
  bar.finish();
  EXPECT_EQ(lines().size(), 5u);
}

TEST_F(ProgressTest, PlainStatusIsAStampedLine) {
  ProgressOptions o = options(false, 10);
  o.stamp = true;
  o.wall_clock = [] { return clock_time(8, 0, 0); };
  ProgressBar bar(o);
  bar.update(10, {});
  bar.status("epoch 1/1: path 1/2: BatchNorm recalibration (4 batches) and validation...");
  bar.status("");  // nothing
  bar.message("epoch 1/1: val accuracy 50.00%");
  bar.finish();
  const auto got = lines();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "[08:00:00] train 10/10 (100%) ETA --");
  EXPECT_EQ(got[1],
            "[08:00:00] epoch 1/1: path 1/2: BatchNorm recalibration (4 batches) and validation...");
  EXPECT_EQ(got[2], "[08:00:00] epoch 1/1: val accuracy 50.00%");
}

TEST_F(ProgressTest, TtyStatusTakesTheBarLineUntilTheNextUpdate) {
  ProgressOptions o = options(true, 10);
  o.stamp = true;  // TTY: no stamps on the bar
  ProgressBar bar(o);
  now_ = 0;
  bar.update(5, {});
  bar.status("epoch 1/2: validation...");
  EXPECT_NE(output().find("\repoch 1/2: validation...\x1b[K"), std::string::npos);
  now_ = 0.01;  // within min_redraw_s, yet the bar comes back at once
  bar.update(6, {});
  std::string text = output();
  EXPECT_EQ(text.substr(text.rfind('\r')), "\rtrain [##############..........]  60% 6/10 ETA 0s\x1b[K");
  // A status right before finish(): the bar is drawn again, then the line ends.
  bar.status("epoch 1/2: validation...");
  bar.finish();
  text = output();
  EXPECT_EQ(text.substr(text.rfind('\r')), "\rtrain [##############..........]  60% 6/10 ETA 0s\x1b[K\n");
  EXPECT_EQ(text.find('['), text.find("train [") + 6);  // no stamp anywhere
}

TEST(ProgressStyleParse, ValuesAndErrors) {
  using Mode = ProgressStyle::Mode;
  EXPECT_EQ(parse_progress_style(nullptr).mode, Mode::automatic);
  EXPECT_EQ(parse_progress_style("").interval_s, 10.0);
  EXPECT_EQ(parse_progress_style("bar").mode, Mode::bar);
  EXPECT_EQ(parse_progress_style("off").mode, Mode::off);
  const auto l = parse_progress_style("lines:0.2");
  EXPECT_EQ(l.mode, Mode::lines);
  EXPECT_DOUBLE_EQ(l.interval_s, 0.2);
  EXPECT_EQ(parse_progress_style("lines").interval_s, 10.0);
  EXPECT_EQ(parse_progress_style("lines:0").interval_s, 0.0);
  const auto a = parse_progress_style("auto:60");
  EXPECT_EQ(a.mode, Mode::automatic);
  EXPECT_EQ(a.interval_s, 60.0);
  for (const char* bad : {"Lines", "line", "lines:", "lines:x", "lines:-1", "lines:1s", "bar:3",
                          "off:1", "lines:inf"}) {
    try {
      parse_progress_style(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("TINYNAS_PROGRESS"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("valid: auto, bar, lines, off"), std::string::npos);
    }
  }
}
