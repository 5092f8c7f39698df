/* Cortex-M program of an exported model, for QEMU's MPS2 boards: the Cortex-M7 build
 * (mps2-an500) and the Cortex-M4 build (mps2-an386), both linked with mps2.ld, both
 * with startup_m7.c. main_host.c's program, with its files, output and exit status through
 * semihosting.
 *
 *   qemu-system-arm -M mps2-an500 -nographic -icount shift=3 \
 *     -semihosting-config enable=on,target=native,arg=model_m7.elf,arg=IMAGES[,arg=COUNT] \
 *     -kernel build/model_m7.elf                             (`make run-m7 IMAGES=...`;
 *                                                             `make run-m4`: -M mps2-an386)
 *
 * Command line (semihosting): [--profile] [IMAGES [COUNT]]. IMAGES (TNN_IMAGES_FILE when
 * not given) is opened on the host, relative to QEMU's working directory: raw int8 HWC
 * images, APP_MODEL_INPUT_SIZE bytes each. COUNT classifies at most the first COUNT
 * images. Output, on QEMU's stdout:
 *
 *   image <i>: class <c> logits <l0> <l1> ...     as main_host.c prints it, then
 *   icount <n>                                     instructions of that tnn_model_invoke
 *   op <k> <kind> icount <n>                       --profile only: one line per op k (in
 *   ...                                            execution order), kind as tnn_op_kind
 *                                                  names it (conv, linear, add, ...)
 *   ...
 *   invoke_stack <bytes>                           once, at the end: the deepest stack
 *                                                  tnn_model_invoke used (all images)
 *
 * With --profile the program also prints, once before the first image,
 *
 *   profile_overhead <n>                           instructions of an empty measurement,
 *                                                  subtracted from each op's count
 *
 * and runs every image twice: tnn_model_invoke as without it (the `icount` line), then,
 * the image read again, tnn_model_invoke_ops with a hook that reads the counter before and
 * after each op (the `op` lines; the same logits). An op's count is its ticks times the
 * instructions per tick minus profile_overhead: the op's kernel and its dispatch in the
 * interpreter, to within one tick. The ops' counts add up to the `icount` line but for
 * the interpreter's loop between ops (about ten instructions per op).
 *
 * Exit status (QEMU's own): 0 success, 1 usage, 2 an unreadable or malformed IMAGES file
 * or a model the runtime rejects, 3 an inference that failed; a CPU fault exits with 1
 * after printing "fatal: ..." (startup_m7.c).
 *
 * Instruction counts. QEMU does not model the core's pipeline, caches or DWT (DWT_CYCCNT
 * reads 0); with `-icount shift=S` its virtual clock instead advances exactly 2^S ns per
 * executed instruction. The board's FPGAIO COUNTER (0x40028018, prescaler 0; the same on
 * both boards) counts that clock at 25 MHz, i.e. one tick per 40 ns = 40 / 2^S
 * instructions. `icount` is the tick difference across the tnn_model_invoke call times
 * 40 / 2^S: the instructions executed from one counter read to the other, which is the
 * whole inference plus about ten instructions of call and reads, to within one tick (5
 * instructions at S = 3, the default; 40 at S = 0: where the tick edges fall moves the
 * same work by one tick from image to image). It is deterministic: it does not depend on
 * the host. It is an instruction count, not cycles (a real M7 dual-issues, and both cores
 * wait on memory). The program is built for one S (TNN_ICOUNT_SHIFT, the Makefile's
 * ICOUNT_SHIFT, 0..3) and checks it at start-up against a loop of known length; run
 * without -icount, or with another shift, it prints a `note:` line and no icount or op
 * lines.
 *
 * Stack: before each inference the free stack below the caller is filled with a
 * pattern; `invoke_stack` is the depth of the lowest word found changed afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_model.h"
#include "tnn_model.h"
#include "tnn_model_format.h"

#ifndef TNN_IMAGES_FILE
#define TNN_IMAGES_FILE "images.bin"
#endif
#ifndef TNN_ICOUNT_SHIFT
#define TNN_ICOUNT_SHIFT 3
#endif
#if TNN_ICOUNT_SHIFT < 0 || TNN_ICOUNT_SHIFT > 3
#error "TNN_ICOUNT_SHIFT must be 0..3 (instructions per 25 MHz tick: 40 >> shift)"
#endif
#define TNN_INSNS_PER_TICK (40u >> TNN_ICOUNT_SHIFT)

/* The tensor arena (no malloc); the linker script puts it in its own section, .tnn_arena. Not
 * static, so that the symbol and its size show in nm and the map file. */
