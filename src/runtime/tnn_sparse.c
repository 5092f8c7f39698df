#include "tnn_sparse.h"

#include "tnn_check.h"

/* The hot loops are written once with the block size B as a parameter and inlined into
 * one instance per common block size, where B is a constant: the per-value loops unroll
 * and no entry tests the block size. What does not depend on B (requantization, the
 * receptive field) stays out of line, shared by the instances, to keep the code small.
 * GCC and Clang (also for Arm) honour the attributes; elsewhere the instances are
 * ordinary inline functions, still correct. */
#if defined(__GNUC__)
#define TNN_HOT static inline __attribute__((always_inline))
#define TNN_SHARED static __attribute__((noinline))
#else
#define TNN_HOT static inline
#define TNN_SHARED static
#endif

/* Runs the statements for j = 0 .. B-1; unrolled whenever B is a constant up to 4, at
 * any optimisation level. */
#define TNN_FOR_BLOCK(B, ...)                \
  do {                                       \
    if ((B) <= 4) {                          \
      if ((B) >= 1) {                        \
        const int32_t j = 0;                 \
        __VA_ARGS__                          \
      }                                      \
      if ((B) >= 2) {                        \
        const int32_t j = 1;                 \
        __VA_ARGS__                          \
      }                                      \
      if ((B) >= 3) {                        \
        const int32_t j = 2;                 \
        __VA_ARGS__                          \
      }                                      \
      if ((B) >= 4) {                        \
        const int32_t j = 3;                 \
        __VA_ARGS__                          \
      }                                      \
    } else {                                 \
      int32_t j;                             \
      for (j = 0; j < (B); ++j) __VA_ARGS__  \
    }                                        \
  } while (0)

static uint32_t tnn_read_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

tnn_status tnn_rle_validate(const tnn_rle_weights* w, int32_t rows, int32_t row_len) {
  int64_t blocks_per_row, total, next = 0;
  uint32_t n, e;
  const uint8_t* p;
  if (!w || !w->data || w->block < 1 || rows < 1 || row_len < 1) return TNN_ERR_ARG;
  if (w->size < 4) return TNN_ERR_MODEL;
  blocks_per_row = (row_len + w->block - 1) / w->block;
  total = (int64_t)rows * blocks_per_row;
  n = tnn_read_u32(w->data);
  if ((int64_t)n * (1 + w->block) != (int64_t)w->size - 4) return TNN_ERR_MODEL;
  p = w->data + 4;
  for (e = 0; e < n; ++e, p += 1 + w->block) {
    const int64_t blk = next + p[0];
    int32_t j, real;
    if (blk >= total) return TNN_ERR_MODEL; /* skips past the tensor */
    real = blk % blocks_per_row == blocks_per_row - 1
               ? row_len - (int32_t)(blocks_per_row - 1) * w->block
               : w->block;
    for (j = real; j < w->block; ++j)
      if (p[1 + j] != 0) return TNN_ERR_MODEL; /* padding of a short block */
    next = blk + 1;
  }
  return TNN_OK;
}

/* The walk of a validated stream, row by row. `rel` is the block number the next entry's
 * skip counts from, relative to the first block of the current row; moving to the next
 * row subtracts the blocks per row (rel may go negative while the previous stored block
 * lies rows back). Rows of `row_len` values hold `nfull` full blocks, then a short block
 * of `tail` values when tail > 0 (its padding is zero, validated, but the values behind
 * the row's end are never read: they may lie outside the activations). */
typedef struct {
  const uint8_t* p;   /* the next entry */
  uint32_t remaining; /* entries left */
  int32_t rel;
} tnn_rle_walk;

typedef struct {
  int32_t bpr, nfull, tail; /* blocks per row, full ones, values of the short one */
} tnn_rle_rows;

static void tnn_rle_walk_begin(tnn_rle_walk* c, const tnn_rle_weights* w) {
  c->p = w->data + 4;
  c->remaining = tnn_read_u32(w->data);
  c->rel = 0;
}

