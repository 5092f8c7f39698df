/* tinynas int8 runtime: shared types. C99, no malloc, no float on the inference path.
 *
 * Conventions (TensorFlow Lite Micro / CMSIS-NN):
 *  - activations are int8, NHWC, asymmetric: real = scale * (q - zero_point). Kernels take
 *    input_offset = -input_zero_point and output_offset = +output_zero_point;
 *  - weights are int8, symmetric per output channel (zero point 0); conv weights are laid
 *    out [out][kh][kw][in / groups] (depthwise: [C][kh][kw]), linear weights [out][in];
 *  - biases are int32 in the accumulator's scale (input_scale * weight_scale[c]);
 *  - an accumulator is brought to the output scale by a fixed-point multiplier and shift
 *    (tnn_math.h), then the output offset is added and the result clamped to the fused
 *    activation range [act_min, act_max] (ReLU: act_min = output zero point).
 */
#ifndef TNN_TYPES_H
#define TNN_TYPES_H

#include <stdint.h>

/* Status codes: 0 = success, negative = error. */
typedef enum {
  TNN_OK = 0,
  TNN_ERR_ARG = -1,         /* a null pointer or an out-of-range parameter */
  TNN_ERR_SHAPE = -2,       /* dimensions that do not fit together */
  TNN_ERR_BUFFER = -3,      /* scratch buffer missing or too small */
  TNN_ERR_MODEL = -4,       /* corrupt or unsupported model data */
  TNN_ERR_UNSUPPORTED = -5  /* a valid request this build cannot run */
} tnn_status;

/* Tensor dimensions, NHWC. Linear layers use n = 1, h = tokens, w = 1, c = features. */
typedef struct {
  int32_t n, h, w, c;
} tnn_dims;

/* A 2-D size (kernel, stride, padding). */
typedef struct {
  int32_t w, h;
} tnn_tile;

/* Caller-owned scratch memory (size in bytes; buf may be NULL when size is 0). */
typedef struct {
  void* buf;
  int32_t size;
} tnn_context;

/* Fused activation: outputs are clamped to [min, max] (both in [-128, 127]). */
typedef struct {
  int32_t min, max;
} tnn_activation;

/* Requantization of a per-channel op: one multiplier and shift per output channel. */
typedef struct {
  const int32_t* multiplier;
  const int32_t* shift;
} tnn_per_channel_quant;

/* Requantization of a per-tensor step. */
typedef struct {
  int32_t multiplier;
  int32_t shift;
} tnn_quant;

#endif /* TNN_TYPES_H */
