// The trainer as users run it: real `tinynas train` processes on Fashion-MNIST (a small
// subset), data-parallel through Gloo, killed with SIGKILL and resumed, with a rank dying.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/space/supernet.h"
#include "tinynas/train/checkpoint.h"
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

std::vector<std::int64_t> logged_steps(const std::string& metrics) {
  std::vector<std::int64_t> steps;
  std::istringstream in(core::read_text_file(metrics));
  std::string line;
  while (std::getline(in, line)) {
    const auto j = core::Json::parse(line, metrics);
    if (j.at("type").as_string() == "step") steps.push_back(j.at("step").as_int());
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
