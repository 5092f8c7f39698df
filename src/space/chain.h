// A module that runs its parts in order: composite candidates (conv then pool, pool then
// encoder, ...) and the supernet's fixed stem/head. Unlike torch::nn::Sequential its
// forward has one fixed signature, so it fits in an AnyModule.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

namespace tinynas::space {

class ChainImpl : public torch::nn::Module {
 public:
  void append(const std::string& name, torch::nn::AnyModule part) {
    register_module(name, part.ptr());
    parts_.push_back(std::move(part));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& p : parts_) x = p.forward(x);
    return x;
  }

 private:
  std::vector<torch::nn::AnyModule> parts_;
};
TORCH_MODULE(Chain);

}  // namespace tinynas::space
