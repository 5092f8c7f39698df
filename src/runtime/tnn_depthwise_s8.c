/* Depthwise conv (groups = in = out channels), bit-exact with tnn_conv_s8_ref.
 *
 * Channels outermost: a channel's weights stay in registers while its output rows are
 * computed (the filter is [C][kh][kw], so a channel's taps are contiguous). Its input rows
 * are staged on the stack as contiguous bytes (the NHWC input has them C bytes apart),
 * padding included as the input zero point (-input_offset), so that every window is a
 * full one: acc = bias + offset * sum(w) + sum(w * x), padding contributing
 * w * (-offset) + offset * w = 0 exactly as the reference skips it. Contiguous bytes let
 * one word load feed two SIMD pairs (SXTB16 gives taps 0 and 2 of a 3-wide window, SXTB16
 * ROR 8 taps 1 and 3), two outputs per step for 3x3 stride 1. The accumulators of a row go
 * to a small tile, requantized in a loop of their own (the MAC loop keeps its registers).
 * The staged rows form a ring of kh rows, each row written twice so that any window's rows
 * are adjacent: every input row is staged once per channel (and column chunk, for maps
 * wider than a staged row).
 *
 * No scratch from the caller (the cost model counts none): the stack holds the staged rows
 * (2 * TNN_DW_MAX_KH x TNN_DW_PITCH bytes), the tile and a channel's padded weights, about
 * 0.75 KiB; 3x3 stride 1 on small maps stages four channels' planes whole instead (about
 * 2.6 KiB, "small maps" below). Kernels taller than TNN_DW_MAX_KH or wider than TNN_DW_MAX_KW, or a stride
 * that leaves no window in a staged row, run the per-pixel path. */
#include <string.h>

#include "tnn_conv_internal.h"
#include "tnn_dsp.h"

#if !defined(TNN_REFERENCE_KERNELS) /* tnn_conv_s8 then runs the reference alone */

#define TNN_DW_PITCH 48 /* bytes per staged row, multiple of 4 */
#define TNN_DW_MAX_KH 5
#define TNN_DW_MAX_KW 12
#define TNN_DW_SLACK 4 /* staged bytes past the last window: the word loads' over-read */

/* The row-level steps stay functions of their own: inlined into one body they would share
 * (and spill) one register set. */

/* One channel's view of the layer. */
typedef struct {
  const int8_t* x; /* the input at this channel */
  const int8_t* w; /* its kh * kw weights */
  int32_t in_h, in_w;
  int32_t xs, ys; /* bytes between horizontally / vertically adjacent input pixels */
  int32_t kh, kw, sh, sw, ph, pw;
  int32_t offset; /* input offset */
  int32_t bias;   /* 0 without */
  int32_t inner;  /* bias + offset * sum of the weights: where a full window starts */
  int32_t mult, shift, out_offset;
  tnn_activation act;
  /* the requantization, per channel: its kind (tnn_math.h), the fast form's constants */
  int rq_kind;
  int32_t m2, e1;
  tnn_out_fast o;
  int8_t* y; /* the output at this channel */
  int32_t out_h, out_w, oxs; /* output size; bytes between adjacent output pixels */
} tnn_dw_channel;

/* ---- the per-pixel path (kernels beyond the staging buffer) ----------------------------- */

static void tnn_dw_pixel(const tnn_dw_channel* ch, int32_t oy, int32_t ox) {
  const int32_t iy = oy * ch->sh - ch->ph, ix = ox * ch->sw - ch->pw;
  const int32_t ky0 = iy < 0 ? -iy : 0, kx0 = ix < 0 ? -ix : 0;
  const int32_t ky1 = iy + ch->kh > ch->in_h ? ch->in_h - iy : ch->kh;
  const int32_t kx1 = ix + ch->kw > ch->in_w ? ch->in_w - ix : ch->kw;
  int32_t acc = ch->bias, ky, kx;
  for (ky = ky0; ky < ky1; ++ky)
    for (kx = kx0; kx < kx1; ++kx)
      acc += ch->w[ky * ch->kw + kx] *
             (ch->x[(iy + ky) * ch->ys + (ix + kx) * ch->xs] + ch->offset);
  ch->y[(oy * ch->out_w + ox) * ch->oxs] =
      tnn_output_s8(acc, ch->mult, ch->shift, ch->out_offset, &ch->act);
}

