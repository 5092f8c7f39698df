// The arithmetic of INT8 post-training quantization (TinyFormer III-C-3, after Jacob et al.
// and TensorFlow Lite): how real ranges become int8 scales and zero points, weights
// become int8 per output channel, biases int32, and real rescaling factors the runtime's
// fixed-point (multiplier, shift) pairs. The runtime (src/runtime/tnn_math.h) applies
// them; this file only chooses them, so both sides agree on the representation:
// multiplier * 2^(shift - 31) with multiplier in [2^30, 2^31) (or 0).
#pragma once

#include <cstdint>
#include <vector>

namespace tinynas::compress {

/// An asymmetric int8 quantization: real = scale * (q - zero_point), q in [-128, 127].
struct QParams {
  double scale = 1.0;         ///< > 0
  std::int32_t zero_point = 0;  ///< in [-128, 127]

  /// The real value of q.
  double dequantize(std::int32_t q) const { return scale * double(q - zero_point); }
  /// round(x / scale) + zero_point clamped to [-128, 127].
  std::int8_t quantize(double x) const;
};

/// The int8 parameters covering [lo, hi] widened to include 0 (so real 0, e.g. padding,
/// is exact): scale = (hi' - lo') / 255, zero_point = round(-128 - lo' / scale). An
/// all-zero range gets scale 1/255; scales stay >= 1e-8. Throws core::Error on non-finite bounds or lo > hi.
QParams choose_qparams(double lo, double hi);

/// A real factor in fixed point: value() = multiplier * 2^(shift - 31).
struct Requant {
  std::int32_t multiplier = 0;
  std::int32_t shift = 0;
  double value() const;
};

/// The (multiplier, shift) nearest to `real` >= 0 (TFLite's QuantizeMultiplier): frexp, a
/// 31-bit mantissa rounded to nearest. Factors below 2^-32 become 0; factors needing a
/// shift above 30 throw core::Error (no int8 op needs them). Relative error <= 2^-31.
Requant quantize_multiplier(double real);

/// Weights quantized symmetrically per output channel (dimension 0 of `rows` x `row_len`
/// values): scale[o] = max|w_o| / 127, q = round(w / scale[o]) in [-127, 127]. A channel
/// of zeros (fully pruned) gets scale 1/127 and zero weights. Zeros stay exactly zero, so
/// pruned blocks remain pruned.
struct ChannelWeights {
  std::vector<std::int8_t> values;  ///< rows x row_len, same order as the input
  std::vector<double> scales;       ///< one per row
};
ChannelWeights quantize_per_channel(const std::vector<float>& weights, std::int64_t rows,
                                    std::int64_t row_len);

/// round(x / scale) saturated to int32 (a bias in the accumulator's scale).
std::int32_t quantize_bias(double x, double scale);

}  // namespace tinynas::compress
