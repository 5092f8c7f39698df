// Field-level errors: every message names the file, line, key path, value and what was
// expected.
#include <gtest/gtest.h>

#include <string>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"

namespace tinynas::config {
namespace {

using tinynas::testing::error_of;

std::string parse_error(const std::string& yaml) {
  return error_of([&] { parse_recipe(yaml, "recipes/x.yaml"); });
}

TEST(RecipeReader, UnknownKeyHasFileLinePathAndSuggestion) {
  testing::TempDir dir;
  std::string path = dir.write("r.yaml",
                               "# a recipe\n"
                               "data:\n"
                               "  dataset: mnist\n"
                               "\n"
                               "train:\n"
                               "  batch_size: 64\n"
                               "  epochz: 3\n");
  EXPECT_EQ(error_of([&] { load_recipe(path); }),
            path + ":7: unknown key 'train.epochz' (did you mean 'train.epochs'?)");
}

TEST(RecipeReader, UnknownNestedKey) {
  EXPECT_EQ(parse_error("data:\n  augment:\n    hflp: true\n"),
            "recipes/x.yaml:3: unknown key 'data.augment.hflp' (did you mean "
            "'data.augment.hflip'?)");
}

TEST(RecipeReader, UnknownSectionSuggestsSectionNames) {
  EXPECT_EQ(parse_error("run:\n  name: a\ntrian:\n  epochs: 1\n"),
            "recipes/x.yaml:3: unknown key 'trian' (did you mean 'train'?)");
  EXPECT_EQ(parse_error("exports:\n  qemu: false\n"),
            "recipes/x.yaml:1: unknown key 'exports' (did you mean 'export'?)");
}

TEST(RecipeReader, KnownNameInTheWrongSection) {
  EXPECT_EQ(parse_error("train:\n  hflip: false\n"),
            "recipes/x.yaml:2: unknown key 'train.hflip' (did you mean 'data.augment.hflip'?)");
  EXPECT_EQ(parse_error("epochs: 3\n"),
            "recipes/x.yaml:1: unknown key 'epochs' (did you mean 'train.epochs' or "
            "'supernas.epochs' or 'sparsenas.epochs'?)");
}

TEST(RecipeReader, UnknownKeyWithoutSuggestion) {
  EXPECT_EQ(parse_error("train:\n  zzzzzzzz: 1\n"), "recipes/x.yaml:2: unknown key 'train.zzzzzzzz'");
}

TEST(RecipeReader, TypeErrors) {
  EXPECT_EQ(parse_error("train:\n\n\n  epochs: abc\n"),
            "recipes/x.yaml:4: train.epochs: expected an integer in [1, 100000], got 'abc'");
  EXPECT_EQ(parse_error("train:\n  lr: fast\n"),
            "recipes/x.yaml:2: train.lr: expected a number in [0, 10], got 'fast'");
  EXPECT_EQ(parse_error("train:\n  epochs: [1]\n"),
            "recipes/x.yaml:2: train.epochs: expected an integer in [1, 100000], got a list");
  EXPECT_EQ(parse_error("run:\n  name: {a: 1}\n"),
            "recipes/x.yaml:2: run.name: expected a string, got a map");
  EXPECT_EQ(parse_error("train:\n  epochs:\n"),
            "recipes/x.yaml:2: train.epochs: expected an integer in [1, 100000], got nothing");
}

TEST(RecipeReader, IntegersMustBeIntegral) {
  EXPECT_EQ(parse_error("train:\n  epochs: 3.5\n"),
            "recipes/x.yaml:2: train.epochs: expected an integer in [1, 100000], got '3.5'");
  // Integral values written as decimals are fine.
  Recipe r = parse_recipe("train:\n  epochs: 3.0\ndata:\n  train_limit: 2e4\n");
  EXPECT_EQ(r.train.epochs, 3);
  EXPECT_EQ(r.data.train_limit, 20000);
}

TEST(RecipeReader, RangeErrorsShowValueAndRange) {
  EXPECT_EQ(parse_error("train:\n  lr: 12\n"),
            "recipes/x.yaml:2: train.lr: 12 is out of range [0, 10]");
  EXPECT_EQ(parse_error("train:\n  epochs: -1\n"),
            "recipes/x.yaml:2: train.epochs: -1 is out of range [1, 100000]");
  // zero epochs would "train" nothing and exit 0
  EXPECT_EQ(parse_error("train:\n  epochs: 0\n"),
            "recipes/x.yaml:2: train.epochs: 0 is out of range [1, 100000]");
  EXPECT_EQ(parse_error("data:\n  train_limit: 99999999999999999999\n"),
            "recipes/x.yaml:2: data.train_limit: 99999999999999999999 is out of range [0, 1000000000000]");
  EXPECT_EQ(parse_error("data:\n  normalize:\n    std: [0.1, 0]\n"),
            "recipes/x.yaml:3: data.normalize.std[1]: 0 is out of range [1e-06, 100]");
}

TEST(RecipeReader, NonFiniteNumbersAreRejected) {
  EXPECT_EQ(parse_error("train:\n  grad_clip: .nan\n"),
            "recipes/x.yaml:2: train.grad_clip: expected a number in [0, 1000000], got '.nan'");
  EXPECT_EQ(parse_error("train:\n  grad_clip: nan\n"),
            "recipes/x.yaml:2: train.grad_clip: expected a number in [0, 1000000], got 'nan'");
}

TEST(RecipeReader, ChoiceErrors) {
  EXPECT_EQ(parse_error("data:\n  dataset: fashion_mnist\n"),
            "recipes/x.yaml:2: data.dataset: 'fashion_mnist' is not one of fashion-mnist, mnist, "
            "cifar10, cifar100, image-folder (did you mean 'fashion-mnist'?)");
  EXPECT_EQ(parse_error("train:\n  optimizer: lamb\n"),
            "recipes/x.yaml:2: train.optimizer: 'lamb' is not one of adamw, sgd");
}

TEST(RecipeReader, ExportTargetAndClock) {
  const Recipe defaults = parse_recipe("");
  EXPECT_EQ(defaults.export_.target, "m7");
  EXPECT_EQ(defaults.export_.mcu_mhz, 216);
  const Recipe r = parse_recipe("export:\n  target: m4\n  mcu_mhz: 168\n");
  EXPECT_EQ(r.export_.target, "m4");
  EXPECT_EQ(r.export_.mcu_mhz, 168);
  EXPECT_EQ(parse_error("export:\n  target: cortex-m33\n"),
            "recipes/x.yaml:2: export.target: 'cortex-m33' is not one of m7, m4");
  EXPECT_EQ(parse_error("export:\n  mcu_mhz: 0\n"),
            "recipes/x.yaml:2: export.mcu_mhz: 0 is out of range [1, 10000]");
}

TEST(RecipeReader, ListElementErrorsNameTheIndexAndLine) {
  EXPECT_EQ(parse_error("sparsenas:\n  sparsity: [0.1, 0.5, 1.5]\n"),
            "recipes/x.yaml:2: sparsenas.sparsity[2]: 1.5 is out of range [0, 0.99]");
  EXPECT_EQ(parse_error("sparsenas:\n  block:\n    - 2\n    - x\n"),
            "recipes/x.yaml:4: sparsenas.block[1]: expected an integer in [1, 16], got 'x'");
  EXPECT_EQ(parse_error("sparsenas:\n  block: [2, [4]]\n"),
            "recipes/x.yaml:2: sparsenas.block[1]: expected an integer in [1, 16], got a list");
}

TEST(RecipeReader, ListFieldNeedsAList) {
  EXPECT_EQ(parse_error("sparsenas:\n  block: 4\n"),
            "recipes/x.yaml:2: sparsenas.block: expected a list such as [1, 2], got '4'");
  Recipe r = parse_recipe("data:\n  normalize:\n    mean:\n");
  EXPECT_TRUE(r.data.normalize.mean.empty());
}

TEST(RecipeReader, BooleansAreTrueOrFalse) {
  EXPECT_EQ(parse_error("export:\n  qemu: 1\n"),
            "recipes/x.yaml:2: export.qemu: expected true or false, got '1'");
  EXPECT_EQ(parse_error("export:\n  qemu: maybe\n"),
            "recipes/x.yaml:2: export.qemu: expected true or false, got 'maybe'");
  EXPECT_FALSE(parse_recipe("export:\n  qemu: False\n").export_.qemu);
}

TEST(RecipeReader, SectionGivenAsScalarOrList) {
  EXPECT_EQ(parse_error("train: 5\n"),
            "recipes/x.yaml:1: train: expected a section (a map of keys), got '5'");
  EXPECT_EQ(parse_error("data:\n  augment: [1, 2]\n"),
            "recipes/x.yaml:2: data.augment: expected a section (a map of keys), got a list");
}

TEST(RecipeReader, QuotedAndEscapedStrings) {
  Recipe r = parse_recipe("data:\n  root: 'a: b # c'\nrun:\n  name: \"x\\ty\"\n");
  EXPECT_EQ(r.data.root, "a: b # c");
  EXPECT_EQ(r.run.name, "x\ty");
}

TEST(RecipeReader, NullStringIsEmpty) {
  EXPECT_EQ(parse_recipe("data:\n  root:\n").data.root, "");
  EXPECT_EQ(parse_recipe("data:\n  root: 'null'\n").data.root, "null");
}

}  // namespace
}  // namespace tinynas::config
