#include <string.h>

#include "tnn_check.h"
#include "tnn_conv_internal.h"
#include "tnn_mat_mult.h"
#include "tnn_nn.h"

static int tnn_is_depthwise(const tnn_dims* in_d, const tnn_dims* f_d) {
  return f_d->c == 1 && f_d->n == in_d->c && in_d->c > 1;
}

int32_t tnn_conv_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* filter_dims) {
  int64_t bytes;
  if (!input_dims || !filter_dims || tnn_is_depthwise(input_dims, filter_dims)) return 0;
  /* two rows of the mat-mult as int16 (tnn_mat_mult.h) */
  bytes = (int64_t)4 * filter_dims->h * filter_dims->w * filter_dims->c;
  return bytes > INT32_MAX ? INT32_MAX : (int32_t)bytes;
}

#if !defined(TNN_REFERENCE_KERNELS)

/* The mat-mult arguments of group g. */
static tnn_mat_mult_args tnn_conv_group_args(const tnn_conv_params* p,
                                             const tnn_per_channel_quant* quant,
                                             const tnn_dims* f_d, const int8_t* filter,
                                             const int32_t* bias, int32_t n, int32_t g,
                                             int rq_kind) {
  tnn_mat_mult_args m;
  m.k = f_d->h * f_d->w * f_d->c;
  m.n = n;
  m.filter = filter + g * n * m.k;
  m.bias = bias ? bias + g * n : 0;
  m.multiplier = quant->multiplier + g * n;
  m.shift = quant->shift + g * n;
  m.output_offset = p->output_offset;
  m.activation = p->activation;
  m.rq_kind = rq_kind;
  return m;
}

/* The im2col walk: the receptive field of an output pixel in the filter's [ky][kx][ic]
 * order, as a row of the mat-mult (tnn_mat_mult.h). When a group has a multiple of 4
 * channels, every run of taps starts at a multiple of 4 of the row: runs are widened
 * straight from the input and padding taps written as int16 zeros (x + input_offset =
 * 0). Otherwise the field is gathered as int8 into the row's upper half, padding taps as
 * the input zero point, and widened in place. */
typedef struct {
  const int8_t* input;
  const tnn_dims* in_d;
  const tnn_dims* f_d;
  const tnn_conv_params* p;
  int32_t k;      /* row length */
  int32_t direct; /* group channels % 4 == 0 */
} tnn_im2col_src;

/* Taps [j, j + n) of the row in the padding. */
static void tnn_im2col_pad(const tnn_im2col_src* s, int16_t* row, int32_t j, int32_t n) {
  if (s->direct)
    memset(row + j, 0, (size_t)n * sizeof(int16_t));
  else
    memset((int8_t*)row + s->k + j, -s->p->input_offset, (size_t)n);
}

/* Taps [j, j + n) of the row from src. */
static void tnn_im2col_copy(const tnn_im2col_src* s, int16_t* row, int32_t j, const int8_t* src,
                            int32_t n) {
  if (s->direct)
    tnn_mat_mult_row_s16(src, n, s->p->input_offset, row + j);
  else
    memcpy((int8_t*)row + s->k + j, src, (size_t)n);
}

/* Output pixel (oy, ox), group g, to row. */
static void tnn_im2col(const tnn_im2col_src* s, int32_t oy, int32_t ox, int32_t g, int16_t* row) {
  const int32_t c = s->in_d->c, icg = s->f_d->c, kw = s->f_d->w, span = kw * icg;
  const int32_t iy0 = oy * s->p->stride.h - s->p->padding.h;
  const int32_t ix0 = ox * s->p->stride.w - s->p->padding.w;
  /* the taps kx in [kx0, kx1) fall inside a row of the input */
  const int32_t kx0 = tnn_clamp(-ix0, 0, kw), kx1 = tnn_clamp(s->in_d->w - ix0, kx0, kw);
  int32_t ky, kx, j;
  for (ky = 0, j = 0; ky < s->f_d->h; ++ky, j += span) {
    const int32_t iy = iy0 + ky;
    const int8_t* src;
    if (iy < 0 || iy >= s->in_d->h || kx0 == kx1) {
      tnn_im2col_pad(s, row, j, span);
      continue;
    }
    src = s->input + (iy * s->in_d->w + ix0 + kx0) * c + g * icg;
    if (kx0 > 0) tnn_im2col_pad(s, row, j, kx0 * icg);
    if (icg == c) {
      tnn_im2col_copy(s, row, j + kx0 * c, src, (kx1 - kx0) * c);
    } else {
      for (kx = kx0; kx < kx1; ++kx) tnn_im2col_copy(s, row, j + kx * icg, src + (kx - kx0) * c, icg);
    }
    if (kx1 < kw) tnn_im2col_pad(s, row, j + kx1 * icg, (kw - kx1) * icg);
  }
  if (!s->direct) tnn_mat_mult_row_s16((int8_t*)row + s->k, s->k, s->p->input_offset, row);
}

/* The scratch as two int16 rows of k (tnn_mat_mult.h), or NULL when it is missing or
 * too small. */
static int16_t* tnn_conv_rows(const tnn_context* ctx, const tnn_dims* in_d, const tnn_dims* f_d) {
  const int32_t need = tnn_conv_s8_get_buffer_size(in_d, f_d);
  return ctx && ctx->buf && ctx->size >= need ? (int16_t*)ctx->buf : 0;
}

