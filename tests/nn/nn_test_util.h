// Shared checks for the nn layer tests.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tinynas::nn::testing {

/// Total number of parameter values (sum of numel over parameters()).
inline int64_t count_params(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

/// Backpropagates a random projection of `out` (a plain sum would give BN-fed parameters a
/// zero gradient by symmetry) and expects a defined, finite gradient on every parameter.
inline void expect_finite_grads(torch::nn::Module& module, const torch::Tensor& out) {
  module.zero_grad();
  (out * torch::randn_like(out)).sum().backward();
  for (const auto& p : module.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}

/// Max |a - b| over all elements, for readable failures.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace tinynas::nn::testing
