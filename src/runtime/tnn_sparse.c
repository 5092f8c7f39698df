#include "tnn_sparse.h"

#include "tnn_check.h"
#include "tnn_conv_internal.h"
#include "tnn_dsp.h"
#include "tnn_sparse_sweep.h"

/* The hot loops are written once with the block size B as a parameter and inlined into
 * one instance per common block size, where B is a constant: the per-value work unrolls
 * and no entry tests the block size. What does not depend on B (filling the columns, the
 * stream's extent) stays out of line, shared by the instances, to keep the code small.
 * (TNN_HOT and TNN_SHARED: tnn_dsp.h.) */

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

/* The row of the stream's last entry, -1 for an empty stream: every row before it ends
 * with at least one entry still ahead, so the walks of those rows never test for the
 * stream's end. */
static int32_t tnn_rle_last_row(const tnn_rle_weights* w, int32_t blocks_per_row) {
  const uint32_t n = tnn_read_u32(w->data);
  const uint8_t* p = w->data + 4;
  int64_t blk = -1;
  uint32_t e;
  for (e = 0; e < n; ++e, p += 1 + w->block) blk += 1 + p[0];
  return (int32_t)(blk < 0 ? -1 : blk / blocks_per_row);
}


static int16_t tnn_get16(const int32_t* col, int32_t lane) {
  int16_t v;
  memcpy(&v, (const int16_t*)(const void*)col + lane, 2);
  return v;
}

static void tnn_set16(int32_t* col, int32_t lane, int32_t v) {
  const int16_t h = (int16_t)v;
  memcpy((int16_t*)(void*)col + lane, &h, 2);
}

/* ---- convs other than depthwise, and linear layers: a tile of pixels per walk ---------
 *
 * Output pixels go TNN_TILE at a time (the last tile may hold fewer). For each group the
 * tile's receptive fields are copied into scratch as int16 with the input offset applied
 * (padding taps and missing pixels as 0), laid out block-major so that the stream is
 * walked once per tile and each stored block is applied to the TNN_TILE pixels from
 * consecutive words:
 *   full block j of the row (j < nfull): TNN_TILE cells of B int16, cell k at lanes
 *     (j * TNN_TILE + k) * B; the lanes of a cell hold the block's values x0..x(B-1) in
 *     the order x0 x2 x1 x3 for B = 3, 4 (the pairs SXTB16 makes of the weights) and in
 *     their own order otherwise;
 *   the row's short last block (tail = row_len % B values): TNN_TILE cells of tail lanes
 *     behind the full blocks, in order.
 * That is TNN_TILE * row_len int16 in all, whatever the block size. */

#define TNN_TILE 4

typedef struct {
  /* the layer */
  const tnn_conv_params* p;
  const tnn_dims *in_d, *f_d, *out_d;
  const int8_t* input;
  const int32_t* bias;
  const tnn_per_channel_quant* quant;
  int8_t* output;
  /* the coded rows */
  const tnn_rle_weights* filter;
  int32_t row_len, nfull, tail, bpr, last_row;
  /* the columns */
  int32_t* col;
  /* the requantization (tnn_math.h): the layer's kind, the fast form's constants */
  int rq_kind;
  tnn_out_fast out;
} tnn_tile_job;

/* Lane of the row value at position t (0 .. row_len - 1) of tile pixel k. */
static int32_t tnn_col_lane(const tnn_tile_job* job, int32_t t, int32_t k) {
  const int32_t B = job->filter->block, j = t / B, l = t - j * B;
  if (j >= job->nfull) return job->nfull * TNN_TILE * B + k * job->tail + l;
  return (j * TNN_TILE + k) * B + (B >= 3 && B <= 4 && (l == 1 || l == 2) ? 3 - l : l);
}

/* Pixel k's values [t, t + n) from `src` (int8, NULL: padding) into the columns, one at
 * a time (any block size and alignment). */
static void tnn_col_values(const tnn_tile_job* job, int32_t k, int32_t t, int32_t n,
                           const int8_t* src) {
  int32_t i;
  for (i = 0; i < n; ++i)
    tnn_set16(job->col, tnn_col_lane(job, t + i, k), src ? src[i] + job->p->input_offset : 0);
}


/* Four input values (one word, x) widened with the input offset (off2 in both lanes) into
 * the cell(s) at word c: B = 4 writes the cell as (x0 x2)(x1 x3), B = 2 cells at c and
 * c + TNN_TILE as (x0 x1) and (x2 x3). */
TNN_HOT void tnn_col_word(int32_t* c, int32_t x, int32_t off2, const int32_t B) {
  const int32_t lo = tnn_sxtab16(off2, x), hi = tnn_sxtab16_ror8(off2, x);
  if (B == 4) {
    tnn_write_s32x2(c, lo, hi);
  } else {
    c[0] = tnn_pkhbt(lo, hi);
    c[TNN_TILE] = tnn_pkhtb(hi, lo);
  }
}

/* The next n input values (n a multiple of 4) from src into the cells from word c on, for
 * blocks of B = 2 or 4: four values per word load and two SXTAB16, two words a step.
 * Returns the next cell's word. */
TNN_HOT int32_t* tnn_col_run_x4(int32_t* c, const int8_t* src, int32_t n, int32_t off2,
                                const int32_t B) {
  const int8_t* const end = src + n;
  if (n & 4) {
    tnn_col_word(c, tnn_read_s8x4(src), off2, B);
    src += 4;
    c += 2 * TNN_TILE;
  }
  for (; src != end; src += 8, c += 4 * TNN_TILE) {
    const int32_t x = tnn_read_s8x4(src), z = tnn_read_s8x4(src + 4);
    tnn_col_word(c, x, off2, B);
    tnn_col_word(c + 2 * TNN_TILE, z, off2, B);
  }
  return c;
}

/* Pixel k's receptive field of group g, window origin (y0, x0) (k >= n: a missing pixel,
 * all 0), into the columns, for blocks of B = 2 or 4 with icg a multiple of 4, the cell
 * pointer running on across the taps (one run per window row when the group is the whole
 * pixel and the row lies inside the input). */
TNN_HOT void tnn_col_pixel_x4(const tnn_tile_job* job, int32_t k, int32_t n, int32_t g,
                              int32_t y0, int32_t x0, const int32_t B) {
  const tnn_dims *in_d = job->in_d, *f_d = job->f_d;
  const int32_t icg = f_d->c, H = in_d->h, W = in_d->w, C = in_d->c, kw = f_d->w;
  const int32_t off2 = tnn_dup16(job->p->input_offset);
  const int whole_rows = icg == C && x0 >= 0 && x0 + kw <= W; /* a window row: one run */
  const int32_t run = whole_rows ? kw * icg : icg;
  int32_t* c = job->col + (B == 4 ? 2 * k : k); /* the next cell's word */
  int32_t ky, kx, i;
  for (ky = 0; ky < f_d->h; ++ky) {
    const int32_t iy = y0 + ky, row_ok = k < n && iy >= 0 && iy < H;
    for (kx = 0; kx < kw; kx += whole_rows ? kw : 1) {
      if (row_ok && x0 + kx >= 0 && x0 + kx < W) {
        c = tnn_col_run_x4(c, job->input + (iy * W + x0 + kx) * C + g * icg, run, off2, B);
      } else {
        for (i = 0; i < run; i += 4, c += 2 * TNN_TILE) {
          c[0] = 0;
          c[B == 4 ? 1 : TNN_TILE] = 0;
        }
      }
    }
  }
}

