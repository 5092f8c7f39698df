#include "tinynas/nn/init.h"

#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/nn/hyt_vit.h"

namespace tinynas::nn {
namespace {

int zero_scale(const ConvBnAct& unit) {
  if (!unit || !unit->bn) return 0;
  unit->bn->weight.zero_();
  return 1;
}

}  // namespace

int zero_init_residual(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  int zeroed = 0;
  for (const auto& m : root.modules()) {
    if (auto* b = m->as<InvertedResidualImpl>()) {
      if (b->has_residual()) zeroed += zero_scale(b->project);
    } else if (auto* b = m->as<ResidualBlockImpl>()) {
      zeroed += zero_scale(b->conv2);
    } else if (auto* b = m->as<BottleneckImpl>()) {
      zeroed += zero_scale(b->conv3);
    } else if (auto* b = m->as<HytVitImpl>()) {
      if (b->options.residual()) zeroed += zero_scale(b->fuse_x) + zero_scale(b->fuse_t);
    }
  }
  return zeroed;
}

}  // namespace tinynas::nn
