#include "tnn_check.h"
#include "tnn_nn.h"

int32_t tnn_linear_s8_get_buffer_size(const tnn_dims* filter_dims) {
  (void)filter_dims;
  return 0;
}

tnn_status tnn_linear_s8(const tnn_context* ctx, const tnn_linear_params* p,
                         const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                         const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                         const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
  int32_t t, o, i;
  (void)ctx;
  if (!p || !quant || !quant->multiplier || !quant->shift || !input || !filter || !output)
    return TNN_ERR_ARG;
  if (!tnn_dims_ok(in_d) || !tnn_dims_ok(f_d) || !tnn_dims_ok(out_d) ||
      !tnn_activation_ok(&p->activation))
    return TNN_ERR_ARG;
  {
    const int32_t tokens = in_d->n * in_d->h * in_d->w;
    const int32_t in = in_d->c, out = out_d->c;
    if (f_d->n != out || f_d->h * f_d->w * f_d->c != in || out_d->n * out_d->h * out_d->w != tokens)
      return TNN_ERR_SHAPE;
    for (t = 0; t < tokens; ++t) {
      for (o = 0; o < out; ++o) {
        int32_t acc = bias ? bias[o] : 0;
        for (i = 0; i < in; ++i) acc += (input[t * in + i] + p->input_offset) * filter[o * in + i];
        acc = tnn_requantize(acc, quant->multiplier[o], quant->shift[o]) + p->output_offset;
        output[t * out + o] = (int8_t)tnn_clamp(acc, p->activation.min, p->activation.max);
      }
    }
  }
  return TNN_OK;
}