/* The same for any block size and alignment, value by value. */
static void tnn_col_pixel_any(const tnn_tile_job* job, int32_t k, int32_t n, int32_t g,
                              int32_t y0, int32_t x0) {
  const tnn_dims *in_d = job->in_d, *f_d = job->f_d;
  const int32_t icg = f_d->c;
  int32_t ky, kx;
  for (ky = 0; ky < f_d->h; ++ky)
    for (kx = 0; kx < f_d->w; ++kx) {
      const int32_t iy = y0 + ky, ix = x0 + kx;
      tnn_col_values(job, k, (ky * f_d->w + kx) * icg, icg,
                     k < n && iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w
                         ? job->input + (iy * in_d->w + ix) * in_d->c + g * icg
                         : 0);
    }
}

/* The columns of group g for the tile's pixels pix .. pix + n - 1 (n <= TNN_TILE); the
 * missing pixels of a short tile read as 0. */
TNN_SHARED void tnn_col_fill(const tnn_tile_job* job, int32_t pix, int32_t n, int32_t g) {
  const tnn_conv_params* p = job->p;
  const int32_t OW = job->out_d->w;
  int32_t k, oy = pix / OW, ox = pix - pix / OW * OW;
  const int32_t B = job->filter->block, x4 = (job->f_d->c & 3) == 0;
  for (k = 0; k < TNN_TILE; ++k) {
    const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
    if (x4 && B == 4)
      tnn_col_pixel_x4(job, k, n, g, y0, x0, 4);
    else if (x4 && B == 2)
      tnn_col_pixel_x4(job, k, n, g, y0, x0, 2);
    else
      tnn_col_pixel_any(job, k, n, g, y0, x0);
    if (++ox == OW) {
      ox = 0;
      ++oy;
    }
  }
}

/* The sums of the entry at `e` (its d byte) with the tile's pixels, block at column
 * address q. Weights: B = 4 loads the block's word and SXTB16 pairs it as (w0 w2)(w1 w3),
 * matching the cells; B = 3 loads d w0 w1 w2, giving (w0 w2) and, with d masked off,
 * (0 w1) against the cell's lanes (x2 x1); B = 2 packs (w0 w1). */
#define TNN_APPLY_BLOCK(B, e, q, a0, a1, a2, a3)                                       \
  do {                                                                                \
    const int32_t* x_ = (const int32_t*)(q);                                          \
    if ((B) == 4) {                                                                   \
      const int32_t w_ = tnn_read_s8x4((const int8_t*)(e) + 1);                       \
      const int32_t wl_ = tnn_sxtb16(w_), wh_ = tnn_sxtb16_ror8(w_);                  \
      tnn_s32x2 c_ = tnn_read_s32x2(x_);                                              \
      a0 = tnn_smlad(wh_, c_.hi, tnn_smlad(wl_, c_.lo, a0));                          \
      c_ = tnn_read_s32x2(x_ + 2);                                                    \
      a1 = tnn_smlad(wh_, c_.hi, tnn_smlad(wl_, c_.lo, a1));                          \
      c_ = tnn_read_s32x2(x_ + 4);                                                    \
      a2 = tnn_smlad(wh_, c_.hi, tnn_smlad(wl_, c_.lo, a2));                          \
      c_ = tnn_read_s32x2(x_ + 6);                                                    \
      a3 = tnn_smlad(wh_, c_.hi, tnn_smlad(wl_, c_.lo, a3));                          \
    } else if ((B) == 3) {                                                            \
      const int32_t w_ = tnn_read_s8x4((const int8_t*)(e));                           \
      const int32_t w02_ = tnn_sxtb16_ror8(w_);                                       \
      const int32_t w1_ = (int32_t)((uint32_t)tnn_sxtb16(w_) & 0xFFFF0000u);          \
      const int16_t* h_ = (const int16_t*)(const void*)x_;                            \
      a0 = tnn_smlad(w1_, tnn_read_s16x2(h_ + 1), tnn_smlad(w02_, tnn_read_s16x2(h_), a0)); \
      a1 = tnn_smlad(w1_, tnn_read_s16x2(h_ + 4), tnn_smlad(w02_, tnn_read_s16x2(h_ + 3), a1)); \
      a2 = tnn_smlad(w1_, tnn_read_s16x2(h_ + 7), tnn_smlad(w02_, tnn_read_s16x2(h_ + 6), a2)); \
      a3 = tnn_smlad(w1_, tnn_read_s16x2(h_ + 10), tnn_smlad(w02_, tnn_read_s16x2(h_ + 9), a3)); \
    } else if ((B) == 2) {                                                            \
      const int32_t w_ = tnn_pkhbt(((const int8_t*)(e))[1], ((const int8_t*)(e))[2]);  \
      const tnn_s32x2 c01_ = tnn_read_s32x2(x_), c23_ = tnn_read_s32x2(x_ + 2);       \
      a0 = tnn_smlad(w_, c01_.lo, a0);                                                \
      a1 = tnn_smlad(w_, c01_.hi, a1);                                                \
      a2 = tnn_smlad(w_, c23_.lo, a2);                                                \
      a3 = tnn_smlad(w_, c23_.hi, a3);                                                \
    } else {                                                                          \
      int32_t j_;                                                                     \
      for (j_ = 0; j_ < (B); ++j_) {                                                  \
        const int32_t w_ = ((const int8_t*)(e))[1 + j_];                              \
        a0 += w_ * tnn_get16(x_, j_);                                                 \
        a1 += w_ * tnn_get16(x_, (B) + j_);                                           \
        a2 += w_ * tnn_get16(x_, 2 * (B) + j_);                                       \
        a3 += w_ * tnn_get16(x_, 3 * (B) + j_);                                       \
      }                                                                               \
    }                                                                                 \
  } while (0)

/* while (q < full_end): the block at e applied, then e and q stepped to the next entry
 * (the stream's end is not tested: an entry follows). The DSP cores take blocks of 4 and 2
 * in one loop of assembly, 19 and 13 instructions a block: a post-indexed LDRD steps q
 * past the block, so the skip costs one ADD (GCC keeps a copy of q for each form of it
 * written in C); other cores and block sizes run the C loop. */
#if TNN_DSP && defined(__GNUC__) && defined(__thumb2__) /* LDRD of any two registers */
#define TNN_WALK_ASM_B4                                                         \
  "cmp    %[q], %[end]\n\t"                                                     \
  "bcs    2f\n\t"                                                               \
  "1:\n\t"                                                                      \
  "ldr    %[w], [%[e], #1]\n\t"                                                 \
  "ldrd   %[c0], %[c1], [%[q]], #32\n\t"                                        \
  "sxtb16 %[wl], %[w]\n\t"                                                      \
  "sxtb16 %[w], %[w], ror #8\n\t"                                               \
  "smlad  %[a0], %[wl], %[c0], %[a0]\n\t"                                       \
  "smlad  %[a0], %[w], %[c1], %[a0]\n\t"                                        \
  "ldrd   %[c0], %[c1], [%[q], #-24]\n\t"                                       \
  "smlad  %[a1], %[wl], %[c0], %[a1]\n\t"                                       \
  "smlad  %[a1], %[w], %[c1], %[a1]\n\t"                                        \
  "ldrd   %[c0], %[c1], [%[q], #-16]\n\t"                                       \
  "smlad  %[a2], %[wl], %[c0], %[a2]\n\t"                                       \
  "smlad  %[a2], %[w], %[c1], %[a2]\n\t"                                        \
  "ldrd   %[c0], %[c1], [%[q], #-8]\n\t"                                        \
  "smlad  %[a3], %[wl], %[c0], %[a3]\n\t"                                       \
  "smlad  %[a3], %[w], %[c1], %[a3]\n\t"                                        \
  "ldrb   %[c0], [%[e], #5]!\n\t"                                               \
  "add    %[q], %[q], %[c0], lsl #5\n\t"                                        \
  "cmp    %[q], %[end]\n\t"                                                     \
  "bcc    1b\n\t"                                                               \
  "2:"
