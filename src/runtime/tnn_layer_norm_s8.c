#include "tnn_dsp.h"
#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

/* Arguments of both LayerNorm kernels; *tokens is set when TNN_OK. */
static tnn_status tnn_layer_norm_check(const tnn_layer_norm_params* p,
                                       const tnn_per_channel_quant* quant, const tnn_dims* dims,
                                       const int8_t* input, const int8_t* weight,
                                       const int32_t* bias, const int8_t* output,
                                       int32_t* tokens) {
  int32_t c;
  if (!p || !quant || !quant->multiplier || !quant->shift || !dims || !input || !weight ||
      !bias || !output || !tnn_activation_ok(&p->activation) ||
      !tnn_output_offset_ok(p->output_offset))
    return TNN_ERR_ARG;
  *tokens = tnn_token_count(dims);
  if (*tokens == 0 || dims->c > 4096 || !tnn_elems_ok(*tokens, dims->c)) return TNN_ERR_SHAPE;
  for (c = 0; c < dims->c; ++c)
    if (quant->multiplier[c] < 0 || quant->shift[c] < -31 || quant->shift[c] > 30)
      return TNN_ERR_ARG;
  return TNN_OK;
}

/* The reference: plain loops, 64-bit arithmetic throughout. */
tnn_status tnn_layer_norm_s8_ref(const tnn_layer_norm_params* p, const tnn_per_channel_quant* quant,
                                 const tnn_dims* dims, const int8_t* input, const int8_t* weight,
                                 const int32_t* bias, int8_t* output) {
  int32_t t, c, tokens, C;
  const tnn_status st = tnn_layer_norm_check(p, quant, dims, input, weight, bias, output, &tokens);
  if (st != TNN_OK) return st;
  C = dims->c;
  for (t = 0; t < tokens; ++t) {
    const int8_t* x = input + t * C;
    int8_t* y = output + t * C;
    int32_t sum = 0, std_d;
    int64_t sq = 0;
    for (c = 0; c < C; ++c) sum += x[c];
    for (c = 0; c < C; ++c) {
      const int64_t d = (int64_t)C * x[c] - sum;
      sq += d * d;
    }
    /* 4 fractional bits on the std: the floor of the root then costs <= 1/16 LSB of it. */
    std_d = (int32_t)tnn_isqrt64((uint64_t)tnn_div_round64(256 * sq, C));
    for (c = 0; c < C; ++c) {
      const int32_t d = C * x[c] - sum; /* |d| <= 255 * (C - 1) */
      const int32_t n =
          std_d == 0 ? 0 : tnn_sat16(tnn_div_round64((int64_t)2048 * d, std_d));
      const int32_t acc = tnn_sat32((int64_t)n * weight[c] + bias[c]);
      const int64_t out =
          (int64_t)tnn_requantize(acc, quant->multiplier[c], quant->shift[c]) + p->output_offset;
      y[c] = (int8_t)(out < p->activation.min   ? p->activation.min
                      : out > p->activation.max ? p->activation.max
                                                : out);
    }
  }
  return TNN_OK;
}

#if !defined(TNN_REFERENCE_KERNELS)

/* Channel c of a token with sum S and std_d > 0, as the reference: d = C x - S with
 * |2048 d| <= 2048 * 255 * (C - 1) < 2^31 (C <= 4096), so the rounded division runs on the
 * 32-bit magnitude (|2048 d| + std_d / 2 < 2^32); the bias add saturates only when
 * `wide` (a bias within 2^22 of the int32 limits, |n * w| < 2^22); the output offset is
 * applied after clamping to [min - offset, max - offset], which is exact and cannot
 * overflow. */
TNN_HOT int8_t tnn_ln_channel(
    int32_t d, uint32_t std_d, int32_t w, int32_t b, int32_t mult, int32_t shift, int32_t lo,
    int32_t hi, int32_t off, int wide) {
  const uint32_t mag = (d < 0 ? 0u - (uint32_t)d : (uint32_t)d) * 2048u;
  const int32_t q = (int32_t)((mag + std_d / 2u) / std_d);
  const int32_t r = d < 0 ? -q : q;
  const int32_t n = r < -32768 ? -32768 : (r > 32767 ? 32767 : r); /* tnn_sat16, as one SSAT */
  const int32_t acc = wide ? tnn_sat32((int64_t)n * w + b) : n * w + b;
  return (int8_t)(tnn_clamp(tnn_requantize(acc, mult, shift), lo, hi) + off);
}

