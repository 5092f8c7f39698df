#include "tnn_check.h"
#include "tnn_nn.h"

/* The reference: plain loops, no scratch (ctx is unused). */
tnn_status tnn_conv_s8_ref(const tnn_context* ctx, const tnn_conv_params* p,
                       const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                       const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                       const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  int32_t oy, ox, oc, ky, kx, ic;
  tnn_status st;
  (void)ctx;
  if (!input || !filter || !output) return TNN_ERR_ARG;
  if ((st = tnn_conv_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  {
    const int32_t in_per_group = in_d->c / p->groups;
    const int32_t out_per_group = out_d->c / p->groups;
    for (oy = 0; oy < out_d->h; ++oy) {
      for (ox = 0; ox < out_d->w; ++ox) {
        for (oc = 0; oc < out_d->c; ++oc) {
          const int32_t g = oc / out_per_group;
          int32_t acc = bias ? bias[oc] : 0;
          for (ky = 0; ky < f_d->h; ++ky) {
            const int32_t iy = oy * p->stride.h - p->padding.h + ky;
            if (iy < 0 || iy >= in_d->h) continue; /* padding: (zp - zp) * w = 0 */
            for (kx = 0; kx < f_d->w; ++kx) {
              const int32_t ix = ox * p->stride.w - p->padding.w + kx;
              if (ix < 0 || ix >= in_d->w) continue;
              for (ic = 0; ic < in_per_group; ++ic) {
                const int32_t x =
                    input[(iy * in_d->w + ix) * in_d->c + g * in_per_group + ic] + p->input_offset;
                const int32_t w = filter[((oc * f_d->h + ky) * f_d->w + kx) * f_d->c + ic];
                acc += x * w;
              }
            }
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