#define TNN_WALK_ASM_B2                                                         \
  "cmp    %[q], %[end]\n\t"                                                     \
  "bcs    2f\n\t"                                                               \
  "1:\n\t"                                                                      \
  "ldrsb  %[w], [%[e], #1]\n\t"                                                 \
  "ldrsb  %[wl], [%[e], #2]\n\t"                                                \
  "pkhbt  %[w], %[w], %[wl], lsl #16\n\t"                                       \
  "ldrd   %[c0], %[c1], [%[q]], #16\n\t"                                        \
  "smlad  %[a0], %[w], %[c0], %[a0]\n\t"                                        \
  "smlad  %[a1], %[w], %[c1], %[a1]\n\t"                                        \
  "ldrd   %[c0], %[c1], [%[q], #-8]\n\t"                                        \
  "smlad  %[a2], %[w], %[c0], %[a2]\n\t"                                        \
  "smlad  %[a3], %[w], %[c1], %[a3]\n\t"                                        \
  "ldrb   %[c0], [%[e], #3]!\n\t"                                               \
  "add    %[q], %[q], %[c0], lsl #4\n\t"                                        \
  "cmp    %[q], %[end]\n\t"                                                     \
  "bcc    1b\n\t"                                                               \
  "2:"
/* the assembly's offsets: cells of TNN_TILE = 4 pixels, 8 or 16 bytes a pixel's block */
typedef char tnn_walk_asm_tile_is_4[TNN_TILE == 4 ? 1 : -1];
#define TNN_WALK_ASM(code, e, q, full_end, a0, a1, a2, a3)                       \
  do {                                                                          \
    int32_t w_, wl_, c0_, c1_;                                                  \
    __asm__ volatile(code                                                       \
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), \
                       [e] "+r"(e), [q] "+r"(q), [w] "=&r"(w_), [wl] "=&r"(wl_), \
                       [c0] "=&r"(c0_), [c1] "=&r"(c1_)                          \
                     : [end] "r"(full_end)                                      \
                     : "cc", "memory");                                         \
  } while (0)
#define TNN_WALK_BLOCKS(B, e, q, full_end, a0, a1, a2, a3)                       \
  do {                                                                          \
    if ((B) == 4) {                                                             \
      TNN_WALK_ASM(TNN_WALK_ASM_B4, e, q, full_end, a0, a1, a2, a3);             \
    } else if ((B) == 2) {                                                      \
      TNN_WALK_ASM(TNN_WALK_ASM_B2, e, q, full_end, a0, a1, a2, a3);             \
    } else {                                                                    \
      TNN_WALK_BLOCKS_C(B, e, q, full_end, a0, a1, a2, a3);                      \
    }                                                                           \
  } while (0)
#else
#define TNN_WALK_BLOCKS(B, e, q, full_end, a0, a1, a2, a3) \
  TNN_WALK_BLOCKS_C(B, e, q, full_end, a0, a1, a2, a3)
#endif
#define TNN_WALK_BLOCKS_C(B, e, q, full_end, a0, a1, a2, a3)                     \
  do {                                                                          \
    const uintptr_t step_ = (uintptr_t)(2 * TNN_TILE * (B));                    \
    while ((q) < (full_end)) {                                                  \
      TNN_APPLY_BLOCK(B, e, q, a0, a1, a2, a3);                                 \
      (e) += 1 + (B);                                                           \
      (q) += step_ + (e)[0] * step_;                                            \
    }                                                                           \
  } while (0)

/* Walk state between rows: `e` is the next entry (its d byte), `q` the column address of
 * its block counted from the current row's first block (an address only once it lies
 * inside the row; as an integer it may run past the columns). */
typedef struct {
  const uint8_t* e;
  uintptr_t q;
} tnn_tile_walk;

/* Rows handled per walk before their requantization (sums kept on the stack). */
#define TNN_ROW_CHUNK 16

/* A full tile's rows in the fast form (tnn_math.h), its clamp `kind` a constant here:
 * about 6 instructions an output. */
TNN_HOT void tnn_tile_requant_fast(const tnn_tile_job* job, int8_t* y, int32_t r0, int32_t rows,
                                   const int32_t (*a)[TNN_TILE], const int kind) {
  const int32_t OC = job->out_d->c;
  const int32_t* mult = job->quant->multiplier + r0;
  const int32_t* shift = job->quant->shift + r0;
  const int32_t* const mult_end = mult + rows;
  const tnn_out_fast o = job->out; /* a local: the stores may alias the job */
  for (y += r0; mult != mult_end; ++y, ++a, ++mult, ++shift) {
    const int32_t m2 = tnn_rq_m2(*mult), e1 = tnn_rq_e1(*shift);
    y[0] = (int8_t)tnn_output_fast(a[0][0], m2, e1, &o, kind);
    y[OC] = (int8_t)tnn_output_fast(a[0][1], m2, e1, &o, kind);
    y[2 * OC] = (int8_t)tnn_output_fast(a[0][2], m2, e1, &o, kind);
    y[3 * OC] = (int8_t)tnn_output_fast(a[0][3], m2, e1, &o, kind);
  }
}

/* Output channels r0 .. r0 + rows - 1 of the tile's n pixels from their sums
 * a[i][k] (bias included); y points at pixel 0's channel 0. A loop of its own, so that
 * the walk and the requantization each keep their values in registers. Four equal sums
 * (a row without stored blocks, a flat input) take one requantization. A full tile with
 * a negative shift (real multipliers below 1/2, the common case) goes through a branch
 * where the compiler knows the shift's sign: tnn_requantize's other cases drop out and
 * its rounding constant is computed once for the row's four values. */
TNN_SHARED void tnn_tile_requant(const tnn_tile_job* job, int8_t* y, int32_t r0, int32_t rows,
                                 int32_t n, const int32_t (*a)[TNN_TILE]) {
  /* locals: the int8 stores may alias anything the job points to */
  const int32_t OC = job->out_d->c, out_off = job->p->output_offset;
  const int32_t* mult = job->quant->multiplier + r0;
  const int32_t* shift = job->quant->shift + r0;
  const tnn_activation act = job->p->activation;
  const int32_t* const mult_end = mult + rows;
  if (n == TNN_TILE && job->rq_kind != TNN_RQ_SLOW) {
    if (job->rq_kind == TNN_RQ_S8)
      tnn_tile_requant_fast(job, y, r0, rows, a, TNN_RQ_S8);
    else if (job->rq_kind == TNN_RQ_RELU)
      tnn_tile_requant_fast(job, y, r0, rows, a, TNN_RQ_RELU);
    else
      tnn_tile_requant_fast(job, y, r0, rows, a, TNN_RQ_RANGE);
    return;
  }
  y += r0;
  if (n < TNN_TILE) {
    for (; mult != mult_end; ++y, ++a, ++mult, ++shift) {
      int32_t k;
      for (k = 0; k < n; ++k) y[k * OC] = tnn_output_s8(a[0][k], *mult, *shift, out_off, &act);
    }
    return;
  }
  for (; mult != mult_end; ++y, ++a, ++mult, ++shift) {
    const int32_t m = *mult, s = *shift;
    if (a[0][0] == a[0][1] && a[0][1] == a[0][2] && a[0][2] == a[0][3]) {
      const int8_t v = tnn_output_s8(a[0][0], m, s, out_off, &act);
      y[0] = v;
      y[OC] = v;
      y[2 * OC] = v;
      y[3 * OC] = v;
    } else if (s < 0) {
      /* each value stored as soon as it is made (the next is read after the store) */
      y[0] = tnn_output_s8(a[0][0], m, s, out_off, &act);
      y[OC] = tnn_output_s8(a[0][1], m, s, out_off, &act);
      y[2 * OC] = tnn_output_s8(a[0][2], m, s, out_off, &act);
      y[3 * OC] = tnn_output_s8(a[0][3], m, s, out_off, &act);
    } else {
      int32_t k;
      for (k = 0; k < TNN_TILE; ++k) y[k * OC] = tnn_output_s8(a[0][k], m, s, out_off, &act);
    }
  }
}

