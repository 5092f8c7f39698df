/* tinynas int8 runtime: reference kernels of the transformer ops: an integer exp, the
 * scaled LayerNorm, softmax and ReLU-linear multi-head attention, and sequence pooling.
 * Same contract as tnn_nn.h: C99, no malloc, no float, plain loops, arguments checked.
 *
 * Tokens: a tensor of N tokens of D features has dims {1, H, W, D} with N = H * W (a
 * sequence is {1, N, 1, D}); token t's features are at [t * D, (t + 1) * D). Activations
 * are int8 asymmetric (real = s * (q - zero_point)); *_offset of an input is -zero_point
 * (in [-127, 128]), output_offset is +zero_point (in [-128, 127]). A tnn_quant
 * {multiplier, shift} is the real factor multiplier * 2^(shift - 31) applied by
 * tnn_requantize (multiplier >= 0, shift in [-31, 30]); the final int8 is clamped to the
 * activation range [min, max].
 *
 * Status (every kernel): TNN_ERR_ARG for a null pointer or an out-of-range parameter
 * (offsets, shifts, multipliers < 0, heads < 1, activation range); TNN_ERR_SHAPE for dims
 * with an entry < 1, n != 1, more than 65535 tokens, sizes that do not fit together or
 * exceed the documented bounds; TNN_ERR_BUFFER when ctx is NULL, its buffer NULL, smaller
 * than the get_buffer_size() partner asks for, or not 4-byte aligned. get_buffer_size()
 * returns 0 for arguments the kernel would reject. On error nothing is read or written.
 *
 * Accuracy (the tests, against double-precision math on the dequantized inputs, output
 * scale chosen from the float result's range): see each kernel.
 */
#ifndef TNN_TRANSFORMER_H
#define TNN_TRANSFORMER_H

#include "tnn_math.h"
#include "tnn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* round(32768 * exp(-u / 256)): u >= 0 is a real x = u / 256 in steps of 1/256. Two
 * tables (exp(-i/4) and exp(-j/256), Q15) and one rounded product; no float. u >= 4096
 * (x >= 16) gives 0; u < 0 is taken as 0 (gives 32768). Non-increasing in u. Accuracy
 * (tested against 32768 * exp(-u / 256.0) over u in [0, 5000)): max |error| 1.123. */
int32_t tnn_exp_neg_q15(int32_t u);

/* Scaled LayerNorm (TinyFormer III-C-3), per token over its C channels:
 *   y_c = gamma_c * (x_c - mean) / std + beta_c   (population std, no epsilon)
 * with the normalized value held as int16 in units of 1/128 (scaled by 2^7) and the 1/2^7
 * folded into the requantization. Exact integer recipe per token (q = the int8 input; it
 * needs no offset: LayerNorm does not depend on the input's scale or zero point):
 *   S = sum_c q_c;  d_c = C * q_c - S;  v = round(256 * sum_c d_c^2 / C) (int64);
 *   std_d = floor(sqrt(v)) (the std of d with 4 fractional bits);
 *   n_c = std_d == 0 ? 0 : round(2048 * d_c / std_d) (int16, sat; units of 1/128);
 *   acc_c = n_c * weight[c] + bias[c] (int32, saturating);
 *   out_c = clamp(tnn_requantize(acc_c, multiplier[c], shift[c]) + output_offset, act).
 * Roundings are to nearest, ties away from zero. A constant token (std_d == 0) gives the
 * bias alone. Quantization it expects (per channel c): s_w[c] = |gamma_c| / 127 (1 when
 * gamma_c == 0), weight[c] = round(gamma_c / s_w[c]), bias[c] = round(beta_c * 128 /
 * s_w[c]), real multiplier[c] = s_w[c] / (128 * s_out).
 * The quantizer must keep bias[c] within int32: |beta_c| * 128 / s_w[c] < 2^31 (a tiny
 * |gamma_c| next to a large |beta_c| needs a larger s_w[c]).
 * Layout: input and output {1, H, W, C}, C in [1, 4096]; weight int8 [C]; bias int32 [C];
 * quant has C entries; output may be the input (in place). Bounds: |d_c| <= 255 * (C - 1)
 * < 2^20, 256 * sum d_c^2 < 2^61, |n_c| <= 128 * sqrt(C - 1) <= 8192.
 * Accuracy (tested: C in {8, 17, 64, 200}, input scales 0.02..0.5, tokens of input std
 * >= 4 LSB; output scale from the float range): max |error| <= 2 output LSB (measured 1). */
