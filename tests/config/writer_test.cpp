// to_yaml and key_paths: the writer covers every field and round-trips exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "tinynas/config/load.h"

namespace tinynas::config {
namespace {

Recipe non_default_recipe() {
  Recipe r;
  r.data.dataset = "image-folder";
  r.data.root = "../my data/imgs: \"x\" #1\\";
  r.data.val_fraction = 0.1 + 0.2;  // 0.30000000000000004: needs 17 digits
  r.data.split_seed = 9000000000000000;
  r.data.image_size = 96;
  r.data.channels = 1;
  r.data.augment.crop_padding = 0;
  r.data.augment.hflip = false;
  r.data.normalize.mean = {0.2860};
  r.data.normalize.std = {1.0 / 3.0};
  r.space.file = "spaces/hybrid.yaml";
  r.space.supernet = "c1=8,d=16";
  r.train.epochs = 123;
  r.train.lr = 5e-3;
  r.train.warmup_lr = 1e-7;
  r.train.min_lr = 0;
  r.train.optimizer = "sgd";
  r.train.device = "cuda";
  r.train.amp = true;
  r.train.seed = 42;
  r.distributed.backend = "gloo";
  r.distributed.bucket_mb = 0.5;
  r.supernas.lambda_lo = 0.25;
  r.supernas.search = true;
  r.sparsenas.sparsity = {0.1, 0.25, 0.99};
  r.sparsenas.block = {4};
  r.quant.calibration = "percentile";
  r.quant.percentile = 99.999;
  r.export_.storage = "sparse";
  r.export_.qemu = false;
  r.export_.target = "m4";
  r.export_.mcu_mhz = 168.5;
  r.run.name = "true";  // must be quoted to stay a string
  r.run.dir = "";
  r.run.sram_kb = 320.5;
  return r;
}

TEST(ToYaml, RoundTripsANonDefaultRecipe) {
  Recipe r = non_default_recipe();
  std::string text = to_yaml(r);
  Recipe back = parse_recipe(text);
  EXPECT_EQ(to_yaml(back), text);
  EXPECT_EQ(back.data.root, r.data.root);
  EXPECT_EQ(back.data.val_fraction, r.data.val_fraction);
  EXPECT_EQ(back.data.normalize.std, r.data.normalize.std);
  EXPECT_EQ(back.data.split_seed, r.data.split_seed);
  EXPECT_FALSE(back.data.augment.hflip);
  EXPECT_EQ(back.space.supernet, r.space.supernet);
  EXPECT_EQ(back.train.warmup_lr, r.train.warmup_lr);
  EXPECT_EQ(back.sparsenas.sparsity, r.sparsenas.sparsity);
  EXPECT_EQ(back.run.name, "true");
  EXPECT_EQ(back.run.dir, "");
  EXPECT_EQ(back.export_.storage, "sparse");
  EXPECT_EQ(back.export_.target, "m4");
  EXPECT_EQ(back.export_.mcu_mhz, 168.5);
}

TEST(ToYaml, DefaultsRoundTrip) {
  std::string text = to_yaml(Recipe{});
  EXPECT_EQ(to_yaml(parse_recipe(text)), text);
}

TEST(ToYaml, WritesShortNumbersFlowListsAndDocComments) {
  std::string text = to_yaml(Recipe{});
  EXPECT_NE(text.find("data:  # dataset, split, augmentation and loading\n"
                      "  dataset: fashion-mnist  # which dataset reader to use\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.rfind("data:", 0), 0u);
  EXPECT_NE(text.find("  val_fraction: 0.1  # "), std::string::npos);
  EXPECT_NE(text.find("  lr: 0.00055  # "), std::string::npos);
  EXPECT_NE(text.find("  augment:  # training-time augmentation\n    crop_padding: 2  # "),
            std::string::npos);
  EXPECT_NE(text.find("  sparsity: [0, 0.3, 0.5, 0.7, 0.8, 0.9]  # "), std::string::npos);
  EXPECT_NE(text.find("  block: [2, 4]  # "), std::string::npos);
  EXPECT_NE(text.find("  mean: []  # "), std::string::npos);
  EXPECT_NE(text.find("  root: \"\"  # "), std::string::npos);
  EXPECT_NE(text.find("  file: spaces/tinyformer.yaml  # "), std::string::npos);
  EXPECT_NE(text.find("\nexport:  # "), std::string::npos);
  EXPECT_EQ(text.find("base:"), std::string::npos);
}

TEST(ToYaml, EveryKeyPathAppearsOnce) {
  std::string text = to_yaml(Recipe{});
  std::istringstream lines(text);
  std::string line;
  std::vector<std::string> written;
  std::vector<std::string> stack;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::size_t indent = line.find_first_not_of(' ') / 2;
    std::string key = line.substr(indent * 2, line.find(':') - indent * 2);
    stack.resize(indent);
    std::string path;
    for (const auto& s : stack) path += s + ".";
    stack.push_back(key);
    if (line.compare(line.find(':'), 4, ":  #") == 0) continue;  // a section header
    written.push_back(path + key);
  }
  EXPECT_EQ(written, key_paths());
}

TEST(KeyPaths, ListsLeavesInSchemaOrder) {
  std::vector<std::string> keys = key_paths();
  auto has = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  EXPECT_TRUE(has("data.augment.hflip"));
  EXPECT_TRUE(has("export.storage"));
  EXPECT_TRUE(has("train.epochs"));
  EXPECT_TRUE(has("sparsenas.block"));
  EXPECT_FALSE(has("data.augment"));  // sections are not leaves
  EXPECT_FALSE(has("source"));
  EXPECT_EQ(keys.front(), "data.dataset");
  EXPECT_EQ(keys.back(), "predictor.threads");
}

}  // namespace
}  // namespace tinynas::config

TEST(FlatValues, OneEntryPerKeyPathWithItsYamlValue) {
  tinynas::config::Recipe r;
  r.train.lr = 0.001;
  r.sparsenas.block = {2, 4};
  const auto flat = tinynas::config::flat_values(r);
  const auto keys = tinynas::config::key_paths();
  ASSERT_EQ(flat.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(flat[i].first, keys[i]);
  auto value_of = [&](const std::string& k) {
    for (const auto& [key, value] : flat)
      if (key == k) return value;
    return std::string("<missing>");
  };
  EXPECT_EQ(value_of("train.lr"), "0.001");
  EXPECT_EQ(value_of("sparsenas.block"), "[2, 4]");
  EXPECT_EQ(value_of("data.augment.hflip"), "true");
}
