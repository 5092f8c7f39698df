#include "tinynas/space/supernet.h"

#include <torch/nn/modules/linear.h>

#include "chain.h"
#include "tinynas/core/error.h"
#include "tinynas/nn/pool.h"

namespace tinynas::space {
namespace {

using torch::nn::AnyModule;

AnyModule build(const BlockArgs& a, const BlockRegistry& registry) {
  try {
    return registry.at(a.type).build(a);
  } catch (const c10::Error& e) {
    throw core::Error(a.where + ": cannot build " + a.summary() + ": " + e.what_without_backtrace());
  }
}

AnyModule classifier(const SupernetLayout& l) {
  return AnyModule(nn::Classifier(nn::ClassifierOptions(l.features, l.classes)));
}

torch::Tensor run_fixed(std::vector<AnyModule>& mods, torch::Tensor x) {
  for (auto& m : mods) x = m.forward(x);
  return x;
}

}  // namespace

SupernetImpl::SupernetImpl(SupernetLayout layout, const BlockRegistry& registry)
    : layout_(std::move(layout)) {
  stem_ = register_module("stem", torch::nn::ModuleList());
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  head_ = register_module("head", torch::nn::ModuleList());
  for (const auto& a : layout_.stem) {
    stem_fwd_.push_back(build(a, registry));
    stem_->push_back(stem_fwd_.back().ptr());
  }
  for (int flat = 0; flat < layout_.num_choice_blocks(); ++flat) {
    torch::nn::ModuleList cands;
    std::vector<AnyModule> fwd;
    for (const auto& a : layout_.block(flat).candidates) {
      fwd.push_back(build(a, registry));
      cands->push_back(fwd.back().ptr());
    }
    blocks_->push_back(cands);
    cand_fwd_.push_back(std::move(fwd));
  }
  for (const auto& a : layout_.head) {
    head_fwd_.push_back(build(a, registry));
    head_->push_back(head_fwd_.back().ptr());
  }
  classifier_ = classifier(layout_);
  register_module("classifier", classifier_.ptr());
}

torch::Tensor SupernetImpl::forward(torch::Tensor x, const Arch& arch) {
  check_arch(arch, layout_);
  x = run_fixed(stem_fwd_, x);
  const std::vector<int> path = arch.flat();
  for (std::size_t i = 0; i < path.size(); ++i) x = cand_fwd_[i][std::size_t(path[i])].forward(x);
  x = run_fixed(head_fwd_, x);
  return classifier_.forward(x);
}

std::shared_ptr<torch::nn::Module> SupernetImpl::candidate(int flat, int index) const {
  return cand_fwd_.at(std::size_t(flat)).at(std::size_t(index)).ptr();
}

std::vector<torch::Tensor> SupernetImpl::path_parameters(const Arch& arch) const {
  check_arch(arch, layout_);
  std::vector<torch::Tensor> out;
  auto take = [&](const std::shared_ptr<torch::nn::Module>& m) {
    for (const auto& p : m->parameters()) out.push_back(p);
  };
  for (const auto& m : stem_fwd_) take(m.ptr());
  const std::vector<int> path = arch.flat();
  for (std::size_t i = 0; i < path.size(); ++i) take(cand_fwd_[i][std::size_t(path[i])].ptr());
  for (const auto& m : head_fwd_) take(m.ptr());
  take(classifier_.ptr());
  return out;
}

SubnetImpl::SubnetImpl(const SupernetLayout& layout, Arch arch, const BlockRegistry& registry)
    : arch_(std::move(arch)) {
  check_arch(arch_, layout);
  stem_ = register_module("stem", torch::nn::ModuleList());
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  head_ = register_module("head", torch::nn::ModuleList());
  for (const auto& a : layout.stem) {
    fwd_.push_back(build(a, registry));
    stem_->push_back(fwd_.back().ptr());
  }
  const std::vector<int> path = arch_.flat();
  for (std::size_t i = 0; i < path.size(); ++i) {
    fwd_.push_back(build(layout.block(int(i)).candidates[std::size_t(path[i])], registry));
    blocks_->push_back(fwd_.back().ptr());
  }
  for (const auto& a : layout.head) {
    fwd_.push_back(build(a, registry));
    head_->push_back(fwd_.back().ptr());
  }
  classifier_ = classifier(layout);
  register_module("classifier", classifier_.ptr());
}

torch::Tensor SubnetImpl::forward(torch::Tensor x) {
  for (auto& m : fwd_) x = m.forward(x);
  return classifier_.forward(x);
}

Subnet extract_subnet(Supernet& supernet, const Arch& arch, const BlockRegistry& registry) {
  const SupernetLayout& l = supernet->layout();
  Subnet sub(l, arch, registry);
  // Same builders → same parameter/buffer names under each block's prefix.
  auto source_name = [&](const std::string& name) -> std::string {
    if (name.rfind("blocks.", 0) != 0) return name;
    const std::size_t dot = name.find('.', 7);
    const int flat = std::stoi(name.substr(7, dot - 7));
    return "blocks." + std::to_string(flat) + "." + std::to_string(arch.at(flat)) +
           name.substr(dot);
  };
  torch::NoGradGuard no_grad;
  const auto src_params = supernet->named_parameters(true);
  const auto src_buffers = supernet->named_buffers(true);
  for (auto& p : sub->named_parameters(true)) {
    const std::string from = source_name(p.key());
    const torch::Tensor* s = src_params.find(from);
    if (!s) throw core::Error("extract_subnet: supernet has no parameter '" + from + "'");
    p.value().copy_(*s);
  }
  for (auto& b : sub->named_buffers(true)) {
    const std::string from = source_name(b.key());
    const torch::Tensor* s = src_buffers.find(from);
    if (!s) throw core::Error("extract_subnet: supernet has no buffer '" + from + "'");
    b.value().copy_(*s);
  }
  sub->train(supernet->is_training());
  return sub;
}

}  // namespace tinynas::space
