#include "tnn_dsp.h"
#include "tnn_math.h"
#include "tnn_mat_mult.h"

/* The activations the plain loops take: with the DSP extension the k % 4 after the SIMD
 * groups, without it the whole row (natural order, tnn_mat_mult.h), which compilers
 * vectorize (PMADDWD on x86). */
#if TNN_DSP
#define TNN_MM_TAIL(k) ((k) & 3)
#else
#define TNN_MM_TAIL(k) (k)
#endif

void tnn_mat_mult_row_s16(const int8_t* src, int32_t k, int32_t input_offset, int16_t* row) {
  int32_t i;
#if TNN_DSP
  const int32_t off2 = tnn_dup16(input_offset);
  /* each step reads its activations before it writes (in-place widening: the header) */
  for (i = k >> 3; i > 0; --i, src += 8, row += 8) {
    const int32_t x0 = tnn_read_s8x4(src), x1 = tnn_read_s8x4(src + 4);
    tnn_write_s16x2(row, tnn_sxtab16(off2, x0));
    tnn_write_s16x2(row + 2, tnn_sxtab16_ror8(off2, x0));
    tnn_write_s16x2(row + 4, tnn_sxtab16(off2, x1));
    tnn_write_s16x2(row + 6, tnn_sxtab16_ror8(off2, x1));
  }
  if (k & 4) {
    const int32_t x = tnn_read_s8x4(src);
    tnn_write_s16x2(row, tnn_sxtab16(off2, x));
    tnn_write_s16x2(row + 2, tnn_sxtab16_ror8(off2, x));
    src += 4, row += 4;
  }
#endif
  for (i = 0; i < TNN_MM_TAIL(k); ++i) row[i] = (int16_t)(src[i] + input_offset);
}

/* The requantization of the accumulators of one channel in two rows: the fast form
 * (tnn_math.h) where the layer takes it, the channel's constants shared by both. Else
 * testing the sign of the shift here, where both calls see it, lets the compiler share
 * their shift-dependent work (about 5 instructions an output on the M7). */
static inline void tnn_mm_out2(const tnn_mat_mult_args* m, int32_t c, int32_t acc_a,
                               int32_t acc_b, int8_t* out_a, int8_t* out_b) {
  const int32_t mult = m->multiplier[c], shift = m->shift[c], off = m->output_offset;
  const tnn_activation act = m->activation;
  const tnn_out_fast o = tnn_out_fast_of(off, &act);
  int8_t a, b;
  const int32_t m2 = tnn_rq_m2(mult), e1 = tnn_rq_e1(shift);
  if (m->rq_kind == TNN_RQ_S8) {
    a = (int8_t)tnn_output_fast(acc_a, m2, e1, &o, TNN_RQ_S8);
    b = (int8_t)tnn_output_fast(acc_b, m2, e1, &o, TNN_RQ_S8);
  } else if (m->rq_kind == TNN_RQ_RELU) {
    a = (int8_t)tnn_output_fast(acc_a, m2, e1, &o, TNN_RQ_RELU);
    b = (int8_t)tnn_output_fast(acc_b, m2, e1, &o, TNN_RQ_RELU);
  } else if (m->rq_kind == TNN_RQ_RANGE) {
    a = (int8_t)tnn_output_fast(acc_a, m2, e1, &o, TNN_RQ_RANGE);
    b = (int8_t)tnn_output_fast(acc_b, m2, e1, &o, TNN_RQ_RANGE);
  } else if (shift <= 0) {
    a = tnn_output_s8(acc_a, mult, shift, off, &act);
    b = tnn_output_s8(acc_b, mult, shift, off, &act);
  } else {
    a = tnn_output_s8(acc_a, mult, shift, off, &act);
    b = tnn_output_s8(acc_b, mult, shift, off, &act);
  }
  *out_a = a, *out_b = b;
}

