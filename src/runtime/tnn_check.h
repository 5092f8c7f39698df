/* Argument checks shared by the kernels (internal). */
#ifndef TNN_CHECK_H
#define TNN_CHECK_H

#include "tnn_nn.h"

/* The little-endian uint32 at p, any alignment (a coded stream's entry count). */
static inline uint32_t tnn_read_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

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

/* Parameters and shapes of a conv (tnn_conv_s8 and its sparse twin): TNN_ERR_ARG for
 * missing or out-of-range parameters, TNN_ERR_SHAPE for dims that do not fit. */
static inline tnn_status tnn_conv_check(const tnn_conv_params* p, const tnn_per_channel_quant* q,
                                        const tnn_dims* in_d, const tnn_dims* f_d,
                                        const tnn_dims* out_d) {
  if (!p || !q || !q->multiplier || !q->shift || !tnn_dims_ok(in_d) || !tnn_dims_ok(f_d) ||
      !tnn_dims_ok(out_d) || in_d->n != 1 || out_d->n != 1 || !tnn_activation_ok(&p->activation) ||
      p->groups < 1)
    return TNN_ERR_ARG;
  if (in_d->c % p->groups != 0 || out_d->c % p->groups != 0 || f_d->n != out_d->c ||
      f_d->c != in_d->c / p->groups ||
      out_d->h != tnn_window_out(in_d->h, f_d->h, p->stride.h, p->padding.h) ||
      out_d->w != tnn_window_out(in_d->w, f_d->w, p->stride.w, p->padding.w))
    return TNN_ERR_SHAPE;
  return TNN_OK;
}

/* Parameters and shapes of a per-token linear layer (dense and sparse). */
static inline tnn_status tnn_linear_check(const tnn_linear_params* p,
                                          const tnn_per_channel_quant* q, const tnn_dims* in_d,
                                          const tnn_dims* f_d, const tnn_dims* out_d) {
  if (!p || !q || !q->multiplier || !q->shift || !tnn_dims_ok(in_d) || !tnn_dims_ok(f_d) ||
      !tnn_dims_ok(out_d) || !tnn_activation_ok(&p->activation))
    return TNN_ERR_ARG;
  if (f_d->n != out_d->c || f_d->h * f_d->w * f_d->c != in_d->c ||
      out_d->n * out_d->h * out_d->w != in_d->n * in_d->h * in_d->w)
    return TNN_ERR_SHAPE;
  return TNN_OK;
}

#endif /* TNN_CHECK_H */
