// Loader throughput with augmentation on one thread (workers = 0: batches are built on
// the benchmark thread itself), so the figure is per-core capacity.
// Targets (issue: Foundation): >= 50k images/s at 28x28x1, >= 20k images/s at 32x32x3.
#include <benchmark/benchmark.h>

#include "tinynas/core/rng.h"
#include "tinynas/data/loader.h"
#include "tinynas/data/transform.h"

namespace {

using namespace tinynas;

data::ImageSet synthetic(std::size_t n, int h, int w, int c) {
  data::ImageSet s;
  s.height = h;
  s.width = w;
  s.channels = c;
  s.num_classes = 10;
  s.pixels.resize(n * static_cast<std::size_t>(h * w * c));
  core::Rng rng(1);
  for (auto& p : s.pixels) p = static_cast<std::uint8_t>(rng.next_u64());
  for (std::size_t i = 0; i < n; ++i) s.labels.push_back(static_cast<std::int32_t>(i % 10));
  return s;
}

data::TransformOptions augment(int channels, int pad) {
  data::TransformOptions t;
  t.augment = true;
  t.crop_padding = pad;
  t.hflip = true;
  t.mean.assign(static_cast<std::size_t>(channels), 0.5f);
  t.std.assign(static_cast<std::size_t>(channels), 0.25f);
  return t;
}

// Full loader path: sampler order, per-image seed, crop/flip/normalise, batch assembly.
void BM_LoaderEpoch(benchmark::State& state) {
  const int hw = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  auto set = synthetic(10000, hw, hw, c);
  data::LoaderOptions o;
  o.batch_size = 128;
  o.workers = 0;
  o.transform = augment(c, hw == 28 ? 2 : 4);
  data::BatchLoader loader(set, o);
  std::int64_t epoch = 0, images = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (auto b = loader.next()) {
      images += b->n;
      benchmark::DoNotOptimize(b->images.data());
    }
  }
  state.SetItemsProcessed(images);
  state.SetLabel(std::to_string(hw) + "x" + std::to_string(hw) + "x" + std::to_string(c));
}
BENCHMARK(BM_LoaderEpoch)->Args({28, 1})->Args({32, 3})->Unit(benchmark::kMillisecond);

// The per-image transform alone: fused fast path vs the step-by-step reference.
void BM_TransformFused(benchmark::State& state) {
  const int hw = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  auto set = synthetic(1, hw, hw, c);
  auto opts = augment(c, 4);
  data::ImageTransform t({hw, hw, c}, opts);
  std::vector<float> out(t.output_size());
  std::uint64_t seed = 0;
  for (auto _ : state) {
    t.apply(set.image(0), data::draw_augment(opts, seed++), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransformFused)->Args({28, 1})->Args({32, 3});

void BM_TransformReference(benchmark::State& state) {
  const int hw = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  auto set = synthetic(1, hw, hw, c);
  auto opts = augment(c, 4);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    auto out = data::reference::transform_image(set.image(0), {hw, hw, c}, opts,
                                                data::draw_augment(opts, seed++));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransformReference)->Args({28, 1})->Args({32, 3});

}  // namespace

BENCHMARK_MAIN();
