// Checkpoint files: atomic pairs, keep-last-N and best, corruption detected with the file
// named, the archive's identity record checked against its sidecar, recipe comparison.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/core/checksum.h"
#include "tinynas/core/fs.h"
#include "tinynas/space/space.h"
#include "tinynas/train/checkpoint.h"
#include "space/fixtures.h"

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

// info_at(step) after some training: accuracies, a best step, the space's fingerprint.
train::CheckpointInfo trained_at(std::int64_t step, const std::string& space_fingerprint) {
  auto i = info_at(step);
  i.val_accuracy = 0.5;
  i.best_accuracy = 0.75;
  i.best_step = 40;
  i.space_fingerprint = space_fingerprint;
  return i;
}

std::string some_archive(float v) {
  torch::serialize::OutputArchive a;
  a.write("x", torch::full({4}, v));
  return train::archive_bytes(a);
}

std::string save(train::CheckpointDir& dir, const train::CheckpointInfo& info, float v, bool best,
                 int keep_last) {
  torch::serialize::OutputArchive a;
  a.write("x", torch::full({4}, v));
  return dir.save(info, a, best, keep_last);
}

// Rewrites one member of a JSON file, as a user editing the file would.
void edit_json(const std::string& path, const std::string& key, const core::Json& value) {
  auto j = core::Json::parse(core::read_text_file(path), path);
  j[key] = value;
  core::write_file_atomic(path, j.dump() + "\n");
}

// Puts `bytes` in place of a checkpoint's archive and fixes its sidecar's size and CRC-32,
// so that only the archive's own identity record can tell.
void replace_archive(const std::string& sidecar, const std::string& archive, const std::string& bytes) {
  core::write_file_atomic(archive, bytes.data(), bytes.size());
  edit_json(sidecar, "archive_bytes", static_cast<std::int64_t>(bytes.size()));
  edit_json(sidecar, "archive_crc32",
            static_cast<std::int64_t>(core::crc32_of(bytes.data(), bytes.size())));
}

void load(const std::string& sidecar) {
  torch::serialize::InputArchive in;
  train::load_checkpoint_archive(in, train::read_checkpoint(sidecar));
}

}  // namespace

TEST(Checkpoint, SidecarRoundTrips) {
  const auto i = trained_at(42, "0123456789abcdef");
  const auto back = train::checkpoint_info_from_json(
      core::Json::parse(train::to_json(i).dump()), "x.json");
  EXPECT_EQ(back.step, 42);
  EXPECT_EQ(back.recipe, i.recipe);
  EXPECT_EQ(back.best_accuracy, 0.75);
  EXPECT_EQ(back.supernet, "tf1{c1=16}");
  EXPECT_EQ(back.space_fingerprint, "0123456789abcdef");
  EXPECT_EQ(back.format_version, 2);
}

TEST(Checkpoint, KeepsTheNewestNAndTheBest) {
  tinynas::testing::TempDir dir;
  train::CheckpointDir ckpts(dir.file("supernet"));
  EXPECT_FALSE(ckpts.latest());
  for (int s = 1; s <= 5; ++s) save(ckpts, info_at(s * 10), float(s), s == 2, 2);
  const auto all = ckpts.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(fs::path(all[0]).filename(), "ckpt-000000040.json");
  EXPECT_EQ(fs::path(*ckpts.latest()).filename(), "ckpt-000000050.json");
  EXPECT_FALSE(fs::exists(dir.file("supernet/ckpt-000000030.pt")));
  const auto best = train::read_checkpoint(ckpts.best_path());
  EXPECT_EQ(best.info.step, 20);
  EXPECT_EQ(best.info.archive, "best-000000020.pt");
  save(ckpts, info_at(60), 6, true, 2);  // a new best replaces the old copy
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
  const auto sidecar = save(ckpts, info_at(7), 1, false, 3);
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
  // ... except where config::added_keys says what the saved run did instead: a search from
  // before predictor.monotone ran unconstrained, whatever the default is now.
  EXPECT_TRUE(train::recipe_differences(saved, {{"predictor.monotone", "false"}}, {}, "search.json").empty());
  const auto monotone = train::recipe_differences(saved, {{"predictor.monotone", "true"}}, {}, "search.json");
  ASSERT_EQ(monotone.size(), 1u);
  EXPECT_EQ(monotone[0], "predictor.monotone: (absent) in search.json, true now");
}

