/* tinynas int8 runtime, internal: coded 1x1 convs and linear layers at high sparsity,
 * weights-stationary per output channel (the sweep).
 *
 * The tile walk of tnn_sparse.c parses every row of the stream once per four output
 * pixels, and each row costs about 27 instructions there besides its blocks and its
 * requantization: most of a row's time when it holds one or two stored blocks. The sweep
 * parses each row once, keeps its blocks' weights in registers, and runs them over all
 * the pixels, reading the int8 input in place (one word per block and pixel, SXTB16
 * pairs; the input offset is folded into the bias): per output about 5 instructions a
 * block plus the requantization. It needs no scratch.
 *
 * It applies to blocks of 4 or 2 over rows of a multiple of the block (no short last
 * block), 1x1 convs of stride 1 without padding or groups and linear layers, when the
 * stream holds at most TNN_SWEEP_MAX_BLOCKS_X2 / 2 (blocks of 4) or TNN_SWEEP2_MAX_BLOCKS_X2
 * / 2 (blocks of 2) stored blocks per row on average: beyond, the tile walk's int16 columns
 * (two values per load) win. A block of 2 is read as a halfword ORed with itself shifted
 * by 8, so that SXTB16 pairs its two values. The cost model's latency features
 * take the same decision (src/cost/latency.cpp, kSweepMaxBlocksX2; a test compares them). */
#ifndef TNN_SPARSE_SWEEP_H
#define TNN_SPARSE_SWEEP_H

#include "tnn_sparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Stored blocks per two rows at most, blocks of 4 and of 2 (a block of 2 costs less in
 * the sweep, 4 instructions a pixel, and rows hold twice as many). */
#define TNN_SWEEP_MAX_BLOCKS_X2 3
#define TNN_SWEEP2_MAX_BLOCKS_X2 5

/* Whether the sweep takes a layer of `rows` output channels, `row_len` values a row, over
 * the coded stream `w` (1x1 stride-1 unpadded ungrouped conv, or linear: the caller's
 * test). */
int tnn_sweep_applies(const tnn_rle_weights* w, int32_t rows, int32_t row_len);

/* The layer: pixels x in_c int8 input (channels innermost), rows output channels. */
typedef struct {
  const int8_t* input;
  int32_t pixels, in_c, input_offset, output_offset;
  tnn_activation activation;
  const tnn_rle_weights* filter; /* rows x in_c, blocks of 4 */
  const int32_t* bias;           /* NULL: none */
  const tnn_per_channel_quant* quant;
  int8_t* output; /* pixels x rows */
  int32_t rows;
} tnn_sweep_layer;

void tnn_sparse_sweep(const tnn_sweep_layer* l);

#ifdef __cplusplus
}
#endif

#endif /* TNN_SPARSE_SWEEP_H */
