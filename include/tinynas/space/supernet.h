// The weight-sharing supernet (SPOS) and the standalone subnets extracted from it.
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::space {

/// Every candidate of every choice block, plus the fixed stem, head and classifier.
/// forward(x, arch) runs exactly one path: only that path's parameters take part in the
/// graph, so only they receive gradients.
/// Parameter names: "stem.<i>.*", "blocks.<flat>.<candidate>.*", "head.<i>.*",
/// "classifier.*".
class SupernetImpl : public torch::nn::Module {
 public:
  explicit SupernetImpl(SupernetLayout layout, const BlockRegistry& registry = builtin_blocks());

  /// x: (B, C, H, W) images of the layout's input shape → (B, classes) logits.
  torch::Tensor forward(torch::Tensor x, const Arch& arch);

  const SupernetLayout& layout() const { return layout_; }
  /// The modules of one candidate (for copying weights, masks, ...).
  std::shared_ptr<torch::nn::Module> candidate(int flat, int index) const;
  /// Parameters that a path uses (stem, its candidates, head, classifier).
  std::vector<torch::Tensor> path_parameters(const Arch& arch) const;

 private:
  SupernetLayout layout_;
  torch::nn::ModuleList stem_, head_;
  torch::nn::ModuleList blocks_;  // blocks_[flat] is a ModuleList of candidates
  torch::nn::AnyModule classifier_;
  std::vector<torch::nn::AnyModule> stem_fwd_, head_fwd_;
  std::vector<std::vector<torch::nn::AnyModule>> cand_fwd_;
};
TORCH_MODULE(Supernet);

/// A standalone single-path model. Parameter names: "stem.<i>.*", "blocks.<flat>.*",
/// "head.<i>.*", "classifier.*".
class SubnetImpl : public torch::nn::Module {
 public:
  SubnetImpl(const SupernetLayout& layout, Arch arch,
             const BlockRegistry& registry = builtin_blocks());
  torch::Tensor forward(torch::Tensor x);
  const Arch& arch() const { return arch_; }

 private:
  Arch arch_;
  torch::nn::ModuleList stem_, blocks_, head_;
  torch::nn::AnyModule classifier_;
  std::vector<torch::nn::AnyModule> fwd_;
};
TORCH_MODULE(Subnet);

/// Builds the subnet of `arch` and copies its parameters and buffers (BatchNorm running
/// statistics included) from the supernet, so both give the same eval output.
Subnet extract_subnet(Supernet& supernet, const Arch& arch,
                      const BlockRegistry& registry = builtin_blocks());

}  // namespace tinynas::space
