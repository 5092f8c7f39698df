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
  /* TODO(K1): the fast path */
  return tnn_linear_s8_ref(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
}