/* ---- staged rows ---------------------------------------------------------------------- */

/* Words of staged rows: the buffer is 4-byte aligned and TNN_DW_PITCH a multiple of 4. */
static void tnn_dw_fill_words(int8_t* dst, int32_t words, uint32_t v) {
  for (; words > 0; --words, dst += 4) memcpy(dst, &v, 4);
}

/* n in-map bytes of an input row, xs apart, to d0 and d1 (the padding around them is
 * already in the staged rows). */
TNN_SHARED void tnn_dw_gather(int8_t* d0, int8_t* d1, const int8_t* src, int32_t n, int32_t xs) {
  for (; n >= 4; n -= 4, src += 4 * xs, d0 += 4, d1 += 4) {
    const uint32_t v = (uint8_t)src[0] | (uint32_t)(uint8_t)src[xs] << 8 |
                       (uint32_t)(uint8_t)src[2 * xs] << 16 | (uint32_t)(uint8_t)src[3 * xs] << 24;
    memcpy(d0, &v, 4);
    memcpy(d1, &v, 4);
  }
  for (; n > 0; --n, src += xs) *d0++ = *d1++ = *src;
}

/* ---- row kernels: n windows of staged rows x (pitch TNN_DW_PITCH) -> acc[0..n) ---------- */

/* 3x3 stride 1, two outputs per step (an odd n also writes acc[n], from the staged slack).
 * Per row, one word x0..x3 gives the pairs (x0, x2) and (x1, x3): output 0 takes
 * (x0, x2) . (w0, w2) + x1 * w1, output 1 (x1, x3) . (w0, w2) + x2 * w1. The middle taps
 * of rows 0 and 1 share one register (SMLA<x><y> picks the halves). */
/* The 3x3 weights as tnn_dw_k3s1_row takes them: rows' outer taps in pairs, the middle
 * taps of rows 0 and 1 in one register, row 2's alone. */
typedef struct {
  int32_t r0, r1, r2, mid, m2;
} tnn_dw_k3;

static inline tnn_dw_k3 tnn_dw_k3_of(const int8_t* w) {
  tnn_dw_k3 k;
  k.r0 = tnn_pkhbt(w[0], w[2]), k.r1 = tnn_pkhbt(w[3], w[5]), k.r2 = tnn_pkhbt(w[6], w[8]);
  k.mid = tnn_pkhbt(w[1], w[4]), k.m2 = w[7];
  return k;
}

/* n outputs of one row from rows x, x + pitch, x + 2 pitch (pitch a constant where
 * inlined: immediate offsets), two a step; returns acc past them (an odd n also writes
 * acc[n], from the staged slack). */
TNN_HOT int32_t* tnn_dw_k3s1_row(const int8_t* x, int32_t n, const tnn_dw_k3* k, int32_t base,
                                 int32_t* acc, const int32_t pitch) {
  const int32_t r0 = k->r0, r1 = k->r1, r2 = k->r2, mid = k->mid, m2 = k->m2;
  for (; n > 0; n -= 2, x += 2, acc += 2) {
    int32_t v, a, b, y0, y1;
    v = tnn_read_s8x4(x);
    a = tnn_sxtb16(v), b = tnn_sxtb16_ror8(v);
    y0 = tnn_smlabb(b, mid, tnn_smlad(a, r0, base));
    y1 = tnn_smlatb(a, mid, tnn_smlad(b, r0, base));
    v = tnn_read_s8x4(x + pitch);
    a = tnn_sxtb16(v), b = tnn_sxtb16_ror8(v);
    y0 = tnn_smlabt(b, mid, tnn_smlad(a, r1, y0));
    y1 = tnn_smlatt(a, mid, tnn_smlad(b, r1, y1));
    v = tnn_read_s8x4(x + 2 * pitch);
    a = tnn_sxtb16(v), b = tnn_sxtb16_ror8(v);
    acc[0] = tnn_smlabb(b, m2, tnn_smlad(a, r2, y0));
    acc[1] = tnn_smlatb(a, m2, tnn_smlad(b, r2, y1));
  }
  return acc + n; /* n is 0 or -1 here: back over an odd n's slack */
}

TNN_SHARED void tnn_dw_k3s1(const int8_t* x, int32_t n, const int8_t* w, int32_t base,
                             int32_t* acc) {
  const tnn_dw_k3 k = tnn_dw_k3_of(w);
  (void)tnn_dw_k3s1_row(x, n, &k, base, acc, TNN_DW_PITCH);
}

