// The trainer as users run it: real `tinynas train` processes on Fashion-MNIST (a small
// subset), data-parallel through Gloo, killed with SIGKILL and resumed, with a rank dying,
// resumed from tampered checkpoints or an edited space file, and run twice at once.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <sstream>

#include <torch/torch.h>

#include "support/temp_dir.h"
#include "tinynas/core/checksum.h"
#include "tinynas/core/dir_lock.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/core/process.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/distributed.h"
#include "train/train_fixtures.h"

#ifndef TINYNAS_CLI
#error "TINYNAS_CLI must name the tinynas executable"
#endif

using namespace tinynas;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class TrainerProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    recipe_ = dir_.write("recipe.yaml", std::string() +
        "base: " + tinynas::testing::source_dir() + "/recipes/quickstart.yaml\n"
        "data: {train_limit: 640, test_limit: 64, val_fraction: 0.1, workers: 0}\n"
        "space: {file: " + tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml, supernet: '" +
        tinynas::testing::kSmallSupernet + "'}\n"
        "train: {epochs: 2, batch_size: 32, warmup_epochs: 1, eval_paths: 1,\n"
        "        bn_recal_batches: 2, threads: 1, log_every: 4, checkpoint_every: 4}\n"
        "distributed: {timeout_s: 60}\n"
        "run: {dir: " + dir_.file("runs") + ", name: base}\n");
  }

  std::vector<std::string> train_args(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {TINYNAS_CLI, "train", recipe_, "--set", "run.name=" + name};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::string ckpt_dir(const std::string& name) { return dir_.file("runs/" + name + "/supernet"); }

  // Runs to completion; returns the combined output, failing the test on a bad status.
  std::string run(const std::vector<std::string>& args, int want_status = 0,
                  const std::vector<std::string>& env = {}) {
    const std::string log = dir_.file("log-" + std::to_string(++runs_) + ".txt");
    tinynas::testing::Child c(args, env, log);
    EXPECT_TRUE(c.wait_for(300s)) << "timed out: " << args[1];
    const std::string out = core::read_text_file(log);
    EXPECT_EQ(c.exit_code(), want_status) << out;
    return out;
  }

  // The supernet of a checkpoint.
  space::Supernet load(const std::string& sidecar) {
    const auto c = train::read_checkpoint(sidecar);
    torch::serialize::InputArchive in;
    train::load_archive(in, c.archive, sidecar);
    space::Supernet net(tinynas::testing::small_layout());
    train::read_module(in, *net, "model/", sidecar);
    return net;
  }

  std::string latest(const std::string& name) {
    auto l = train::CheckpointDir(ckpt_dir(name)).latest();
    EXPECT_TRUE(l.has_value()) << name;
    return l.value_or("");
  }

  tinynas::testing::TempDir dir_;
  std::string recipe_;
  int runs_ = 0;
};

double max_param_difference(space::Supernet& a, space::Supernet& b) {
  const auto pa = a->named_parameters(true);
  const auto pb = b->named_parameters(true);
  double worst = 0;
  for (const auto& p : pa)
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  return worst;
}

bool identical_state(space::Supernet& a, space::Supernet& b) {
  const auto ba = a->named_buffers(true);
  const auto bb = b->named_buffers(true);
  for (const auto& x : ba)
    if (!torch::equal(x.value(), bb[x.key()])) return false;
  return max_param_difference(a, b) == 0.0;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Every regular file below `dir` with its bytes: "nothing was written" is this unchanged.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[e.path().string()] = core::read_text_file(e.path().string());
  return files;
}

// Rewrites one member of a JSON file, as a user editing it would.
void edit_json(const std::string& path, const std::string& key, const core::Json& value) {
  auto j = core::Json::parse(core::read_text_file(path), path);
  j[key] = value;
  core::write_file_atomic(path, j.dump() + "\n");
}

std::vector<std::int64_t> logged_steps(const std::string& metrics) {
  std::vector<std::int64_t> steps;
  std::istringstream in(core::read_text_file(metrics));
  std::string line;
  while (std::getline(in, line)) {
    const auto j = core::Json::parse(line, metrics);
    if (j.at("type").as_string() != "step") continue;
    steps.push_back(j.at("step").as_int());
    // the run's rate so far and this step's own
    EXPECT_GT(j.at("images_per_s").as_double(), 0) << line;
    EXPECT_GT(j.at("step_images_per_s").as_double(), 0) << line;
  }
  return steps;
}

}  // namespace

