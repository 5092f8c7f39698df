/* Bit-exactness of the fast kernels against the references, on random cases, on the host
 * (the portable C paths of tnn_dsp.h) and on Cortex-M7 / Cortex-M4 under QEMU (the DSP
 * paths), built by tests/runtime/target/CMakeLists.txt:
 *
 *   kernel_tester [CASES [SEED]]        (default 400 cases, seed 1)
 *
 * Each case draws a layer and its data, runs the fast kernel and the reference, and
 * compares status, every output byte, and the guard bytes behind the output and behind
 * the scratch (which is exactly what the get_buffer_size partner asks for):
 *  - conv: kernels 1..5 (often 1x1 and 3x3, sometimes kh != kw), strides 1..3, paddings
 *    0..2, plain, grouped and depthwise, odd sizes up to 20 x 20, up to 96 channels
 *    (depthwise 128); against tnn_conv_s8_ref;
 *  - linear: tokens up to 64, 1..160 inputs; against tnn_linear_s8_ref;
 *  - add: up to 4096 elements; against tnn_add_s8_ref;
 *  - softmax attention: heads 1..4, dh and dv 1..32, up to 200 tokens; against
 *    tnn_attention_softmax_s8_ref;
 *  - LayerNorm: 1..100 channels (sometimes up to 1200, or 4095 / 4096), 1..10 tokens,
 *    constant and outlier tokens, multipliers and shifts over the validator's range
 *    (some channels off the fast requantization form), biases near the int32 limits, in
 *    place or not; against tnn_layer_norm_s8_ref;
 *  - sparse conv / linear: the same layers with weights pruned at 0..95 % block sparsity
 *    (blocks of 1..4, sometimes a run of zero blocks long enough for filler entries),
 *    coded by tst_rle_encode; against the dense reference on the decoded weights.
 * Offsets, weights and activations are drawn often at their extremes (-128, 127, offset
 * 128), requantization as the model validation allows it (tnn_model.c), activation
 * buffers at unaligned addresses. Failures print the case; the last line is
 *   N passed, M failed
 * and the exit status is 0 only when M is 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_support.h"
#include "tnn_nn.h"
#include "tnn_sparse.h"
#include "tnn_transformer.h"

/* Room for the largest case (about 200 KiB) with a margin. */
#define TST_ARENA_BYTES (512u * 1024u)
static uint64_t tst_storage[TST_ARENA_BYTES / 8];

/* Multiply-accumulates a case may take (the references run a few instructions per MAC,
 * depthwise tens): keeps a case at a few million instructions under QEMU. */
#define TST_MAC_BUDGET 400000
#define TST_ATTENTION_BUDGET 600000

/* Failures printed in full; later ones only count. */
#define TST_MAX_REPORTS 20

enum { K_CONV, K_LINEAR, K_ADD, K_LAYER_NORM, K_ATTENTION, K_SPARSE_CONV, K_SPARSE_LINEAR, K_COUNT };
static const char* const tst_kind_names[K_COUNT] = {"conv",      "linear",      "add",          "layer_norm",
                                                    "attention", "sparse_conv", "sparse_linear"};

typedef struct {
  int32_t passed[K_COUNT], failed[K_COUNT];
  int32_t reports;
} tst_tally;

typedef struct {
  tst_tally* tally;
  int kind;
  int32_t id;
  char desc[256];
  int failed;
} tst_case;

static void tst_fail(tst_case* c, const char* what) {
  if (!c->failed && c->tally->reports++ < TST_MAX_REPORTS)
    printf("FAIL %s #%ld [%s]: %s\n", tst_kind_names[c->kind], (long)c->id, c->desc, what);
  c->failed = 1;
}

/* Compares the fast kernel's result with the reference's: statuses, outputs (n bytes of
 * `channels` per pixel), the guards behind the fast output and behind the scratch. */
static void tst_check(tst_case* c, tnn_status ref_st, tnn_status st, const int8_t* ref,
                      const int8_t* got, int32_t n, int32_t channels, const void* scratch,
                      int32_t scratch_bytes) {
  char msg[160];
  int32_t i, bad = 0, first = -1;
  if (ref_st != TNN_OK) {
    snprintf(msg, sizeof msg, "the reference rejected the case (status %d): a tester bug",
             (int)ref_st);
    tst_fail(c, msg);
    return;
  }
  if (st != TNN_OK) {
    snprintf(msg, sizeof msg, "status %d, the reference's 0", (int)st);
    tst_fail(c, msg);
    return;
  }
  for (i = 0; i < n; ++i)
    if (ref[i] != got[i]) {
      if (first < 0) first = i;
      ++bad;
    }
  if (bad) {
    snprintf(msg, sizeof msg,
             "%ld of %ld outputs differ; first: output %ld (pixel %ld, channel %ld) "
             "fast %d, reference %d",
             (long)bad, (long)n, (long)first, (long)(first / channels), (long)(first % channels),
             got[first], ref[first]);
    tst_fail(c, msg);
  }
  if (!tst_guard_ok(got, n)) tst_fail(c, "wrote past the end of the output");
  if (scratch && !tst_guard_ok(scratch, scratch_bytes))
    tst_fail(c, "wrote past the scratch its get_buffer_size asked for");
}

