#include "tnn_conv_internal.h"

/* TODO(K2): the fast depthwise kernel. */
void tnn_depthwise_conv_s8(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                           const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                           const int8_t* filter, const int32_t* bias, const tnn_dims* out_d,
                           int8_t* output) {
  (void)tnn_conv_s8_ref(0, p, quant, in_d, input, f_d, filter, bias, out_d, output);
}
