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

/* Block number of the current entry, or -1 at the end. */
static int32_t tnn_rle_block(const tnn_rle_cursor* c) {
  return c->remaining ? c->next + c->p[0] : -1;
}

static const int8_t* tnn_rle_values(const tnn_rle_cursor* c) { return (const int8_t*)(c->p + 1); }

static void tnn_rle_advance(tnn_rle_cursor* c) {
  c->next += c->p[0] + 1;
  c->p += 1 + c->block;
  --c->remaining;
}

/* Sum over the stored blocks of row `row`, each value times x[offset within the row]:
 * the dot product of a coded weight row with int16 activations `x` (offsets applied).
 * Full blocks of 2, 3 and 4 values (the block sizes SparseNAS uses) are unrolled. */
static int32_t tnn_rle_row_dot(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                               int32_t row_len, const int16_t* x) {
  int32_t acc = 0;
  const int32_t first = row * blocks_per_row, end = first + blocks_per_row;
  const int32_t b = c->block;
  const uint8_t* p = c->p;
  uint32_t remaining = c->remaining;
  int32_t next = c->next;
  while (remaining) {
    const int32_t blk = next + p[0];
    const int8_t* v = (const int8_t*)(p + 1);
    int32_t off;
    if (blk >= end) break;
    off = (blk - first) * b;
    if (off + b <= row_len && b == 4) {
      const int16_t* xx = x + off;
      acc += v[0] * xx[0] + v[1] * xx[1] + v[2] * xx[2] + v[3] * xx[3];
    } else if (off + b <= row_len && b == 2) {
      acc += v[0] * x[off] + v[1] * x[off + 1];
    } else if (off + b <= row_len && b == 3) {
      acc += v[0] * x[off] + v[1] * x[off + 1] + v[2] * x[off + 2];
    } else {
      const int32_t len = row_len - off < b ? row_len - off : b;
      int32_t j;
      for (j = 0; j < len; ++j) acc += v[j] * x[off + j];
    }
    next = blk + 1;
    p += 1 + b;
    --remaining;
  }
  c->p = p;
  c->remaining = remaining;
  c->next = next;
  return acc;
}

/* As tnn_rle_row_dot for int8 activations read in place: returns the sum of value * x and
 * adds the sum of the row's values to *wsum (the caller adds input_offset * *wsum). */
static int32_t tnn_rle_row_dot8(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                                int32_t row_len, const int8_t* x, int32_t* wsum) {
  int32_t acc = 0, sum = 0;
  const int32_t first = row * blocks_per_row, end = first + blocks_per_row;
  const int32_t b = c->block;
  const uint8_t* p = c->p;
  uint32_t remaining = c->remaining;
  int32_t next = c->next;
  while (remaining) {
    const int32_t blk = next + p[0];
    const int8_t* v = (const int8_t*)(p + 1);
    int32_t off;
    if (blk >= end) break;
    off = (blk - first) * b;
    if (off + b <= row_len && b == 4) {
      const int8_t* xx = x + off;
      acc += v[0] * xx[0] + v[1] * xx[1] + v[2] * xx[2] + v[3] * xx[3];
      sum += v[0] + v[1] + v[2] + v[3];
    } else if (off + b <= row_len && b == 2) {
      acc += v[0] * x[off] + v[1] * x[off + 1];
      sum += v[0] + v[1];
    } else {
      const int32_t len = row_len - off < b ? row_len - off : b;
      int32_t j;
      for (j = 0; j < len; ++j) {
        acc += v[j] * x[off + j];
        sum += v[j];
      }
    }
    next = blk + 1;
    p += 1 + b;
    --remaining;
  }
  c->p = p;
  c->remaining = remaining;
  c->next = next;
  *wsum += sum;
  return acc;
}

/* tnn_rle_row_dot8 for two activation vectors at once (two tokens or pixels): the
 * stream is parsed once for both, halving its cost per multiply. */
static void tnn_rle_row_dot8x2(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                               int32_t row_len, const int8_t* x0, const int8_t* x1,
                               int32_t* acc0, int32_t* acc1, int32_t* wsum) {
  int32_t a0 = 0, a1 = 0, sum = 0;
  const int32_t first = row * blocks_per_row, end = first + blocks_per_row;
  const int32_t b = c->block;
  const uint8_t* p = c->p;
  uint32_t remaining = c->remaining;
  int32_t next = c->next;
  while (remaining) {
    const int32_t blk = next + p[0];
    const int8_t* v = (const int8_t*)(p + 1);
    int32_t off;
    if (blk >= end) break;
    off = (blk - first) * b;
    if (off + b <= row_len && b == 4) {
      const int8_t* y0 = x0 + off;
      const int8_t* y1 = x1 + off;
      a0 += v[0] * y0[0] + v[1] * y0[1] + v[2] * y0[2] + v[3] * y0[3];
      a1 += v[0] * y1[0] + v[1] * y1[1] + v[2] * y1[2] + v[3] * y1[3];
      sum += v[0] + v[1] + v[2] + v[3];
    } else if (off + b <= row_len && b == 2) {
      a0 += v[0] * x0[off] + v[1] * x0[off + 1];
      a1 += v[0] * x1[off] + v[1] * x1[off + 1];
      sum += v[0] + v[1];
    } else {
      const int32_t len = row_len - off < b ? row_len - off : b;
      int32_t j;
      for (j = 0; j < len; ++j) {
        a0 += v[j] * x0[off + j];
        a1 += v[j] * x1[off + j];
        sum += v[j];
      }
    }
    next = blk + 1;
    p += 1 + b;
    --remaining;
  }
  c->p = p;
  c->remaining = remaining;
  c->next = next;
  *acc0 = a0;
  *acc1 = a1;
  *wsum = sum;
}