static inline int8_t tnn_mm_out(const tnn_mat_mult_args* m, int32_t c, int32_t acc) {
  return tnn_output_s8(acc, m->multiplier[c], m->shift[c], m->output_offset, &m->activation);
}

/* Four k of rows a0, a1 times channels c, c + 1 (filter rows w0, w1): four loads, four
 * SXTB16 and eight SMLAD for sixteen multiply-accumulates. */
#define TNN_MM_2X2_STEP(a0, a1, w0, w1)      \
  do {                                       \
    const int32_t y0 = tnn_read_s8x4(w0);    \
    const int32_t y1 = tnn_read_s8x4(w1);    \
    const int32_t y0e = tnn_sxtb16(y0);      \
    const int32_t y0o = tnn_sxtb16_ror8(y0); \
    const int32_t y1e = tnn_sxtb16(y1);      \
    const int32_t y1o = tnn_sxtb16_ror8(y1); \
    int32_t x = tnn_read_s16x2(a0);          \
    acc00 = tnn_smlad(x, y0e, acc00);        \
    acc01 = tnn_smlad(x, y1e, acc01);        \
    x = tnn_read_s16x2((a0) + 2);            \
    acc00 = tnn_smlad(x, y0o, acc00);        \
    acc01 = tnn_smlad(x, y1o, acc01);        \
    TNN_SCHED_FENCE();                        \
    x = tnn_read_s16x2(a1);                  \
    acc10 = tnn_smlad(x, y0e, acc10);        \
    acc11 = tnn_smlad(x, y1e, acc11);        \
    x = tnn_read_s16x2((a1) + 2);            \
    acc10 = tnn_smlad(x, y0o, acc10);        \
    acc11 = tnn_smlad(x, y1o, acc11);        \
    TNN_SCHED_FENCE();                        \
  } while (0)

/* Rows a0, a1 times channels c, c + 1, sixteen k a turn: on the M7 about 79 instructions
 * for 64 multiply-accumulates, the loop's own included. */
static void tnn_mm_2x2(const tnn_mat_mult_args* m, int32_t c, const int16_t* a0,
                       const int16_t* a1, int8_t* out0, int8_t* out1) {
  const int32_t k = m->k;
  const int8_t* w0 = m->filter + c * k;
  const int8_t* w1 = w0 + k;
  const int32_t b0 = m->bias ? m->bias[c] : 0, b1 = m->bias ? m->bias[c + 1] : 0;
  int32_t acc00 = b0, acc01 = b1, acc10 = b0, acc11 = b1, i;
#if TNN_DSP
  for (i = k >> 4; i > 0; --i, a0 += 16, a1 += 16, w0 += 16, w1 += 16) {
    TNN_MM_2X2_STEP(a0, a1, w0, w1);
    TNN_MM_2X2_STEP(a0 + 4, a1 + 4, w0 + 4, w1 + 4);
    TNN_MM_2X2_STEP(a0 + 8, a1 + 8, w0 + 8, w1 + 8);
    TNN_MM_2X2_STEP(a0 + 12, a1 + 12, w0 + 12, w1 + 12);
  }
  for (i = (k >> 2) & 3; i > 0; --i, a0 += 4, a1 += 4, w0 += 4, w1 += 4)
    TNN_MM_2X2_STEP(a0, a1, w0, w1);
#endif
  for (i = 0; i < TNN_MM_TAIL(k); ++i) {
    acc00 += a0[i] * w0[i];
    acc01 += a0[i] * w1[i];
    acc10 += a1[i] * w0[i];
    acc11 += a1[i] * w1[i];
  }
  for (i = 0; i < 2; ++i) /* one call site: the requantization code is inlined once */
    tnn_mm_out2(m, c + i, i ? acc01 : acc00, i ? acc11 : acc10, out0 + c + i, out1 + c + i);
}

