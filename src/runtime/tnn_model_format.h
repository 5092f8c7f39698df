/* tinynas int8 runtime: where each field of the model data lies. The format, its fields'
 * meanings and their ranges are described in tnn_model.h; this header names the word
 * positions, once, for the two sides that must agree on them: the writer
 * (src/export/model_data.cpp, C++) and the reader (tnn_model.c). C99, no code.
 *
 * Every record is a run of little-endian int32 words; a field's constant is its word index
 * in the record (the header's words: TNN_HDR_*, a tensor record's: TNN_TENSOR_*, an op
 * record's: TNN_OPR_*). The record sizes (TNN_MODEL_HEADER_WORDS, TNN_TENSOR_WORDS,
 * TNN_OP_WORDS) and the op kind codes (tnn_op_kind, an op record's TNN_OPR_KIND) are
 * tnn_model.h's.
 */
#ifndef TNN_MODEL_FORMAT_H
#define TNN_MODEL_FORMAT_H

#include "tnn_model.h"

/* The header's first word: the bytes "TNNM" read as a little-endian int32. */
#define TNN_MODEL_MAGIC 0x4d4e4e54

/* An absent input tensor index or data offset in an op record. */
#define TNN_ABSENT (-1)

/* Op record flags (TNN_OPR_FLAGS): TNN_OP_FLAG_SPARSE (tnn_model.h) in bit 0, and the
 * block size of the coding in bits TNN_OP_FLAG_BLOCK_SHIFT.. (TNN_OP_FLAG_BLOCK_MASK
 * after the shift; 0 for dense weights). No other bit may be set. */
#define TNN_OP_FLAG_BLOCK_SHIFT 8
#define TNN_OP_FLAG_BLOCK_MASK 0xff

/* The header's words. */
enum {
  TNN_HDR_MAGIC = 0,    /* TNN_MODEL_MAGIC */
  TNN_HDR_VERSION = 1,  /* TNN_MODEL_VERSION */
  TNN_HDR_SIZE = 2,     /* total bytes */
  TNN_HDR_CRC = 3,      /* CRC-32 of the bytes after the header */
  TNN_HDR_OPS = 4,      /* op count */
  TNN_HDR_TENSORS = 5,  /* tensor count */
  TNN_HDR_INPUT = 6,    /* input tensor index */
  TNN_HDR_OUTPUT = 7,   /* output tensor index */
  TNN_HDR_ARENA = 8,    /* arena bytes */
  TNN_HDR_DATA32 = 9,   /* byte offset of the int32 data section */
  TNN_HDR_DATA8 = 10,   /* byte offset of the int8 data section */
  TNN_HDR_RESERVED = 11 /* 0 */
};

/* A tensor record's words. */
enum {
  TNN_TENSOR_H = 0,
  TNN_TENSOR_W = 1,
  TNN_TENSOR_C = 2,
  TNN_TENSOR_ZERO_POINT = 3,
  TNN_TENSOR_OFFSET = 4 /* arena byte offset */
};

/* An op record's words. */
enum {
  TNN_OPR_KIND = 0,          /* tnn_op_kind */
  TNN_OPR_FLAGS = 1,         /* TNN_OP_FLAG_SPARSE | block << TNN_OP_FLAG_BLOCK_SHIFT */
  TNN_OPR_IN0 = 2,           /* input tensor indices, TNN_ABSENT past the kind's count: */
  TNN_OPR_IN1 = 3,           /* input k is TNN_OPR_IN0 + k, k < TNN_OP_MAX_INPUTS */
  TNN_OPR_IN2 = 4,
  TNN_OPR_OUT = 5,           /* output tensor index */
  TNN_OPR_SCRATCH = 6,       /* scratch arena byte offset */
  TNN_OPR_SCRATCH_SIZE = 7,  /* scratch bytes */
  TNN_OPR_ACT_MIN = 8,       /* the fused activation's clamp */
  TNN_OPR_ACT_MAX = 9,
  TNN_OPR_WEIGHT = 10,       /* byte offset into data8, or TNN_ABSENT */
  TNN_OPR_WEIGHT_SIZE = 11,  /* bytes (dense: numel; coded: the stream's size) */
  TNN_OPR_BIAS = 12,         /* int32 index into data32, or TNN_ABSENT */
  TNN_OPR_QUANT = 13,        /* int32 index into data32: multipliers, then shifts; or TNN_ABSENT */
  TNN_OPR_STEPS = 14,        /* int32 index into data32: (multiplier, shift) pairs; or TNN_ABSENT */
  TNN_OPR_PARAMS = 15,       /* the kind's parameters, TNN_OP_PARAM_COUNT words; unused ones 0 */
  /* The kinds' parameters by name (tnn_model.h: "kind parameters"). */
  TNN_OPR_KERNEL_H = TNN_OPR_PARAMS,     /* conv, pools */
  TNN_OPR_KERNEL_W = TNN_OPR_PARAMS + 1, /* conv, pools */
  TNN_OPR_STRIDE = TNN_OPR_PARAMS + 2,   /* conv, pools */
  TNN_OPR_PADDING = TNN_OPR_PARAMS + 3,  /* conv, pools */
  TNN_OPR_GROUPS = TNN_OPR_PARAMS + 4,   /* conv */
  TNN_OPR_LEFT_SHIFT = TNN_OPR_PARAMS,   /* add */
  TNN_OPR_HEADS = TNN_OPR_PARAMS         /* attention_softmax, attention_relu_linear */
};

#define TNN_OP_MAX_INPUTS 3
#define TNN_OP_PARAM_COUNT 5

/* The fields fill their records exactly (a compile-time check: an array of size -1 is an
 * error). */
typedef char tnn_model_format_header_check[TNN_HDR_RESERVED + 1 == TNN_MODEL_HEADER_WORDS ? 1 : -1];
typedef char tnn_model_format_tensor_check[TNN_TENSOR_OFFSET + 1 == TNN_TENSOR_WORDS ? 1 : -1];
typedef char tnn_model_format_op_check[TNN_OPR_PARAMS + TNN_OP_PARAM_COUNT == TNN_OP_WORDS &&
                                               TNN_OPR_IN0 + TNN_OP_MAX_INPUTS == TNN_OPR_OUT
                                           ? 1
                                           : -1];

#endif /* TNN_MODEL_FORMAT_H */