/* 3x3 stride 2: one word per row and output, (x0, x2) . (w0, w2) + x1 * w1. */
TNN_SHARED void tnn_dw_k3s2(const int8_t* x, int32_t n, const int8_t* w, int32_t base,
                             int32_t* acc) {
  const int32_t r0 = tnn_pkhbt(w[0], w[2]), r1 = tnn_pkhbt(w[3], w[5]), r2 = tnn_pkhbt(w[6], w[8]);
  const int32_t mid = tnn_pkhbt(w[1], w[4]), m2 = w[7];
  for (; n > 0; --n, x += 2, ++acc) {
    const int32_t v0 = tnn_read_s8x4(x), v1 = tnn_read_s8x4(x + TNN_DW_PITCH),
                  v2 = tnn_read_s8x4(x + 2 * TNN_DW_PITCH);
    int32_t y = tnn_smlabb(tnn_sxtb16_ror8(v0), mid, tnn_smlad(tnn_sxtb16(v0), r0, base));
    y = tnn_smlabt(tnn_sxtb16_ror8(v1), mid, tnn_smlad(tnn_sxtb16(v1), r1, y));
    *acc = tnn_smlabb(tnn_sxtb16_ror8(v2), m2, tnn_smlad(tnn_sxtb16(v2), r2, y));
  }
}

/* Any kh x kw (kw <= TNN_DW_MAX_KW), any stride: wp holds each kernel row's weights padded
 * with zeros to kw4 (a multiple of 4) bytes, so four taps take one word of each. */
TNN_SHARED void tnn_dw_kgen(const int8_t* x, int32_t n, const int8_t* wp, int32_t kh, int32_t kw4,
                        int32_t step, int32_t base, int32_t* acc) {
  for (; n > 0; --n, x += step, ++acc) {
    int32_t y = base, ky, k;
    const int8_t* w = wp;
    for (ky = 0; ky < kh; ++ky) {
      const int8_t* xr = x + ky * TNN_DW_PITCH;
      for (k = 0; k < kw4; k += 4, w += 4) {
        const int32_t xv = tnn_read_s8x4(xr + k), wv = tnn_read_s8x4(w);
        y = tnn_smlad(tnn_sxtb16(xv), tnn_sxtb16(wv), y);
        y = tnn_smlad(tnn_sxtb16_ror8(xv), tnn_sxtb16_ror8(wv), y);
      }
    }
    *acc = y;
  }
}

/* acc[0..n) to the outputs y, oxs bytes apart, the clamp kind of the fast form (tnn_math.h)
 * a constant here. */
TNN_HOT void tnn_dw_requant_fast(const tnn_dw_channel* ch, const int32_t* acc, int32_t n,
                                 int8_t* y, const int kind) {
  const int32_t m2 = ch->m2, e1 = ch->e1, oxs = ch->oxs;
  const tnn_out_fast o = ch->o;
  for (; n >= 2; n -= 2, acc += 2) { /* two a step: one LDRD, half the loop */
    const tnn_s32x2 a = tnn_read_s32x2(acc);
    *y = (int8_t)tnn_output_fast(a.lo, m2, e1, &o, kind);
    y += oxs;
    *y = (int8_t)tnn_output_fast(a.hi, m2, e1, &o, kind);
    y += oxs;
  }
  if (n) *y = (int8_t)tnn_output_fast(*acc, m2, e1, &o, kind);
}

TNN_SHARED void tnn_dw_requant(const tnn_dw_channel* ch, const int32_t* acc, int32_t n,
                                int8_t* y) {
  const int32_t m = ch->mult, s = ch->shift, off = ch->out_offset, oxs = ch->oxs;
  const tnn_activation act = ch->act;
  const int kind = ch->rq_kind;
  /* a copy of the loop per form: the branches of the requantization resolve outside */
  if (kind == TNN_RQ_S8)
    tnn_dw_requant_fast(ch, acc, n, y, TNN_RQ_S8);
  else if (kind == TNN_RQ_RELU)
    tnn_dw_requant_fast(ch, acc, n, y, TNN_RQ_RELU);
  else if (kind == TNN_RQ_RANGE)
    tnn_dw_requant_fast(ch, acc, n, y, TNN_RQ_RANGE);
  else if (s < 0)
    for (; n > 0; --n, y += oxs) *y = tnn_output_s8(*acc++, m, s, off, &act);
  else
    for (; n > 0; --n, y += oxs) *y = tnn_output_s8(*acc++, m, s, off, &act);
}

