// The small conv space of the strategy and predictor tests (nsga2, mobo, predictor): a
// chain of conv choice blocks (kernel 1, 3 or 5) on 8x8 single-channel images, 2 classes,
// and an accuracy that is a formula of the genome, so a search or a fit runs in
// milliseconds without a supernet.
#pragma once

#include <cmath>
#include <string>

#include "tinynas/nas/strategy.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::nas::tiny {

inline space::SupernetLayout conv_layout(int blocks, int channels = 4) {
  const std::string text = R"(
id: tiny
name: tiny conv chain
hyper:
  c: {choices: [)" + std::to_string(channels) + "], default: " + std::to_string(channels) + R"(}
stages:
  - name: s
    blocks:
      - {choice: conv, out: $c, repeat: )" + std::to_string(blocks) + R"(}
head:
  - {type: gap}
choices:
  conv:
    letter: C
    candidates:
      - {type: conv, kernel: [1, 3, 5], stride: 1}
)";
  const auto def = space::parse_space(text, "tiny.yaml");
  return space::make_layout(def, space::default_supernet(def), {1, 8, 8}, 2);
}

/// Block i's capacity (1 + candidate) * (1 - sparsity) buys accuracy with a concave return
/// at weight 1 + i; a pruned block of 4 keeps 97% of it (blocks of 4 prune coarser).
/// In [0, 1], 1 for every block at its largest candidate, dense.
inline double accuracy(const Genome& g, int blocks) {
  double acc = 0, norm = 0;
  for (int i = 0; i < blocks; ++i) {
    const auto& b = g.sparse.at(i);
    const double cap = (1 + g.arch.at(i)) * (1 - b.percent / 100.0);
    acc += (1 + i) * std::sqrt(cap) * (b.percent > 0 && b.block == 4 ? 0.97 : 1.0);
    norm += (1 + i) * std::sqrt(3.0);
  }
  return acc / norm;
}

}  // namespace tinynas::nas::tiny