/* ---- shapes -------------------------------------------------------------------------------- */

typedef struct {
  tnn_conv_params p;
  tnn_dims in, f, out;
} tst_conv_shape;

static int64_t tst_conv_macs(const tst_conv_shape* s) {
  return (int64_t)s->out.h * s->out.w * s->out.c * s->f.h * s->f.w * s->f.c;
}

static int tst_is_depthwise(const tst_conv_shape* s) {
  return s->p.groups > 1 && s->p.groups == s->in.c && s->out.c == s->in.c;
}

/* Often small: a channel count up to `max`, skewed towards the low end. */
static int32_t tst_skewed(tst_rng* r, int32_t max) { return tst_int(r, 1, tst_int(r, 1, max)); }

static void tst_draw_conv_once(tst_rng* r, tst_conv_shape* s) {
  const int32_t kind = tst_int(r, 0, 9); /* 0..3 k x k, 4..5 1x1, 6..8 depthwise, 9 grouped */
  int32_t kh, kw, sh, sw, ph, pw, c, o, g, h, w, x;
  if (kind == 4 || kind == 5) {
    kh = kw = 1;
  } else if ((x = tst_int(r, 0, 9)) < 5) {
    kh = kw = 3;
  } else if (x < 8) {
    kh = kw = tst_int(r, 1, 5);
  } else {
    kh = tst_int(r, 1, 5), kw = tst_int(r, 1, 5);
  }
  if ((x = tst_int(r, 0, 9)) < 5)
    sh = sw = 1;
  else if (x < 8)
    sh = sw = 2;
  else if (x < 9)
    sh = sw = tst_int(r, 1, 3);
  else
    sh = tst_int(r, 1, 3), sw = tst_int(r, 1, 3);
  if ((x = tst_int(r, 0, 9)) < 4) { /* "same" */
    ph = kh / 2 > 2 ? 2 : kh / 2;
    pw = kw / 2 > 2 ? 2 : kw / 2;
  } else if (x < 6) {
    ph = pw = 0;
  } else if (x < 9) {
    ph = pw = tst_int(r, 0, 2);
  } else {
    ph = tst_int(r, 0, 2), pw = tst_int(r, 0, 2);
  }
  if (kind <= 5) {
    c = tst_skewed(r, 96), o = tst_skewed(r, 96), g = 1;
  } else if (kind <= 8) {
    c = o = g = 1 + tst_skewed(r, 127);
  } else {
    g = tst_int(r, 2, 4);
    c = g * tst_skewed(r, 12);
    o = g * tst_skewed(r, 12);
  }
  h = tst_int(r, 1, 20), w = tst_int(r, 1, 20);
  if (h + 2 * ph < kh) h = kh - 2 * ph;
  if (w + 2 * pw < kw) w = kw - 2 * pw;
  s->p.stride.h = sh, s->p.stride.w = sw;
  s->p.padding.h = ph, s->p.padding.w = pw;
  s->p.groups = g;
  s->in.n = 1, s->in.h = h, s->in.w = w, s->in.c = c;
  s->f.n = o, s->f.h = kh, s->f.w = kw, s->f.c = c / g;
  s->out.n = 1, s->out.h = (h + 2 * ph - kh) / sh + 1, s->out.w = (w + 2 * pw - kw) / sw + 1;
  s->out.c = o;
}

static void tst_draw_conv(tst_rng* r, tst_conv_shape* s) {
  do tst_draw_conv_once(r, s);
  while (tst_conv_macs(s) > TST_MAC_BUDGET);
  s->p.input_offset = tst_input_offset(r);
  s->p.output_offset = tst_output_offset(r);
  s->p.activation = tst_activation(r, s->p.output_offset);
}

