/* The specialised conv paths tnn_conv_s8 dispatches to (internal). Their arguments have
 * passed tnn_conv_check; each is bit-exact with tnn_conv_s8_ref. */
#ifndef TNN_CONV_INTERNAL_H
#define TNN_CONV_INTERNAL_H

#include "tnn_nn.h"

/* Depthwise (groups == in == out channels > 1, filter [C][kh][kw]): no scratch. */
void tnn_depthwise_conv_s8(const tnn_conv_params* params, const tnn_per_channel_quant* quant,
                           const tnn_dims* input_dims, const int8_t* input,
                           const tnn_dims* filter_dims, const int8_t* filter, const int32_t* bias,
                           const tnn_dims* output_dims, int8_t* output);

#endif /* TNN_CONV_INTERNAL_H */
