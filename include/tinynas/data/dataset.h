// From the recipe's `data` section to ready-to-load sets: reads the files, applies the
// limits and the train/val split, and resolves the normalisation.
#pragma once

#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/data/image_set.h"
#include "tinynas/data/loader.h"
#include "tinynas/data/transform.h"

namespace tinynas::data {

struct Normalization {
  std::vector<float> mean;  // one per channel, [0,1] scale
  std::vector<float> std;
};

/// The per-dataset mean/std used when the recipe gives none.
Normalization default_normalization(const std::string& dataset, int channels);

struct Datasets {
  ImageSet train;  // training files minus the validation split (after train_limit)
  ImageSet val;    // stratified hold-out of the training files
  ImageSet test;   // the dataset's test files (after test_limit); may be empty
  Normalization normalization;
  std::string root;  // where the files were read from
};

/// Reads and splits the dataset the `data` section names. Relative `data.root` paths
/// resolve against `recipe_source`'s directory. Errors name the file at fault.
Datasets open_datasets(const config::DataConfig& data, const std::string& recipe_source = "");

/// Transform options for training (augmentation as configured) or evaluation (none).
TransformOptions make_transform(const config::DataConfig& data, const Normalization& norm,
                                bool train);

/// Loader options from the recipe for one rank.
LoaderOptions make_loader_options(const config::DataConfig& data, const Normalization& norm,
                                  bool train, int batch_size, std::uint64_t seed, int rank = 0,
                                  int world_size = 1);

}  // namespace tinynas::data
