// Checkpoint files: atomic pairs, keep-last-N and best, corruption detected with the file
// named, recipe comparison.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/train/checkpoint.h"

using namespace tinynas;
namespace fs = std::filesystem;

namespace {

train::CheckpointInfo info_at(std::int64_t step) {
  train::CheckpointInfo i;
  i.step = step;
  i.steps_per_epoch = 10;
  i.space_id = "tf1";
  i.supernet = "tf1{c1=16}";
  i.recipe = {{"train.lr", "0.001"}, {"train.epochs", "3"}};
  i.torch_version = "1.13.0";
  i.archive = "ckpt.pt";
  return i;
}

std::string some_archive(float v) {
  torch::serialize::OutputArchive a;
  a.write("x", torch::full({4}, v));
  return train::archive_bytes(a);
}

}  // namespace

TEST(Checkpoint, SidecarRoundTrips) {
  auto i = info_at(42);
  i.val_accuracy = 0.5;
  i.best_accuracy = 0.75;
  i.best_step = 40;
  const auto back = train::checkpoint_info_from_json(
      core::Json::parse(train::to_json(i).dump()), "x.json");
  EXPECT_EQ(back.step, 42);
  EXPECT_EQ(back.recipe, i.recipe);
  EXPECT_EQ(back.best_accuracy, 0.75);
  EXPECT_EQ(back.supernet, "tf1{c1=16}");
}

TEST(Checkpoint, KeepsTheNewestNAndTheBest) {
  tinynas::testing::TempDir dir;
  train::CheckpointDir ckpts(dir.file("supernet"));
  EXPECT_FALSE(ckpts.latest());
  for (int s = 1; s <= 5; ++s) ckpts.save(info_at(s * 10), some_archive(float(s)), s == 2, 2);
  const auto all = ckpts.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(fs::path(all[0]).filename(), "ckpt-000000040.json");
  EXPECT_EQ(fs::path(*ckpts.latest()).filename(), "ckpt-000000050.json");
  EXPECT_FALSE(fs::exists(dir.file("supernet/ckpt-000000030.pt")));
  const auto best = train::read_checkpoint(ckpts.best_path());
  EXPECT_EQ(best.info.step, 20);
  EXPECT_EQ(best.info.archive, "best-000000020.pt");
  ckpts.save(info_at(60), some_archive(6), true, 2);  // a new best replaces the old copy
  EXPECT_FALSE(fs::exists(dir.file("supernet/best-000000020.pt")));
  EXPECT_EQ(train::read_checkpoint(ckpts.best_path()).info.step, 60);
  torch::serialize::InputArchive in;
  train::load_archive(in, best.archive, "best");
  torch::Tensor x;
  in.read("x", x);
  EXPECT_TRUE(torch::equal(x, torch::full({4}, 2.0f)));
}

TEST(Checkpoint, CorruptionIsDetectedAndNamesTheFile) {
  tinynas::testing::TempDir dir;
  train::CheckpointDir ckpts(dir.path());
  const auto sidecar = ckpts.save(info_at(7), some_archive(1), false, 3);
  const auto archive = dir.file("ckpt-000000007.pt");
  auto bytes = core::read_file(archive);

  bytes[bytes.size() / 2] ^= 0x40;  // one flipped bit
  core::write_file_atomic(archive, bytes.data(), bytes.size());
  auto msg = tinynas::testing::error_of([&] { train::read_checkpoint(sidecar); });
  EXPECT_NE(msg.find(archive), std::string::npos) << msg;
  EXPECT_NE(msg.find("CRC-32"), std::string::npos) << msg;

  core::write_file_atomic(archive, bytes.data(), bytes.size() - 10);  // truncated
  msg = tinynas::testing::error_of([&] { train::read_checkpoint(sidecar); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  core::write_file_atomic(sidecar, std::string("{\"format\": \"tinynas-checkpoint\", \"ver"));
  msg = tinynas::testing::error_of([&] { train::read_checkpoint(sidecar); });
  EXPECT_NE(msg.find(sidecar + ": byte offset"), std::string::npos) << msg;

  core::write_file_atomic(sidecar, std::string("{\"format\": \"something-else\"}"));
  msg = tinynas::testing::error_of([&] { train::read_checkpoint(sidecar); });
  EXPECT_NE(msg.find("not a tinynas checkpoint"), std::string::npos) << msg;
}

TEST(Checkpoint, ModuleRoundTripAndMismatchNamesTheTensor) {
  torch::nn::Sequential a(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  torch::nn::Sequential b(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  {
    torch::NoGradGuard g;
    for (auto& p : a->parameters()) p.uniform_();
    a[1]->as<torch::nn::BatchNorm1d>()->running_mean.fill_(0.25);
  }
  torch::serialize::OutputArchive out;
  train::write_module(out, *a, "model/");
  const auto bytes = train::archive_bytes(out);
  torch::serialize::InputArchive in;
  train::load_archive(in, bytes, "a.pt");
  train::read_module(in, *b, "model/", "a.pt");
  for (std::size_t i = 0; i < a->parameters().size(); ++i)
    EXPECT_TRUE(torch::equal(a->parameters()[i], b->parameters()[i]));
  EXPECT_TRUE(torch::equal(b[1]->as<torch::nn::BatchNorm1d>()->running_mean, torch::full({2}, 0.25f)));

  torch::nn::Sequential other(torch::nn::Linear(4, 2), torch::nn::BatchNorm1d(2));
  torch::serialize::InputArchive in2;
  train::load_archive(in2, bytes, "a.pt");
  const auto msg = tinynas::testing::error_of([&] { train::read_module(in2, *other, "model/", "a.pt"); });
  EXPECT_NE(msg.find("a.pt: '0.weight' has shape [2, 3]"), std::string::npos) << msg;

  const auto garbage = tinynas::testing::error_of([&] {
    torch::serialize::InputArchive in3;
    train::load_archive(in3, "not a zip", "bad.pt");
  });
  EXPECT_NE(garbage.find("bad.pt: not a readable LibTorch archive"), std::string::npos) << garbage;
}

TEST(Checkpoint, RecipeDifferencesSkipIgnoredKeys) {
  const std::vector<std::pair<std::string, std::string>> saved = {
      {"train.lr", "0.001"}, {"train.log_every", "50"}, {"run.name", "a"}};
  const std::vector<std::pair<std::string, std::string>> now = {
      {"train.lr", "0.002"}, {"train.log_every", "10"}, {"run.name", "b"}, {"train.new", "1"}};
  const auto d = train::recipe_differences(saved, now, {"train.log_every", "run."});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "train.lr: 0.001 in the checkpoint, 0.002 now");
  EXPECT_EQ(d[1], "train.new: (absent) in the checkpoint, 1 now");
  // A key added to the schema since the checkpoint is no change at its default value.
  const auto added = train::recipe_differences(saved, {{"train.lr", "0.001"}, {"sparsenas.epochs", "1"},
                                                       {"quant.equalize", "true"}},
                                               {}, "the checkpoint");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0], "sparsenas.epochs: (absent) in the checkpoint, 1 now");
}
