/* The int8 matrix multiplication behind the dense conv and linear kernels (internal).
 *
 * Rows of k activations (an im2col'd receptive field, a 1x1 conv's input pixel, a token)
 * times n filter rows of k int8 weights, requantized per output channel: for each row a
 * and channel c,
 *   out[c] = tnn_output_s8(bias[c] + sum_i (a[i] + input_offset) * filter[c * k + i], ...)
 * exactly as the reference kernels compute it (sums within int32, the model validation's
 * bound).
 *
 * A row is first widened into the scratch as int16 with the input offset added (|a[i] +
 * input_offset| <= 255), in "pair order": each group of four activations x0 x1 x2 x3 is
 * stored x0 x2 x1 x3, the order in which SXTB16 splits a word of four weights into two
 * pairs, so the inner loop multiplies two words of activations by one word of weights
 * without repacking, and needs no register for the offset; the k % 4 last activations
 * follow in order. Widening costs about 1.75 instructions per activation on the M7, once
 * per row, against 2 * n multiply-accumulates with it. (Kept as int8 and widened in the
 * inner loop with SXTAB16, a 2 x 2 tile needs 15 to 16 live registers and GCC spills:
 * about 27 instructions per 16 multiply-accumulates instead of 20.) Rows come in pairs so
 * that each weight word serves two rows and each activation word two channels (2 x 2
 * tiles); rows are int16-aligned.
 *
 * Without the DSP extension (the host, or TNN_NO_DSP) rows are in natural order and the
 * loops are plain C: emulating SXTB16 and SMLAD lane by lane made the host's int8 scoring
 * (PTQ, verify) spend most of its time here, while compilers vectorize the plain loops
 * (PMADDWD on x86: 45 -> 26 s for the quickstart's PTQ). The DSP form is checked bit for
 * bit on the M7 and M4 (the target.kernels_* tests), this one on the host. */
#ifndef TNN_MAT_MULT_H
#define TNN_MAT_MULT_H

#include "tnn_types.h"

typedef struct {
  const int8_t* filter;       /* [n][k] */
  const int32_t* bias;        /* [n], or NULL for none */
  const int32_t* multiplier;  /* [n] */
  const int32_t* shift;       /* [n] */
  int32_t n, k;               /* channels >= 1, row length >= 1 */
  int32_t output_offset;
  tnn_activation activation;
  /* how outputs are made (tnn_math.h): tnn_rq_layer_kind of the layer, computed once by
   * the caller; TNN_RQ_SLOW (0, as zero-initialised) is tnn_output_s8 and always right */
  int rq_kind;
} tnn_mat_mult_args;

/* k int8 activations to a row (k int16, pair order with the DSP extension) with input_offset in [-127, 128]
 * added. src may be (const int8_t*)row + k (the row's own upper half): the widening
 * never overwrites an activation it has still to read. */
void tnn_mat_mult_row_s16(const int8_t* src, int32_t k, int32_t input_offset, int16_t* row);

/* out0[c] from row a0 and out1[c] from row a1 (rows of m->k, as tnn_mat_mult_row_s16 writes them), c in [0, n);
 * a1 == NULL: row a0 only (out1 is not touched). */
void tnn_mat_mult_s8(const tnn_mat_mult_args* m, const int16_t* a0, const int16_t* a1,
                     int8_t* out0, int8_t* out1);

/* out[c] for a row whose every activation is the input zero point (a padding pixel of a
 * 1x1 conv): the bias alone, requantized. */
void tnn_mat_mult_bias_only_s8(const tnn_mat_mult_args* m, int8_t* out);

#endif /* TNN_MAT_MULT_H */
