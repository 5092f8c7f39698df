// Saved subnet directories (nas/saved_subnet.h): a round trip gives the same logits and
// the same pruned blocks; a rewrite replaces the directory whole; damaged files are errors
// naming the file and the key.
#include <gtest/gtest.h>

#include <filesystem>

#include <torch/torch.h>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/compress/block_mask.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/core/fs.h"
#include "tinynas/nas/saved_subnet.h"
#include "train/train_fixtures.h"

using namespace tinynas;
namespace fs = std::filesystem;

namespace {

class SavedSubnetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(11);
    supernet_ = space::Supernet(layout_);
    core::Rng rng(2);
    arch_ = space::sample_arch(layout_, rng);
    sparse_ = space::sample_sparse(layout_, space::sparse_choices({0.5, 0.8}, {2, 4}), rng);
    text_ = space::to_string(space::parse_supernet(tinynas::testing::kSmallSupernet, def_), def_);
    model_ = space::extract_subnet(supernet_, arch_);
    model_->eval();
  }

  void save(const std::string& dir) {
    core::Json extra = core::Json::object();
    extra["dense_accuracy"] = 0.5;
    extra["pruned_accuracy"] = 0.25;
    extra["note"] = "test";
    nas::save_subnet(dir, def_, text_, layout_, model_, sparse_, extra);
  }

  space::SpaceDef def_ = tinynas::testing::tinyformer_space();
  space::SupernetLayout layout_ = tinynas::testing::small_layout();
  space::Supernet supernet_{nullptr};
  space::Arch arch_;
  space::SparseConfig sparse_;
  std::string text_;
  space::Subnet model_{nullptr};
  tinynas::testing::TempDir dir_;
};

}  // namespace

TEST_F(SavedSubnetTest, RoundTripGivesTheSameLogitsAndPrunedBlocks) {
  const std::string dir = dir_.file("runs/x/best");
  save(dir);  // prunes model_ one-shot to sparse_ (it was dense)
  const auto x = torch::randn({4, 1, 28, 28});
  const auto want = model_->forward(x);

  auto s = nas::load_subnet(dir, def_);
  EXPECT_EQ(s.supernet, text_);
  EXPECT_EQ(s.arch, arch_);
  EXPECT_EQ(s.sparse, sparse_);
  EXPECT_FALSE(s.model->is_training());
  EXPECT_TRUE(torch::equal(s.model->forward(x), want));
  EXPECT_EQ(s.info.at("dense_accuracy").as_double(), 0.5);
  EXPECT_EQ(s.info.at("pruned_accuracy").as_double(), 0.25);
  EXPECT_EQ(s.info.at("note").as_string(), "test");
  for (const char* key : {"space", "supernet", "arch", "sparse", "input", "classes",
                          "achieved_sparsity", "effective_params", "flash", "peak_sram", "macs"})
    EXPECT_TRUE(s.info.contains(key)) << key;
  EXPECT_EQ(s.info.at("input").dump(), "[1,28,28]");
  EXPECT_EQ(s.info.at("classes").as_int(), 10);
  EXPECT_GT(s.info.at("achieved_sparsity").as_double(), 0.3);
  EXPECT_EQ(s.info.at("zero_blocks").as_int(), s.info.at("target_blocks").as_int());
  // Every pruned block is exactly zero in the loaded model.
  auto layers = compress::prunable_layers(s.model, s.layout, s.sparse);
  for (const auto& l : layers) {
    const auto nonzero = compress::block_nonzero(l.weight, l.depthwise, l.block);
    std::int64_t zero = 0;
    for (auto v : nonzero) zero += v == 0;
    EXPECT_EQ(zero, l.target_pruned_blocks()) << l.name;
  }

  // Saving again replaces the directory whole and leaves nothing beside it.
  save(dir);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_.file("runs/x"))) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"best"});
  EXPECT_TRUE(torch::equal(nas::load_subnet(dir, def_).model->forward(x), want));
  // subnet_extra_info copies the figures, not the identity.
  const auto extra = nas::subnet_extra_info(s.info);
  EXPECT_FALSE(extra.contains("arch"));
  EXPECT_TRUE(extra.contains("pruned_accuracy"));
}

TEST_F(SavedSubnetTest, DamagedFilesNameTheFileAndKey) {
  const std::string dir = dir_.file("best");
  save(dir);
  const std::string json_path = dir + "/subnet.json";
  const std::string good = core::read_text_file(json_path);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    core::write_file_atomic(json_path, t);
  };
  using tinynas::testing::error_of;

  replace("\"arch\": \"", "\"arch\": 5, \"x\": \"");
  auto msg = error_of([&] { nas::load_subnet(dir, def_); });
  EXPECT_NE(msg.find(json_path + ": key 'arch': "), std::string::npos) << msg;

  replace("\"classes\"", "\"klasses\"");
  msg = error_of([&] { nas::load_subnet(dir, def_); });
  EXPECT_NE(msg.find(json_path + ": key 'classes': "), std::string::npos) << msg;

  replace("\"space\": \"" + def_.id + "\"", "\"space\": \"hy_h\"");
  msg = error_of([&] { nas::load_subnet(dir, def_); });
  EXPECT_NE(msg.find(json_path + ": key 'space': a subnet of space hy_h"), std::string::npos) << msg;

  core::write_file_atomic(json_path, good.substr(0, good.size() / 2));
  msg = error_of([&] { nas::load_subnet(dir, def_); });
  EXPECT_NE(msg.find(json_path), std::string::npos) << msg;

  core::write_file_atomic(json_path, good);
  fs::remove(dir + "/model.pt");
  msg = error_of([&] { nas::load_subnet(dir, def_); });
  EXPECT_NE(msg.find(dir + "/model.pt"), std::string::npos) << msg;

  // extra_info cannot change what the files are.
  core::Json bad = core::Json::object();
  bad["arch"] = "x";
  msg = error_of([&] { nas::save_subnet(dir, def_, text_, layout_, model_, sparse_, bad); });
  EXPECT_NE(msg.find("extra_info may not set 'arch'"), std::string::npos) << msg;
}
