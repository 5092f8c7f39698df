#include "target_support.h"

#include <string.h>

/* ---- PRNG ---------------------------------------------------------------------------- */

void tst_seed(tst_rng* r, uint64_t seed) { r->state = seed; }

uint32_t tst_next(tst_rng* r) {
  uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

int32_t tst_int(tst_rng* r, int32_t lo, int32_t hi) {
  /* multiply-shift: no modulo bias worth mentioning, no division */
  const uint64_t range = (uint64_t)((int64_t)hi - lo + 1);
  return (int32_t)(lo + (int64_t)(((uint64_t)tst_next(r) * range) >> 32));
}

int tst_chance(tst_rng* r, int32_t percent) { return tst_int(r, 0, 99) < percent; }

/* ---- memory ------------------------------------------------------------------------------ */

void tst_arena_init(tst_arena* a, void* base, size_t size) {
  a->base = (uint8_t*)base;
  a->size = size;
  a->used = 0;
}

void* tst_alloc(tst_arena* a, size_t bytes, size_t misalign) {
  const uintptr_t start = (uintptr_t)(a->base + a->used);
  const uintptr_t at = ((start + 7u) & ~(uintptr_t)7u) + (misalign & 7u);
  const size_t end = (size_t)(at - (uintptr_t)a->base) + bytes;
  if (end > a->size) return NULL;
  a->used = end;
  return (void*)at;
}

/* ---- data ---------------------------------------------------------------------------------- */

tst_fill_mode tst_pick_fill(tst_rng* r) {
  const int32_t x = tst_int(r, 0, 99);
  return x < 70 ? TST_UNIFORM : (x < 85 ? TST_EXTREMES : TST_SMALL);
}

void tst_fill_s8(tst_rng* r, int8_t* p, int32_t n, tst_fill_mode mode) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    switch (mode) {
      case TST_EXTREMES:
        p[i] = (int8_t)(tst_next(r) & 1u ? 127 : -128);
        break;
      case TST_SMALL:
        p[i] = (int8_t)tst_int(r, -3, 3);
        break;
      default:
        p[i] = (int8_t)tst_int(r, -128, 127);
        break;
    }
  }
}

void tst_fill_nonzero_s8(tst_rng* r, int8_t* p, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t v = tst_int(r, -128, 126);
    p[i] = (int8_t)(v >= 0 ? v + 1 : v);
  }
}

int32_t tst_input_offset(tst_rng* r) {
  const int32_t x = tst_int(r, 0, 9);
  return x < 2 ? -127 : (x < 4 ? 128 : tst_int(r, -127, 128));
}

int32_t tst_output_offset(tst_rng* r) {
  const int32_t x = tst_int(r, 0, 9);
  return x < 2 ? -128 : (x < 4 ? 127 : tst_int(r, -128, 127));
}

tnn_activation tst_activation(tst_rng* r, int32_t output_offset) {
  tnn_activation a;
  const int32_t x = tst_int(r, 0, 9);
  if (x < 4) {
    a.min = -128, a.max = 127;
  } else if (x < 7) {
    a.min = output_offset, a.max = 127;
  } else {
    const int32_t u = tst_int(r, -128, 127), v = tst_int(r, -128, 127);
    a.min = u < v ? u : v, a.max = u < v ? v : u;
  }
  return a;
}

/* ---- requantization ---------------------------------------------------------------------- */

int64_t tst_requant_bound(int64_t bound, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  int64_t scaled = bound << left;
  if (scaled > ((int64_t)1 << 31)) scaled = (int64_t)1 << 31;
  return ((((scaled * multiplier) >> 31) + 1) >> right) + 1;
}

static int32_t tst_multiplier(tst_rng* r) {
  const int32_t x = tst_int(r, 0, 99);
  if (x < 3) return 0;
  if (x < 7) return INT32_C(1) << 30;
  if (x < 11) return INT32_MAX;
  return tst_int(r, INT32_C(1) << 30, INT32_MAX);
}

static int32_t tst_clamp_shift(int32_t s) { return s < -31 ? -31 : (s > 30 ? 30 : s); }

static int32_t tst_log2(int64_t k) {
  int32_t b = 0;
  while (k > 1) k >>= 1, ++b;
  return b;
}

