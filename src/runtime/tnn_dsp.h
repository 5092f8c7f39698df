/* tinynas int8 runtime: the SIMD building blocks of the fast kernels (internal).
 *
 * On a core with the Arm DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33, M55...)
 * each function below is one instruction, through the ACLE intrinsics of <arm_acle.h>;
 * elsewhere (the host, or a build with TNN_NO_DSP) it is portable C with exactly the
 * instruction's result, so the fast kernels run the same data flow everywhere and the
 * host tests exercise it (except the mat-mult, whose plain loops vectorize:
 * tnn_mat_mult.h). A "pair" is two int16 lanes in one int32: lane 0 in bits 0..15, lane 1
 * in bits 16..31.
 *
 *   tnn_sxtb16(x)           (int16)x.byte0, (int16)x.byte2                      SXTB16
 *   tnn_sxtb16_ror8(x)      (int16)x.byte1, (int16)x.byte3                      SXTB16 ROR #8
 *   tnn_sxtab16(a, x)       a.lane0 + x.byte0, a.lane1 + x.byte2 (mod 2^16)     SXTAB16
 *   tnn_sxtab16_ror8(a, x)  a.lane0 + x.byte1, a.lane1 + x.byte3 (mod 2^16)     SXTAB16 ROR #8
 *   tnn_smlad(a, b, acc)    acc + a.lane0 * b.lane0 + a.lane1 * b.lane1 (mod 2^32)  SMLAD
 *   tnn_pkhbt(a, b)         a.lane0, b.lane0                                    PKHBT #16
 *   tnn_pkhtb(a, b)         b.lane1, a.lane1                                    PKHTB #16
 *   tnn_smlabb(a, b, acc)   acc + a.lane0 * b.lane0                             SMLABB
 *   tnn_smlatb(a, b, acc)   acc + a.lane1 * b.lane0                             SMLATB
 *   tnn_smlabt(a, b, acc)   acc + a.lane0 * b.lane1                             SMLABT
 *   tnn_smlatt(a, b, acc)   acc + a.lane1 * b.lane1                             SMLATT
 *   tnn_smmlar(a, b, acc)   acc + floor((a * b + 2^31) / 2^32) (mod 2^32)        SMMLAR
 *   tnn_qadd(a, b)          a + b saturated to the int32 range                  QADD
 *   tnn_ssat8_asr1(x)       x >> 1 saturated to [-128, 127]                     SSAT #8, ASR #1
 *   tnn_ssat8(x)            x saturated to [-128, 127]                          SSAT #8
 *   tnn_usat31_asr1(x)      max(x >> 1, 0) (x >> 1 saturated to [0, 2^31 - 1])  USAT #31, ASR #1
 *   tnn_usat12(x)           x saturated to [0, 4095]                            USAT #12
 *   tnn_smuad(a, b)         a.lane0 * b.lane0 + a.lane1 * b.lane1 (mod 2^32)    SMUAD
 *
 * (tnn_smmlar, tnn_qadd and the three saturations before tnn_usat12 serve the fast
 * requantization of tnn_math.h; QADD may set the sticky Q flag, which nothing reads.
 * tnn_usat12 indexes the attention's exp table.)
 * Callers keep every sum within int32 (the model validation's bounds), so the wrap of
 * SMLAD never happens and its Q flag is never read.
 *
 * tnn_read_s8x4 / tnn_read_s16x2 load 4 int8 / 2 int16 from any address (ARMv7-M loads
 * words unaligned; memcpy compiles to one LDR there and on x86); tnn_read_s32x2 /
 * tnn_write_s32x2 two words at a 4-byte aligned one (LDRD / STRD).
 */
#ifndef TNN_DSP_H
#define TNN_DSP_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(TNN_NO_DSP)
#define TNN_DSP 1
#include <arm_acle.h>
#else
#define TNN_DSP 0
#endif

/* Inlining control of the fast kernels: TNN_HOT for a hot loop written once with
 * parameters that become constants where it is inlined (block sizes, a shift's sign),
 * TNN_SHARED for a step kept out of line (shared by those instances, or given a register
 * set of its own). GCC and Clang (also for Arm) honour the attributes; elsewhere they are
 * ordinary static functions, still correct. */
