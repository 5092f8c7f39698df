/* Elementwise add, bit-exact with tnn_add_s8_ref.
 *
 * The two input requantizations of an element depend on its int8 input alone, so for a
 * tensor of more than a few hundred elements they are tabulated once per call (256 int32
 * per input, on the stack) and an element costs two table loads, an add and the output
 * requantization. Four elements per step, read as one word per input. */
#include <string.h>

#include "tnn_check.h"
#include "tnn_dsp.h"
#include "tnn_nn.h"

#if !defined(TNN_REFERENCE_KERNELS)

/* Below this many elements the 512 table entries cost more than they save. */
#define TNN_ADD_TABLE_MIN 512

/* t[(uint8_t)x] = the requantized input x, for every int8 x (shifted as unsigned: an
 * entry the data never uses must not overflow either); the fast form of tnn_math.h where
 * the input's multiplier takes it (the exact (t + 1) >> 1 of tnn_requantize_x2). */
static void tnn_add_table(int32_t* t, int32_t offset, int32_t left_shift, const tnn_quant* q) {
  int32_t i;
  if (tnn_rq_fast_ok(q->multiplier, q->shift)) {
    const int32_t m2 = tnn_rq_m2(q->multiplier), e1 = tnn_rq_e1(q->shift);
    for (i = -128; i < 128; ++i)
      t[(uint8_t)i] =
          (tnn_requantize_x2((int32_t)((uint32_t)(i + offset) << left_shift), m2, e1) + 1) >> 1;
    return;
  }
  for (i = -128; i < 128; ++i)
    t[(uint8_t)i] = tnn_requantize((int32_t)((uint32_t)(i + offset) << left_shift),
                                   q->multiplier, q->shift);
}

/* The elements from the tables' sums (t1, t2 as tnn_add_table made them): the fast
 * requantization (tnn_math.h) with its clamp `kind` a constant where the loop is inlined,
 * or tnn_output_s8 (TNN_RQ_SLOW). */
TNN_HOT void tnn_add_loop(const int32_t* t1, const int32_t* t2, const int8_t* in1,
                          const int8_t* in2, int32_t size, int8_t* out, const tnn_rq_chan* q,
                          const tnn_out_fast* o, tnn_activation act, const int kind) {
  const tnn_rq_chan c = *q;
  int32_t i;
  for (i = 0; i + 4 <= size; i += 4) {
    uint32_t a, b;
    int8_t* y = out + i;
    memcpy(&a, in1 + i, 4);
    memcpy(&b, in2 + i, 4); /* both words read before any store: out may be in1 or in2 */
    y[0] = (int8_t)tnn_output_kind(t1[a & 255u] + t2[b & 255u], &c, o, &act, kind);
    y[1] = (int8_t)tnn_output_kind(t1[(a >> 8) & 255u] + t2[(b >> 8) & 255u], &c, o, &act, kind);
    y[2] = (int8_t)tnn_output_kind(t1[(a >> 16) & 255u] + t2[(b >> 16) & 255u], &c, o, &act, kind);
    y[3] = (int8_t)tnn_output_kind(t1[a >> 24] + t2[b >> 24], &c, o, &act, kind);
  }
  for (; i < size; ++i)
    out[i] = (int8_t)tnn_output_kind(t1[(uint8_t)in1[i]] + t2[(uint8_t)in2[i]], &c, o, &act, kind);
}

TNN_SHARED void tnn_add_tabled(const tnn_add_params* p, const int32_t* t1,
                                                     const int32_t* t2, const int8_t* in1,
                                                     const int8_t* in2, int32_t size,
                                                     int8_t* out) {
  const int32_t m = p->output.multiplier, s = p->output.shift;
  const tnn_out_fast o = tnn_out_fast_of(p->output_offset, &p->activation);
  const int kind = tnn_rq_kind(&o, m, s);
  const tnn_rq_chan c = tnn_rq_chan_of(m, s);
  if (kind == TNN_RQ_S8)
    tnn_add_loop(t1, t2, in1, in2, size, out, &c, &o, p->activation, TNN_RQ_S8);
  else if (kind == TNN_RQ_RELU)
    tnn_add_loop(t1, t2, in1, in2, size, out, &c, &o, p->activation, TNN_RQ_RELU);
  else if (kind == TNN_RQ_RANGE)
    tnn_add_loop(t1, t2, in1, in2, size, out, &c, &o, p->activation, TNN_RQ_RANGE);
  else
    tnn_add_loop(t1, t2, in1, in2, size, out, &c, &o, p->activation, TNN_RQ_SLOW);
}

#endif

tnn_status tnn_add_s8(const tnn_add_params* p, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_add_s8_ref(p, input1, input2, size, output);
#else
  int32_t t1[256], t2[256];
  if (!p || !input1 || !input2 || !output || size < TNN_ADD_TABLE_MIN)
    return tnn_add_s8_ref(p, input1, input2, size, output); /* its checks, or small */
  if (p->left_shift < 0 || p->left_shift > 20 || !tnn_activation_ok(&p->activation))
    return TNN_ERR_ARG;
  tnn_add_table(t1, p->input1_offset, p->left_shift, &p->input1);
  tnn_add_table(t2, p->input2_offset, p->left_shift, &p->input2);
  tnn_add_tabled(p, t1, t2, input1, input2, size, output);
  return TNN_OK;
#endif
}