uint32_t tnn_arena[APP_MODEL_ARENA_SIZE / 4];

/* ---- timing: the MPS2 FPGAIO counter ------------------------------------------------- */

#define FPGAIO_COUNTER (*(volatile uint32_t*)0x40028018u)  /* counts up at 25 MHz / (PRESCALE + 1) */
#define FPGAIO_PRESCALE (*(volatile uint32_t*)0x4002801Cu)

/* 2 * n instructions (n >= 1). */
static void spin(uint32_t n) {
  __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

/* Whether the counter advances one tick per TNN_INSNS_PER_TICK instructions. */
static int icount_check(uint32_t* measured, uint32_t* expected) {
  const uint32_t n = 200000;
  uint32_t t0, t1;
  spin(n); /* translated once before it is timed */
  t0 = FPGAIO_COUNTER;
  spin(n);
  t1 = FPGAIO_COUNTER;
  *measured = t1 - t0;
  *expected = 2 * n / TNN_INSNS_PER_TICK;
  return *measured >= *expected && *measured <= *expected + 4;
}

/* ---- per-op profile ------------------------------------------------------------------- */

/* Counter ticks of each op of the last hooked inference. */
typedef struct {
  uint32_t start;
  uint32_t ticks[APP_MODEL_OP_COUNT];
} tnn_profile;

static tnn_profile profile;

/* tnn_op_hook: each call reads the counter first; an op's ticks run from its
 * TNN_HOOK_BEFORE call's read to its TNN_HOOK_AFTER call's. */
static void profile_hook(void* user, int32_t op, int32_t phase) {
  tnn_profile* p = (tnn_profile*)user;
  const uint32_t now = FPGAIO_COUNTER;
  if (phase == TNN_HOOK_BEFORE)
    p->start = now;
  else
    p->ticks[op] = now - p->start;
}

/* Instructions one measurement adds to an op's count: the mean over many empty
 * measurements (a tick is several instructions), the hook called through a pointer as
 * tnn_model_invoke_ops calls it. */
static uint32_t profile_overhead(void) {
  enum { REPEAT = 256 };
  tnn_op_hook volatile hook = profile_hook;
  uint32_t ticks = 0, k;
  for (k = 0; k < REPEAT; ++k) {
    hook(&profile, 0, TNN_HOOK_BEFORE);
    hook(&profile, 0, TNN_HOOK_AFTER);
    ticks += profile.ticks[0];
  }
  return (ticks * TNN_INSNS_PER_TICK + REPEAT / 2) / REPEAT;
}

/* tnn_op_kind's names. */
static const char* op_kind_name(int32_t kind) {
  static const char* const names[TNN_OP_KIND_COUNT] = {
      "conv",     "linear",          "add",      "max_pool",   "avg_pool",         "mixed_pool",
      "global_avg_pool", "seq_pool", "layer_norm", "attention_softmax", "attention_relu_linear"};
  return kind >= 0 && kind < TNN_OP_KIND_COUNT ? names[kind] : "unknown";
}

/* ---- stack depth ---------------------------------------------------------------------- */

extern uint32_t __stack_limit[];  /* mps2.ld */
#define STACK_PATTERN 0x5a17c0deu

static uintptr_t stack_pointer(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

/* Fills the stack below this function's frame with the pattern. */
static __attribute__((noinline)) void stack_paint(void) {
  volatile uint32_t* p = __stack_limit;
  const uintptr_t sp = stack_pointer();
  while ((uintptr_t)p < sp) *p++ = STACK_PATTERN;
}

/* The lowest address written since stack_paint. */
static uintptr_t stack_low_water(void) {
  const volatile uint32_t* p = __stack_limit;
  while (*p == STACK_PATTERN) ++p;
  return (uintptr_t)p;
}

/* ---- output ----------------------------------------------------------------------------- */

static void print_u64(uint64_t v) {
  char buf[24];
  int i = (int)sizeof buf - 1;
  buf[i] = '\0';
  do {
    buf[--i] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0);
  fputs(buf + i, stdout);
}

static const char* status_name(tnn_status s) {
  switch (s) {
    case TNN_OK: return "TNN_OK";
    case TNN_ERR_ARG: return "TNN_ERR_ARG (a null pointer or an out-of-range parameter)";
    case TNN_ERR_SHAPE: return "TNN_ERR_SHAPE (dimensions that do not fit together)";
    case TNN_ERR_BUFFER: return "TNN_ERR_BUFFER (arena or scratch buffer too small)";
    case TNN_ERR_MODEL: return "TNN_ERR_MODEL (corrupt or unsupported model data)";
    case TNN_ERR_UNSUPPORTED: return "TNN_ERR_UNSUPPORTED (not supported by this build)";
  }
  return "unknown status";
}

static int parse_count(const char* text, long* count) {
  char* end = NULL;
  errno = 0;
  *count = strtol(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && *count >= 0;
}

static void print_signed(int64_t v) {
  if (v < 0) fputs("-", stdout);
  print_u64(v < 0 ? (uint64_t)-v : (uint64_t)v);
}

/* Image `index` of the file into the model's input. */
static int read_image(FILE* f, long index, int8_t* input) {
  return fseek(f, index * (long)APP_MODEL_INPUT_SIZE, SEEK_SET) == 0 &&
         fread(input, 1, APP_MODEL_INPUT_SIZE, f) == (size_t)APP_MODEL_INPUT_SIZE;
}

/* The hooked inference of --profile and its `op` lines. */
static tnn_status run_profiled(const tnn_model* model, uint32_t overhead) {
  int32_t k;
  const tnn_status st =
      tnn_model_invoke_ops(model, tnn_arena, (int32_t)sizeof tnn_arena, profile_hook, &profile);
  if (st != TNN_OK) return st;
  for (k = 0; k < model->op_count; ++k) {
    printf("op %ld %s icount ", (long)k, op_kind_name(model->ops[TNN_OP_WORDS * k + TNN_OPR_KIND]));
    print_signed((int64_t)profile.ticks[k] * TNN_INSNS_PER_TICK - (int64_t)overhead);
    fputs("\n", stdout);
  }
  return TNN_OK;
}

int main(int argc, char** argv) {
  const char* prog = argc > 0 ? argv[0] : "model_m7.elf";
  const char* path = TNN_IMAGES_FILE;
  long limit = -1, size, images, i;
  FILE* f;
  tnn_model model;
  tnn_status st;
  int8_t* input;
  const int8_t* output;
  uint32_t measured, expected, overhead = 0;
  int timed, profiling = 0, arg = 1;
  uintptr_t deepest = 0;

  if (arg < argc && strcmp(argv[arg], "--profile") == 0) profiling = 1, ++arg;
  if (arg < argc) path = argv[arg++];
  if (arg < argc && parse_count(argv[arg], &limit)) ++arg;
  if (arg < argc) {
    fprintf(stderr,
            "usage: %s [--profile] [IMAGES [COUNT]]   (the semihosting command line; IMAGES "
            "defaults to %s)\n",
            prog, TNN_IMAGES_FILE);
    return 1;
  }

  FPGAIO_PRESCALE = 0;
  timed = icount_check(&measured, &expected);
  if (!timed)
    printf("note: no instruction counts: %lu timer ticks for a loop that takes %lu under "
           "-icount shift=%d (run QEMU with -icount shift=%d)\n",
           (unsigned long)measured, (unsigned long)expected, TNN_ICOUNT_SHIFT, TNN_ICOUNT_SHIFT);

  st = tnn_model_init(&model, APP_MODEL_DATA, (uint32_t)sizeof APP_MODEL_DATA);
  if (st != TNN_OK) {
    fprintf(stderr, "%s: model %s: tnn_model_init failed with status %d: %s\n", prog,
            APP_MODEL_NAME, (int)st, status_name(st));
    return 2;
  }
  if (tnn_model_arena_size(&model) > (int32_t)sizeof tnn_arena ||
      tnn_model_input_size(&model) != APP_MODEL_INPUT_SIZE ||
      tnn_model_output_size(&model) != APP_MODEL_OUTPUT_SIZE ||
      model.op_count != APP_MODEL_OP_COUNT) {
    fprintf(stderr,
            "%s: model %s: the model data (arena %ld B, input %ld, output %ld, %ld ops) does "
            "not match " APP_MODEL_HEADER " (arena %ld B, input %ld, output %ld, %ld ops)\n",
            prog, APP_MODEL_NAME, (long)tnn_model_arena_size(&model),
            (long)tnn_model_input_size(&model), (long)tnn_model_output_size(&model),
            (long)model.op_count, (long)sizeof tnn_arena, (long)APP_MODEL_INPUT_SIZE,
            (long)APP_MODEL_OUTPUT_SIZE, (long)APP_MODEL_OP_COUNT);
    return 2;
  }

  f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s: cannot open (through semihosting, relative to QEMU's working "
                    "directory)\n", prog, path);
    return 2;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "%s: %s: cannot determine the file size\n", prog, path);
    fclose(f);
    return 2;
  }
  if (size % APP_MODEL_INPUT_SIZE != 0) {
    fprintf(stderr,
            "%s: %s: size %ld bytes is not a multiple of the image size %ld bytes "
            "(int8 HWC %s)\n",
            prog, path, size, (long)APP_MODEL_INPUT_SIZE, APP_MODEL_NAME);
    fclose(f);
    return 2;
  }
  images = size / APP_MODEL_INPUT_SIZE;
  if (limit >= 0 && limit < images) images = limit;
  if (profiling && timed) {
    overhead = profile_overhead();
    fputs("profile_overhead ", stdout);
    print_u64(overhead);
    fputs("\n", stdout);
  }

  input = tnn_model_input(&model, tnn_arena);
  output = tnn_model_output(&model, tnn_arena);
  for (i = 0; i < images; ++i) {
    uint32_t t0, t1;
    uintptr_t top, low;
    int32_t k;
    if (!read_image(f, i, input)) {
      fprintf(stderr, "%s: %s: read error at image %ld\n", prog, path, i);
      fclose(f);
      return 2;
    }
    stack_paint();
    top = stack_pointer();
    t0 = FPGAIO_COUNTER;
    st = tnn_model_invoke(&model, tnn_arena, (int32_t)sizeof tnn_arena);
    t1 = FPGAIO_COUNTER;
    low = stack_low_water();
    if (top > low && top - low > deepest) deepest = top - low;
    if (st != TNN_OK) {
      fprintf(stderr, "%s: image %ld: tnn_model_invoke failed with status %d: %s\n", prog, i,
              (int)st, status_name(st));
      fclose(f);
      return 3;
    }
    printf("image %ld: class %ld logits", i,
           (long)tnn_argmax_s8(output, APP_MODEL_OUTPUT_SIZE));
    for (k = 0; k < APP_MODEL_OUTPUT_SIZE; ++k) printf(" %d", (int)output[k]);
    printf("\n");
    if (timed) {
      fputs("icount ", stdout);
      print_u64((uint64_t)(t1 - t0) * TNN_INSNS_PER_TICK);
      fputs("\n", stdout);
    }
    if (profiling && timed) {
      /* the input tensor's bytes may have been reused by a later op: read it again */
      if (!read_image(f, i, input)) {
        fprintf(stderr, "%s: %s: read error at image %ld\n", prog, path, i);
        fclose(f);
        return 2;
      }
      st = run_profiled(&model, overhead);
      if (st != TNN_OK) {
        fprintf(stderr, "%s: image %ld: the profiled tnn_model_invoke_ops failed with status "
                        "%d: %s\n", prog, i, (int)st, status_name(st));
        fclose(f);
        return 3;
      }
    }
  }
  fclose(f);
  if (images > 0) printf("invoke_stack %lu\n", (unsigned long)deepest);
  fflush(stdout);
  return 0;
}
