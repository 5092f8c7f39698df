// Batch loader: sampling order, per-image transforms and background prefetch.
//
// Batch b of epoch e is a pure function of (dataset, options, e, b): the image order comes
// from the DistributedSampler and each image's augmentation from a seed derived from
// (seed, epoch, image index). Worker threads only decide *when* a batch is built, never
// what is in it, so results are identical for any `workers` value, and a resumed run can
// start an epoch at any batch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tinynas/data/image_set.h"
#include "tinynas/data/sampler.h"
#include "tinynas/data/transform.h"

namespace tinynas::data {

/// One batch, ready for a model: images as float NCHW, labels as int64.
struct Batch {
  std::int64_t index = 0;  // batch number within the epoch
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;        // n*c*h*w
  std::vector<std::int64_t> labels; // n
  std::vector<std::size_t> sample_indices;  // dataset index of each image
};

struct LoaderOptions {
  int batch_size = 128;    // per rank
  bool shuffle = true;
  bool drop_last = false;  // drop this rank's final short batch
  TransformOptions transform;
  int workers = 2;         // background threads; 0 = build batches in next()
  int prefetch = 4;        // batches built ahead of the consumer (>= 1)
  std::uint64_t seed = 0;
  int rank = 0;            // sharding (DistributedSampler semantics)
  int world_size = 1;
  bool pad_to_world = true;  // see DistributedSamplerOptions::pad (false for evaluation)
};

class BatchLoader {
 public:
  /// `set` must outlive the loader. Throws core::Error on invalid options.
  BatchLoader(const ImageSet& set, const LoaderOptions& options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// Begins `epoch` at batch `first_batch` (0 unless resuming mid-epoch); stops any
  /// batches still being prepared for the previous epoch.
  void start_epoch(std::int64_t epoch, std::int64_t first_batch = 0);

  /// The next batch of the current epoch, or nullopt when the epoch is done. Rethrows an
  /// error raised while preparing the batch.
  std::optional<Batch> next();

  /// Batches this rank gets per epoch.
  std::int64_t batches_per_epoch() const;
  /// Images this rank gets per epoch (before drop_last of the final batch).
  std::size_t samples_per_epoch() const { return sampler_.num_samples(); }

 private:
  Batch build(std::int64_t batch) const;
  void stop_workers();
  void worker_loop();

  const ImageSet& set_;
  LoaderOptions options_;
  DistributedSampler sampler_;
  ImageTransform transform_;

  // Current epoch.
  std::int64_t epoch_ = 0;
  std::vector<std::size_t> order_;
  std::int64_t num_batches_ = 0;
  std::int64_t next_to_consume_ = 0;

  // Worker state, guarded by mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t next_to_build_ = 0;
  bool stopping_ = false;
  std::map<std::int64_t, Batch> ready_;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace tinynas::data
