/* Multi-head softmax attention, bit-exact with tnn_attention_softmax_s8_ref.
 *
 * Queries go in pairs (an odd last query runs as a pair with itself), per head:
 *  1. QK^T: the two queries' channels, plus q_offset, as int16 pairs on the stack (zero
 *     padded to a multiple of 4 channels); a key's 4 channels are one word, split by SXTB16
 *     (channels 0, 2) and SXTB16 ROR 8 (1, 3), each pair feeding one SMLAD per query; two
 *     keys a step, the blocks of 4 channels unrolled (a switch enters the sequence at the
 *     head's last block, so every load has an immediate offset; 16 instructions per 16
 *     MACs; heads of 8, 12, 16, 24 and 32 channels get a loop of their own, without the
 *     switch), the maxima of both queries tracked as the scores are stored. The k_offset
 *     term k_offset * sum(q') is the same for every key of a query and cancels in
 *     max - s_j, so it is left out.
 *  2. The numerators as h_j = e_j - 32768 in [-32768, 0] (int16; tnn_softmax_exp_h: the
 *     same e_j as the reference's tnn_softmax_q15_numerators, one load from a table of
 *     e - 32768 for every 12-bit exp argument, 8 KiB of flash: SUB, SMMLAR, LSR, USAT,
 *     LDRSH, the sum, half a PKHBT and a store, about 9 instructions a score against 12
 *     for the two-level table), stored in place of the scores: query qi's word (h 2p,
 *     h 2p+1) of key pair p at s[4p + qi]. E = sum_j h_j + 32768 M.
 *  3. AV: sum_j h_j * v_je over key pairs with SMLAD. Each head's V is first copied to the
 *     scratch as int16 pairs of keys (tnn_att_pack_v: channel c of keys j, j + 1 in one
 *     word, a key pair's words of 4 channels side by side), so a key pair of 4 channels is
 *     two LDRD, the two queries' numerator words a third, and eight SMLAD make its 16 MACs
 *     (about 0.77 instructions a MAC with the loop); int32 sums of at most 256 keys (|sum|
 *     <= 2^15 * 128 * 256 = 2^30), added up in int64 beyond.
 *  4. a_e = sum_j e_j (v_je + v_offset) = (step 3) + 32768 cs_e + v_offset * E, with cs_e
 *     = sum_j v_je the column sums of V (once a head, on the stack; per pair and group of
 *     4 channels when dv > TNN_ATT_MAX_DV); r_e = round(256 a_e / E) without a 64-bit
 *     division when M <= 256. Both queries' outputs of a group in one call; with the fast
 *     requantization of tnn_math.h (output multiplier >= 2^30, shift in [-31, -1]) and
 *     E <= 255 * 2^15, two SDIVs and the SMMLAR form, about 19 instructions an output
 *     (tnn_att_out_fast); otherwise 32-bit magnitudes and tnn_requantize.
 * K loads may read past a head's channels (words up to the padded width: the padding
 * multiplies by zero) but never past a tensor: keys whose padded read would, run a
 * per-channel path.
 *
 * Scratch (4-byte aligned): 2 * M int32, the two queries' scores, then their numerators;
 * then the head's packed V, ceil(M / 2) * ceil(dv / 2) pairs of int32.
 * Stack: the query pairs (TNN_ATT_MAX_DH4 words) and the column sums (TNN_ATT_MAX_DV
 * words). A head wider than TNN_ATT_MAX_DH4 channels runs the reference (which needs less
 * scratch). */
#include "tnn_dsp.h"
#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

#if !defined(TNN_REFERENCE_KERNELS)

#define TNN_ATT_MAX_DH4 64 /* int16 channels (with padding) of a query */
#define TNN_ATT_CHUNK 128  /* key pairs per int32 partial sum */
#define TNN_ATT_MAX_DV 64  /* column sums of a head kept on the stack */



typedef struct {
  const int8_t *q, *k, *v;
  int8_t* out;
  int32_t n, m, qk_c, v_c, dh, dv, dh4;
  const tnn_attention_params* p;
  /* the output requantization: kind (tnn_math.h; TNN_RQ_SLOW: tnn_att_emit_loop), the
   * fast form's constants */
  int rq_kind;
  int32_t rq_m2, rq_e1;
  tnn_out_fast rq_out;
} tnn_att;

/* ---- 1. scores ------------------------------------------------------------------------ */

/* qp: per block of 4 channels, words (q0 c0, c2) (q0 c1, c3) (q1 c0, c2) (q1 c1, c3) with
 * the offset added, zeros past dh (the last block is read byte by byte: a word could leave
 * the tensor). */