TEST(Checkpoint, ArchiveIdentityIsCheckedAgainstItsSidecar) {
  tinynas::testing::TempDir dir;
  train::CheckpointDir ckpts(dir.path());
  auto info = info_at(35);
  info.space_fingerprint = "00000000000000aa";
  const auto older = save(ckpts, info, 1, false, 3);
  info.step = 42;
  const auto sidecar = save(ckpts, info, 2, false, 3);
  const auto archive = dir.file("ckpt-000000042.pt");
  const auto good_sidecar = core::read_text_file(sidecar);
  load(sidecar);  // intact

  edit_json(sidecar, "step", std::int64_t{30});  // an edited step
  auto msg = tinynas::testing::error_of([&] { load(sidecar); });
  EXPECT_EQ(msg.find(archive + ": step is 42 in the archive, 30 in its sidecar " + sidecar), 0u) << msg;

  core::write_file_atomic(sidecar, good_sidecar);
  for (const char* key : {"space_fingerprint", "supernet", "steps_per_epoch"}) {
    edit_json(sidecar, key, key == std::string("steps_per_epoch") ? core::Json(11) : core::Json("x"));
    msg = tinynas::testing::error_of([&] { load(sidecar); });
    EXPECT_EQ(msg.find(archive + ": " + key + " is "), 0u) << msg;
    EXPECT_NE(msg.find(" in its sidecar " + sidecar), std::string::npos) << msg;
    core::write_file_atomic(sidecar, good_sidecar);
  }
  auto recipe = core::Json::parse(good_sidecar);
  recipe["recipe"]["train.lr"] = "0.5";
  core::write_file_atomic(sidecar, recipe.dump());
  msg = tinynas::testing::error_of([&] { load(sidecar); });
  EXPECT_EQ(msg.find(archive + ": recipe_hash is "), 0u) << msg;

  // An older archive in place of the newer one, its size and CRC fixed in the sidecar.
  core::write_file_atomic(sidecar, good_sidecar);
  replace_archive(sidecar, archive, core::read_text_file(dir.file("ckpt-000000035.pt")));
  msg = tinynas::testing::error_of([&] { load(sidecar); });
  EXPECT_EQ(msg.find(archive + ": step is 35 in the archive, 42 in its sidecar " + sidecar), 0u) << msg;

  // A LibTorch archive without the record, and no archive at all: both name the archive.
  replace_archive(sidecar, archive, some_archive(3));
  msg = tinynas::testing::error_of([&] { load(sidecar); });
  EXPECT_EQ(msg.find(archive + ": has no checkpoint identity record, its sidecar " + sidecar), 0u) << msg;
  replace_archive(sidecar, archive, "not a zip archive");
  msg = tinynas::testing::error_of([&] { load(sidecar); });
  EXPECT_EQ(msg.find(archive + ": not a readable LibTorch archive"), 0u) << msg;

  // A version-1 sidecar (written before the record existed) loads without the check.
  replace_archive(sidecar, archive, some_archive(3));
  edit_json(sidecar, "version", 1);
  EXPECT_EQ(train::read_checkpoint(sidecar).info.format_version, 1);
  load(sidecar);
  edit_json(sidecar, "version", 3);
  msg = tinynas::testing::error_of([&] { train::read_checkpoint(sidecar); });
  EXPECT_NE(msg.find("format version 3 is not supported"), std::string::npos) << msg;
  (void)older;
}

