// The optimizer against torch::optim (the reference), and the SPOS rule: a parameter
// without a gradient is not touched at all.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "support/error_of.h"
#include "tinynas/train/optimizer.h"

using namespace tinynas;
using train::NamedParameter;
using train::Optimizer;

namespace {

// Deterministic pseudo-gradient for step t.
torch::Tensor grad_at(const torch::Tensor& p, int t) {
  return torch::sin(torch::arange(p.numel(), torch::kFloat).view(p.sizes()) * 0.37 + t) * 0.1;
}

}  // namespace

TEST(Optimizer, AdamWMatchesTorchOptimAdamW) {
  torch::manual_seed(3);
  auto a = torch::randn({4, 3}, torch::requires_grad());
  auto b = a.detach().clone().set_requires_grad(true);
  Optimizer mine({{"w", a, true}}, {"adamw", 0.05, 0.9, 0.999, 1e-8, 0.9});
  torch::optim::AdamW ref({b}, torch::optim::AdamWOptions(1e-3).weight_decay(0.05));
  for (int t = 0; t < 20; ++t) {
    const double lr = 1e-3 * (1 + t % 3);
    static_cast<torch::optim::AdamWOptions&>(ref.param_groups()[0].options()).lr(lr);
    mine.zero_grad();
    a.mutable_grad() = grad_at(a, t);
    b.mutable_grad() = grad_at(b, t);
    mine.step(lr);
    ref.step();
  }
  EXPECT_TRUE(torch::allclose(a, b, 1e-6, 1e-7)) << (a - b).abs().max();
}

TEST(Optimizer, SgdWithMomentumMatchesTorchOptimSgd) {
  torch::manual_seed(4);
  auto a = torch::randn({5}, torch::requires_grad());
  auto b = a.detach().clone().set_requires_grad(true);
  Optimizer mine({{"w", a, true}}, {"sgd", 1e-4, 0.9, 0.999, 1e-8, 0.9});
  torch::optim::SGD ref({b}, torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-4));
  for (int t = 0; t < 10; ++t) {
    a.mutable_grad() = grad_at(a, t);
    b.mutable_grad() = grad_at(b, t);
    mine.step(0.1);
    ref.step();
  }
  EXPECT_TRUE(torch::allclose(a, b, 1e-6, 1e-7));
}

TEST(Optimizer, ParameterWithoutGradientGetsNoDecayNoMomentumNoStep) {
  auto on = torch::ones({3, 3}, torch::requires_grad());
  auto off = torch::ones({3, 3}, torch::requires_grad());
  Optimizer opt({{"on", on, true}, {"off", off, true}}, {});
  // Both trained once, so `off` has momentum that would keep moving it.
  on.mutable_grad() = torch::full({3, 3}, 0.5f);
  off.mutable_grad() = torch::full({3, 3}, 0.5f);
  opt.step(0.1);
  const auto off_after_first = off.detach().clone();
  for (int t = 0; t < 5; ++t) {
    opt.zero_grad();
    EXPECT_FALSE(off.grad().defined());  // undefined, not zero
    on.mutable_grad() = torch::full({3, 3}, 0.5f);
    opt.step(0.1);
  }
  EXPECT_TRUE(torch::equal(off, off_after_first));
  EXPECT_EQ(opt.steps_of(0), 6);
  EXPECT_EQ(opt.steps_of(1), 1);
}

TEST(Optimizer, NoWeightDecayOnNormsAndBiases) {
  EXPECT_TRUE(train::decays(torch::zeros({8, 3, 3, 3})));
  EXPECT_TRUE(train::decays(torch::zeros({10, 8})));
  EXPECT_FALSE(train::decays(torch::zeros({8})));  // bias, norm scale or shift
  torch::nn::Sequential m(torch::nn::Conv2d(3, 8, 3), torch::nn::BatchNorm2d(8));
  const auto named = train::named_parameters_for_optimizer(*m);
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].name, "0.weight");
  EXPECT_TRUE(named[0].decay);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_FALSE(named[i].decay) << named[i].name;
  // With a zero gradient AdamW's only change is decay: a non-decayed parameter stays.
  auto w = torch::ones({4, 4}, torch::requires_grad());
  auto bias = torch::ones({4}, torch::requires_grad());
  Optimizer opt({{"w", w, true}, {"b", bias, false}}, {"adamw", 0.1, 0.9, 0.999, 1e-8, 0.9});
  w.mutable_grad() = torch::zeros({4, 4});
  bias.mutable_grad() = torch::zeros({4});
  opt.step(0.5);
  EXPECT_TRUE(torch::allclose(w, torch::full({4, 4}, 0.95f)));
  EXPECT_TRUE(torch::equal(bias, torch::ones({4})));
}

TEST(Optimizer, SaveLoadContinuesIdentically) {
  auto make = [] { return torch::arange(6, torch::kFloat).view({2, 3}).set_requires_grad(true); };
  auto a = make(), b = make(), untouched = make();
  Optimizer first({{"w", a, true}, {"u", untouched, true}}, {});
  for (int t = 0; t < 3; ++t) {
    a.mutable_grad() = grad_at(a, t);
    first.step(0.01);
  }
  torch::serialize::OutputArchive out;
  first.save(out, "optim/");
  std::ostringstream bytes;
  out.save_to(bytes);
  {
    torch::NoGradGuard g;
    b.copy_(a);
  }
  Optimizer second({{"w", b, true}, {"u", make(), true}}, {});
  torch::serialize::InputArchive in;
  const auto s = bytes.str();
  in.load_from(s.data(), s.size());
  second.load(in, "optim/");
  EXPECT_EQ(second.steps_of(0), 3);
  EXPECT_EQ(second.steps_of(1), 0);
  for (int t = 3; t < 6; ++t) {
    a.mutable_grad() = grad_at(a, t);
    b.mutable_grad() = grad_at(b, t);
    first.step(0.01);
    second.step(0.01);
  }
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(Optimizer, LoadingStateOfAnotherShapeNamesTheParameter) {
  auto a = torch::ones({2, 3}, torch::requires_grad());
  Optimizer first({{"blocks.0.1.weight", a, true}}, {});
  a.mutable_grad() = torch::ones({2, 3});
  first.step(0.1);
  torch::serialize::OutputArchive out;
  first.save(out, "");
  std::ostringstream bytes;
  out.save_to(bytes);
  Optimizer second({{"blocks.0.1.weight", torch::ones({3, 3}, torch::requires_grad()), true}}, {});
  torch::serialize::InputArchive in;
  const auto s = bytes.str();
  in.load_from(s.data(), s.size());
  const auto msg = tinynas::testing::error_of([&] { second.load(in, ""); });
  EXPECT_NE(msg.find("blocks.0.1.weight.exp_avg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
}