static void tnn_att_query_pairs(const tnn_att* a, const int8_t* q0, const int8_t* q1,
                                int32_t* qp) {
  const int32_t off = a->p->q_offset, off2 = tnn_dup16(off);
  int32_t d;
  for (d = 0; d + 4 <= a->dh; d += 4) {
    const int32_t w0 = tnn_read_s8x4(q0 + d), w1 = tnn_read_s8x4(q1 + d);
    qp[d] = tnn_sxtab16(off2, w0), qp[d + 1] = tnn_sxtab16_ror8(off2, w0);
    qp[d + 2] = tnn_sxtab16(off2, w1), qp[d + 3] = tnn_sxtab16_ror8(off2, w1);
  }
  if (d < a->dh) {
    int32_t x[8], i;
    for (i = 0; i < 4; ++i) {
      x[i] = d + i < a->dh ? q0[d + i] + off : 0;
      x[4 + i] = d + i < a->dh ? q1[d + i] + off : 0;
    }
    qp[d] = tnn_pkhbt(x[0], x[2]), qp[d + 1] = tnn_pkhbt(x[1], x[3]);
    qp[d + 2] = tnn_pkhbt(x[4], x[6]), qp[d + 3] = tnn_pkhbt(x[5], x[7]);
  }
}


/* Block b (a constant: immediate offsets) of 4 channels of keys x and x2 against both
 * queries' words qp[4b..4b+3]; the first block (b = 0) starts the sums (SMUAD). */
#define TNN_ATT_QK_BLOCK(b)                                                      \
  do {                                                                           \
    const int32_t ka = tnn_read_s8x4(x + 4 * (b)), kb = tnn_read_s8x4(x2 + 4 * (b)); \
    const int32_t ea = tnn_sxtb16(ka), eb = tnn_sxtb16(kb);                      \
    const int32_t oa = tnn_sxtb16_ror8(ka), ob = tnn_sxtb16_ror8(kb);            \
    const tnn_s32x2 w0 = tnn_read_s32x2(qp + 4 * (b));                           \
    const tnn_s32x2 w1 = tnn_read_s32x2(qp + 4 * (b) + 2);                       \
    if ((b) == 0) {                                                              \
      a0 = tnn_smuad(ea, w0.lo), b0 = tnn_smuad(eb, w0.lo);              \
      a1 = tnn_smuad(ea, w1.lo), b1 = tnn_smuad(eb, w1.lo);              \
    } else {                                                                     \
      a0 = tnn_smlad(ea, w0.lo, a0), b0 = tnn_smlad(eb, w0.lo, b0);              \
      a1 = tnn_smlad(ea, w1.lo, a1), b1 = tnn_smlad(eb, w1.lo, b1);              \
    }                                                                            \
    a0 = tnn_smlad(oa, w0.hi, a0), b0 = tnn_smlad(ob, w0.hi, b0);                \
    a1 = tnn_smlad(oa, w1.hi, a1), b1 = tnn_smlad(ob, w1.hi, b1);                \
    TNN_SCHED_FENCE();                                                           \
  } while (0)

/* s[2j], s[2j + 1]: sum_d q'_d k_jd of both queries for the keys j of [0, 2 pairs), kp at
 * key 0's head channels, keys kc bytes apart; blocks (1..16) of 4 channels, qp: the query
 * pairs, in the caller's frame (addressed from the stack pointer: one register less).
 * Two keys a step share the query words; the blocks are unrolled (a switch enters the
 * sequence at the last block), so every offset is an immediate. max: the running maxima
 * of both queries, updated. */
