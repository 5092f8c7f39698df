/* tinynas int8 runtime: kernels on blockwise run-length coded weights (TinyFormer
 * SparseEngine; format in include/tinynas/cost/sparse_coding.h, the encoder's side).
 *
 * The weights of an op are `rows` rows of `row_len` int8 values (conv: rows = out,
 * row_len = kh*kw*in/groups; depthwise, groups > 1 == in == out channels: rows = C*kh,
 * row_len = kw; linear: rows = out, row_len = in), cut into blocks of `block` values that
 * never straddle rows. The stream is
 *   uint32 n_stored (little-endian), then n_stored entries (uint8 d, int8 v[block]),
 * d = zero blocks skipped before the entry's block. Kernels walk the stream directly (no
 * decode to dense) and skip pruned blocks; integer sums do not depend on their order, so
 * results are bit-exact with the dense reference kernels (tested).
 *
 * Validate a stream once with tnn_rle_validate (as at model init); the sparse kernels
 * assume a valid stream for their shape, and then never read outside the stream, the
 * activations or the scratch.
 *
 * How they walk it. 1x1 convs (stride 1, no padding or groups) and linear layers with
 * blocks of 4, rows of a multiple of 4 and at most 1.5 stored blocks a row on average run
 * weights-stationary instead: each row parsed once, its blocks applied to every pixel's
 * int8 input in place (tnn_sparse_sweep.h). Other convs (1x1 included) and linear layers
 * take four output pixels (tokens) per walk of the stream: the four receptive fields of a group are
 * first copied into scratch as int16, input offset applied (padding as 0), block-major (a
 * block's values for the four pixels side by side), so a stored block costs one load of
 * its weights, paired by SXTB16 or PKHBT, then per pixel two SMLAD on one LDRD (blocks of
 * 4), one SMLAD with an LDRD serving two pixels (blocks of 2) or two SMLAD (blocks of 3);
 * blocks of 1 and 5+ go value by value (tnn_dsp.h). A run of zero blocks is one pointer
 * step, and rows before the stream's last entry never test for its end.
 * With the fast requantization (tnn_math.h: an int8 or ReLU clamp), blocks of 2 or 4 and
 * no short last block, each row of a full tile is requantized as soon as its walk ends,
 * the four sums never leaving registers; otherwise the sums of up to 16 rows go through
 * the requantization in a loop of their own, four equal sums (a row without stored
 * blocks) taking one. Depthwise convs parse each channel's kh rows once, keep its
 * non-zero taps (at most 64; larger kernels go pixel by pixel) and apply them to the
 * channel's output pixels, four at a time where windows lie inside the input; a channel
 * whose taps are one or two whole kernel rows of 3 (stride 1, padding 1 along the width)
 * sweeps each input row once instead, one load per row and pixel; a fully pruned channel
 * is one requantization. Stack: about 0.3 KB (tiles) or 0.7 KB (depthwise).
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
 * depthwise need a 4-byte aligned scratch of tnn_conv_sparse_s8_get_buffer_size() bytes
 * (else TNN_ERR_BUFFER): the receptive fields of one group of four output pixels as
 * int16, 2 * 4 * kh * kw * (in / groups) bytes whatever the block size, 1x1 convs
 * included; depthwise convs (groups > 1 == in == out channels) need none: 0. The scratch
 * contract of include/tinynas/cost/cost.h. */
int32_t tnn_conv_sparse_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* filter_dims,
                                           int32_t groups);
tnn_status tnn_conv_sparse_s8(const tnn_context* ctx, const tnn_conv_params* params,
                              const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                              const int8_t* input, const tnn_dims* filter_dims,
                              const tnn_rle_weights* filter, const int32_t* bias,
                              const tnn_dims* output_dims, int8_t* output);

/* tnn_linear_s8 with coded weights. Needs a 4-byte aligned scratch of
 * tnn_linear_sparse_s8_get_buffer_size() bytes (else TNN_ERR_BUFFER): four tokens as
 * int16, 2 * 4 * in bytes. */
int32_t tnn_linear_sparse_s8_get_buffer_size(const tnn_dims* filter_dims);
tnn_status tnn_linear_sparse_s8(const tnn_context* ctx, const tnn_linear_params* params,
                                const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                                const int8_t* input, const tnn_dims* filter_dims,
                                const tnn_rle_weights* filter, const int32_t* bias,
                                const tnn_dims* output_dims, int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* TNN_SPARSE_H */
