// Loading recipes: defaults, files, the base chain, overrides and the shipped recipes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"

namespace tinynas::config {
namespace {

using testing::TempDir;

using tinynas::testing::error_of;

std::string source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

TEST(LoadRecipe, EmptyTextGivesDefaults) {
  Recipe r = parse_recipe("");
  Recipe defaults;
  EXPECT_EQ(to_yaml(r), to_yaml(defaults));
  EXPECT_EQ(r.train.epochs, 10);
  EXPECT_EQ(r.data.dataset, "fashion-mnist");
  EXPECT_EQ(r.sparsenas.block, (std::vector<int>{2, 4}));
  EXPECT_EQ(r.source, "");
}

TEST(LoadRecipe, CommentsOnlyAndEmptySectionsGiveDefaults) {
  EXPECT_EQ(to_yaml(parse_recipe("# nothing here\n")), to_yaml(Recipe{}));
  EXPECT_EQ(to_yaml(parse_recipe("train:\ndata: {}\n")), to_yaml(Recipe{}));
}

TEST(LoadRecipe, ReadsValuesFromFile) {
  TempDir dir;
  std::string path = dir.write("r.yaml",
                               "data:\n"
                               "  dataset: cifar10\n"
                               "  val_fraction: 0.2\n"
                               "  split_seed: 1234567890123\n"
                               "  augment:\n"
                               "    hflip: false\n"
                               "  normalize:\n"
                               "    mean: [0.5, 0.4, 0.3]\n"
                               "    std:\n"
                               "      - 0.25\n"
                               "      - 0.2\n"
                               "      - 0.1\n"
                               "train:\n"
                               "  epochs: 3\n"
                               "  lr: 1e-3\n"
                               "  amp: true\n"
                               "  optimizer: sgd\n"
                               "sparsenas:\n"
                               "  block: [4]\n"
                               "export:\n"
                               "  storage: sparse\n"
                               "run:\n"
                               "  name: \"my run\"\n");
  Recipe r = load_recipe(path);
  EXPECT_EQ(r.source, path);
  EXPECT_EQ(r.data.dataset, "cifar10");
  EXPECT_DOUBLE_EQ(r.data.val_fraction, 0.2);
  EXPECT_EQ(r.data.split_seed, 1234567890123);
  EXPECT_FALSE(r.data.augment.hflip);
  EXPECT_EQ(r.data.augment.crop_padding, 2);  // default kept
  EXPECT_EQ(r.data.normalize.mean, (std::vector<double>{0.5, 0.4, 0.3}));
  EXPECT_EQ(r.data.normalize.std, (std::vector<double>{0.25, 0.2, 0.1}));
  EXPECT_EQ(r.train.epochs, 3);
  EXPECT_EQ(r.train.lr, 1e-3);
  EXPECT_TRUE(r.train.amp);
  EXPECT_EQ(r.train.optimizer, "sgd");
  EXPECT_EQ(r.sparsenas.block, (std::vector<int>{4}));
  EXPECT_EQ(r.export_.storage, "sparse");
  EXPECT_EQ(r.run.name, "my run");
}

TEST(LoadRecipe, MissingFileNamesIt) {
  TempDir dir;
  std::string path = dir.file("nope.yaml");
  std::string msg = error_of([&] { load_recipe(path); });
  EXPECT_EQ(msg.rfind(path + ": cannot open", 0), 0u) << msg;
}

TEST(LoadRecipe, BaseChainDeepMerges) {
  TempDir dir;
  dir.write("base/root.yaml",
            "data:\n"
            "  augment:\n"
            "    hflip: false\n"
            "    crop_padding: 4\n"
            "  workers: 7\n"
            "train:\n"
            "  epochs: 100\n"
            "  batch_size: 64\n"
            "sparsenas:\n"
            "  sparsity: [0.1, 0.2, 0.3]\n");
  // The middle file is in a subdirectory; its base path is relative to itself.
  dir.write("base/mid.yaml",
            "base: root.yaml\n"
            "train:\n"
            "  epochs: 50\n"
            "run:\n"
            "  name: mid\n");
  std::string top = dir.write("top.yaml",
                              "base: base/mid.yaml\n"
                              "data:\n"
                              "  augment:\n"
                              "    crop_padding: 0\n"
                              "sparsenas:\n"
                              "  sparsity: [0.5]\n");
  Recipe r = load_recipe(top);
  EXPECT_FALSE(r.data.augment.hflip);            // from root, untouched by top
  EXPECT_EQ(r.data.augment.crop_padding, 0);     // top over root
  EXPECT_EQ(r.data.workers, 7);                  // root
  EXPECT_EQ(r.train.epochs, 50);                 // mid over root
  EXPECT_EQ(r.train.batch_size, 64);             // root
  EXPECT_EQ(r.run.name, "mid");                  // mid
  EXPECT_EQ(r.sparsenas.sparsity, (std::vector<double>{0.5}));  // lists replace
  EXPECT_EQ(r.source, top);
}

TEST(LoadRecipe, EmptyListInChildClearsBaseList) {
  TempDir dir;
  dir.write("base.yaml", "data:\n  normalize:\n    mean: [0.5]\n    std: [0.25]\n");
  std::string top = dir.write("top.yaml", "base: base.yaml\ndata:\n  normalize:\n    mean:\n    std: []\n");
  Recipe r = load_recipe(top);
  EXPECT_TRUE(r.data.normalize.mean.empty());
  EXPECT_TRUE(r.data.normalize.std.empty());
}

TEST(LoadRecipe, RelativePathsFromABaseInAnotherDirectoryKeepTheirMeaning) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("shared/spaces"));
  dir.write("shared/base.yaml", "space: {file: spaces/s.yaml}\ndata: {root: ../data}\n");
  dir.write("same.yaml", "space: {file: spaces/t.yaml}\n");
  // A recipe elsewhere inherits paths that still mean shared/spaces/s.yaml and data/.
  std::filesystem::create_directories(dir.file("mine"));
  Recipe r = load_recipe(dir.write("mine/top.yaml", "base: ../shared/base.yaml\n"));
  const auto canon = [](const std::string& p) { return std::filesystem::weakly_canonical(p); };
  EXPECT_EQ(canon(r.space.file), canon(dir.file("shared/spaces/s.yaml")));
  EXPECT_EQ(canon(r.data.root), canon(dir.file("data")));
  // Its own values, and a base in the same directory, stay as written.
  r = load_recipe(dir.write("mine/own.yaml", "base: ../shared/base.yaml\nspace: {file: x.yaml}\n"));
  EXPECT_EQ(r.space.file, "x.yaml");
  r = load_recipe(dir.write("top2.yaml", "base: same.yaml\n"));
  EXPECT_EQ(r.space.file, "spaces/t.yaml");
}

