// The runtime's fixed-point requantization against double precision.
#include <gtest/gtest.h>

#include <climits>

#include "runtime/quant_ref.h"
#include "tnn_math.h"

using tinynas::testing::quantize_multiplier;
using tinynas::testing::round_away;

TEST(Requantize, RoundingPrimitivesTieAwayFromZero) {
  EXPECT_EQ(tnn_rounding_divide_by_pot(3, 1), 2);    // 1.5
  EXPECT_EQ(tnn_rounding_divide_by_pot(-3, 1), -2);  // -1.5
  EXPECT_EQ(tnn_rounding_divide_by_pot(5, 2), 1);    // 1.25
  EXPECT_EQ(tnn_rounding_divide_by_pot(-5, 2), -1);
  EXPECT_EQ(tnn_rounding_divide_by_pot(7, 0), 7);
  EXPECT_EQ(tnn_sat_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
  EXPECT_EQ(tnn_sat_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(tnn_div_round(7, 2), 4);
  EXPECT_EQ(tnn_div_round(-7, 2), -4);
  EXPECT_EQ(tnn_div_round(-5, 3), -2);
}

TEST(Requantize, WithinOneLsbOfDoublePrecisionOverRandomInputs) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<std::int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_real_distribution<double> log_m(std::log(1e-6), std::log(8.0));
  int exact = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double m = std::exp(log_m(gen));
    const auto q = quantize_multiplier(m);
    const std::int32_t x = acc(gen);
    if (std::abs(double(x) * m) > 2e9) continue;
    const std::int32_t got = tnn_requantize(x, q.multiplier, q.shift);
    ASSERT_LE(std::llabs(got - round_away(double(x) * m)), 1) << x << " * " << m;
    exact += got == round_away(double(x) * q.value());
  }
  // Against the multiplier's exact value, misses come only from rounding twice (the high
  // multiply, then the shift), each off by one.
  EXPECT_GT(exact, n * 95 / 100);
}

TEST(Requantize, MultiplierRepresentation) {
  const auto half = quantize_multiplier(0.5);
  EXPECT_EQ(half.multiplier, 1 << 30);
  EXPECT_EQ(half.shift, 0);
  // gemmlowp's high multiply rounds exact ties upwards: 50.5 -> 51, -50.5 -> -50.
  EXPECT_EQ(tnn_requantize(101, half.multiplier, half.shift), 51);
  EXPECT_EQ(tnn_requantize(-101, half.multiplier, half.shift), -50);
  const auto three = quantize_multiplier(3.0);
  EXPECT_EQ(tnn_requantize(-7, three.multiplier, three.shift), -21);
  EXPECT_EQ(tnn_requantize(1 << 28, three.multiplier, three.shift), 3 << 28);
}
