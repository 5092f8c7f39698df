/* tinynas int8 runtime: the kernels, in the CMSIS-NN shape
 *   tnn_<op>_s8(ctx, params, quant, dims, data...) -> tnn_status
 * with a tnn_<op>_s8_get_buffer_size() partner giving the scratch bytes ctx must hold.
 * Kernels check their arguments and return a negative status instead of reading or
 * writing out of bounds.
 *
 * Each op has two implementations with the same results, bit for bit (tested on the host
 * and on the Cortex-M7 under QEMU):
 *  - tnn_<op>_s8_ref: the reference, plain loops on purpose, no scratch;
 *  - tnn_<op>_s8: the fast kernel the interpreter runs. It picks a specialised path by
 *    shape (1x1 / depthwise / im2col for convs) and, at compile time, the Arm DSP
 *    (SIMD) inner loops where __ARM_FEATURE_DSP is defined (Cortex-M4, M7, ...) or the
 *    same loops in portable C elsewhere (tnn_dsp.h). Built with TNN_REFERENCE_KERNELS
 *    defined, it calls the reference instead: smaller code, slower inference, the same
 *    results and the same scratch contract.
 */
#ifndef TNN_NN_H
#define TNN_NN_H

#include "tnn_math.h"
#include "tnn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2-D convolution, any kernel, stride, zero padding and groups (depthwise: groups =
 * in = out channels). input [1][H][W][C_in], filter [C_out][kh][kw][C_in / groups],
 * bias [C_out] (may be NULL), output [1][H_out][W_out][C_out] with
 * H_out = (H + 2 * padding.h - kh) / stride.h + 1 (and likewise W_out). Padding reads as
 * the input zero point (real 0). */
typedef struct {
  int32_t input_offset;   /* -input zero point, in [-127, 128] */
  int32_t output_offset;  /* output zero point, in [-128, 127] */
  tnn_tile stride;
  tnn_tile padding;
  int32_t groups;
  tnn_activation activation;
} tnn_conv_params;

/* Bytes of scratch tnn_conv_s8 needs in ctx (else TNN_ERR_BUFFER; ctx->buf aligned to at
 * least 2 bytes), from the shapes alone, the same in every build (DSP or portable,
 * TNN_REFERENCE_KERNELS or not):
 *  - depthwise (filter_dims->c == 1, filter_dims->n == input_dims->c > 1): 0;
 *  - every other conv, 1x1 included: 4 * kh * kw * (C_in / groups) = 4 * kh * kw *
 *    filter_dims->c, two rows of the mat-mult (the receptive fields of two output pixels
 *    of one group) as int16;
 * INT32_MAX when that does not fit an int32 (no buffer can hold it). */
int32_t tnn_conv_s8_get_buffer_size(const tnn_dims* input_dims, const tnn_dims* filter_dims);
tnn_status tnn_conv_s8_ref(const tnn_context* ctx, const tnn_conv_params* params,
                           const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                           const int8_t* input, const tnn_dims* filter_dims, const int8_t* filter,
                           const int32_t* bias, const tnn_dims* output_dims, int8_t* output);
tnn_status tnn_conv_s8(const tnn_context* ctx, const tnn_conv_params* params,
                       const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                       const int8_t* input, const tnn_dims* filter_dims, const int8_t* filter,
                       const int32_t* bias, const tnn_dims* output_dims, int8_t* output);

/* Per-token linear layer: input [tokens][in], filter [out][in], bias [out] (may be NULL),
 * output [tokens][out]. Dims: input {1, tokens, 1, in}, filter {out, 1, 1, in}, output
 * {1, tokens, 1, out}. */
typedef struct {
  int32_t input_offset;
  int32_t output_offset;
  tnn_activation activation;
} tnn_linear_params;

int32_t tnn_linear_s8_get_buffer_size(const tnn_dims* filter_dims);
tnn_status tnn_linear_s8_ref(const tnn_context* ctx, const tnn_linear_params* params,
                             const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                             const int8_t* input, const tnn_dims* filter_dims, const int8_t* filter,
                             const int32_t* bias, const tnn_dims* output_dims, int8_t* output);
tnn_status tnn_linear_s8(const tnn_context* ctx, const tnn_linear_params* params,
                         const tnn_per_channel_quant* quant, const tnn_dims* input_dims,
                         const int8_t* input, const tnn_dims* filter_dims, const int8_t* filter,
                         const int32_t* bias, const tnn_dims* output_dims, int8_t* output);

/* Elementwise add of two tensors of equal shape with their own quantization (a residual):
 * each input is shifted left by left_shift, scaled to a common scale by its own
 * multiplier, summed, then scaled to the output (TFLite's add). */
typedef struct {
  int32_t input1_offset, input2_offset;  /* -zero points */
  tnn_quant input1, input2;              /* to the common scale (with left_shift) */
  int32_t left_shift;                    /* headroom bits, in [0, 20] */
  tnn_quant output;                      /* common scale -> output scale */
  int32_t output_offset;
  tnn_activation activation;
} tnn_add_params;

tnn_status tnn_add_s8_ref(const tnn_add_params* params, const int8_t* input1,
                          const int8_t* input2, int32_t size, int8_t* output);
tnn_status tnn_add_s8(const tnn_add_params* params, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output);

/* Pools over windows of `kernel` with `stride` and `padding`; input and output share
 * their quantization. Average pools count only the window's in-bounds pixels and round
 * to nearest; mixed = (max + average) / 2, rounded. */
typedef enum { TNN_POOL_MAX = 0, TNN_POOL_AVG = 1, TNN_POOL_MIXED = 2 } tnn_pool_kind;

typedef struct {
  tnn_pool_kind kind;
  tnn_tile kernel;
  tnn_tile stride;
  tnn_tile padding;
  tnn_activation activation;
} tnn_pool_params;

tnn_status tnn_pool_s8(const tnn_pool_params* params, const tnn_dims* input_dims,
                       const int8_t* input, const tnn_dims* output_dims, int8_t* output);

/* Mean over H x W per channel: [1][H][W][C] -> [1][1][1][C], same quantization. */
tnn_status tnn_global_avg_pool_s8(const tnn_dims* input_dims, const int8_t* input,
                                  int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* TNN_NN_H */
