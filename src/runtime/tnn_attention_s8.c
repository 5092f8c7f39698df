#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

tnn_status tnn_attention_check(int32_t heads, const tnn_dims* q_d, const tnn_dims* k_d,
                                      const tnn_dims* v_d, const tnn_dims* out_d,
                                      tnn_attention_shape* s) {
  if (!q_d || !k_d || !v_d || !out_d) return TNN_ERR_ARG;
  s->n = tnn_token_count(q_d);
  s->m = tnn_token_count(k_d);
  if (s->n == 0 || s->m == 0 || tnn_token_count(v_d) != s->m || tnn_token_count(out_d) != s->n)
    return TNN_ERR_SHAPE;
  if (q_d->c != k_d->c || v_d->c != out_d->c || q_d->c % heads != 0 || v_d->c % heads != 0)
    return TNN_ERR_SHAPE;
  s->dh = q_d->c / heads;
  s->dv = v_d->c / heads;
  if (s->dh > 16384 || !tnn_elems_ok(s->n, q_d->c) || !tnn_elems_ok(s->m, q_d->c) ||
      !tnn_elems_ok(s->n, v_d->c) || !tnn_elems_ok(s->m, v_d->c))
    return TNN_ERR_SHAPE;
  return TNN_OK;
}

int32_t tnn_attention_s8_get_buffer_size(const tnn_dims* k_dims, const tnn_dims* v_dims,
                                         int32_t heads) {
  int64_t m, dv, bytes;
  if (!k_dims || !v_dims || heads < 1 || v_dims->c < 1 || v_dims->c % heads != 0) return 0;
  m = tnn_token_count(k_dims), dv = v_dims->c / heads;
  /* the fast kernel's two queries (M int32 each), then one head's V as int16 pairs of keys */
  bytes = 8 * m + 8 * ((m + 1) / 2) * ((dv + 1) / 2);
  return m == 0 || bytes > INT32_MAX ? 0 : (int32_t)bytes;
}

tnn_status tnn_attention_softmax_check(const tnn_context* ctx, const tnn_attention_params* p,
                                       const tnn_dims* q_d, const int8_t* q, const tnn_dims* k_d,
                                       const int8_t* k, const tnn_dims* v_d, const int8_t* v,
                                       const tnn_dims* out_d, const int8_t* output,
                                       tnn_attention_shape* s) {
  tnn_status st;
  int32_t need;
  if (!p || !q || !k || !v || !output || p->heads < 1 || !tnn_activation_ok(&p->activation) ||
      !tnn_input_offset_ok(p->q_offset) || !tnn_input_offset_ok(p->k_offset) ||
      !tnn_input_offset_ok(p->v_offset) || !tnn_output_offset_ok(p->output_offset) ||
      !tnn_quant_ok(&p->score) || !tnn_quant_ok(&p->output))
    return TNN_ERR_ARG;
  if ((st = tnn_attention_check(p->heads, q_d, k_d, v_d, out_d, s)) != TNN_OK) return st;
  need = tnn_attention_s8_get_buffer_size(k_d, v_d, p->heads);
  if (need == 0) return TNN_ERR_SHAPE; /* a scratch beyond 2 GiB */
  if (!tnn_scratch_ok(ctx, need)) return TNN_ERR_BUFFER;
  return TNN_OK;
}

tnn_status tnn_attention_softmax_s8_ref(const tnn_context* ctx, const tnn_attention_params* p,
                                    const tnn_dims* q_d, const int8_t* q, const tnn_dims* k_d,
                                    const int8_t* k, const tnn_dims* v_d, const int8_t* v,
                                    const tnn_dims* out_d, int8_t* output) {
  tnn_attention_shape s;
  tnn_status st;
  int32_t h, i, j, d, e;
  if ((st = tnn_attention_softmax_check(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output, &s)) !=
      TNN_OK)
    return st;
  {
    int32_t* ex = (int32_t*)ctx->buf; /* scores, then exp numerators, of one query */
    const int32_t qk_c = q_d->c, v_c = v_d->c;
    for (h = 0; h < p->heads; ++h) {
      for (i = 0; i < s.n; ++i) {
        const int8_t* qi = q + i * qk_c + h * s.dh;
        int32_t sum_e;
        for (j = 0; j < s.m; ++j) {
          const int8_t* kj = k + j * qk_c + h * s.dh;
          int32_t acc = 0; /* |acc| <= 255^2 * dh < 2^30 */
          for (d = 0; d < s.dh; ++d) acc += (qi[d] + p->q_offset) * (kj[d] + p->k_offset);
          ex[j] = acc;
        }
        sum_e = tnn_softmax_q15_numerators(ex, s.m, &p->score);
        for (e = 0; e < s.dv; ++e) {
          int64_t a = 0; /* |a| <= 2^15 * 255 * M < 2^39 */
          for (j = 0; j < s.m; ++j) a += (int64_t)ex[j] * (v[j * v_c + h * s.dv + e] + p->v_offset);
          output[i * v_c + h * s.dv + e] =
              tnn_output_s8_wide((int32_t)tnn_div_round64(a * 256, sum_e), &p->output,
                                 p->output_offset, &p->activation);
        }
      }
    }
  }
  return TNN_OK;
}

