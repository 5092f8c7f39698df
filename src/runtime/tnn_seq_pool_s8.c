#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

int32_t tnn_seq_pool_s8_get_buffer_size(const tnn_dims* input_dims) {
  const int32_t n = input_dims ? tnn_token_count(input_dims) : 0;
  return n * (int32_t)sizeof(int32_t);
}

tnn_status tnn_seq_pool_s8(const tnn_context* ctx, const tnn_seq_pool_params* p,
                           const tnn_dims* in_d, const int8_t* input, const int8_t* weight,
                           int8_t* output) {
  int32_t n, C, i, c, sum_e;
  int32_t* ex;
  if (!p || !in_d || !input || !weight || !output || !tnn_activation_ok(&p->activation) ||
      !tnn_input_offset_ok(p->input_offset) || !tnn_output_offset_ok(p->output_offset) ||
      !tnn_quant_ok(&p->score) || !tnn_quant_ok(&p->output))
    return TNN_ERR_ARG;
  n = tnn_token_count(in_d);
  if (n == 0 || in_d->c > 32768 || !tnn_elems_ok(n, in_d->c)) return TNN_ERR_SHAPE;
  if (!tnn_scratch_ok(ctx, tnn_seq_pool_s8_get_buffer_size(in_d))) return TNN_ERR_BUFFER;
  C = in_d->c;
  ex = (int32_t*)ctx->buf; /* scores, then exp numerators */
  for (i = 0; i < n; ++i) {
    int32_t acc = 0; /* |acc| <= 255 * 128 * C < 2^30 */
    for (c = 0; c < C; ++c) acc += (input[i * C + c] + p->input_offset) * weight[c];
    ex[i] = acc;
  }
  sum_e = tnn_softmax_q15_numerators(ex, n, &p->score);
  for (c = 0; c < C; ++c) {
    int64_t a = 0; /* |a| <= 2^15 * 255 * N < 2^39 */
    for (i = 0; i < n; ++i) a += (int64_t)ex[i] * (input[i * C + c] + p->input_offset);
    output[c] = tnn_output_s8_wide((int32_t)tnn_div_round64(a * 256, sum_e), &p->output,
                                   p->output_offset, &p->activation);
  }
  return TNN_OK;
}
