/* Instructions per MAC of the runtime's kernels on a Cortex-M7 (or M4) under QEMU: the
 * program of bench/m7_kernels.sh, which builds it (with tests/runtime/target/
 * target_support.c and src/runtime) and runs it under qemu-system-arm -icount shift=3.
 *
 * For each layer of issue 20's table it times the reference kernel, the fast dense kernel
 * and the sparse kernel on weights pruned by a random block mask at exactly 50, 75 and
 * 90 % (blocks of 4 and of 2; depthwise: blocks of 3 along the kernel width), then the
 * softmax attention, the residual add and LayerNorm, reference and fast. Every kernel timed is also
 * checked bit for bit against the reference on the same data (sparse: the dense reference
 * on the pruned weights); a difference prints a FAIL line and the exit status is 1.
 *
 * Counting: QEMU's -icount shift=3 advances the virtual clock 8 ns per instruction and the
 * MPS2 FPGAIO COUNTER (0x40028018, both boards) ticks at 25 MHz, so one tick is 5
 * instructions. A kernel's count is the ticks across its call, minus the ticks of an empty
 * measurement (two reads back to back), times 5: the kernel with its call, to within one
 * tick. Instructions, not cycles (QEMU models no pipeline or memory waits). */
#include <stdio.h>
#include <string.h>

#include "target_support.h"
#include "tnn_nn.h"
#include "tnn_sparse.h"
#include "tnn_transformer.h"

#define FPGAIO_COUNTER (*(volatile uint32_t*)0x40028018u)
#define INSNS_PER_TICK 5u /* -icount shift=3: 40 ns per 25 MHz tick, 8 ns per instruction */

/* The largest layer's tensors, weights, codes and references fit with room to spare. */
#define BENCH_ARENA_BYTES (1024u * 1024u)
static uint64_t bench_storage[BENCH_ARENA_BYTES / 8];

static uint32_t bench_empty_ticks;
static int bench_failures;

/* Ticks across `call`. The counter reads are volatile and the kernels are in other
 * translation units, so the compiler keeps the call between them. */
#define BENCH_TIME(ticks, call)          \
  do {                                   \
    const uint32_t t0_ = FPGAIO_COUNTER; \
    call;                                \
    (ticks) = FPGAIO_COUNTER - t0_;      \
  } while (0)

static uint32_t bench_insns(uint32_t ticks) {
  return (ticks > bench_empty_ticks ? ticks - bench_empty_ticks : 0) * INSNS_PER_TICK;
}