static tnn_rle_rows tnn_rle_rows_of(int32_t row_len, int32_t block) {
  tnn_rle_rows r;
  r.bpr = (row_len + block - 1) / block;
  r.nfull = row_len / block;
  r.tail = row_len - r.nfull * block;
  return r;
}

/* ---- 1x1 conv and linear: four pixels (tokens) per parse of the stream ---------------- */

#define TNN_PW_TILE 4

typedef struct {
  const tnn_rle_weights* filter;
  tnn_rle_rows rows;
  int32_t out_c, icg, ocg;
  int32_t input_offset, output_offset;
  tnn_activation act;
  const int32_t* bias;
  const tnn_per_channel_quant* quant;
} tnn_pw_job;

/* Output channel oc of the tile's pixels from their sums a0..a3 and the row's weight sum. */
TNN_SHARED void tnn_pw_store(const tnn_pw_job* job, int32_t oc, int32_t a0, int32_t a1,
                             int32_t a2, int32_t a3, int32_t wsum, int32_t n, int32_t pad,
                             int8_t* const* y) {
  /* locals: the int8 stores below may alias anything the job points to */
  const int32_t bias = job->bias ? job->bias[oc] : 0, base = bias + job->input_offset * wsum;
  const int32_t mult = job->quant->multiplier[oc], shift = job->quant->shift[oc];
  const int32_t out_off = job->output_offset;
  const tnn_activation act = job->act;
  int8_t *y0 = y[0] + oc, *y1 = y[1] + oc, *y2 = y[2] + oc, *y3 = y[3] + oc;
  if (n == TNN_PW_TILE && !pad) { /* four independent requantizations, no tests */
    const int8_t r0 = tnn_output_s8(a0 + base, mult, shift, out_off, &act);
    const int8_t r1 = tnn_output_s8(a1 + base, mult, shift, out_off, &act);
    const int8_t r2 = tnn_output_s8(a2 + base, mult, shift, out_off, &act);
    const int8_t r3 = tnn_output_s8(a3 + base, mult, shift, out_off, &act);
    *y0 = r0;
    *y1 = r1;
    *y2 = r2;
    *y3 = r3;
  } else {
    int32_t acc[TNN_PW_TILE], k;
    int8_t* dst[TNN_PW_TILE];
    acc[0] = a0 + base;
    acc[1] = a1 + base;
    acc[2] = a2 + base;
    acc[3] = a3 + base;
    dst[0] = y0;
    dst[1] = y1;
    dst[2] = y2;
    dst[3] = y3;
    for (k = 0; k < n; ++k) {
      if (pad & (1 << k)) acc[k] = bias; /* a padding pixel adds 0 */
      *dst[k] = tnn_output_s8(acc[k], mult, shift, out_off, &act);
    }
  }
}

/* All output channels of the pixels x[0..3] (int8 activations of group 0, read in place;
 * a padding pixel points at any real pixel and has its bit in `pad`, its sum dropped).
 * Outputs go to y[k][oc] for k < n. The input offset is applied once per row through the
 * sum of the row's weights: sum w * (x + offset) = sum w * x + offset * sum w. */
