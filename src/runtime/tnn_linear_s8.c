#include "tnn_check.h"
#include "tnn_mat_mult.h"
#include "tnn_nn.h"

int32_t tnn_linear_s8_get_buffer_size(const tnn_dims* filter_dims) {
  int64_t bytes;
  if (!filter_dims) return 0;
  /* two tokens as int16 rows of the mat-mult (tnn_mat_mult.h) */
  bytes = (int64_t)4 * filter_dims->h * filter_dims->w * filter_dims->c;
  return bytes > INT32_MAX ? INT32_MAX : (int32_t)bytes;
}

tnn_status tnn_linear_s8(const tnn_context* ctx, const tnn_linear_params* p,
                         const tnn_per_channel_quant* quant, const tnn_dims* in_d,
                         const int8_t* input, const tnn_dims* f_d, const int8_t* filter,
                         const int32_t* bias, const tnn_dims* out_d, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_linear_s8_ref(ctx, p, quant, in_d, input, f_d, filter, bias, out_d, output);
#else
  tnn_status st;
  tnn_mat_mult_args m;
  int16_t *row0, *row1;
  int32_t t, tokens;
  if (!input || !filter || !output) return TNN_ERR_ARG;
  if ((st = tnn_linear_check(p, quant, in_d, f_d, out_d)) != TNN_OK) return st;
  if (!ctx || !ctx->buf || ctx->size < tnn_linear_s8_get_buffer_size(f_d)) return TNN_ERR_BUFFER;
  m.filter = filter, m.bias = bias;
  m.multiplier = quant->multiplier, m.shift = quant->shift;
  m.n = out_d->c, m.k = in_d->c;
  m.output_offset = p->output_offset;
  m.activation = p->activation;
  m.rq_kind =
      tnn_rq_layer_kind(m.multiplier, m.shift, m.n, m.output_offset, &m.activation);
  row0 = (int16_t*)ctx->buf, row1 = row0 + m.k;
  tokens = in_d->n * in_d->h * in_d->w;
  /* tokens are the rows, two at a time */
  for (t = 0; t < tokens; t += 2) {
    const int32_t two = tokens - t > 1;
    tnn_mat_mult_row_s16(input + t * m.k, m.k, p->input_offset, row0);
    if (two) tnn_mat_mult_row_s16(input + (t + 1) * m.k, m.k, p->input_offset, row1);
    tnn_mat_mult_s8(&m, row0, two ? row1 : 0, output + t * m.n, output + (t + 1) * m.n);
  }
  return TNN_OK;
#endif
}
