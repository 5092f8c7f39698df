#include "tnn_transformer.h"
#include "tnn_transformer_internal.h"

/* Generated once with double math (Python):
 *   T_hi = [round(32768 * math.exp(-i / 4)) for i in range(64)]
 *   T_lo = [round(32768 * math.exp(-j / 256)) for j in range(64)]
 * (no entry is within 1e-6 of a tie, so the rounding mode does not matter); tnn_exp_hi2 is
 * 2 * tnn_exp_hi (a test checks it). */
const uint16_t tnn_exp_hi[64] = {
    32768, 25520, 19875, 15479, 12055, 9388, 7312, 5694, 4435, 3454,
    2690,  2095,  1631,  1271,  990,   771,  600,  467,  364,  283,
    221,   172,   134,   104,   81,    63,   49,   38,   30,   23,
    18,    14,    11,    9,     7,     5,    4,    3,    2,    2,
    1,     1,     1,     1,     1,     0,    0,    0,    0,    0,
    0,     0,     0,     0,     0,     0,    0,    0,    0,    0,
    0,     0,     0,     0};

const uint16_t tnn_exp_lo[64] = {
    32768, 32640, 32513, 32386, 32260, 32134, 32009, 31884, 31760, 31636,
    31513, 31390, 31267, 31146, 31024, 30903, 30783, 30663, 30543, 30424,
    30305, 30187, 30070, 29952, 29836, 29719, 29603, 29488, 29373, 29259,
    29144, 29031, 28918, 28805, 28693, 28581, 28469, 28358, 28248, 28138,
    28028, 27919, 27810, 27701, 27593, 27486, 27379, 27272, 27166, 27060,
    26954, 26849, 26744, 26640, 26536, 26433, 26330, 26227, 26125, 26023,
    25922, 25821, 25720, 25620};

const uint32_t tnn_exp_hi2[64] = {
    65536, 51040, 39750, 30958, 24110, 18776, 14624, 11388, 8870, 6908,
    5380,  4190,  3262,  2542,  1980,  1542,  1200,  934,   728,  566,
    442,   344,   268,   208,   162,   126,   98,    76,    60,   46,
    36,    28,    22,    18,    14,    10,    8,     6,     4,    4,
    2,     2,     2,     2,     2,     0,     0,     0,     0,    0,
    0,     0,     0,     0,     0,     0,     0,     0,     0,    0,
    0,     0,     0,     0};

int32_t tnn_exp_neg_q15(int32_t u) {
  if (u < 0) u = 0;
  if (u >= 4096) return 0;
  /* both factors <= 2^15: the product fits int32 */
  return ((int32_t)tnn_exp_hi[u >> 6] * (int32_t)tnn_exp_lo[u & 63] + 16384) >> 15;
}

int32_t tnn_softmax_q15_numerators(int32_t* s, int32_t n, const tnn_quant* score) {
  int32_t i, max = s[0], sum = 0;
  for (i = 1; i < n; ++i) max = s[i] > max ? s[i] : max;
  for (i = 0; i < n; ++i) {
    s[i] = tnn_exp_neg_q15(tnn_requantize(max - s[i], score->multiplier, score->shift));
    sum += s[i];
  }
  return sum;
}
