#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

tnn_status tnn_layer_norm_s8(const tnn_layer_norm_params* p, const tnn_per_channel_quant* quant,
                             const tnn_dims* dims, const int8_t* input, const int8_t* weight,
                             const int32_t* bias, int8_t* output) {
  int32_t t, c, tokens, C;
  if (!p || !quant || !quant->multiplier || !quant->shift || !dims || !input || !weight ||
      !bias || !output || !tnn_activation_ok(&p->activation) ||
      !tnn_output_offset_ok(p->output_offset))
    return TNN_ERR_ARG;
  tokens = tnn_token_count(dims);
  if (tokens == 0 || dims->c > 4096 || !tnn_elems_ok(tokens, dims->c)) return TNN_ERR_SHAPE;
  C = dims->c;
  for (c = 0; c < C; ++c)
    if (quant->multiplier[c] < 0 || quant->shift[c] < -31 || quant->shift[c] > 30)
      return TNN_ERR_ARG;
  for (t = 0; t < tokens; ++t) {
    const int8_t* x = input + t * C;
    int8_t* y = output + t * C;
    int32_t sum = 0, std_d;
    int64_t sq = 0;
    for (c = 0; c < C; ++c) sum += x[c];
    for (c = 0; c < C; ++c) {
      const int64_t d = (int64_t)C * x[c] - sum;
      sq += d * d;
    }
    /* 4 fractional bits on the std: the floor of the root then costs <= 1/16 LSB of it. */
    std_d = (int32_t)tnn_isqrt64((uint64_t)tnn_div_round64(256 * sq, C));
    for (c = 0; c < C; ++c) {
      const int32_t d = C * x[c] - sum; /* |d| <= 255 * (C - 1) */
      const int32_t n =
          std_d == 0 ? 0 : tnn_sat16(tnn_div_round64((int64_t)2048 * d, std_d));
      const int32_t acc = tnn_sat32((int64_t)n * weight[c] + bias[c]);
      const int64_t out =
          (int64_t)tnn_requantize(acc, quant->multiplier[c], quant->shift[c]) + p->output_offset;
      y[c] = (int8_t)(out < p->activation.min   ? p->activation.min
                      : out > p->activation.max ? p->activation.max
                                                : out);
    }
  }
  return TNN_OK;
}
