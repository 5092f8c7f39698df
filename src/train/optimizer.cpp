#include "tinynas/train/optimizer.h"

#include <cmath>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::train {

bool decays(const torch::Tensor& param) { return param.dim() >= 2; }

std::vector<NamedParameter> named_parameters_for_optimizer(const torch::nn::Module& module) {
  std::vector<NamedParameter> out;
  for (const auto& p : module.named_parameters(true))
    out.push_back({p.key(), p.value(), decays(p.value())});
  return out;
}

Optimizer::Optimizer(std::vector<NamedParameter> params, OptimizerOptions options)
    : params_(std::move(params)), state_(params_.size()), options_(std::move(options)) {
  if (options_.kind != "adamw" && options_.kind != "sgd")
    throw core::Error("train.optimizer: unknown optimizer '" + options_.kind +
                      "' (adamw or sgd)");
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.tensor.mutable_grad() = torch::Tensor();
}

void Optimizer::step(double lr) {
  torch::NoGradGuard no_grad;
  const auto& o = options_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].tensor;
    const auto& g = p.grad();
    if (!g.defined()) continue;
    auto& s = state_[i];
    ++s.steps;
    const double wd = params_[i].decay ? o.weight_decay : 0.0;
    if (o.kind == "adamw") {
      if (!s.exp_avg.defined()) {
        s.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
        s.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      }
      if (wd != 0) p.mul_(1.0 - lr * wd);
      s.exp_avg.mul_(o.beta1).add_(g, 1.0 - o.beta1);
      s.exp_avg_sq.mul_(o.beta2).addcmul_(g, g, 1.0 - o.beta2);
      const double bc1 = 1.0 - std::pow(o.beta1, double(s.steps));
      const double bc2 = 1.0 - std::pow(o.beta2, double(s.steps));
      auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(o.eps);
      p.addcdiv_(s.exp_avg, denom, -lr / bc1);
    } else {
      auto d = wd != 0 ? g + wd * p : g;
      if (o.momentum != 0) {
        if (!s.exp_avg.defined())
          s.exp_avg = d.clone();
        else
          s.exp_avg.mul_(o.momentum).add_(d);
        d = s.exp_avg;
      }
      p.add_(d, -lr);
    }
  }
}

void Optimizer::save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const auto& s = state_[i];
    if (s.steps == 0) continue;
    const std::string key = prefix + params_[i].name;
    archive.write(key + ".steps", torch::tensor({s.steps}, torch::kLong));
    if (s.exp_avg.defined()) archive.write(key + ".exp_avg", s.exp_avg.cpu());
    if (s.exp_avg_sq.defined()) archive.write(key + ".exp_avg_sq", s.exp_avg_sq.cpu());
  }
}

void Optimizer::load(torch::serialize::InputArchive& archive, const std::string& prefix) {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& s = state_[i];
    const auto& p = params_[i].tensor;
    const std::string key = prefix + params_[i].name;
    s = State{};
    torch::Tensor steps;
    if (!archive.try_read(key + ".steps", steps)) continue;
    s.steps = steps.item<std::int64_t>();
    auto read_like = [&](const std::string& field, torch::Tensor& out) {
      torch::Tensor t;
      if (!archive.try_read(key + "." + field, t)) return false;
      if (!t.sizes().equals(p.sizes()))
        throw core::Error("optimizer state '" + key + "." + field + "' has shape " +
                          c10::str(t.sizes()) + ", the parameter has " + c10::str(p.sizes()));
      out = t.to(p.device()).contiguous(p.suggest_memory_format());
      return true;
    };
    const bool has_avg = read_like("exp_avg", s.exp_avg);
    const bool has_sq = read_like("exp_avg_sq", s.exp_avg_sq);
    const bool complete = options_.kind == "adamw" ? has_avg && has_sq
                                                   : (has_avg || options_.momentum == 0);
    if (!complete)
      throw core::Error("optimizer state of '" + params_[i].name + "' is incomplete (written by " +
                        "another optimizer?)");
  }
}

}  // namespace tinynas::train
