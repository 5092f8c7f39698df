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

#include "tnn_dsp.h" /* the instructions of the fast form below, or their C twins */
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

/* ---- the fast kernels' requantization -------------------------------------------------
 *
 * tnn_output_s8 in about 6 instructions an output on the DSP cores (SMMLAR, shifts, QADD,
 * SSAT and the store) instead of about 15, for the common channel: multiplier in
 * [2^30, 2^31) (normalized) and shift in [-31, -1] (a real multiplier below 1/2),
 * tnn_rq_fast_ok. It is exact for every int32 accumulator (no bound needed), so a kernel
 * picks it from the channel's (multiplier, shift) alone. With m = multiplier, e = -shift,
 * m2 = 2m - 2^32 (an int32: tnn_rq_m2) and x the accumulator:
 *   v = SMMLAR(x, m2, x - [x < 0]),  t = v >> (e - 1)      (tnn_requantize_x2)
 *   tnn_requantize(x, m, shift) = (t + 1) >> 1.
 * Why:
 *  - SMMLAR(a, b, c) = c + floor((a * b + 2^31) / 2^32) mod 2^32. Here a * b = 2xm - x * 2^32,
 *    so it is c - x + floor((2xm + 2^31) / 2^32) = h - [x < 0] (mod 2^32), where
 *    h = floor((xm + 2^30) / 2^31) is gemmlowp's high multiply for m >= 0 (tnn_requantize's
 *    proof; its saturating case needs m < 0). |xm| < 2^62 puts h in [-2^31 + 1, 2^31 - 2],
 *    so v = h - [x < 0] is an int32: the mod 2^32 never wraps;
 *  - by tnn_requantize's proof the result is floor((h + 2^(e-1) - [x < 0]) / 2^e) =
 *    floor((v + 2^(e-1)) / 2^e), and nested floors merge: that is floor((floor(v /
 *    2^(e-1)) + 1) / 2), where t = v >> (e - 1) <= 2^31 - 2: t + 1 cannot overflow.
 * The output offset and the clamp (tnn_output_fast), by the activation's range:
 *  - [-128, 127] (TNN_RQ_S8): the offset joins before the halving as 2 * offset (even: it
 *    passes the floor unchanged), QADD(t, 2 * offset + 1), then SSAT #8 of it shifted right
 *    by 1. Where QADD saturates, the exact sum is beyond the int32 range as well, and the
 *    halved value is clamped to the same end of [-128, 127] either way;
 *  - [offset, 127], a fused ReLU (TNN_RQ_RELU): max(result, 0) + offset is USAT #31 of
 *    t + 1 shifted right by 1, plus the offset, then SSAT #8 (the value is >= offset >= -128);
 *  - any other range (TNN_RQ_RANGE): (t + 1) >> 1, the offset, two compares.
 * The test Requantize.FastFormEqualsRequantize compares them with tnn_output_s8 over edges
 * and millions of random cases, on the host (the C twins of tnn_dsp.h) and, in the kernel
 * tester, on the M7 and M4. */

static inline int tnn_rq_fast_ok(int32_t multiplier, int32_t shift) {
  return multiplier >= (INT32_C(1) << 30) && shift <= -1 && shift >= -31;
}

/* Whether all n channels take the fast form (a layer-wide choice, made once a call). */
static inline int tnn_rq_fast_all(const int32_t* multiplier, const int32_t* shift, int32_t n) {
  int32_t c;
  for (c = 0; c < n; ++c)
    if (!tnn_rq_fast_ok(multiplier[c], shift[c])) return 0;
  return 1;
}

/* 2 * multiplier - 2^32 as an int32 (the top bit set), and e - 1 = -shift - 1 in [0, 30]. */
static inline int32_t tnn_rq_m2(int32_t multiplier) {
  return (int32_t)((uint32_t)multiplier << 1);
}
static inline int32_t tnn_rq_e1(int32_t shift) { return -1 - shift; }

/* t: tnn_requantize(x, multiplier, shift) = (t + 1) >> 1 (x - [x < 0] computed modulo
 * 2^32, as SMMLAR takes it). */
static inline int32_t tnn_requantize_x2(int32_t x, int32_t m2, int32_t e1) {
  return tnn_smmlar(x, m2, (int32_t)((uint32_t)x + (uint32_t)(x >> 31))) >> e1;
}