TNN_HOT void tnn_pw_tile(const tnn_pw_job* job, const int8_t* const* x, int32_t n, int32_t pad,
                         int8_t* const* y, const int32_t B) {
  const int32_t nfull = job->rows.nfull, tail = job->rows.tail, bpr = job->rows.bpr;
  const int32_t icg = job->icg, ocg = job->ocg;
  const int8_t *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  tnn_rle_walk c;
  int32_t oc, in_group = 0;
  tnn_rle_walk_begin(&c, job->filter);
  for (oc = 0; oc < job->out_c; ++oc) {
    const uint8_t* p = c.p;
    uint32_t rem = c.remaining;
    int32_t rel = c.rel;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s = 0, i;
    if (in_group == ocg) { /* the next group's input channels */
      in_group = 0;
      x0 += icg;
      x1 += icg;
      x2 += icg;
      x3 += icg;
    }
    ++in_group;
    while (rem) {
      const int32_t blk = rel + p[0];
      const int8_t* v = (const int8_t*)(p + 1);
      const int8_t *y0, *y1, *y2, *y3;
      if (blk >= nfull) break;
      y0 = x0 + blk * B;
      y1 = x1 + blk * B;
      y2 = x2 + blk * B;
      y3 = x3 + blk * B;
      TNN_FOR_BLOCK(B, {
        const int32_t w = v[j];
        a0 += w * y0[j];
        a1 += w * y1[j];
        a2 += w * y2[j];
        a3 += w * y3[j];
        s += w;
      });
      rel = blk + 1;
      p += 1 + B;
      --rem;
    }
    if (tail && rem && rel + p[0] == nfull) { /* the row's short last block */
      const int8_t* v = (const int8_t*)(p + 1);
      const int32_t off = nfull * B;
      for (i = 0; i < tail; ++i) {
        const int32_t w = v[i];
        a0 += w * x0[off + i];
        a1 += w * x1[off + i];
        a2 += w * x2[off + i];
        a3 += w * x3[off + i];
        s += w;
      }
      rel = nfull + 1;
      p += 1 + B;
      --rem;
    }
    c.p = p;
    c.remaining = rem;
    c.rel = rel - bpr;
    tnn_pw_store(job, oc, a0, a1, a2, a3, s, n, pad, y);
  }
}

static void tnn_pw_tile_b1(const tnn_pw_job* j, const int8_t* const* x, int32_t n, int32_t pad,
                           int8_t* const* y) {
  tnn_pw_tile(j, x, n, pad, y, 1);
}
static void tnn_pw_tile_b2(const tnn_pw_job* j, const int8_t* const* x, int32_t n, int32_t pad,
                           int8_t* const* y) {
  tnn_pw_tile(j, x, n, pad, y, 2);
}
static void tnn_pw_tile_b3(const tnn_pw_job* j, const int8_t* const* x, int32_t n, int32_t pad,
                           int8_t* const* y) {
  tnn_pw_tile(j, x, n, pad, y, 3);
}
static void tnn_pw_tile_b4(const tnn_pw_job* j, const int8_t* const* x, int32_t n, int32_t pad,
                           int8_t* const* y) {
  tnn_pw_tile(j, x, n, pad, y, 4);
}
static void tnn_pw_tile_any(const tnn_pw_job* j, const int8_t* const* x, int32_t n, int32_t pad,
                            int8_t* const* y) {
  tnn_pw_tile(j, x, n, pad, y, j->filter->block);
}

/* 1x1 conv (not depthwise), and the linear layer as a 1x1 conv over tokens: every output
 * pixel is a linear map of its input pixel's channels of each group. */
static void tnn_conv1x1_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                               const tnn_dims* in_d, const int8_t* input,
                               const tnn_rle_weights* filter, const int32_t* bias,
                               const tnn_dims* out_d, int8_t* output) {
  const int32_t pixels = out_d->h * out_d->w;
  void (*tile)(const tnn_pw_job*, const int8_t* const*, int32_t, int32_t, int8_t* const*);
  tnn_pw_job job;
  int32_t pix;
  job.filter = filter;
  job.icg = in_d->c / p->groups;
  job.ocg = out_d->c / p->groups;
  job.rows = tnn_rle_rows_of(job.icg, filter->block);
  job.out_c = out_d->c;
  job.input_offset = p->input_offset;
  job.output_offset = p->output_offset;
  job.act = p->activation;
  job.bias = bias;
  job.quant = quant;
  switch (filter->block) {
    case 1: tile = tnn_pw_tile_b1; break;
    case 2: tile = tnn_pw_tile_b2; break;
    case 3: tile = tnn_pw_tile_b3; break;
    case 4: tile = tnn_pw_tile_b4; break;
    default: tile = tnn_pw_tile_any; break;
  }
  for (pix = 0; pix < pixels; pix += TNN_PW_TILE) {
    const int8_t* x[TNN_PW_TILE];
    int8_t* y[TNN_PW_TILE];
    int32_t k, pad = 0;
    const int32_t n = pixels - pix < TNN_PW_TILE ? pixels - pix : TNN_PW_TILE;
    for (k = 0; k < TNN_PW_TILE; ++k) {
      /* stand-ins for padding and for the missing pixels of the last tile (not written) */
      x[k] = input;
      y[k] = output;
      if (k < n) {
        const int32_t oy = (pix + k) / out_d->w, ox = (pix + k) % out_d->w;
        const int32_t iy = oy * p->stride.h - p->padding.h, ix = ox * p->stride.w - p->padding.w;
        if (iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w)
          x[k] = input + (iy * in_d->w + ix) * in_d->c;
        else
          pad |= 1 << k;
        y[k] = output + (pix + k) * out_d->c;
      }
    }
    tile(&job, x, n, pad, y);
  }
}

