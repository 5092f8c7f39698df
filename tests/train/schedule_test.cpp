// LR schedule: linear warm-up then cosine decay, values at chosen steps.
#include <gtest/gtest.h>

#include <cmath>

#include "support/error_of.h"
#include "tinynas/train/schedule.h"

using namespace tinynas;
using train::LrSchedule;

namespace {
train::LrScheduleOptions tinyformer() {
  train::LrScheduleOptions o;
  o.lr = 5.5e-4;
  o.warmup_lr = 1e-5;
  o.min_lr = 1e-6;
  o.warmup_steps = 100;
  o.total_steps = 300;
  return o;
}
}  // namespace

TEST(LrSchedule, LinearWarmupFromWarmupLrToPeak) {
  const LrSchedule s(tinyformer());
  EXPECT_DOUBLE_EQ(s.at(0), 1e-5);
  EXPECT_DOUBLE_EQ(s.at(50), 1e-5 + (5.5e-4 - 1e-5) * 0.5);
  EXPECT_DOUBLE_EQ(s.at(99), 1e-5 + (5.5e-4 - 1e-5) * 0.99);
  EXPECT_DOUBLE_EQ(s.at(100), 5.5e-4);
}

TEST(LrSchedule, CosineDecayToMinLr) {
  const LrSchedule s(tinyformer());
  EXPECT_DOUBLE_EQ(s.at(200), 1e-6 + (5.5e-4 - 1e-6) * 0.5);  // half-way: cos = 0
  EXPECT_NEAR(s.at(150), 1e-6 + (5.5e-4 - 1e-6) * 0.5 * (1 + std::cos(M_PI * 0.25)), 1e-18);
  EXPECT_DOUBLE_EQ(s.at(300), 1e-6);
  EXPECT_DOUBLE_EQ(s.at(10000), 1e-6);  // past the end: stays at the floor
  for (std::int64_t t = 101; t < 300; ++t) EXPECT_LT(s.at(t), s.at(t - 1)) << t;
}

TEST(LrSchedule, NoWarmupStartsAtPeakAndWarmupLongerThanRunNeverDecays) {
  auto o = tinyformer();
  o.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(LrSchedule(o).at(0), 5.5e-4);
  o.warmup_steps = 500;
  EXPECT_LT(LrSchedule(o).at(299), 5.5e-4);
  EXPECT_GT(LrSchedule(o).at(299), LrSchedule(o).at(298));
}

TEST(LrSchedule, RejectsBadOptions) {
  auto o = tinyformer();
  o.total_steps = 0;
  EXPECT_NE(tinynas::testing::error_of([&] { LrSchedule s(o); }).find("total steps"), std::string::npos);
  o = tinyformer();
  o.lr = -1;
  EXPECT_NE(tinynas::testing::error_of([&] { LrSchedule s(o); }).find("negative"), std::string::npos);
}
