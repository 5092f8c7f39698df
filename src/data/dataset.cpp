#include "tinynas/data/dataset.h"

#include <utility>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/data/readers.h"
#include "tinynas/data/split.h"

namespace tinynas::data {

Normalization default_normalization(const std::string& dataset, int channels) {
  // Statistics of each dataset's training files (the values torchvision users know).
  if (dataset == "fashion-mnist") return {{0.2860f}, {0.3530f}};
  if (dataset == "mnist") return {{0.1307f}, {0.3081f}};
  if (dataset == "cifar10") return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (dataset == "cifar100") return {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
  return {std::vector<float>(static_cast<std::size_t>(channels), 0.5f),
          std::vector<float>(static_cast<std::size_t>(channels), 0.5f)};
}

namespace {

DatasetFiles read_files(const config::DataConfig& data, const std::string& root) {
  if (data.dataset == "fashion-mnist" || data.dataset == "mnist")
    return read_mnist_dir(root, data.dataset);
  if (data.dataset == "cifar10") return read_cifar10_dir(root);
  if (data.dataset == "cifar100") return read_cifar100_dir(root);
  if (data.dataset == "image-folder") {
    ImageFolderOptions o;
    o.image_size = data.image_size;
    o.channels = data.channels;
    return read_image_folder(root, o);
  }
  throw core::Error("data.dataset: unknown dataset '" + data.dataset + "'");
}

std::vector<float> to_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

}  // namespace

Datasets open_datasets(const config::DataConfig& data, const std::string& recipe_source) {
  std::string root = data.root;
  if (root.empty()) {
    if (data.dataset == "fashion-mnist") root = kFashionMnistDefaultRoot;
    else
      throw core::Error("data.root: no default location for dataset '" + data.dataset +
                        "'; set data.root (see datasets/README.md)");
  } else if (!recipe_source.empty()) {
    root = core::resolve_relative_to(recipe_source, root);
  }

  DatasetFiles files = read_files(data, root);
  const auto seed = static_cast<std::uint64_t>(data.split_seed);

  Datasets out;
  out.root = root;
  ImageSet pool = std::move(files.train);
  if (data.train_limit > 0)
    pool = pool.subset(seeded_subset(pool.size(), static_cast<std::size_t>(data.train_limit), seed),
                       pool.name);
  SplitIndices split = stratified_split(pool, data.val_fraction, seed);
  out.train = pool.subset(split.train, pool.name + " (train split)");
  out.val = pool.subset(split.val, pool.name + " (val split)");
  out.test = std::move(files.test);
  if (data.test_limit > 0 && out.test.size() > 0)
    out.test = out.test.subset(
        seeded_subset(out.test.size(), static_cast<std::size_t>(data.test_limit), seed + 1),
        out.test.name);

  out.normalization = default_normalization(data.dataset, out.train.channels);
  if (!data.normalize.mean.empty()) out.normalization.mean = to_float(data.normalize.mean);
  if (!data.normalize.std.empty()) out.normalization.std = to_float(data.normalize.std);
  return out;
}

TransformOptions make_transform(const config::DataConfig& data, const Normalization& norm,
                                bool train) {
  TransformOptions t;
  t.augment = train;
  t.crop_padding = train ? data.augment.crop_padding : 0;
  t.hflip = train && data.augment.hflip;
  t.mean = norm.mean;
  t.std = norm.std;
  return t;
}

LoaderOptions make_loader_options(const config::DataConfig& data, const Normalization& norm,
                                  bool train, int batch_size, std::uint64_t seed, int rank,
                                  int world_size) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = train;
  o.drop_last = false;
  o.transform = make_transform(data, norm, train);
  o.workers = data.workers;
  o.prefetch = data.prefetch;
  o.seed = seed;
  o.rank = rank;
  o.world_size = world_size;
  o.pad_to_world = train;  // evaluation sees every image exactly once
  return o;
}

}  // namespace tinynas::data
