/* tinynas int8 runtime: the integer arithmetic every kernel shares. These are the only
 * definitions of requantization in the project (DESIGN.md: integer math lives once).
 *
 * A real multiplier m in (0, 2^31) is represented as (multiplier, shift) with
 * m ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) (or 0): gemmlowp's and
 * TensorFlow Lite's representation, rounded the same way, so results match TFLite's
 * reference kernels.
 *
 * Signed right shifts are arithmetic on every compiler this runtime targets (GCC and
 * Clang for x86-64 and Arm); C99 leaves it implementation-defined.
 */
#ifndef TNN_MATH_H
#define TNN_MATH_H

#include <stdint.h>

#include "tnn_types.h"

/* round(a * b / 2^31) (exact ties round upwards, as in gemmlowp), saturating the one
 * overflow case. */
static inline int32_t tnn_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
  }
}

/* round(x / 2^exponent), ties away from zero; exponent in [0, 31]. */
static inline int32_t tnn_rounding_divide_by_pot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31), rounded: the requantization of an int32 accumulator.
 * multiplier >= 0, shift in [-31, 30]; a positive shift scales x up first (saturating at
 * int32 range). Exactly tnn_rounding_divide_by_pot(tnn_sat_rounding_doubling_high_mul(
 * sat(x * 2^left), multiplier), right) (the test compares them over edges and millions
 * of random cases), computed with one 64-bit multiply-accumulate and a shift (SMLAL and
 * a few single-cycle instructions on Arm). Why that is exact, for a product p = x * m:
 *  - with m >= 0 gemmlowp's saturating high multiply (p + nudge) / 2^31, nudge = p >= 0 ?
 *    2^30 : 1 - 2^30, truncated toward zero, is h = floor((p + 2^30) / 2^31)
 *    (ceil(t / n) = floor((t + n - 1) / n) for p < 0);
 *  - the rounding shift by e >= 1, ties away from zero, is floor((h + 2^(e-1) - [h < 0])
 *    / 2^e) (the same test of the remainder against half, plus one when negative);
 *  - nested floors of integers merge: floor((floor(a / 2^31) + c) / 2^e) =
 *    floor((a + c * 2^31) / 2^(31 + e)), so the result is (p + 2^30 + 2^(30 + e) -
 *    [h < 0] * 2^31) >> (31 + e) in 64 bits;
 *  - [h < 0] may be taken as [x < 0]: they differ only for p in [-2^30, 0), where h = 0
 *    and both forms give 0 for e >= 1. */
static inline int32_t tnn_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  if (shift < 0) {
    /* 31 + e >= 32: the high word, then e - 1 more. */
    const int64_t round = ((int64_t)1 << 30) + ((int64_t)1 << (30 - shift));
    const int64_t acc = (int64_t)x * multiplier + round - ((int64_t)(x < 0) << 31);
    return (int32_t)(acc >> 32) >> (-1 - shift);
  }
  if (shift > 0) {
    const int32_t limit = INT32_MAX >> shift;
    x = x > limit ? INT32_MAX : (x < -limit - 1 ? INT32_MIN : (int32_t)((uint32_t)x << shift));
  }
  return (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
}

static inline int32_t tnn_clamp(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* An accumulator to an int8 output: requantize, add the output zero point, clamp to the
 * fused activation range. */
static inline int8_t tnn_output_s8(int32_t acc, int32_t multiplier, int32_t shift,
                                   int32_t output_offset, const tnn_activation* act) {
  return (int8_t)tnn_clamp(tnn_requantize(acc, multiplier, shift) + output_offset, act->min,
                           act->max);
}

/* Integer division rounded to nearest, ties away from zero; d > 0. */
static inline int32_t tnn_div_round(int32_t n, int32_t d) {
  return n >= 0 ? (n + d / 2) / d : (n - d / 2) / d;
}

/* Integer division rounded to nearest, ties away from zero, in 64 bits; d > 0 and
 * |n| + d / 2 <= INT64_MAX. */
static inline int64_t tnn_div_round64(int64_t n, int64_t d) {
  return n >= 0 ? (n + d / 2) / d : (n - d / 2) / d;
}

/* floor(sqrt(v)) of an unsigned 64-bit value, bit by bit (no float). */
static inline uint32_t tnn_isqrt64(uint64_t v) {
  uint64_t root = 0, bit = (uint64_t)1 << 62;
  while (bit > v) bit >>= 2;
  while (bit != 0) {
    if (v >= root + bit) {
      v -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return (uint32_t)root;
}

/* Saturation of a 64-bit value to the int32 and int16 ranges. */
static inline int32_t tnn_sat32(int64_t x) {
  return x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : (int32_t)x);
}

static inline int16_t tnn_sat16(int32_t x) {
  return (int16_t)(x > INT16_MAX ? INT16_MAX : (x < INT16_MIN ? INT16_MIN : x));
}

#endif /* TNN_MATH_H */
