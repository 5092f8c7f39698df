/* tinynas int8 runtime: a whole model. The exporter (include/tinynas/export/model_data.h)
 * writes one blob of model data; tnn_model_init validates it once (TFLite Micro's
 * Prepare) and tnn_model_invoke runs its ops in order on one caller-owned arena (Eval).
 *
 * Model data format, version 1. Every field is a little-endian int32 (uint32 where noted);
 * the blob must start 4-byte aligned (exported projects declare it as a uint32_t array).
 *
 *   header       TNN_MODEL_HEADER_WORDS words
 *     [0]  magic, the bytes "TNNM"
 *     [1]  version (TNN_MODEL_VERSION)
 *     [2]  total size in bytes (a multiple of 4; the blob's size)
 *     [3]  CRC-32 (IEEE 802.3, zlib's crc32) of bytes [TNN_MODEL_HEADER_BYTES, total)
 *     [4]  op count, >= 1
 *     [5]  tensor count, >= 1
 *     [6]  input tensor index
 *     [7]  output tensor index
 *     [8]  arena size in bytes (a multiple of 4)
 *     [9]  data32 offset: byte offset of the int32 data section
 *     [10] data8 offset: byte offset of the int8 data section
 *     [11] 0 (reserved)
 *   tensor table  tensor count records of TNN_TENSOR_WORDS words:
 *     h, w, c (each >= 1), zero_point (in [-128, 127]), arena offset (bytes)
 *     An activation is int8 HWC (a token sequence is the same bytes, N = h * w tokens of
 *     c features) at [arena offset, arena offset + h*w*c) of the arena.
 *   op table      op count records of TNN_OP_WORDS words:
 *     [0]  kind (tnn_op_kind)
 *     [1]  flags: bit 0 = weights are run-length coded (tnn_sparse.h), bits 8..15 = the
 *          block size of the coding (0 for dense weights)
 *     [2]  input 0, [3] input 1, [4] input 2: tensor indices, -1 when the kind has fewer
 *          (add: 2 inputs; attention: q, k, v; others: 1)
 *     [5]  output tensor index
 *     [6]  scratch arena offset (bytes, a multiple of 4), [7] scratch size (bytes, >= the
 *          kernel's get_buffer_size partner; 0 when it needs none)
 *     [8]  activation min, [9] activation max (the fused ReLU clamp; [-128, 127])
 *     [10] weight offset: byte offset into the data8 section, -1 when none
 *     [11] weight size in bytes (dense: numel; coded: the stream's size)
 *     [12] bias offset: int32 index into the data32 section, -1 when none
 *     [13] per-channel quant offset: int32 index into data32 of the multipliers
 *          [channels] followed by the shifts [channels]; -1 when none
 *     [14] steps offset: int32 index into data32 of the per-tensor steps, each a
 *          (multiplier, shift) pair, in the kind's order (add: input1, input2, output;
 *          seq_pool and attention_softmax: score, output; attention_relu_linear: kv,
 *          output); -1 when none
 *     [15..19] kind parameters:
 *          conv: kernel_h, kernel_w, stride, padding, groups
 *          max/avg/mixed pool: kernel_h, kernel_w, stride, padding, 0
 *          add: left_shift, 0, 0, 0, 0
 *          attention_softmax, attention_relu_linear: heads, 0, 0, 0, 0
 *          others: 0
 *     Per kind, weight / bias / quant (channels = output channels; layer_norm: C):
 *          conv    weights OHWI (depthwise: C x kh x kw), bias [O], quant [O]
 *          linear  weights [O][I], bias [O], quant [O]
 *          layer_norm  weights = gamma int8 [C], bias [C], quant [C]
 *          seq_pool    weights int8 [C], steps (score, output)
 *     Only conv and linear may have coded weights.
 *   data32 section  int32 values (biases, multipliers, shifts, steps)
 *   data8 section   int8 weights and coded streams, then zero padding to a multiple of 4
 *
 * The sizes are those the cost model predicts for flash (include/tinynas/cost/cost.h):
 *   TNN_MODEL_HEADER_BYTES + TNN_TENSOR_BYTES * tensors + TNN_OP_BYTES * ops
 *   + 4 * int32 values + int8 bytes, rounded up to a multiple of 4.
 */
#ifndef TNN_MODEL_H
#define TNN_MODEL_H

#include "tnn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TNN_MODEL_VERSION 1
#define TNN_MODEL_HEADER_WORDS 12
#define TNN_TENSOR_WORDS 5
#define TNN_OP_WORDS 20
#define TNN_MODEL_HEADER_BYTES (4 * TNN_MODEL_HEADER_WORDS)
#define TNN_TENSOR_BYTES (4 * TNN_TENSOR_WORDS)
#define TNN_OP_BYTES (4 * TNN_OP_WORDS)

/* Op kinds, in the order of space::OpKind. */
typedef enum {
  TNN_OP_CONV = 0,
  TNN_OP_LINEAR = 1,
  TNN_OP_ADD = 2,
  TNN_OP_MAX_POOL = 3,
  TNN_OP_AVG_POOL = 4,
  TNN_OP_MIXED_POOL = 5,
  TNN_OP_GLOBAL_AVG_POOL = 6,
  TNN_OP_SEQ_POOL = 7,
  TNN_OP_LAYER_NORM = 8,
  TNN_OP_ATTENTION_SOFTMAX = 9,
  TNN_OP_ATTENTION_RELU_LINEAR = 10,
  TNN_OP_KIND_COUNT = 11
} tnn_op_kind;

#define TNN_OP_FLAG_SPARSE 1

