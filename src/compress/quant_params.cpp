#include "tinynas/compress/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tinynas/core/error.h"

namespace tinynas::compress {

std::int8_t QParams::quantize(double x) const {
  const double q = std::round(x / scale) + zero_point;
  return std::int8_t(std::clamp(q, -128.0, 127.0));
}

QParams choose_qparams(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
    throw core::Error("quantization range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "] is not a finite interval");
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QParams p;
  // A constant-zero tensor: any scale represents it; keep 1/255 so multipliers stay sane.
  // Ranges narrower than 255e-8 are widened: a scale that small only makes requantization
  // factors the runtime cannot represent, for no resolution anyone needs.
  p.scale = std::max(hi > lo ? (hi - lo) / 255.0 : 1.0 / 255.0, 1e-8);
  p.zero_point = std::int32_t(std::clamp(std::round(-128.0 - lo / p.scale), -128.0, 127.0));
  return p;
}

double Requant::value() const { return std::ldexp(double(multiplier), shift - 31); }

Requant quantize_multiplier(double real) {
  if (!(real >= 0) || !std::isfinite(real))
    throw core::Error("requantization factor " + std::to_string(real) + " is not a finite value >= 0");
  if (real < std::ldexp(1.0, -32)) return {};
  int exp = 0;
  const double frac = std::frexp(real, &exp);
  auto q = std::int64_t(std::llround(frac * double(1LL << 31)));
  if (q == (1LL << 31)) {
    q /= 2;
    ++exp;
  }
  if (exp > 30)
    throw core::Error("requantization factor " + std::to_string(real) +
                      " is too large for the runtime (shift > 30)");
  return {std::int32_t(q), exp};
}

ChannelWeights quantize_per_channel(const std::vector<float>& weights, std::int64_t rows,
                                    std::int64_t row_len) {
  if (rows < 0 || row_len < 0 || std::int64_t(weights.size()) != rows * row_len)
    throw core::Error("quantize_per_channel: " + std::to_string(weights.size()) +
                      " weights are not " + std::to_string(rows) + " x " +
                      std::to_string(row_len));
  ChannelWeights out;
  out.values.resize(weights.size());
  out.scales.resize(std::size_t(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* w = weights.data() + r * row_len;
    double m = 0;
    for (std::int64_t i = 0; i < row_len; ++i) m = std::max(m, std::fabs(double(w[i])));
    const double scale = m > 0 ? m / 127.0 : 1.0 / 127.0;
    out.scales[std::size_t(r)] = scale;
    for (std::int64_t i = 0; i < row_len; ++i)
      out.values[std::size_t(r * row_len + i)] =
          std::int8_t(std::clamp(std::round(double(w[i]) / scale), -127.0, 127.0));
  }
  return out;
}

std::int32_t quantize_bias(double x, double scale) {
  const double q = std::round(x / scale);
  constexpr double lo = std::numeric_limits<std::int32_t>::min();
  constexpr double hi = std::numeric_limits<std::int32_t>::max();
  return std::int32_t(std::clamp(q, lo, hi));
}

}  // namespace tinynas::compress