/* 2 * n instructions (n >= 1). */
static void bench_spin(uint32_t n) {
  __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

/* Whether the counter advances one tick per INSNS_PER_TICK instructions (-icount shift=3). */
static int bench_icount_ok(void) {
  const uint32_t n = 200000, expected = 2 * n / INSNS_PER_TICK;
  uint32_t ticks;
  BENCH_TIME(ticks, bench_spin(n));
  if (ticks >= expected && ticks <= expected + 4) return 1;
  printf(
      "error: %lu counter ticks for %lu instructions, %lu expected: run under "
      "qemu-system-arm -icount shift=3\n",
      (unsigned long)ticks, (unsigned long)(2 * n), (unsigned long)expected);
  return 0;
}

static void bench_check(const char* layer, const char* what, tnn_status ref_st, tnn_status st,
                        const int8_t* ref, const int8_t* got, int32_t n) {
  int32_t i;
  if (ref_st != TNN_OK || st != TNN_OK) {
    printf("FAIL %s %s: status %d (reference %d)\n", layer, what, (int)st, (int)ref_st);
    ++bench_failures;
    return;
  }
  for (i = 0; i < n; ++i)
    if (ref[i] != got[i]) {
      printf("FAIL %s %s: output %ld is %d, the reference's %d\n", layer, what, (long)i, got[i],
             ref[i]);
      ++bench_failures;
      return;
    }
}

/* x / y with two decimals ("12.34"), y > 0. */
static void bench_ratio(char* buf, uint64_t x, uint64_t y) {
  const uint64_t h = (x * 100u + y / 2u) / y;
  sprintf(buf, "%lu.%02lu", (unsigned long)(h / 100u), (unsigned long)(h % 100u));
}

/* The speed-up a / b with one decimal ("3.4x"). */
static void bench_speedup(char* buf, uint64_t a, uint64_t b) {
  const uint64_t t = b ? (a * 10u + b / 2u) / b : 0;
  sprintf(buf, "%lu.%lux", (unsigned long)(t / 10u), (unsigned long)(t % 10u));
}

static void* bench_alloc(tst_arena* a, size_t bytes) {
  void* p = tst_alloc(a, bytes, 0);
  if (!p) {
    printf("error: the bench arena is too small\n");
    ++bench_failures;
  }
  return p;
}

/* Realistic requantization: multipliers in [2^30, 2^31), shifts that spread the outputs
 * over the int8 range for sums of k products, biases of a few thousand. */
static void bench_quant(tst_rng* r, int32_t channels, int32_t k, int32_t* mult, int32_t* shift,
                        int32_t* bias) {
  int32_t c, log2k = 0;
  while ((1 << (log2k + 1)) <= k) ++log2k;
  for (c = 0; c < channels; ++c) {
    mult[c] = tst_int(r, INT32_C(1) << 30, INT32_MAX);
    shift[c] = -5 - log2k / 2 + tst_int(r, -1, 1);
    bias[c] = tst_int(r, -5000, 5000);
  }
}

/* ---- conv and linear layers --------------------------------------------------------- */

typedef struct {
  const char* name;
  int linear; /* a linear layer: tokens = in.h */
  tnn_dims in, f, out;
  int32_t stride, padding, groups;
  int32_t blocks[2]; /* the block sizes to time (0: none) */
} bench_layer;

static const int32_t bench_sparsities[3] = {50, 75, 90};

typedef struct {
  tnn_conv_params conv;
  tnn_linear_params lin;
  tnn_per_channel_quant q;
  const tnn_dims *in, *f, *out;
  const int8_t* input;
  const int32_t* bias;
  tnn_context ctx;
} bench_job;

static tnn_status bench_ref(const bench_job* j, int linear, const int8_t* w, int8_t* out) {
  return linear ? tnn_linear_s8_ref(&j->ctx, &j->lin, &j->q, j->in, j->input, j->f, w, j->bias,
                                    j->out, out)
                : tnn_conv_s8_ref(&j->ctx, &j->conv, &j->q, j->in, j->input, j->f, w, j->bias,
                                  j->out, out);
}

static tnn_status bench_fast(const bench_job* j, int linear, const int8_t* w, int8_t* out) {
  return linear ? tnn_linear_s8(&j->ctx, &j->lin, &j->q, j->in, j->input, j->f, w, j->bias, j->out,
                                out)
                : tnn_conv_s8(&j->ctx, &j->conv, &j->q, j->in, j->input, j->f, w, j->bias, j->out,
                              out);
}

static tnn_status bench_sparse(const bench_job* j, int linear, const tnn_rle_weights* w,
                               int8_t* out) {
  return linear ? tnn_linear_sparse_s8(&j->ctx, &j->lin, &j->q, j->in, j->input, j->f, w, j->bias,
                                       j->out, out)
                : tnn_conv_sparse_s8(&j->ctx, &j->conv, &j->q, j->in, j->input, j->f, w, j->bias,
                                     j->out, out);
}

/* A layer being timed: its job, weights (w dense, pruned: the current sparse variant),
 * the reference's and the kernel's outputs, the coded rows. */
typedef struct {
  const bench_layer* L;
  bench_job j;
  tst_arena* a;
  int8_t *w, *pruned, *ref, *out;
  int32_t w_n, out_n, rows, row_len;
  uint64_t macs;
} bench_run;

/* One table row of sparse figures: the block size, then instructions per dense MAC at
 * each sparsity and the speed-ups over the fast dense kernel's fast_insns. */
static void bench_sparse_row(tst_rng* r, bench_run* u, int32_t block, uint32_t fast_insns) {
  const int32_t n_blocks = tst_block_count(u->rows, u->row_len, block);
  const int32_t cap = tst_rle_max_bytes(u->rows, u->row_len, block);
  const tst_arena mark = *u->a;
  uint8_t* coded = (uint8_t*)bench_alloc(u->a, (size_t)cap);
  uint32_t t, insns[3];
  int32_t s;
  char c[16];
  if (!coded) return;
  printf(" %3ld ", (long)block);
  for (s = 0; s < 3; ++s) {
    tnn_rle_weights rle;
    tnn_status ref_st, st;
    char what[48];
    memcpy(u->pruned, u->w, (size_t)u->w_n);
    tst_prune_blocks(r, u->pruned, u->rows, u->row_len, block,
                     tst_pruned_blocks(n_blocks, bench_sparsities[s]));
    rle.data = coded;
    rle.block = block;
    rle.size = tst_rle_encode(u->pruned, u->rows, u->row_len, block, coded, cap);
    sprintf(what, "sparse block %ld %ld%%", (long)block, (long)bench_sparsities[s]);
    if (rle.size < 0 || tnn_rle_validate(&rle, u->rows, u->row_len) != TNN_OK) {
      printf("\nFAIL %s %s: the coded weights are malformed\n", u->L->name, what);
      ++bench_failures;
      return;
    }
    ref_st = bench_ref(&u->j, u->L->linear, u->pruned, u->ref);
    BENCH_TIME(t, st = bench_sparse(&u->j, u->L->linear, &rle, u->out));
    insns[s] = bench_insns(t);
    bench_check(u->L->name, what, ref_st, st, u->ref, u->out, u->out_n);
    bench_ratio(c, insns[s], u->macs);
    printf(" %6s", c);
  }
  printf(" |");
  for (s = 0; s < 3; ++s) {
    bench_speedup(c, fast_insns, insns[s]);
    printf(" %6s", c);
  }
  printf("\n");
  *u->a = mark;
}

/* The job of a layer: random offsets, no clamp, the layer's stride, padding and groups. */
static void bench_job_init(tst_rng* r, const bench_layer* L, bench_job* j) {
  j->conv.input_offset = j->lin.input_offset = tst_int(r, -127, 128);
  j->conv.output_offset = j->lin.output_offset = tst_int(r, -128, 127);
  j->conv.activation.min = j->lin.activation.min = -128;
  j->conv.activation.max = j->lin.activation.max = 127;
  j->conv.stride.h = j->conv.stride.w = L->stride;
  j->conv.padding.h = j->conv.padding.w = L->padding;
  j->conv.groups = L->groups;
  j->in = &L->in, j->f = &L->f, j->out = &L->out;
}

/* One scratch for every kernel of the layer: the largest any of them asks for. */
static int32_t bench_scratch_bytes(const bench_layer* L) {
  const int32_t dense =
      L->linear ? tnn_linear_s8_get_buffer_size(&L->f) : tnn_conv_s8_get_buffer_size(&L->in, &L->f);
  const int32_t sparse = L->linear ? tnn_linear_sparse_s8_get_buffer_size(&L->f)
                                   : tnn_conv_sparse_s8_get_buffer_size(&L->in, &L->f, L->groups);
  return dense > sparse ? dense : sparse;
}

static void bench_layer_run(tst_rng* r, const bench_layer* L) {
  const int32_t in_n = L->in.h * L->in.w * L->in.c, k = L->f.h * L->f.w * L->f.c;
  const int dw = !L->linear && L->groups > 1 && L->groups == L->in.c;
  tst_arena a;
  bench_run u;
  int8_t* input;
  int32_t *mult, *shift, *bias, b;
  uint32_t t, ref_insns, fast_insns;
  char c1[16], c2[16];
  tnn_status ref_st, st;
  u.L = L;
  u.a = &a;
  u.w_n = L->f.n * k;
  u.out_n = L->out.h * L->out.w * L->out.c;
  u.macs = (uint64_t)u.out_n * (uint64_t)k;
  /* coded rows (tnn_sparse.h): depthwise C*kh rows of kw, others out rows of k */
  u.rows = dw ? L->f.n * L->f.h : L->f.n;
  u.row_len = dw ? L->f.w : k;
  tst_arena_init(&a, bench_storage, sizeof bench_storage);
  input = (int8_t*)bench_alloc(&a, (size_t)in_n);
  u.w = (int8_t*)bench_alloc(&a, (size_t)u.w_n);
  u.pruned = (int8_t*)bench_alloc(&a, (size_t)u.w_n);
  u.ref = (int8_t*)bench_alloc(&a, (size_t)u.out_n);
  u.out = (int8_t*)bench_alloc(&a, (size_t)u.out_n);
  mult = (int32_t*)bench_alloc(&a, 4 * (size_t)L->f.n);
  shift = (int32_t*)bench_alloc(&a, 4 * (size_t)L->f.n);
  bias = (int32_t*)bench_alloc(&a, 4 * (size_t)L->f.n);
  u.j.ctx.size = bench_scratch_bytes(L);
  u.j.ctx.buf = bench_alloc(&a, (size_t)u.j.ctx.size + 4);
  if (!input || !u.w || !u.pruned || !u.ref || !u.out || !mult || !shift || !bias || !u.j.ctx.buf)
    return;
  tst_fill_s8(r, input, in_n, TST_UNIFORM);
  tst_fill_nonzero_s8(r, u.w, u.w_n); /* so that exactly the pruned blocks are zero */
  bench_quant(r, L->f.n, k, mult, shift, bias);
  bench_job_init(r, L, &u.j);
  u.j.q.multiplier = mult, u.j.q.shift = shift;
  u.j.input = input, u.j.bias = bias;

  BENCH_TIME(t, ref_st = bench_ref(&u.j, L->linear, u.w, u.ref));
  ref_insns = bench_insns(t);
  BENCH_TIME(t, st = bench_fast(&u.j, L->linear, u.w, u.out));
  fast_insns = bench_insns(t);
  bench_check(L->name, "fast dense", ref_st, st, u.ref, u.out, u.out_n);
  bench_ratio(c1, ref_insns, u.macs);
  bench_ratio(c2, fast_insns, u.macs);
  printf("%-30s %8lu %7s %6s |", L->name, (unsigned long)u.macs, c1, c2);
  for (b = 0; b < 2 && L->blocks[b]; ++b) {
    if (b > 0) printf("%-30s %8s %7s %6s |", "", "", "", "");
    bench_sparse_row(r, &u, L->blocks[b], fast_insns);
  }
}

/* ---- attention and add ------------------------------------------------------------------ */

static void bench_attention(tst_rng* r, int32_t tokens, int32_t channels, int32_t heads) {
  const int32_t n = tokens * channels;
  const uint64_t macs = (uint64_t)tokens * (uint64_t)tokens * (uint64_t)(2 * channels);
  tnn_attention_params p;
  tnn_dims d;
  tnn_context ctx;
  tst_arena a;
  int8_t *q, *k, *v, *ref, *out;
  uint32_t t, ref_insns, fast_insns;
  tnn_status ref_st, st;
  char name[48], c1[16], c2[16], c3[16];
  tst_arena_init(&a, bench_storage, sizeof bench_storage);
  d.n = 1, d.h = tokens, d.w = 1, d.c = channels;
  q = (int8_t*)bench_alloc(&a, (size_t)n);
  k = (int8_t*)bench_alloc(&a, (size_t)n);
  v = (int8_t*)bench_alloc(&a, (size_t)n);
  ref = (int8_t*)bench_alloc(&a, (size_t)n);
  out = (int8_t*)bench_alloc(&a, (size_t)n);
  ctx.size = tnn_attention_s8_get_buffer_size(&d, &d, heads);
  ctx.buf = bench_alloc(&a, (size_t)ctx.size);
  if (!q || !k || !v || !ref || !out || !ctx.buf) return;
  tst_fill_s8(r, q, n, TST_UNIFORM);
  tst_fill_s8(r, k, n, TST_UNIFORM);
  tst_fill_s8(r, v, n, TST_UNIFORM);
  p.q_offset = tst_int(r, -20, 20);
  p.k_offset = tst_int(r, -20, 20);
  p.v_offset = tst_int(r, -20, 20);
  p.output_offset = tst_int(r, -20, 20);
  p.heads = heads;
  /* scores of int8 data spread over a few units of exp argument; outputs of about s_v */
  p.score.multiplier = tst_int(r, INT32_C(1) << 30, INT32_MAX);
  p.score.shift = -12;
  p.output.multiplier = tst_int(r, INT32_C(1) << 30, INT32_MAX);
  p.output.shift = -7;
  p.activation.min = -128, p.activation.max = 127;
  sprintf(name, "%ld tokens, %ld heads", (long)tokens, (long)heads);
  BENCH_TIME(t, ref_st = tnn_attention_softmax_s8_ref(&ctx, &p, &d, q, &d, k, &d, v, &d, ref));
  ref_insns = bench_insns(t);
  BENCH_TIME(t, st = tnn_attention_softmax_s8(&ctx, &p, &d, q, &d, k, &d, v, &d, out));
  fast_insns = bench_insns(t);
  bench_check("softmax attention", name, ref_st, st, ref, out, n);
  bench_ratio(c1, ref_insns, macs);
  bench_ratio(c2, fast_insns, macs);
  bench_speedup(c3, ref_insns, fast_insns);
  printf("%-30s %8lu %7s %6s   %s\n", name, (unsigned long)macs, c1, c2, c3);
}

static void bench_add(tst_rng* r, int32_t n) {
  const tnn_add_params p = tst_add_params(r);
  tst_arena a;
  int8_t *x1, *x2, *ref, *out;
  uint32_t t, ref_insns, fast_insns;
  tnn_status ref_st, st;
  char c1[16], c2[16], c3[16];
  tst_arena_init(&a, bench_storage, sizeof bench_storage);
  x1 = (int8_t*)bench_alloc(&a, (size_t)n);
  x2 = (int8_t*)bench_alloc(&a, (size_t)n);
  ref = (int8_t*)bench_alloc(&a, (size_t)n);
  out = (int8_t*)bench_alloc(&a, (size_t)n);
  if (!x1 || !x2 || !ref || !out) return;
  tst_fill_s8(r, x1, n, TST_UNIFORM);
  tst_fill_s8(r, x2, n, TST_UNIFORM);
  BENCH_TIME(t, ref_st = tnn_add_s8_ref(&p, x1, x2, n, ref));
  ref_insns = bench_insns(t);
  BENCH_TIME(t, st = tnn_add_s8(&p, x1, x2, n, out));
  fast_insns = bench_insns(t);
  bench_check("add", "fast", ref_st, st, ref, out, n);
  bench_ratio(c1, ref_insns, (uint64_t)n);
  bench_ratio(c2, fast_insns, (uint64_t)n);
  bench_speedup(c3, ref_insns, fast_insns);
  printf("%-30s %8ld %7s %6s   %s\n", "add 14x14x48", (long)n, c1, c2, c3);
}

/* LayerNorm of `tokens` tokens of `channels`: realistic quantization (multipliers in
 * [2^30, 2^31), shifts that map |n * w| <= 2^17 onto the int8 range, biases of a few
 * thousand), no clamp; instructions per element. */
static void bench_layer_norm(tst_rng* r, int32_t tokens, int32_t channels) {
  const int32_t n = tokens * channels;
  tnn_layer_norm_params p;
  tnn_per_channel_quant q;
  tnn_dims d;
  tst_arena a;
  int8_t *x, *w, *ref, *out;
  int32_t *mult, *shift, *bias, c;
  uint32_t t, ref_insns, fast_insns;
  tnn_status ref_st, st;
  char name[48], c1[16], c2[16], c3[16];
  tst_arena_init(&a, bench_storage, sizeof bench_storage);
  x = (int8_t*)bench_alloc(&a, (size_t)n);
  w = (int8_t*)bench_alloc(&a, (size_t)channels);
  ref = (int8_t*)bench_alloc(&a, (size_t)n);
  out = (int8_t*)bench_alloc(&a, (size_t)n);
  mult = (int32_t*)bench_alloc(&a, 4 * (size_t)channels);
  shift = (int32_t*)bench_alloc(&a, 4 * (size_t)channels);
  bias = (int32_t*)bench_alloc(&a, 4 * (size_t)channels);
  if (!x || !w || !ref || !out || !mult || !shift || !bias) return;
  tst_fill_s8(r, x, n, TST_UNIFORM);
  tst_fill_s8(r, w, channels, TST_UNIFORM);
  for (c = 0; c < channels; ++c) {
    mult[c] = tst_int(r, INT32_C(1) << 30, INT32_MAX);
    shift[c] = -10 + tst_int(r, -1, 1);
    bias[c] = tst_int(r, -5000, 5000);
  }
  q.multiplier = mult, q.shift = shift;
  p.output_offset = tst_int(r, -20, 20);
  p.activation.min = -128, p.activation.max = 127;
  d.n = 1, d.h = tokens, d.w = 1, d.c = channels;
  sprintf(name, "layer norm %ld tokens x %ld", (long)tokens, (long)channels);
  BENCH_TIME(t, ref_st = tnn_layer_norm_s8_ref(&p, &q, &d, x, w, bias, ref));
  ref_insns = bench_insns(t);
  BENCH_TIME(t, st = tnn_layer_norm_s8(&p, &q, &d, x, w, bias, out));
  fast_insns = bench_insns(t);
  bench_check("layer norm", "fast", ref_st, st, ref, out, n);
  bench_ratio(c1, ref_insns, (uint64_t)n);
  bench_ratio(c2, fast_insns, (uint64_t)n);
  bench_speedup(c3, ref_insns, fast_insns);
  printf("%-30s %8ld %7s %6s   %s\n", name, (long)n, c1, c2, c3);
}

/* ---- main ------------------------------------------------------------------------------- */

static const bench_layer bench_layers[] = {
    {"conv 3x3 s1 p1 14x14x48->48",
     0,
     {1, 14, 14, 48},
     {48, 3, 3, 48},
     {1, 14, 14, 48},
     1,
     1,
     1,
     {4, 2}},
    {"conv 3x3 s2 p1 28x28x16->32",
     0,
     {1, 28, 28, 16},
     {32, 3, 3, 16},
     {1, 14, 14, 32},
     2,
     1,
     1,
     {4, 2}},
    {"conv 1x1 14x14x48->96", 0, {1, 14, 14, 48}, {96, 1, 1, 48}, {1, 14, 14, 96}, 1, 0, 1, {4, 2}},
    {"depthwise 3x3 s1 p1 14x14x96",
     0,
     {1, 14, 14, 96},
     {96, 3, 3, 1},
     {1, 14, 14, 96},
     1,
     1,
     96,
     {3, 0}},
    {"linear 49 tokens x 96->192",
     1,
     {1, 49, 1, 96},
     {192, 1, 1, 96},
     {1, 49, 1, 192},
     1,
     0,
     1,
     {4, 2}},
};

int main(int argc, char** argv) {
  const char* cpu = argc > 1 ? argv[1] : "m7";
  tst_rng rng;
  uint32_t i, t;
  if (!bench_icount_ok()) return 1;
  bench_empty_ticks = ~0u;
  for (i = 0; i < 8; ++i) { /* the smallest of a few: where the tick edges fall varies */
    BENCH_TIME(t, (void)0);
    if (t < bench_empty_ticks) bench_empty_ticks = t;
  }
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
  printf("Cortex-%s, __ARM_FEATURE_DSP=%d (SIMD paths); ", cpu, (int)__ARM_FEATURE_DSP);
#else
  printf("Cortex-%s, no __ARM_FEATURE_DSP (portable C paths); ", cpu);
#endif
  printf(
      "QEMU -icount shift=3, %u instructions per counter tick, the empty measurement "
      "(%lu ticks) subtracted\n\n",
      INSNS_PER_TICK, (unsigned long)bench_empty_ticks);
  tst_seed(&rng, 20);
  printf("Instructions per MAC (sparse: per dense MAC of the layer), by block sparsity\n");
  printf("%-30s %8s %7s %6s | %-24s | %s\n", "", "", "dense", "", "sparse (blk: block size)",
         "speed-up over fast dense");
  printf("%-30s %8s %7s %6s | blk %6s %6s %6s | %6s %6s %6s\n", "layer", "MACs", "ref", "fast",
         "50%", "75%", "90%", "50%", "75%", "90%");
  for (i = 0; i < sizeof bench_layers / sizeof bench_layers[0]; ++i)
    bench_layer_run(&rng, &bench_layers[i]);
  printf("\nSoftmax attention, c = cv = 48, MACs = n m (c + cv); instructions per MAC\n");
  printf("%-30s %8s %7s %6s   %s\n", "", "MACs", "ref", "fast", "speed-up");
  bench_attention(&rng, 49, 48, 2);
  bench_attention(&rng, 49, 48, 4);
  bench_attention(&rng, 196, 48, 2);
  bench_attention(&rng, 196, 48, 4);
  printf("\nResidual add; instructions per element\n");
  printf("%-30s %8s %7s %6s   %s\n", "", "elements", "ref", "fast", "speed-up");
  bench_add(&rng, 14 * 14 * 48);
  printf("\nLayerNorm; instructions per element\n");
  printf("%-30s %8s %7s %6s   %s\n", "", "elements", "ref", "fast", "speed-up");
  bench_layer_norm(&rng, 196, 48);
  if (bench_failures) {
    printf("\n%d FAILURES: a kernel differs from the reference (see FAIL lines)\n", bench_failures);
    return 1;
  }
  printf("\nevery kernel timed is bit-exact with the reference on the same data\n");
  return 0;
}