/* Skips the entries of row `row` (a pixel in the padding contributes nothing). */
static void tnn_rle_skip_row(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row) {
  const int32_t end = (row + 1) * blocks_per_row;
  int32_t blk;
  while ((blk = tnn_rle_block(c)) >= 0 && blk < end) tnn_rle_advance(c);
}

int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* f_d,
                                           int32_t groups) {
  if (!input_dims || !f_d) return 0;
  /* depthwise: groups == in == out channels */
  if ((f_d->h == 1 && f_d->w == 1) || (groups == input_dims->c && f_d->n == input_dims->c))
    return 0;
  return 2 * f_d->h * f_d->w * f_d->c;
}

/* 1x1 conv (not depthwise): every output pixel is a linear layer over its input pixel's
 * channels of each group; pixels go two at a time through one parse of the stream. */
static void tnn_conv1x1_sparse(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                               const tnn_dims* in_d, const int8_t* input,
                               const tnn_rle_weights* filter, const int32_t* bias,
                               const tnn_dims* out_d, int8_t* output, int32_t icg, int32_t ocg) {
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
      x[k] = iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w
                 ? input + (iy * in_d->w + ix) * in_d->c
                 : 0;
      n = k + 1;
    }
    tnn_rle_begin(&cur, filter);
    for (oc = 0; oc < out_d->c; ++oc) {
      const int32_t g = oc / ocg;
      int32_t acc[2] = {0, 0}, wsum = 0;
      if (n == 2 && x[0] && x[1]) {
        tnn_rle_row_dot8x2(&cur, oc, bpr, icg, x[0] + g * icg, x[1] + g * icg, &acc[0], &acc[1],
                           &wsum);
        acc[0] += p->input_offset * wsum;
        acc[1] += p->input_offset * wsum;
      } else {
        /* one pixel, or a pair with padding: pixel by pixel over the same entries */
        const tnn_rle_cursor start = cur;
        for (k = 0; k < n; ++k) {
          cur = start;
          wsum = 0;
          if (x[k]) {
            acc[k] = tnn_rle_row_dot8(&cur, oc, bpr, icg, x[k] + g * icg, &wsum);
            acc[k] += p->input_offset * wsum;
          } else {
            tnn_rle_skip_row(&cur, oc, bpr);
          }
        }
      }
      for (k = 0; k < n; ++k) {
        int32_t v = (bias ? bias[oc] : 0) + acc[k];
        v = tnn_requantize(v, quant->multiplier[oc], quant->shift[oc]) + p->output_offset;
        output[(pix + k) * out_d->c + oc] = (int8_t)tnn_clamp(v, p->activation.min, p->activation.max);
      }
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
  if (!p || !quant || !quant->multiplier || !quant->shift || !input || !filter ||
      !filter->data || filter->block < 1 || !output)
    return TNN_ERR_ARG;
  if (!tnn_dims_ok(in_d) || !tnn_dims_ok(f_d) || !tnn_dims_ok(out_d) || in_d->n != 1 ||
      out_d->n != 1 || !tnn_activation_ok(&p->activation) || p->groups < 1)
    return TNN_ERR_ARG;
  if (in_d->c % p->groups != 0 || out_d->c % p->groups != 0 || f_d->n != out_d->c ||
      f_d->c != in_d->c / p->groups ||
      out_d->h != tnn_window_out(in_d->h, f_d->h, p->stride.h, p->padding.h) ||
      out_d->w != tnn_window_out(in_d->w, f_d->w, p->stride.w, p->padding.w))
    return TNN_ERR_SHAPE;
  need = tnn_conv_sparse_s8_get_buffer_size(in_d, f_d, p->groups);
  if (need > 0 && (!ctx || !ctx->buf || ctx->size < need)) return TNN_ERR_BUFFER;
  {
    const int depthwise = p->groups == in_d->c && out_d->c == in_d->c;
    const int32_t icg = f_d->c, ocg = out_d->c / p->groups;
    const int32_t row_len = depthwise ? f_d->w : f_d->h * f_d->w * icg;
    const int32_t bpr = (row_len + filter->block - 1) / filter->block;
    int16_t* col = need > 0 ? (int16_t*)ctx->buf : 0;
    if (!depthwise && f_d->h == 1 && f_d->w == 1) {
      tnn_conv1x1_sparse(p, quant, in_d, input, filter, bias, out_d, output, icg, ocg);
      return TNN_OK;
    }
    for (oy = 0; oy < out_d->h; ++oy) {
      for (ox = 0; ox < out_d->w; ++ox) {
        tnn_rle_cursor cur;
        const int32_t y0 = oy * p->stride.h - p->padding.h, x0 = ox * p->stride.w - p->padding.w;
        tnn_rle_begin(&cur, filter);
        for (oc = 0; oc < out_d->c; ++oc) {
          const int32_t g = oc / ocg;
          int32_t acc = bias ? bias[oc] : 0;
          if (depthwise) {
            /* rows oc*kh .. oc*kh+kh-1 hold kernel row ky; values run along kx */
            for (ky = 0; ky < f_d->h; ++ky) {
              const int32_t row = oc * f_d->h + ky, iy = y0 + ky;
              const int32_t first = row * bpr, end = first + bpr;
              int32_t blk;
              while ((blk = tnn_rle_block(&cur)) >= 0 && blk < end) {
                const int8_t* v = tnn_rle_values(&cur);
                const int32_t off = (blk - first) * filter->block;
                const int32_t len = row_len - off < filter->block ? row_len - off : filter->block;
                int32_t j;
                if (iy >= 0 && iy < in_d->h)
                  for (j = 0; j < len; ++j) {
                    const int32_t ix = x0 + off + j;
                    if (ix >= 0 && ix < in_d->w)
                      acc += v[j] * (input[(iy * in_d->w + ix) * in_d->c + oc] + p->input_offset);
                  }
                tnn_rle_advance(&cur);
              }
            }
          } else {
            if (oc % ocg == 0) {
              /* the receptive field of group g, offsets applied, padding as real 0 */
              int16_t* dst = col;
              for (ky = 0; ky < f_d->h; ++ky)
                for (kx = 0; kx < f_d->w; ++kx) {
                  const int32_t iy = y0 + ky, ix = x0 + kx;
                  const int inside = iy >= 0 && iy < in_d->h && ix >= 0 && ix < in_d->w;
                  const int8_t* src = input + (iy * in_d->w + ix) * in_d->c + g * icg;
                  for (ic = 0; ic < icg; ++ic)
                    *dst++ = (int16_t)(inside ? src[ic] + p->input_offset : 0);
                }
            }
            acc += tnn_rle_row_dot(&cur, oc, bpr, row_len, col);
          }
          acc = tnn_requantize(acc, quant->multiplier[oc], quant->shift[oc]) + p->output_offset;
          output[(oy * out_d->w + ox) * out_d->c + oc] =
              (int8_t)tnn_clamp(acc, p->activation.min, p->activation.max);
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
  int32_t t, o;
  (void)ctx;
  if (!p || !quant || !quant->multiplier || !quant->shift || !input || !filter ||
      !filter->data || filter->block < 1 || !output)
    return TNN_ERR_ARG;
  if (!tnn_dims_ok(in_d) || !tnn_dims_ok(f_d) || !tnn_dims_ok(out_d) ||
      !tnn_activation_ok(&p->activation))
    return TNN_ERR_ARG;
  {
    const int32_t tokens = in_d->n * in_d->h * in_d->w;
    const int32_t in = in_d->c, out = out_d->c;
    const int32_t bpr = (in + filter->block - 1) / filter->block;
    if (f_d->n != out || f_d->h * f_d->w * f_d->c != in || out_d->n * out_d->h * out_d->w != tokens)
      return TNN_ERR_SHAPE;
    for (t = 0; t + 1 < tokens; t += 2) {
      tnn_rle_cursor cur;
      const int8_t* x0 = input + t * in;
      tnn_rle_begin(&cur, filter);
      for (o = 0; o < out; ++o) {
        int32_t a0, a1, wsum, k;
        tnn_rle_row_dot8x2(&cur, o, bpr, in, x0, x0 + in, &a0, &a1, &wsum);
        for (k = 0; k < 2; ++k) {
          int32_t acc = (bias ? bias[o] : 0) + (k ? a1 : a0) + p->input_offset * wsum;
          acc = tnn_requantize(acc, quant->multiplier[o], quant->shift[o]) + p->output_offset;
          output[(t + k) * out + o] = (int8_t)tnn_clamp(acc, p->activation.min, p->activation.max);
        }
      }
    }
    for (; t < tokens; ++t) {
      tnn_rle_cursor cur;
      const int8_t* x = input + t * in;
      tnn_rle_begin(&cur, filter);
      for (o = 0; o < out; ++o) {
        int32_t wsum = 0;
        int32_t acc = bias ? bias[o] : 0;
        acc += tnn_rle_row_dot8(&cur, o, bpr, in, x, &wsum);
        acc += p->input_offset * wsum;
        acc = tnn_requantize(acc, quant->multiplier[o], quant->shift[o]) + p->output_offset;
        output[t * out + o] = (int8_t)tnn_clamp(acc, p->activation.min, p->activation.max);
      }
    }
  }
  return TNN_OK;
}
