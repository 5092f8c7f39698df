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
 * the dot product of a coded weight row with int16 activations `x` (offsets applied). */
static int32_t tnn_rle_row_dot(tnn_rle_cursor* c, int32_t row, int32_t blocks_per_row,
                               int32_t row_len, const int16_t* x) {
  int32_t acc = 0, blk;
  const int32_t first = row * blocks_per_row, end = first + blocks_per_row;
  while ((blk = tnn_rle_block(c)) >= 0 && blk < end) {
    const int8_t* v = tnn_rle_values(c);
    const int32_t off = (blk - first) * c->block;
    const int32_t len = row_len - off < c->block ? row_len - off : c->block;
    int32_t j;
    for (j = 0; j < len; ++j) acc += v[j] * x[off + j];
    tnn_rle_advance(c);
  }
  return acc;
}

int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* f_d,
                                           int32_t groups) {
  if (!input_dims || !f_d) return 0;
  /* depthwise: groups == in == out channels */
  if ((f_d->h == 1 && f_d->w == 1) || (groups == input_dims->c && f_d->n == input_dims->c))
    return 0;
  return 2 * f_d->h * f_d->w * f_d->c;
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
          } else if (!col) {
            /* 1x1: the row is the pixel's channels of group g, read in place (a
             * padding pixel contributes nothing) */
            const int32_t first = oc * bpr, end = first + bpr;
            const int inside = y0 >= 0 && y0 < in_d->h && x0 >= 0 && x0 < in_d->w;
            const int8_t* x = inside ? input + (y0 * in_d->w + x0) * in_d->c + g * icg : input;
            int32_t blk;
            while ((blk = tnn_rle_block(&cur)) >= 0 && blk < end) {
              const int8_t* v = tnn_rle_values(&cur);
              const int32_t off = (blk - first) * filter->block;
              const int32_t len = row_len - off < filter->block ? row_len - off : filter->block;
              int32_t j;
              if (inside)
                for (j = 0; j < len; ++j) acc += v[j] * (x[off + j] + p->input_offset);
              tnn_rle_advance(&cur);
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
    for (t = 0; t < tokens; ++t) {
      tnn_rle_cursor cur;
      const int8_t* x = input + t * in;
      tnn_rle_begin(&cur, filter);
      for (o = 0; o < out; ++o) {
        const int32_t first = o * bpr, end = first + bpr;
        int32_t acc = bias ? bias[o] : 0, blk;
        while ((blk = tnn_rle_block(&cur)) >= 0 && blk < end) {
          const int8_t* v = tnn_rle_values(&cur);
          const int32_t off = (blk - first) * filter->block;
          const int32_t len = in - off < filter->block ? in - off : filter->block;
          int32_t j;
          for (j = 0; j < len; ++j) acc += v[j] * (x[off + j] + p->input_offset);
          tnn_rle_advance(&cur);
        }
        acc = tnn_requantize(acc, quant->multiplier[o], quant->shift[o]) + p->output_offset;
        output[t * out + o] = (int8_t)tnn_clamp(acc, p->activation.min, p->activation.max);
      }
    }
  }
  return TNN_OK;
}
