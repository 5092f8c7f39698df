// Evaluating single paths of a weight-sharing supernet: BatchNorm recalibration (running
// statistics re-estimated for the path, since training mixed many paths into them) and
// top-1 accuracy, both sharded over the ranks of a DistributedGroup.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "tinynas/data/loader.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/distributed.h"

namespace tinynas::train {

/// Where batches go: device, memory format.
struct Placement {
  torch::Device device{torch::kCPU};
  bool channels_last = false;
  bool amp = false;  // CUDA autocast (bfloat16) around forward passes
};

/// train.channels_last ("auto", "true" or "false") on `device`: auto is on for a CPU, whose
/// oneDNN convolutions and BatchNorm run NHWC without reordering (the quickstart's step
/// 1.3x faster), and off on CUDA, where it has not been measured.
bool use_channels_last(const std::string& setting, const torch::Device& device);

/// Lays out `module`'s 4-d parameters (convolution weights) channels-last, values unchanged.
void make_channels_last(torch::nn::Module& module);

/// A batch as (images NCHW float, labels int64) tensors on `place.device`.
std::pair<torch::Tensor, torch::Tensor> to_tensors(const data::Batch& batch,
                                                   const Placement& place);

/// A model run in a fixed configuration (e.g. one supernet path).
using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

/// The BatchNorm layers (1d and 2d) under `root` whose qualified names start with one of
/// `prefixes` (all of them when `prefixes` is empty).
std::vector<std::shared_ptr<torch::nn::Module>> batch_norms(
    torch::nn::Module& root, const std::vector<std::string>& prefixes = {});

/// Name prefixes of the modules a supernet path runs: stem, its candidates, head,
/// classifier.
std::vector<std::string> path_prefixes(const space::SupernetLayout& layout,
                                       const space::Arch& arch);

/// Resets the running statistics of `norms` and re-estimates them as the plain average
/// over the first `batches` batches of `loader`'s epoch `epoch` (train mode, no
/// gradients); then averages them over ranks so every rank evaluates the same model.
/// Leaves `model` in eval mode and each layer's momentum as it was.
void recalibrate_bn(torch::nn::Module& model, const std::vector<std::shared_ptr<torch::nn::Module>>& norms,
                    const Forward& forward, data::BatchLoader& loader, std::int64_t epoch,
                    int batches, const Placement& place, DistributedGroup& group);

struct EvalResult {
  std::int64_t correct = 0;
  std::int64_t total = 0;
  double loss_sum = 0;  // cross-entropy (no smoothing) summed over images
  double accuracy() const { return total ? double(correct) / double(total) : 0.0; }
  double loss() const { return total ? loss_sum / double(total) : 0.0; }
};

/// Top-1 accuracy over one epoch of `loader` (eval mode, no gradients), summed over ranks.
/// The loader should not pad (LoaderOptions::pad_to_world = false) so every image counts
/// once.
EvalResult evaluate(torch::nn::Module& model, const Forward& forward, data::BatchLoader& loader,
                    const Placement& place, DistributedGroup& group);

}  // namespace tinynas::train