TEST_F(TrainerProcess, TwoGlooProcessesEqualOneProcessAccumulatingBothMicroBatches) {
  const std::vector<std::string> k = {"--set", "train.max_steps=6"};
  auto launch = train_args("dp", k);
  launch.insert(launch.begin(), {TINYNAS_CLI, "launch", "--nproc", "2", "--"});
  const auto out = run(launch);
  EXPECT_NE(out.find("2 process(es) [gloo] x accumulate 1"), std::string::npos) << out;
  auto acc = train_args("acc", k);
  acc.insert(acc.end(), {"--set", "train.accumulate=2"});
  run(acc);

  auto a = load(latest("dp"));
  auto b = load(latest("acc"));
  EXPECT_LE(max_param_difference(a, b), 1e-5);
  // And training moved the weights: the comparison is not between two fresh models.
  space::Supernet fresh(tinynas::testing::small_layout());
  EXPECT_GT(max_param_difference(a, fresh), 1e-4);
}

TEST_F(TrainerProcess, TrainStartsItsOwnRanksOnACpu) {
  // --nproc 2: the ranks tinynas launch would start, from train itself
  auto out = run(train_args("self", {"--set", "train.max_steps=2", "--nproc", "2"}));
  EXPECT_NE(out.find("data-parallel on 2 processes of 1 thread each (--nproc"), std::string::npos) << out;
  EXPECT_NE(out.find("2 process(es) [gloo] x accumulate 1"), std::string::npos) << out;
  // the default (distributed.nproc 0): one per core while micro-batches keep 32 images
  const int cores = core::usable_cores();
  const int n = train::processes_to_start(0, true, cores, 64, 1);
  out = run(train_args("auto", {"--set", "train.max_steps=2", "--set", "train.batch_size=64"}));
  EXPECT_EQ(out.find("data-parallel on") != std::string::npos, n > 1) << out;
  EXPECT_NE(out.find(n > 1 ? std::to_string(n) + " process(es) [gloo]" : std::string(": 1 process x")),
            std::string::npos)
      << out;
  // batch 32 (the fixture's): one rank; --nproc 1: one process whatever the batch
  out = run(train_args("one", {"--set", "train.max_steps=2", "--set", "train.batch_size=64", "--nproc", "1"}));
  EXPECT_EQ(out.find("data-parallel on"), std::string::npos) << out;
  EXPECT_NE(out.find(": 1 process x"), std::string::npos) << out;
  // under a launcher nothing starts more ranks: 2, not 2 x 2
  auto launched = train_args("launched", {"--set", "train.max_steps=2", "--nproc", "3"});
  launched.insert(launched.begin(), {TINYNAS_CLI, "launch", "--nproc", "2", "--"});
  out = run(launched);
  EXPECT_EQ(out.find("data-parallel on"), std::string::npos) << out;
  EXPECT_NE(out.find("2 process(es) [gloo]"), std::string::npos) << out;
}

TEST_F(TrainerProcess, KilledMidEpochAndResumedEndsWithTheSameWeights) {
  run(train_args("straight"));

  const std::string log = dir_.file("killed.txt");
  {
    tinynas::testing::Child c(train_args("killed"), {}, log);
    // Kill as soon as the first mid-epoch checkpoint (step 4 of ~17 per epoch) exists.
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!train::CheckpointDir(ckpt_dir("killed")).latest() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    ::kill(c.pid(), SIGKILL);
    ASSERT_TRUE(c.wait_for(30s));
    ASSERT_TRUE(c.killed_by(SIGKILL)) << "the run finished before it could be killed";
  }
  const auto first = train::read_checkpoint(latest("killed")).info;
  EXPECT_LT(first.step, first.steps_per_epoch);  // mid-epoch
  const std::int64_t total = 2 * first.steps_per_epoch;
  const auto out = run(train_args("killed", {"--resume"}));
  EXPECT_NE(out.find("resuming from"), std::string::npos) << out;

  auto a = load(latest("straight"));
  auto b = load(latest("killed"));
  EXPECT_EQ(train::read_checkpoint(latest("killed")).info.step, total);
  EXPECT_TRUE(identical_state(a, b)) << "max parameter difference " << max_param_difference(a, b);
  // Each step is logged once, the killed run's replayed steps replaced.
  std::vector<std::int64_t> want;
  for (std::int64_t i = 1; i <= total; ++i) want.push_back(i);
  EXPECT_EQ(logged_steps(ckpt_dir("killed") + "/metrics.jsonl"), want);
  EXPECT_TRUE(fs::exists(ckpt_dir("killed") + "/best.json"));
}