TNN_HOT void tnn_att_score_pairs(const int32_t* qp, int32_t blocks, const int8_t* kp,
                                 int32_t kc, int32_t pairs, int32_t* s, int32_t* max) {
  const int32_t* send = s + 4 * pairs;
  int32_t max0 = max[0], max1 = max[1];
  for (; s != send; s += 4, kp += 2 * kc) {
    const int8_t *x = kp, *x2 = kp + kc;
    int32_t a0, a1, b0, b1;
    TNN_ATT_QK_BLOCK(0);
    switch (blocks) { /* falls through from the last block to block 1 */
      case 16: TNN_ATT_QK_BLOCK(15); /* fall through */
      case 15: TNN_ATT_QK_BLOCK(14); /* fall through */
      case 14: TNN_ATT_QK_BLOCK(13); /* fall through */
      case 13: TNN_ATT_QK_BLOCK(12); /* fall through */
      case 12: TNN_ATT_QK_BLOCK(11); /* fall through */
      case 11: TNN_ATT_QK_BLOCK(10); /* fall through */
      case 10: TNN_ATT_QK_BLOCK(9); /* fall through */
      case 9: TNN_ATT_QK_BLOCK(8); /* fall through */
      case 8: TNN_ATT_QK_BLOCK(7); /* fall through */
      case 7: TNN_ATT_QK_BLOCK(6); /* fall through */
      case 6: TNN_ATT_QK_BLOCK(5); /* fall through */
      case 5: TNN_ATT_QK_BLOCK(4); /* fall through */
      case 4: TNN_ATT_QK_BLOCK(3); /* fall through */
      case 3: TNN_ATT_QK_BLOCK(2); /* fall through */
      case 2: TNN_ATT_QK_BLOCK(1); /* fall through */
      default: break;
    }
    s[0] = a0, s[1] = a1, s[2] = b0, s[3] = b1;
    if (a0 > max0) max0 = a0;
    if (a1 > max1) max1 = a1;
    if (b0 > max0) max0 = b0;
    if (b1 > max1) max1 = b1;
  }
  max[0] = max0, max[1] = max1;
}

/* One key's scores of both queries (the odd last key of n, or one past `safe`). */
static void tnn_att_score_one(const int32_t* w, int32_t blocks, const int8_t* kp, int32_t* s) {
  int32_t a0 = 0, a1 = 0, b;
  for (b = blocks; b > 0; --b, kp += 4, w += 4) {
    const int32_t k = tnn_read_s8x4(kp), e = tnn_sxtb16(k), o = tnn_sxtb16_ror8(k);
    a0 = tnn_smlad(e, w[0], tnn_smlad(o, w[1], a0));
    a1 = tnn_smlad(e, w[2], tnn_smlad(o, w[3], a1));
  }
  s[0] = a0, s[1] = a1;
}

/* Lane l of word w as a signed 16-bit value. */
static int32_t tnn_att_lane(int32_t w, int32_t l) {
  return l ? (int16_t)(uint16_t)((uint32_t)w >> 16) : (int16_t)(uint16_t)((uint32_t)w & 0xFFFFu);
}

/* The same for one key, channel by channel (a key whose padded word read would leave k). */
static void tnn_att_score_tail(const tnn_att* a, const int32_t* qp, const int8_t* kp, int32_t* s) {
  int32_t d, a0 = 0, a1 = 0;
  for (d = 0; d < a->dh; ++d) {
    const int32_t* w = qp + (d & ~3) + ((d & 1) ? 1 : 0);
    const int32_t l = (d & 2) ? 1 : 0;
    a0 += tnn_att_lane(w[0], l) * kp[d];
    a1 += tnn_att_lane(w[2], l) * kp[d];
  }
  s[0] = a0, s[1] = a1;
}

/* Both queries' scores of all keys into s (2 * m int32, queries interleaved) and their
 * maxima; keys whose padded read would leave k (past `safe`) channel by channel. */
TNN_SHARED void tnn_att_scores(const tnn_att* a, int32_t h, int32_t i0, int32_t i1, int32_t* s,
                               int32_t* max) {
  int32_t qp[TNN_ATT_MAX_DH4], j;
  const int8_t* k = a->k + h * a->dh;
  /* keys whose padded read stays inside k (m * qk_c fits int32: tnn_elems_ok) */
  const int32_t room = a->m * a->qk_c - (h * a->dh + a->dh4);
  const int32_t safe = room < 0 ? 0 : (room / a->qk_c + 1 < a->m ? room / a->qk_c + 1 : a->m);
  tnn_att_query_pairs(a, a->q + i0 * a->qk_c + h * a->dh, a->q + i1 * a->qk_c + h * a->dh, qp);
  max[0] = max[1] = INT32_MIN;
  switch (a->dh4 / 4) { /* common head widths: their own loop, no switch per key pair */
    case 2: tnn_att_score_pairs(qp, 2, k, a->qk_c, safe >> 1, s, max); break;
    case 3: tnn_att_score_pairs(qp, 3, k, a->qk_c, safe >> 1, s, max); break;
    case 4: tnn_att_score_pairs(qp, 4, k, a->qk_c, safe >> 1, s, max); break;
    case 6: tnn_att_score_pairs(qp, 6, k, a->qk_c, safe >> 1, s, max); break;
    case 8: tnn_att_score_pairs(qp, 8, k, a->qk_c, safe >> 1, s, max); break;
    default: tnn_att_score_pairs(qp, a->dh4 / 4, k, a->qk_c, safe >> 1, s, max); break;
  }
  for (j = safe & ~1; j < a->m; ++j) {
    if (j < safe)
      tnn_att_score_one(qp, a->dh4 / 4, k + j * a->qk_c, s + 2 * j);
    else
      tnn_att_score_tail(a, qp, k + j * a->qk_c, s + 2 * j);
    if (s[2 * j] > max[0]) max[0] = s[2 * j];
    if (s[2 * j + 1] > max[1]) max[1] = s[2 * j + 1];
  }
}

