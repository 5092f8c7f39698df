#include "tnn_model.h"

#include <stddef.h>

#include "tnn_check.h"
#include "tnn_model_format.h"
#include "tnn_nn.h"
#include "tnn_sparse.h"
#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

/* Bounds the model format adds to the kernels' own, so that no int32 in a kernel can
 * overflow: a tensor side; a conv/linear row of weights (K products of |255 * 128| plus a
 * bias stay in int32); the pixels a pool or global average sums (256 * pixels < 2^31). */
#define TNN_MAX_SIDE 65535
#define TNN_MAX_ROW 65535
#define TNN_MAX_POOL_PIXELS ((1 << 23) - 1)
#define TNN_PRODUCT_BOUND 32768 /* >= |(x + input_offset) * w|, and |x * w| + |offset * w| */

/* ---- CRC-32 ---------------------------------------------------------------------- */

uint32_t tnn_crc32(const uint8_t* data, uint32_t n) {
  /* reflected polynomial 0xEDB88320, a nibble at a time */
  static const uint32_t nibble[16] = {
      0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
      0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  uint32_t crc = 0xFFFFFFFFu, i;
  for (i = 0; i < n; ++i) {
    crc ^= data[i];
    crc = (crc >> 4) ^ nibble[crc & 15u];
    crc = (crc >> 4) ^ nibble[crc & 15u];
  }
  return ~crc;
}

/* ---- views of the tables ----------------------------------------------------------- */

static const int32_t* tnn_tensor(const tnn_model* m, int32_t index) {
  return m->tensors + TNN_TENSOR_WORDS * index;
}

static const int32_t* tnn_op(const tnn_model* m, int32_t index) {
  return m->ops + TNN_OP_WORDS * index;
}

/* Valid once the tensor table passed tnn_check_tensors (numel <= arena size). */
static int32_t tnn_numel(const int32_t* t) {
  return t[TNN_TENSOR_H] * t[TNN_TENSOR_W] * t[TNN_TENSOR_C];
}

static tnn_dims tnn_map_dims(const int32_t* t) {
  tnn_dims d;
  d.n = 1, d.h = t[TNN_TENSOR_H], d.w = t[TNN_TENSOR_W], d.c = t[TNN_TENSOR_C];
  return d;
}

static tnn_dims tnn_seq_dims(const int32_t* t) {
  tnn_dims d;
  d.n = 1, d.h = t[TNN_TENSOR_H] * t[TNN_TENSOR_W], d.w = 1, d.c = t[TNN_TENSOR_C];
  return d;
}

static int tnn_overlap(int64_t a, int64_t a_size, int64_t b, int64_t b_size) {
  return a_size > 0 && b_size > 0 && a < b + b_size && b < a + a_size;
}

static int tnn_tensors_overlap(const int32_t* a, const int32_t* b) {
  return tnn_overlap(a[TNN_TENSOR_OFFSET], tnn_numel(a), b[TNN_TENSOR_OFFSET], tnn_numel(b));
}

/* data32[index .. index + count), or NULL when that is not inside the section. */
static const int32_t* tnn_data32(const tnn_model* m, int32_t index, int64_t count) {
  if (index < 0 || count < 0 || index + count > m->data32_count) return NULL;
  return m->data32 + index;
}

/* ---- requantization bounds ----------------------------------------------------------- */

static int tnn_requant_ok(int32_t multiplier, int32_t shift) {
  return multiplier >= 0 && shift >= -31 && shift <= 30;
}

/* An upper bound of |tnn_requantize(x, multiplier, shift)| over |x| <= bound (<= 2^31). */
static int64_t tnn_requant_bound(int64_t bound, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  int64_t scaled = bound << left;
  if (scaled > ((int64_t)1 << 31)) scaled = (int64_t)1 << 31;
  return ((((scaled * multiplier) >> 31) + 1) >> right) + 1;
}

/* conv and linear: the kernels add up to k products (each within TNN_PRODUCT_BOUND) to the
 * bias in int32, requantize, and add the output offset in int32 (tnn_output_s8). */
static int tnn_accumulators_ok(const int32_t* bias, const int32_t* multiplier,
                               const int32_t* shift, int32_t channels, int64_t k) {
  int32_t o;
  for (o = 0; o < channels; ++o) {
    const int64_t b = bias ? bias[o] : 0;
    const int64_t acc = (b < 0 ? -b : b) + TNN_PRODUCT_BOUND * k;
    if (!tnn_requant_ok(multiplier[o], shift[o]) || acc > INT32_MAX ||
        tnn_requant_bound(acc, multiplier[o], shift[o]) > INT32_MAX - 128)
      return 0;
  }
  return 1;
}

/* `count` (multiplier, shift) pairs at steps, each valid. */
static int tnn_steps_ok(const int32_t* steps, int32_t count) {
  int32_t i;
  for (i = 0; i < count; ++i)
    if (!tnn_requant_ok(steps[2 * i], steps[2 * i + 1])) return 0;
  return 1;
}

/* ---- what each op kind's record carries ------------------------------------------------ */

enum { TNN_NONE = 0, TNN_REQUIRED = 1, TNN_OPTIONAL = 2 };

typedef struct {
  int8_t inputs;
  int8_t weight, bias, quant; /* TNN_NONE / TNN_REQUIRED / TNN_OPTIONAL */
  int8_t steps;               /* (multiplier, shift) pairs; 0: none */
  int8_t params;              /* kind parameters used; the others must be 0 */
} tnn_kind_info;

static const tnn_kind_info tnn_kinds[TNN_OP_KIND_COUNT] = {
    /* conv */ {1, TNN_REQUIRED, TNN_OPTIONAL, TNN_REQUIRED, 0, 5},
    /* linear */ {1, TNN_REQUIRED, TNN_OPTIONAL, TNN_REQUIRED, 0, 0},
    /* add */ {2, TNN_NONE, TNN_NONE, TNN_NONE, 3, 1},
    /* max_pool */ {1, TNN_NONE, TNN_NONE, TNN_NONE, 0, 4},
    /* avg_pool */ {1, TNN_NONE, TNN_NONE, TNN_NONE, 0, 4},
    /* mixed_pool */ {1, TNN_NONE, TNN_NONE, TNN_NONE, 0, 4},
    /* global_avg_pool */ {1, TNN_NONE, TNN_NONE, TNN_NONE, 0, 0},
    /* seq_pool */ {1, TNN_REQUIRED, TNN_NONE, TNN_NONE, 2, 0},
    /* layer_norm */ {1, TNN_REQUIRED, TNN_REQUIRED, TNN_REQUIRED, 0, 0},
    /* attention_softmax */ {3, TNN_NONE, TNN_NONE, TNN_NONE, 2, 1},
    /* attention_relu_linear */ {3, TNN_NONE, TNN_NONE, TNN_NONE, 2, 1}};

static int tnn_presence_ok(int32_t field, int8_t rule) {
  return rule == TNN_OPTIONAL || (rule == TNN_REQUIRED) == (field != TNN_ABSENT);
}

/* An op record with its tensors resolved (after tnn_check_op_common). */
typedef struct {
  const tnn_model* m;
  const int32_t* op;
  const int32_t* in[3]; /* NULL past the kind's input count */
  const int32_t* out;
  int sparse;
  int32_t block;
} tnn_op_view;

static tnn_activation tnn_op_activation(const int32_t* op) {
  tnn_activation a;
  a.min = op[TNN_OPR_ACT_MIN], a.max = op[TNN_OPR_ACT_MAX];
  return a;
}

static tnn_rle_weights tnn_op_coded(const tnn_model* m, const int32_t* op) {
  tnn_rle_weights w;
  w.data = (const uint8_t*)(m->data8 + op[TNN_OPR_WEIGHT]);
  w.size = op[TNN_OPR_WEIGHT_SIZE];
  w.block = (op[TNN_OPR_FLAGS] >> TNN_OP_FLAG_BLOCK_SHIFT) & TNN_OP_FLAG_BLOCK_MASK;
  return w;
}

/* Weights of a rows x row_len layout: dense numel bytes, or a valid coded stream. */
static int tnn_weights_ok(const tnn_op_view* v, int64_t rows, int64_t row_len) {
  if (rows * row_len > INT32_MAX) return 0;
  if (v->sparse) {
    const tnn_rle_weights w = tnn_op_coded(v->m, v->op);
    return tnn_rle_validate(&w, (int32_t)rows, (int32_t)row_len) == TNN_OK;
  }
  return v->op[TNN_OPR_WEIGHT_SIZE] == rows * row_len;
}

/* Bias (optional) and per-channel quant of `channels`, checked for accumulators of k
 * products. */
static int tnn_channel_data_ok(const tnn_op_view* v, int32_t channels, int64_t k) {
  const int32_t* bias = NULL;
  const int32_t* quant = tnn_data32(v->m, v->op[TNN_OPR_QUANT], 2 * (int64_t)channels);
  if (v->op[TNN_OPR_BIAS] != TNN_ABSENT &&
      !(bias = tnn_data32(v->m, v->op[TNN_OPR_BIAS], channels)))
    return 0;
  return quant && tnn_accumulators_ok(bias, quant, quant + channels, channels, k);
}

/* ---- per-kind validation: shapes, parameters, data; *scratch = the bytes it needs ---- */

/* The kernel parameters of a conv / linear record, shared by validation and invoke so
 * that what was checked is what runs. */
static tnn_conv_params tnn_conv_params_of(const int32_t* op, const int32_t* in,
                                          const int32_t* out) {
  tnn_conv_params p;
  p.input_offset = -in[TNN_TENSOR_ZERO_POINT];
  p.output_offset = out[TNN_TENSOR_ZERO_POINT];
  p.stride.w = p.stride.h = op[TNN_OPR_STRIDE];
  p.padding.w = p.padding.h = op[TNN_OPR_PADDING];
  p.groups = op[TNN_OPR_GROUPS];
  p.activation = tnn_op_activation(op);
  return p;
}

/* {O, kh, kw, I / groups} (depthwise: {C, kh, kw, 1}); groups >= 1. */
static tnn_dims tnn_conv_filter_dims(const int32_t* op, const int32_t* in, const int32_t* out) {
  tnn_dims f;
  f.n = out[TNN_TENSOR_C], f.h = op[TNN_OPR_KERNEL_H], f.w = op[TNN_OPR_KERNEL_W],
  f.c = in[TNN_TENSOR_C] / op[TNN_OPR_GROUPS];
  return f;
}

static tnn_linear_params tnn_linear_params_of(const int32_t* op, const int32_t* in,
                                              const int32_t* out) {
  tnn_linear_params p;
  p.input_offset = -in[TNN_TENSOR_ZERO_POINT];
  p.output_offset = out[TNN_TENSOR_ZERO_POINT];
  p.activation = tnn_op_activation(op);
  return p;
}

static tnn_dims tnn_linear_filter_dims(const int32_t* in, const int32_t* out) {
  tnn_dims f;
  f.n = out[TNN_TENSOR_C], f.h = 1, f.w = 1, f.c = in[TNN_TENSOR_C];
  return f;
}

static int tnn_check_conv(const tnn_op_view* v, int64_t* scratch) {
  const int32_t* op = v->op;
  const tnn_dims in_d = tnn_map_dims(v->in[0]), out_d = tnn_map_dims(v->out);
  const int32_t* quant = tnn_data32(v->m, op[TNN_OPR_QUANT], 2 * (int64_t)out_d.c);
  tnn_conv_params p;
  tnn_per_channel_quant q;
  tnn_dims f_d;
  int64_t row;
  if (op[TNN_OPR_KERNEL_H] < 1 || op[TNN_OPR_KERNEL_H] > TNN_MAX_SIDE || op[TNN_OPR_KERNEL_W] < 1 ||
      op[TNN_OPR_KERNEL_W] > TNN_MAX_SIDE || op[TNN_OPR_STRIDE] < 1 ||
      op[TNN_OPR_STRIDE] > TNN_MAX_SIDE || op[TNN_OPR_PADDING] < 0 ||
      op[TNN_OPR_PADDING] > TNN_MAX_SIDE || op[TNN_OPR_GROUPS] < 1 || !quant)
    return 0;
  p = tnn_conv_params_of(op, v->in[0], v->out);
  f_d = tnn_conv_filter_dims(op, v->in[0], v->out);
  q.multiplier = quant, q.shift = quant + out_d.c;
  if (tnn_conv_check(&p, &q, &in_d, &f_d, &out_d) != TNN_OK) return 0;
  row = (int64_t)f_d.h * f_d.w * f_d.c;
  /* a tap's offset from its window's origin in the input, (ky * W + kx) * C, fits int32 */
  if (row > TNN_MAX_ROW || ((int64_t)f_d.h * in_d.w + f_d.w) * in_d.c > INT32_MAX ||
      !tnn_channel_data_ok(v, out_d.c, row))
    return 0;
  if (v->sparse && p.groups > 1 && p.groups == in_d.c && out_d.c == in_d.c) {
    /* a coded depthwise conv is C*kh rows of kw (tnn_sparse.h) */
    if (!tnn_weights_ok(v, (int64_t)out_d.c * f_d.h, f_d.w)) return 0;
  } else if (!tnn_weights_ok(v, out_d.c, row)) {
    return 0;
  }
  *scratch = v->sparse ? tnn_conv_sparse_s8_get_buffer_size(&in_d, &f_d, p.groups)
                       : tnn_conv_s8_get_buffer_size(&in_d, &f_d);
  return 1;
}

static int tnn_check_linear(const tnn_op_view* v, int64_t* scratch) {
  const tnn_dims in_d = tnn_seq_dims(v->in[0]), out_d = tnn_seq_dims(v->out);
  const tnn_dims f_d = tnn_linear_filter_dims(v->in[0], v->out);
  const tnn_linear_params p = tnn_linear_params_of(v->op, v->in[0], v->out);
  const int32_t* quant = tnn_data32(v->m, v->op[TNN_OPR_QUANT], 2 * (int64_t)out_d.c);
  tnn_per_channel_quant q;
  if (!quant) return 0;
  q.multiplier = quant, q.shift = quant + out_d.c;
  if (tnn_linear_check(&p, &q, &in_d, &f_d, &out_d) != TNN_OK || in_d.c > TNN_MAX_ROW ||
      !tnn_channel_data_ok(v, out_d.c, in_d.c) || !tnn_weights_ok(v, out_d.c, in_d.c))
    return 0;
  *scratch = v->sparse ? tnn_linear_sparse_s8_get_buffer_size(&f_d)
                      : tnn_linear_s8_get_buffer_size(&f_d);
  return 1;
}

static int tnn_same_shape(const int32_t* a, const int32_t* b) {
  return a[TNN_TENSOR_H] == b[TNN_TENSOR_H] && a[TNN_TENSOR_W] == b[TNN_TENSOR_W] &&
         a[TNN_TENSOR_C] == b[TNN_TENSOR_C];
}

static int tnn_check_add(const tnn_op_view* v, int64_t* scratch) {
  const int32_t* steps = tnn_data32(v->m, v->op[TNN_OPR_STEPS], 6);
  const int32_t shift = v->op[TNN_OPR_LEFT_SHIFT];
  int64_t b1, b2;
  if (!tnn_same_shape(v->in[0], v->out) || !tnn_same_shape(v->in[1], v->out) || shift < 0 ||
      shift > 20 || !steps || !tnn_steps_ok(steps, 3))
    return 0;
  /* (x + offset) << left_shift to the common scale per input, summed in int32, then to the
   * output (+ offset in int32) */
  b1 = tnn_requant_bound((int64_t)255 << shift, steps[0], steps[1]);
  b2 = tnn_requant_bound((int64_t)255 << shift, steps[2], steps[3]);
  if (b1 + b2 > INT32_MAX || tnn_requant_bound(b1 + b2, steps[4], steps[5]) > INT32_MAX - 128)
    return 0;
  *scratch = 0;
  return 1;
}

/* max, avg, mixed: tnn_pool_s8's checks, plus padding < kernel (no window lies entirely in
 * the padding, which the kernel reports only while running). */
static int tnn_check_pool(const tnn_op_view* v, int64_t* scratch) {
  const int32_t* op = v->op;
  const int32_t* in = v->in[0];
  const int32_t* out = v->out;
  if (op[TNN_OPR_KERNEL_H] < 1 || op[TNN_OPR_KERNEL_H] > TNN_MAX_SIDE || op[TNN_OPR_KERNEL_W] < 1 ||
      op[TNN_OPR_KERNEL_W] > TNN_MAX_SIDE || op[TNN_OPR_STRIDE] < 1 ||
      op[TNN_OPR_STRIDE] > TNN_MAX_SIDE || op[TNN_OPR_PADDING] < 0 ||
      op[TNN_OPR_PADDING] >= op[TNN_OPR_KERNEL_H] || op[TNN_OPR_PADDING] >= op[TNN_OPR_KERNEL_W])
    return 0;
  if ((int64_t)in[TNN_TENSOR_H] * in[TNN_TENSOR_W] > TNN_MAX_POOL_PIXELS ||
      out[TNN_TENSOR_C] != in[TNN_TENSOR_C] ||
      out[TNN_TENSOR_H] != tnn_window_out(in[TNN_TENSOR_H], op[TNN_OPR_KERNEL_H],
                                          op[TNN_OPR_STRIDE], op[TNN_OPR_PADDING]) ||
      out[TNN_TENSOR_W] != tnn_window_out(in[TNN_TENSOR_W], op[TNN_OPR_KERNEL_W],
                                          op[TNN_OPR_STRIDE], op[TNN_OPR_PADDING]))
    return 0;
  *scratch = 0;
  return 1;
}

static int tnn_check_global_avg_pool(const tnn_op_view* v, int64_t* scratch) {
  const int32_t* in = v->in[0];
  const int32_t* out = v->out;
  /* the kernel has no activation: the record must say "none" */
  if (v->op[TNN_OPR_ACT_MIN] != -128 || v->op[TNN_OPR_ACT_MAX] != 127 ||
      (int64_t)in[TNN_TENSOR_H] * in[TNN_TENSOR_W] > TNN_MAX_POOL_PIXELS ||
      out[TNN_TENSOR_H] != 1 || out[TNN_TENSOR_W] != 1 || out[TNN_TENSOR_C] != in[TNN_TENSOR_C])
    return 0;
  *scratch = 0;
  return 1;
}

static int tnn_check_seq_pool(const tnn_op_view* v, int64_t* scratch) {
  const tnn_dims in_d = tnn_seq_dims(v->in[0]);
  const int32_t* steps = tnn_data32(v->m, v->op[TNN_OPR_STEPS], 4);
  if (tnn_token_count(&in_d) == 0 || in_d.c > 32768 || v->out[TNN_TENSOR_H] != 1 ||
      v->out[TNN_TENSOR_W] != 1 || v->out[TNN_TENSOR_C] != in_d.c ||
      v->op[TNN_OPR_WEIGHT_SIZE] != in_d.c || !steps || !tnn_steps_ok(steps, 2))
    return 0;
  *scratch = tnn_seq_pool_s8_get_buffer_size(&in_d);
  return 1;
}

static int tnn_check_layer_norm(const tnn_op_view* v, int64_t* scratch) {
  const tnn_dims d = tnn_map_dims(v->in[0]);
  const int32_t* quant = tnn_data32(v->m, v->op[TNN_OPR_QUANT], 2 * (int64_t)d.c);
  int32_t c;
  if (!tnn_same_shape(v->in[0], v->out) || tnn_token_count(&d) == 0 || d.c > 4096 ||
      v->op[TNN_OPR_WEIGHT_SIZE] != d.c || !tnn_data32(v->m, v->op[TNN_OPR_BIAS], d.c) || !quant)
    return 0;
  for (c = 0; c < d.c; ++c)
    if (!tnn_requant_ok(quant[c], quant[d.c + c])) return 0;
  *scratch = 0;
  return 1;
}

/* Both attentions: tnn_attention_check's rules on q, k, v and the output. */
static int tnn_check_attention(const tnn_op_view* v, int64_t* scratch) {
  const tnn_dims q = tnn_seq_dims(v->in[0]), k = tnn_seq_dims(v->in[1]);
  const tnn_dims val = tnn_seq_dims(v->in[2]), out = tnn_seq_dims(v->out);
  const int32_t heads = v->op[TNN_OPR_HEADS];
  const int32_t* steps = tnn_data32(v->m, v->op[TNN_OPR_STEPS], 4);
  const int32_t n = tnn_token_count(&q), m = tnn_token_count(&k);
  if (heads < 1 || n == 0 || m == 0 || tnn_token_count(&val) != m ||
      tnn_token_count(&out) != n || q.c != k.c || val.c != out.c || q.c % heads != 0 ||
      val.c % heads != 0 || q.c / heads > 16384 || !steps || !tnn_steps_ok(steps, 2))
    return 0;
  if (v->op[TNN_OPR_KIND] == TNN_OP_ATTENTION_SOFTMAX) {
    *scratch = tnn_attention_s8_get_buffer_size(&k, &val, heads);
    if (*scratch == 0) return 0; /* beyond 2 GiB */
  } else {
    *scratch = (int64_t)2 * (q.c / heads) * (val.c / heads); /* may exceed int32: rejected */
  }
  return 1;
}

typedef int (*tnn_kind_check)(const tnn_op_view* v, int64_t* scratch);

static const tnn_kind_check tnn_kind_checks[TNN_OP_KIND_COUNT] = {
    tnn_check_conv,       tnn_check_linear,          tnn_check_add,
    tnn_check_pool,       tnn_check_pool,            tnn_check_pool,
    tnn_check_global_avg_pool, tnn_check_seq_pool,   tnn_check_layer_norm,
    tnn_check_attention,  tnn_check_attention};

/* ---- whole-model validation -------------------------------------------------------- */

/* Everything about an op record that does not depend on its kind's shapes. */
static int tnn_check_op_common(const tnn_model* m, const int32_t* op, tnn_op_view* v) {
  const tnn_kind_info* info;
  int32_t k;
  int64_t scratch_end;
  if (op[TNN_OPR_KIND] < 0 || op[TNN_OPR_KIND] >= TNN_OP_KIND_COUNT) return 0;
  info = &tnn_kinds[op[TNN_OPR_KIND]];
  v->m = m;
  v->op = op;
  for (k = 0; k < TNN_OP_MAX_INPUTS; ++k) {
    const int32_t t = op[TNN_OPR_IN0 + k];
    v->in[k] = NULL;
    if (k < info->inputs) {
      if (t < 0 || t >= m->tensor_count) return 0;
      v->in[k] = tnn_tensor(m, t);
    } else if (t != TNN_ABSENT) {
      return 0;
    }
  }
  if (op[TNN_OPR_OUT] < 0 || op[TNN_OPR_OUT] >= m->tensor_count) return 0;
  v->out = tnn_tensor(m, op[TNN_OPR_OUT]);
  for (k = 0; k < info->inputs; ++k)
    if (tnn_tensors_overlap(v->in[k], v->out)) return 0;
  /* flags: bit 0 and the block size only; coded weights only on conv and linear */
  v->sparse = op[TNN_OPR_FLAGS] & TNN_OP_FLAG_SPARSE;
  v->block = (op[TNN_OPR_FLAGS] >> TNN_OP_FLAG_BLOCK_SHIFT) & TNN_OP_FLAG_BLOCK_MASK;
  if ((op[TNN_OPR_FLAGS] &
       ~(TNN_OP_FLAG_SPARSE | TNN_OP_FLAG_BLOCK_MASK << TNN_OP_FLAG_BLOCK_SHIFT)) != 0 ||
      (v->sparse ? v->block < 1 : v->block != 0) ||
      (v->sparse && op[TNN_OPR_KIND] != TNN_OP_CONV && op[TNN_OPR_KIND] != TNN_OP_LINEAR))
    return 0;
  if (op[TNN_OPR_ACT_MIN] < -128 || op[TNN_OPR_ACT_MAX] > 127 ||
      op[TNN_OPR_ACT_MIN] > op[TNN_OPR_ACT_MAX])
    return 0;
  /* scratch: aligned, inside the arena, clear of the op's tensors */
  scratch_end = (int64_t)op[TNN_OPR_SCRATCH] + op[TNN_OPR_SCRATCH_SIZE];
  if (op[TNN_OPR_SCRATCH] < 0 || op[TNN_OPR_SCRATCH] % 4 != 0 || op[TNN_OPR_SCRATCH_SIZE] < 0 ||
      scratch_end > m->arena_size ||
      tnn_overlap(op[TNN_OPR_SCRATCH], op[TNN_OPR_SCRATCH_SIZE], v->out[TNN_TENSOR_OFFSET],
                  tnn_numel(v->out)))
    return 0;
  for (k = 0; k < info->inputs; ++k)
    if (tnn_overlap(op[TNN_OPR_SCRATCH], op[TNN_OPR_SCRATCH_SIZE], v->in[k][TNN_TENSOR_OFFSET],
                    tnn_numel(v->in[k])))
      return 0;
  /* data fields the kind has, and only those */
  if (!tnn_presence_ok(op[TNN_OPR_WEIGHT], info->weight) ||
      !tnn_presence_ok(op[TNN_OPR_BIAS], info->bias) ||
      !tnn_presence_ok(op[TNN_OPR_QUANT], info->quant) ||
      !tnn_presence_ok(op[TNN_OPR_STEPS], info->steps ? TNN_REQUIRED : TNN_NONE))
    return 0;
  if (op[TNN_OPR_WEIGHT] == TNN_ABSENT
          ? op[TNN_OPR_WEIGHT_SIZE] != 0
          : (op[TNN_OPR_WEIGHT] < 0 || op[TNN_OPR_WEIGHT_SIZE] < 1 ||
             (int64_t)op[TNN_OPR_WEIGHT] + op[TNN_OPR_WEIGHT_SIZE] > m->data8_size))
    return 0;
  for (k = info->params; k < TNN_OP_PARAM_COUNT; ++k)
    if (op[TNN_OPR_PARAMS + k] != 0) return 0;
  return 1;
}

static int tnn_check_op(const tnn_model* m, int32_t index) {
  const int32_t* op = tnn_op(m, index);
  tnn_op_view v;
  int64_t scratch = 0;
  if (!tnn_check_op_common(m, op, &v) || !tnn_kind_checks[op[TNN_OPR_KIND]](&v, &scratch)) return 0;
  return scratch <= op[TNN_OPR_SCRATCH_SIZE];
}

/* Every tensor: sides in [1, 65535], a zero point in int8, a buffer inside the arena. */
static int tnn_check_tensors(const tnn_model* m) {
  int32_t i;
  for (i = 0; i < m->tensor_count; ++i) {
    const int32_t* t = tnn_tensor(m, i);
    if (t[TNN_TENSOR_H] < 1 || t[TNN_TENSOR_H] > TNN_MAX_SIDE || t[TNN_TENSOR_W] < 1 ||
        t[TNN_TENSOR_W] > TNN_MAX_SIDE || t[TNN_TENSOR_C] < 1 || t[TNN_TENSOR_C] > TNN_MAX_SIDE ||
        t[TNN_TENSOR_ZERO_POINT] < -128 || t[TNN_TENSOR_ZERO_POINT] > 127 ||
        t[TNN_TENSOR_OFFSET] < 0 ||
        t[TNN_TENSOR_OFFSET] + (int64_t)t[TNN_TENSOR_H] * t[TNN_TENSOR_W] * t[TNN_TENSOR_C] >
            m->arena_size)
      return 0;
  }
  return 1;
}

/* The op before `before` that writes tensor t, or -1. */
static int32_t tnn_producer(const tnn_model* m, int32_t t, int32_t before) {
  int32_t i;
  for (i = 0; i < before; ++i)
    if (tnn_op(m, i)[TNN_OPR_OUT] == t) return i;
  return -1;
}

/* No op in [from, to) writes (output or scratch) over tensor t. */
static int tnn_stays_live(const tnn_model* m, int32_t t, int32_t from, int32_t to) {
  const int32_t* tr = tnn_tensor(m, t);
  int32_t j;
  for (j = from; j < to; ++j) {
    const int32_t* op = tnn_op(m, j);
    if (tnn_tensors_overlap(tnn_tensor(m, op[TNN_OPR_OUT]), tr) ||
        tnn_overlap(op[TNN_OPR_SCRATCH], op[TNN_OPR_SCRATCH_SIZE], tr[TNN_TENSOR_OFFSET],
                    tnn_numel(tr)))
      return 0;
  }
  return 1;
}

/* The data flow (after every op record passed): the input is written by no op, every other
 * tensor by at most one, before any op reads it; nothing overwrites a tensor between its
 * producer and its readers (or, for the output, the end). */
static int tnn_check_graph(const tnn_model* m) {
  int32_t i, k, p;
  for (i = 0; i < m->op_count; ++i) {
    const int32_t* op = tnn_op(m, i);
    if (op[TNN_OPR_OUT] == m->input || tnn_producer(m, op[TNN_OPR_OUT], i) >= 0) return 0;
    for (k = 0; k < tnn_kinds[op[TNN_OPR_KIND]].inputs; ++k) {
      const int32_t t = op[TNN_OPR_IN0 + k];
      p = tnn_producer(m, t, i);
      if ((p < 0 && t != m->input) || !tnn_stays_live(m, t, p + 1, i)) return 0;
    }
  }
  p = tnn_producer(m, m->output, m->op_count);
  return p >= 0 && tnn_stays_live(m, m->output, p + 1, m->op_count);
}

/* The header and the section layout; fills the model's views. Reads only what it has
 * checked lies inside the blob. */
static int tnn_check_header(tnn_model* m, const int32_t* w, uint32_t size) {
  const uint8_t* bytes = (const uint8_t*)w;
  int64_t tables_end;
  if (size < TNN_MODEL_HEADER_BYTES || size % 4 != 0 || size > INT32_MAX) return 0;
  if (bytes[0] != 'T' || bytes[1] != 'N' || bytes[2] != 'N' || bytes[3] != 'M' ||
      w[TNN_HDR_VERSION] != TNN_MODEL_VERSION || (uint32_t)w[TNN_HDR_SIZE] != size ||
      w[TNN_HDR_RESERVED] != 0)
    return 0;
  if ((uint32_t)w[TNN_HDR_CRC] !=
      tnn_crc32(bytes + TNN_MODEL_HEADER_BYTES, size - TNN_MODEL_HEADER_BYTES))
    return 0;
  if (w[TNN_HDR_OPS] < 1 || w[TNN_HDR_TENSORS] < 1 || w[TNN_HDR_ARENA] < 0 ||
      w[TNN_HDR_ARENA] % 4 != 0)
    return 0;
  tables_end = TNN_MODEL_HEADER_BYTES + (int64_t)TNN_TENSOR_BYTES * w[TNN_HDR_TENSORS] +
               (int64_t)TNN_OP_BYTES * w[TNN_HDR_OPS];
  if (tables_end > size || w[TNN_HDR_DATA32] != tables_end ||
      w[TNN_HDR_DATA8] < w[TNN_HDR_DATA32] || w[TNN_HDR_DATA8] % 4 != 0 ||
      (uint32_t)w[TNN_HDR_DATA8] > size)
    return 0;
  if (w[TNN_HDR_INPUT] < 0 || w[TNN_HDR_INPUT] >= w[TNN_HDR_TENSORS] || w[TNN_HDR_OUTPUT] < 0 ||
      w[TNN_HDR_OUTPUT] >= w[TNN_HDR_TENSORS])
    return 0;
  m->words = w;
  m->size = size;
  m->op_count = w[TNN_HDR_OPS];
  m->tensor_count = w[TNN_HDR_TENSORS];
  m->input = w[TNN_HDR_INPUT];
  m->output = w[TNN_HDR_OUTPUT];
  m->arena_size = w[TNN_HDR_ARENA];
  m->tensors = w + TNN_MODEL_HEADER_WORDS;
  m->ops = m->tensors + TNN_TENSOR_WORDS * m->tensor_count;
  m->data32 = w + w[TNN_HDR_DATA32] / 4;
  m->data32_count = (w[TNN_HDR_DATA8] - w[TNN_HDR_DATA32]) / 4;
  m->data8 = (const int8_t*)(bytes + w[TNN_HDR_DATA8]);
  m->data8_size = (int32_t)size - w[TNN_HDR_DATA8];
  return 1;
}

tnn_status tnn_model_init(tnn_model* model, const void* data, uint32_t size) {
  tnn_model m;
  int32_t i;
  if (!model || !data || ((uintptr_t)data & 3u) != 0) return TNN_ERR_ARG;
  if (!tnn_check_header(&m, (const int32_t*)data, size) || !tnn_check_tensors(&m))
    return TNN_ERR_MODEL;
  for (i = 0; i < m.op_count; ++i)
    if (!tnn_check_op(&m, i)) return TNN_ERR_MODEL;
  if (!tnn_check_graph(&m)) return TNN_ERR_MODEL;
  *model = m;
  return TNN_OK;
}

/* ---- accessors ------------------------------------------------------------------------ */

int32_t tnn_model_arena_size(const tnn_model* model) { return model ? model->arena_size : 0; }

int8_t* tnn_model_input(const tnn_model* model, void* arena) {
  if (!model || !arena) return NULL;
  return (int8_t*)arena + tnn_tensor(model, model->input)[TNN_TENSOR_OFFSET];
}

const int8_t* tnn_model_output(const tnn_model* model, const void* arena) {
  if (!model || !arena) return NULL;
  return (const int8_t*)arena + tnn_tensor(model, model->output)[TNN_TENSOR_OFFSET];
}

int32_t tnn_model_input_size(const tnn_model* model) {
  return model ? tnn_numel(tnn_tensor(model, model->input)) : 0;
}

int32_t tnn_model_output_size(const tnn_model* model) {
  return model ? tnn_numel(tnn_tensor(model, model->output)) : 0;
}

int32_t tnn_model_input_zero_point(const tnn_model* model) {
  return model ? tnn_tensor(model, model->input)[TNN_TENSOR_ZERO_POINT] : 0;
}

int32_t tnn_argmax_s8(const int8_t* values, int32_t n) {
  int32_t i, best = 0;
  if (!values || n < 1) return -1;
  for (i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

/* ---- invoke ----------------------------------------------------------------------------- */

static tnn_quant tnn_step(const tnn_model* m, const int32_t* op, int32_t i) {
  tnn_quant q;
  q.multiplier = m->data32[op[TNN_OPR_STEPS] + 2 * i];
  q.shift = m->data32[op[TNN_OPR_STEPS] + 2 * i + 1];
  return q;
}

/* Runs one validated op; in[k] / out point into the arena. */
static tnn_status tnn_run_op(const tnn_model* m, const int32_t* op, const int32_t* const* ts,
                             int8_t* const* in, int8_t* out, const tnn_context* ctx) {
  const int32_t* ot = ts[3];
  const tnn_activation act = tnn_op_activation(op);
  const int32_t* bias = op[TNN_OPR_BIAS] == TNN_ABSENT ? NULL : m->data32 + op[TNN_OPR_BIAS];
  tnn_per_channel_quant pc;
  pc.multiplier = pc.shift = NULL;
  if (op[TNN_OPR_QUANT] != TNN_ABSENT) {
    pc.multiplier = m->data32 + op[TNN_OPR_QUANT];
    pc.shift = pc.multiplier + ot[TNN_TENSOR_C];
  }
  switch ((tnn_op_kind)op[TNN_OPR_KIND]) {
    case TNN_OP_CONV: {
      const tnn_conv_params p = tnn_conv_params_of(op, ts[0], ot);
      const tnn_dims in_d = tnn_map_dims(ts[0]), out_d = tnn_map_dims(ot);
      const tnn_dims f_d = tnn_conv_filter_dims(op, ts[0], ot);
      if (op[TNN_OPR_FLAGS] & TNN_OP_FLAG_SPARSE) {
        const tnn_rle_weights w = tnn_op_coded(m, op);
        return tnn_conv_sparse_s8(ctx, &p, &pc, &in_d, in[0], &f_d, &w, bias, &out_d, out);
      }
      return tnn_conv_s8(ctx, &p, &pc, &in_d, in[0], &f_d, m->data8 + op[TNN_OPR_WEIGHT], bias,
                         &out_d, out);
    }
    case TNN_OP_LINEAR: {
      const tnn_linear_params p = tnn_linear_params_of(op, ts[0], ot);
      const tnn_dims in_d = tnn_seq_dims(ts[0]), out_d = tnn_seq_dims(ot);
      const tnn_dims f_d = tnn_linear_filter_dims(ts[0], ot);
      if (op[TNN_OPR_FLAGS] & TNN_OP_FLAG_SPARSE) {
        const tnn_rle_weights w = tnn_op_coded(m, op);
        return tnn_linear_sparse_s8(ctx, &p, &pc, &in_d, in[0], &f_d, &w, bias, &out_d, out);
      }
      return tnn_linear_s8(ctx, &p, &pc, &in_d, in[0], &f_d, m->data8 + op[TNN_OPR_WEIGHT], bias,
                           &out_d, out);
    }
    case TNN_OP_ADD: {
      tnn_add_params p;
      p.input1_offset = -ts[0][TNN_TENSOR_ZERO_POINT];
      p.input2_offset = -ts[1][TNN_TENSOR_ZERO_POINT];
      p.input1 = tnn_step(m, op, 0);
      p.input2 = tnn_step(m, op, 1);
      p.left_shift = op[TNN_OPR_LEFT_SHIFT];
      p.output = tnn_step(m, op, 2);
      p.output_offset = ot[TNN_TENSOR_ZERO_POINT];
      p.activation = act;
      return tnn_add_s8(&p, in[0], in[1], tnn_numel(ot), out);
    }
    case TNN_OP_MAX_POOL:
    case TNN_OP_AVG_POOL:
    case TNN_OP_MIXED_POOL: {
      tnn_pool_params p;
      const tnn_dims in_d = tnn_map_dims(ts[0]), out_d = tnn_map_dims(ot);
      p.kind = op[TNN_OPR_KIND] == TNN_OP_MAX_POOL   ? TNN_POOL_MAX
               : op[TNN_OPR_KIND] == TNN_OP_AVG_POOL ? TNN_POOL_AVG
                                                     : TNN_POOL_MIXED;
      p.kernel.h = op[TNN_OPR_KERNEL_H];
      p.kernel.w = op[TNN_OPR_KERNEL_W];
      p.stride.w = p.stride.h = op[TNN_OPR_STRIDE];
      p.padding.w = p.padding.h = op[TNN_OPR_PADDING];
      p.activation = act;
      return tnn_pool_s8(&p, &in_d, in[0], &out_d, out);
    }
    case TNN_OP_GLOBAL_AVG_POOL: {
      const tnn_dims in_d = tnn_map_dims(ts[0]);
      return tnn_global_avg_pool_s8(&in_d, in[0], out);
    }
    case TNN_OP_SEQ_POOL: {
      tnn_seq_pool_params p;
      const tnn_dims in_d = tnn_seq_dims(ts[0]);
      p.input_offset = -ts[0][TNN_TENSOR_ZERO_POINT];
      p.output_offset = ot[TNN_TENSOR_ZERO_POINT];
      p.score = tnn_step(m, op, 0);
      p.output = tnn_step(m, op, 1);
      p.activation = act;
      return tnn_seq_pool_s8(ctx, &p, &in_d, in[0], m->data8 + op[TNN_OPR_WEIGHT], out);
    }
    case TNN_OP_LAYER_NORM: {
      tnn_layer_norm_params p;
      const tnn_dims d = tnn_map_dims(ts[0]);
      p.output_offset = ot[TNN_TENSOR_ZERO_POINT];
      p.activation = act;
      return tnn_layer_norm_s8(&p, &pc, &d, in[0], m->data8 + op[TNN_OPR_WEIGHT], bias, out);
    }
    case TNN_OP_ATTENTION_SOFTMAX: {
      tnn_attention_params p;
      const tnn_dims q = tnn_seq_dims(ts[0]), k = tnn_seq_dims(ts[1]), v = tnn_seq_dims(ts[2]);
      const tnn_dims out_d = tnn_seq_dims(ot);
      p.q_offset = -ts[0][TNN_TENSOR_ZERO_POINT];
      p.k_offset = -ts[1][TNN_TENSOR_ZERO_POINT];
      p.v_offset = -ts[2][TNN_TENSOR_ZERO_POINT];
      p.output_offset = ot[TNN_TENSOR_ZERO_POINT];
      p.heads = op[TNN_OPR_HEADS];
      p.score = tnn_step(m, op, 0);
      p.output = tnn_step(m, op, 1);
      p.activation = act;
      return tnn_attention_softmax_s8(ctx, &p, &q, in[0], &k, in[1], &v, in[2], &out_d, out);
    }
    case TNN_OP_ATTENTION_RELU_LINEAR: {
      tnn_linear_attention_params p;
      const tnn_dims q = tnn_seq_dims(ts[0]), k = tnn_seq_dims(ts[1]), v = tnn_seq_dims(ts[2]);
      const tnn_dims out_d = tnn_seq_dims(ot);
      p.q_offset = -ts[0][TNN_TENSOR_ZERO_POINT];
      p.k_offset = -ts[1][TNN_TENSOR_ZERO_POINT];
      p.v_offset = -ts[2][TNN_TENSOR_ZERO_POINT];
      p.output_offset = ot[TNN_TENSOR_ZERO_POINT];
      p.heads = op[TNN_OPR_HEADS];
      p.kv = tnn_step(m, op, 0);
      p.output = tnn_step(m, op, 1);
      p.activation = act;
      return tnn_attention_relu_linear_s8(ctx, &p, &q, in[0], &k, in[1], &v, in[2], &out_d, out);
    }
    case TNN_OP_KIND_COUNT: break;
  }
  return TNN_ERR_MODEL; /* not reached for a validated model */
}

tnn_status tnn_model_invoke(const tnn_model* model, void* arena, int32_t arena_size) {
  return tnn_model_invoke_ops(model, arena, arena_size, NULL, NULL);
}

tnn_status tnn_model_invoke_ops(const tnn_model* model, void* arena, int32_t arena_size,
                                tnn_op_hook hook, void* user) {
  int8_t* base = (int8_t*)arena;
  int32_t i, k;
  if (!model) return TNN_ERR_ARG;
  if (!arena || ((uintptr_t)arena & 3u) != 0 || arena_size < model->arena_size)
    return TNN_ERR_BUFFER;
  for (i = 0; i < model->op_count; ++i) {
    const int32_t* op = tnn_op(model, i);
    const int32_t* ts[4] = {NULL, NULL, NULL, NULL}; /* inputs, then the output */
    int8_t* in[3] = {NULL, NULL, NULL};
    tnn_context ctx;
    tnn_status st;
    if (hook) hook(user, i, TNN_HOOK_BEFORE);
    for (k = 0; k < tnn_kinds[op[TNN_OPR_KIND]].inputs; ++k) {
      ts[k] = tnn_tensor(model, op[TNN_OPR_IN0 + k]);
      in[k] = base + ts[k][TNN_TENSOR_OFFSET];
    }
    ts[3] = tnn_tensor(model, op[TNN_OPR_OUT]);
    ctx.buf = base + op[TNN_OPR_SCRATCH];
    ctx.size = op[TNN_OPR_SCRATCH_SIZE];
    st = tnn_run_op(model, op, ts, in, base + ts[3][TNN_TENSOR_OFFSET], &ctx);
    if (hook) hook(user, i, TNN_HOOK_AFTER);
    if (st != TNN_OK) return st;
  }
  return TNN_OK;
}
