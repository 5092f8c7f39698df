/* libFuzzer target for the sparse weight stream (built with clang, ASan and UBSan):
 * tnn_rle_validate must never read outside the stream, and every stream it accepts must
 * drive the sparse linear kernel to exactly what the dense reference computes on the
 * decoded weights. Input: 3 bytes of shape (rows, row length, block), then the stream. */
#include <stdlib.h>
#include <string.h>

#include "tnn_sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int32_t rows, row_len, block, bpr, t, i;
  uint8_t* stream;
  tnn_rle_weights w;
  if (size < 3 || size > 4096) return 0;
  rows = 1 + data[0] % 12;
  row_len = 1 + data[1] % 40;
  block = 1 + data[2] % 6;
  /* an exact-size copy, so the sanitizer sees any read past the end */
  stream = (uint8_t*)malloc(size - 3 ? size - 3 : 1);
  memcpy(stream, data + 3, size - 3);
  w.data = stream;
  w.size = (int32_t)(size - 3);
  w.block = block;
  if (tnn_rle_validate(&w, rows, row_len) == TNN_OK) {
    /* decode by hand (an independent reader of the format) and compare kernels */
    int8_t dense_w[12 * 40], x[2 * 40], out_dense[2 * 12], out_sparse[2 * 12];
    int32_t mult[12], shift[12];
    const uint32_t n = (uint32_t)stream[0] | ((uint32_t)stream[1] << 8) |
                       ((uint32_t)stream[2] << 16) | ((uint32_t)stream[3] << 24);
    int32_t next = 0;
    uint32_t e;
    bpr = (row_len + block - 1) / block;
    memset(dense_w, 0, sizeof dense_w);
    for (e = 0; e < n; ++e) {
      const uint8_t* entry = stream + 4 + e * (uint32_t)(1 + block);
      const int32_t blk = next + entry[0];
      const int32_t r = blk / bpr, off = (blk % bpr) * block;
      for (i = 0; i < block && off + i < row_len; ++i)
        dense_w[r * row_len + off + i] = (int8_t)entry[1 + i];
      next = blk + 1;
    }
    for (t = 0; t < 2 * row_len; ++t) x[t] = (int8_t)(t * 37 - 100);
    for (i = 0; i < rows; ++i) {
      mult[i] = 1 << 30;
      shift[i] = -6;
    }
    {
      const tnn_per_channel_quant q = {mult, shift};
      const tnn_linear_params p = {3, -1, {-128, 127}};
      const tnn_dims in_d = {1, 2, 1, row_len}, f_d = {rows, 1, 1, row_len}, out_d = {1, 2, 1, rows};
      int32_t scratch[2 * 40]; /* the sparse kernel's 8 * row_len bytes */
      const tnn_context ctx = {scratch, tnn_linear_sparse_s8_get_buffer_size(&f_d)};
      if (ctx.size > (int32_t)sizeof scratch) abort();
      if (tnn_linear_s8_ref(0, &p, &q, &in_d, x, &f_d, dense_w, 0, &out_d, out_dense) != TNN_OK ||
          tnn_linear_sparse_s8(&ctx, &p, &q, &in_d, x, &f_d, &w, 0, &out_d, out_sparse) != TNN_OK ||
          memcmp(out_dense, out_sparse, (size_t)(2 * rows)) != 0)
        abort();
    }
  }
  free(stream);
  return 0;
}
