#include "tnn_sparse_sweep.h"

#include "tnn_check.h"
#include "tnn_dsp.h"
#include "tnn_math.h"

/* Pixels per pass of a row with three or more stored blocks: their sums stay on the
 * stack while each block runs over them (in registers for one and two blocks). */
#define TNN_SWEEP_CHUNK 16

typedef struct {
  int32_t off;    /* the block's byte offset in a pixel's input */
  int32_t wl, wh; /* its weights as (w0 w2) and (w1 w3), the pairs SXTB16 makes */
} tnn_sweep_blk;

/* One output channel's coded row, parsed. */
typedef struct {
  const uint8_t* e; /* its first entry (d byte) */
  int32_t n;        /* its stored blocks */
  int32_t off0;     /* the first one's byte offset in a pixel's input */
  uint32_t bias;    /* bias + input offset * sum of its weights, modulo 2^32 */
  tnn_sweep_blk blk[3]; /* the first min(n, 3), unpacked */
} tnn_sweep_row;

/* What the loops over pixels need of the layer and the row, as locals (the int8 stores
 * may alias anything behind a pointer). */
typedef struct {
  const int8_t* input;
  int32_t pixels, in_c, oc;
  int32_t m2, e1;      /* the fast requantization's constants (tnn_math.h) */
  int32_t mult, shift; /* tnn_output_s8's */
  tnn_out_fast o;
  tnn_activation act;
} tnn_sweep_ctx;

int tnn_sweep_applies(const tnn_rle_weights* w, int32_t rows, int32_t row_len) {
  uint32_t n;
  if (!w || !w->data || (w->block != 4 && w->block != 2) || row_len % w->block != 0 || rows < 1 ||
      w->size < 4)
    return 0;
  n = tnn_read_u32(w->data);
  return 2 * (int64_t)n <= (int64_t)(w->block == 4 ? TNN_SWEEP_MAX_BLOCKS_X2 : TNN_SWEEP2_MAX_BLOCKS_X2) * rows;
}

/* A block's weights as the pairs its products take: blocks of 4 as (w0 w2) and (w1 w3),
 * the pairs SXTB16 makes of an input word; blocks of 2 as (w0 w1) (wh unused). */
static inline void tnn_sweep_unpack(const int8_t* v, int32_t* wl, int32_t* wh, const int32_t B) {
  if (B == 4) {
    const int32_t w = tnn_read_s8x4(v);
    *wl = tnn_sxtb16(w);
    *wh = tnn_sxtb16_ror8(w);
  } else {
    *wl = tnn_pkhbt(v[0], v[1]);
    *wh = 0;
  }
}

/* A pixel's input values of one block: a word, or for blocks of 2 the two bytes x0 x1 as
 * bytes 0 and 2 of a word (the halfword ORed with itself shifted by 8: byte 1 is not read). */
static inline int32_t tnn_sweep_load(const int8_t* x, const int32_t B) {
  if (B == 4) return tnn_read_s8x4(x);
  {
    uint16_t h;
    memcpy(&h, x, 2);
    return (int32_t)((uint32_t)h | ((uint32_t)h << 8));
  }
}

/* acc + the products of one block (weights wl, wh) with the input values v. */
static inline int32_t tnn_sweep_mac(int32_t wl, int32_t wh, int32_t v, int32_t acc, const int32_t B) {
  if (B == 4) return tnn_smlad(wh, tnn_sxtb16_ror8(v), tnn_smlad(wl, tnn_sxtb16(v), acc));
  return tnn_smlad(wl, tnn_sxtb16(v), acc);
}

/* The next block of a row's walk: its weights' pairs and its byte offset in a pixel's
 * input (*off: the previous one's, updated; `first`: the row's first entry at e). */
static inline tnn_sweep_blk tnn_sweep_next(const uint8_t* e, int32_t* off, int first, const int32_t B) {
  tnn_sweep_blk b;
  if (!first) *off += B * (1 + e[0]);
  b.off = *off;
  tnn_sweep_unpack((const int8_t*)e + 1, &b.wl, &b.wh, B);
  return b;
}

