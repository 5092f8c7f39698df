// Forward+backward of one sampled path through the supernet vs the same path extracted as
// a standalone subnet. SPOS training runs the supernet, so its overhead over the subnet
// (arch checks, AnyModule dispatch) must stay small: target supernet/standalone
// throughput >= 0.9.
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include "tinynas/core/allocator.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/supernet.h"

#ifndef TINYNAS_SOURCE_DIR
#error "TINYNAS_SOURCE_DIR must point at the source tree"
#endif

using namespace tinynas;

namespace {

struct Setup {
  space::SupernetLayout layout;
  space::Arch arch;
  torch::Tensor x, y;
};

Setup make_setup(const std::string& space_file, space::Shape input, int batch) {
  core::keep_freed_memory();  // as the tinynas command runs
  const space::SpaceDef def = space::load_space(std::string(TINYNAS_SOURCE_DIR) + "/" + space_file);
  Setup s{space::make_layout(def, space::default_supernet(def), input, 10), {}, {}, {}};
  core::Rng rng(1);
  s.arch = space::sample_arch(s.layout, rng);
  torch::manual_seed(0);
  s.x = torch::randn({batch, input.c, input.h, input.w});
  s.y = torch::randint(0, 10, {batch}, torch::kLong);
  return s;
}

template <class Forward>
void step(benchmark::State& state, torch::nn::Module& m, const Setup& s, Forward forward) {
  for (auto _ : state) {
    m.zero_grad();
    torch::nn::functional::cross_entropy(forward(s.x), s.y).backward();
  }
  state.SetItemsProcessed(state.iterations() * s.x.size(0));
  state.SetLabel(space::to_string(s.arch, s.layout));
}

// 0: the quickstart's space (TinyFormer, normal size), 1: the hybrid H space.
const char* space_file(int which) {
  return which == 0 ? "recipes/spaces/tinyformer-normal.yaml" : "recipes/spaces/hybrid-h.yaml";
}

void BM_SupernetPath(benchmark::State& state) {
  torch::set_num_threads(int(state.range(1)));
  const Setup s = make_setup(space_file(int(state.range(0))), {1, 28, 28}, 32);
  space::Supernet net(s.layout);
  step(state, *net, s, [&](const torch::Tensor& x) { return net->forward(x, s.arch); });
}

void BM_ExtractedSubnet(benchmark::State& state) {
  torch::set_num_threads(int(state.range(1)));
  const Setup s = make_setup(space_file(int(state.range(0))), {1, 28, 28}, 32);
  space::Supernet net(s.layout);
  space::Subnet sub = space::extract_subnet(net, s.arch);
  step(state, *sub, s, [&](const torch::Tensor& x) { return sub->forward(x); });
}

}  // namespace

// Args: space (0: the quickstart's, 1: hybrid H), compute threads (1, 2); default supernet,
// batch 32 of 28x28x1. --benchmark_min_time sets the time per case (the default 0.5 s is a
// handful of steps: give it 3 for figures).
BENCHMARK(BM_SupernetPath)->ArgsProduct({{0, 1}, {1, 2}})->ArgNames({"space", "threads"})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExtractedSubnet)->ArgsProduct({{0, 1}, {1, 2}})->ArgNames({"space", "threads"})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