/* The sums of rows [r0, r1) (r1 - r0 <= TNN_ROW_CHUNK) for the tile, bias included,
 * columns filled. (B = 4 starts from the bias; the other block sizes, with fewer
 * registers to spare in their walks, add it at the end of the row.) */
TNN_HOT void tnn_tile_walk_rows(const tnn_tile_job* job, tnn_tile_walk* wk, int32_t r0,
                                int32_t r1, int32_t (*sums)[TNN_TILE], const int32_t B) {
  const uintptr_t step = (uintptr_t)(2 * TNN_TILE * B); /* column bytes per full block */
  const uintptr_t base = (uintptr_t)job->col;
  const uintptr_t full_end = base + (uintptr_t)job->nfull * step;
  const uintptr_t row_end = base + (uintptr_t)job->bpr * step; /* the tail counts as a block */
  const int32_t tail = job->tail, last_row = job->last_row;
  const uint8_t* const last = job->filter->data + job->filter->size - (1 + B);
  const int32_t* const bias = job->bias;
  const uint8_t* e = wk->e;
  uintptr_t q = wk->q;
  int32_t r;
  for (r = r0; r < r1; ++r, ++sums) {
    const int32_t b = B == 4 && bias ? bias[r] : 0;
    int32_t a0 = b, a1 = b, a2 = b, a3 = b; /* B = 4: from the bias */
    if (r <= last_row) {
      if (r < last_row) { /* more entries follow this row's: no test for the stream's end */
        TNN_WALK_BLOCKS(B, e, q, full_end, a0, a1, a2, a3);
      } else {
        while (q < full_end) {
          TNN_APPLY_BLOCK(B, e, q, a0, a1, a2, a3);
          if (e == last) {
            q = row_end;
            break;
          }
          e += 1 + B;
          q += step + e[0] * step;
        }
      }
      if (q < row_end) { /* the row's short last block (tail values, at full_end) */
        const int32_t* x = (const int32_t*)full_end;
        int32_t j;
        for (j = 0; j < tail; ++j) {
          const int32_t w = ((const int8_t*)e)[1 + j];
          a0 += w * tnn_get16(x, j);
          a1 += w * tnn_get16(x, tail + j);
          a2 += w * tnn_get16(x, 2 * tail + j);
          a3 += w * tnn_get16(x, 3 * tail + j);
        }
        if (e == last) {
          q = row_end;
        } else {
          e += 1 + B;
          q = row_end + e[0] * step;
        }
      }
      q -= row_end - base;
    }
    if (B != 4 && bias) { /* added after the walk: fewer registers held across it */
      const int32_t c = bias[r];
      a0 += c;
      a1 += c;
      a2 += c;
      a3 += c;
    }
    sums[0][0] = a0;
    sums[0][1] = a1;
    sums[0][2] = a2;
    sums[0][3] = a3;
  }
  wk->e = e;
  wk->q = q;
}

/* What only the requantization of tnn_tile_rows_fused needs. It stays in memory, read
 * through a pointer the optimiser cannot follow (TNN_OPAQUE) after each row's walk, so
 * that the walk keeps all the registers. */
typedef struct {
  const int32_t *bias, *mult, *shift;
  int8_t* y;
  int32_t r, r1, oc; /* r: the row being walked */
  uintptr_t row_bytes, full_end;
  tnn_out_fast o;
} tnn_tile_rq;

/* Rows [r0, r1) of a full tile with r1 <= last_row (an entry follows each row's: no test
 * for the stream's end) and no short last block, for blocks of B = 2 or 4, each row
 * requantized in the fast form (clamp `kind`: TNN_RQ_S8 or _RELU) as soon as its walk
 * ends: the four sums never leave registers, and no loop of its own reloads them. */
TNN_HOT void tnn_tile_rows_fused(const tnn_tile_job* job, tnn_tile_walk* wk, int32_t r0,
                                 int32_t r1, int8_t* y, const int32_t B, const int kind) {
  tnn_tile_rq rq;
  const uintptr_t step = (uintptr_t)(2 * TNN_TILE * B); /* column bytes per block */
  const uint8_t* e = wk->e;
  uintptr_t q = wk->q;
  rq.full_end = (uintptr_t)job->col + (uintptr_t)job->nfull * step;
  rq.bias = job->bias; /* not NULL here */
  rq.mult = job->quant->multiplier;
  rq.shift = job->quant->shift;
  rq.y = y;
  rq.r = r0;
  rq.r1 = r1;
  rq.oc = job->out_d->c;
  rq.row_bytes = (uintptr_t)job->nfull * step;
  rq.o = job->out;
  for (;;) {
    tnn_tile_rq* l = &rq;
    uintptr_t full_end;
    int32_t a0, a1, a2, a3;
    TNN_OPAQUE(l);
    if (l->r == l->r1) break; /* tested here: nothing but the walk is live across the stores */
    full_end = l->full_end;
    a0 = a1 = a2 = a3 = l->bias[l->r];
    TNN_WALK_BLOCKS(B, e, q, full_end, a0, a1, a2, a3);
    l = &rq;
    TNN_OPAQUE(l);
    {
      const tnn_out_fast o = l->o;
      const int32_t r = l->r, oc = l->oc;
      const int32_t m2 = tnn_rq_m2(l->mult[r]), e1 = tnn_rq_e1(l->shift[r]);
      int8_t* yr = l->y + r;
      q -= l->row_bytes;
      l->r = r + 1;
      yr[0] = (int8_t)tnn_output_fast(a0, m2, e1, &o, kind);
      yr[oc] = (int8_t)tnn_output_fast(a1, m2, e1, &o, kind);
      yr += 2 * oc;
      yr[0] = (int8_t)tnn_output_fast(a2, m2, e1, &o, kind);
      yr[oc] = (int8_t)tnn_output_fast(a3, m2, e1, &o, kind);
    }
  }
  wk->e = e;
  wk->q = q;
}

/* The rows [r0, r1) of one group for the tile (n pixels), columns filled. */
TNN_HOT void tnn_tile_rows(const tnn_tile_job* job, tnn_tile_walk* wk, int32_t r0, int32_t r1,
                           int32_t pix, int32_t n, const int32_t B) {
  int8_t* const y = job->output + pix * job->out_d->c;
  int32_t sums[TNN_ROW_CHUNK][TNN_TILE];
  int32_t r;
  if ((B == 2 || B == 4) && n == TNN_TILE && job->tail == 0 && r0 < job->last_row && job->bias &&
      (job->rq_kind == TNN_RQ_S8 || job->rq_kind == TNN_RQ_RELU)) {
    const int32_t rf = r1 < job->last_row ? r1 : job->last_row;
    if (job->rq_kind == TNN_RQ_S8)
      tnn_tile_rows_fused(job, wk, r0, rf, y, B, TNN_RQ_S8);
    else
      tnn_tile_rows_fused(job, wk, r0, rf, y, B, TNN_RQ_RELU);
    r0 = rf;
  }
  for (r = r0; r < r1; r += TNN_ROW_CHUNK) {
    const int32_t rows = r1 - r < TNN_ROW_CHUNK ? r1 - r : TNN_ROW_CHUNK;
    tnn_tile_walk_rows(job, wk, r, r + rows, sums, B);
    tnn_tile_requant(job, y, r, rows, n, (const int32_t(*)[TNN_TILE])sums);
  }
}

