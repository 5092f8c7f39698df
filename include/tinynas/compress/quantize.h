// INT8 post-training quantization (TinyFormer III-C-3): the float graph (BatchNorm already
// folded, float_graph.h) and its calibrated ranges (calibration.h) to the int8 IR
// (quant_model.h). Choices, each the standard one unless the paper says otherwise:
//  - activations: int8 asymmetric per tensor from the calibrated range (quant_params.h);
//    pools keep their input's quantization (a max or mean of values stays in their range),
//    so they need no requantization;
//  - weights: int8 symmetric per output channel; biases int32 in the accumulator's scale;
//  - residual adds: both inputs rescaled to a common scale with 20 bits of headroom, then
//    to the output (TFLite's add);
//  - LayerNorm: Scaled-LayerNorm, normalized values x 2^7 in int16, gamma int8 per
//    channel, beta in the int16·gamma scale, the 2^-7 folded into the requantization;
//  - softmax (attention, SeqPool): exp from the runtime's lookup table on score
//    differences rescaled to 1/256 units;
//  - ReLU-linear attention: relu(k)ᵀv kept in int16 at a calibrated scale, the 1/N folded
//    into the output requantization.
#pragma once

#include "tinynas/compress/calibration.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/quant_model.h"

namespace tinynas::compress {

/// Quantizes `graph` with the ranges of `calibration`; the input image tensor uses `input`
/// (from the dataset's normalization: every pixel value is representable). Throws
/// core::Error when a tensor has no calibrated range.
QuantizedModel quantize(const FloatGraph& graph, const CalibrationResult& calibration,
                        const QParams& input);

/// The input quantization covering normalized pixels in [0, 1] of every channel:
/// [min_c (0 - mean_c) / std_c, max_c (1 - mean_c) / std_c].
QParams input_qparams(const std::vector<float>& mean, const std::vector<float>& std);

}  // namespace tinynas::compress