/* ---- other convs (not depthwise): one receptive field per pixel, in scratch ---------- */

/* The dot product of the current row with int16 activations `x` (offsets applied). */
TNN_HOT int32_t tnn_row_dot16(tnn_rle_walk* c, const tnn_rle_rows* r, const int16_t* x,
                              const int32_t B) {
  const uint8_t* p = c->p;
  uint32_t rem = c->remaining;
  int32_t rel = c->rel, acc = 0, i;
  const int32_t nfull = r->nfull;
  while (rem) {
    const int32_t blk = rel + p[0];
    const int8_t* v = (const int8_t*)(p + 1);
    const int16_t* xx;
    if (blk >= nfull) break;
    xx = x + blk * B;
    TNN_FOR_BLOCK(B, { acc += v[j] * xx[j]; });
    rel = blk + 1;
    p += 1 + B;
    --rem;
  }
  if (r->tail && rem && rel + p[0] == nfull) {
    const int8_t* v = (const int8_t*)(p + 1);
    const int16_t* xx = x + nfull * B;
    for (i = 0; i < r->tail; ++i) acc += v[i] * xx[i];
    rel = nfull + 1;
    p += 1 + B;
    --rem;
  }
  c->p = p;
  c->remaining = rem;
  c->rel = rel - r->bpr;
  return acc;
}

/* The receptive field of group g of the window at (y0, x0): kh x kw x icg int16 values,
 * input offset applied, padding as real 0 (the scratch contract of cost.h). */
TNN_SHARED void tnn_im2col_group(const tnn_conv_params* p, const tnn_dims* in_d,
                                 const int8_t* input, const tnn_dims* f_d, int32_t y0,
                                 int32_t x0, int32_t g, int16_t* col) {
  const int32_t icg = f_d->c;
  int32_t ky, kx, ic;
  for (ky = 0; ky < f_d->h; ++ky)
    for (kx = 0; kx < f_d->w; ++kx) {
      const int32_t iy = y0 + ky, ix = x0 + kx;
      if (iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w) {
        const int8_t* src = input + (iy * in_d->w + ix) * in_d->c + g * icg;
        for (ic = 0; ic < icg; ++ic) *col++ = (int16_t)(src[ic] + p->input_offset);
      } else {
        for (ic = 0; ic < icg; ++ic) *col++ = 0;
      }
    }
}