TEST_F(TrainerProcess, TwoProcessJobKilledThroughItsLauncherResumesExactly) {
  auto launched = [&](const std::string& name, std::vector<std::string> extra = {}) {
    auto a = train_args(name, std::move(extra));
    a.insert(a.begin(), {TINYNAS_CLI, "launch", "--nproc", "2", "--"});
    return a;
  };
  const std::vector<std::string> k = {"--set", "train.max_steps=12"};
  run(launched("dp-straight", k));
  {
    tinynas::testing::Child c(launched("dp-killed", k), {}, dir_.file("dp-killed.txt"));
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!train::CheckpointDir(ckpt_dir("dp-killed")).latest() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    ::kill(c.pid(), SIGKILL);  // the launcher; its ranks die with it
    ASSERT_TRUE(c.wait_for(30s));
  }
  std::this_thread::sleep_for(200ms);  // the ranks' own exit after their parent's
  ASSERT_LT(train::read_checkpoint(latest("dp-killed")).info.step, 12)
      << "the job finished before it could be killed";
  auto resume = k;
  resume.push_back("--resume");
  run(launched("dp-killed", resume));
  auto a = load(latest("dp-straight"));
  auto b = load(latest("dp-killed"));
  EXPECT_EQ(train::read_checkpoint(latest("dp-killed")).info.step, 12);
  EXPECT_TRUE(identical_state(a, b)) << "max parameter difference " << max_param_difference(a, b);
}