/* Row `r` from the entry at *e on (*left entries remain, *g the block index of the one
 * before it, -1 at the start), advancing them past the row's entries. */
static void tnn_sweep_parse(tnn_sweep_row* row, int32_t r, int32_t bpr, const uint8_t** e,
                            uint32_t* left, int64_t* g, const tnn_sweep_layer* l) {
  const int32_t B = l->filter->block;
  const int64_t row_start = (int64_t)r * bpr, row_end = row_start + bpr;
  int32_t sum = 0, j;
  row->e = *e;
  row->n = 0;
  while (*left > 0 && *g + 1 + (*e)[0] < row_end) {
    const int8_t* v = (const int8_t*)*e + 1;
    *g += 1 + (*e)[0];
    for (j = 0; j < B; ++j) sum += v[j];
    if (row->n == 0) row->off0 = (int32_t)(*g - row_start) * B;
    if (row->n < 3) {
      tnn_sweep_blk* b = &row->blk[row->n];
      b->off = (int32_t)(*g - row_start) * B;
      tnn_sweep_unpack(v, &b->wl, &b->wh, B);
    }
    ++row->n;
    *e += 1 + B;
    --*left;
  }
  row->bias = (uint32_t)(l->bias ? l->bias[r] : 0) + (uint32_t)l->input_offset * (uint32_t)sum;
}

/* sums[k] = the row's sum for pixel k of the n (<= TNN_SWEEP_CHUNK) from input x on:
 * two blocks at a time over the n pixels, the first two starting from the bias, a last
 * odd one alone. */
TNN_HOT void tnn_sweep_sums(const tnn_sweep_row* row, const int8_t* x, int32_t step, int32_t n,
                            int32_t* sums, const int32_t B) {
  const uint8_t* e = row->e;
  int32_t i, off = row->off0;
  int32_t* const s_end = sums + n;
  for (i = 0; i + 1 < row->n; i += 2, e += 2 * (1 + B)) {
    const tnn_sweep_blk a = tnn_sweep_next(e, &off, i == 0, B);
    const tnn_sweep_blk b = tnn_sweep_next(e + 1 + B, &off, 0, B);
    const int32_t d = b.off - a.off;
    const int8_t* xp = x + a.off;
    int32_t* s = sums;
    if (i == 0) {
      const int32_t bias = (int32_t)row->bias;
      for (; s != s_end; ++s, xp += step)
        *s = tnn_sweep_mac(b.wl, b.wh, tnn_sweep_load(xp + d, B),
                           tnn_sweep_mac(a.wl, a.wh, tnn_sweep_load(xp, B), bias, B), B);
    } else {
      for (; s != s_end; ++s, xp += step)
        *s = tnn_sweep_mac(b.wl, b.wh, tnn_sweep_load(xp + d, B),
                           tnn_sweep_mac(a.wl, a.wh, tnn_sweep_load(xp, B), *s, B), B);
    }
  }
  if (i < row->n) {
    const tnn_sweep_blk a = tnn_sweep_next(e, &off, i == 0, B);
    const int8_t* xp = x + a.off;
    int32_t* s = sums;
    if (i == 0)
      for (; s != s_end; ++s, xp += step)
        *s = tnn_sweep_mac(a.wl, a.wh, tnn_sweep_load(xp, B), (int32_t)row->bias, B);
    else
      for (; s != s_end; ++s, xp += step) *s = tnn_sweep_mac(a.wl, a.wh, tnn_sweep_load(xp, B), *s, B);
  } else if (row->n == 0) {
    int32_t* s = sums;
    for (; s != s_end; ++s) *s = (int32_t)row->bias;
  }
}

static int8_t tnn_sweep_out(int32_t acc, const tnn_sweep_ctx* c, const int kind) {
  if (kind == TNN_RQ_SLOW) return tnn_output_s8(acc, c->mult, c->shift, c->o.offset, &c->act);
  return (int8_t)tnn_output_fast(acc, c->m2, c->e1, &c->o, kind);
}

/* The row's outputs y[p * oc] for every pixel p, `kind` a constant where inlined. Rows of
 * one or two blocks take two pixels a step (their weights, the bias and the
 * requantization's constants stay in registers); more go through the stack in chunks. */
