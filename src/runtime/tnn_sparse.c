#include "tnn_sparse.h"

#include "tnn_check.h"

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

/* A cursor over a validated stream, visiting stored blocks in order. */
typedef struct {
  const uint8_t* p;
  uint32_t remaining;
  int32_t next; /* block number the next entry's skip counts from */
  int32_t block;
} tnn_rle_cursor;

static void tnn_rle_begin(tnn_rle_cursor* c, const tnn_rle_weights* w) {
  c->p = w->data + 4;
  c->remaining = tnn_read_u32(w->data);
  c->next = 0;
  c->block = w->block;
}

/* Runs the statements after `row_len` once per stored block of row `row`, with
 *   v    (const int8_t*) the block's values,
 *   off  (int32_t)       the position of its first value in the row,
 *   full (int)           1 when all `block` values lie inside the row,
 *   len  (int32_t)       the count of values inside the row,
 * and leaves the cursor at the first entry of a later row. The cursor lives in locals
 * while walking, which keeps the hot loop in registers. */
#define TNN_RLE_FOR_ROW(c, row, blocks_per_row, row_len, ...)                          \
  do {                                                                                \
    const int32_t first_ = (row) * (blocks_per_row), end_ = first_ + (blocks_per_row); \
    const int32_t b_ = (c)->block;                                                    \
    const uint8_t* p_ = (c)->p;                                                       \
    uint32_t remaining_ = (c)->remaining;                                             \
    int32_t next_ = (c)->next;                                                        \
    while (remaining_) {                                                              \
      const int32_t blk_ = next_ + p_[0];                                             \
      if (blk_ >= end_) break;                                                        \
      {                                                                               \
        const int8_t* v = (const int8_t*)(p_ + 1);                                    \
        const int32_t off = (blk_ - first_) * b_;                                     \
        const int full = off + b_ <= (row_len);                                       \
        const int32_t len = full ? b_ : (row_len)-off;                                \
        (void)v;                                                                      \
        (void)full;                                                                   \
        (void)len;                                                                    \
        __VA_ARGS__                                                                   \
      }                                                                               \
      next_ = blk_ + 1;                                                               \
      p_ += 1 + b_;                                                                   \
      --remaining_;                                                                   \
    }                                                                                 \
    (c)->p = p_;                                                                      \
    (c)->remaining = remaining_;                                                      \
    (c)->next = next_;                                                                \
  } while (0)

/* The dot product of a coded weight row with int16 activations `x` (offsets applied).
 * Full blocks of 2, 3 and 4 values (the block sizes SparseNAS uses) are unrolled. */
static int32_t tnn_rle_row_dot(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                               int32_t row_len, const int16_t* x) {
  int32_t acc = 0;
  const int32_t b = c->block;
  TNN_RLE_FOR_ROW(c, row, blocks_per_row, row_len,
    const int16_t* xx = x + off;
    if (full && b == 4) {
      acc += v[0] * xx[0] + v[1] * xx[1] + v[2] * xx[2] + v[3] * xx[3];
    } else if (full && b == 2) {
      acc += v[0] * xx[0] + v[1] * xx[1];
    } else if (full && b == 3) {
      acc += v[0] * xx[0] + v[1] * xx[1] + v[2] * xx[2];
    } else {
      int32_t j;
      for (j = 0; j < len; ++j) acc += v[j] * xx[j];
    });
  return acc;
}

/* The dot products of a coded weight row with `n` (1 or 2) int8 activation vectors
 * read in place, without their offset: acc[k] = sum of value * x[k][position], and
 * *wsum = sum of the row's values (the caller adds input_offset * *wsum, exactly
 * sum of value * (x + offset)). Two vectors share one parse of the stream. */