/* floor(sqrt(v)), as tnn_isqrt64: below 2^32 by Newton's method from 2^ceil(bits / 2) >=
 * sqrt(v) (the iterates fall to floor(sqrt(v)), then stop falling; x + v / x <= 2^17), a
 * few 32-bit divisions instead of 32 steps of 64-bit arithmetic. */
static uint32_t tnn_ln_isqrt(uint64_t v) {
  uint32_t v32, x, y, bits = 0;
  if (v >> 32) return tnn_isqrt64(v);
  v32 = (uint32_t)v;
  if (v32 == 0) return 0;
#if defined(__GNUC__)
  bits = 32u - (uint32_t)__builtin_clz(v32);
#else
  while (bits < 32u && (v32 >> bits) != 0) ++bits;
#endif
  x = 1u << ((bits + 1u) >> 1);
  for (;;) {
    y = (x + v32 / x) >> 1;
    if (y >= x) return x;
    x = y;
  }
}

/* A token's statistics for the fast channels: k = half - 2048 S (half = std_d / 2),
 * th = 2 half, std_d > 0. */
typedef struct {
  const int8_t* x;
  int8_t* y;
  int32_t k, th, std_d;
} tnn_ln_tok;

/* Channels of two tokens (they may be the same one) with std_d > 0 whose every channel
 * takes the fast requantization (tnn_math.h; o->kind = kind), bit-exact with
 * tnn_ln_channel:
 *  - num = 2048 d + half, one MLA from x: 2048 C x + k; |2048 d| + half <= 2056 * 255 *
 *    4095 < 2^31 (std_d <= 16 * 255 * (C - 1)), so it and num - 2 half are int32;
 *  - the reference's n = round(2048 d / std_d), ties away from zero, is the truncating
 *    (SDIV) quotient of num for d >= 0 and of num - 2 half for d < 0. The sign test is
 *    num <= 0 instead of d < 0: they differ only for d < 0 with 2048 |d| < half, where
 *    |num| and |num - 2 half| are both below std_d (quotient 0 either way);
 *  - no int16 saturation: |d| <= sqrt(C - 1) rms(d) (Samuelson), rms(d) >= sqrt(C - 1) >= 1
 *    for a non-constant token and std_d >= 16 rms(d) - 1, so |n| <= 128 * 64 * 16 / 15 + 1
 *    < 2^14;
 *  - acc = n w + b: no saturation, the layer is not `wide` (|n w| < 2^21);
 *  - tnn_output_fast: the same as tnn_requantize + clamp (the requantized value of a
 *    negative shift is within +-2^30: the offset cannot overflow).
 * Two passes a chunk of channels, each with few enough values for the registers: per
 * token x to acc (the division), then both tokens' acc to y, sharing the channel's
 * multiplier and shift. In place is safe: a chunk is read whole before it is written. */

#define TNN_LN_CHUNK 16 /* channels a pass: 2 x 32 accumulators on the stack */

TNN_HOT void tnn_ln_acc(const int8_t* x, const int8_t* weight, const int32_t* bias, int32_t len,
                        int32_t c2048, int32_t k, int32_t th, int32_t std_d, int32_t* acc) {
  int32_t c;
  TNN_OPAQUE(c2048); /* a register: one MLA */
  for (c = 0; c < len; ++c) {
    int32_t num = x[c] * c2048 + k, n;
    num -= ((num - 1) >> 31) & th;
    n = num / std_d;
    acc[c] = n * weight[c] + bias[c];
  }
}