/* Any kernel: the receptive fields of two output pixels at a time are copied to the
 * scratch (im2col) and multiplied by the filter, group by group. */
static tnn_status tnn_conv_im2col(const tnn_context* ctx, const tnn_conv_params* p,
                                  const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                                  const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                                  const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  const int32_t k = f_d->h * f_d->w * f_d->c, ocg = out_d->c / p->groups;
  const int32_t pixels = out_d->h * out_d->w, w = out_d->w;
  int16_t *row0, *row1;
  tnn_im2col_src src;
  int32_t pix, g;
  const int kind = tnn_rq_layer_kind(quant->multiplier, quant->shift, out_d->c,
                                     p->output_offset, &p->activation);
  if (!(row0 = tnn_conv_rows(ctx, in_d, f_d))) return TNN_ERR_BUFFER;
  row1 = row0 + k;
  src.input = input, src.in_d = in_d, src.f_d = f_d, src.p = p;
  src.k = k, src.direct = f_d->c % 4 == 0;
  for (pix = 0; pix < pixels; pix += 2) {
    const int32_t two = pixels - pix > 1;
    int8_t* out0 = output + pix * out_d->c;
    for (g = 0; g < p->groups; ++g) {
      const tnn_mat_mult_args m = tnn_conv_group_args(p, quant, f_d, filter, bias, ocg, g, kind);
      tnn_im2col(&src, pix / w, pix % w, g, row0);
      if (two) tnn_im2col(&src, (pix + 1) / w, (pix + 1) % w, g, row1);
      tnn_mat_mult_s8(&m, row0, two ? row1 : 0, out0 + g * ocg, out0 + out_d->c + g * ocg);
    }
  }
  return TNN_OK;
}

/* 1x1 kernel: a pixel's channels (of a group) are a row of the mat-mult as they are, so
 * there is no im2col, only the widening. A pixel in the padding has every input at the
 * zero point: its outputs are the bias alone. */
static tnn_status tnn_conv_1x1(const tnn_context* ctx, const tnn_conv_params* p,
                               const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                               const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                               const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  const int32_t icg = f_d->c, ocg = out_d->c / p->groups;
  const int8_t* held = 0; /* an input pixel waiting for a partner */
  int8_t* held_out = 0;
  int16_t *row0, *row1;
  int32_t oy, ox, g;
  const int kind = tnn_rq_layer_kind(quant->multiplier, quant->shift, out_d->c,
                                     p->output_offset, &p->activation);
  if (!(row0 = tnn_conv_rows(ctx, in_d, f_d))) return TNN_ERR_BUFFER;
  row1 = row0 + icg;
  for (oy = 0; oy < out_d->h; ++oy) {
    const int32_t iy = oy * p->stride.h - p->padding.h;
    for (ox = 0; ox < out_d->w; ++ox) {
      const int32_t ix = ox * p->stride.w - p->padding.w;
      int8_t* out = output + (oy * out_d->w + ox) * out_d->c;
      const int8_t* in;
      if (iy < 0 || iy >= in_d->h || ix < 0 || ix >= in_d->w) {
        for (g = 0; g < p->groups; ++g) {
          const tnn_mat_mult_args m =
              tnn_conv_group_args(p, quant, f_d, filter, bias, ocg, g, kind);
          tnn_mat_mult_bias_only_s8(&m, out + g * ocg);
        }
        continue;
      }
      in = input + (iy * in_d->w + ix) * in_d->c;
      if (!held) {
        held = in, held_out = out;
        continue;
      }
      for (g = 0; g < p->groups; ++g) {
        const tnn_mat_mult_args m = tnn_conv_group_args(p, quant, f_d, filter, bias, ocg, g, kind);
        tnn_mat_mult_row_s16(held + g * icg, icg, p->input_offset, row0);
        tnn_mat_mult_row_s16(in + g * icg, icg, p->input_offset, row1);
        tnn_mat_mult_s8(&m, row0, row1, held_out + g * ocg, out + g * ocg);
      }
      held = 0;
    }
  }
  for (g = 0; held && g < p->groups; ++g) {
    const tnn_mat_mult_args m = tnn_conv_group_args(p, quant, f_d, filter, bias, ocg, g, kind);
    tnn_mat_mult_row_s16(held + g * icg, icg, p->input_offset, row0);
    tnn_mat_mult_s8(&m, row0, 0, held_out + g * ocg, 0);
  }
  return TNN_OK;
}

#endif /* !TNN_REFERENCE_KERNELS */

tnn_status tnn_conv_s8(const tnn_context* ctx, const tnn_conv_params* p,
                       const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                       const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                       const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_conv_s8_ref(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
#else
  tnn_status st;
  if (!input || !filter || !output) return TNN_ERR_ARG;
  if ((st = tnn_conv_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  if (p->groups > 1 && p->groups == in_d->c && out_d->c == in_d->c) {
    tnn_depthwise_conv_s8(p, quant, in_d, input, f_d, filter, bias, out_d, output);
    return TNN_OK;
  }
  if (f_d->h == 1 && f_d->w == 1)
    return tnn_conv_1x1(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
  return tnn_conv_im2col(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
#endif
}
