/* Argument checks shared by the kernels (internal). */
#ifndef TNN_CHECK_H
#define TNN_CHECK_H

#include "tnn_types.h"

static inline int tnn_dims_ok(const tnn_dims* d) {
  return d && d->n >= 1 && d->h >= 1 && d->w >= 1 && d->c >= 1;
}

static inline int tnn_activation_ok(const tnn_activation* a) {
  return a->min >= -128 && a->max <= 127 && a->min <= a->max;
}

/* Output size of a window op along one axis, or -1 when the window never fits. */
static inline int32_t tnn_window_out(int32_t in, int32_t kernel, int32_t stride, int32_t pad) {
  if (kernel < 1 || stride < 1 || pad < 0 || in + 2 * pad < kernel) return -1;
  return (in + 2 * pad - kernel) / stride + 1;
}

#endif /* TNN_CHECK_H */