/* All tiles: per tile and group, fill the columns and walk that group's rows. */
TNN_HOT void tnn_tile_conv(const tnn_tile_job* job, const int32_t B) {
  const int32_t pixels = job->out_d->h * job->out_d->w, groups = job->p->groups;
  const int32_t ocg = job->out_d->c / groups;
  const uint32_t n_entries = tnn_read_u32(job->filter->data);
  int32_t pix, g;
  for (pix = 0; pix < pixels; pix += TNN_TILE) {
    int32_t n = pixels - pix < TNN_TILE ? pixels - pix : TNN_TILE;
    tnn_tile_walk wk;
    if (n < TNN_TILE && pixels >= TNN_TILE) {
      /* a short last tile overlaps the one before instead, so it takes the full tile's
       * path: its first pixels come out again, the same values (the output never overlaps
       * the input) */
      pix = pixels - TNN_TILE;
      n = TNN_TILE;
    }
    wk.e = job->filter->data + 4;
    wk.q = (uintptr_t)job->col + (n_entries ? wk.e[0] : 0) * (uintptr_t)(2 * TNN_TILE * B);
    for (g = 0; g < groups; ++g) {
      tnn_col_fill(job, pix, n, g);
      tnn_tile_rows(job, &wk, g * ocg, (g + 1) * ocg, pix, n, B);
    }
  }
}

static void tnn_tile_conv_b1(const tnn_tile_job* job) { tnn_tile_conv(job, 1); }
static void tnn_tile_conv_b2(const tnn_tile_job* job) { tnn_tile_conv(job, 2); }
static void tnn_tile_conv_b3(const tnn_tile_job* job) { tnn_tile_conv(job, 3); }
static void tnn_tile_conv_b4(const tnn_tile_job* job) { tnn_tile_conv(job, 4); }
static void tnn_tile_conv_any(const tnn_tile_job* job) { tnn_tile_conv(job, job->filter->block); }

static void tnn_tile_conv_run(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                              const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* out_d, int8_t* output, int32_t* col) {
  tnn_tile_job job;
  job.p = p;
  job.in_d = in_d;
  job.f_d = f_d;
  job.out_d = out_d;
  job.input = input;
  job.bias = bias;
  job.quant = quant;
  job.output = output;
  job.filter = filter;
  job.row_len = f_d->h * f_d->w * f_d->c;
  job.nfull = job.row_len / filter->block;
  job.tail = job.row_len - job.nfull * filter->block;
  job.bpr = job.nfull + (job.tail > 0);
  job.last_row = tnn_rle_last_row(filter, job.bpr);
  job.col = col;
  job.out = tnn_out_fast_of(p->output_offset, &p->activation);
  job.rq_kind = tnn_rq_layer_kind(quant->multiplier, quant->shift, out_d->c,
                                  p->output_offset, &p->activation);
  switch (filter->block) {
    case 1: tnn_tile_conv_b1(&job); break;
    case 2: tnn_tile_conv_b2(&job); break;
    case 3: tnn_tile_conv_b3(&job); break;
    case 4: tnn_tile_conv_b4(&job); break;
    default: tnn_tile_conv_any(&job); break;
  }
}

/* ---- depthwise: weights-stationary per channel -------------------------------------- */

/* Taps of one channel's kernel held while its output pixels are computed (640 bytes of
 * stack); kernels with more taps (beyond 8x8) take the per-pixel path. */
#define TNN_DW_MAX_TAPS 64

typedef struct {
  int32_t xo; /* the tap's input offset from its window's origin, (ky * W + kx) * C */
  int32_t w;  /* its weight */
} tnn_dw_tap;

typedef struct {
  const tnn_conv_params* p;
  const tnn_dims *in_d, *f_d, *out_d;
  const int8_t* input;
  int8_t* output;
  int32_t ox_lo, ox_hi; /* the output columns whose windows lie inside the input */
} tnn_dw_job;

/* The requantization of one output channel. */
typedef struct {
  int32_t bias, mult, shift, out_off;
  tnn_activation act;
} tnn_chan_q;

/* The sums of four pixels whose windows start at x, x + step, ... (inside the input): one
 * pass over the taps loads each tap once for the four. */
TNN_HOT void tnn_dw_sum4(const int8_t* x, int32_t step, const tnn_dw_tap* t,
                         const tnn_dw_tap* tend, int32_t* a) {
  const int8_t *x1 = x + step, *x2 = x1 + step, *x3 = x2 + step;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  do {
    const int32_t xo = t->xo, w = t->w;
    a0 += w * x[xo];
    a1 += w * x1[xo];
    a2 += w * x2[xo];
    a3 += w * x3[xo];
  } while (++t != tend);
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
}

/* The sum of the output pixel with window origin (y0, x0) of channel ch, any position:
 * taps outside the input are skipped, the input offset added per tap. */
static int32_t tnn_dw_sum_checked(const tnn_dw_job* job, int32_t ch, int32_t y0, int32_t x0,
                                  const tnn_dw_tap* taps, const uint8_t* ky, const uint8_t* kx,
                                  int32_t n) {
  const int32_t H = job->in_d->h, W = job->in_d->w, C = job->in_d->c;
  const int32_t in_off = job->p->input_offset;
  int32_t acc = 0, i;
  for (i = 0; i < n; ++i) {
    const int32_t iy = y0 + ky[i], ix = x0 + kx[i];
    if (iy >= 0 && iy < H && ix >= 0 && ix < W)
      acc += taps[i].w * (job->input[(iy * W + ix) * C + ch] + in_off);
  }
  return acc;
}

/* The sum of a pixel whose kernel rows t..tend lie inside the input but whose window
 * crosses the left or right border: a tap outside reads the input zero point (-offset),
 * which the weight sum's offset term turns into the padding's real 0. `off` is the input
 * index of the window's origin on row yb (may be negative); kx[i] the column of tap t[i]. */
static int32_t tnn_dw_sum_cols(const int8_t* input, int32_t off, int32_t x0, int32_t W,
                               const tnn_dw_tap* t, const tnn_dw_tap* tend, const uint8_t* kx,
                               int32_t zero_point) {
  int32_t acc = 0;
  for (; t != tend; ++t, ++kx) {
    const int32_t ix = x0 + *kx;
    acc += t->w * (ix >= 0 && ix < W ? input[off + t->xo] : zero_point);
  }
  return acc;
}

/* All output pixels of channel ch from its n > 0 taps (taps[n .. 2n) free). The columns
 * whose windows lie inside the input go four at a time without bounds checks, the input
 * offset added through the weight sum; on a row at the top or bottom border they apply
 * the taps of the kernel rows inside the input, copied behind the channel's taps with
 * their offsets counted from the first such row (when they fit). One instance for each
 * of the clamps the exporter emits (tnn_math.h: TNN_RQ_S8, _RELU) and one general
 * instance, so that the requantizations in line lose their branches. */