/* ---- 2. numerators ---------------------------------------------------------------------- */

/* Query qi's numerator words in place, s at its score of key 0 (its scores 2 int32
 * apart): the word of key pair p, (e 2p - 32768, e 2p+1 - 32768) as int16 lanes, goes to
 * s[4p] (its score of key 2p, read already); for an odd m the missing key's lane is 0.
 * Returns sum_j (e_j - 32768). Scores: max - s_j < 2^30 (|s_j| <= 255 * 128 * 64). */
TNN_SHARED int32_t tnn_att_exps(int32_t* s, int32_t m, int32_t max, const tnn_softmax_exp* c) {
  const int32_t max2 = 2 * max, mul = c->multiplier, half = c->half, sh = c->s;
  const int32_t* end = s + 8 * (m >> 2);
  const int16_t* t = tnn_exp_q15m;
  int32_t sum = 0;
  for (; s != end; s += 8) {
    const int32_t h0 = tnn_softmax_exp_h(max2 - 2 * s[0], mul, half, sh, t);
    const int32_t h1 = tnn_softmax_exp_h(max2 - 2 * s[2], mul, half, sh, t);
    const int32_t h2 = tnn_softmax_exp_h(max2 - 2 * s[4], mul, half, sh, t);
    const int32_t h3 = tnn_softmax_exp_h(max2 - 2 * s[6], mul, half, sh, t);
    sum += h0, sum += h1, sum += h2, sum += h3;
    s[0] = tnn_pkhbt(h0, h1);
    s[4] = tnn_pkhbt(h2, h3);
  }
  if (m & 2) {
    const int32_t h0 = tnn_softmax_exp_h(max2 - 2 * s[0], mul, half, sh, t);
    const int32_t h1 = tnn_softmax_exp_h(max2 - 2 * s[2], mul, half, sh, t);
    sum += h0, sum += h1;
    s[0] = tnn_pkhbt(h0, h1);
    s += 4;
  }
  if (m & 1) {
    const int32_t h0 = tnn_softmax_exp_h(max2 - 2 * s[0], mul, half, sh, t);
    sum += h0;
    *s = (int32_t)((uint32_t)h0 & 0xFFFFu);
  }
  return sum;
}

/* The same for score->shift > 0 (tnn_requantize saturates: rare, kept simple). */
static int32_t tnn_att_exps_wide(int32_t* s, int32_t m, int32_t max, const tnn_quant* score) {
  int32_t j, sum = 0;
  for (j = 0; j < m; ++j) {
    const int32_t h =
        tnn_exp_neg_q15(tnn_requantize(max - s[2 * j], score->multiplier, score->shift)) - 32768;
    int32_t* w = s + 4 * (j >> 1);
    sum += h;
    *w = (j & 1) ? (int32_t)(((uint32_t)*w & 0xFFFFu) | ((uint32_t)h << 16))
                 : (int32_t)((uint32_t)h & 0xFFFFu);
  }
  return sum;
}

/* Both queries' numerator words from the scores s (2 * m int32, queries interleaved) and
 * their maxima: per key pair p, query 0's word at s[4p], query 1's at s[4p + 1]. e[qi]: E
 * of query qi. */
TNN_SHARED void tnn_att_numerators(int32_t* s, int32_t m, const int32_t* max,
                                   const tnn_quant* score, int32_t* e) {
  const int32_t base = 32768 * m; /* E = sum (e_j - 32768) + 32768 m < 2^31 */
  int32_t qi;
  tnn_softmax_exp c;
  tnn_softmax_exp_init(&c, score); /* used only when score->shift <= 0 */
  for (qi = 0; qi < 2; ++qi)
    e[qi] = base + (score->shift <= 0 ? tnn_att_exps(s + qi, m, max[qi], &c)
                                      : tnn_att_exps_wide(s + qi, m, max[qi], score));
}