TEST(LoadRecipe, FileWithOnlyBaseKeyIsValid) {
  EXPECT_EQ(to_yaml(parse_recipe("base:\n")), to_yaml(Recipe{}));
  TempDir dir;
  dir.write("a.yaml", "train:\n  epochs: 4\n");
  Recipe r = load_recipe(dir.write("b.yaml", "base: a.yaml\n"));
  EXPECT_EQ(r.train.epochs, 4);
}

TEST(LoadRecipe, BaseCycleIsAnErrorNamingTheFiles) {
  TempDir dir;
  std::string a = dir.write("a.yaml", "base: b.yaml\n");
  std::string b = dir.write("b.yaml", "train:\n  epochs: 1\nbase: a.yaml\n");
  EXPECT_EQ(error_of([&] { load_recipe(a); }),
            b + ":3: base cycle: " + a + " -> " + b + " -> " + a);

  std::string self = dir.write("self.yaml", "base: self.yaml\n");
  EXPECT_EQ(error_of([&] { load_recipe(self); }),
            self + ":1: base cycle: " + self + " -> " + self);
}

TEST(LoadRecipe, MissingBaseNamesIncludingFileAndLine) {
  TempDir dir;
  std::string top = dir.write("top.yaml", "# comment\ntrain:\n  epochs: 1\nbase: gone.yaml\n");
  EXPECT_EQ(error_of([&] { load_recipe(top); }),
            top + ":4: base file 'gone.yaml' not found (looked for " + dir.file("gone.yaml") + ")");
}

TEST(LoadRecipe, BaseThatIsADirectoryIsNamedAsSuch) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("recipes"));
  std::string top = dir.write("top.yaml", "base: recipes\n");
  EXPECT_EQ(error_of([&] { load_recipe(top); }),
            top + ":1: base 'recipes' is a directory, not a recipe file (" + dir.file("recipes") + ")");
}

TEST(LoadRecipe, BaseMustBeAFileName) {
  EXPECT_EQ(error_of([] { parse_recipe("base: [a, b]\n", "x.yaml"); }),
            "x.yaml:1: base: expected the name of a recipe file, got a list");
}

