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
 * entry the data never uses must not overflow either). */
static void tnn_add_table(int32_t* t, int32_t offset, int32_t left_shift, const tnn_quant* q) {
  int32_t i;
  for (i = -128; i < 128; ++i)
    t[(uint8_t)i] = tnn_requantize((int32_t)((uint32_t)(i + offset) << left_shift),
                                   q->multiplier, q->shift);
}

/* The elements from the tables' sums (t1, t2 as tnn_add_table made them), the output
 * requantization's shift known to be negative or not where the loop is inlined. */
TNN_HOT void tnn_add_loop(const int32_t* t1, const int32_t* t2,
                                                               const int8_t* in1, const int8_t* in2,
                                                               int32_t size, int8_t* out, int32_t m,
                                                               int32_t s, int32_t off,
                                                               tnn_activation act) {
  int32_t i;
  for (i = 0; i + 4 <= size; i += 4) {
    uint32_t a, b;
    int8_t y[4];
    memcpy(&a, in1 + i, 4);
    memcpy(&b, in2 + i, 4);
    y[0] = tnn_output_s8(t1[a & 255u] + t2[b & 255u], m, s, off, &act);
    y[1] = tnn_output_s8(t1[(a >> 8) & 255u] + t2[(b >> 8) & 255u], m, s, off, &act);
    y[2] = tnn_output_s8(t1[(a >> 16) & 255u] + t2[(b >> 16) & 255u], m, s, off, &act);
    y[3] = tnn_output_s8(t1[a >> 24] + t2[b >> 24], m, s, off, &act);
    memcpy(out + i, y, 4); /* after the reads: out may be in1 or in2 */
  }
  for (; i < size; ++i)
    out[i] = tnn_output_s8(t1[(uint8_t)in1[i]] + t2[(uint8_t)in2[i]], m, s, off, &act);
}

TNN_SHARED void tnn_add_tabled(const tnn_add_params* p, const int32_t* t1,
                                                     const int32_t* t2, const int8_t* in1,
                                                     const int8_t* in2, int32_t size,
                                                     int8_t* out) {
  const int32_t m = p->output.multiplier, s = p->output.shift, off = p->output_offset;
  if (s < 0) tnn_add_loop(t1, t2, in1, in2, size, out, m, s, off, p->activation);
  else tnn_add_loop(t1, t2, in1, in2, size, out, m, s, off, p->activation);
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