// Checkpoints written by earlier builds must go on loading: the sidecar's JSON, the
// archive's identity record and the hashes in them are pinned to the bytes written so far.
TEST(Checkpoint, FormatTwoBytesArePinned) {
  auto info = trained_at(42, "00000000000000aa");
  EXPECT_EQ(train::recipe_hash(info.recipe), "ac697b9dc61e7f98");
  EXPECT_EQ(train::to_json(info).dump(),
            R"({"format":"tinynas-checkpoint","version":2,"step":42,"steps_per_epoch":10,)"
            R"("virtual_world":1,"world_size":1,"space_id":"tf1","space_fingerprint":"00000000000000aa",)"
            R"("supernet":"tf1{c1=16}","val_accuracy":0.5,"best_accuracy":0.75,"best_step":40,)"
            R"("archive":"ckpt.pt","archive_bytes":0,"archive_crc32":0,"torch_version":"1.13.0",)"
            R"("recipe":{"train.lr":"0.001","train.epochs":"3"}})");
  tinynas::testing::TempDir dir;
  train::CheckpointDir ckpts(dir.path());
  save(ckpts, info, 1, false, 3);
  const auto identity = [&](const std::string& archive) {
    torch::serialize::InputArchive in;
    train::load_archive(in, core::read_text_file(archive), archive);
    c10::IValue v;
    EXPECT_TRUE(in.try_read("checkpoint/identity", v));
    return v.isString() ? v.toStringRef() : std::string();
  };
  EXPECT_EQ(identity(dir.file("ckpt-000000042.pt")),
            R"({"step":42,"steps_per_epoch":10,"virtual_world":1,"world_size":1,"space_id":"tf1",)"
            R"("space_fingerprint":"00000000000000aa","supernet":"tf1{c1=16}","subnet":"",)"
            R"("recipe_hash":"ac697b9dc61e7f98","best_step":40})");
  // A subnet's checkpoint without a space fingerprint (written before they were kept).
  info.step = 43;
  info.space_fingerprint.clear();
  info.subnet = "tf1:A";
  EXPECT_EQ(train::to_json(info).dump(),
            R"({"format":"tinynas-checkpoint","version":2,"step":43,"steps_per_epoch":10,)"
            R"("virtual_world":1,"world_size":1,"space_id":"tf1","supernet":"tf1{c1=16}",)"
            R"("subnet":"tf1:A","val_accuracy":0.5,"best_accuracy":0.75,"best_step":40,)"
            R"("archive":"ckpt.pt","archive_bytes":0,"archive_crc32":0,"torch_version":"1.13.0",)"
            R"("recipe":{"train.lr":"0.001","train.epochs":"3"}})");
  save(ckpts, info, 1, false, 3);
  EXPECT_EQ(identity(dir.file("ckpt-000000043.pt")),
            R"({"step":43,"steps_per_epoch":10,"virtual_world":1,"world_size":1,"space_id":"tf1",)"
            R"("space_fingerprint":"","supernet":"tf1{c1=16}","subnet":"tf1:A",)"
            R"("recipe_hash":"ac697b9dc61e7f98","best_step":40})");
}

TEST(Checkpoint, BestStepAfterStepIsRefused) {
  auto i = info_at(10);
  i.best_step = 20;
  const auto msg = tinynas::testing::error_of(
      [&] { train::checkpoint_info_from_json(train::to_json(i), "c.json"); });
  EXPECT_EQ(msg, "c.json: best_step 20 is after step 10");
}

TEST(Checkpoint, SpaceFingerprintFollowsContentsNotNotation) {
  const std::string path = tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml";
  const std::string text = core::read_text_file(path);
  const auto fp = [&](const std::string& t) { return train::space_fingerprint(space::parse_space(t, path)); };
  const std::string fingerprint = fp(text);
  EXPECT_EQ(fingerprint.size(), 16u);
  EXPECT_EQ(fp("# another comment\n" + text + "\n\n"), fingerprint);
  // The issue's edit: another head count, the same weight shapes.
  const auto at = text.find("heads: 2, mlp_ratio: 2");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(fp(text.substr(0, at) + "heads: 4" + text.substr(at + 8)), fingerprint);
  // The recipe hash ignores the order of its pairs, not their contents.
  EXPECT_EQ(train::recipe_hash({{"a", "1"}, {"b", "2"}}), train::recipe_hash({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(train::recipe_hash({{"a", "1"}, {"b", "2"}}), train::recipe_hash({{"a", "1"}, {"b", "3"}}));
  EXPECT_NE(train::recipe_hash({{"a", "1="}, {"b", "2"}}), train::recipe_hash({{"a", "1"}, {"=b", "2"}}));
}