static int tst_accumulator_ok(int64_t bias, int32_t multiplier, int32_t shift, int64_t k) {
  const int64_t acc = (bias < 0 ? -bias : bias) + 32768 * k;
  return acc <= INT32_MAX && tst_requant_bound(acc, multiplier, shift) <= INT32_MAX - 128;
}

void tst_channel_quant(tst_rng* r, int32_t channels, int64_t k, int32_t* multiplier, int32_t* shift,
                       int32_t* bias) {
  /* A product of two uniform int8 values has a standard deviation of about 2^12.4, a sum
   * of k of them 2^12.4 * sqrt(k): a real factor of about 2^-6 / sqrt(k) spreads the
   * outputs over the int8 range. */
  const int32_t base = -5 - tst_log2(k) / 2;
  const int64_t big = (int64_t)INT32_MAX - 32768 * k - 256;
  int32_t c;
  for (c = 0; c < channels; ++c) {
    int32_t m = 0, s = 0, attempt;
    int64_t b = 0;
    for (attempt = 0; attempt < 32; ++attempt) {
      m = tst_multiplier(r);
      s = tst_chance(r, 10) ? tst_int(r, -31, 6) : tst_clamp_shift(base + tst_int(r, -3, 3));
      b = 0;
      if (bias)
        b = tst_chance(r, 15) && big > 0 ? tst_int(r, -(int32_t)big, (int32_t)big)
                                         : tst_int(r, -70000, 70000);
      if (tst_accumulator_ok(b, m, s, k)) break;
    }
    if (attempt == 32) m = INT32_C(1) << 30, s = base, b = 0; /* always valid */
    multiplier[c] = m;
    shift[c] = s;
    if (bias) bias[c] = (int32_t)b;
  }
}

tnn_quant tst_quant_near(tst_rng* r, int32_t shift, int32_t spread) {
  tnn_quant q;
  q.multiplier = tst_multiplier(r);
  q.shift = tst_clamp_shift(shift + tst_int(r, -spread, spread));
  return q;
}

/* tnn_model.c's add check: each input's rescaled value and their sum within int32, the
 * requantized sum plus the output offset too. */
static int tst_add_ok(const tnn_add_params* p) {
  const int64_t in = (int64_t)255 << p->left_shift;
  const int64_t b1 = tst_requant_bound(in, p->input1.multiplier, p->input1.shift);
  const int64_t b2 = tst_requant_bound(in, p->input2.multiplier, p->input2.shift);
  return b1 + b2 <= INT32_MAX &&
         tst_requant_bound(b1 + b2, p->output.multiplier, p->output.shift) <= INT32_MAX - 128;
}

tnn_add_params tst_add_params(tst_rng* r) {
  tnn_add_params p;
  int32_t attempt;
  p.input1_offset = tst_input_offset(r);
  p.input2_offset = tst_input_offset(r);
  p.output_offset = tst_output_offset(r);
  p.activation = tst_activation(r, p.output_offset);
  for (attempt = 0; attempt < 32; ++attempt) {
    const int extreme = tst_chance(r, 15);
    /* TFLite's choice: 20 bits of headroom, inputs scaled by s_i / (2 max s) <= 1/2, the
     * sum by 2 max s / (2^20 s_out) */
    p.left_shift = tst_chance(r, 60) ? 20 : tst_int(r, 0, 20);
    p.input1 = tst_quant_near(r, extreme ? -14 : -1, extreme ? 17 : 2);
    p.input2 = tst_quant_near(r, extreme ? -14 : -1, extreme ? 17 : 2);
    p.output = tst_quant_near(r, 2 - p.left_shift, extreme ? 12 : 3);
    if (tst_add_ok(&p)) return p;
  }
  p.left_shift = 20;
  p.input1.multiplier = p.input2.multiplier = p.output.multiplier = INT32_C(1) << 30;
  p.input1.shift = p.input2.shift = -1;
  p.output.shift = -18;
  return p;
}

/* ---- block pruning and the coding ------------------------------------------------------ */

int32_t tst_block_count(int32_t rows, int32_t row_len, int32_t block) {
  return rows * ((row_len + block - 1) / block);
}

int32_t tst_pruned_blocks(int32_t n_blocks, int32_t percent) {
  return (int32_t)(((int64_t)percent * n_blocks * 2 + 100) / 200);
}

static void tst_zero_block(int8_t* w, int32_t row_len, int32_t block, int32_t bpr, int32_t id) {
  const int32_t row = id / bpr, start = (id % bpr) * block;
  const int32_t end = start + block < row_len ? start + block : row_len;
  memset(w + (int64_t)row * row_len + start, 0, (size_t)(end - start));
}