/* ---- the layer ------------------------------------------------------------------------- */

typedef struct {
  int32_t acc[TNN_DW_PITCH];
  /* a ring of kh staged rows, each written twice (slots r and r + kh) so that the kh rows
   * of any window lie one after another; 4-byte aligned (after int32s) */
  int8_t rows[2 * TNN_DW_MAX_KH][TNN_DW_PITCH];
  int8_t wp[TNN_DW_MAX_KH * TNN_DW_MAX_KW];
} tnn_dw_stack;

/* A chunk of output columns [ox0, ox0 + n) and its staged input columns: ix0 is the first,
 * [a, b) of them (relative to ix0) lie inside the map, the rest is padding. */
typedef struct {
  int32_t ox0, n, ix0, a, b;
} tnn_dw_chunk;

/* Input row y (padding when outside the map) into its two ring slots. */
static void tnn_dw_stage(const tnn_dw_channel* ch, tnn_dw_stack* st, const tnn_dw_chunk* k,
                         int32_t y, uint32_t pad) {
  const int32_t slot = (y + ch->ph) % ch->kh;
  int8_t* d0 = st->rows[slot];
  int8_t* d1 = st->rows[slot + ch->kh];
  if (y >= 0 && y < ch->in_h) {
    tnn_dw_gather(d0 + k->a, d1 + k->a, ch->x + y * ch->ys + (k->ix0 + k->a) * ch->xs,
                  k->b - k->a, ch->xs);
  } else {
    tnn_dw_fill_words(d0, TNN_DW_PITCH / 4, pad);
    tnn_dw_fill_words(d1, TNN_DW_PITCH / 4, pad);
  }
}

/* One channel's outputs in the chunk's columns, row by row: stage the rows the window
 * reaches that are not staged yet, run the row kernel into the tile, requantize it. */
static void tnn_dw_chunk_rows(const tnn_dw_channel* ch, tnn_dw_stack* st, const tnn_dw_chunk* k,
                              int32_t kw4, uint32_t pad) {
  const int k3s1 = ch->kh == 3 && ch->kw == 3 && ch->sw == 1,
            k3s2 = ch->kh == 3 && ch->kw == 3 && ch->sw == 2;
  int32_t next = -ch->ph, oy, y; /* next: the first row not staged yet */
  for (oy = 0; oy < ch->out_h; ++oy) {
    const int32_t iy = oy * ch->sh - ch->ph;
    const int8_t* x = st->rows[(iy + ch->ph) % ch->kh];
    for (y = next > iy ? next : iy; y < iy + ch->kh; ++y) tnn_dw_stage(ch, st, k, y, pad);
    next = iy + ch->kh;
    if (k3s1) tnn_dw_k3s1(x, k->n, ch->w, ch->inner, st->acc);
    else if (k3s2) tnn_dw_k3s2(x, k->n, ch->w, ch->inner, st->acc);
    else tnn_dw_kgen(x, k->n, st->wp, ch->kh, kw4, ch->sw, ch->inner, st->acc);
    tnn_dw_requant(ch, st->acc, k->n, ch->y + (oy * ch->out_w + k->ox0) * ch->oxs);
  }
}

/* Channel c's weights, bias, input and output pointers and requantization into ch (the
 * layer's fields set). */
static void tnn_dw_channel_init(tnn_dw_channel* ch, int32_t c, const int8_t* input,
                                const int8_t* w, const int32_t* bias,
                                const tnn_per_channel_quant* quant, int8_t* output) {
  const int32_t taps = ch->kh * ch->kw;
  int32_t sum_w = 0, t;
  ch->x = input + c;
  ch->w = w;
  ch->y = output + c;
  for (t = 0; t < taps; ++t) sum_w += ch->w[t];
  ch->bias = bias ? bias[c] : 0;
  ch->inner = ch->bias + ch->offset * sum_w;
  ch->mult = quant->multiplier[c];
  ch->shift = quant->shift[c];
  ch->o = tnn_out_fast_of(ch->out_offset, &ch->act);
  ch->rq_kind = tnn_rq_kind(&ch->o, ch->mult, ch->shift);
  ch->m2 = tnn_rq_m2(ch->mult), ch->e1 = tnn_rq_e1(ch->shift);
}