TEST_F(TrainerProcess, ARankThatDiesEndsTheJobWithAnError) {
  const std::string port = std::to_string(free_port());
  auto env = [&](int rank) {
    return std::vector<std::string>{"RANK=" + std::to_string(rank), "WORLD_SIZE=2",
                                    "LOCAL_RANK=" + std::to_string(rank), "LOCAL_WORLD_SIZE=2",
                                    "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port};
  };
  const auto args = train_args("dies");
  tinynas::testing::Child r0(args, env(0), dir_.file("rank0.txt"));
  tinynas::testing::Child r1(args, env(1), dir_.file("rank1.txt"));
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!train::CheckpointDir(ckpt_dir("dies")).latest() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  ::kill(r1.pid(), SIGKILL);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(r0.wait_for(60s)) << "rank 0 hangs after rank 1 died";
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto out = core::read_text_file(dir_.file("rank0.txt"));
  EXPECT_FALSE(r0.killed_by(SIGPIPE)) << "a write to the dead peer killed rank 0";
  EXPECT_EQ(r0.exit_code(), 1) << out;
  EXPECT_NE(out.find("rank 0: collective"), std::string::npos) << out;
  EXPECT_NE(out.find("another rank has probably exited"), std::string::npos) << out;
  EXPECT_LT(s, 30.0);
}

TEST_F(TrainerProcess, BadResumesFailClearlyAndOverwriteNothing) {
  run(train_args("r", {"--set", "train.max_steps=4"}));
  const auto sidecar = latest("r");

  auto out = run(train_args("r"), 1);
  EXPECT_NE(out.find("already holds checkpoints"), std::string::npos) << out;

  out = run(train_args("r", {"--resume", "--set", "train.lr=0.01"}), 1);
  EXPECT_NE(out.find("was written by another recipe: train.lr: 0.00055 in the checkpoint, 0.01 now"),
            std::string::npos)
      << out;

  out = run(train_args("r", {"--resume", "--set", "space.supernet=c1=24,c2=32,n1=1,m1=1,n2=1,m2=1,d=32"}), 1);
  EXPECT_NE(out.find("is a checkpoint of supernet tf1{c1=16"), std::string::npos) << out;

  const std::string archive = fs::path(sidecar).replace_extension(".pt").string();
  auto bytes = core::read_file(archive);
  bytes[bytes.size() / 3] ^= 1;
  core::write_file_atomic(archive, bytes.data(), bytes.size());
  out = run(train_args("r", {"--resume"}), 1);
  EXPECT_NE(out.find(archive + ": CRC-32 does not match"), std::string::npos) << out;
  // Nothing was written: the same single checkpoint, still the corrupt bytes we left.
  EXPECT_EQ(train::CheckpointDir(ckpt_dir("r")).list(), std::vector<std::string>{sidecar});
  EXPECT_EQ(core::read_file(archive), bytes);
}

TEST_F(TrainerProcess, TamperedCheckpointsAreRefusedAndOverwriteNothing) {
  run(train_args("t", {"--set", "train.max_steps=8"}));  // ckpt-4 and ckpt-8 (17 steps/epoch)
  const std::string dir = ckpt_dir("t");
  const auto sidecars = train::CheckpointDir(dir).list();
  ASSERT_EQ(sidecars.size(), 2u);
  const std::string s4 = sidecars[0], s8 = sidecars[1];
  const std::string a4 = fs::path(s4).replace_extension(".pt").string();
  const std::string a8 = fs::path(s8).replace_extension(".pt").string();
  const auto before = snapshot(dir);
  const auto restore = [&] {
    for (const auto& [path, bytes] : before) core::write_file_atomic(path, bytes);
  };
  const auto resume = [&] { return run(train_args("t", {"--resume"}), 1); };

  // The sidecar's step edited back (it would resume at 4 and overwrite ckpt-8), or far ahead.
  edit_json(s8, "step", std::int64_t{4});
  auto out = resume();
  EXPECT_NE(out.find(a8 + ": step is 8 in the archive, 4 in its sidecar " + s8), std::string::npos) << out;
  edit_json(s8, "step", std::int64_t{1000000000000});
  out = resume();
  EXPECT_NE(out.find(a8 + ": step is 8 in the archive, 1000000000000 in its sidecar " + s8),
            std::string::npos) << out;
  restore();

  // An older archive in place of the newer one, the sidecar's size and CRC-32 fixed up.
  const auto put_archive = [&](const std::string& bytes) {
    core::write_file_atomic(a8, bytes);
    edit_json(s8, "archive_bytes", static_cast<std::int64_t>(bytes.size()));
    edit_json(s8, "archive_crc32", static_cast<std::int64_t>(core::crc32_of(bytes.data(), bytes.size())));
  };
  put_archive(before.at(a4));
  out = resume();
  EXPECT_NE(out.find(a8 + ": step is 4 in the archive, 8 in its sidecar " + s8), std::string::npos) << out;
  // Not an archive at all: the error names the archive, not its sidecar.
  put_archive("not a LibTorch archive");
  out = resume();
  EXPECT_NE(out.find(a8 + ": not a readable LibTorch archive"), std::string::npos) << out;
  restore();

  // A consistent checkpoint (archive and sidecar agree) beyond the end of the run.
  auto info = train::read_checkpoint(s8).info;
  info.step = 1000000000000;
  torch::serialize::OutputArchive forged;
  forged.write("x", torch::zeros({1}));
  const auto far = train::CheckpointDir(dir).save(info, forged, false, 100);
  out = resume();
  const std::int64_t per_epoch = info.steps_per_epoch;
  EXPECT_NE(out.find(far + ": step: 1000000000000 is beyond the run's " + std::to_string(2 * per_epoch) +
                     " steps (2 epochs of " + std::to_string(per_epoch) + ")"),
            std::string::npos) << out;
  fs::remove(far);
  fs::remove(fs::path(far).replace_extension(".pt"));
  EXPECT_EQ(snapshot(dir), before);  // every refusal wrote nothing

  // Temporaries of a writer killed mid-write go when the run resumes; nothing else does.
  const std::string stale = dir + "/.ckpt-000000012.pt.tmp.Ab12Cd";
  const std::string other = dir + "/notes.tmp";
  core::write_file_atomic(stale, std::string("half an archive"));
  core::write_file_atomic(other, std::string("mine"));
  out = run(train_args("t", {"--resume", "--set", "train.max_steps=12"}));
  EXPECT_NE(out.find("resuming from " + s8 + " at step 8"), std::string::npos) << out;
  EXPECT_NE(out.find("removed " + stale), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ(train::read_checkpoint(latest("t")).info.step, 12);
}

TEST_F(TrainerProcess, ResumeRefusesAnEditedSpaceFile) {
  // The edit: candidate T0's heads 2 -> 4 (the same weight shapes, another model).
  const std::string space = dir_.write("space.yaml", core::read_text_file(
      tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml"));
  const std::string text = core::read_text_file(space);
  const auto at = text.find("heads: 2, mlp_ratio: 2");
  ASSERT_NE(at, std::string::npos);
  const std::vector<std::string> k = {"--set", "space.file=" + space, "--set", "train.max_steps=4"};
  run(train_args("sp", k));
  const auto sidecar = latest("sp");
  const auto before = snapshot(dir_.file("runs/sp"));

  core::write_file_atomic(space, text.substr(0, at) + "heads: 4" + text.substr(at + 8));
  auto resume = k;
  resume.push_back("--resume");
  const auto out = run(train_args("sp", resume), 1);
  EXPECT_NE(out.find(sidecar + ": was trained on other contents of the space file " + space),
            std::string::npos) << out;
  EXPECT_EQ(snapshot(dir_.file("runs/sp")), before);

  // Comments and layout are not contents: the same data resumes.
  core::write_file_atomic(space, "# the same space, commented\n" + text + "\n");
  run(train_args("sp", resume));
}

TEST_F(TrainerProcess, ASecondJobOnTheSameRunIsRefusedNamingTheFirst) {
  const std::string run_dir = dir_.file("runs/lk");
  // The first job: long enough to outlast every attempt below.
  tinynas::testing::Child first(train_args("lk", {"--set", "train.epochs=100"}), {},
                                dir_.file("first.txt"));
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (core::dir_lock_holder(run_dir) != first.pid() && std::chrono::steady_clock::now() < deadline &&
         !first.wait_for(0ms))
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(core::dir_lock_holder(run_dir), first.pid()) << core::read_text_file(dir_.file("first.txt"));
  const std::string refused = run_dir + ": in use by another process (pid " + std::to_string(first.pid());

  auto out = run(train_args("lk", {"--resume", "--set", "train.epochs=100"}), 1);
  EXPECT_NE(out.find(refused), std::string::npos) << out;
  // Data-parallel: the launcher locks nothing, its rank 0 is refused and the job ends.
  auto launched = train_args("lk", {"--resume", "--set", "train.epochs=100"});
  launched.insert(launched.begin(), {TINYNAS_CLI, "launch", "--nproc", "2", "--"});
  out = run(launched, 1);
  EXPECT_NE(out.find(refused), std::string::npos) << out;
  // The pipeline takes the same lock.
  out = run({TINYNAS_CLI, "run", recipe_, "--set", "run.name=lk"}, 1);
  EXPECT_NE(out.find(refused), std::string::npos) << out;
  EXPECT_EQ(core::dir_lock_holder(run_dir), first.pid());

  // Killed, the first job holds nothing any more (its pid stays in the file).
  ::kill(first.pid(), SIGKILL);
  ASSERT_TRUE(first.wait_for(30s));
  out = run(train_args("lk", {"--resume", "--set", "train.epochs=100", "--set", "train.max_steps=1"}));
  EXPECT_EQ(out.find("in use"), std::string::npos) << out;
}

TEST_F(TrainerProcess, ThePipelineLocksItsRunAndItsTrainingStageRunsUnderThatLock) {
  const std::string log = dir_.file("pipeline.txt");
  tinynas::testing::Child pipeline({TINYNAS_CLI, "run", recipe_, "--set", "run.name=pl", "--set",
                                    "train.max_steps=2"},
                                   {}, log);
  // Stopped once training is done: the later stages take minutes.
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  const auto trained = [&] {  // the child may not have created its log yet
    return core::is_regular_file(log) && core::read_text_file(log).find("[train] done") != std::string::npos;
  };
  while (std::chrono::steady_clock::now() < deadline && !pipeline.wait_for(0ms) && !trained())
    std::this_thread::sleep_for(50ms);
  const std::string out = core::read_text_file(log);
  EXPECT_NE(out.find("[train] done"), std::string::npos) << out;
  EXPECT_EQ(out.find("in use"), std::string::npos) << out;
  EXPECT_EQ(core::dir_lock_holder(dir_.file("runs/pl")), pipeline.pid());
}