#if defined(__GNUC__)
#define TNN_HOT static inline __attribute__((always_inline))
#define TNN_SHARED static __attribute__((noinline))
#else
#define TNN_HOT static inline
#define TNN_SHARED static
#endif

/* A scheduling fence for the DSP loops: an empty asm that clobbers memory, so no load
 * moves across it. GCC 12's scheduler otherwise gathers the loads of a whole step (or two)
 * ahead of their arithmetic, which takes more registers than a Cortex-M has, and the loop
 * spills (e.g. the mat-mult tile on the M4: 94 instructions per 64 multiply-accumulates
 * instead of 79). Nothing elsewhere. */
#if TNN_DSP && defined(__GNUC__)
#define TNN_SCHED_FENCE() __asm__ volatile("" ::: "memory")
#else
#define TNN_SCHED_FENCE() ((void)0)
#endif

/* Hides a value's origin from the optimiser (no instruction), so that GCC keeps it in one
 * register: e.g. one pointer stepped by a register instead of an induction variable per use
 * (which would spill), or a product kept for an MLA instead of re-derived. */
#if defined(__GNUC__)
#define TNN_OPAQUE(x) __asm__("" : "+r"(x))
#else
#define TNN_OPAQUE(x) ((void)0)
#endif

static inline int32_t tnn_read_s8x4(const int8_t* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline int32_t tnn_read_s16x2(const int16_t* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline void tnn_write_s16x2(int16_t* p, int32_t v) { memcpy(p, &v, 4); }

/* Two consecutive int32 words from a 4-byte aligned address (a pair of int16 pairs): one
 * LDRD on the DSP cores, where GCC 12 does not pair the two loads itself; the "m" operand
 * keeps LDRD's base + immediate offset addressing (an offset LDRD cannot take would fail
 * to assemble, not run wrong). */
typedef struct {
  int32_t lo, hi;
} tnn_s32x2;

#if TNN_DSP
/* p[0] = lo, p[1] = hi in one STRD (GCC does not pair these stores when they sit among
 * SIMD arithmetic). */
static inline void tnn_write_s32x2(int32_t* p, int32_t lo, int32_t hi) {
  tnn_s32x2* pair = (tnn_s32x2*)(void*)p;
  __asm__("strd %1, %2, %0" : "=m"(*pair) : "r"(lo), "r"(hi));
}
static inline tnn_s32x2 tnn_read_s32x2(const int32_t* p) {
  tnn_s32x2 v;
  const tnn_s32x2* pair = (const tnn_s32x2*)(const void*)p;
  __asm__("ldrd %0, %1, %2" : "=r"(v.lo), "=r"(v.hi) : "m"(*pair));
  return v;
}
#else
static inline void tnn_write_s32x2(int32_t* p, int32_t lo, int32_t hi) {
  p[0] = lo;
  p[1] = hi;
}
static inline tnn_s32x2 tnn_read_s32x2(const int32_t* p) {
  tnn_s32x2 v;
  v.lo = p[0];
  v.hi = p[1];
  return v;
}
#endif

#if TNN_DSP

/* GCC 12 neither folds a rotation into SXTB16 / SXTAB16 nor a shift-and-or into PKHBT /
 * PKHTB, so those four are written as inline assembly: one instruction each. */
static inline int32_t tnn_sxtb16(int32_t x) { return (int32_t)__sxtb16((uint32_t)x); }
static inline int32_t tnn_sxtb16_ror8(int32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t tnn_sxtab16(int32_t a, int32_t x) {
  return (int32_t)__sxtab16((uint32_t)a, (uint32_t)x);
}
static inline int32_t tnn_sxtab16_ror8(int32_t a, int32_t x) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
static inline int32_t tnn_smlad(int32_t a, int32_t b, int32_t acc) {
  return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}
static inline int32_t tnn_pkhbt(int32_t a, int32_t b) {
  int32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline int32_t tnn_pkhtb(int32_t a, int32_t b) {
  int32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline int32_t tnn_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t tnn_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
static inline int32_t tnn_smlabt(int32_t a, int32_t b, int32_t acc) { return __smlabt(a, b, acc); }
static inline int32_t tnn_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }

/* GCC 12 has no intrinsic for SMMLAR, does not fold a shift into SSAT / USAT, and makes
 * compares of a clamp: one instruction each as inline assembly. */
static inline int32_t tnn_smmlar(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
static inline int32_t tnn_qadd(int32_t a, int32_t b) {
  int32_t r;
  __asm__("qadd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline int32_t tnn_ssat8_asr1(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t tnn_ssat8(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t tnn_usat31_asr1(int32_t x) {
  int32_t r;
  __asm__("usat %0, #31, %1, asr #1" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t tnn_usat12(int32_t x) {
  int32_t r;
  __asm__("usat %0, #12, %1" : "=r"(r) : "r"(x));
  return r;
}
static inline int32_t tnn_smuad(int32_t a, int32_t b) { return __smuad((int16x2_t)a, (int16x2_t)b); }

#else

/* Lane helpers of the portable versions. */
static inline int32_t tnn_lane0(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x & 0xFFFFu); }
static inline int32_t tnn_lane1(int32_t x) { return (int16_t)(uint16_t)((uint32_t)x >> 16); }
static inline int32_t tnn_pair(int32_t lo, int32_t hi) {
  return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}
static inline int32_t tnn_byte(int32_t x, int n) { return (int8_t)(uint8_t)((uint32_t)x >> (8 * n)); }

static inline int32_t tnn_sxtb16(int32_t x) { return tnn_pair(tnn_byte(x, 0), tnn_byte(x, 2)); }
static inline int32_t tnn_sxtb16_ror8(int32_t x) {
  return tnn_pair(tnn_byte(x, 1), tnn_byte(x, 3));
}
static inline int32_t tnn_sxtab16(int32_t a, int32_t x) {
  return tnn_pair(tnn_lane0(a) + tnn_byte(x, 0), tnn_lane1(a) + tnn_byte(x, 2));
}
static inline int32_t tnn_sxtab16_ror8(int32_t a, int32_t x) {
  return tnn_pair(tnn_lane0(a) + tnn_byte(x, 1), tnn_lane1(a) + tnn_byte(x, 3));
}
static inline int32_t tnn_smlad(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tnn_lane0(a) * tnn_lane0(b)) +
                   (uint32_t)(tnn_lane1(a) * tnn_lane1(b)));
}
static inline int32_t tnn_pkhbt(int32_t a, int32_t b) {
  return (int32_t)(((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16));
}
static inline int32_t tnn_pkhtb(int32_t a, int32_t b) {
  return (int32_t)(((uint32_t)a & 0xFFFF0000u) | ((uint32_t)b >> 16));
}
static inline int32_t tnn_smlabb(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tnn_lane0(a) * tnn_lane0(b)));
}
static inline int32_t tnn_smlatb(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tnn_lane1(a) * tnn_lane0(b)));
}
static inline int32_t tnn_smlabt(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tnn_lane0(a) * tnn_lane1(b)));
}
static inline int32_t tnn_smlatt(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tnn_lane1(a) * tnn_lane1(b)));
}
/* The 64-bit sum modulo 2^64 (unsigned: no overflow), then its high word. */
static inline int32_t tnn_smmlar(int32_t a, int32_t b, int32_t acc) {
  const uint64_t sum = ((uint64_t)(uint32_t)acc << 32) + (uint64_t)((int64_t)a * b) +
                       ((uint64_t)1 << 31);
  return (int32_t)(uint32_t)(sum >> 32);
}
static inline int32_t tnn_qadd(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + b;
  return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}
static inline int32_t tnn_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
static inline int32_t tnn_ssat8_asr1(int32_t x) { return tnn_ssat8(x >> 1); }
static inline int32_t tnn_usat31_asr1(int32_t x) { return x < 0 ? 0 : x >> 1; }
static inline int32_t tnn_usat12(int32_t x) { return x < 0 ? 0 : (x > 4095 ? 4095 : x); }
static inline int32_t tnn_smuad(int32_t a, int32_t b) { return tnn_smlad(a, b, 0); }

#endif

/* Both lanes set to v (an input offset, added with tnn_sxtab16). */
static inline int32_t tnn_dup16(int32_t v) { return (int32_t)(((uint32_t)v & 0xFFFFu) * 0x10001u); }

#endif /* TNN_DSP_H */
