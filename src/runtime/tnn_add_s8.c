#include "tnn_check.h"
#include "tnn_nn.h"

tnn_status tnn_add_s8(const tnn_add_params* p, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output) {
  /* TODO(K2): the fast path */
  return tnn_add_s8_ref(p, input1, input2, size, output);
}
