// BatchNorm folding for int8 deployment (TinyFormer III-C): in inference a BatchNorm is an
// affine map per channel, so it merges into the conv or linear next to it and never runs on
// the MCU (space/graph.h: "BatchNorm is folded ... so it is never an op"). Folding scales
// weights by a non-zero factor per channel, so pruned (zero) blocks stay zero.
//
// With s = gamma / sqrt(running_var + eps) per channel (computed in double, then cast back
// to the weight's dtype):
//  - a norm AFTER the layer (conv/linear → BN over its outputs):
//      w'[o, ...] = w[o, ...] * s[o]          b'[o] = (b[o] - mean[o]) * s[o] + beta[o]
//  - a norm BEFORE a linear (BN over its input features, as in a pre-norm encoder):
//      w'[o, i] = w[o, i] * s[i]              b'[o] = b[o] + sum_i w[o, i] * (beta[i] - mean[i] * s[i])
// A missing bias counts as zero; the folded layer always has one.
#pragma once
#include <torch/types.h>

#include "tinynas/nn/conv.h"

namespace tinynas::compress {

struct FoldedParams {
  torch::Tensor weight;  ///< same shape, dtype and device as the layer's weight
  torch::Tensor bias;    ///< one per output channel
};

/// A BatchNorm's inference statistics and affine parameters (all of one channel count).
struct NormStats {
  torch::Tensor gamma, beta, mean, var;
  double eps = 1e-5;
};
NormStats norm_stats(const torch::nn::BatchNorm2dImpl& bn);
NormStats norm_stats(const torch::nn::BatchNorm1dImpl& bn);

/// Norm after the layer; `weight` is [out, ...] (conv or linear), `bias` may be undefined.
/// Throws core::Error when the norm's channel count is not the layer's output count.
FoldedParams fold_output_norm(const torch::Tensor& weight, const torch::Tensor& bias,
                              const NormStats& norm);

/// Norm before a linear [out, in]; the norm has `in` channels.
FoldedParams fold_input_norm(const torch::Tensor& weight, const torch::Tensor& bias,
                             const NormStats& norm);

/// A ConvBnAct's conv with its BatchNorm folded in (its own weight and bias when it has no
/// BatchNorm). The ReLU stays a separate (fused) activation.
FoldedParams fold_conv_bn(const nn::ConvBnActImpl& block);

}  // namespace tinynas::compress
