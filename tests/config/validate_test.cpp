// Cross-field checks.
#include <gtest/gtest.h>

#include <string>

#include "tinynas/config/load.h"
#include "tinynas/core/error.h"

namespace tinynas::config {
namespace {

std::string validate_error(const Recipe& r) {
  try {
    validate(r);
  } catch (const core::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Validate, DefaultsAreValid) { EXPECT_EQ(validate_error(Recipe{}), "(no error)"); }

TEST(Validate, NormalizeLengthsMustMatch) {
  Recipe r;
  r.data.normalize.mean = {0.5, 0.5, 0.5};
  r.data.normalize.std = {0.5};
  EXPECT_EQ(validate_error(r),
            "data.normalize.mean has 3 values but data.normalize.std has 1; give both per "
            "channel, or leave both empty");
  r.data.normalize.mean = {0.5, 0.5};
  r.data.normalize.std = {0.5, 0.5};
  EXPECT_EQ(validate_error(r),
            "data.normalize.mean and data.normalize.std have 2 values; expected 1 (grayscale) or "
            "3 (RGB)");
  r.data.normalize.mean = {0.5};
  r.data.normalize.std = {0.25};
  EXPECT_EQ(validate_error(r), "(no error)");
}

TEST(Validate, LearningRates) {
  Recipe r;
  r.train.lr = 0.001;
  r.train.warmup_lr = 0.01;
  EXPECT_EQ(validate_error(r), "train.warmup_lr (0.01) must not exceed train.lr (0.001)");
  r.train.warmup_lr = 0;
  r.train.min_lr = 0.002;
  EXPECT_EQ(validate_error(r), "train.min_lr (0.002) must not exceed train.lr (0.001)");
}

TEST(Validate, LambdasAndAgpSchedule) {
  Recipe r;
  r.supernas.lambda_lo = 3;
  EXPECT_EQ(validate_error(r), "supernas.lambda_lo (3) must not exceed supernas.lambda_up (2.8)");
  r = Recipe{};
  r.sparsenas.agp_start = 0.7;
  EXPECT_EQ(validate_error(r),
            "sparsenas.agp_start (0.7) must be less than sparsenas.agp_end (0.7)");
}

TEST(Validate, SparseChoicesMustBeNonEmpty) {
  Recipe r;
  r.sparsenas.sparsity.clear();
  r.sparsenas.block.clear();
  EXPECT_EQ(validate_error(r),
            "sparsenas.sparsity must list at least one sparsity choice; sparsenas.block must "
            "list at least one block size choice");
}

TEST(Validate, RunName) {
  Recipe r;
  r.run.name = "";
  EXPECT_EQ(validate_error(r), "run.name must not be empty");
  r.run.name = "a/b";
  EXPECT_EQ(validate_error(r),
            "run.name 'a/b' must be a plain directory name (no '/', not . or ..)");
  r.run.name = "..";
  EXPECT_NE(validate_error(r), "(no error)");
}

TEST(Validate, ImageFolderNeedsRoot) {
  Recipe r;
  r.data.dataset = "image-folder";
  EXPECT_EQ(validate_error(r),
            "data.root must name the image folder when data.dataset is image-folder");
  r.data.root = "/data/imgs";
  EXPECT_EQ(validate_error(r), "(no error)");
}

TEST(Validate, ParseRecipeRunsItWithTheRecipeName) {
  try {
    parse_recipe("train:\n  lr: 0.001\n  warmup_lr: 0.01\n", "recipes/x.yaml");
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "recipes/x.yaml: train.warmup_lr (0.01) must not exceed train.lr (0.001)");
  }
}

}  // namespace
}  // namespace tinynas::config
