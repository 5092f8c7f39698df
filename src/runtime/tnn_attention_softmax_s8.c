/* Multi-head softmax attention, bit-exact with tnn_attention_softmax_s8_ref.
 *
 * Queries go in pairs (an odd last query runs as a pair with itself), per head:
 *  1. QK^T: the two queries' channels, plus q_offset, as int16 pairs on the stack (zero
 *     padded to a multiple of 4 channels); a key's 4 channels are one word, split by SXTB16
 *     (channels 0, 2) and SXTB16 ROR 8 (1, 3), each pair feeding one SMLAD per query; two
 *     keys x two blocks of 4 channels per step (1.16 instructions a MAC on the M7), the
 *     query words read by LDRD. The k_offset term k_offset * sum(q') is the same for every
 *     key of a query and cancels in max - s_j, so it is left out.
 *  2. The numerators e_j of both queries (tnn_softmax_exp_folded: the same values as the
 *     reference's tnn_softmax_q15_numerators), stored in place of the scores as int16 pairs
 *     of two keys. e_j = 32768 (u_j = 0: the maximum and its ties) reads as -32768 there;
 *     those keys are counted (and listed) and 65536 v_je is added back in step 4.
 *  3. AV: sum_j e_j * v_je over key pairs with SMLAD; per key pair the two bytes of channels
 *     c, c + 1 of both keys go into one word (two halfword loads, PKHBT), SXTB16 and SXTB16
 *     ROR 8 make the (key j, key j + 1) pairs of channel c and c + 1; two queries (one LDRD
 *     of their numerator words) x two channels per pass, eight keys a step (1.34
 *     instructions a MAC on the M7), int32 sums of at most 256 keys
 *     (|sum| <= 2^15 * 128 * 256 = 2^30), added up in int64 beyond.
 *  4. a_e = sum_j e_j (v_je + v_offset) = (step 3) + 65536 sum_{e_j = 32768} v_je +
 *     v_offset * E; r_e = round(256 a_e / E) without a 64-bit division when M <= 256.
 * Loads may read past a head's channels (K words up to the padded width, V halfwords up to
 * the group of 4 channels: the padding multiplies by zero, the extra channels are not
 * written) but never past a tensor: keys whose padded read would, run a per-channel path.
 *
 * Scratch (4-byte aligned): 2 * M int32, the two queries' scores, then their numerators.
 * Stack: the query pairs (TNN_ATT_MAX_DH4 words) and the tie lists. A head wider than
 * TNN_ATT_MAX_DH4 channels runs the reference (which needs less scratch). */
#include "tnn_dsp.h"
#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

#if !defined(TNN_REFERENCE_KERNELS)

#define TNN_ATT_MAX_DH4 64 /* int16 channels (with padding) of a query */
#define TNN_ATT_CHUNK 128  /* key pairs per int32 partial sum */
#define TNN_ATT_TIES 8     /* keys with e_j = 32768 listed per query */


/* Hides how a pointer was computed, so that GCC keeps one pointer stepped by a register
 * instead of strength-reducing it into several induction variables (which spill). */
#if defined(__GNUC__)
#define TNN_ATT_OPAQUE(x) __asm__("" : "+r"(x))
#else
#define TNN_ATT_OPAQUE(x) ((void)0)
#endif

typedef struct {
  const int8_t *q, *k, *v;
  int8_t* out;
  int32_t n, m, qk_c, v_c, dh, dv, dh4;
  const tnn_attention_params* p;
} tnn_att;

/* The numerators of one query: E, and how many keys have e_j = 32768 (at least the first
 * maximum), the first TNN_ATT_TIES of them in tie[] (more: step 4 scans the numerators). */
typedef struct {
  int32_t sum, ties;
  int32_t tie[TNN_ATT_TIES];
} tnn_att_num;

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