/* ---- small maps, 3x3 stride 1: four channels' planes staged whole ----------------------
 *
 * A map of at most TNN_DW_PLANE_ROWS rows and TNN_DW_PLANE_PITCH bytes with its padding
 * (14x14 and 7x7 in the shipped spaces) is staged whole for four channels at once: four
 * input pixels' words of those channels are transposed in registers into a word of four
 * pixels per channel (about 7 instructions a pixel for the four instead of 5 a byte), the
 * padding written once a layer. Each channel then runs every output row in one call into a
 * plane of sums and requantizes them in one loop: no ring of rows and no call per row. */

#define TNN_DW_PLANE_PITCH 24 /* bytes per staged row, multiple of 4: maps up to 18 wide
                               * with padding 1, 20 without */
#define TNN_DW_PLANE_ROWS 16  /* staged rows: maps up to 14 high with padding 1, 16 without */
#define TNN_DW_PLANE_OUTS 256 /* outputs of a channel: its sums on the stack */

typedef struct {
  int32_t acc[TNN_DW_PLANE_OUTS + 1]; /* + the odd last output's slack */
  int8_t planes[4][TNN_DW_PLANE_ROWS][TNN_DW_PLANE_PITCH]; /* 4-byte aligned */
} tnn_dw_plane_stack;

static int tnn_dw_plane_applies(const tnn_dw_channel* ch) {
  return ch->kh == 3 && ch->kw == 3 && ch->sh == 1 && ch->sw == 1 && ch->ph <= 1 &&
         ch->pw <= 1 && ch->in_h + 2 * ch->ph <= TNN_DW_PLANE_ROWS &&
         ch->in_w + 2 * ch->pw + TNN_DW_SLACK <= TNN_DW_PLANE_PITCH &&
         ch->out_h * ch->out_w <= TNN_DW_PLANE_OUTS;
}

/* The layer's fields of ch (the channel's are tnn_dw_channel_init's). */
static void tnn_dw_layer_init(tnn_dw_channel* ch, const tnn_conv_params* p,
                              const tnn_dims* in_d, const tnn_dims* f_d, const tnn_dims* out_d) {
  ch->in_h = in_d->h, ch->in_w = in_d->w;
  ch->xs = in_d->c, ch->ys = in_d->w * in_d->c;
  ch->kh = f_d->h, ch->kw = f_d->w;
  ch->sh = p->stride.h, ch->sw = p->stride.w, ch->ph = p->padding.h, ch->pw = p->padding.w;
  ch->offset = p->input_offset;
  ch->out_offset = p->output_offset;
  ch->act = p->activation;
  ch->out_h = out_d->h, ch->out_w = out_d->w, ch->oxs = out_d->c;
}

int tnn_dw_planes_apply(const tnn_conv_params* p, const tnn_dims* in_d, const tnn_dims* f_d,
                        const tnn_dims* out_d) {
  tnn_dw_channel ch;
  tnn_dw_layer_init(&ch, p, in_d, f_d, out_d);
  return tnn_dw_plane_applies(&ch);
}

/* Input row y of channels c0 .. c0 + g - 1 (g <= 4) into the planes' row y + ph: four
 * pixels' words of four channels a step, their bytes transposed so that each channel's
 * four pixels are one word (t0 = a0 b0 a2 b2, t1 = a1 b1 a3 b3 of pixels a, b; t2, t3 of
 * the next two). */
/* The bytes of four pixels' words v0..v3 of four channels transposed into each channel's
 * plane at byte i: t0 = a0 b0 a2 b2, t1 = a1 b1 a3 b3 of pixels a, b; t2, t3 of the other
 * two. */