/* ---- 3. AV ---------------------------------------------------------------------------- */

/* The head's V (v at its channel 0) as int16 pairs of keys: channel c of keys 2p, 2p + 1
 * (key 2p in the low lane) in one word; 0 for the key past an odd m and the channel past
 * an odd dv. Channels go in groups of 4 (the last one of 2 when the even-rounded dv is
 * not a multiple of 4), group g's words of pair p at vpk[c P + w p + l] (c = 4 g: its
 * first channel, w: its width, l: the channel in it, P = ceil(m / 2)), so AV reads a
 * pair's group in one or two LDRD. Once a head, for all its query pairs. */
static void tnn_att_pack_v(const tnn_att* a, const int8_t* v, int32_t* vpk) {
  const int32_t vc = a->v_c, full = a->m >> 1, pairs = (a->m + 1) >> 1;
  const int32_t dv2 = (a->dv + 1) & ~1;
  int32_t c, p, l;
  for (c = 0; c < dv2; c += 4) {
    const int32_t w = c + 4 <= dv2 ? 4 : 2, lanes = a->dv - c < w ? a->dv - c : w;
    int32_t* o = vpk + c * pairs;
    const int8_t* x = v + c;
    for (p = 0; p < full; ++p, x += 2 * vc, o += w) {
      for (l = 0; l < lanes; ++l) o[l] = tnn_pkhbt(x[l], x[vc + l]);
      for (; l < w; ++l) o[l] = 0;
    }
    if (a->m & 1) {
      for (l = 0; l < lanes; ++l) o[l] = tnn_pkhbt(x[l], 0);
      for (; l < w; ++l) o[l] = 0;
    }
  }
}

/* Key pair o (a constant) of the step: its numerator words (query 0, query 1) at f[4o],
 * f[4o + 1] and its packed V words (channel c, c + 1) at vp[2o]. */
#define TNN_ATT_AV_STEP(o)                                                    \
  do {                                                                        \
    const tnn_s32x2 fk = tnn_read_s32x2(f + 4 * (o));                         \
    const tnn_s32x2 vk = tnn_read_s32x2(vp + 2 * (o));                        \
    a00 = tnn_smlad(vk.lo, fk.lo, a00), a01 = tnn_smlad(vk.hi, fk.lo, a01);   \
    a10 = tnn_smlad(vk.lo, fk.hi, a10), a11 = tnn_smlad(vk.hi, fk.hi, a11);   \
  } while (0)

/* acc[4 * query + lane] = sum over key pairs [0, pairs) of h * v at channel c + lane (a
 * group of 2 channels); f: the pairs' numerator words (query 0, query 1 per pair, 4 int32
 * a pair), vp: the group's packed V from the first pair. Four pairs a step (6
 * instructions a pair: two LDRD, four SMLAD); pairs <= TNN_ATT_CHUNK. */
TNN_SHARED void tnn_att_av(const int32_t* f, const int32_t* vp, int32_t pairs, int32_t* acc) {
  const int32_t* end = f + 4 * (pairs & ~3);
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
  for (; f != end; f += 16, vp += 8) {
    TNN_ATT_AV_STEP(0);
    TNN_ATT_AV_STEP(1);
    TNN_ATT_AV_STEP(2);
    TNN_ATT_AV_STEP(3);
  }
  if (pairs & 2) {
    TNN_ATT_AV_STEP(0);
    TNN_ATT_AV_STEP(1);
    f += 8, vp += 4;
  }
  if (pairs & 1) TNN_ATT_AV_STEP(0);
  acc[0] = a00, acc[1] = a01, acc[4] = a10, acc[5] = a11;
}

/* Key pair o (a constant) of the step for a group of 4 channels: its numerator words at
 * f[4o], f[4o + 1], its packed V words (channels c .. c + 3) at vp[4o]. */
#define TNN_ATT_AV4_STEP(o)                                                    \
  do {                                                                         \
    const tnn_s32x2 fk = tnn_read_s32x2(f + 4 * (o));                          \
    const tnn_s32x2 va = tnn_read_s32x2(vp + 4 * (o));                         \
    const tnn_s32x2 vb = tnn_read_s32x2(vp + 4 * (o) + 2);                     \
    a00 = tnn_smlad(va.lo, fk.lo, a00), a01 = tnn_smlad(va.hi, fk.lo, a01);    \
    a10 = tnn_smlad(va.lo, fk.hi, a10), a11 = tnn_smlad(va.hi, fk.hi, a11);    \
    a02 = tnn_smlad(vb.lo, fk.lo, a02), a03 = tnn_smlad(vb.hi, fk.lo, a03);    \
    a12 = tnn_smlad(vb.lo, fk.hi, a12), a13 = tnn_smlad(vb.hi, fk.hi, a13);    \
    TNN_SCHED_FENCE();                                                         \
  } while (0)

