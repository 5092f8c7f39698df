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

/* Depthwise 3x3 stride 1 on small maps (padding <= 1, map with padding within 16 rows and
 * 20 bytes, 256 outputs a channel), over four channels' input planes staged whole
 * (tnn_depthwise_s8.c): whether a layer takes it, and the layer with each channel's nine
 * weights from `weights` (asked for channels in order; 0: the caller has made that
 * channel's outputs itself and the planes skip it). */
typedef int (*tnn_dw_weights_fn)(void* ctx, int32_t c, int8_t* w);
int tnn_dw_planes_apply(const tnn_conv_params* p, const tnn_dims* in_d, const tnn_dims* f_d,
                        const tnn_dims* out_d);
void tnn_dw_planes_s8(const tnn_conv_params* p, const tnn_per_channel_quant* quant,
                      const tnn_dims* in_d, const int8_t* input, const tnn_dims* f_d,
                      const int32_t* bias, const tnn_dims* out_d, int8_t* output,
                      tnn_dw_weights_fn weights, void* ctx);

#endif /* TNN_CONV_INTERNAL_H */