TNN_HOT void tnn_dw_store4(int8_t* const* d, int32_t i, uint32_t v0, uint32_t v1, uint32_t v2,
                           uint32_t v3) {
  const uint32_t t0 = (v0 & 0x00FF00FFu) | ((v1 & 0x00FF00FFu) << 8);
  const uint32_t t1 = ((v0 >> 8) & 0x00FF00FFu) | (v1 & 0xFF00FF00u);
  const uint32_t t2 = (v2 & 0x00FF00FFu) | ((v3 & 0x00FF00FFu) << 8);
  const uint32_t t3 = ((v2 >> 8) & 0x00FF00FFu) | (v3 & 0xFF00FF00u);
  const uint32_t w0 = (t0 & 0xFFFFu) | (t2 << 16), w1 = (t1 & 0xFFFFu) | (t3 << 16);
  const uint32_t w2 = (t0 >> 16) | (t2 & 0xFFFF0000u), w3 = (t1 >> 16) | (t3 & 0xFFFF0000u);
  memcpy(d[0] + i, &w0, 4);
  memcpy(d[1] + i, &w1, 4);
  memcpy(d[2] + i, &w2, 4);
  memcpy(d[3] + i, &w3, 4);
}

/* Input row y of channels c0 .. c0 + g - 1 (g <= 4) into the planes' row y + ph: four
 * pixels' words of four channels a step (tnn_dw_store4); the last 1-3 pixels with the zero
 * point's bytes behind them, which land on the right padding (pw = 1) and the slack, where
 * the zero point is right too. Fewer than four channels go byte by byte. */
TNN_SHARED void tnn_dw_plane_gather(const tnn_dw_channel* ch, tnn_dw_plane_stack* st,
                                    const int8_t* input, int32_t c0, int32_t g, int32_t y) {
  const int32_t xs = ch->xs, n = ch->in_w, r = y + ch->ph;
  const int8_t* src = input + y * ch->ys + c0;
  int8_t* const d[4] = {&st->planes[0][r][ch->pw], &st->planes[1][r][ch->pw],
                        &st->planes[2][r][ch->pw], &st->planes[3][r][ch->pw]};
  int32_t i = 0, j;
  if (g == 4) {
    const uint32_t pad = (uint8_t)(int8_t)-ch->offset * 0x01010101u;
    for (; i + 4 <= n; i += 4, src += 4 * xs)
      tnn_dw_store4(d, i, (uint32_t)tnn_read_s8x4(src), (uint32_t)tnn_read_s8x4(src + xs),
                    (uint32_t)tnn_read_s8x4(src + 2 * xs), (uint32_t)tnn_read_s8x4(src + 3 * xs));
    if (i < n)
      tnn_dw_store4(d, i, (uint32_t)tnn_read_s8x4(src),
                    n - i > 1 ? (uint32_t)tnn_read_s8x4(src + xs) : pad,
                    n - i > 2 ? (uint32_t)tnn_read_s8x4(src + 2 * xs) : pad, pad);
    return;
  }
  for (; i < n; ++i, src += xs)
    for (j = 0; j < g; ++j) st->planes[j][r][ch->pw + i] = src[j];
}

/* Every output row of one channel's staged plane x: rows oy .. oy + 2 for output row oy;
 * acc[oy * n + ox] (tnn_dw_k3s1's steps of two; an odd n's slack is the next row's first
 * sum, written again after it). */
TNN_SHARED void tnn_dw_plane_rows(const int8_t* x, int32_t rows, int32_t n, const int8_t* w,
                                  int32_t base, int32_t* acc) {
  const tnn_dw_k3 k = tnn_dw_k3_of(w);
  for (; rows > 0; --rows, x += TNN_DW_PLANE_PITCH)
    acc = tnn_dw_k3s1_row(x, n, &k, base, acc, TNN_DW_PLANE_PITCH);
}

static void tnn_dw_planes(tnn_dw_channel* ch, const int8_t* input, const int32_t* bias,
                          const tnn_per_channel_quant* quant, int8_t* output, int32_t C,
                          tnn_dw_weights_fn weights, void* ctx) {
  tnn_dw_plane_stack st;
  const int32_t outs = ch->out_h * ch->out_w;
  int8_t w[4][9];
  int32_t c0, j, y;
  memset(st.planes, (uint8_t)(int8_t)-ch->offset, sizeof st.planes); /* the padding */
  for (c0 = 0; c0 < C; c0 += 4) {
    const int32_t g = C - c0 < 4 ? C - c0 : 4;
    int take[4], any = 0;
    for (j = 0; j < g; ++j) any |= take[j] = weights(ctx, c0 + j, w[j]);
    if (!any) continue;
    for (y = 0; y < ch->in_h; ++y) tnn_dw_plane_gather(ch, &st, input, c0, g, y);
    for (j = 0; j < g; ++j) {
      if (!take[j]) continue;
      tnn_dw_channel_init(ch, c0 + j, input, w[j], bias, quant, output);
      tnn_dw_plane_rows(&st.planes[j][0][0], ch->out_h, ch->out_w, ch->w, ch->inner, st.acc);
      tnn_dw_requant(ch, st.acc, outs, ch->y);
    }
  }
}

