#include "tnn_check.h"
#include "tnn_nn.h"

/* The reference: one element at a time. */
tnn_status tnn_add_s8_ref(const tnn_add_params* p, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output) {
  int32_t i;
  if (!p || !input1 || !input2 || !output || size < 0 || p->left_shift < 0 ||
      p->left_shift > 20 || !tnn_activation_ok(&p->activation))
    return TNN_ERR_ARG;
  for (i = 0; i < size; ++i) {
    /* |x + offset| <= 255, so 20 bits of headroom cannot overflow. */
    const int32_t a = (input1[i] + p->input1_offset) * (1 << p->left_shift);
    const int32_t b = (input2[i] + p->input2_offset) * (1 << p->left_shift);
    const int32_t sum = tnn_requantize(a, p->input1.multiplier, p->input1.shift) +
                        tnn_requantize(b, p->input2.multiplier, p->input2.shift);
    output[i] = tnn_output_s8(sum, p->output.multiplier, p->output.shift, p->output_offset,
                              &p->activation);
  }
  return TNN_OK;
}