static void tnn_rle_row_dot8(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                             int32_t row_len, const int8_t* const* x, int32_t n, int32_t* acc,
                             int32_t* wsum) {
  int32_t a0 = 0, a1 = 0, sum = 0;
  const int32_t b = c->block;
  const int8_t* x0 = x[0];
  const int8_t* x1 = n == 2 ? x[1] : x[0]; /* n == 1: the second sum is discarded */
  TNN_RLE_FOR_ROW(c, row, blocks_per_row, row_len,
    const int8_t* y0 = x0 + off;
    const int8_t* y1 = x1 + off;
    if (full && b == 4) {
      a0 += v[0] * y0[0] + v[1] * y0[1] + v[2] * y0[2] + v[3] * y0[3];
      if (n == 2) a1 += v[0] * y1[0] + v[1] * y1[1] + v[2] * y1[2] + v[3] * y1[3];
      sum += v[0] + v[1] + v[2] + v[3];
    } else if (full && b == 2) {
      a0 += v[0] * y0[0] + v[1] * y0[1];
      if (n == 2) a1 += v[0] * y1[0] + v[1] * y1[1];
      sum += v[0] + v[1];
    } else {
      int32_t j;
      for (j = 0; j < len; ++j) {
        a0 += v[j] * y0[j];
        if (n == 2) a1 += v[j] * y1[j];
        sum += v[j];
      }
    });
  acc[0] = a0;
  if (n == 2) acc[1] = a1;
  *wsum = sum;
}

int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* f_d,
                                           int32_t groups) {
  if (!input_dims || !f_d) return 0;
  /* depthwise: groups == in == out channels */
  if ((f_d->h == 1 && f_d->w == 1) || (groups == input_dims->c && f_d->n == input_dims->c))
    return 0;
  return 2 * f_d->h * f_d->w * f_d->c;
}

/* 1x1 conv (not depthwise), and the linear layer as a 1x1 conv over tokens: every output
 * pixel is a linear map of its input pixel's channels of each group. Pixels go two at a
 * time through one parse of the stream. */
static void tnn_conv1x1_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                               const tnn_dims* in_d, const int8_t* input,
                               const tnn_rle_weights* filter, const int32_t* bias,
                               const tnn_dims* out_d, int8_t* output) {
  const int32_t icg = in_d->c / p->groups, ocg = out_d->c / p->groups;
  const int32_t bpr = (icg + filter->block - 1) / filter->block;
  const int32_t pixels = out_d->h * out_d->w;
  int32_t pix = 0;
  while (pix < pixels) {
    const int8_t* x[2] = {0, 0};
    int32_t n = 0, k, oc;
    tnn_rle_cursor cur;
    /* up to two pixels; a pixel in the padding has no input (x = NULL) */
    for (k = 0; k < 2 && pix + k < pixels; ++k) {
      const int32_t oy = (pix + k) / out_d->w, ox = (pix + k) % out_d->w;
      const int32_t iy = oy * p->stride.h - p->padding.h, ix = ox * p->stride.w - p->padding.w;
      if (iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w)
        x[k] = input + (iy * in_d->w + ix) * in_d->c;
      n = k + 1;
    }
    tnn_rle_begin(&cur, filter);
    for (oc = 0; oc < out_d->c; ++oc) {
      const int32_t g = oc / ocg;
      int32_t acc[2] = {0, 0}, wsum = 0;
      if (n == 2 && x[0] && x[1]) {
        const int8_t* xg[2];
        xg[0] = x[0] + g * icg;
        xg[1] = x[1] + g * icg;
        tnn_rle_row_dot8(&cur, oc, bpr, icg, xg, 2, acc, &wsum);
        acc[0] += p->input_offset * wsum;
        acc[1] += p->input_offset * wsum;
      } else {
        /* one pixel, or a pair with padding: pixel by pixel over the same entries */
        const tnn_rle_cursor start = cur;
        for (k = 0; k < n; ++k) {
          cur = start;
          if (x[k]) {
            const int8_t* xg = x[k] + g * icg;
            tnn_rle_row_dot8(&cur, oc, bpr, icg, &xg, 1, &acc[k], &wsum);
            acc[k] += p->input_offset * wsum;
          } else {
            TNN_RLE_FOR_ROW(&cur, oc, bpr, icg, ;); /* skip the row: padding adds 0 */
          }
        }
      }
      for (k = 0; k < n; ++k)
        output[(pix + k) * out_d->c + oc] =
            tnn_output_s8((bias ? bias[oc] : 0) + acc[k], quant->multiplier[oc],
                          quant->shift[oc], p->output_offset, &p->activation);
    }
    pix += n;
  }
}

