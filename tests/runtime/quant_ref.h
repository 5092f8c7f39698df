// Test-side quantization helpers: real multipliers to (multiplier, shift) as TFLite does,
// and double-precision reference math to compare the integer kernels with.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tnn_types.h"

namespace tinynas::testing {

struct Multiplier {
  std::int32_t multiplier = 0;
  std::int32_t shift = 0;
  /// The value it represents exactly: multiplier * 2^(shift - 31).
  double value() const { return std::ldexp(double(multiplier), shift - 31); }
};

/// m = frac * 2^exp, frac in [0.5, 1) → multiplier = round(frac * 2^31), shift = exp.
inline Multiplier quantize_multiplier(double m) {
  if (m == 0) return {};
  int exp = 0;
  const double frac = std::frexp(m, &exp);
  auto q = static_cast<std::int64_t>(std::llround(frac * double(1LL << 31)));
  if (q == (1LL << 31)) {
    q /= 2;
    ++exp;
  }
  if (exp < -31) return {};
  return {static_cast<std::int32_t>(q), exp};
}

/// Round half away from zero (the runtime's rounding).
inline std::int64_t round_away(double x) { return static_cast<std::int64_t>(std::llround(x)); }

inline std::int32_t clamp8(std::int64_t v, std::int32_t lo = -128, std::int32_t hi = 127) {
  return static_cast<std::int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

inline std::vector<std::int8_t> random_int8(std::size_t n, std::mt19937& gen) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(d(gen));
  return v;
}

// Per-output-channel requantization for weights of random scales.
struct ChannelQuant {
  std::vector<double> real;  // input_scale * weight_scale[c] / output_scale
  std::vector<std::int32_t> mult, shift;
  ChannelQuant(int channels, std::mt19937& gen) {
    std::uniform_real_distribution<double> d(std::log(2e-4), std::log(2e-2));
    for (int c = 0; c < channels; ++c) {
      const auto q = quantize_multiplier(std::exp(d(gen)));
      real.push_back(q.value());
      mult.push_back(q.multiplier);
      shift.push_back(q.shift);
    }
  }
  tnn_per_channel_quant view() const { return {mult.data(), shift.data()}; }
};

}  // namespace tinynas::testing