/* How an output is made: kernels instantiate a loop per kind, a constant there.
 * TNN_RQ_SLOW is tnn_output_s8 (a channel without the fast form, or a zero-initialised
 * choice); the others the fast form with the clamp of the activation's range. */
enum { TNN_RQ_SLOW = 0, TNN_RQ_S8 = 1, TNN_RQ_RELU = 2, TNN_RQ_RANGE = 3 };

/* A layer's output constants for the fast form. */
typedef struct {
  int32_t offset; /* output offset */
  int32_t c1;     /* 2 * offset + 1 */
  int32_t lo, hi; /* the activation */
  int kind;       /* TNN_RQ_S8, _RELU or _RANGE: the clamp of this range */
} tnn_out_fast;

static inline tnn_out_fast tnn_out_fast_of(int32_t output_offset, const tnn_activation* act) {
  tnn_out_fast o;
  o.offset = output_offset;
  o.c1 = 2 * output_offset + 1;
  o.lo = act->min;
  o.hi = act->max;
  o.kind = act->max != 127 ? TNN_RQ_RANGE
           : act->min == -128 ? TNN_RQ_S8
           : act->min == output_offset ? TNN_RQ_RELU
                                       : TNN_RQ_RANGE;
  return o;
}

/* tnn_output_s8(x, multiplier, shift, o->offset, [o->lo, o->hi]) (as int32) for
 * tnn_rq_fast_ok(multiplier, shift), m2 = tnn_rq_m2(multiplier), e1 = tnn_rq_e1(shift) and
 * kind = o->kind, a constant where the caller inlines it. */
static inline int32_t tnn_output_fast(int32_t x, int32_t m2, int32_t e1, const tnn_out_fast* o,
                                      const int kind) {
  const int32_t t = tnn_requantize_x2(x, m2, e1);
  if (kind == TNN_RQ_S8) return tnn_ssat8_asr1(tnn_qadd(t, o->c1));
  if (kind == TNN_RQ_RELU) return tnn_ssat8(tnn_usat31_asr1(t + 1) + o->offset);
  return tnn_clamp(((t + 1) >> 1) + o->offset, o->lo, o->hi);
}

/* The kind of a channel: its layer's clamp when it takes the fast form, else TNN_RQ_SLOW. */
static inline int tnn_rq_kind(const tnn_out_fast* o, int32_t multiplier, int32_t shift) {
  return tnn_rq_fast_ok(multiplier, shift) ? o->kind : TNN_RQ_SLOW;
}

/* The kind of a layer's n channels: one for all, the fast form only when all take it. */
static inline int tnn_rq_layer_kind(const int32_t* multiplier, const int32_t* shift, int32_t n,
                                    int32_t output_offset, const tnn_activation* act) {
  return tnn_rq_fast_all(multiplier, shift, n) ? tnn_out_fast_of(output_offset, act).kind
                                               : TNN_RQ_SLOW;
}

/* A channel's requantization in both forms, for loops instantiated per kind. */
typedef struct {
  int32_t multiplier, shift; /* tnn_output_s8's */
  int32_t m2, e1;            /* the fast form's, when tnn_rq_fast_ok */
} tnn_rq_chan;

static inline tnn_rq_chan tnn_rq_chan_of(int32_t multiplier, int32_t shift) {
  tnn_rq_chan c;
  c.multiplier = multiplier;
  c.shift = shift;
  c.m2 = tnn_rq_m2(multiplier);
  c.e1 = tnn_rq_e1(shift);
  return c;
}

/* tnn_output_s8(x, c->multiplier, c->shift, o->offset, act) by `kind` (a constant where
 * inlined): TNN_RQ_SLOW, or the fast form (then kind = o->kind and the channel
 * tnn_rq_fast_ok). */
static inline int32_t tnn_output_kind(int32_t x, const tnn_rq_chan* c, const tnn_out_fast* o,
                                      const tnn_activation* act, const int kind) {
  if (kind == TNN_RQ_SLOW) return tnn_output_s8(x, c->multiplier, c->shift, o->offset, act);
  return tnn_output_fast(x, c->m2, c->e1, o, kind);
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