/* Row a0 times channels c, c + 1 (the last row of an odd count). */
static void tnn_mm_1x2(const tnn_mat_mult_args* m, int32_t c, const int16_t* a0, int8_t* out0) {
  const int32_t k = m->k;
  const int8_t* w0 = m->filter + c * k;
  const int8_t* w1 = w0 + k;
  int32_t acc0 = m->bias ? m->bias[c] : 0, acc1 = m->bias ? m->bias[c + 1] : 0, i;
#if TNN_DSP
  for (i = k >> 2; i > 0; --i, a0 += 4, w0 += 4, w1 += 4) {
    const int32_t y0 = tnn_read_s8x4(w0), y1 = tnn_read_s8x4(w1);
    const int32_t xe = tnn_read_s16x2(a0), xo = tnn_read_s16x2(a0 + 2);
    acc0 = tnn_smlad(xe, tnn_sxtb16(y0), acc0);
    acc1 = tnn_smlad(xe, tnn_sxtb16(y1), acc1);
    acc0 = tnn_smlad(xo, tnn_sxtb16_ror8(y0), acc0);
    acc1 = tnn_smlad(xo, tnn_sxtb16_ror8(y1), acc1);
  }
#endif
  for (i = 0; i < TNN_MM_TAIL(k); ++i) {
    acc0 += a0[i] * w0[i];
    acc1 += a0[i] * w1[i];
  }
  out0[c] = tnn_mm_out(m, c, acc0);
  out0[c + 1] = tnn_mm_out(m, c + 1, acc1);
}

/* Rows a0, a1 (a1 may be NULL) times the last channel c of an odd count. */
static void tnn_mm_2x1(const tnn_mat_mult_args* m, int32_t c, const int16_t* a0,
                       const int16_t* a1, int8_t* out0, int8_t* out1) {
  const int32_t k = m->k;
  const int8_t* w0 = m->filter + c * k;
  const int16_t* a1_or_a0 = a1 ? a1 : a0; /* one loop for both: a lone row is done twice */
  int32_t acc0 = m->bias ? m->bias[c] : 0, acc1 = acc0, i;
#if TNN_DSP
  for (i = k >> 2; i > 0; --i, a0 += 4, a1_or_a0 += 4, w0 += 4) {
    const int32_t y0 = tnn_read_s8x4(w0);
    const int32_t ye = tnn_sxtb16(y0), yo = tnn_sxtb16_ror8(y0);
    acc0 = tnn_smlad(tnn_read_s16x2(a0), ye, acc0);
    acc1 = tnn_smlad(tnn_read_s16x2(a1_or_a0), ye, acc1);
    acc0 = tnn_smlad(tnn_read_s16x2(a0 + 2), yo, acc0);
    acc1 = tnn_smlad(tnn_read_s16x2(a1_or_a0 + 2), yo, acc1);
  }
#endif
  for (i = 0; i < TNN_MM_TAIL(k); ++i) {
    acc0 += a0[i] * w0[i];
    acc1 += a1_or_a0[i] * w0[i];
  }
  out0[c] = tnn_mm_out(m, c, acc0);
  if (a1) out1[c] = tnn_mm_out(m, c, acc1);
}

void tnn_mat_mult_s8(const tnn_mat_mult_args* args, const int16_t* a0, const int16_t* a1,
                     int8_t* out0, int8_t* out1) {
  const tnn_mat_mult_args local = *args; /* not reloaded after each output store */
  const tnn_mat_mult_args* m = &local;
  int32_t c = 0;
  if (a1) {
    for (; c + 1 < m->n; c += 2) tnn_mm_2x2(m, c, a0, a1, out0, out1);
  } else {
    for (; c + 1 < m->n; c += 2) tnn_mm_1x2(m, c, a0, out0);
  }
  if (c < m->n) tnn_mm_2x1(m, c, a0, a1, out0, out1);
}

void tnn_mat_mult_bias_only_s8(const tnn_mat_mult_args* m, int8_t* out) {
  int32_t c;
  for (c = 0; c < m->n; ++c) out[c] = tnn_mm_out(m, c, m->bias ? m->bias[c] : 0);
}
