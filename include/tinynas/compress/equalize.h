// Activation equalization before calibration (after Nagel et al., "Data-Free Quantization
// through Weight Equalization and Bias Correction", 2019, applied to activation ranges).
//
// Activations are int8 per tensor, so a channel whose values span a small part of its
// tensor's range gets few levels. In an inverted residual, BatchNorm folding leaves such a
// channel of the expansion's output in front of huge depthwise weights (its variance was
// tiny): one input step times a weight of ~100 is an output error of whole units, and a
// pruned, fine-tuned subnet can lose points of accuracy to it. Scaling that channel up by
// s (the producer's output row and bias times s) and the depthwise filter that reads it
// down by s computes the same function when the producer's activation is ReLU or none
// (ReLU(s x) = s ReLU(x) for s > 0), and gives the channel the tensor's full range. The
// depthwise filter is quantized per channel, so dividing it costs nothing. The same holds
// in front of a dense conv or linear, where the division costs that layer's weights some
// resolution: there the scale is the geometric mean of the two (equalize_activations).
#pragma once

#include <vector>

#include <torch/types.h>

#include "tinynas/compress/float_graph.h"

namespace tinynas::compress {

/// A producer (conv or linear) whose output feeds only a conv or linear.
struct EqualizePair {
  int producer = -1;  ///< op index
  int consumer = -1;  ///< op index of the conv (depthwise or dense) or linear
  int tensor = -1;    ///< the tensor between them
};

/// Every such pair of `graph`, in graph order.
std::vector<EqualizePair> equalization_pairs(const space::Graph& graph);

/// Scales each pair's channels up: in front of a depthwise conv every channel with a
/// nonzero maximum reaches the largest channel maximum of its tensor (factors capped at
/// `max_scale`); in front of a dense layer by the geometric-mean rule (equalize.cpp).
/// `channel_max[t]` is tensor t's per-channel max |value| over calibration images (C
/// values; undefined for tensors not in a pair). Returns the number of channels scaled.
int equalize_activations(FloatGraph& graph, const std::vector<EqualizePair>& pairs,
                         const std::vector<torch::Tensor>& channel_max, double max_scale = 1e4);

/// Per-channel max |value| of the pairs' tensors over `images` (normalized, B x C x H x W),
/// folded into `channel_max` (indexed by tensor; sized by the first call).
void observe_channel_max(const FloatGraph& graph, const std::vector<EqualizePair>& pairs,
                         const torch::Tensor& images, std::vector<torch::Tensor>& channel_max);

}  // namespace tinynas::compress