/* tnn_att_av for a group of 4 channels (vp: its packed words, 4 a pair): acc[4 * query +
 * lane] for lanes 0..3. A pair's 16 MACs take three LDRD and eight SMLAD. */
TNN_SHARED void tnn_att_av4(const int32_t* f, const int32_t* vp, int32_t pairs, int32_t* acc) {
  const int32_t* end = f + 4 * (pairs & ~3);
  int32_t a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
  for (; f != end; f += 16, vp += 16) {
    TNN_ATT_AV4_STEP(0);
    TNN_ATT_AV4_STEP(1);
    TNN_ATT_AV4_STEP(2);
    TNN_ATT_AV4_STEP(3);
  }
  if (pairs & 2) {
    TNN_ATT_AV4_STEP(0);
    TNN_ATT_AV4_STEP(1);
    f += 8, vp += 8;
  }
  if (pairs & 1) TNN_ATT_AV4_STEP(0);
  acc[0] = a00, acc[1] = a01, acc[2] = a02, acc[3] = a03;
  acc[4] = a10, acc[5] = a11, acc[6] = a12, acc[7] = a13;
}

/* ---- 4. outputs --------------------------------------------------------------------------- */

/* cs[l] = sum over all keys of v at channel l (< count) of v (key 0). */
static void tnn_att_colsums(const tnn_att* a, const int8_t* v, int32_t count, int32_t* cs) {
  int32_t j, l;
  for (l = 0; l < count; ++l) cs[l] = 0;
  for (j = 0; j < a->m; ++j, v += a->v_c)
    for (l = 0; l < count; ++l) cs[l] += v[l];
}

/* The outputs y[0..lanes) of one query, M <= 256: a = sum + 32768 * cs + v_offset * E
 * (|a| <= 2^15 * 255 * M < 2^31; the terms wrap in uint32 at most), r = round(256 a / E)
 * with ties away from zero (the reference's tnn_div_round64) from |a| = q E + r':
 * 256 q + floor((256 r' + E / 2) / E), in 32 bits (E <= 2^23 keeps q <= 255 and
 * 256 r' + E / 2 < 2^32). Lane l's sum is sums[l]. */
TNN_HOT void tnn_att_emit_loop(
    const int32_t* sums, const int32_t* cs, uint32_t e, uint32_t base, int32_t lanes,
    int8_t* y, int narrow, tnn_quant q, int32_t off, tnn_activation act) {
  int32_t l;
  for (l = 0; l < lanes; ++l) {
    const uint32_t sum = (uint32_t)sums[l] + base + 32768u * (uint32_t)cs[l];
    const uint32_t mag = (int32_t)sum < 0 ? 0u - sum : sum;
    const uint32_t quo = mag / e, t = quo * 256u + ((mag - quo * e) * 256u + e / 2u) / e;
    const int32_t r = (int32_t)sum < 0 ? -(int32_t)t : (int32_t)t;
    /* |r| <= 65280: only a positive shift can saturate (then the offset needs 64 bits) */
    y[l] = narrow ? tnn_output_s8(r, q.multiplier, q.shift, off, &act)
                  : tnn_output_s8_wide(r, &q, off, &act);
  }
}

/* One output of tnn_att_emit_loop by the fast requantization (kind = a->rq_kind) for
 * E <= 255 * 2^15 (at most 255 keys; every key's e_j <= 2^15): a = quo E + rem by a
 * truncating division (|quo| <= 255, rem of a's sign, |rem| < E), and the reference's
 * round(256 a / E), ties away from zero, is 256 quo + round(256 rem / E), the truncating
 * quotient of 256 rem +- E / 2 (the sign of rem; |256 rem| + E / 2 < 256.5 E < 2^31: all
 * int32, SDIV). add: v_offset E + 32768 cs_l (mod 2^32). */
TNN_HOT int8_t tnn_att_out_fast(int32_t sum, uint32_t add, int32_t e, int32_t half, int32_t m2,
                                int32_t e1, const tnn_out_fast* o, const int kind) {
  const int32_t a = (int32_t)((uint32_t)sum + add);
  const int32_t quo = a / e, rem = a - quo * e, sg = rem >> 31;
  const int32_t r = 256 * quo + (256 * rem + ((half ^ sg) - sg)) / e;
  return (int8_t)tnn_output_fast(r, m2, e1, o, kind);
}

