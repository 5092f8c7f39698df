// The supernet runs every sampled path forward and backward, its op-graph description
// agrees with the modules, and extracted subnets equal the supernet on their path.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fixtures.h"
#include "support/error_of.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/describe.h"
#include "tinynas/space/supernet.h"

using namespace tinynas;
using namespace tinynas::space;
using tinynas::testing::default_layout;
using tinynas::testing::shipped_spaces;

namespace {

std::int64_t numel(const std::vector<torch::Tensor>& ts) {
  std::int64_t n = 0;
  for (const auto& t : ts) n += t.numel();
  return n;
}

std::int64_t graph_params(const Graph& g) {
  std::int64_t n = 0;
  for (const auto& op : g.ops) n += op.float_params;
  return n;
}

// Forward + backward of `paths` sampled paths through one supernet per input shape;
// the graph description of each path must count the same parameters as the modules.
void run_sampled_paths(const std::string& file, Shape input, int classes, int paths,
                       std::uint64_t seed) {
  SCOPED_TRACE(file);
  const SpaceDef s = load_space(file);
  core::Rng rng(seed);
  // A few supernets of the space, the default first.
  const int supernets = 3;
  for (int k = 0; k < supernets; ++k) {
    const SupernetConfig cfg = k == 0 ? default_supernet(s) : sample_supernet(s, rng);
    SupernetLayout layout = make_layout(s, cfg, input, classes);
    Supernet net(layout);
    torch::manual_seed(k);
    const torch::Tensor x = torch::randn({2, input.c, input.h, input.w});
    const torch::Tensor y = torch::tensor({1, 0}, torch::kLong) % classes;
    for (int i = 0; i < paths / supernets; ++i) {
      const Arch arch = sample_arch(layout, rng);
      SCOPED_TRACE(to_string(cfg, s) + " " + to_string(arch, layout));
      net->zero_grad();
      const torch::Tensor logits = net->forward(x, arch);
      ASSERT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, classes}));
      torch::nn::functional::cross_entropy(logits, y).backward();
      const auto params = net->path_parameters(arch);
      const Graph g = describe_path(layout, arch);
      ASSERT_EQ(graph_params(g), numel(params));
      ASSERT_EQ(g.shape(g.output), (Shape{classes, 1, 1}));
      // Something on the path learns; nothing diverges.
      bool any_grad = false;
      for (const auto& p : params)
        if (p.grad().defined()) {
          ASSERT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
          any_grad = true;
        }
      ASSERT_TRUE(any_grad);
    }
  }
}

}  // namespace

// One test per shipped space so that CTest runs them in parallel.
class EverySpace : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySpace, ThousandSampledPathsRunForwardBackward) {
  run_sampled_paths(GetParam(), Shape{1, 28, 28}, 10, 750, 1);
  run_sampled_paths(GetParam(), Shape{3, 32, 32}, 100, 250, 2);
}

INSTANTIATE_TEST_SUITE_P(Shipped, EverySpace, ::testing::ValuesIn(shipped_spaces()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(Supernet, ShipsTheTinyFormerAndHybridSpaces) { EXPECT_GE(shipped_spaces().size(), 5u); }

TEST(Supernet, OnlyThePathReceivesGradients) {
  const SpaceDef s = load_space(shipped_spaces().front());
  SupernetLayout layout = default_layout(s);
  Supernet net(layout);
  core::Rng rng(3);
  const Arch arch = sample_arch(layout, rng);
  net->forward(torch::randn({2, 1, 28, 28}), arch).sum().backward();
  std::set<const void*> on_path;
  for (const auto& p : net->path_parameters(arch)) on_path.insert(p.data_ptr());
  std::int64_t off_path = 0;
  for (const auto& p : net->parameters()) {
    if (on_path.count(p.data_ptr())) continue;
    ++off_path;
    EXPECT_FALSE(p.grad().defined());
  }
  EXPECT_GT(off_path, 0);
}

TEST(Supernet, ExtractedSubnetEqualsSupernetOnItsPath) {
  for (const auto& f : shipped_spaces()) {
    SCOPED_TRACE(f);
    const SpaceDef s = load_space(f);
    SupernetLayout layout = default_layout(s, Shape{3, 32, 32}, 10);
    Supernet net(layout);
    core::Rng rng(4);
    torch::manual_seed(4);
    // Train-mode passes give the BatchNorms non-trivial running statistics.
    const torch::Tensor x = torch::randn({4, 3, 32, 32});
    for (int i = 0; i < 3; ++i) {
      const Arch arch = sample_arch(layout, rng);
      for (int k = 0; k < 3; ++k) net->forward(x * (k + 1), arch);
      net->eval();
      Subnet sub = extract_subnet(net, arch);
      sub->eval();
      EXPECT_EQ(numel(sub->parameters()), numel(net->path_parameters(arch)));
      const torch::Tensor a = net->forward(x, arch);
      const torch::Tensor b = sub->forward(x);
      EXPECT_TRUE(torch::equal(a, b)) << to_string(arch, layout);
      // Independent copies: changing the subnet leaves the supernet alone.
      {
        torch::NoGradGuard ng;
        for (auto& p : sub->parameters()) p.add_(1.0);
      }
      EXPECT_TRUE(torch::equal(net->forward(x, arch), a));
      net->train();
    }
  }
}

TEST(Supernet, RejectsArchOfAnotherShape) {
  const SpaceDef s = load_space(shipped_spaces().front());
  SupernetLayout layout = default_layout(s);
  Supernet net(layout);
  core::Rng rng(1);
  Arch bad = sample_arch(layout, rng);
  bad.choices[0].push_back(0);
  EXPECT_NE(tinynas::testing::error_of([&] { net->forward(torch::randn({1, 1, 28, 28}), bad); })
                .find("blocks"),
            std::string::npos);
}