TNN_HOT void tnn_ln_fast(const tnn_ln_tok* t0, const tnn_ln_tok* t1, int32_t C,
                         const int8_t* weight, const int32_t* bias, const int32_t* mult,
                         const int32_t* shift, const tnn_out_fast* o, const int kind) {
  const int32_t c2048 = 2048 * C;
  const tnn_out_fast oc = *o;
  int32_t acc[2 * TNN_LN_CHUNK], c0;
  for (c0 = 0; c0 < C; c0 += TNN_LN_CHUNK) {
    const int32_t len = C - c0 < TNN_LN_CHUNK ? C - c0 : TNN_LN_CHUNK;
    int8_t *y0 = t0->y + c0, *y1 = t1->y + c0;
    int32_t c;
    tnn_ln_acc(t0->x + c0, weight + c0, bias + c0, len, c2048, t0->k, t0->th, t0->std_d, acc);
    tnn_ln_acc(t1->x + c0, weight + c0, bias + c0, len, c2048, t1->k, t1->th, t1->std_d,
               acc + TNN_LN_CHUNK);
    TNN_SCHED_FENCE();
    for (c = 0; c < len; ++c) {
      const int32_t m2 = tnn_rq_m2(mult[c0 + c]), e1 = tnn_rq_e1(shift[c0 + c]);
      y0[c] = (int8_t)tnn_output_fast(acc[c], m2, e1, &oc, kind);
      y1[c] = (int8_t)tnn_output_fast(acc[TNN_LN_CHUNK + c], m2, e1, &oc, kind);
    }
  }
}

/* The instances of tnn_ln_fast, out of line (a register set of their own), by
 * kind - TNN_RQ_S8. A layer with a bias within 2^22 of the int32 limits (`wide`, which no
 * real model has) takes tnn_ln_channel instead: three instances less flash. */
#define TNN_LN_FAST(name, kind)                                                              \
  TNN_SHARED void name(const tnn_ln_tok* t0, const tnn_ln_tok* t1, int32_t C,              \
                       const int8_t* weight, const int32_t* bias, const int32_t* mult,     \
                       const int32_t* shift, const tnn_out_fast* o) {                      \
    tnn_ln_fast(t0, t1, C, weight, bias, mult, shift, o, kind);                             \
  }
TNN_LN_FAST(tnn_ln_fast_s8, TNN_RQ_S8)
TNN_LN_FAST(tnn_ln_fast_relu, TNN_RQ_RELU)
TNN_LN_FAST(tnn_ln_fast_range, TNN_RQ_RANGE)

typedef void (*tnn_ln_fast_fn)(const tnn_ln_tok*, const tnn_ln_tok*, int32_t, const int8_t*,
                               const int32_t*, const int32_t*, const int32_t*,
                               const tnn_out_fast*);
static const tnn_ln_fast_fn tnn_ln_fast_of[3] = {tnn_ln_fast_s8, tnn_ln_fast_relu,
                                                 tnn_ln_fast_range};

/* A token's statistics (x, y may be the same): the reference's std_d, the fast channels'
 * constants in *t when std_d > 0; *sum: S. The sum of d_c^2 is C (C sum x^2 - S^2) (sum d =
 * 0), so the reference's round(256 sum d^2 / C) is 256 (C sum x^2 - S^2) exactly; sum x and
 * sum x^2 (< 2^26) take SMLADs on pairs of channels, four channels per word. */
static uint32_t tnn_ln_stats(const int8_t* x, int8_t* y, int32_t C, tnn_ln_tok* t,
                             int32_t* sum_out) {
  const int32_t ones = 0x00010001;
  int32_t sum = 0, sum2 = 0, c;
  uint32_t std_d;
  for (c = 0; c + 4 <= C; c += 4) {
    const int32_t v = tnn_read_s8x4(x + c), e = tnn_sxtb16(v), od = tnn_sxtb16_ror8(v);
    sum = tnn_smlad(e, ones, tnn_smlad(od, ones, sum));
    sum2 = tnn_smlad(e, e, tnn_smlad(od, od, sum2));
  }
  for (; c < C; ++c) sum += x[c], sum2 += x[c] * x[c];
  std_d = tnn_ln_isqrt(256 * (uint64_t)((int64_t)C * sum2 - (int64_t)sum * sum));
  t->x = x, t->y = y;
  t->k = (int32_t)(std_d / 2u) - 2048 * sum, t->th = (int32_t)(std_d & ~1u);
  t->std_d = (int32_t)std_d;
  *sum_out = sum;
  return std_d;
}