void tnn_dw_planes_s8(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                      const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                      const int32_t* bias, const tnn_dims* out_d, int8_t* output,
                      tnn_dw_weights_fn weights, void* ctx) {
  tnn_dw_channel ch;
  tnn_dw_layer_init(&ch, p, in_d, f_d, out_d);
  tnn_dw_planes(&ch, input, bias, quant, output, in_d->c, weights, ctx);
}

/* The dense filter's channel c (every channel takes the planes). */
static int tnn_dw_dense_weights(void* ctx, int32_t c, int8_t* w) {
  memcpy(w, (const int8_t*)ctx + 9 * c, 9);
  return 1;
}

/* The layer by rows staged in a ring (any kernel the buffer holds, any stride), per pixel
 * beyond; a function of its own, so that its stack is not held under the planes'. */
TNN_SHARED void tnn_dw_ring(tnn_dw_channel* ch, const tnn_per_channel_quant* quant,
                            const tnn_dims* in_d, const int8_t* input, const int8_t* filter,
                            const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  tnn_dw_stack st;
  tnn_dw_chunk k;
  const int32_t kw4 = (ch->kw + 3) & ~3;
  const uint32_t pad = (uint8_t)(int8_t)-ch->offset * 0x01010101u;
  /* `per` windows of a row fit a staged row; a kernel beyond the buffer runs per pixel */
  const int staged = ch->kh <= TNN_DW_MAX_KH && ch->kw <= TNN_DW_MAX_KW &&
                     ch->sw + kw4 + TNN_DW_SLACK <= TNN_DW_PITCH;
  const int32_t per = staged ? (TNN_DW_PITCH - kw4 - TNN_DW_SLACK) / ch->sw + 1 : out_d->w;
  int32_t c, t, oy, ox;
  for (k.ox0 = 0; k.ox0 < out_d->w; k.ox0 += per) {
    const int32_t len = (per - 1) * ch->sw + kw4 + TNN_DW_SLACK;
    k.n = out_d->w - k.ox0 < per ? out_d->w - k.ox0 : per;
    k.ix0 = k.ox0 * ch->sw - ch->pw;
    k.a = k.ix0 < 0 ? (-k.ix0 < len ? -k.ix0 : len) : 0;
    k.b = k.ix0 + len > ch->in_w ? (ch->in_w - k.ix0 > k.a ? ch->in_w - k.ix0 : k.a) : len;
    if (staged) tnn_dw_fill_words(st.rows[0], 2 * ch->kh * TNN_DW_PITCH / 4, pad);
    for (c = 0; c < in_d->c; ++c) {
      tnn_dw_channel_init(ch, c, input, filter + c * ch->kh * ch->kw, bias, quant, output);
      if (!staged) {
        for (oy = 0; oy < ch->out_h; ++oy)
          for (ox = 0; ox < ch->out_w; ++ox) tnn_dw_pixel(ch, oy, ox);
        continue;
      }
      if (ch->kh != 3 || ch->kw != 3 || ch->sw > 2) { /* tnn_dw_kgen's zero-padded rows */
        tnn_dw_fill_words(st.wp, ch->kh * kw4 / 4, 0);
        for (t = 0; t < ch->kh; ++t) memcpy(st.wp + t * kw4, ch->w + t * ch->kw, (size_t)ch->kw);
      }
      tnn_dw_chunk_rows(ch, &st, &k, kw4, pad);
    }
  }
}

void tnn_depthwise_conv_s8(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                           const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                           const int8_t* filter, const int32_t* bias, const tnn_dims* out_d,
                           int8_t* output) {
  tnn_dw_channel ch;
  tnn_dw_layer_init(&ch, p, in_d, f_d, out_d);
  if (tnn_dw_plane_applies(&ch))
    tnn_dw_planes(&ch, input, bias, quant, output, in_d->c, tnn_dw_dense_weights,
                  (void*)(uintptr_t)filter);
  else
    tnn_dw_ring(&ch, quant, in_d, input, filter, bias, out_d, output);
}

#endif