TNN_HOT void tnn_dw_channel_impl(const tnn_dw_job* job, int32_t ch, tnn_dw_tap* taps,
                                 const uint8_t* ky, uint8_t* kx, int32_t n,
                                 const tnn_chan_q* q, const int kind) {
  const tnn_conv_params* p = job->p;
  const int32_t H = job->in_d->h, W = job->in_d->w, C = job->in_d->c, kh = job->f_d->h;
  const int32_t OH = job->out_d->h, OW = job->out_d->w, sw = p->stride.w, pw = p->padding.w;
  const int32_t step = sw * C, ox_lo = job->ox_lo, ox_hi = job->ox_hi;
  const tnn_rq_chan rq = tnn_rq_chan_of(q->mult, q->shift);
  const tnn_out_fast of = tnn_out_fast_of(q->out_off, &q->act);
  const int32_t zero_point = -p->input_offset;
  const tnn_activation act = q->act;
  const int8_t* const input = job->input;
  int32_t oy, ox, i, wsum = 0;
  for (i = 0; i < n; ++i) wsum += taps[i].w;
  for (oy = 0; oy < OH; ++oy) {
    const int32_t y0 = oy * p->stride.h - p->padding.h;
    int8_t* out = job->output + oy * OW * C + ch;
    const tnn_dw_tap *t = taps, *tend = taps + n;
    const uint8_t* tkx = kx;
    int32_t yb = y0, b;
    ox = 0;
    if (y0 < 0 || y0 + kh > H) { /* keep the taps of the kernel rows inside the input */
      const int32_t dy = y0 < 0 ? -y0 : 0;
      tnn_dw_tap* d = taps + n;
      int32_t rsum = 0;
      if (2 * n > TNN_DW_MAX_TAPS) ox = OW; /* no room: the row goes through the checked path */
      for (i = 0; ox == 0 && i < n; ++i)
        if (y0 + ky[i] >= 0 && y0 + ky[i] < H) {
          d->xo = taps[i].xo - dy * W * C;
          d->w = taps[i].w;
          kx[n + (d - (taps + n))] = kx[i];
          rsum += d->w;
          ++d;
        }
      t = taps + n;
      tend = d;
      tkx = kx + n;
      yb = y0 + dy;
      b = q->bias + p->input_offset * rsum;
    } else {
      b = q->bias + p->input_offset * wsum;
    }
    if (ox == 0) {
      const int32_t off = yb * W * C + ch;
      for (; ox < ox_lo; ++ox) {
        const int32_t x0 = ox * sw - pw;
        const int32_t acc =
            b + tnn_dw_sum_cols(input, off + x0 * C, x0, W, t, tend, tkx, zero_point);
        out[ox * C] = (int8_t)tnn_output_kind(acc, &rq, &of, &act, kind);
      }
      if (t != tend) {
        for (; ox + 4 <= ox_hi; ox += 4) {
          int32_t a[4];
          tnn_dw_sum4(input + off + (ox * sw - pw) * C, step, t, tend, a);
          { /* each value stored as soon as it is made: fewer registers held */
            int8_t* o = out + ox * C;
            o[0] = (int8_t)tnn_output_kind(b + a[0], &rq, &of, &act, kind);
            o[C] = (int8_t)tnn_output_kind(b + a[1], &rq, &of, &act, kind);
            o[2 * C] = (int8_t)tnn_output_kind(b + a[2], &rq, &of, &act, kind);
            o[3 * C] = (int8_t)tnn_output_kind(b + a[3], &rq, &of, &act, kind);
          }
        }
        for (; ox < ox_hi; ++ox) { /* the last one to three inside */
          const int8_t* x = input + off + (ox * sw - pw) * C;
          const tnn_dw_tap* u;
          int32_t acc = b;
          for (u = t; u != tend; ++u) acc += u->w * x[u->xo];
          out[ox * C] = (int8_t)tnn_output_kind(acc, &rq, &of, &act, kind);
        }
      }
      for (; ox < OW; ++ox) {
        const int32_t x0 = ox * sw - pw;
        const int32_t acc =
            b + tnn_dw_sum_cols(input, off + x0 * C, x0, W, t, tend, tkx, zero_point);
        out[ox * C] = (int8_t)tnn_output_kind(acc, &rq, &of, &act, kind);
      }
    } else {
      for (ox = 0; ox < OW; ++ox) {
        const int32_t acc =
            q->bias + tnn_dw_sum_checked(job, ch, y0, ox * sw - pw, taps, ky, kx, n);
        out[ox * C] = (int8_t)tnn_output_kind(acc, &rq, &of, &act, kind);
      }
    }
  }
}

/* A channel whose taps are one or two whole kernel rows of 3 (taps[3i .. 3i + 2] the
 * row ky[3i]) in a conv of stride 1 along the width and padding 1 (so OW == W): each
 * output row sweeps its input rows once, the values of a window held in registers and
 * passed on (one load per row and pixel), the padding read as the input zero point,
 * which the bias's offset term turns into the padding's 0. Kernel rows outside the input
 * drop out of the sum and of that term. */
TNN_HOT void tnn_dw_rows_impl(const tnn_dw_job* job, int32_t ch, const tnn_dw_tap* taps,
                              const uint8_t* ky, int32_t n, const tnn_chan_q* q,
                              const int kind) {
  const tnn_conv_params* p = job->p;
  const int32_t H = job->in_d->h, W = job->in_d->w, C = job->in_d->c;
  const int32_t OH = job->out_d->h, in_off = p->input_offset, zp = -in_off;
  const tnn_rq_chan rq = tnn_rq_chan_of(q->mult, q->shift);
  const tnn_out_fast of = tnn_out_fast_of(q->out_off, &q->act);
  const tnn_activation act = q->act;
  int32_t oy;
  for (oy = 0; oy < OH; ++oy) {
    const int32_t y0 = oy * p->stride.h - p->padding.h;
    const int32_t ia = y0 + ky[0], ib = n == 6 ? y0 + ky[3] : -1;
    const int ina = ia >= 0 && ia < H, inb = ib >= 0 && ib < H;
    int8_t* out = job->output + oy * W * C + ch;
    int32_t ox;
    if (ina && inb) {
      const int32_t w0 = taps[0].w, w1 = taps[1].w, w2 = taps[2].w;
      const int32_t u0 = taps[3].w, u1 = taps[4].w, u2 = taps[5].w;
      const int32_t b = q->bias + in_off * (w0 + w1 + w2 + u0 + u1 + u2);
      const int8_t* x = job->input + ia * W * C + ch;
      const int32_t xb = (ib - ia) * W * C; /* the second row from the first */
      int32_t v0 = zp, v1 = x[0], t0 = zp, t1 = x[xb];
      for (ox = 1; ox < W; ++ox, out += C) {
        int32_t v2, t2;
        x += C;
        v2 = x[0];
        t2 = x[xb];
        *out = (int8_t)tnn_output_kind(b + w0 * v0 + w1 * v1 + w2 * v2 + u0 * t0 + u1 * t1 +
                                           u2 * t2,
                                       &rq, &of, &act, kind);
        v0 = v1;
        v1 = v2;
        t0 = t1;
        t1 = t2;
      }
      *out = (int8_t)tnn_output_kind(b + w0 * v0 + w1 * v1 + u0 * t0 + u1 * t1 + (w2 + u2) * zp,
                                     &rq, &of, &act, kind);
    } else if (ina || inb) {
      const tnn_dw_tap* t = ina ? taps : taps + 3;
      const int32_t w0 = t[0].w, w1 = t[1].w, w2 = t[2].w;
      const int32_t b = q->bias + in_off * (w0 + w1 + w2);
      const int8_t* x = job->input + (ina ? ia : ib) * W * C + ch;
      int32_t v0 = zp, v1 = x[0];
      for (ox = 1; ox < W; ++ox, out += C) {
        const int32_t v2 = *(x += C);
        *out = (int8_t)tnn_output_kind(b + w0 * v0 + w1 * v1 + w2 * v2, &rq, &of, &act, kind);
        v0 = v1;
        v1 = v2;
      }
      *out = (int8_t)tnn_output_kind(b + w0 * v0 + w1 * v1 + w2 * zp, &rq, &of, &act, kind);
    } else {
      const int8_t v = (int8_t)tnn_output_kind(q->bias, &rq, &of, &act, kind);
      for (ox = 0; ox < W; ++ox, out += C) *out = v;
    }
  }
}

/* Whether tnn_dw_rows_impl applies: n taps in whole kernel rows of 3 (one or two). */
static int tnn_dw_rows_ok(const tnn_dw_job* job, const uint8_t* ky, const uint8_t* kx,
                          int32_t n) {
  int32_t i;
  if ((n != 3 && n != 6) || job->f_d->w != 3 || job->p->stride.w != 1 ||
      job->p->padding.w != 1 || job->out_d->w != job->in_d->w)
    return 0;
  for (i = 0; i < n; i += 3)
    if (ky[i] != ky[i + 2] || kx[i] != 0 || kx[i + 1] != 1 || kx[i + 2] != 2) return 0;
  return 1;
}

