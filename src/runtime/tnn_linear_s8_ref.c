#include "tnn_check.h"
#include "tnn_nn.h"

/* The reference: plain loops, no scratch (ctx is unused). */
tnn_status tnn_linear_s8_ref(const tnn_context* ctx, const tnn_linear_params* p,
                         const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                         const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                         const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  int32_t t, o, i;
  tnn_status st;
  (void)ctx;
  if (!input || !filter || !output) return TNN_ERR_ARG;
  if ((st = tnn_linear_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  {
    const int32_t tokens = in_d->n * in_d->h * in_d->w;
    const int32_t in = in_d->c, out = out_d->c;
    for (t = 0; t < tokens; ++t) {
      for (o = 0; o < out; ++o) {
        int32_t acc = bias ? bias[o] : 0;
        for (i = 0; i < in; ++i) acc += (input[t * in + i] + p->input_offset) * filter[o * in + i];
        output[t * out + o] = tnn_output_s8(acc, quant->multiplier[o], quant->shift[o],
                                            p->output_offset, &p->activation);
      }
    }
  }
  return TNN_OK;
}