TNN_HOT void tnn_conv_col_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                                 const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                                 const tnn_rle_weights* filter, const int32_t* bias,
                                 const tnn_dims* out_d, int8_t* output, int16_t* col,
                                 const int32_t B) {
  /* locals: the int8 output stores may alias anything the arguments point to */
  const int32_t ocg = out_d->c / p->groups, OC = out_d->c, OH = out_d->h, OW = out_d->w;
  const int32_t out_off = p->output_offset;
  const tnn_activation act = p->activation;
  const int32_t *mult = quant->multiplier, *shift = quant->shift;
  const tnn_rle_rows rows = tnn_rle_rows_of(f_d->h * f_d->w * f_d->c, filter->block);
  int32_t oy, ox, oc;
  for (oy = 0; oy < OH; ++oy) {
    for (ox = 0; ox < OW; ++ox) {
      const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
      int8_t* out = output + (oy * OW + ox) * OC;
      tnn_rle_walk cur;
      tnn_rle_walk_begin(&cur, filter);
      for (oc = 0; oc < OC; ++oc) {
        int32_t acc = bias ? bias[oc] : 0;
        if (oc % ocg == 0) tnn_im2col_group(p, in_d, input, f_d, y0, x0, oc / ocg, col);
        acc += tnn_row_dot16(&cur, &rows, col, B);
        out[oc] = tnn_output_s8(acc, mult[oc], shift[oc], out_off, &act);
      }
    }
  }
}

#define TNN_CONV_COL_ARGS                                                                  \
  const tnn_conv_params *p, const tnn_per_channel_quant *q, const tnn_dims *in_d,           \
      const int8_t *in, const tnn_dims *f_d, const tnn_rle_weights *f, const int32_t *bias, \
      const tnn_dims *out_d, int8_t *out, int16_t *col
static void tnn_conv_col_b2(TNN_CONV_COL_ARGS) {
  tnn_conv_col_sparse(p, q, in_d, in, f_d, f, bias, out_d, out, col, 2);
}
static void tnn_conv_col_b3(TNN_CONV_COL_ARGS) {
  tnn_conv_col_sparse(p, q, in_d, in, f_d, f, bias, out_d, out, col, 3);
}
static void tnn_conv_col_b4(TNN_CONV_COL_ARGS) {
  tnn_conv_col_sparse(p, q, in_d, in, f_d, f, bias, out_d, out, col, 4);
}
static void tnn_conv_col_any(TNN_CONV_COL_ARGS) {
  tnn_conv_col_sparse(p, q, in_d, in, f_d, f, bias, out_d, out, col, f->block);
}

/* ---- depthwise: weights-stationary per channel -------------------------------------- */

/* Taps of one channel's kernel held while its output pixels are computed (512 bytes of
 * stack); kernels with more taps (beyond 8x8) take the per-pixel path. */
#define TNN_DW_MAX_TAPS 64

/* Channel by channel: one parse of the channel's kh coded rows collects its non-zero
 * weights (pruned blocks, padding and filler entries drop out) with their input offsets,
 * then every output pixel of the channel applies that list. Pixels whose window lies
 * inside the input read without bounds checks and add the input offset through the
 * weight sum; border pixels check each tap. */