int32_t tnn_linear_attention_s8_get_buffer_size(const tnn_dims* q_dims, const tnn_dims* v_dims,
                                                int32_t heads) {
  int64_t bytes;
  if (!q_dims || !v_dims || heads < 1 || q_dims->c < 1 || v_dims->c < 1 ||
      q_dims->c % heads != 0 || v_dims->c % heads != 0)
    return 0;
  bytes = (int64_t)2 * (q_dims->c / heads) * (v_dims->c / heads);
  return bytes > INT32_MAX ? 0 : (int32_t)bytes;
}

tnn_status tnn_attention_relu_linear_s8(const tnn_context* ctx,
                                        const tnn_linear_attention_params* p,
                                        const tnn_dims* q_d, const int8_t* q,
                                        const tnn_dims* k_d, const int8_t* k,
                                        const tnn_dims* v_d, const int8_t* v,
                                        const tnn_dims* out_d, int8_t* output) {
  tnn_attention_shape s;
  tnn_status st;
  int32_t need, h, i, j, d, e;
  if (!p || !q || !k || !v || !output || p->heads < 1 || !tnn_activation_ok(&p->activation) ||
      !tnn_input_offset_ok(p->q_offset) || !tnn_input_offset_ok(p->k_offset) ||
      !tnn_input_offset_ok(p->v_offset) || !tnn_output_offset_ok(p->output_offset) ||
      !tnn_quant_ok(&p->kv) || !tnn_quant_ok(&p->output))
    return TNN_ERR_ARG;
  if ((st = tnn_attention_check(p->heads, q_d, k_d, v_d, out_d, &s)) != TNN_OK) return st;
  need = tnn_linear_attention_s8_get_buffer_size(q_d, v_d, p->heads);
  if (need == 0) return TNN_ERR_SHAPE; /* a KV matrix beyond 2 GiB */
  if (!tnn_scratch_ok(ctx, need)) return TNN_ERR_BUFFER;
  {
    int16_t* kv = (int16_t*)ctx->buf; /* [dh][dv] of the current head */
    const tnn_out_fast o = tnn_out_fast_of(p->output_offset, &p->activation);
    const int kind = tnn_rq_kind(&o, p->output.multiplier, p->output.shift);
    const int32_t m2 = tnn_rq_m2(p->output.multiplier), e1 = tnn_rq_e1(p->output.shift);
    const int32_t qk_c = q_d->c, v_c = v_d->c;
    for (h = 0; h < p->heads; ++h) {
      for (d = 0; d < s.dh; ++d) {
        for (e = 0; e < s.dv; ++e) {
          int64_t acc = 0;
          for (j = 0; j < s.m; ++j) {
            const int32_t kp = k[j * qk_c + h * s.dh + d] + p->k_offset;
            if (kp > 0) acc += (int64_t)kp * (v[j * v_c + h * s.dv + e] + p->v_offset);
          }
          kv[d * s.dv + e] =
              tnn_sat16(tnn_requantize(tnn_sat32(acc), p->kv.multiplier, p->kv.shift));
        }
      }
      for (i = 0; i < s.n; ++i) {
        const int8_t* qi = q + i * qk_c + h * s.dh;
        for (e = 0; e < s.dv; ++e) {
          int64_t acc = 0;
          for (d = 0; d < s.dh; ++d) {
            const int32_t qp = qi[d] + p->q_offset;
            if (qp > 0) acc += (int64_t)qp * kv[d * s.dv + e];
          }
          /* the fast form is tnn_output_s8 exactly (tnn_math.h), which is the wide one for
           * a negative shift */
          output[i * v_c + h * s.dv + e] =
              kind != TNN_RQ_SLOW
                  ? (int8_t)tnn_output_fast(tnn_sat32(acc), m2, e1, &o, o.kind)
                  : tnn_output_s8_wide(tnn_sat32(acc), &p->output, p->output_offset,
                                       &p->activation);
        }
      }
    }
  }
  return TNN_OK;
}
