// open_datasets: from the recipe's data section to train/val/test sets.
#include "tinynas/data/dataset.h"

#include <gtest/gtest.h>

#include "data/idx_files.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

using namespace tinynas;
using tinynas::testing::error_of;

namespace {

// An MNIST-layout directory with n_train/n_test 4x4 images; labels cycle over 10 classes.
void write_mnist_dir(const tinynas::testing::TempDir& dir, const std::string& sub,
                     std::uint32_t n_train, std::uint32_t n_test) {
  auto files = [&](const std::string& prefix, std::uint32_t n) {
    std::vector<std::uint8_t> px(n * 16), lb(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      lb[i] = static_cast<std::uint8_t>(i % 10);
      for (int k = 0; k < 16; ++k) px[i * 16 + static_cast<std::uint32_t>(k)] = static_cast<std::uint8_t>(i);
    }
    dir.write(sub + "/" + prefix + "-images-idx3-ubyte", tinynas::testing::idx_images(n, 4, 4, px));
    dir.write(sub + "/" + prefix + "-labels-idx1-ubyte", tinynas::testing::idx_labels(lb));
  };
  files("train", n_train);
  files("t10k", n_test);
}

}  // namespace

TEST(OpenDatasets, LimitsSplitAndDefaultNormalization) {
  tinynas::testing::TempDir dir;
  write_mnist_dir(dir, "mn", 200, 50);
  config::DataConfig d;
  d.dataset = "mnist";
  d.root = dir.file("mn");
  d.train_limit = 100;
  d.test_limit = 20;
  d.val_fraction = 0.2;
  auto sets = data::open_datasets(d);
  EXPECT_EQ(sets.train.size() + sets.val.size(), 100u);
  EXPECT_EQ(sets.val.size(), 20u);
  EXPECT_EQ(sets.test.size(), 20u);
  EXPECT_EQ(sets.train.height, 4);
  ASSERT_EQ(sets.normalization.mean.size(), 1u);
  EXPECT_FLOAT_EQ(sets.normalization.mean[0], 0.1307f);
  // Same recipe, same sets.
  auto again = data::open_datasets(d);
  EXPECT_EQ(again.val.pixels, sets.val.pixels);
  EXPECT_EQ(again.train.labels, sets.train.labels);
}

TEST(OpenDatasets, RelativeRootResolvesAgainstRecipeAndNormalizeOverrides) {
  tinynas::testing::TempDir dir;
  write_mnist_dir(dir, "recipes/data/fm", 30, 10);
  config::DataConfig d;
  d.dataset = "fashion-mnist";
  d.root = "data/fm";
  d.normalize.mean = {0.5};
  d.normalize.std = {0.25};
  auto sets = data::open_datasets(d, dir.file("recipes/r.yaml"));
  EXPECT_EQ(sets.root, dir.file("recipes/data/fm"));
  EXPECT_FLOAT_EQ(sets.normalization.std[0], 0.25f);
  EXPECT_EQ(sets.train.class_names.at(0), "T-shirt/top");

  auto o = data::make_loader_options(d, sets.normalization, /*train=*/false, 8, 0);
  EXPECT_FALSE(o.transform.augment);
  EXPECT_FALSE(o.shuffle);
  EXPECT_FALSE(o.pad_to_world);
  auto t = data::make_loader_options(d, sets.normalization, /*train=*/true, 8, 0);
  EXPECT_TRUE(t.transform.augment);
  EXPECT_EQ(t.transform.crop_padding, d.augment.crop_padding);
}

TEST(OpenDatasets, ErrorsNameWhatIsMissing) {
  config::DataConfig d;
  d.dataset = "cifar10";
  EXPECT_NE(error_of([&] { data::open_datasets(d); }).find("data.root"), std::string::npos);
  d.dataset = "mnist";
  d.root = "/nonexistent/mnist";
  EXPECT_NE(error_of([&] { data::open_datasets(d); }).find("/nonexistent/mnist"), std::string::npos);
}