static void tnn_dw_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                          const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                          const tnn_rle_weights* filter, const int32_t* bias,
                          const tnn_dims* out_d, int8_t* output) {
  /* locals: the int8 output stores may alias anything the arguments point to */
  const int32_t kh = f_d->h, kw = f_d->w, b = filter->block;
  const int32_t C = in_d->c, H = in_d->h, W = in_d->w, OH = out_d->h, OW = out_d->w;
  const int32_t sh = p->stride.h, sw = p->stride.w, ph = p->padding.h, pw = p->padding.w;
  const int32_t in_off = p->input_offset, out_off = p->output_offset;
  const tnn_activation act = p->activation;
  const int32_t bpr = (kw + b - 1) / b, per_channel = kh * bpr;
  int32_t xo[TNN_DW_MAX_TAPS];                 /* input offset of a tap from the window's origin */
  int16_t wv[TNN_DW_MAX_TAPS];                 /* its weight */
  uint8_t ty[TNN_DW_MAX_TAPS], tx[TNN_DW_MAX_TAPS]; /* its ky, kx */
  tnn_rle_walk c;
  int32_t ch;
  tnn_rle_walk_begin(&c, filter);
  for (ch = 0; ch < C; ++ch) {
    const int32_t mult = quant->multiplier[ch], shift = quant->shift[ch];
    const int32_t b0 = bias ? bias[ch] : 0;
    int32_t n = 0, wsum = 0, oy, ox, i;
    { /* the channel's taps: blocks c.rel.. of rows ch*kh .. ch*kh + kh - 1 */
      const uint8_t* q = c.p;
      uint32_t rem = c.remaining;
      int32_t rel = c.rel;
      while (rem) {
        const int32_t blk = rel + q[0];
        int32_t ky, off, len, j;
        if (blk >= per_channel) break;
        ky = blk / bpr;
        off = (blk - ky * bpr) * b;
        len = kw - off < b ? kw - off : b;
        for (j = 0; j < len; ++j) {
          const int32_t w = (int8_t)q[1 + j];
          if (w != 0) {
            xo[n] = (ky * W + off + j) * C;
            wv[n] = (int16_t)w;
            ty[n] = (uint8_t)ky;
            tx[n] = (uint8_t)(off + j);
            wsum += w;
            ++n;
          }
        }
        rel = blk + 1;
        q += 1 + b;
        --rem;
      }
      c.p = q;
      c.remaining = rem;
      c.rel = rel - per_channel;
    }
    if (n == 0) { /* a fully pruned channel: every output is its bias */
      const int8_t y = tnn_output_s8(b0, mult, shift, out_off, &act);
      for (i = 0; i < OH * OW; ++i) output[i * C + ch] = y;
      continue;
    }
    for (oy = 0; oy < OH; ++oy) {
      const int32_t y0 = oy * sh - ph;
      const int rows_inside = y0 >= 0 && y0 + kh <= H;
      int8_t* out = output + oy * OW * C + ch;
      for (ox = 0; ox < OW; ++ox, out += C) {
        const int32_t x0 = ox * sw - pw;
        int32_t acc = b0;
        if (rows_inside && x0 >= 0 && x0 + kw <= W) {
          const int8_t* base = input + (y0 * W + x0) * C + ch;
          int32_t s = 0;
          for (i = 0; i < n; ++i) s += wv[i] * base[xo[i]];
          acc += s + in_off * wsum;
        } else {
          for (i = 0; i < n; ++i) {
            const int32_t iy = y0 + ty[i], ix = x0 + tx[i];
            if (iy >= 0 && iy < H && ix >= 0 && ix < W)
              acc += wv[i] * (input[(iy * W + ix) * C + ch] + in_off);
          }
        }
        *out = tnn_output_s8(acc, mult, shift, out_off, &act);
      }
    }
  }
}

/* Depthwise kernels with more than TNN_DW_MAX_TAPS taps: pixel by pixel, each pixel
 * walking the whole stream. */
static void tnn_dw_sparse_large(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                                const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* out_d, int8_t* output) {
  const int32_t kw = f_d->w, b = filter->block;
  const tnn_rle_rows rows = tnn_rle_rows_of(kw, b);
  int32_t oy, ox, oc, ky, j;
  for (oy = 0; oy < out_d->h; ++oy) {
    for (ox = 0; ox < out_d->w; ++ox) {
      const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
      tnn_rle_walk c;
      tnn_rle_walk_begin(&c, filter);
      for (oc = 0; oc < out_d->c; ++oc) {
        int32_t acc = bias ? bias[oc] : 0;
        for (ky = 0; ky < f_d->h; ++ky) {
          const int32_t iy = y0 + ky;
          const int row_inside = iy >= 0 && iy < in_d->h;
          while (c.remaining) {
            const int32_t blk = c.rel + c.p[0];
            const int8_t* v = (const int8_t*)(c.p + 1);
            int32_t off, len;
            if (blk >= rows.bpr) break;
            off = blk * b;
            len = kw - off < b ? kw - off : b;
            if (row_inside)
              for (j = 0; j < len; ++j) {
                const int32_t ix = x0 + off + j;
                if (ix >= 0 && ix < in_d->w)
                  acc += v[j] * (input[(iy * in_d->w + ix) * in_d->c + oc] + p->input_offset);
              }
            c.rel = blk + 1;
            c.p += 1 + b;
            --c.remaining;
          }
          c.rel -= rows.bpr;
        }
        output[(oy * out_d->w + ox) * out_d->c + oc] =
            tnn_output_s8(acc, quant->multiplier[oc], quant->shift[oc], p->output_offset,
                          &p->activation);
      }
    }
  }
}