typedef struct {
  int32_t output_offset;
  tnn_activation activation;
} tnn_layer_norm_params;

tnn_status tnn_layer_norm_s8(const tnn_layer_norm_params* params,
                             const tnn_per_channel_quant* quant, const tnn_dims* dims,
                             const int8_t* input, const int8_t* weight, const int32_t* bias,
                             int8_t* output);
/* The reference (plain loops, 64-bit arithmetic; tnn_nn.h says how the two relate). */
tnn_status tnn_layer_norm_s8_ref(const tnn_layer_norm_params* params,
                                 const tnn_per_channel_quant* quant, const tnn_dims* dims,
                                 const int8_t* input, const int8_t* weight, const int32_t* bias,
                                 int8_t* output);

/* Multi-head softmax attention: per head h, out_h = softmax(q_h k_h^T / sqrt(dh)) v_h.
 * Layout: q {1, .., .., heads * dh} with N tokens, k {.., heads * dh} with M tokens,
 * v {.., heads * dv} with M tokens, output {.., heads * dv} with N tokens; head h owns
 * the contiguous channels [h * dh, (h + 1) * dh) of q and k and [h * dv, (h + 1) * dv)
 * of v and the output. Per head h and query i (all sums over the head's channels):
 *   s_j = sum_d (q_id + q_offset) * (k_jd + k_offset)                     (int32)
 *   u_j = tnn_requantize(max_j s_j - s_j, score)   (>= 0, units of 1/256)
 *   e_j = tnn_exp_neg_q15(u_j);  E = sum_j e_j     (int32, E >= 32768)
 *   a_e = sum_j e_j * (v_je + v_offset)             (int64)
 *   r_e = round(a_e * 256 / E)                      (ties away from zero; |r_e| <= 65280)
 *   out_ie = clamp(tnn_requantize(r_e, output) + output_offset, act)
 * score's real factor is s_q * s_k / sqrt(dh) * 256, output's is s_v / (256 * s_out).
 * Bounds: dh <= 16384 keeps |s_j| <= 255^2 * dh < 2^30 (so max - s_j fits int32);
 * N, M <= 65535 (M keeps E < 2^31). Scratch: tnn_attention_s8_get_buffer_size bytes,
 * 4-byte aligned: 2 * M int32 (the fast kernel holds the scores of two queries there; the
 * reference uses the first half), then ceil(M / 2) * ceil(dv / 2) pairs of int32 (the fast
 * kernel's copy of one head's V as int16 pairs of keys, so AV takes one SMLAD a pair). The output must not overlap the inputs. Accuracy (tested: dh in
 * {4, 8, 16}, heads in {1, 2, 4}, N = M in {4, 16, 49}, plus N != M and dv != dh): max
 * |error| <= 2 output LSB (measured 1); a dominant score reproduces its v row (exact). */
typedef struct {
  int32_t q_offset, k_offset, v_offset; /* -zero points */
  int32_t output_offset;
  int32_t heads;
  /* raw score difference -> exp argument u in 1/256 units: real factor s_q*s_k/sqrt(dh)*256 */
  tnn_quant score;
  /* attention sum in units of s_v/256 -> output scale: real factor s_v/(256*s_out) */
  tnn_quant output;
  tnn_activation activation;
} tnn_attention_params;

/* Bytes of scratch: 8 M + 8 ceil(M / 2) ceil(dv / 2), M the tokens of k, dv = v's channels /
 * heads (0 for unusable dims or beyond 2 GiB). */
int32_t tnn_attention_s8_get_buffer_size(const tnn_dims* k_dims, const tnn_dims* v_dims,
                                         int32_t heads);
/* The reference (plain loops; tnn_nn.h says how the two relate). */
tnn_status tnn_attention_softmax_s8_ref(const tnn_context* ctx,
                                        const tnn_attention_params* params,
                                        const tnn_dims* q_dims, const int8_t* q,
                                        const tnn_dims* k_dims, const int8_t* k,
                                        const tnn_dims* v_dims, const int8_t* v,
                                        const tnn_dims* output_dims, int8_t* output);
tnn_status tnn_attention_softmax_s8(const tnn_context* ctx, const tnn_attention_params* params,
                                    const tnn_dims* q_dims, const int8_t* q,
                                    const tnn_dims* k_dims, const int8_t* k,
                                    const tnn_dims* v_dims, const int8_t* v,
                                    const tnn_dims* output_dims, int8_t* output);