static void tst_describe_conv(tst_case* c, const tst_conv_shape* s, int has_bias) {
  snprintf(c->desc, sizeof c->desc,
           "%ldx%ldx%ld->%ld k%ldx%ld s%ldx%ld p%ldx%ld g%ld%s in_off %ld out_off %ld "
           "act [%ld,%ld]%s",
           (long)s->in.h, (long)s->in.w, (long)s->in.c, (long)s->out.c, (long)s->f.h, (long)s->f.w,
           (long)s->p.stride.h, (long)s->p.stride.w, (long)s->p.padding.h, (long)s->p.padding.w,
           (long)s->p.groups, tst_is_depthwise(s) ? " (depthwise)" : "", (long)s->p.input_offset,
           (long)s->p.output_offset, (long)s->p.activation.min, (long)s->p.activation.max,
           has_bias ? "" : " no bias");
}

typedef struct {
  tnn_linear_params p;
  tnn_dims in, f, out;
  int32_t tokens;
} tst_linear_shape;

static void tst_draw_linear(tst_rng* r, tst_linear_shape* s) {
  int32_t in_c, out_c, h, w;
  do {
    if (tst_chance(r, 20)) { /* tokens as a map */
      h = tst_int(r, 1, 8), w = tst_int(r, 1, 8);
    } else {
      h = tst_chance(r, 50) ? tst_int(r, 1, 8) : tst_int(r, 1, 64), w = 1;
    }
    in_c = tst_skewed(r, 160), out_c = tst_skewed(r, 64);
  } while ((int64_t)h * w * in_c * out_c > TST_MAC_BUDGET);
  s->tokens = h * w;
  s->in.n = 1, s->in.h = h, s->in.w = w, s->in.c = in_c;
  s->f.n = out_c, s->f.h = 1, s->f.w = 1, s->f.c = in_c;
  s->out.n = 1, s->out.h = h, s->out.w = w, s->out.c = out_c;
  s->p.input_offset = tst_input_offset(r);
  s->p.output_offset = tst_output_offset(r);
  s->p.activation = tst_activation(r, s->p.output_offset);
}

static void tst_describe_linear(tst_case* c, const tst_linear_shape* s, int has_bias) {
  snprintf(c->desc, sizeof c->desc,
           "%ld tokens (%ldx%ld) %ld->%ld in_off %ld out_off %ld act [%ld,%ld]%s", (long)s->tokens,
           (long)s->in.h, (long)s->in.w, (long)s->in.c, (long)s->out.c, (long)s->p.input_offset,
           (long)s->p.output_offset, (long)s->p.activation.min, (long)s->p.activation.max,
           has_bias ? "" : " no bias");
}

/* ---- the weights, requantization and buffers of a conv / linear case ------------------ */

typedef struct {
  int8_t *input, *filter, *ref_out, *out;
  int32_t *bias, *mult, *shift;
  int32_t in_n, w_n, out_n;
} tst_layer;

/* Input, weights (w_n), quantization of `channels` over sums of k products, outputs;
 * activations at random misalignments. 0 when the arena is full (a tester bug). */
