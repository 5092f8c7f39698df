// Initialisation policies applied to a whole model after it is built.
#pragma once

#include <torch/torch.h>

namespace tinynas::nn {

/// Sets to zero the scale (gamma) of the last BatchNorm of every residual branch under
/// `root`, so that each residual block starts as its shortcut: an InvertedResidual with a
/// residual (its "project"), ResidualBlock ("conv2"), Bottleneck ("conv3") and a residual
/// HytVit (both "fuse_x" and "fuse_t"). Non-residual blocks are left as they are. Returns
/// the number of BatchNorms it zeroed.
///
/// Why: in a single-path one-shot supernet every block holds several independently
/// initialised candidates, and a step trains one of them per block. Started at full scale,
/// each candidate adds its own random transform to the residual stream, so what later
/// blocks and the classifier see changes from step to step and the supernet can fail to
/// learn at all (measured on the HyT-NAS space: loss stuck at ln 10). Started at zero,
/// every path is the same function at step 0 and the candidates grow from it (Goyal et
/// al. 2017; torchvision's zero_init_residual).
int zero_init_residual(torch::nn::Module& root);

}  // namespace tinynas::nn