TNN_SHARED void tnn_dw_channel(const tnn_dw_job* job, int32_t ch, tnn_dw_tap* taps,
                               const uint8_t* ky, uint8_t* kx, int32_t n,
                               const tnn_chan_q* q) {
  const tnn_out_fast of = tnn_out_fast_of(q->out_off, &q->act);
  const int kind = tnn_rq_kind(&of, q->mult, q->shift);
  const int rows = (kind == TNN_RQ_S8 || kind == TNN_RQ_RELU) && tnn_dw_rows_ok(job, ky, kx, n);
  if (rows && kind == TNN_RQ_S8) {
    tnn_dw_rows_impl(job, ch, taps, ky, n, q, TNN_RQ_S8);
  } else if (rows) {
    tnn_dw_rows_impl(job, ch, taps, ky, n, q, TNN_RQ_RELU);
  } else if (kind == TNN_RQ_S8) {
    tnn_dw_channel_impl(job, ch, taps, ky, kx, n, q, TNN_RQ_S8);
  } else if (kind == TNN_RQ_RELU) {
    tnn_dw_channel_impl(job, ch, taps, ky, kx, n, q, TNN_RQ_RELU);
  } else { /* other clamps (never exported) share the general instance: less code */
    tnn_dw_channel_impl(job, ch, taps, ky, kx, n, q, TNN_RQ_SLOW);
  }
}

/* Channel by channel: one parse of the channel's kh coded rows collects its non-zero
 * weights (pruned blocks, padding and filler entries drop out) with their input offsets,
 * then every output pixel of the channel applies that list; a fully pruned channel is
 * one requantization. */
/* The coded depthwise layer, channel by channel (tnn_dw_sparse's state). */
typedef struct {
  tnn_dw_job job;
  const tnn_per_channel_quant* quant;
  const int32_t* bias;
  const uint8_t* e; /* the next entry */
  uint32_t rem;     /* entries left */
  int32_t rel;      /* the next entry's block index, counted from the channel's first */
  int32_t bpr, per_channel, block;
} tnn_dw_coded;

/* Channel ch's non-zero taps (its kh coded rows, from the stream's current entry on):
 * their weights and input offsets, kernel rows and columns; returns how many. */
static int32_t tnn_dw_parse_channel(tnn_dw_coded* s, tnn_dw_tap* taps, uint8_t* ky_of,
                                    uint8_t* kx_of) {
  const int32_t kw = s->job.f_d->w, b = s->block, W = s->job.in_d->w, C = s->job.in_d->c;
  int32_t n = 0;
  while (s->rem) {
    const int32_t blk = s->rel + s->e[0];
    int32_t ky, off, len, j;
    if (blk >= s->per_channel) break;
    ky = blk / s->bpr;
    off = (blk - ky * s->bpr) * b;
    len = kw - off < b ? kw - off : b;
    for (j = 0; j < len; ++j) {
      const int32_t w = (int8_t)s->e[1 + j];
      if (w != 0) {
        taps[n].xo = (ky * W + off + j) * C;
        taps[n].w = w;
        ky_of[n] = (uint8_t)ky;
        kx_of[n] = (uint8_t)(off + j);
        ++n;
      }
    }
    s->rel = blk + 1;
    s->e += 1 + b;
    --s->rem;
  }
  s->rel -= s->per_channel;
  return n;
}

/* Channel ch from its n taps by the per-channel paths: a fully pruned channel is one
 * requantization, the others apply their list of taps to every output pixel. */
static void tnn_dw_coded_channel(const tnn_dw_coded* s, int32_t ch, tnn_dw_tap* taps,
                                 const uint8_t* ky_of, uint8_t* kx_of, int32_t n) {
  const tnn_conv_params* p = s->job.p;
  const int32_t C = s->job.in_d->c, pixels = s->job.out_d->h * s->job.out_d->w;
  tnn_chan_q q;
  q.bias = s->bias ? s->bias[ch] : 0;
  q.mult = s->quant->multiplier[ch];
  q.shift = s->quant->shift[ch];
  q.out_off = p->output_offset;
  q.act = p->activation;
  if (n == 0) {
    const int8_t v = tnn_output_s8(q.bias, q.mult, q.shift, q.out_off, &q.act);
    int8_t* out = s->job.output + ch;
    int32_t i;
    for (i = 0; i + 4 <= pixels; i += 4, out += 4 * C) {
      out[0] = v;
      out[C] = v;
      out[2 * C] = v;
      out[3 * C] = v;
    }
    for (; i < pixels; ++i, out += C) *out = v;
  } else {
    tnn_dw_channel(&s->job, ch, taps, ky_of, kx_of, n, &q);
  }
}

#if !defined(TNN_REFERENCE_KERNELS)
/* Channels with more stored taps than this run on the dense kernel over staged planes
 * (tnn_dw_planes_s8): their nine weights cost no more there than their list of taps here,
 * and the planes need no bounds tests at the border. */
#define TNN_DW_PLANE_MIN_TAPS 4

/* tnn_dw_weights_fn of the coded layer: channel c's weights as a dense 3x3 when it has
 * more than TNN_DW_PLANE_MIN_TAPS non-zero taps, else its outputs made here. */
static int tnn_dw_coded_weights(void* ctx, int32_t c, int8_t* w) {
  tnn_dw_coded* s = (tnn_dw_coded*)ctx;
  /* a 3x3 kernel's 9 taps and the 9 more tnn_dw_channel may copy behind them */
  tnn_dw_tap taps[2 * 9];
  uint8_t ky_of[2 * 9], kx_of[2 * 9];
  const int32_t n = tnn_dw_parse_channel(s, taps, ky_of, kx_of);
  int32_t i;
  if (n <= TNN_DW_PLANE_MIN_TAPS) {
    tnn_dw_coded_channel(s, c, taps, ky_of, kx_of, n);
    return 0;
  }
  memset(w, 0, 9);
  for (i = 0; i < n; ++i) w[3 * ky_of[i] + kx_of[i]] = (int8_t)taps[i].w;
  return 1;
}
#endif

/* Every channel by its list of taps (the arrays a function of their own: not held on the
 * stack under the planes). */
TNN_SHARED void tnn_dw_coded_lists(tnn_dw_coded* s) {
  tnn_dw_tap taps[TNN_DW_MAX_TAPS];
  uint8_t ky_of[TNN_DW_MAX_TAPS], kx_of[TNN_DW_MAX_TAPS];
  int32_t ch;
  for (ch = 0; ch < s->job.in_d->c; ++ch) {
    const int32_t n = tnn_dw_parse_channel(s, taps, ky_of, kx_of);
    tnn_dw_coded_channel(s, ch, taps, ky_of, kx_of, n);
  }
}

static void tnn_dw_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                          const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                          const tnn_rle_weights* filter, const int32_t* bias,
                          const tnn_dims* out_d, int8_t* output) {
  const int32_t kw = f_d->w, b = filter->block, W = in_d->w;
  const int32_t sw = p->stride.w, pw = p->padding.w;
  tnn_dw_coded s;
  s.job.p = p;
  s.job.in_d = in_d;
  s.job.f_d = f_d;
  s.job.out_d = out_d;
  s.job.input = input;
  s.job.output = output;
  s.job.ox_lo = (pw + sw - 1) / sw;
  s.job.ox_hi = W + pw - kw < 0 ? 0 : (W + pw - kw) / sw + 1;
  if (s.job.ox_hi > out_d->w) s.job.ox_hi = out_d->w;
  if (s.job.ox_lo > s.job.ox_hi) s.job.ox_lo = s.job.ox_hi;
  s.quant = quant;
  s.bias = bias;
  s.e = filter->data + 4;
  s.rem = tnn_read_u32(filter->data);
  s.rel = 0;
  s.block = b;
  s.bpr = (kw + b - 1) / b;
  s.per_channel = f_d->h * s.bpr;
#if !defined(TNN_REFERENCE_KERNELS)
  if (tnn_dw_planes_apply(p, in_d, f_d, out_d)) {
    tnn_dw_planes_s8(p, quant, in_d, input, f_d, bias, out_d, output, tnn_dw_coded_weights, &s);
    return;
  }
#endif
  tnn_dw_coded_lists(&s);
}