static int tst_layer_alloc(tst_rng* r, tst_arena* a, tst_layer* l, int32_t in_n, int32_t w_n,
                           int32_t out_n, int32_t channels, int64_t k, int has_bias) {
  l->in_n = in_n, l->w_n = w_n, l->out_n = out_n;
  l->input = (int8_t*)tst_alloc(a, (size_t)in_n, (size_t)tst_int(r, 0, 3));
  l->filter = (int8_t*)tst_alloc(a, (size_t)w_n, (size_t)tst_int(r, 0, 3));
  l->ref_out = (int8_t*)tst_alloc(a, (size_t)out_n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  l->out = (int8_t*)tst_alloc(a, (size_t)out_n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  l->bias = has_bias ? (int32_t*)tst_alloc(a, 4 * (size_t)channels, 0) : NULL;
  l->mult = (int32_t*)tst_alloc(a, 4 * (size_t)channels, 0);
  l->shift = (int32_t*)tst_alloc(a, 4 * (size_t)channels, 0);
  if (!l->input || !l->filter || !l->ref_out || !l->out || (has_bias && !l->bias) || !l->mult ||
      !l->shift)
    return 0;
  tst_fill_s8(r, l->input, in_n, tst_pick_fill(r));
  tst_fill_s8(r, l->filter, w_n, tst_pick_fill(r));
  tst_channel_quant(r, channels, k, l->mult, l->shift, l->bias);
  tst_guard_init(l->ref_out, out_n, 0x00);
  tst_guard_init(l->out, out_n, 0xA5);
  return 1;
}

/* A scratch of `bytes` (4-byte aligned) followed by guard bytes, or NULL. */
static void* tst_scratch(tst_arena* a, int32_t bytes) {
  void* s = tst_alloc(a, (size_t)bytes + TST_GUARD, 0);
  if (s) tst_guard_init(s, bytes, 0xC3);
  return s;
}

/* Weights pruned and coded for a sparse case: prunes l->filter (rows x row_len) at a
 * random block sparsity, codes it, checks the stream (tnn_rle_validate) and decodes it
 * into l->filter again, which the reference then uses. 0 when the arena is full; a
 * stream that is not right fails the case (the kernels are not run on it). */
static int tst_code_weights(tst_rng* r, tst_arena* a, tst_case* c, tst_layer* l, int32_t rows,
                            int32_t row_len, tnn_rle_weights* coded) {
  const int32_t block = tst_int(r, 1, 4), n_blocks = tst_block_count(rows, row_len, block);
  const int32_t x = tst_int(r, 0, 9), percent = x == 0 ? 0 : (x == 1 ? 95 : tst_int(r, 0, 95));
  const int32_t cap = tst_rle_max_bytes(rows, row_len, block);
  int8_t* pruned = (int8_t*)tst_alloc(a, (size_t)l->w_n, 0);
  uint8_t* data = (uint8_t*)tst_alloc(a, (size_t)cap, (size_t)tst_int(r, 0, 3));
  int32_t size, len = (int32_t)strlen(c->desc);
  if (!pruned || !data) return 0;
  if (tst_chance(r, 70)) tst_fill_nonzero_s8(r, l->filter, l->w_n); /* only pruned blocks 0 */
  tst_prune_blocks(r, l->filter, rows, row_len, block, tst_pruned_blocks(n_blocks, percent));
  if (n_blocks > 256 && tst_chance(r, 20))
    tst_zero_block_run(l->filter, rows, row_len, block, tst_int(r, 0, n_blocks - 1),
                       tst_int(r, 256, 700));
  snprintf(c->desc + len, sizeof c->desc - (size_t)len, " block %ld sparsity %ld%%", (long)block,
           (long)percent);
  size = tst_rle_encode(l->filter, rows, row_len, block, data, cap);
  if (size < 0) return 0;
  coded->data = data;
  coded->size = size;
  coded->block = block;
  memcpy(pruned, l->filter, (size_t)l->w_n);
  if (tnn_rle_validate(coded, rows, row_len) != TNN_OK)
    tst_fail(c, "tnn_rle_validate rejected the coded weights");
  else if (tst_rle_decode(data, size, rows, row_len, block, l->filter) != 0 ||
           memcmp(pruned, l->filter, (size_t)l->w_n) != 0)
    tst_fail(c, "the coded weights do not decode to the pruned ones (tester bug)");
  return 1;
}

/* ---- the cases -------------------------------------------------------------------------- */

static int tst_conv_case(tst_rng* r, tst_arena* a, tst_case* c, int sparse) {
  tst_conv_shape s;
  tst_layer l;
  tnn_per_channel_quant q;
  tnn_context ctx;
  tnn_rle_weights coded;
  tnn_status ref_st, st;
  const int has_bias = tst_chance(r, 80);
  int32_t need;
  void* scratch;
  tst_draw_conv(r, &s);
  tst_describe_conv(c, &s, has_bias);
  if (!tst_layer_alloc(r, a, &l, s.in.h * s.in.w * s.in.c, s.f.n * s.f.h * s.f.w * s.f.c,
                       s.out.h * s.out.w * s.out.c, s.out.c, (int64_t)s.f.h * s.f.w * s.f.c,
                       has_bias))
    return 0;
  q.multiplier = l.mult, q.shift = l.shift;
  if (sparse) {
    /* depthwise: C*kh rows of kw; otherwise out rows of kh*kw*in/groups (tnn_sparse.h) */
    const int dw = tst_is_depthwise(&s);
    if (!tst_code_weights(r, a, c, &l, dw ? s.f.n * s.f.h : s.f.n,
                          dw ? s.f.w : s.f.h * s.f.w * s.f.c, &coded))
      return 0;
    if (c->failed) return 1;
    need = tnn_conv_sparse_s8_get_buffer_size(&s.in, &s.f, s.p.groups);
  } else {
    need = tnn_conv_s8_get_buffer_size(&s.in, &s.f);
  }
  if (!(scratch = tst_scratch(a, need))) return 0;
  ctx.buf = scratch, ctx.size = need;
  ref_st =
      tnn_conv_s8_ref(&ctx, &s.p, &q, &s.in, l.input, &s.f, l.filter, l.bias, &s.out, l.ref_out);
  st = sparse
           ? tnn_conv_sparse_s8(&ctx, &s.p, &q, &s.in, l.input, &s.f, &coded, l.bias, &s.out, l.out)
           : tnn_conv_s8(&ctx, &s.p, &q, &s.in, l.input, &s.f, l.filter, l.bias, &s.out, l.out);
  tst_check(c, ref_st, st, l.ref_out, l.out, l.out_n, s.out.c, scratch, need);
  return 1;
}

static int tst_linear_case(tst_rng* r, tst_arena* a, tst_case* c, int sparse) {
  tst_linear_shape s;
  tst_layer l;
  tnn_per_channel_quant q;
  tnn_context ctx;
  tnn_rle_weights coded;
  tnn_status ref_st, st;
  const int has_bias = tst_chance(r, 80);
  int32_t need;
  void* scratch;
  tst_draw_linear(r, &s);
  tst_describe_linear(c, &s, has_bias);
  if (!tst_layer_alloc(r, a, &l, s.tokens * s.in.c, s.out.c * s.in.c, s.tokens * s.out.c, s.out.c,
                       s.in.c, has_bias))
    return 0;
  q.multiplier = l.mult, q.shift = l.shift;
  if (sparse) {
    if (!tst_code_weights(r, a, c, &l, s.out.c, s.in.c, &coded)) return 0;
    if (c->failed) return 1;
    need = tnn_linear_sparse_s8_get_buffer_size(&s.f);
  } else {
    need = tnn_linear_s8_get_buffer_size(&s.f);
  }
  if (!(scratch = tst_scratch(a, need))) return 0;
  ctx.buf = scratch, ctx.size = need;
  ref_st =
      tnn_linear_s8_ref(&ctx, &s.p, &q, &s.in, l.input, &s.f, l.filter, l.bias, &s.out, l.ref_out);
  st = sparse
           ? tnn_linear_sparse_s8(&ctx, &s.p, &q, &s.in, l.input, &s.f, &coded, l.bias, &s.out,
                                  l.out)
           : tnn_linear_s8(&ctx, &s.p, &q, &s.in, l.input, &s.f, l.filter, l.bias, &s.out, l.out);
  tst_check(c, ref_st, st, l.ref_out, l.out, l.out_n, s.out.c, scratch, need);
  return 1;
}

static int tst_add_case(tst_rng* r, tst_arena* a, tst_case* c) {
  const tnn_add_params p = tst_add_params(r);
  const int32_t n = tst_chance(r, 30) ? tst_int(r, 1, 16) : tst_int(r, 1, 4096);
  int8_t* x1 = (int8_t*)tst_alloc(a, (size_t)n, (size_t)tst_int(r, 0, 3));
  int8_t* x2 = (int8_t*)tst_alloc(a, (size_t)n, (size_t)tst_int(r, 0, 3));
  int8_t* ref = (int8_t*)tst_alloc(a, (size_t)n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  int8_t* out = (int8_t*)tst_alloc(a, (size_t)n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  tnn_status ref_st, st;
  if (!x1 || !x2 || !ref || !out) return 0;
  snprintf(c->desc, sizeof c->desc,
           "%ld elements left_shift %ld in1 (%ld, %ld, off %ld) in2 (%ld, %ld, off %ld) "
           "out (%ld, %ld, off %ld) act [%ld,%ld]",
           (long)n, (long)p.left_shift, (long)p.input1.multiplier, (long)p.input1.shift,
           (long)p.input1_offset, (long)p.input2.multiplier, (long)p.input2.shift,
           (long)p.input2_offset, (long)p.output.multiplier, (long)p.output.shift,
           (long)p.output_offset, (long)p.activation.min, (long)p.activation.max);
  tst_fill_s8(r, x1, n, tst_pick_fill(r));
  tst_fill_s8(r, x2, n, tst_pick_fill(r));
  tst_guard_init(ref, n, 0x00);
  tst_guard_init(out, n, 0xA5);
  ref_st = tnn_add_s8_ref(&p, x1, x2, n, ref);
  st = tnn_add_s8(&p, x1, x2, n, out);
  tst_check(c, ref_st, st, ref, out, n, n, NULL, 0);
  return 1;
}

/* A LayerNorm case (the draws of tnn_transformer.h's bounds and the fast kernel's edges:
 * constant tokens, a token at the extremes, channels off the fast requantization form,
 * biases within 2^22 of the int32 limits, in place). */
static int tst_layer_norm_case(tst_rng* r, tst_arena* a, tst_case* c) {
  tnn_layer_norm_params p;
  tnn_per_channel_quant q;
  tnn_dims d;
  const int32_t C = tst_chance(r, 3) ? (tst_chance(r, 50) ? 4096 : 4095)
                                     : (tst_chance(r, 70) ? tst_int(r, 1, 100) : tst_int(r, 1, 1200));
  const int32_t T = tst_int(r, 1, C > 1000 ? 3 : 10), n = C * T;
  const int slow = tst_chance(r, 25), huge = tst_chance(r, 20), in_place = tst_chance(r, 30);
  int8_t* x = (int8_t*)tst_alloc(a, (size_t)n, (size_t)tst_int(r, 0, 3));
  int8_t* w = (int8_t*)tst_alloc(a, (size_t)C, (size_t)tst_int(r, 0, 3));
  int8_t* ref = (int8_t*)tst_alloc(a, (size_t)n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  int8_t* out = (int8_t*)tst_alloc(a, (size_t)n + TST_GUARD, (size_t)tst_int(r, 0, 3));
  int32_t* mult = (int32_t*)tst_alloc(a, 4 * (size_t)C, 0);
  int32_t* shift = (int32_t*)tst_alloc(a, 4 * (size_t)C, 0);
  int32_t* bias = (int32_t*)tst_alloc(a, 4 * (size_t)C, 0);
  int32_t i;
  if (!x || !w || !ref || !out || !mult || !shift || !bias) return 0;
  tst_fill_s8(r, x, n, tst_pick_fill(r));
  if (tst_chance(r, 20)) memset(x, 5, (size_t)C);
  if (tst_chance(r, 20))
    for (i = 0; i < C; ++i) x[n - C + i] = (int8_t)(i ? -128 : 127);
  if (tst_chance(r, 20))
    for (i = 0; i < C; ++i) x[i] = (int8_t)((i & 1) ? 100 : -100);
  tst_fill_s8(r, w, C, tst_pick_fill(r));
  for (i = 0; i < C; ++i) {
    mult[i] = tst_int(r, INT32_C(1) << 30, INT32_MAX);
    shift[i] = tst_chance(r, 5) ? tst_int(r, -31, -1) : tst_int(r, -16, -1);
    if (slow && tst_chance(r, 10)) mult[i] = tst_int(r, 0, INT32_MAX), shift[i] = tst_int(r, -31, 8);
    bias[i] = tst_int(r, -200000, 200000);
    if (huge && tst_chance(r, 50))
      bias[i] = tst_chance(r, 50) ? INT32_MAX - tst_int(r, 0, 1 << 22) : INT32_MIN + tst_int(r, 0, 1 << 22);
  }
  q.multiplier = mult, q.shift = shift;
  p.output_offset = tst_output_offset(r);
  p.activation = tst_activation(r, p.output_offset);
  d.n = 1, d.h = T, d.w = 1, d.c = C;
  snprintf(c->desc, sizeof c->desc, "%ld tokens x %ld channels%s%s%s out off %ld act [%ld,%ld]",
           (long)T, (long)C, slow ? ", some slow channels" : "", huge ? ", biases near the limits" : "",
           in_place ? ", in place" : "", (long)p.output_offset, (long)p.activation.min,
           (long)p.activation.max);
  tst_guard_init(ref, n, 0x00);
  tst_guard_init(out, n, 0xA5);
  if (in_place) memcpy(out, x, (size_t)n);
  tst_check(c, tnn_layer_norm_s8_ref(&p, &q, &d, x, w, bias, ref),
            tnn_layer_norm_s8(&p, &q, &d, in_place ? out : x, w, bias, out), ref, out, n, C, NULL, 0);
  return 1;
}

static int tst_attention_case(tst_rng* r, tst_arena* a, tst_case* c) {
  tnn_attention_params p;
  tnn_dims qd, kd, vd, od;
  int32_t heads, dh, dv, n, m, need;
  int8_t *q, *k, *v, *ref, *out;
  void* scratch;
  tnn_context ctx;
  tnn_status ref_st, st;
  do {
    const int32_t max_tokens = tst_chance(r, 20) ? 200 : 64;
    heads = tst_int(r, 1, 4);
    dh = tst_skewed(r, 32); /* up to 8 blocks of 4: every head width with a QK loop of its own */
    dv = tst_chance(r, 50) ? dh : tst_skewed(r, 32);
    n = tst_int(r, 1, max_tokens);
    m = tst_chance(r, 50) ? n : tst_int(r, 1, max_tokens);
  } while ((int64_t)heads * n * m * (dh + dv) > TST_ATTENTION_BUDGET);
  p.q_offset = tst_input_offset(r);
  p.k_offset = tst_input_offset(r);
  p.v_offset = tst_input_offset(r);
  p.output_offset = tst_output_offset(r);
  p.heads = heads;
  /* score: a real factor of s_q s_k / sqrt(dh) * 256 turns raw score gaps (up to
   * 2^16 dh) into exp arguments of units 1/256; output: about s_v / (256 s_out) */
  p.score = tst_chance(r, 10) ? tst_quant_near(r, 0, 30) : tst_quant_near(r, -9, 5);
  p.output = tst_chance(r, 10) ? tst_quant_near(r, 0, 30) : tst_quant_near(r, -7, 3);
  p.activation = tst_activation(r, p.output_offset);
  qd.n = kd.n = vd.n = od.n = 1;
  qd.w = kd.w = vd.w = od.w = 1;
  qd.h = od.h = n, kd.h = vd.h = m;
  qd.c = kd.c = heads * dh, vd.c = od.c = heads * dv;
  snprintf(c->desc, sizeof c->desc,
           "heads %ld dh %ld dv %ld n %ld m %ld offsets q %ld k %ld v %ld out %ld "
           "score (%ld, %ld) output (%ld, %ld) act [%ld,%ld]",
           (long)heads, (long)dh, (long)dv, (long)n, (long)m, (long)p.q_offset, (long)p.k_offset,
           (long)p.v_offset, (long)p.output_offset, (long)p.score.multiplier, (long)p.score.shift,
           (long)p.output.multiplier, (long)p.output.shift, (long)p.activation.min,
           (long)p.activation.max);
  q = (int8_t*)tst_alloc(a, (size_t)(n * qd.c), (size_t)tst_int(r, 0, 3));
  k = (int8_t*)tst_alloc(a, (size_t)(m * kd.c), (size_t)tst_int(r, 0, 3));
  v = (int8_t*)tst_alloc(a, (size_t)(m * vd.c), (size_t)tst_int(r, 0, 3));
  ref = (int8_t*)tst_alloc(a, (size_t)(n * od.c) + TST_GUARD, (size_t)tst_int(r, 0, 3));
  out = (int8_t*)tst_alloc(a, (size_t)(n * od.c) + TST_GUARD, (size_t)tst_int(r, 0, 3));
  need = tnn_attention_s8_get_buffer_size(&kd, &vd, heads);
  scratch = tst_scratch(a, need);
  if (!q || !k || !v || !ref || !out || !scratch) return 0;
  tst_fill_s8(r, q, n * qd.c, tst_pick_fill(r));
  tst_fill_s8(r, k, m * kd.c, tst_pick_fill(r));
  tst_fill_s8(r, v, m * vd.c, tst_pick_fill(r));
  tst_guard_init(ref, n * od.c, 0x00);
  tst_guard_init(out, n * od.c, 0xA5);
  ctx.buf = scratch, ctx.size = need;
  ref_st = tnn_attention_softmax_s8_ref(&ctx, &p, &qd, q, &kd, k, &vd, v, &od, ref);
  st = tnn_attention_softmax_s8(&ctx, &p, &qd, q, &kd, k, &vd, v, &od, out);
  tst_check(c, ref_st, st, ref, out, n * od.c, od.c, scratch, need);
  return 1;
}

/* The fast requantization (tnn_math.h) against tnn_output_s8 on its own: here with the
 * instructions themselves (SMMLAR, QADD, SSAT, USAT) on the M7 / M4. Edge accumulators at
 * every shift, then `n` random cases (every magnitude, each clamp kind); returns the
 * failures. Its own generator: the kernel cases draw the same as without it. */
static int32_t tst_fast_requant_check(uint64_t seed, int32_t n) {
  static const int32_t edge_x[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                   (INT32_C(1) << 30) - 1, -(INT32_C(1) << 30), 1 << 20, -(1 << 20)};
  static const int32_t edge_m[] = {INT32_C(1) << 30, INT32_MAX, 1518500250};
  tst_rng r;
  int32_t i, failed = 0;
  tst_seed(&r, seed);
  for (i = 0; i < n + 31 * 14 * 3; ++i) {
    const int edge = i < 31 * 14 * 3;
    const int32_t shift = edge ? -1 - i / 42 : tst_int(&r, -31, -1);
    const int32_t m = edge ? edge_m[i % 3] : tst_int(&r, INT32_C(1) << 30, INT32_MAX);
    const int32_t off = tst_int(&r, -128, 127), u = tst_int(&r, -128, 126);
    int32_t x = edge ? edge_x[(i / 3) % 14] : (int32_t)(tst_int(&r, INT32_MIN, INT32_MAX));
    tnn_activation act[3];
    tnn_out_fast o;
    int k;
    if (!edge && i % 2) x >>= tst_int(&r, 0, 31);
    act[0].min = -128, act[0].max = 127;
    act[1].min = off, act[1].max = 127;
    act[2].min = u < off ? u : off, act[2].max = u < off ? off : u;
    for (k = 0; k < 3; ++k) {
      const int32_t m2 = tnn_rq_m2(m), e1 = tnn_rq_e1(shift);
      const int32_t want = tnn_output_s8(x, m, shift, off, &act[k]);
      int32_t got;
      o = tnn_out_fast_of(off, &act[k]);
      got = o.kind == TNN_RQ_S8     ? tnn_output_fast(x, m2, e1, &o, TNN_RQ_S8)
            : o.kind == TNN_RQ_RELU ? tnn_output_fast(x, m2, e1, &o, TNN_RQ_RELU)
                                    : tnn_output_fast(x, m2, e1, &o, TNN_RQ_RANGE);
      if (got != want && failed++ < TST_MAX_REPORTS)
        printf("FAIL fast requantization of %ld (%ld, %ld), offset %ld, [%ld, %ld]: %ld, "
               "not %ld\n",
               (long)x, (long)m, (long)shift, (long)off, (long)act[k].min, (long)act[k].max,
               (long)got, (long)want);
    }
  }
  printf("fast requantization: %ld cases, %ld failed\n", (long)(n + 31 * 14 * 3), (long)failed);
  return failed;
}

/* The kind of case i: a fixed mix, weighted towards the convs. */
static int tst_pick_kind(tst_rng* r) {
  const int32_t x = tst_int(r, 0, 99);
  if (x < 28) return K_CONV;
  if (x < 40) return K_LINEAR;
  if (x < 45) return K_ADD;
  if (x < 52) return K_LAYER_NORM;
  if (x < 62) return K_ATTENTION;
  if (x < 88) return K_SPARSE_CONV;
  return K_SPARSE_LINEAR;
}

int main(int argc, char** argv) {
  const long cases = argc > 1 ? strtol(argv[1], NULL, 10) : 400;
  const unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
  tst_tally tally;
  tst_rng rng;
  int32_t i, passed = 0, failed = 0;
  int kind;
  memset(&tally, 0, sizeof tally);
  if (cases < 1) {
    printf("usage: kernel_tester [CASES [SEED]] (CASES >= 1)\n");
    return 2;
  }
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
  printf("__ARM_FEATURE_DSP: %d (the SIMD paths of tnn_dsp.h)\n", (int)__ARM_FEATURE_DSP);
#else
  printf("__ARM_FEATURE_DSP: undefined (the portable C paths of tnn_dsp.h)\n");
#endif
  failed += tst_fast_requant_check((uint64_t)seed, 100000);
  printf("%ld random cases, seed %lu\n", cases, seed);
  tst_seed(&rng, (uint64_t)seed);
  for (i = 0; i < cases; ++i) {
    tst_arena arena;
    tst_case c;
    int ok = 0;
    tst_arena_init(&arena, tst_storage, sizeof tst_storage);
    c.tally = &tally;
    c.kind = tst_pick_kind(&rng);
    c.id = i;
    c.desc[0] = '\0';
    c.failed = 0;
    switch (c.kind) {
      case K_CONV:
        ok = tst_conv_case(&rng, &arena, &c, 0);
        break;
      case K_LINEAR:
        ok = tst_linear_case(&rng, &arena, &c, 0);
        break;
      case K_ADD:
        ok = tst_add_case(&rng, &arena, &c);
        break;
      case K_LAYER_NORM:
        ok = tst_layer_norm_case(&rng, &arena, &c);
        break;
      case K_ATTENTION:
        ok = tst_attention_case(&rng, &arena, &c);
        break;
      case K_SPARSE_CONV:
        ok = tst_conv_case(&rng, &arena, &c, 1);
        break;
      default:
        ok = tst_linear_case(&rng, &arena, &c, 1);
        break;
    }
    if (!ok) tst_fail(&c, "the case does not fit the tester's arena (tester bug)");
    if (c.failed)
      ++tally.failed[c.kind];
    else
      ++tally.passed[c.kind];
  }
  for (kind = 0; kind < K_COUNT; ++kind) {
    printf("  %-14s %4ld passed, %ld failed\n", tst_kind_names[kind], (long)tally.passed[kind],
           (long)tally.failed[kind]);
    passed += tally.passed[kind];
    failed += tally.failed[kind];
  }
  printf("%ld passed, %ld failed\n", (long)passed, (long)failed);
  return failed == 0 ? 0 : 1;
}
