/* Support of the kernel tester (kernel_tester.c) and the kernel bench (bench/m7_kernels.c):
 * a PRNG, a bump allocator over a static arena, random int8 data, random requantization
 * that the model validation (tnn_model.c) would accept, block pruning at an exact count,
 * and a C encoder / decoder of the run-length coded weights of tnn_sparse.h.
 *
 * C99 without malloc or float, so that the same code runs on the host and on a
 * Cortex-M under QEMU (newlib-nano's printf has no float and no 64-bit formats). */
#ifndef TST_TARGET_SUPPORT_H
#define TST_TARGET_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tnn_nn.h"

/* ---- PRNG (splitmix64): the same sequence on every platform -------------------------- */

typedef struct {
  uint64_t state;
} tst_rng;

void tst_seed(tst_rng* r, uint64_t seed);
uint32_t tst_next(tst_rng* r);
/* Uniform in [lo, hi] (lo <= hi). */
int32_t tst_int(tst_rng* r, int32_t lo, int32_t hi);
/* 1 with probability percent / 100. */
int tst_chance(tst_rng* r, int32_t percent);

/* ---- memory: a bump allocator over caller-owned storage ------------------------------ */

typedef struct {
  uint8_t* base;
  size_t size, used;
} tst_arena;

void tst_arena_init(tst_arena* a, void* base, size_t size);
/* `bytes` at an address that is `misalign` bytes past a multiple of 8 (misalign in 0..7),
 * or NULL when the arena is full. */
void* tst_alloc(tst_arena* a, size_t bytes, size_t misalign);

/* ---- data ------------------------------------------------------------------------------ */

/* How int8 data is drawn: uniform over [-128, 127], only the extremes -128 and 127, or
 * small values in [-3, 3] (many zeros). */
typedef enum { TST_UNIFORM = 0, TST_EXTREMES = 1, TST_SMALL = 2 } tst_fill_mode;

tst_fill_mode tst_pick_fill(tst_rng* r);
void tst_fill_s8(tst_rng* r, int8_t* p, int32_t n, tst_fill_mode mode);
/* Uniform over [-128, 127] without 0: after block pruning exactly the pruned blocks are
 * zero. */
void tst_fill_nonzero_s8(tst_rng* r, int8_t* p, int32_t n);

/* An input offset (-zero point) in [-127, 128] and an output offset in [-128, 127], the
 * extremes drawn often. */
int32_t tst_input_offset(tst_rng* r);
int32_t tst_output_offset(tst_rng* r);
/* No clamp, ReLU (min = the output zero point) or a random range. */
tnn_activation tst_activation(tst_rng* r, int32_t output_offset);

/* ---- requantization the model validation accepts (tnn_model.c) ------------------------ */

/* Upper bound of |tnn_requantize(x, multiplier, shift)| over |x| <= bound, as
 * tnn_model.c computes it. */
int64_t tst_requant_bound(int64_t bound, int32_t multiplier, int32_t shift);

/* Per output channel of a conv or linear layer whose accumulators sum k products:
 * multiplier and shift (realistic for k, sometimes extreme: 0, 2^30, 2^31 - 1, shifts far
 * left or right) and, when bias != NULL, a bias (small, sometimes large), redrawn until
 * tnn_model.c's accumulator bound holds (|bias| + 32768 k within int32, the requantized
 * bound + 128 too). */
void tst_channel_quant(tst_rng* r, int32_t channels, int64_t k, int32_t* multiplier, int32_t* shift,
                       int32_t* bias);

/* A per-tensor step: multiplier in [2^30, 2^31) (sometimes 0 or an extreme), shift
 * around `shift` (+- spread, clamped to [-31, 30]). */
tnn_quant tst_quant_near(tst_rng* r, int32_t shift, int32_t spread);

/* Random tnn_add_params that tnn_model.c's add check accepts. */
tnn_add_params tst_add_params(tst_rng* r);

/* ---- block pruning and the coded weights (tnn_sparse.h) -------------------------------- */

/* Blocks of a rows x row_len tensor: rows * ceil(row_len / block). */
int32_t tst_block_count(int32_t rows, int32_t row_len, int32_t block);
/* Zero blocks for a sparsity of `percent` %: round half up, as the pruner
 * (cost::pruned_blocks). */
int32_t tst_pruned_blocks(int32_t n_blocks, int32_t percent);
/* Zeroes exactly `zero_blocks` of the tensor's blocks, chosen uniformly at random
 * (selection sampling, no index array). */
void tst_prune_blocks(tst_rng* r, int8_t* w, int32_t rows, int32_t row_len, int32_t block,
                      int32_t zero_blocks);
/* Zeroes the blocks [first, first + count) (clipped to the tensor): a long run of zero
 * blocks, coded with filler entries when longer than 255. */
void tst_zero_block_run(int8_t* w, int32_t rows, int32_t row_len, int32_t block, int32_t first,
                        int32_t count);

/* Bytes the coding of a rows x row_len tensor can take at most (every block stored, plus
 * fillers). */
int32_t tst_rle_max_bytes(int32_t rows, int32_t row_len, int32_t block);
/* The coded bytes of `w` in `out` (capacity `cap`), exactly the exporter's format
 * (include/tinynas/cost/sparse_coding.h: every non-zero block stored, runs of more than
 * 255 zero blocks bridged by fillers d = 255 + an all-zero block). Returns the byte count,
 * or -1 when cap is too small. */
int32_t tst_rle_encode(const int8_t* w, int32_t rows, int32_t row_len, int32_t block, uint8_t* out,
                       int32_t cap);
/* The dense weights of a coded stream (the inverse of tst_rle_encode), written
 * independently of the runtime's walk; 0, or -1 for a malformed stream. */
int tst_rle_decode(const uint8_t* data, int32_t size, int32_t rows, int32_t row_len, int32_t block,
                   int8_t* w);

/* ---- output buffers with guard bytes ------------------------------------------------------ */

#define TST_GUARD 16
#define TST_GUARD_BYTE 0x5a

/* Fills n bytes with `fill` and the TST_GUARD bytes behind them with TST_GUARD_BYTE. */
void tst_guard_init(void* p, int32_t n, uint8_t fill);
/* Whether the guard bytes behind n bytes are intact. */
int tst_guard_ok(const void* p, int32_t n);

#endif /* TST_TARGET_SUPPORT_H */