tnn_status tnn_conv_sparse_s8(const tnn_context* ctx, const tnn_conv_params* p,
                              const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                              const int8_t* input, const tnn_dims* f_d,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* out_d, int8_t* output) {
  int32_t oy, ox, oc, ky, kx, ic;
  int32_t need;
  tnn_status st;
  if (!input || !filter || !filter->data || filter->block < 1 || !output) return TNN_ERR_ARG;
  if ((st = tnn_conv_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  need = tnn_conv_sparse_s8_get_buffer_size(in_d, f_d, p->groups);
  if (need > 0 && (!ctx || !ctx->buf || ctx->size < need)) return TNN_ERR_BUFFER;
  {
    const int depthwise = p->groups == in_d->c && out_d->c == in_d->c;
    const int32_t icg = f_d->c, ocg = out_d->c / p->groups;
    const int32_t row_len = depthwise ? f_d->w : f_d->h * f_d->w * icg;
    const int32_t bpr = (row_len + filter->block - 1) / filter->block;
    int16_t* col = (int16_t*)(need > 0 ? ctx->buf : 0);
    if (!depthwise && f_d->h == 1 && f_d->w == 1) {
      tnn_conv1x1_sparse(p, quant, in_d, input, filter, bias, out_d, output);
      return TNN_OK;
    }
    for (oy = 0; oy < out_d->h; ++oy) {
      for (ox = 0; ox < out_d->w; ++ox) {
        tnn_rle_cursor cur;
        const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
        tnn_rle_begin(&cur, filter);
        for (oc = 0; oc < out_d->c; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          if (depthwise) {
            /* rows oc*kh .. oc*kh+kh-1 hold kernel row ky; values run along kx */
            for (ky = 0; ky < f_d->h; ++ky) {
              const int32_t iy = y0 + ky;
              const int row_inside = iy >= 0 && iy < in_d->h;
              TNN_RLE_FOR_ROW(&cur, oc * f_d->h + ky, bpr, row_len,
                int32_t j;
                if (row_inside)
                  for (j = 0; j < len; ++j) {
                    const int32_t ix = x0 + off + j;
                    if (ix >= 0 && ix < in_d->w)
                      acc += v[j] * (input[(iy * in_d->w + ix) * in_d->c + oc] + p->input_offset);
                  });
            }
          } else {
            if (oc % ocg == 0) {
              /* the receptive field of group oc / ocg, offsets applied, padding as real 0 */
              const int32_t g = oc / ocg;
              int16_t* dst = col;
              for (ky = 0; ky < f_d->h; ++ky)
                for (kx = 0; kx < f_d->w; ++kx) {
                  const int32_t iy = y0 + ky, ix = x0 + kx;
                  if (iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w) {
                    const int8_t* src = input + (iy * in_d->w + ix) * in_d->c + g * icg;
                    for (ic = 0; ic < icg; ++ic) *dst++ = (int16_t)(src[ic] + p->input_offset);
                  } else {
                    for (ic = 0; ic < icg; ++ic) *dst++ = 0;
                  }
                }
            }
            acc += tnn_rle_row_dot(&cur, oc, bpr, row_len, col);
          }
          output[(oy * out_d->w + ox) * out_d->c + oc] =
              tnn_output_s8(acc, quant->multiplier[oc], quant->shift[oc], p->output_offset,
                            &p->activation);
        }
      }
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