/* One block of 4 channels of two keys (words ka, kb) against both queries' words at w. */
#define TNN_ATT_QK_BLOCK(w, ka, kb)                                         \
  do {                                                                      \
    const tnn_s32x2 w0 = tnn_read_s32x2(w), w1 = tnn_read_s32x2((w) + 2);   \
    const int32_t ea = tnn_sxtb16(ka), oa = tnn_sxtb16_ror8(ka);            \
    const int32_t eb = tnn_sxtb16(kb), ob = tnn_sxtb16_ror8(kb);            \
    a0 = tnn_smlad(ea, w0.lo, a0), b0 = tnn_smlad(eb, w0.lo, b0);           \
    a0 = tnn_smlad(oa, w0.hi, a0), b0 = tnn_smlad(ob, w0.hi, b0);           \
    a1 = tnn_smlad(ea, w1.lo, a1), b1 = tnn_smlad(eb, w1.lo, b1);           \
    a1 = tnn_smlad(oa, w1.hi, a1), b1 = tnn_smlad(ob, w1.hi, b1);           \
  } while (0)

/* s[2j], s[2j + 1]: sum_d q'_d k_jd of both queries for keys j in [0, n), kp at key 0's
 * head channels, keys kc bytes apart; blocks of 4 channels. Two keys per step share the
 * query words; two blocks per inner step. */
TNN_HOT void tnn_att_score_pairs(
    const int32_t* qp, const int32_t* wend, int odd, const int8_t* kp, int32_t kc, int32_t* s,
    const int32_t* send) {
  for (; s != send; s += 4, kp += 2 * kc) {
    const int32_t* w = qp;
    const int8_t* x = kp;
    int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    for (; w != wend; w += 8) {
      TNN_ATT_QK_BLOCK(w, tnn_read_s8x4(x), tnn_read_s8x4(x + kc));
      x += 4;
      TNN_ATT_OPAQUE(x);
      TNN_SCHED_FENCE();
      TNN_ATT_QK_BLOCK(w + 4, tnn_read_s8x4(x), tnn_read_s8x4(x + kc));
      x += 4;
      TNN_ATT_OPAQUE(x);
    }
    if (odd) TNN_ATT_QK_BLOCK(w, tnn_read_s8x4(x), tnn_read_s8x4(x + kc));
    s[0] = a0, s[1] = a1, s[2] = b0, s[3] = b1;
  }
}