/* Both queries' outputs y[qi][0..lanes) of one group by tnn_att_out_fast. */
TNN_HOT void tnn_att_emit_fast(const tnn_att* a, const int32_t* sums, const int32_t* cs,
                               const int32_t* e, int32_t lanes, int8_t* y0, int8_t* y1,
                               const int kind) {
  const int32_t m2 = a->rq_m2, e1 = a->rq_e1, voff = a->p->v_offset;
  const tnn_out_fast o = a->rq_out;
  int32_t l, qi;
  for (qi = 0; qi < 2; ++qi) {
    const int32_t eq = e[qi], half = eq >> 1;
    const uint32_t base = (uint32_t)voff * (uint32_t)eq;
    int8_t* y = qi ? y1 : y0;
    for (l = 0; l < lanes; ++l)
      y[l] = tnn_att_out_fast(sums[4 * qi + l], base + 32768u * (uint32_t)cs[l], eq, half, m2,
                              e1, &o, kind);
  }
}

/* Both queries' outputs of one group (lanes: its channels below dv): the fast form when it
 * applies, else tnn_att_emit_loop. y1 may be y0 (an odd last query: written twice, the same
 * values). */
TNN_SHARED void tnn_att_emit(const tnn_att* a, const int32_t* sums, const int32_t* cs,
                             const int32_t* e, int32_t lanes, int8_t* y0, int8_t* y1) {
  const tnn_attention_params* p = a->p;
  int32_t qi;
  if (e[0] <= 255 * 32768 && e[1] <= 255 * 32768 && a->rq_kind != TNN_RQ_SLOW) {
    if (a->rq_kind == TNN_RQ_S8) {
      if (lanes == 4) /* a full group: a constant trip count, 5 instructions an output less */
        tnn_att_emit_fast(a, sums, cs, e, 4, y0, y1, TNN_RQ_S8);
      else
        tnn_att_emit_fast(a, sums, cs, e, lanes, y0, y1, TNN_RQ_S8);
    } else if (a->rq_kind == TNN_RQ_RELU) {
      tnn_att_emit_fast(a, sums, cs, e, lanes, y0, y1, TNN_RQ_RELU);
    } else {
      tnn_att_emit_fast(a, sums, cs, e, lanes, y0, y1, TNN_RQ_RANGE);
    }
    return;
  }
  for (qi = 0; qi < 2; ++qi) {
    const uint32_t base = (uint32_t)p->v_offset * (uint32_t)e[qi];
    int8_t* y = qi ? y1 : y0;
    if (p->output.shift < 0)
      tnn_att_emit_loop(sums + 4 * qi, cs, (uint32_t)e[qi], base, lanes, y, 1, p->output,
                        p->output_offset, p->activation);
    else
      tnn_att_emit_loop(sums + 4 * qi, cs, (uint32_t)e[qi], base, lanes, y, 0, p->output,
                        p->output_offset, p->activation);
  }
}

/* sums[4 * query + l] = sum over the key pairs [p0, p1) (at most TNN_ATT_CHUNK) of h times v
 * of channel c + l (lanes: the channels below dv; the others 0). */
static void tnn_att_sums(const tnn_att* a, const int32_t* f, const int32_t* vpk, int32_t c,
                         int32_t p0, int32_t p1, int32_t lanes, int32_t* sums) {
  const int32_t pairs = (a->m + 1) >> 1;
  if (lanes > 2) {
    tnn_att_av4(f + 4 * p0, vpk + c * pairs + 4 * p0, p1 - p0, sums);
    return;
  }
  tnn_att_av(f + 4 * p0, vpk + c * pairs + 2 * p0, p1 - p0, sums);
  sums[2] = sums[3] = sums[6] = sums[7] = 0;
}

/* Channels [c, c + 4) of head h (those below dv) of queries i0 and i1 (i1 may be i0); f: their
 * numerator words, vpk: the head's packed V, e: their E, cs: the column sums of those
 * channels. */
