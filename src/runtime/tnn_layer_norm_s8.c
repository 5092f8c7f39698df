#include "tnn_dsp.h"
#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

/* Arguments of both LayerNorm kernels; *tokens is set when TNN_OK. */
static tnn_status tnn_layer_norm_check(const tnn_layer_norm_params* p,
                                       const tnn_per_channel_quant* quant, const tnn_dims* dims,
                                       const int8_t* input, const int8_t* weight,
                                       const int32_t* bias, const int8_t* output,
                                       int32_t* tokens) {
  int32_t c;
  if (!p || !quant || !quant->multiplier || !quant->shift || !dims || !input || !weight ||
      !bias || !output || !tnn_activation_ok(&p->activation) ||
      !tnn_output_offset_ok(p->output_offset))
    return TNN_ERR_ARG;
  *tokens = tnn_token_count(dims);
  if (*tokens == 0 || dims->c > 4096 || !tnn_elems_ok(*tokens, dims->c)) return TNN_ERR_SHAPE;
  for (c = 0; c < dims->c; ++c)
    if (quant->multiplier[c] < 0 || quant->shift[c] < -31 || quant->shift[c] > 30)
      return TNN_ERR_ARG;
  return TNN_OK;
}

/* The reference: plain loops, 64-bit arithmetic throughout. */
tnn_status tnn_layer_norm_s8_ref(const tnn_layer_norm_params* p, const tnn_per_channel_quant* quant,
                                 const tnn_dims* dims, const int8_t* input, const int8_t* weight,
                                 const int32_t* bias, int8_t* output) {
  int32_t t, c, tokens, C;
  const tnn_status st = tnn_layer_norm_check(p, quant, dims, input, weight, bias, output, &tokens);
  if (st != TNN_OK) return st;
  C = dims->c;
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

#if !defined(TNN_REFERENCE_KERNELS)

/* Channel c of a token with sum S and std_d > 0, as the reference: d = C x - S with
 * |2048 d| <= 2048 * 255 * (C - 1) < 2^31 (C <= 4096), so the rounded division runs on the
 * 32-bit magnitude (|2048 d| + std_d / 2 < 2^32); the bias add saturates only when
 * `wide` (a bias within 2^22 of the int32 limits, |n * w| < 2^22); the output offset is
 * applied after clamping to [min - offset, max - offset], which is exact and cannot
 * overflow. */
TNN_HOT int8_t tnn_ln_channel(
    int32_t d, uint32_t std_d, int32_t w, int32_t b, int32_t mult, int32_t shift, int32_t lo,
    int32_t hi, int32_t off, int wide) {
  const uint32_t mag = (d < 0 ? 0u - (uint32_t)d : (uint32_t)d) * 2048u;
  const int32_t q = (int32_t)((mag + std_d / 2u) / std_d);
  const int32_t r = d < 0 ? -q : q;
  const int32_t n = r < -32768 ? -32768 : (r > 32767 ? 32767 : r); /* tnn_sat16, as one SSAT */
  const int32_t acc = wide ? tnn_sat32((int64_t)n * w + b) : n * w + b;
  return (int8_t)(tnn_clamp(tnn_requantize(acc, mult, shift), lo, hi) + off);
}

/* One token (x, y may be the same): the reference's statistics, then its channels. The
 * sum of d_c^2 is C (C sum x^2 - S^2) (sum d = 0), so the reference's round(256 sum d^2 / C)
 * is 256 (C sum x^2 - S^2) exactly; sum x and sum x^2 (< 2^26) take SMLADs on pairs of
 * channels, four channels per word. */
static void tnn_ln_token(const int8_t* x, int8_t* y, int32_t C, const int8_t* weight,
                         const int32_t* bias, const tnn_per_channel_quant* quant, int32_t lo,
                         int32_t hi, int32_t off, int wide) {
  const int32_t ones = 0x00010001;
  int32_t sum = 0, sum2 = 0, c;
  uint32_t std_d;
  for (c = 0; c + 4 <= C; c += 4) {
    const int32_t v = tnn_read_s8x4(x + c), e = tnn_sxtb16(v), o = tnn_sxtb16_ror8(v);
    sum = tnn_smlad(e, ones, tnn_smlad(o, ones, sum));
    sum2 = tnn_smlad(e, e, tnn_smlad(o, o, sum2));
  }
  for (; c < C; ++c) sum += x[c], sum2 += x[c] * x[c];
  std_d = tnn_isqrt64(256 * (uint64_t)((int64_t)C * sum2 - (int64_t)sum * sum));
  if (std_d == 0) { /* a constant token: n = 0, the bias alone */
    for (c = 0; c < C; ++c)
      y[c] = (int8_t)(tnn_clamp(tnn_requantize(bias[c], quant->multiplier[c], quant->shift[c]),
                                lo, hi) + off);
    return;
  }
  if (wide)
    for (c = 0; c < C; ++c)
      y[c] = tnn_ln_channel(C * x[c] - sum, std_d, weight[c], bias[c], quant->multiplier[c],
                            quant->shift[c], lo, hi, off, 1);
  else
    for (c = 0; c < C; ++c)
      y[c] = tnn_ln_channel(C * x[c] - sum, std_d, weight[c], bias[c], quant->multiplier[c],
                            quant->shift[c], lo, hi, off, 0);
}

#endif

tnn_status tnn_layer_norm_s8(const tnn_layer_norm_params* p, const tnn_per_channel_quant* quant,
                             const tnn_dims* dims, const int8_t* input, const int8_t* weight,
                             const int32_t* bias, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_layer_norm_s8_ref(p, quant, dims, input, weight, bias, output);
#else
  int32_t t, c, tokens, C;
  int wide = 0;
  const tnn_status st = tnn_layer_norm_check(p, quant, dims, input, weight, bias, output, &tokens);
  if (st != TNN_OK) return st;
  C = dims->c;
  for (c = 0; c < C; ++c)
    if (bias[c] > INT32_MAX - (1 << 22) || bias[c] < INT32_MIN + (1 << 22)) wide = 1;
  for (t = 0; t < tokens; ++t)
    tnn_ln_token(input + t * C, output + t * C, C, weight, bias, quant,
                 p->activation.min - p->output_offset, p->activation.max - p->output_offset,
                 p->output_offset, wide);
  return TNN_OK;
#endif
}