/* One token by tnn_ln_channel (the layer's kind is TNN_RQ_SLOW), or a constant one. */
static void tnn_ln_token(const tnn_ln_tok* t, int32_t sum, int32_t C, const int8_t* weight,
                         const int32_t* bias, const tnn_per_channel_quant* quant,
                         const tnn_out_fast* o, int wide) {
  const int32_t lo = o->lo - o->offset, hi = o->hi - o->offset, off = o->offset;
  const int8_t* x = t->x;
  int8_t* y = t->y;
  int32_t c;
  if (t->std_d == 0) { /* a constant token: n = 0, the bias alone */
    for (c = 0; c < C; ++c)
      y[c] = (int8_t)(tnn_clamp(tnn_requantize(bias[c], quant->multiplier[c], quant->shift[c]),
                                lo, hi) + off);
    return;
  }
  if (wide)
    for (c = 0; c < C; ++c)
      y[c] = tnn_ln_channel(C * x[c] - sum, (uint32_t)t->std_d, weight[c], bias[c],
                            quant->multiplier[c], quant->shift[c], lo, hi, off, 1);
  else
    for (c = 0; c < C; ++c)
      y[c] = tnn_ln_channel(C * x[c] - sum, (uint32_t)t->std_d, weight[c], bias[c],
                            quant->multiplier[c], quant->shift[c], lo, hi, off, 0);
}

#endif

tnn_status tnn_layer_norm_s8(const tnn_layer_norm_params* p, const tnn_per_channel_quant* quant,
                             const tnn_dims* dims, const int8_t* input, const int8_t* weight,
                             const int32_t* bias, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_layer_norm_s8_ref(p, quant, dims, input, weight, bias, output);
#else
  int32_t t, c, tokens, C;
  int wide = 0;
  const tnn_status st = tnn_layer_norm_check(p, quant, dims, input, weight, bias, output, &tokens);
  if (st != TNN_OK) return st;
  C = dims->c;
  for (c = 0; c < C; ++c)
    if (bias[c] > INT32_MAX - (1 << 22) || bias[c] < INT32_MIN + (1 << 22)) wide = 1;
  {
    const tnn_out_fast o = tnn_out_fast_of(p->output_offset, &p->activation);
    const int kind = wide ? TNN_RQ_SLOW
                          : tnn_rq_layer_kind(quant->multiplier, quant->shift, C,
                                              p->output_offset, &p->activation);
    /* tokens in pairs (both statistics first: in place, neither is written yet) */
    for (t = 0; t < tokens; t += 2) {
      tnn_ln_tok t0, t1;
      int32_t s0, s1 = 0;
      const uint32_t std0 = tnn_ln_stats(input + t * C, output + t * C, C, &t0, &s0);
      const uint32_t std1 =
          t + 1 < tokens ? tnn_ln_stats(input + (t + 1) * C, output + (t + 1) * C, C, &t1, &s1)
                         : 0;
      if (kind != TNN_RQ_SLOW && (std0 != 0 || std1 != 0)) {
        /* a token alone (the odd last one, or beside a constant one) runs as a pair with
         * itself */
        const tnn_ln_tok* a = std0 != 0 ? &t0 : &t1;
        const tnn_ln_tok* b = std1 != 0 ? &t1 : a;
        tnn_ln_fast_of[kind - TNN_RQ_S8](a, b, C, weight, bias, quant->multiplier, quant->shift,
                                         &o);
        if (std0 == 0) tnn_ln_token(&t0, s0, C, weight, bias, quant, &o, wide);
        if (std1 == 0 && t + 1 < tokens) tnn_ln_token(&t1, s1, C, weight, bias, quant, &o, wide);
        continue;
      }
      tnn_ln_token(&t0, s0, C, weight, bias, quant, &o, wide);
      if (t + 1 < tokens) tnn_ln_token(&t1, s1, C, weight, bias, quant, &o, wide);
    }
  }
  return TNN_OK;
#endif
}