TEST(LoadRecipe, ErrorsInABaseFileNameThatFile) {
  TempDir dir;
  std::string base = dir.write("base.yaml", "train:\n  epochz: 3\n");
  std::string top = dir.write("top.yaml", "base: base.yaml\n");
  EXPECT_EQ(error_of([&] { load_recipe(top); }),
            base + ":2: unknown key 'train.epochz' (did you mean 'train.epochs'?)");
}

TEST(LoadRecipe, SyntaxErrorHasFileLineAndColumn) {
  std::string msg = error_of([] { parse_recipe("train:\n  epochs: [1, 2\nrun: {}\n", "x.yaml"); });
  EXPECT_EQ(msg.rfind("x.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find(": YAML syntax error: "), std::string::npos) << msg;
  // file:line:col
  std::string loc = msg.substr(0, msg.find(": YAML"));
  EXPECT_EQ(std::count(loc.begin(), loc.end(), ':'), 2) << msg;
}

TEST(LoadRecipe, TopLevelMustBeAMap) {
  EXPECT_EQ(error_of([] { parse_recipe("- a\n- b\n", "x.yaml"); }),
            "x.yaml:1: expected a map of sections at the top level, got a list");
  EXPECT_EQ(error_of([] { parse_recipe("hello\n", "x.yaml"); }),
            "x.yaml:1: expected a map of sections at the top level, got 'hello'");
}

TEST(LoadRecipe, DuplicateKeysAreAnError) {
  EXPECT_EQ(error_of([] { parse_recipe("train:\n  epochs: 1\n  epochs: 2\n", "x.yaml"); }),
            "x.yaml:3: duplicate key 'train.epochs' (first written at x.yaml:2)");
}

TEST(LoadRecipe, MultipleDocumentsAreAnError) {
  std::string msg = error_of([] { parse_recipe("train: {}\n---\nrun: {}\n", "x.yaml"); });
  EXPECT_NE(msg.find("more than one YAML document"), std::string::npos) << msg;
}

TEST(Overrides, SetLeafNestedAndListValues) {
  Recipe r = parse_recipe("train:\n  epochs: 3\n", "<recipe>",
                          {"train.epochs=7", "data.augment.hflip=false",
                           "sparsenas.block=[2,4,8]", "sparsenas.sparsity=[0, 0.5]",
                           "train.lr=0.002", "run.name=exp 1", "data.root=", "quant.calibration=percentile"});
  EXPECT_EQ(r.train.epochs, 7);
  EXPECT_FALSE(r.data.augment.hflip);
  EXPECT_EQ(r.data.augment.crop_padding, 2);  // sibling keeps its default
  EXPECT_EQ(r.sparsenas.block, (std::vector<int>{2, 4, 8}));
  EXPECT_EQ(r.sparsenas.sparsity, (std::vector<double>{0, 0.5}));
  EXPECT_EQ(r.train.lr, 0.002);
  EXPECT_EQ(r.run.name, "exp 1");
  EXPECT_EQ(r.data.root, "");
  EXPECT_EQ(r.quant.calibration, "percentile");
}

TEST(Overrides, ApplyAfterTheBaseChainAndKeepSiblings) {
  TempDir dir;
  dir.write("base.yaml", "data:\n  augment:\n    hflip: false\n    crop_padding: 4\n");
  std::string top = dir.write("top.yaml", "base: base.yaml\ndata:\n  augment: {}\n");
  Recipe r = load_recipe(top, {"data.augment.crop_padding=1", "data.normalize.mean=[0.5]",
                               "data.normalize.std=[0.5]"});
  EXPECT_FALSE(r.data.augment.hflip);
  EXPECT_EQ(r.data.augment.crop_padding, 1);
  EXPECT_EQ(r.data.normalize.mean, (std::vector<double>{0.5}));
}

TEST(Overrides, LaterOverrideWins) {
  Recipe r = parse_recipe("", "<recipe>", {"train.epochs=1", "train.epochs=2"});
  EXPECT_EQ(r.train.epochs, 2);
}

TEST(Overrides, EmptyValueIsEmptyListForListFields) {
  Recipe r = parse_recipe("data:\n  normalize:\n    mean: [0.5]\n", "<recipe>",
                          {"data.normalize.mean="});
  EXPECT_TRUE(r.data.normalize.mean.empty());
}

TEST(Overrides, UnknownKeyWithSuggestion) {
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"train.epochz=3"}); }),
            "--set train.epochz=3: unknown key 'train.epochz' (did you mean 'train.epochs'?)");
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"foo.bar=3"}); }),
            "--set foo.bar=3: unknown key 'foo.bar'");
  // The right name in the wrong section.
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"train.hflip=true"}); }),
            "--set train.hflip=true: unknown key 'train.hflip' (did you mean "
            "'data.augment.hflip'?)");
}