static void tnn_att_group(const tnn_att* a, int32_t h, int32_t c, const int32_t* f,
                          const int32_t* vpk, const int32_t* e, const int32_t* cs, int32_t i0,
                          int32_t i1) {
  const tnn_attention_params* p = a->p;
  const int32_t lanes = a->dv - c < 4 ? a->dv - c : 4, pairs = (a->m + 1) >> 1;
  int8_t* y0 = a->out + i0 * a->v_c + h * a->dv + c;
  int8_t* y1 = a->out + i1 * a->v_c + h * a->dv + c;
  int32_t sums[8], l, qi, j;
  int64_t wide[8];
  if (pairs <= TNN_ATT_CHUNK) {
    tnn_att_sums(a, f, vpk, c, 0, pairs, lanes, sums);
    tnn_att_emit(a, sums, cs, e, lanes, y0, y1);
    return;
  }
  for (l = 0; l < 8; ++l) wide[l] = 0;
  for (j = 0; j < pairs; j += TNN_ATT_CHUNK) {
    tnn_att_sums(a, f, vpk, c, j, pairs - j < TNN_ATT_CHUNK ? pairs : j + TNN_ATT_CHUNK, lanes,
                 sums);
    for (l = 0; l < 8; ++l) wide[l] += sums[l];
  }
  for (qi = 0; qi < 2; ++qi) {
    int8_t* y = qi ? y1 : y0;
    for (l = 0; l < lanes; ++l) {
      const int64_t sum = wide[4 * qi + l] + (int64_t)p->v_offset * e[qi] + 32768 * (int64_t)cs[l];
      y[l] = tnn_output_s8_wide((int32_t)tnn_div_round64(sum * 256, e[qi]), &p->output,
                                p->output_offset, &p->activation);
    }
  }
}

/* ---- the layer ---------------------------------------------------------------------------- */

/* Queries i0 and i1 of head h; vpk: the head's packed V; cs: its column sums when
 * dv <= TNN_ATT_MAX_DV, else NULL (a group's are summed per pair). */
static void tnn_att_pair(const tnn_att* a, int32_t h, int32_t i0, int32_t i1, int32_t* s,
                         const int32_t* vpk, const int32_t* cs) {
  int32_t e[2], own[4], max[2], c;
  tnn_att_scores(a, h, i0, i1, s, max);
  tnn_att_numerators(s, a->m, max, &a->p->score, e);
  for (c = 0; c < a->dv; c += 4) {
    if (!cs) tnn_att_colsums(a, a->v + h * a->dv + c, a->dv - c < 4 ? a->dv - c : 4, own);
    tnn_att_group(a, h, c, s, vpk, e, cs ? cs + c : own, i0, i1);
  }
}

#endif

tnn_status tnn_attention_softmax_s8(const tnn_context* ctx, const tnn_attention_params* p,
                                    const tnn_dims* q_d, const int8_t* q, const tnn_dims* k_d,
                                    const int8_t* k, const tnn_dims* v_d, const int8_t* v,
                                    const tnn_dims* out_d, int8_t* output) {
#if defined(TNN_REFERENCE_KERNELS)
  return tnn_attention_softmax_s8_ref(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output);
#else
  tnn_attention_shape s;
  tnn_status st;
  tnn_att a;
  int32_t h, i, cs[TNN_ATT_MAX_DV];
  if ((st = tnn_attention_softmax_check(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output, &s)) !=
      TNN_OK)
    return st;
  if (s.dh > TNN_ATT_MAX_DH4)
    return tnn_attention_softmax_s8_ref(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output);
  a.q = q, a.k = k, a.v = v, a.out = output;
  a.n = s.n, a.m = s.m, a.dh = s.dh, a.dv = s.dv, a.dh4 = (s.dh + 3) & ~3;
  a.qk_c = q_d->c, a.v_c = v_d->c;
  a.p = p;
  a.rq_out = tnn_out_fast_of(p->output_offset, &p->activation);
  a.rq_kind = tnn_rq_kind(&a.rq_out, p->output.multiplier, p->output.shift);
  a.rq_m2 = tnn_rq_m2(p->output.multiplier), a.rq_e1 = tnn_rq_e1(p->output.shift);
  for (h = 0; h < p->heads; ++h) {
    int32_t* const vpk = (int32_t*)ctx->buf + 2 * s.m; /* after the two queries' scores */
    tnn_att_pack_v(&a, v + h * s.dv, vpk);
    if (s.dv <= TNN_ATT_MAX_DV) tnn_att_colsums(&a, v + h * s.dv, s.dv, cs);
    for (i = 0; i < s.n; i += 2)
      tnn_att_pair(&a, h, i, i + 1 < s.n ? i + 1 : i, (int32_t*)ctx->buf, vpk,
                   s.dv <= TNN_ATT_MAX_DV ? cs : NULL);
  }
  return TNN_OK;
#endif
}