void tst_prune_blocks(tst_rng* r, int8_t* w, int32_t rows, int32_t row_len, int32_t block,
                      int32_t zero_blocks) {
  const int32_t bpr = (row_len + block - 1) / block, n = rows * bpr;
  int32_t id, need = zero_blocks;
  for (id = 0; id < n && need > 0; ++id)
    if (tst_int(r, 0, n - id - 1) < need) {
      tst_zero_block(w, row_len, block, bpr, id);
      --need;
    }
}

void tst_zero_block_run(int8_t* w, int32_t rows, int32_t row_len, int32_t block, int32_t first,
                        int32_t count) {
  const int32_t bpr = (row_len + block - 1) / block, n = rows * bpr;
  int32_t id;
  for (id = first; id < n && id < first + count; ++id) tst_zero_block(w, row_len, block, bpr, id);
}

int32_t tst_rle_max_bytes(int32_t rows, int32_t row_len, int32_t block) {
  const int32_t n = tst_block_count(rows, row_len, block);
  return 4 + (n + n / 256 + 1) * (1 + block);
}

int32_t tst_rle_encode(const int8_t* w, int32_t rows, int32_t row_len, int32_t block, uint8_t* out,
                       int32_t cap) {
  const int32_t bpr = (row_len + block - 1) / block, n = rows * bpr;
  int32_t id, run = 0, size = 4, j;
  uint32_t stored = 0;
  for (id = 0; id < n; ++id) {
    const int32_t row = id / bpr, start = (id % bpr) * block;
    const int32_t len = row_len - start < block ? row_len - start : block;
    const int8_t* v = w + (int64_t)row * row_len + start;
    int nonzero = 0;
    for (j = 0; j < len; ++j) nonzero |= v[j] != 0;
    if (!nonzero) {
      ++run;
      continue;
    }
    for (; run > 255; run -= 256) { /* filler: 255 skipped blocks and an all-zero block */
      if (size + 1 + block > cap) return -1;
      out[size] = 255;
      memset(out + size + 1, 0, (size_t)block);
      size += 1 + block;
      ++stored;
    }
    if (size + 1 + block > cap) return -1;
    out[size] = (uint8_t)run;
    for (j = 0; j < block; ++j) out[size + 1 + j] = (uint8_t)(j < len ? v[j] : 0);
    size += 1 + block;
    ++stored;
    run = 0;
  }
  if (cap < 4) return -1;
  for (j = 0; j < 4; ++j) out[j] = (uint8_t)(stored >> (8 * j));
  return size;
}

int tst_rle_decode(const uint8_t* data, int32_t size, int32_t rows, int32_t row_len, int32_t block,
                   int8_t* w) {
  const int32_t bpr = (row_len + block - 1) / block, n = rows * bpr;
  uint32_t count, e;
  int32_t next = 0, j;
  if (size < 4) return -1;
  count = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
          (uint32_t)data[3] << 24;
  if ((int64_t)count * (1 + block) != (int64_t)size - 4) return -1;
  memset(w, 0, (size_t)rows * (size_t)row_len);
  for (e = 0; e < count; ++e) {
    const uint8_t* entry = data + 4 + (int64_t)e * (1 + block);
    const int32_t id = next + entry[0];
    int32_t row, start, len;
    if (id >= n) return -1;
    row = id / bpr;
    start = (id % bpr) * block;
    len = row_len - start < block ? row_len - start : block;
    for (j = 0; j < block; ++j) {
      if (j < len)
        w[(int64_t)row * row_len + start + j] = (int8_t)entry[1 + j];
      else if (entry[1 + j] != 0)
        return -1;
    }
    next = id + 1;
  }
  return 0;
}

/* ---- guards ------------------------------------------------------------------------------- */

void tst_guard_init(void* p, int32_t n, uint8_t fill) {
  memset(p, fill, (size_t)n);
  memset((uint8_t*)p + n, TST_GUARD_BYTE, TST_GUARD);
}

int tst_guard_ok(const void* p, int32_t n) {
  const uint8_t* g = (const uint8_t*)p + n;
  int32_t i;
  for (i = 0; i < TST_GUARD; ++i)
    if (g[i] != TST_GUARD_BYTE) return 0;
  return 1;
}