TEST(Overrides, SectionIsNotALeaf) {
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"data.augment=3"}); }),
            "--set data.augment=3: 'data.augment' is a section; set one of its keys, e.g. "
            "'data.augment.crop_padding'");
}

TEST(Overrides, MissingEqualsIsAnError) {
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"train.epochs"}); }),
            "--set train.epochs: expected key=value, e.g. --set train.epochs=5");
}

TEST(Overrides, BadValuesNameTheOverride) {
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"train.epochs=abc"}); }),
            "--set train.epochs=abc: train.epochs: expected an integer in [1, 100000], got 'abc'");
  EXPECT_EQ(error_of([] { parse_recipe("", "<recipe>", {"sparsenas.block=[2,99]"}); }),
            "--set sparsenas.block=[2,99]: sparsenas.block[1]: 99 is out of range [1, 16]");
  std::string msg = error_of([] { parse_recipe("", "<recipe>", {"sparsenas.block=[2,"}); });
  EXPECT_EQ(msg.rfind("--set sparsenas.block=[2,: YAML syntax error", 0), 0u) << msg;
}

TEST(ShippedRecipes, Quickstart) {
  Recipe r = load_recipe(source_dir() + "/recipes/quickstart.yaml");
  EXPECT_EQ(r.data.dataset, "fashion-mnist");
  EXPECT_EQ(r.train.epochs, 5);
  EXPECT_EQ(r.train.batch_size, 128);
  EXPECT_EQ(r.train.device, "cpu");
  EXPECT_EQ(r.data.workers, 2);
  EXPECT_EQ(r.data.augment.crop_padding, 2);
  EXPECT_TRUE(r.data.augment.hflip);
  EXPECT_EQ(r.space.file, "spaces/tinyformer-normal.yaml");
  EXPECT_EQ(r.run.name, "quickstart");
  EXPECT_EQ(r.run.sram_kb, 64);
  EXPECT_EQ(r.run.flash_kb, 256);
  EXPECT_EQ(r.data.train_limit, 0);
}

TEST(ShippedRecipes, FmnistTinyBuildsOnQuickstart) {
  Recipe r = load_recipe(source_dir() + "/recipes/fmnist-tiny.yaml");
  EXPECT_EQ(r.run.name, "fmnist-tiny");
  EXPECT_EQ(r.data.train_limit, 2000);
  EXPECT_EQ(r.data.test_limit, 500);
  EXPECT_EQ(r.train.epochs, 1);
  // From the base.
  EXPECT_EQ(r.train.batch_size, 128);
  EXPECT_EQ(r.train.device, "cpu");
  EXPECT_EQ(r.data.workers, 2);
  EXPECT_EQ(r.run.sram_kb, 64);
  EXPECT_EQ(r.space.file, "spaces/tinyformer-normal.yaml");
}

TEST(ShippedRecipes, HytnasFmnistBuildsOnQuickstart) {
  Recipe r = load_recipe(source_dir() + "/recipes/hytnas-fmnist.yaml");
  EXPECT_EQ(r.run.name, "hytnas-fmnist");
  EXPECT_EQ(r.space.file, "spaces/hytnas.yaml");
  EXPECT_EQ(r.sparsenas.strategy, "mobo");
  EXPECT_EQ(r.sparsenas.mobo_init, 40);
  EXPECT_EQ(r.sparsenas.mobo_batch, 10);
  EXPECT_EQ(r.sparsenas.evaluations, 200);
  EXPECT_EQ(r.sparsenas.fitness_images, 1000);
  EXPECT_EQ(r.sparsenas.pick, "knee");
  // From the base.
  EXPECT_EQ(r.data.dataset, "fashion-mnist");
  EXPECT_EQ(r.train.epochs, 5);
  EXPECT_EQ(r.sparsenas.finetune_epochs, 3);
  EXPECT_EQ(r.run.sram_kb, 64);
  EXPECT_EQ(r.run.flash_kb, 256);
}

}  // namespace
}  // namespace tinynas::config
