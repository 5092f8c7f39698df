#include "tnn_check.h"
#include "tnn_nn.h"

tnn_status tnn_pool_s8(const tnn_pool_params* p, const tnn_dims* in_d, const int8_t* input,
                       const tnn_dims* out_d, int8_t* output) {
  int32_t oy, ox, c, ky, kx;
  if (!p || !input || !output || !tnn_dims_ok(in_d) || !tnn_dims_ok(out_d) || in_d->n != 1 ||
      out_d->n != 1 || !tnn_activation_ok(&p->activation) ||
      (p->kind != TNN_POOL_MAX && p->kind != TNN_POOL_AVG && p->kind != TNN_POOL_MIXED))
    return TNN_ERR_ARG;
  if (out_d->c != in_d->c ||
      out_d->h != tnn_window_out(in_d->h, p->kernel.h, p->stride.h, p->padding.h) ||
      out_d->w != tnn_window_out(in_d->w, p->kernel.w, p->stride.w, p->padding.w))
    return TNN_ERR_SHAPE;
  for (oy = 0; oy < out_d->h; ++oy) {
    for (ox = 0; ox < out_d->w; ++ox) {
      for (c = 0; c < in_d->c; ++c) {
        int32_t max = -128, sum = 0, count = 0, result;
        for (ky = 0; ky < p->kernel.h; ++ky) {
          const int32_t iy = oy * p->stride.h - p->padding.h + ky;
          if (iy < 0 || iy >= in_d->h) continue;
          for (kx = 0; kx < p->kernel.w; ++kx) {
            const int32_t ix = ox * p->stride.w - p->padding.w + kx;
            int32_t v;
            if (ix < 0 || ix >= in_d->w) continue;
            v = input[(iy * in_d->w + ix) * in_d->c + c];
            max = v > max ? v : max;
            sum += v;
            ++count;
          }
        }
        if (count == 0) return TNN_ERR_SHAPE; /* a window entirely in the padding */
        if (p->kind == TNN_POOL_MAX) {
          result = max;
        } else if (p->kind == TNN_POOL_AVG) {
          result = tnn_div_round(sum, count);
        } else {
          /* (max + sum / count) / 2 = (max * count + sum) / (2 * count), one rounding */
          result = tnn_div_round(max * count + sum, 2 * count);
        }
        output[(oy * out_d->w + ox) * out_d->c + c] =
            (int8_t)tnn_clamp(result, p->activation.min, p->activation.max);
      }
    }
  }
  return TNN_OK;
}

tnn_status tnn_global_avg_pool_s8(const tnn_dims* in_d, const int8_t* input, int8_t* output) {
  int32_t c, i;
  if (!input || !output || !tnn_dims_ok(in_d) || in_d->n != 1) return TNN_ERR_ARG;
  {
    const int32_t n = in_d->h * in_d->w;
    for (c = 0; c < in_d->c; ++c) {
      int32_t sum = 0;
      for (i = 0; i < n; ++i) sum += input[i * in_d->c + c];
      output[c] = (int8_t)tnn_clamp(tnn_div_round(sum, n), -128, 127);
    }
  }
  return TNN_OK;
}