/* Multi-head ReLU-linear attention (hybrid CNN-ViT): per head h,
 *   out_h = relu(q_h) (relu(k_h)^T v_h) / M.
 * Layout, heads and channel slices as tnn_attention_softmax_s8. Per head:
 *   k'_jd = max(k_jd + k_offset, 0);  q'_id = max(q_id + q_offset, 0)
 *   KV[d][e] = sum_j k'_jd * (v_je + v_offset)                  (int32, saturating)
 *   kv16[d][e] = saturate_int16(tnn_requantize(KV[d][e], kv))
 *   out_ie = clamp(tnn_requantize(sum_d q'_id * kv16[d][e], output) + output_offset, act)
 *   (the sum over d in int32, saturating)
 * kv's real factor is s_k * s_v / s_kv (s_kv: the int16 KV scale, e.g. max|KV| / 32767),
 * output's is s_q * s_kv / (M * s_out). Both int32 sums are exact (no saturation) for
 * M <= 33025 and dh <= 257; beyond, they saturate instead of overflowing. N, M <= 65535.
 * Scratch: one head's dh x dv int16 KV matrix, row-major (2 * dh * dv bytes, 4-byte
 * aligned; heads run one after another). The output must not overlap the inputs.
 * Accuracy (tested as the softmax attention, s_kv = float max |KV| / 32767): max |error|
 * <= 2 output LSB (measured 1). */
typedef struct {
  int32_t q_offset, k_offset, v_offset, output_offset;
  int32_t heads;
  /* sum_j relu(k) v (int32, real s_k*s_v per unit) -> int16 kv of real scale s_kv:
   * factor s_k*s_v/s_kv */
  tnn_quant kv;
  tnn_quant output; /* sum_d relu(q) kv -> output: factor s_q*s_kv/(M*s_out) */
  tnn_activation activation;
} tnn_linear_attention_params;

/* Bytes of scratch: 2 * (q channels / heads) * (v channels / heads), one head's KV. */
int32_t tnn_linear_attention_s8_get_buffer_size(const tnn_dims* q_dims, const tnn_dims* v_dims,
                                                int32_t heads);
tnn_status tnn_attention_relu_linear_s8(const tnn_context* ctx,
                                        const tnn_linear_attention_params* params,
                                        const tnn_dims* q_dims, const int8_t* q,
                                        const tnn_dims* k_dims, const int8_t* k,
                                        const tnn_dims* v_dims, const int8_t* v,
                                        const tnn_dims* output_dims, int8_t* output);

/* Sequence pooling (CCT SeqPool): out = sum_i softmax_i(x_i . w) x_i over the N tokens of
 * input {1, H, W, C} (a scalar bias of the score cancels in the softmax); weight int8 [C]
 * (symmetric, scale s_w), output int8 [C]. Exactly as the attention's softmax:
 *   s_i = sum_c (x_ic + input_offset) * weight[c]                         (int32)
 *   u_i = tnn_requantize(max_i s_i - s_i, score);  e_i = tnn_exp_neg_q15(u_i);  E = sum e_i
 *   r_c = round(256 * sum_i e_i * (x_ic + input_offset) / E)              (int64 sum)
 *   out_c = clamp(tnn_requantize(r_c, output) + output_offset, act)
 * score's real factor is s_x * s_w * 256, output's is s_x / (256 * s_out). Bounds:
 * C <= 32768 keeps |s_i| <= 255 * 128 * C < 2^30; N <= 65535 keeps E < 2^31. Scratch:
 * N int32 (tnn_seq_pool_s8_get_buffer_size bytes, 4-byte aligned). The output must not
 * overlap the input. Accuracy (tested: N in 1..64, C in 8..100): max |error| <= 2 output
 * LSB (measured 1). */
typedef struct {
  int32_t input_offset, output_offset;
  tnn_quant score;  /* score difference -> u in 1/256 units: factor s_x*s_w*256 */
  tnn_quant output; /* pooled sum in units of s_x/256 -> output: factor s_x/(256*s_out) */
  tnn_activation activation;
} tnn_seq_pool_params;

/* Bytes of scratch: tokens * sizeof(int32_t). */
int32_t tnn_seq_pool_s8_get_buffer_size(const tnn_dims* input_dims);
tnn_status tnn_seq_pool_s8(const tnn_context* ctx, const tnn_seq_pool_params* params,
                           const tnn_dims* input_dims, const int8_t* input,
                           const int8_t* weight, int8_t* output);

#ifdef __cplusplus
}
#endif

#endif /* TNN_TRANSFORMER_H */