TNN_HOT void tnn_sweep_row_k(const tnn_sweep_row* row, const tnn_sweep_ctx* cp, int8_t* y,
                             const int kind, const int32_t B) {
  const tnn_sweep_ctx c = *cp;
  const int32_t b = (int32_t)row->bias, step = c.in_c, oc = c.oc;
  int32_t p = c.pixels;
  if (row->n == 0) { /* every output the requantized bias */
    const int8_t v = tnn_sweep_out(b, &c, kind);
    if (p & 1) *y = v, y += oc;
    for (p >>= 1; p > 0; --p, y += 2 * oc) y[0] = v, y[oc] = v;
  } else if (row->n == 1) {
    const int32_t wl = row->blk[0].wl, wh = row->blk[0].wh;
    const int8_t* x = c.input + row->blk[0].off;
    if (p & 1) {
      *y = tnn_sweep_out(tnn_sweep_mac(wl, wh, tnn_sweep_load(x, B), b, B), &c, kind);
      x += step, y += oc;
    }
    for (p >>= 1; p > 0; --p) { /* single steps: twice the strides would take registers */
      const int32_t v0 = tnn_sweep_load(x, B);
      int32_t a0, a1;
      x += step;
      a0 = tnn_sweep_mac(wl, wh, v0, b, B);
      a1 = tnn_sweep_mac(wl, wh, tnn_sweep_load(x, B), b, B);
      x += step;
      *y = tnn_sweep_out(a0, &c, kind);
      y += oc;
      *y = tnn_sweep_out(a1, &c, kind);
      y += oc;
    }
  } else if (row->n == 2) {
    const int32_t wl0 = row->blk[0].wl, wh0 = row->blk[0].wh;
    const int32_t wl1 = row->blk[1].wl, wh1 = row->blk[1].wh;
    const int32_t d = row->blk[1].off - row->blk[0].off;
    const int8_t* x = c.input + row->blk[0].off;
    if (p & 1) {
      const int32_t acc = tnn_sweep_mac(wl0, wh0, tnn_sweep_load(x, B), b, B);
      *y = tnn_sweep_out(tnn_sweep_mac(wl1, wh1, tnn_sweep_load(x + d, B), acc, B), &c, kind);
      x += step, y += oc;
    }
    for (p >>= 1; p > 0; --p) {
      int32_t a0, a1;
      a0 = tnn_sweep_mac(wl1, wh1, tnn_sweep_load(x + d, B), tnn_sweep_mac(wl0, wh0, tnn_sweep_load(x, B), b, B), B);
      x += step;
      a1 = tnn_sweep_mac(wl1, wh1, tnn_sweep_load(x + d, B), tnn_sweep_mac(wl0, wh0, tnn_sweep_load(x, B), b, B), B);
      x += step;
      *y = tnn_sweep_out(a0, &c, kind);
      y += oc;
      *y = tnn_sweep_out(a1, &c, kind);
      y += oc;
    }
  } else if (B == 2 && row->n == 3) { /* three pairs of weights still fit the registers */
    const int32_t w0 = row->blk[0].wl, w1 = row->blk[1].wl, w2 = row->blk[2].wl;
    const int32_t d1 = row->blk[1].off - row->blk[0].off, d2 = row->blk[2].off - row->blk[0].off;
    const int8_t* x = c.input + row->blk[0].off;
    for (; p > 0; --p) {
      int32_t a = tnn_sweep_mac(w0, 0, tnn_sweep_load(x, B), b, B);
      a = tnn_sweep_mac(w1, 0, tnn_sweep_load(x + d1, B), a, B);
      a = tnn_sweep_mac(w2, 0, tnn_sweep_load(x + d2, B), a, B);
      x += step;
      *y = tnn_sweep_out(a, &c, kind);
      y += oc;
    }
  } else {
    const int8_t* x = c.input;
    int32_t sums[TNN_SWEEP_CHUNK];
    for (; p > 0; p -= TNN_SWEEP_CHUNK, x += TNN_SWEEP_CHUNK * step) {
      const int32_t n = p < TNN_SWEEP_CHUNK ? p : TNN_SWEEP_CHUNK;
      int32_t k;
      tnn_sweep_sums(row, x, step, n, sums, B);
      for (k = 0; k < n; ++k, y += oc) *y = tnn_sweep_out(sums[k], &c, kind);
    }
  }
}