/* ---- entry points -------------------------------------------------------------------- */

int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* f_d,
                                           int32_t groups) {
  if (!input_dims || !f_d) return 0;
  /* depthwise: groups > 1 and groups == in == out channels (a 1-channel conv is a plain
   * conv: its coded rows are whole kernels, as the cost model and the coder lay them out) */
  if ((f_d->h == 1 && f_d->w == 1) ||
      (groups > 1 && groups == input_dims->c && f_d->n == input_dims->c))
    return 0;
  return 2 * f_d->h * f_d->w * f_d->c;
}

tnn_status tnn_conv_sparse_s8(const tnn_context* ctx, const tnn_conv_params* p,
                              const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                              const int8_t* input, const tnn_dims* f_d,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* out_d, int8_t* output) {
  int32_t need;
  tnn_status st;
  if (!input || !filter || !filter->data || filter->block < 1 || !output) return TNN_ERR_ARG;
  if ((st = tnn_conv_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  need = tnn_conv_sparse_s8_get_buffer_size(in_d, f_d, p->groups);
  if (need > 0 && (!ctx || !ctx->buf || ctx->size < need)) return TNN_ERR_BUFFER;
  if (p->groups > 1 && p->groups == in_d->c && out_d->c == in_d->c) {
    if (f_d->h <= TNN_DW_MAX_TAPS && f_d->w <= TNN_DW_MAX_TAPS &&
        f_d->h * f_d->w <= TNN_DW_MAX_TAPS)
      tnn_dw_sparse(p, quant, in_d, input, f_d, filter, bias, out_d, output);
    else
      tnn_dw_sparse_large(p, quant, in_d, input, f_d, filter, bias, out_d, output);
  } else if (f_d->h == 1 && f_d->w == 1) {
    tnn_conv1x1_sparse(p, quant, in_d, input, filter, bias, out_d, output);
  } else {
    int16_t* col = (int16_t*)ctx->buf;
    switch (filter->block) {
      case 2: tnn_conv_col_b2(p, quant, in_d, input, f_d, filter, bias, out_d, output, col); break;
      case 3: tnn_conv_col_b3(p, quant, in_d, input, f_d, filter, bias, out_d, output, col); break;
      case 4: tnn_conv_col_b4(p, quant, in_d, input, f_d, filter, bias, out_d, output, col); break;
      default:
        tnn_conv_col_any(p, quant, in_d, input, f_d, filter, bias, out_d, output, col);
        break;
    }
  }
  return TNN_OK;
}

tnn_status tnn_linear_sparse_s8(const tnn_context* ctx, const tnn_linear_params* p,
                                const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                                const int8_t* input, const tnn_dims* f_d,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* out_d, int8_t* output) {
  tnn_status st;
  (void)ctx;
  if (!input || !filter || !filter->data || filter->block < 1 || !output) return TNN_ERR_ARG;
  if ((st = tnn_linear_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  {
    /* tokens as the pixels of a 1 x tokens map */
    const int32_t tokens = in_d->n * in_d->h * in_d->w;
    const tnn_dims in_map = {1, tokens, 1, in_d->c}, out_map = {1, tokens, 1, out_d->c};
    tnn_conv_params conv;
    conv.input_offset = p->input_offset;
    conv.output_offset = p->output_offset;
    conv.stride.w = conv.stride.h = 1;
    conv.padding.w = conv.padding.h = 0;
    conv.groups = 1;
    conv.activation = p->activation;
    tnn_conv1x1_sparse(&conv, quant, &in_map, input, filter, bias, &out_map, output);
  }
  return TNN_OK;
}
