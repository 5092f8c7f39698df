#include "tinynas/data/loader.h"

#include <algorithm>
#include <string>

#include "tinynas/core/error.h"
#include "tinynas/core/rng.h"

namespace tinynas::data {
namespace {

DistributedSamplerOptions sampler_options(const ImageSet& set, const LoaderOptions& o) {
  DistributedSamplerOptions s;
  s.dataset_size = set.size();
  s.rank = o.rank;
  s.world_size = o.world_size;
  s.shuffle = o.shuffle;
  s.drop_last = false;  // drop_last here means the final short batch, handled below
  s.pad = o.pad_to_world;
  s.seed = o.seed;
  return s;
}

ImageShape shape_of(const ImageSet& set) { return {set.height, set.width, set.channels}; }

const LoaderOptions& checked(const LoaderOptions& o) {
  if (o.batch_size < 1)
    throw core::Error("loader: batch size must be >= 1, got " + std::to_string(o.batch_size));
  if (o.workers < 0) throw core::Error("loader: workers must be >= 0");
  if (o.prefetch < 1) throw core::Error("loader: prefetch must be >= 1");
  return o;
}

}  // namespace

BatchLoader::BatchLoader(const ImageSet& set, const LoaderOptions& options)
    : set_(set),
      options_(checked(options)),
      sampler_(sampler_options(set, options)),
      transform_(shape_of(set), options.transform) {}

BatchLoader::~BatchLoader() { stop_workers(); }

std::int64_t BatchLoader::batches_per_epoch() const {
  const auto n = static_cast<std::int64_t>(sampler_.num_samples());
  const auto b = static_cast<std::int64_t>(options_.batch_size);
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void BatchLoader::start_epoch(std::int64_t epoch, std::int64_t first_batch) {
  stop_workers();
  epoch_ = epoch;
  order_ = sampler_.indices(epoch);
  num_batches_ = batches_per_epoch();
  next_to_consume_ = std::clamp<std::int64_t>(first_batch, 0, num_batches_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_to_build_ = next_to_consume_;
    stopping_ = false;
    ready_.clear();
    error_ = nullptr;
  }
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void BatchLoader::worker_loop() {
  for (;;) {
    std::int64_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Bounded look-ahead: never build more than `prefetch` batches past the consumer.
      cv_.wait(lock, [&] {
        return stopping_ || next_to_build_ >= num_batches_ ||
               next_to_build_ < next_to_consume_ + options_.prefetch;
      });
      if (stopping_ || next_to_build_ >= num_batches_) return;
      b = next_to_build_++;
    }
    try {
      Batch batch = build(b);
      std::lock_guard<std::mutex> lock(mu_);
      ready_.emplace(b, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

std::optional<Batch> BatchLoader::next() {
  if (next_to_consume_ >= num_batches_) return std::nullopt;
  const std::int64_t b = next_to_consume_;
  if (options_.workers == 0) {
    ++next_to_consume_;
    return build(b);
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return error_ || ready_.count(b) > 0; });
  if (error_) std::rethrow_exception(error_);
  Batch out = std::move(ready_.at(b));
  ready_.erase(b);
  ++next_to_consume_;
  lock.unlock();
  cv_.notify_all();  // frees a prefetch slot
  return out;
}

Batch BatchLoader::build(std::int64_t b) const {
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  const std::size_t begin = static_cast<std::size_t>(b) * bs;
  const std::size_t end = std::min(order_.size(), begin + bs);
  Batch batch;
  batch.index = b;
  batch.n = static_cast<int>(end - begin);
  batch.c = set_.channels;
  batch.h = set_.height;
  batch.w = set_.width;
  const std::size_t per_image = transform_.output_size();
  batch.images.resize(per_image * static_cast<std::size_t>(batch.n));
  batch.labels.resize(static_cast<std::size_t>(batch.n));
  batch.sample_indices.assign(order_.begin() + static_cast<std::ptrdiff_t>(begin),
                              order_.begin() + static_cast<std::ptrdiff_t>(end));
  for (std::size_t i = 0; i < batch.sample_indices.size(); ++i) {
    const std::size_t idx = batch.sample_indices[i];
    const auto seed = core::derive_seed(options_.seed, static_cast<std::uint64_t>(epoch_), idx);
    transform_.apply(set_.image(idx), draw_augment(options_.transform, seed),
                     batch.images.data() + i * per_image);
    batch.labels[i] = set_.labels[idx];
  }
  return batch;
}

}  // namespace tinynas::data