/* One instance per common kind and block size, each a function of its own (its loops keep
 * their registers); the others share one. */
TNN_SHARED void tnn_sweep_row_s8_b4(const tnn_sweep_row* row, const tnn_sweep_ctx* c, int8_t* y) {
  tnn_sweep_row_k(row, c, y, TNN_RQ_S8, 4);
}
TNN_SHARED void tnn_sweep_row_relu_b4(const tnn_sweep_row* row, const tnn_sweep_ctx* c, int8_t* y) {
  tnn_sweep_row_k(row, c, y, TNN_RQ_RELU, 4);
}
TNN_SHARED void tnn_sweep_row_s8_b2(const tnn_sweep_row* row, const tnn_sweep_ctx* c, int8_t* y) {
  tnn_sweep_row_k(row, c, y, TNN_RQ_S8, 2);
}
TNN_SHARED void tnn_sweep_row_relu_b2(const tnn_sweep_row* row, const tnn_sweep_ctx* c, int8_t* y) {
  tnn_sweep_row_k(row, c, y, TNN_RQ_RELU, 2);
}
TNN_SHARED void tnn_sweep_row_other(const tnn_sweep_row* row, const tnn_sweep_ctx* c, int8_t* y,
                                    int kind, int32_t B) {
  const int32_t step = c->in_c, oc = c->oc;
  const int8_t* x = c->input;
  int32_t p, sums[TNN_SWEEP_CHUNK];
  for (p = c->pixels; p > 0; p -= TNN_SWEEP_CHUNK, x += TNN_SWEEP_CHUNK * step) {
    const int32_t n = p < TNN_SWEEP_CHUNK ? p : TNN_SWEEP_CHUNK;
    int32_t k;
    if (B == 4)
      tnn_sweep_sums(row, x, step, n, sums, 4);
    else
      tnn_sweep_sums(row, x, step, n, sums, 2);
    for (k = 0; k < n; ++k, y += oc)
      *y = kind == TNN_RQ_SLOW ? tnn_sweep_out(sums[k], c, TNN_RQ_SLOW)
                               : tnn_sweep_out(sums[k], c, TNN_RQ_RANGE);
  }
}

void tnn_sparse_sweep(const tnn_sweep_layer* l) {
  const int32_t B = l->filter->block, bpr = l->in_c / B;
  const int kind = tnn_rq_layer_kind(l->quant->multiplier, l->quant->shift, l->rows,
                                     l->output_offset, &l->activation);
  const uint8_t* e = l->filter->data + 4;
  uint32_t left = tnn_read_u32(l->filter->data);
  int64_t g = -1;
  tnn_sweep_ctx c;
  tnn_sweep_row row;
  int32_t r;
  c.input = l->input;
  c.pixels = l->pixels;
  c.in_c = l->in_c;
  c.oc = l->rows;
  c.o = tnn_out_fast_of(l->output_offset, &l->activation);
  c.act = l->activation;
  for (r = 0; r < l->rows; ++r) {
    tnn_sweep_parse(&row, r, bpr, &e, &left, &g, l);
    c.mult = l->quant->multiplier[r];
    c.shift = l->quant->shift[r];
    c.m2 = tnn_rq_m2(c.mult);
    c.e1 = tnn_rq_e1(c.shift);
    if (kind == TNN_RQ_S8)
      (B == 4 ? tnn_sweep_row_s8_b4 : tnn_sweep_row_s8_b2)(&row, &c, l->output + r);
    else if (kind == TNN_RQ_RELU)
      (B == 4 ? tnn_sweep_row_relu_b4 : tnn_sweep_row_relu_b2)(&row, &c, l->output + r);
    else
      tnn_sweep_row_other(&row, &c, l->output + r, kind, B);
  }
}