TNN_SHARED void tnn_att_scores(const int32_t* qp, int32_t blocks, const int8_t* kp, int32_t kc,
                                 int32_t n, int32_t* s) {
  const int32_t* wend = qp + 4 * (blocks & ~1);
  int32_t* send = s + 4 * (n >> 1);
  if (blocks & 1)
    tnn_att_score_pairs(qp, wend, 1, kp, kc, s, send);
  else
    tnn_att_score_pairs(qp, wend, 0, kp, kc, s, send);
  kp += (n & ~1) * kc, s = send, n &= 1;
  if (n) {
    const int32_t* w = qp;
    int32_t a0 = 0, a1 = 0, b;
    for (b = blocks; b > 0; --b, kp += 4, w += 4) {
      const int32_t k = tnn_read_s8x4(kp), e = tnn_sxtb16(k), o = tnn_sxtb16_ror8(k);
      a0 = tnn_smlad(e, w[0], tnn_smlad(o, w[1], a0));
      a1 = tnn_smlad(e, w[2], tnn_smlad(o, w[3], a1));
    }
    s[0] = a0, s[1] = a1;
  }
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

static int32_t tnn_att_h(const int32_t* f, int32_t qi, int32_t j);

/* ---- 2. numerators ---------------------------------------------------------------------- */

/* One query's numerators: s its scores (2 int32 apart, keys 0..m-1), f its words (2 int32
 * apart) (e 2p, e 2p+1) for the key pairs p as int16 lanes (e = 32768 reads as -32768),
 * 0 for a missing key m (odd m); nm: E and how many e are 32768. In place: query 0's words
 * overwrite query 0 scores of keys p <= 2p read already, query 1's those of query 1; the
 * other query's scores lie between. plain: score->shift <= 0, c initialized. */
TNN_HOT void tnn_att_exps(const int32_t* s, int32_t* f,
                                                               int32_t m, int32_t max, int plain,
                                                               const tnn_softmax_exp* c,
                                                               const tnn_quant* score,
                                                               tnn_att_num* nm) {
  const int32_t* end = s + 2 * (m & ~1);
  int32_t sum = 0, ties = 0;
  for (; s != end; s += 4, f += 2) {
    const int32_t d0 = max - s[0], d1 = max - s[2];
    const int32_t e0 = plain ? tnn_softmax_exp_folded(d0, c)
                             : tnn_exp_neg_q15(tnn_requantize(d0, score->multiplier, score->shift));
    const int32_t e1 = plain ? tnn_softmax_exp_folded(d1, c)
                             : tnn_exp_neg_q15(tnn_requantize(d1, score->multiplier, score->shift));
    sum += e0, sum += e1;
    ties += e0 >> 15, ties += e1 >> 15;
    *f = tnn_pkhbt(e0, e1);
  }
  if (m & 1) {
    const int32_t d0 = max - s[0];
    const int32_t e0 = plain ? tnn_softmax_exp_folded(d0, c)
                             : tnn_exp_neg_q15(tnn_requantize(d0, score->multiplier, score->shift));
    sum += e0;
    ties += e0 >> 15;
    *f = e0 & 0xFFFF;
  }
  nm->sum = sum, nm->ties = ties;
}

/* The numerators of both queries from the scores s (2 * m int32, queries interleaved), into
 * the first ceil(m / 2) * 2 words: (e 2p, e 2p+1) of query 0, then of query 1, per key
 * pair p. nm->tie[0]: the first key of the maximum score (its e is 32768). */
TNN_SHARED void tnn_att_numerators(int32_t* s, int32_t m, const tnn_quant* score,
                                     tnn_att_num* nm) {
  /* the maxima, their first keys as pointers (no key counter); two keys a step */
  const int32_t *p = s + 2, *end = s + 2 * m, *end2 = p + 4 * ((m - 1) >> 1);
  const int32_t *at0 = s, *at1 = s;
  int32_t max0 = s[0], max1 = s[1];
  tnn_softmax_exp c;
  for (; p != end2; p += 4) {
    const tnn_s32x2 x = tnn_read_s32x2(p), y = tnn_read_s32x2(p + 2);
    if (x.lo > max0) max0 = x.lo, at0 = p;
    if (x.hi > max1) max1 = x.hi, at1 = p;
    if (y.lo > max0) max0 = y.lo, at0 = p + 2;
    if (y.hi > max1) max1 = y.hi, at1 = p + 2;
  }
  if (p != end) {
    if (p[0] > max0) max0 = p[0], at0 = p;
    if (p[1] > max1) max1 = p[1], at1 = p;
  }
  if (score->shift <= 0) {
    tnn_softmax_exp_init(&c, score);
    tnn_att_exps(s, s, m, max0, 1, &c, score, &nm[0]);
    tnn_att_exps(s + 1, s + 1, m, max1, 1, &c, score, &nm[1]);
  } else {
    tnn_att_exps(s, s, m, max0, 0, &c, score, &nm[0]);
    tnn_att_exps(s + 1, s + 1, m, max1, 0, &c, score, &nm[1]);
  }
  nm[0].tie[0] = (int32_t)(at0 - s) / 2, nm[1].tie[0] = (int32_t)(at1 - s) / 2;
}

/* The tie lists of queries with more than one e_j = 32768 (equal or near-equal maximum
 * scores: common when the scores are small). A lane has bit 15 set only for 32768 (e <=
 * 32768; the missing key of an odd m is 0), so a word without 0x80008000 holds none; the
 * scan stops at the last of the counted ties. */
static void tnn_att_list_ties(const int32_t* f, tnn_att_num* nm) {
  int32_t qi, p, n;
  for (qi = 0; qi < 2; ++qi) {
    const int32_t ties = nm[qi].ties;
    if (ties < 2 || ties > TNN_ATT_TIES) continue;
    for (p = 0, n = 0; n < ties; ++p) {
      const uint32_t w = (uint32_t)f[2 * p + qi];
      if (!(w & 0x80008000u)) continue;
      if (w & 0x8000u) nm[qi].tie[n++] = 2 * p;
      if (w & 0x80000000u) nm[qi].tie[n++] = 2 * p + 1;
    }
  }
}

/* ---- 3. AV ---------------------------------------------------------------------------- */

/* Channels c, c + 1 of a key as the two low bytes of a word (only those two are read). */
static inline int32_t tnn_att_v2(const int8_t* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

/* The products of one key pair: x0 = (v_j, v_j+1) of channel c, x1 of channel c + 1, from
 * the bytes (c, c + 1) of both keys packed in one word. */
#define TNN_ATT_AV_PAIR(fw, pk)                                             \
  do {                                                                      \
    const int32_t x0 = tnn_sxtb16(pk), x1 = tnn_sxtb16_ror8(pk);            \
    a00 = tnn_smlad(x0, (fw).lo, a00), a01 = tnn_smlad(x1, (fw).lo, a01);   \
    a10 = tnn_smlad(x0, (fw).hi, a10), a11 = tnn_smlad(x1, (fw).hi, a11);   \
  } while (0)

/* The key pair at vp (numerator words fw), then vp to the next pair. */
#define TNN_ATT_AV_STEP(fw)                                                 \
  do {                                                                      \
    const tnn_s32x2 fk = tnn_read_s32x2(fw);                                \
    const int32_t pk = tnn_pkhbt(tnn_att_v2(vp), tnn_att_v2(vp + vc));      \
    vp += 2 * vc;                                                           \
    TNN_ATT_OPAQUE(vp);                                                     \
    TNN_ATT_AV_PAIR(fk, pk);                                                \
  } while (0)

/* acc[4 * query + lane] = sum over key pairs [0, pairs) of e * v at channel c + lane, vp
 * at key 0's channel c, keys vc bytes apart; f: the pairs' numerator words (query 0, query 1
 * per pair). Eight keys a step; pairs <= TNN_ATT_CHUNK. */
TNN_SHARED void tnn_att_av(const int32_t* f, const int8_t* vp, int32_t vc, int32_t pairs,
                             int32_t* acc) {
  const int32_t* end = f + 2 * (pairs & ~3);
  int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
  for (; f != end; f += 8) {
    TNN_ATT_AV_STEP(f);
    TNN_ATT_AV_STEP(f + 2);
    TNN_ATT_AV_STEP(f + 4);
    TNN_ATT_AV_STEP(f + 6);
  }
  if (pairs & 2) {
    TNN_ATT_AV_STEP(f);
    TNN_ATT_AV_STEP(f + 2);
    f += 4;
  }
  if (pairs & 1) TNN_ATT_AV_STEP(f);
  acc[0] = a00, acc[1] = a01, acc[4] = a10, acc[5] = a11;
}

/* The int16 numerator of query qi (0, 1) for key j. */
static int32_t tnn_att_h(const int32_t* f, int32_t qi, int32_t j) {
  return tnn_att_lane(f[2 * (j >> 1) + qi], j & 1);
}

/* ---- 4. outputs --------------------------------------------------------------------------- */

/* t[l] = sum over the keys with e_j = 32768 of v at channel l (< lanes) of v (key 0). */
static void tnn_att_tie_sums(const tnn_att* a, const tnn_att_num* nm, const int32_t* f,
                             int32_t qi, const int8_t* v, int32_t lanes, int32_t* t) {
  int32_t j, l, n;
  t[0] = t[1] = t[2] = t[3] = 0;
  if (nm->ties <= TNN_ATT_TIES) {
    for (j = 0; j < nm->ties; ++j) {
      const int8_t* x = v + nm->tie[j] * a->v_c;
      for (l = 0; l < lanes; ++l) t[l] += x[l];
    }
    return;
  }
  /* many ties: scan the numerator words as tnn_att_list_ties does */
  for (j = 0, n = 0; n < nm->ties; j += 2) {
    const uint32_t w = (uint32_t)f[j + qi];
    if (!(w & 0x80008000u)) continue;
    if (w & 0x8000u)
      for (++n, l = 0; l < lanes; ++l) t[l] += v[j * a->v_c + l];
    if (w & 0x80000000u)
      for (++n, l = 0; l < lanes; ++l) t[l] += v[(j + 1) * a->v_c + l];
  }
}

/* The outputs y[0..lanes) of one query, M <= 256: a = sum + 65536 * ties + v_offset * E
 * (|a| <= 2^15 * 255 * M < 2^31; the terms wrap in uint32 at most), r = round(256 a / E)
 * with ties away from zero (the reference's tnn_div_round64) from |a| = q E + r':
 * 256 q + floor((256 r' + E / 2) / E), in 32 bits (E <= 2^23 keeps q <= 255 and
 * 256 r' + E / 2 < 2^32). Lane l's sum is sums[l]. */
TNN_HOT void tnn_att_emit_loop(
    const int32_t* sums, const int32_t* ties, uint32_t e, uint32_t base, int32_t lanes,
    int8_t* y, int narrow, tnn_quant q, int32_t off, tnn_activation act) {
  int32_t l;
  for (l = 0; l < lanes; ++l) {
    const uint32_t sum = (uint32_t)sums[l] + base + 65536u * (uint32_t)ties[l];
    const uint32_t mag = (int32_t)sum < 0 ? 0u - sum : sum;
    const uint32_t quo = mag / e, t = quo * 256u + ((mag - quo * e) * 256u + e / 2u) / e;
    const int32_t r = (int32_t)sum < 0 ? -(int32_t)t : (int32_t)t;
    /* |r| <= 65280: only a positive shift can saturate (then the offset needs 64 bits) */
    y[l] = narrow ? tnn_output_s8(r, q.multiplier, q.shift, off, &act)
                  : tnn_output_s8_wide(r, &q, off, &act);
  }
}

TNN_SHARED void tnn_att_emit(const tnn_attention_params* p, const int32_t* sums,
                               const int32_t* ties, int32_t e, int32_t lanes, int8_t* y) {
  const uint32_t base = (uint32_t)p->v_offset * (uint32_t)e;
  if (p->output.shift < 0)
    tnn_att_emit_loop(sums, ties, (uint32_t)e, base, lanes, y, 1, p->output, p->output_offset,
                      p->activation);
  else
    tnn_att_emit_loop(sums, ties, (uint32_t)e, base, lanes, y, 0, p->output, p->output_offset,
                      p->activation);
}

/* sums[4 * query + l] = sum over keys [j0, j1) (at most 2 * TNN_ATT_CHUNK) of the int16
 * numerator times v of channel c + l; pairs of keys below
 * `safe` by SMLAD, the rest channel by channel (lanes: the channels below dv). */
static void tnn_att_sums(const tnn_att* a, const int32_t* f, const int8_t* v, int32_t j0,
                         int32_t j1, int32_t safe, int32_t lanes, int32_t* sums) {
  const int32_t pairs = ((safe < j1 ? safe : j1) - j0) / 2, vc = a->v_c;
  int32_t j, l;
  if (pairs > 0) {
    tnn_att_av(f + j0, v + j0 * vc, vc, pairs, sums);
    if (lanes > 2)
      tnn_att_av(f + j0, v + 2 + j0 * vc, vc, pairs, sums + 2);
    else
      sums[2] = sums[3] = sums[6] = sums[7] = 0;
  } else {
    for (l = 0; l < 8; ++l) sums[l] = 0;
  }
  for (j = j0 + 2 * (pairs > 0 ? pairs : 0); j < j1; ++j) {
    const int32_t h0 = tnn_att_h(f, 0, j), h1 = tnn_att_h(f, 1, j);
    for (l = 0; l < lanes; ++l) {
      const int32_t x = v[j * vc + l];
      sums[l] += h0 * x;
      sums[l + 4] += h1 * x;
    }
  }
}

/* Channels [c, c + 4) of head h (those below dv) of queries i0 and i1 (i1 may be i0). */
static void tnn_att_group(const tnn_att* a, int32_t h, int32_t c, const int32_t* f,
                          const tnn_att_num* nm, int32_t i0, int32_t i1) {
  const tnn_attention_params* p = a->p;
  const int8_t* v = a->v + h * a->dv + c;
  /* keys whose word at channel c stays inside v (m * v_c fits int32: tnn_elems_ok) */
  const int32_t room = a->m * a->v_c - (h * a->dv + c + 4);
  const int32_t safe = room < 0 ? 0 : (room / a->v_c + 1 < a->m ? room / a->v_c + 1 : a->m);
  const int32_t lanes = a->dv - c < 4 ? a->dv - c : 4;
  int32_t sums[8], l, qi, j;
  int64_t wide[8];
  if (a->m > 2 * TNN_ATT_CHUNK)
    for (l = 0; l < 8; ++l) wide[l] = 0;
  for (j = 0; j < a->m; j += 2 * TNN_ATT_CHUNK) {
    tnn_att_sums(a, f, v, j, a->m - j < 2 * TNN_ATT_CHUNK ? a->m : j + 2 * TNN_ATT_CHUNK, safe,
                 lanes, sums);
    if (a->m > 2 * TNN_ATT_CHUNK)
      for (l = 0; l < 8; ++l) wide[l] += sums[l];
  }
  for (qi = 0; qi < 2; ++qi) {
    int8_t* y = a->out + (qi ? i1 : i0) * a->v_c + h * a->dv + c;
    const int32_t e = nm[qi].sum;
    int32_t ties[4];
    tnn_att_tie_sums(a, &nm[qi], f, qi, v, lanes, ties);
    if (a->m <= 2 * TNN_ATT_CHUNK) {
      tnn_att_emit(p, sums + 4 * qi, ties, e, lanes, y);
    } else {
      for (l = 0; l < lanes; ++l) {
        const int64_t sum = wide[4 * qi + l] + (int64_t)p->v_offset * e +
                            65536 * (int64_t)ties[l];
        y[l] = tnn_output_s8_wide((int32_t)tnn_div_round64(sum * 256, e), &p->output,
                                  p->output_offset, &p->activation);
      }
    }
  }
}

/* ---- the layer ---------------------------------------------------------------------------- */

static void tnn_att_pair(const tnn_att* a, int32_t h, int32_t i0, int32_t i1, int32_t* s) {
  int32_t qp[TNN_ATT_MAX_DH4];
  tnn_att_num nm[2];
  const int8_t* k = a->k + h * a->dh;
  /* keys whose padded read stays inside k (m * qk_c fits int32: tnn_elems_ok) */
  const int32_t room = a->m * a->qk_c - (h * a->dh + a->dh4);
  const int32_t safe = room < 0 ? 0 : (room / a->qk_c + 1 < a->m ? room / a->qk_c + 1 : a->m);
  int32_t j, c;
  tnn_att_query_pairs(a, a->q + i0 * a->qk_c + h * a->dh, a->q + i1 * a->qk_c + h * a->dh, qp);
  tnn_att_scores(qp, a->dh4 / 4, k, a->qk_c, safe, s);
  for (j = safe; j < a->m; ++j) tnn_att_score_tail(a, qp, k + j * a->qk_c, s + 2 * j);
  tnn_att_numerators(s, a->m, &a->p->score, nm);
  tnn_att_list_ties(s, nm);
  for (c = 0; c < a->dv; c += 4) tnn_att_group(a, h, c, s, nm, i0, i1);
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
  int32_t h, i;
  if ((st = tnn_attention_softmax_check(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output, &s)) !=
      TNN_OK)
    return st;
  if (s.dh > TNN_ATT_MAX_DH4)
    return tnn_attention_softmax_s8_ref(ctx, p, q_d, q, k_d, k, v_d, v, out_d, output);
  a.q = q, a.k = k, a.v = v, a.out = output;
  a.n = s.n, a.m = s.m, a.dh = s.dh, a.dv = s.dv, a.dh4 = (s.dh + 3) & ~3;
  a.qk_c = q_d->c, a.v_c = v_d->c;
  a.p = p;
  for (h = 0; h < p->heads; ++h)
    for (i = 0; i < s.n; i += 2)
      tnn_att_pair(&a, h, i, i + 1 < s.n ? i + 1 : i, (int32_t*)ctx->buf);
  return TNN_OK;
#endif
}
