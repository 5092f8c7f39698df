#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

tnn_status tnn_attention_softmax_s8(const tnn_context* ctx, const tnn_attention_params* p,
                                    const tnn_dims* q_d, const int8_t* q, const tnn_dims* k_d,
                                    const int8_t* k, const tnn_dims* v_d, const int8_t* v,
                                    const tnn_dims* out_d, int8_t* output) {
  /* TODO(K2): the fast path */
  return tnn_attention_softmax_s8_ref(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output);
}
