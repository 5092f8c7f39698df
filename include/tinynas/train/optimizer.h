// AdamW (decoupled weight decay) and SGD with momentum, written out rather than taken from
// torch::optim for two reasons that SPOS training needs:
//  - a parameter without a gradient this step (off the sampled path) is not touched at
//    all: no weight decay, no momentum drift, no step count;
//  - state is saved and loaded by parameter *name*, so a checkpoint of another model is
//    an error naming the parameter instead of a silent mismatch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

namespace tinynas::train {

struct OptimizerOptions {
  std::string kind = "adamw";  // "adamw" or "sgd"
  double weight_decay = 0.05;  // decoupled (AdamW) / L2 added to the gradient (SGD)
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double momentum = 0.9;       // SGD
};

struct NamedParameter {
  std::string name;
  torch::Tensor tensor;
  bool decay = true;  // false for norms and biases
};

/// True for parameters that get weight decay: conv and linear weights (2+ dims); never
/// norm scales/shifts or biases.
bool decays(const torch::Tensor& param);

/// Every parameter of `module` by name, with decays() applied.
std::vector<NamedParameter> named_parameters_for_optimizer(const torch::nn::Module& module);

class Optimizer {
 public:
  Optimizer(std::vector<NamedParameter> params, OptimizerOptions options);

  /// Sets every gradient to undefined (not zero), so parameters that the next path does
  /// not use have no gradient and step() skips them.
  void zero_grad();
  /// One update at learning rate `lr` of every parameter that has a gradient.
  void step(double lr);

  const std::vector<NamedParameter>& params() const { return params_; }
  /// Per-parameter update counts (AdamW bias correction is per parameter).
  std::int64_t steps_of(std::size_t index) const { return state_[index].steps; }

  /// Writes state as "<prefix><param name>.<field>".
  void save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
  /// Reads what save() wrote; a missing field for a parameter with steps, or a shape
  /// mismatch, throws core::Error naming the parameter.
  void load(torch::serialize::InputArchive& archive, const std::string& prefix);

 private:
  struct State {
    std::int64_t steps = 0;
    torch::Tensor exp_avg, exp_avg_sq;  // AdamW; exp_avg doubles as the SGD momentum
  };
  std::vector<NamedParameter> params_;
  std::vector<State> state_;
  OptimizerOptions options_;
};

}  // namespace tinynas::train
