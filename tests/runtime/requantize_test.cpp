// The runtime's fixed-point requantization against double precision.
#include <gtest/gtest.h>

#include <algorithm>
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

// tnn_requantize's cheaper form against the textbook composition it replaces, over edge
// accumulators, every shift and multipliers across their range (with the edges).
TEST(Requantize, CheapFormEqualsGemmlowpComposition) {
  const auto textbook = [](std::int32_t x, std::int32_t m, std::int32_t shift) {
    const std::int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    std::int64_t scaled = std::int64_t(x) * (std::int64_t(1) << left);
    scaled = std::min<std::int64_t>(std::max<std::int64_t>(scaled, INT32_MIN), INT32_MAX);
    return tnn_rounding_divide_by_pot(
        tnn_sat_rounding_doubling_high_mul(std::int32_t(scaled), m), right);
  };
  std::mt19937 gen(11);
  std::uniform_int_distribution<std::int32_t> any(INT32_MIN, INT32_MAX), mult(1 << 30, INT32_MAX),
      small(-100000, 100000), sh(-31, 30);
  const std::int32_t edge_x[] = {0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                 1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1};
  const std::int32_t edge_m[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1};
  for (std::int32_t shift = -31; shift <= 30; ++shift)
    for (std::int32_t x : edge_x)
      for (std::int32_t m : edge_m) ASSERT_EQ(tnn_requantize(x, m, shift), textbook(x, m, shift)) << x << " " << m << " " << shift;
  for (int i = 0; i < 2000000; ++i) {
    const std::int32_t x = i % 2 ? any(gen) : small(gen), m = i % 7 ? mult(gen) : any(gen) & INT32_MAX;
    const std::int32_t shift = sh(gen);
    ASSERT_EQ(tnn_requantize(x, m, shift), textbook(x, m, shift)) << x << " " << m << " " << shift;
  }
}

// The fast kernels' form (tnn_math.h: tnn_requantize_x2, tnn_output_fast) against
// tnn_requantize / tnn_output_s8 wherever tnn_rq_fast_ok holds: edges (ties at every
// shift, the int32 extremes, the multiplier's range ends) and millions of random cases,
// each clamp kind, output offsets and activation ranges across theirs. (The host runs the
// C twins of the instructions; the kernel tester runs the same comparison on the M7 / M4.)
TEST(Requantize, FastFormEqualsRequantize) {
  const auto output = [](std::int32_t x, std::int32_t m, std::int32_t shift, std::int32_t off,
                         tnn_activation act, int kind) {
    const tnn_out_fast o = tnn_out_fast_of(off, &act);
    ASSERT_EQ(o.kind, kind) << act.min << " " << act.max << " " << off;
    const std::int32_t m2 = tnn_rq_m2(m), e1 = tnn_rq_e1(shift);
    const std::int32_t got = kind == TNN_RQ_S8     ? tnn_output_fast(x, m2, e1, &o, TNN_RQ_S8)
                             : kind == TNN_RQ_RELU ? tnn_output_fast(x, m2, e1, &o, TNN_RQ_RELU)
                                                   : tnn_output_fast(x, m2, e1, &o, TNN_RQ_RANGE);
    ASSERT_EQ(got, tnn_output_s8(x, m, shift, off, &act))
        << x << " " << m << " " << shift << " " << off << " [" << act.min << ", " << act.max
        << "]";
  };
  const auto check = [&](std::int32_t x, std::int32_t m, std::int32_t shift, std::int32_t off,
                         std::int32_t lo, std::int32_t hi) {
    ASSERT_TRUE(tnn_rq_fast_ok(m, shift));
    ASSERT_EQ((tnn_requantize_x2(x, tnn_rq_m2(m), tnn_rq_e1(shift)) + 1) >> 1,
              tnn_requantize(x, m, shift))
        << x << " " << m << " " << shift;
    output(x, m, shift, off, {-128, 127}, TNN_RQ_S8);
    if (off > -128) output(x, m, shift, off, {off, 127}, TNN_RQ_RELU);
    if (hi < 127) output(x, m, shift, off, {lo, hi}, TNN_RQ_RANGE);
  };
  const std::int32_t edge_m[] = {1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250};
  const std::int32_t edge_off[] = {-128, -127, -1, 0, 1, 126, 127};
  for (std::int32_t shift = -31; shift <= -1; ++shift) {
    const std::int32_t e = -shift;
    std::vector<std::int32_t> xs = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                    INT32_MAX - 1, (1 << 30) - 1, -(1 << 30) + 1, 1 << 30,
                                    -(1 << 30)};
    for (std::int32_t k = -3; k <= 3; ++k) {  // around the ties of x * 2^-e at m = 2^30
      const std::int64_t tie = std::int64_t(2 * k + 1) << e;
      for (std::int64_t d = -2; d <= 2; ++d)
        if (tie + d >= INT32_MIN && tie + d <= INT32_MAX) xs.push_back(std::int32_t(tie + d));
    }
    for (std::int32_t x : xs)
      for (std::int32_t m : edge_m)
        for (std::int32_t off : edge_off) check(x, m, shift, off, -128, 126);
  }
  std::mt19937 gen(13);
  std::uniform_int_distribution<std::int32_t> any(INT32_MIN, INT32_MAX), mult(1 << 30, INT32_MAX),
      small(-(1 << 20), 1 << 20), sh(-31, -1), s8(-128, 127), bits(0, 31);
  for (int i = 0; i < 3000000; ++i) {
    std::int32_t x = any(gen);
    if (i % 3 == 1) x = small(gen);
    if (i % 3 == 2) x >>= bits(gen);  // every magnitude
    const std::int32_t u = s8(gen), v = s8(gen);
    check(x, mult(gen), i % 5 ? sh(gen) : -1 - (i / 5) % 12, s8(gen), std::min(u, v),
          std::min(std::max(u, v), 126));
  }
}