/* Depthwise kernels with more than TNN_DW_MAX_TAPS taps: pixel by pixel, each pixel
 * walking the whole stream. */
static void tnn_dw_sparse_large(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                                const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* out_d, int8_t* output) {
  const int32_t kw = f_d->w, b = filter->block, bpr = (kw + b - 1) / b;
  int32_t oy, ox, oc, ky, j;
  for (oy = 0; oy < out_d->h; ++oy) {
    for (ox = 0; ox < out_d->w; ++ox) {
      const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
      const uint8_t* e = filter->data + 4;
      uint32_t rem = tnn_read_u32(filter->data);
      int32_t rel = 0;
      for (oc = 0; oc < out_d->c; ++oc) {
        int32_t acc = bias ? bias[oc] : 0;
        for (ky = 0; ky < f_d->h; ++ky) {
          const int32_t iy = y0 + ky;
          const int row_inside = iy >= 0 && iy < in_d->h;
          while (rem) {
            const int32_t blk = rel + e[0];
            const int8_t* v = (const int8_t*)(e + 1);
            int32_t off, len;
            if (blk >= bpr) break;
            off = blk * b;
            len = kw - off < b ? kw - off : b;
            if (row_inside)
              for (j = 0; j < len; ++j) {
                const int32_t ix = x0 + off + j;
                if (ix >= 0 && ix < in_d->w)
                  acc += v[j] * (input[(iy * in_d->w + ix) * in_d->c + oc] + p->input_offset);
              }
            rel = blk + 1;
            e += 1 + b;
            --rem;
          }
          rel -= bpr;
        }
        output[(oy * out_d->w + ox) * out_d->c + oc] =
            tnn_output_s8(acc, quant->multiplier[oc], quant->shift[oc], p->output_offset,
                          &p->activation);
      }
    }
  }
}

/* ---- entry points -------------------------------------------------------------------- */

/* The sweep (tnn_sparse_sweep.h) over `pixels` pixels of in_c channels, filter rows x in_c. */
static void tnn_sweep_run(int32_t input_offset, int32_t output_offset, const tnn_activation* act,
                          const tnn_per_channel_quant* quant, int32_t pixels, int32_t in_c,
                          const int8_t* input, const tnn_rle_weights* filter,
                          const int32_t* bias, int32_t rows, int8_t* output) {
  tnn_sweep_layer l;
  l.input = input;
  l.pixels = pixels;
  l.in_c = in_c;
  l.input_offset = input_offset;
  l.output_offset = output_offset;
  l.activation = *act;
  l.filter = filter;
  l.bias = bias;
  l.quant = quant;
  l.output = output;
  l.rows = rows;
  tnn_sparse_sweep(&l);
}

/* Depthwise: groups > 1 and groups == in == out channels (a 1-channel conv is a plain
 * conv: its coded rows are whole kernels, as the cost model and the coder lay them out). */
static int tnn_is_depthwise(const tnn_dims* in_d, const tnn_dims* f_d, int32_t groups) {
  return groups > 1 && groups == in_d->c && f_d->n == in_d->c;
}

int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* f_d,
                                           int32_t groups) {
  if (!input_dims || !f_d || tnn_is_depthwise(input_dims, f_d, groups)) return 0;
  return 2 * TNN_TILE * f_d->h * f_d->w * f_d->c;
}

int32_t tnn_linear_sparse_s8_get_buffer_size(const tnn_dims* filter_dims) {
  if (!filter_dims) return 0;
  return 2 * TNN_TILE * filter_dims->h * filter_dims->w * filter_dims->c;
}

/* The scratch of `need` bytes, 4-byte aligned, or NULL. */
static int32_t* tnn_sparse_scratch(const tnn_context* ctx, int32_t need) {
  if (!ctx || !ctx->buf || ctx->size < need || ((uintptr_t)ctx->buf & 3) != 0) return 0;
  return (int32_t*)ctx->buf;
}

tnn_status tnn_conv_sparse_s8(const tnn_context* ctx, const tnn_conv_params* p,
                              const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                              const int8_t* input, const tnn_dims* f_d,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* out_d, int8_t* output) {
  tnn_status st;
  if (!input || !filter || !filter->data || filter->block < 1 || !output) return TNN_ERR_ARG;
  if ((st = tnn_conv_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  if (tnn_is_depthwise(in_d, f_d, p->groups)) {
    if (f_d->h <= TNN_DW_MAX_TAPS && f_d->w <= TNN_DW_MAX_TAPS &&
        f_d->h * f_d->w <= TNN_DW_MAX_TAPS)
      tnn_dw_sparse(p, quant, in_d, input, f_d, filter, bias, out_d, output);
    else
      tnn_dw_sparse_large(p, quant, in_d, input, f_d, filter, bias, out_d, output);
  } else {
    const int32_t need = tnn_conv_sparse_s8_get_buffer_size(in_d, f_d, p->groups);
    int32_t* col = tnn_sparse_scratch(ctx, need);
    if (!col) return TNN_ERR_BUFFER; /* the contract's scratch, even where the sweep needs none */
    if (f_d->h == 1 && f_d->w == 1 && p->stride.h == 1 && p->stride.w == 1 &&
        p->padding.h == 0 && p->padding.w == 0 && p->groups == 1 &&
        tnn_sweep_applies(filter, out_d->c, in_d->c))
      tnn_sweep_run(p->input_offset, p->output_offset, &p->activation, quant,
                    in_d->n * in_d->h * in_d->w, in_d->c, input, filter, bias, out_d->c, output);
    else
      tnn_tile_conv_run(p, quant, in_d, input, f_d, filter, bias, out_d, output, col);
  }
  return TNN_OK;
}

tnn_status tnn_linear_sparse_s8(const tnn_context* ctx, const tnn_linear_params* p,
                                const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                                const int8_t* input, const tnn_dims* f_d,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* out_d, int8_t* output) {
  tnn_status st;
  int32_t* col;
  if (!input || !filter || !filter->data || filter->block < 1 || !output) return TNN_ERR_ARG;
  if ((st = tnn_linear_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  if (!(col = tnn_sparse_scratch(ctx, tnn_linear_sparse_s8_get_buffer_size(f_d))))
    return TNN_ERR_BUFFER;
  if (tnn_sweep_applies(filter, out_d->c, in_d->c)) {
    tnn_sweep_run(p->input_offset, p->output_offset, &p->activation, quant,
                  in_d->n * in_d->h * in_d->w, in_d->c, input, filter, bias, out_d->c, output);
  } else {
    /* tokens as the pixels of a 1 x tokens map, the filter as a 1x1 conv */
    const int32_t tokens = in_d->n * in_d->h * in_d->w;
    const tnn_dims in_map = {1, tokens, 1, in_d->c}, out_map = {1, tokens, 1, out_d->c};
    const tnn_dims f_map = {out_d->c, 1, 1, in_d->c};
    tnn_conv_params conv;
    conv.input_offset = p->input_offset;
    conv.output_offset = p->output_offset;
    conv.stride.w = conv.stride.h = 1;
    conv.padding.w = conv.padding.h = 0;
    conv.groups = 1;
    conv.activation = p->activation;
    tnn_tile_conv_run(&conv, quant, &in_map, input, &f_map, filter, bias, &out_map, output, col);
  }
  return TNN_OK;
}