/* A validated model: views into the caller's blob (which must outlive it). */
typedef struct {
  const int32_t* words;   /* the blob */
  uint32_t size;          /* bytes */
  int32_t op_count;
  int32_t tensor_count;
  int32_t input;          /* tensor indices */
  int32_t output;
  int32_t arena_size;     /* bytes */
  const int32_t* tensors; /* tensor table */
  const int32_t* ops;     /* op table */
  const int32_t* data32;
  int32_t data32_count;   /* int32 values */
  const int8_t* data8;
  int32_t data8_size;     /* bytes */
} tnn_model;

/* CRC-32 (IEEE, zlib's crc32 with initial value 0) of n bytes. */
uint32_t tnn_crc32(const uint8_t* data, uint32_t n);

/* Validates the blob and fills `model`. TNN_ERR_ARG: a null pointer or a blob not 4-byte
 * aligned; TNN_ERR_MODEL: anything wrong with the data (magic, version, sizes, checksum,
 * op kinds, tensor indices, shapes that do not fit the kind, buffers outside the arena,
 * an output overlapping an input, scratch too small or misaligned, weight / bias / quant
 * ranges outside their sections, coded streams that do not validate, parameters outside
 * the kernels' ranges). Never reads outside [data, data + size). Once it returns TNN_OK,
 * tnn_model_invoke cannot fail on argument checks.
 * Beyond the kernels' own checks it also requires (so that no kernel can overflow int32
 * or fail while running, and no op reads bytes another op overwrote):
 *  - tensor sides in [1, 65535]; conv and pool kernel sides and strides in [1, 65535];
 *    conv padding in [0, 65535]; pools: 0 <= padding < kernel (no window entirely in the
 *    padding) and <= 2^23 input pixels, as for global_avg_pool;
 *  - conv: (kh * W_in + kw) * C_in <= INT32_MAX (a tap's offset within the input);
 *  - conv / linear: a weight row of K = kh*kw*in/groups (linear: in) <= 65535 values,
 *    |bias| + 32768 * K <= INT32_MAX, and every channel's requantization of that bound
 *    plus the output zero point within int32; add: the same for its three steps;
 *    multipliers >= 0 and shifts in [-31, 30] everywhere;
 *  - data fields a kind does not use are -1 (weight size 0); flags 0 for dense weights,
 *    else bit 0 and a block >= 1 and no other bit; unused kind parameters and the
 *    reserved header word 0; global_avg_pool's activation [-128, 127] (it has none);
 *  - data flow: the input tensor is written by no op, every other tensor by at most one
 *    op and before any op reads it, the output tensor by one; no op writes its output or
 *    scratch over a tensor between that tensor's producer and its last reader (for the
 *    output, the last op); an op's scratch overlaps none of its own tensors. */
tnn_status tnn_model_init(tnn_model* model, const void* data, uint32_t size);

/* Bytes the arena passed to tnn_model_invoke must hold (4-byte aligned). */
int32_t tnn_model_arena_size(const tnn_model* model);

/* Where the input image goes (int8 HWC, tnn_model_input_size bytes) and where the logits
 * are after tnn_model_invoke (int8, tnn_model_output_size values), inside `arena`. */
int8_t* tnn_model_input(const tnn_model* model, void* arena);
const int8_t* tnn_model_output(const tnn_model* model, const void* arena);
int32_t tnn_model_input_size(const tnn_model* model);
int32_t tnn_model_output_size(const tnn_model* model);
/* The input tensor's zero point (for quantizing images: q = round(x / scale) + zp). */
int32_t tnn_model_input_zero_point(const tnn_model* model);

/* Runs every op. TNN_ERR_ARG when model is NULL; TNN_ERR_BUFFER when arena is NULL, not
 * 4-byte aligned or smaller than tnn_model_arena_size; otherwise the first non-zero status of a kernel (none for a model
 * tnn_model_init accepted). Conv and linear ops with coded weights run the sparse kernels.
 * The same as tnn_model_invoke_ops with no hook. */
tnn_status tnn_model_invoke(const tnn_model* model, void* arena, int32_t arena_size);

/* Per-op hook, for profiling (e.g. reading a cycle counter; the exported main_m7.c reads
 * the board's timer): called with TNN_HOOK_BEFORE just before op `op` (0 .. op_count - 1,
 * the execution order of the op table) runs and with TNN_HOOK_AFTER just after it, before
 * its status is looked at. `user` is tnn_model_invoke_ops's. The hook must not write the
 * arena. An op's kind is model->ops[TNN_OP_WORDS * op] (tnn_op_kind). */
#define TNN_HOOK_BEFORE 0
#define TNN_HOOK_AFTER 1
typedef void (*tnn_op_hook)(void* user, int32_t op, int32_t phase);

/* tnn_model_invoke, calling `hook` (when not NULL) around each op. The argument checks come
 * first: when they fail, the hook is never called; when a kernel fails, its op's
 * TNN_HOOK_AFTER call is the last. Without a hook (tnn_model_invoke) it costs a few
 * instructions per op over a loop with no hook at all: two tests of the pointer (measured
 * on the Cortex-M7 at -O2: about 8 instructions per op, with the call). */
tnn_status tnn_model_invoke_ops(const tnn_model* model, void* arena, int32_t arena_size,
                                tnn_op_hook hook, void* user);

/* Index of the largest of n int8 values (the lowest index on ties); -1 when values is
 * NULL or n < 1. */
int32_t tnn_argmax_s8(const int8_t* values, int32_t n);

#ifdef __cplusplus
}
#endif

#endif /* TNN_MODEL_H */
