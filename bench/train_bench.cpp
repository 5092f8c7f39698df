// Training throughput of the quickstart supernet on the CPU, one process: full SPOS
// optimizer steps (path sampling, forward, label-smoothed loss, backward, the gradient
// presence check, AdamW) at the quickstart's batch size, a new path every step as in
// training. Data loading is excluded (loader_bench measures it; it runs in background
// threads during training). items_per_second = training images per second.
// Args: compute threads; the allocator: 0 glibc's defaults, 1 tuned as the tinynas
// command runs (core::keep_freed_memory; cannot be undone, so those cases run last); the
// memory format: 0 NCHW, 1 channels-last (what train.channels_last: auto picks on a CPU).
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include "tinynas/config/load.h"
#include "tinynas/core/allocator.h"
#include "tinynas/core/fs.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/path_sampler.h"
#include "tinynas/train/trainer.h"

#ifndef TINYNAS_SOURCE_DIR
#error "TINYNAS_SOURCE_DIR must point at the source tree"
#endif

using namespace tinynas;

namespace {

// The quickstart's batch of Fashion-MNIST-shaped random images.
data::Batch random_batch(int n, std::uint64_t seed) {
  data::Batch b;
  b.n = n, b.c = 1, b.h = 28, b.w = 28;
  core::Rng rng(seed);
  b.images.resize(std::size_t(n) * 28 * 28);
  for (auto& v : b.images) v = float(rng.uniform01() * 2 - 1);
  for (int i = 0; i < n; ++i) b.labels.push_back(std::int64_t(rng.uniform_int(10)));
  return b;
}

void BM_QuickstartTrainStep(benchmark::State& state) {
  torch::set_num_threads(int(state.range(0)));
  if (state.range(1) == 1 && !core::keep_freed_memory()) {
    state.SkipWithError("the allocator could not be tuned (not glibc, or MALLOC_* set)");
    return;
  }
  const std::string root = TINYNAS_SOURCE_DIR;
  const auto recipe = config::load_recipe(root + "/recipes/quickstart.yaml");
  const auto def = space::load_space(core::resolve_relative_to(recipe.source, recipe.space.file));
  const auto layout = space::make_layout(def, space::parse_supernet(recipe.space.supernet, def),
                                         {1, 28, 28}, 10);
  torch::manual_seed(0);
  space::Supernet net(layout);
  train::Placement place;
  place.channels_last = state.range(2) == 1;
  if (place.channels_last) train::make_channels_last(*net);
  train::Optimizer opt(train::named_parameters_for_optimizer(*net), {});
  const train::PathSampler sampler(layout, train::Sampling::Uniform, 0);
  const std::vector<data::Batch> batches = {random_batch(recipe.train.batch_size, 1)};
  train::DistributedGroup single;
  std::int64_t step = 0;
  for (auto _ : state) {
    const auto arch = sampler.at(step++);
    const train::Forward fwd = [&](const torch::Tensor& x) { return net->forward(x, arch); };
    train::train_step(opt, fwd, batches, recipe.train.lr, recipe.train, place, single, 25 << 20);
  }
  state.SetItemsProcessed(state.iterations() * recipe.train.batch_size);
  state.SetLabel(space::to_string(space::parse_supernet(recipe.space.supernet, def), def) +
                 ", batch " + std::to_string(recipe.train.batch_size));
}

}  // namespace

// Threads 1 and 2 (the reference machine's cores); steps average over sampled paths.
BENCHMARK(BM_QuickstartTrainStep)
    ->ArgNames({"threads", "tuned_alloc", "channels_last"})
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Args({1, 1, 0})
    ->Args({2, 1, 0})
    ->Args({1, 1, 1})
    ->Args({2, 1, 1})
    ->Iterations(40)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
