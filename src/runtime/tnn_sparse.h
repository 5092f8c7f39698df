/* tinynas int8 runtime: kernels on blockwise run-length coded weights (TinyFormer
 * SparseEngine; format in include/tinynas/cost/sparse_coding.h, the encoder's side).
 *
 * The weights of an op are `rows` rows of `row_len` int8 values (conv: rows = out,
 * row_len = kh*kw*in/groups; depthwise, groups > 1 == in == out channels: rows = C*kh,
 * row_len = kw; linear: rows = out, row_len = in), cut into blocks of `block` values that never straddle rows. The stream is
 *   uint32 n_stored (little-endian), then n_stored entries (uint8 d, int8 v[block]),
 * d = zero blocks skipped before the entry's block. Kernels walk the stream directly (no
 * decode to dense) and skip pruned blocks; integer sums do not depend on their order, so
 * results are bit-exact with the dense reference kernels (tested).
 *
 * Validate a stream once with tnn_rle_validate (as at model init); the sparse kernels
 * assume a valid stream for their shape, and then never read outside the stream, the
 * activations or the scratch.
 *
 * How they walk it: 1x1 convs and linear layers parse the stream once per four output
 * pixels (tokens), applying each stored block to all four; depthwise convs parse each
 * channel's kh rows once, keep its non-zero taps (at most 64, on the stack; larger kernels
 * go pixel by pixel) and apply them to every output pixel of the channel; other convs
 * parse the stream once per output pixel against its receptive field in scratch. The inner
 * loops are specialised for blocks of 1 to 4 values.
 */
#ifndef TNN_SPARSE_H
#define TNN_SPARSE_H

#include "tnn_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const uint8_t* data;  /* the coded bytes */
  int32_t size;         /* their count */
  int32_t block;        /* values per block, >= 1 */
} tnn_rle_weights;

/* TNN_OK when `w` is a well-formed stream for a rows x row_len tensor: complete entries,
 * skips that stay inside the tensor, zero padding in a row's short last block, nothing
 * after the last entry. Never reads outside [data, data + size). */
tnn_status tnn_rle_validate(const tnn_rle_weights* w, int32_t rows, int32_t row_len);

/* tnn_conv_s8 with coded weights; filter_dims gives the dense shape. Convs other than
 * depthwise and 1x1 need a 2-byte aligned scratch of tnn_conv_sparse_s8_get_buffer_size()
 * bytes: one output pixel's receptive field of one group as int16, input offset applied
 * (the scratch contract of include/tinynas/cost/cost.h). */
int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* filter_dims,
                                           int32_t groups);
tnn_status tnn_conv_sparse_s8(const tnn_context* ctx, const tnn_conv_params* params,
                              const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                              const int8_t* input, const tnn_dims* filter_dims,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* output_dims, int8_t* output);

/* tnn_linear_s8 with coded weights; no scratch. */
tnn_status tnn_linear_sparse_s8(const tnn_context* ctx, const tnn_linear_params* params,
                                const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                                const int8_t* input, const tnn_dims* filter_dims,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* output_dims, int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* TNN_SPARSE_H */
