/* Argument checks and the softmax step shared by the transformer kernels (internal). */
#ifndef TNN_TRANSFORMER_INTERNAL_H
#define TNN_TRANSFORMER_INTERNAL_H

#include "tnn_check.h"
#include "tnn_dsp.h"
#include "tnn_transformer.h"

/* Token count of a {1, H, W, C} tensor with all entries >= 1, or 0 when the dims are
 * unusable. Tokens beyond 65535 are rejected too (every kernel's bound). */
static inline int32_t tnn_token_count(const tnn_dims* d) {
  if (!tnn_dims_ok(d) || d->n != 1 || d->h > 65535 || d->w > 65535) return 0;
  {
    const int64_t n = (int64_t)d->h * d->w;
    return n > 65535 ? 0 : (int32_t)n;
  }
}

/* tokens * channels addressable with int32 indices. */
static inline int tnn_elems_ok(int32_t tokens, int32_t channels) {
  return (int64_t)tokens * channels <= INT32_MAX;
}

static inline int tnn_input_offset_ok(int32_t offset) { return offset >= -127 && offset <= 128; }

static inline int tnn_output_offset_ok(int32_t offset) { return offset >= -128 && offset <= 127; }

static inline int tnn_quant_ok(const tnn_quant* q) {
  return q->multiplier >= 0 && q->shift >= -31 && q->shift <= 30;
}

/* A scratch of `need` bytes, 4-byte aligned. */
static inline int tnn_scratch_ok(const tnn_context* ctx, int32_t need) {
  return ctx && ctx->buf && ctx->size >= need && ((uintptr_t)ctx->buf & 3u) == 0;
}

/* tnn_output_s8 without the int32 overflow of a saturated requantization plus offset. */
static inline int8_t tnn_output_s8_wide(int32_t acc, const tnn_quant* q, int32_t output_offset,
                                        const tnn_activation* act) {
  const int64_t y = (int64_t)tnn_requantize(acc, q->multiplier, q->shift) + output_offset;
  return (int8_t)(y < act->min ? act->min : (y > act->max ? act->max : y));
}

/* The integer softmax numerators: scores s[0..n) (max - s[i] must fit int32) are replaced
 * in place by e_i = tnn_exp_neg_q15(tnn_requantize(max - s_i, score)); returns
 * E = sum e_i (>= 32768; n <= 65535 keeps it below 2^31). */
int32_t tnn_softmax_q15_numerators(int32_t* s, int32_t n, const tnn_quant* score);

/* The tables of tnn_exp_neg_q15 (tnn_exp.c): exp(-i / 4) and exp(-j / 256) in Q15, and
 * their products e - 32768 for every 12-bit argument (tnn_softmax_exp_h). */
extern const uint16_t tnn_exp_hi[64];
extern const uint16_t tnn_exp_lo[64];
extern const int16_t tnn_exp_q15m[4096];

/* One softmax numerator e = tnn_exp_neg_q15(tnn_requantize(d, score)) for a score gap
 * d in [0, 2^30) when score->shift = -s <= 0, as h = e - 32768 in [-32768, 0] (an int16
 * that PKHBT packs, and whose sum needs no tie case for e = 32768):
 *   h = tnn_exp_q15m[min(u, 4095)]
 * where u is the requantized gap. For d >= 0 the requantization's two roundings fold into
 * one (nested floors: floor((floor(A / 2^31) + 2^(s-1)) / 2^s) = floor((A + 2^(30+s)) /
 * 2^(31+s)) with A = d * multiplier + 2^30), i.e.
 *   u = (half + floor((2d * multiplier + 2^31) / 2^32)) >> s,  half = s > 0 ? 2^(s-1) : 0,
 * one SMMLAR of 2d (< 2^31) and the multiplier (< 2^31), then a shift; u < 2^31. u >= 4096
 * gives 0 as in tnn_exp_neg_q15: the table's last entry (USAT #12 saturates the index) is
 * 0 - 32768. A positive shift saturates first: that case takes tnn_requantize itself. */
typedef struct {
  int32_t multiplier, half, s;
} tnn_softmax_exp;

/* The constants of tnn_softmax_exp_h; score->shift <= 0. */
static inline void tnn_softmax_exp_init(tnn_softmax_exp* c, const tnn_quant* score) {
  c->s = -score->shift;
  c->multiplier = score->multiplier;
  c->half = c->s > 0 ? (int32_t)1 << (c->s - 1) : 0;
}

/* h of the gap d from d2 = 2d (a caller forms 2 (max - s_j) in one SUB); t: tnn_exp_q15m
 * (a loop keeps it in a register). */
static inline int32_t tnn_softmax_exp_h(int32_t d2, int32_t multiplier, int32_t half, int32_t s,
                                        const int16_t* t) {
  const uint32_t u = (uint32_t)tnn_smmlar(d2, multiplier, half) >> s;
  return t[tnn_usat12((int32_t)u)];
}

/* Shapes shared by both attentions: tokens n (q, output) and m (k, v), per-head widths;
 * tnn_attention_check fills them (TNN_OK) or says what is wrong with the dims. */
typedef struct {
  int32_t n, m, dh, dv;
} tnn_attention_shape;

tnn_status tnn_attention_check(int32_t heads, const tnn_dims* q_d, const tnn_dims* k_d,
                               const tnn_dims* v_d, const tnn_dims* out_d, tnn_attention_shape* s);

/* Every argument check of the softmax attention (both kernels): parameters, shapes (into
 * *s) and the scratch. */
tnn_status tnn_attention_softmax_check(const tnn_context* ctx, const tnn_attention_params* p,
                                       const tnn_dims* q_d, const int8_t* q, const tnn_dims* k_d,
                                       const int8_t* k, const tnn_dims* v_d, const int8_t* v,
                                       const tnn_dims* out_d, const int8_t* output,
                                       tnn_attention_shape* s);

#endif /* TNN_TRANSFORMER_INTERNAL_H */
