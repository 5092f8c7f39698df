#include "tnn_check.h"
#include "tnn_conv_internal.h"
#include "tnn_nn.h"

int32_t tnn_conv_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* filter_dims) {
  (void)input_dims;
  (void)filter_dims;
  return 0; /* TODO(K1): the im2col scratch */
}

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
  /* TODO(K1): 1x1 and im2col paths */
  return tnn_conv_s8_ref(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
#endif
}
