// The c10d wrapper: environment parsing, bucketed gradient averaging, the same-path
// check, and failing fast instead of hanging. Ranks run as threads over a HashStore.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include "support/error_of.h"
#include "tinynas/core/c10d_compat.h"
#include "tinynas/train/distributed.h"
#include "tinynas/train/trainer.h"

using namespace tinynas;
using train::DistEnv;

namespace {

DistEnv env_of(std::map<std::string, std::string> vars) {
  return train::dist_env_from([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

// Runs f(rank, group) on `world` threads sharing one store; rethrows the first error.
template <class F>
std::vector<std::string> on_ranks(int world, F f) {
  auto store = c10::make_intrusive<c10d::HashStore>();
  std::vector<std::string> errors(static_cast<std::size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        train::DistributedGroup g(store, r, world, "gloo", std::chrono::seconds(20));
        f(r, g);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace

TEST(DistEnv, NoVariablesMeansOneProcess) {
  const auto e = env_of({});
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.rank, 0);
  EXPECT_FALSE(e.distributed());
  EXPECT_FALSE(e.launched);
}

TEST(DistEnv, ReadsTorchrunVariables) {
  const auto e = env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                         {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node0"},
                         {"MASTER_PORT", "29511"}});
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "node0");
  EXPECT_EQ(e.master_port, 29511);
  EXPECT_TRUE(e.launched);
  // torchrun with one process still counts as launched: nothing starts more ranks
  EXPECT_TRUE(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}}).launched);
}

TEST(CheckBatchSplit, NamesTheBatchProcessesAndAccumulation) {
  EXPECT_NO_THROW(tinynas::train::check_batch_split(128, 2, 2));
  EXPECT_EQ(tinynas::testing::error_of([] { tinynas::train::check_batch_split(128, 3, 1); }),
            "train.batch_size 128 is not divisible by 3 process(es) x train.accumulate 1");
  EXPECT_NE(tinynas::testing::error_of([] { tinynas::train::check_batch_split(32, 2, 3); })
                .find("by 2 process(es) x train.accumulate 3"),
            std::string::npos);
}

TEST(ProcessesToStart, OnePerCoreOnACpuWhileMicroBatchesStayLarge) {
  using tinynas::train::processes_to_start;
  // auto (0): one per core on a CPU
  EXPECT_EQ(processes_to_start(0, true, 2, 128, 1), 2);
  EXPECT_EQ(processes_to_start(0, true, 1, 128, 1), 1);
  // ... no more than keep micro-batches of >= 32 images: 128 / 32 = 4 of 16 cores
  EXPECT_EQ(processes_to_start(0, true, 16, 128, 1), 4);
  EXPECT_EQ(processes_to_start(0, true, 16, 128, 2), 2);
  EXPECT_EQ(processes_to_start(0, true, 2, 48, 1), 1);
  // ... and a count that divides the batch: 96 / 32 = 3 ranks, but 3 of 4 cores divides 96
  EXPECT_EQ(processes_to_start(0, true, 4, 96, 1), 3);
  EXPECT_EQ(processes_to_start(0, true, 8, 160, 1), 5);
  EXPECT_EQ(processes_to_start(0, true, 4, 100, 1), 2);
  // CUDA: one process unless told (one per GPU is the user's call)
  EXPECT_EQ(processes_to_start(0, false, 16, 128, 1), 1);
  // a configured count is taken as it is
  EXPECT_EQ(processes_to_start(3, true, 2, 128, 1), 3);
  EXPECT_EQ(processes_to_start(1, true, 16, 128, 1), 1);
  EXPECT_EQ(processes_to_start(2, false, 16, 128, 1), 2);
}

TEST(DistEnv, InconsistentVariablesAreClearErrors) {
  auto msg = [](std::map<std::string, std::string> v) {
    return tinynas::testing::error_of([&] { env_of(v); });
  };
  EXPECT_NE(msg({{"RANK", "0"}}).find("WORLD_SIZE is not"), std::string::npos);
  EXPECT_NE(msg({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})
                .find("RANK=2 is not below WORLD_SIZE=2"),
            std::string::npos);
  EXPECT_NE(msg({{"RANK", "x"}, {"WORLD_SIZE", "2"}}).find("RANK='x'"), std::string::npos);
  EXPECT_NE(msg({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR"),
            std::string::npos);
  EXPECT_NE(msg({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT='70000'"),
            std::string::npos);
}

TEST(DistributedGroup, SingleProcessCollectivesAreIdentity) {
  train::DistributedGroup g;
  auto t = torch::ones({3});
  g.all_reduce_sum(t, "x");
  g.barrier("x");
  EXPECT_TRUE(torch::equal(t, torch::ones({3})));
  EXPECT_EQ(g.backend(), "none");
}

TEST(DistributedGroup, AveragesGradientsAcrossBuckets) {
  if (!TINYNAS_HAS_GLOO) GTEST_SKIP() << "no Gloo in this LibTorch";
  std::vector<std::vector<torch::Tensor>> out(2);
  const auto errors = on_ranks(2, [&](int r, train::DistributedGroup& g) {
    std::vector<torch::Tensor> grads = {torch::full({5}, float(r + 1)),
                                        torch::full({2, 3}, float(10 * r)),
                                        torch::full({7}, float(r)) + torch::arange(7)};
    g.average_gradients(grads, /*bucket_bytes=*/24);  // several buckets, one oversized
    out[static_cast<std::size_t>(r)] = grads;
  });
  ASSERT_EQ(errors, std::vector<std::string>(2));
  for (const auto& grads : out) {
    EXPECT_TRUE(torch::equal(grads[0], torch::full({5}, 1.5f)));
    EXPECT_TRUE(torch::equal(grads[1], torch::full({2, 3}, 5.0f)));
    EXPECT_TRUE(torch::equal(grads[2], torch::full({7}, 0.5f) + torch::arange(7)));
  }
}

TEST(DistributedGroup, RanksTrainingDifferentPathsIsAnError) {
  if (!TINYNAS_HAS_GLOO) GTEST_SKIP() << "no Gloo in this LibTorch";
  const auto errors = on_ranks(2, [&](int r, train::DistributedGroup& g) {
    auto a = torch::ones({2, 2}, torch::requires_grad());
    auto b = torch::ones({2, 2}, torch::requires_grad());
    train::Optimizer opt({{"a", a, true}, {"b", b, true}}, {});
    // Rank 1 uses parameter b on top of a: as if it had sampled another path.
    const train::Forward fwd = [&](const torch::Tensor& x) {
      auto h = x.view({x.size(0), -1}).narrow(1, 0, 2).matmul(a);
      return r == 0 ? h : h.matmul(b);
    };
    data::Batch batch;
    batch.n = 2, batch.c = 1, batch.h = 1, batch.w = 2;
    batch.images = {1, 2, 3, 4};
    batch.labels = {0, 1};
    config::TrainConfig tc;
    train::train_step(opt, fwd, {batch}, 0.1, tc, {}, g, 1 << 20);
  });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("only 1 of 2 ranks have a gradient for 'b'"), std::string::npos) << e;
    EXPECT_NE(e.find("different paths"), std::string::npos) << e;
  }
}

TEST(DistributedGroup, RanksDisagreeingOnTheWorldSizeFailAtOnce) {
  if (!TINYNAS_HAS_GLOO) GTEST_SKIP() << "no Gloo in this LibTorch";
  auto store = c10::make_intrusive<c10d::HashStore>();
  // The first to join fixes the world size; the other is refused without waiting.
  EXPECT_NE(tinynas::testing::error_of([&] {
              store->set("tinynas/world_size", {'2'});
              train::DistributedGroup g(store, 1, 3, "gloo", std::chrono::seconds(20));
            }).find("rank 1 has WORLD_SIZE=3 but another rank joined with WORLD_SIZE=2"),
            std::string::npos);
  store->add("tinynas/rank/0", 1);
  EXPECT_NE(tinynas::testing::error_of([&] {
              train::DistributedGroup g(store, 0, 2, "gloo", std::chrono::seconds(20));
            }).find("two processes were started with RANK=0"),
            std::string::npos);
}

TEST(DistributedGroup, UnreachableMasterFailsWithinTheTimeout) {
  if (!TINYNAS_HAS_GLOO) GTEST_SKIP() << "no Gloo in this LibTorch";
  DistEnv env;
  env.rank = 1;
  env.world_size = 2;
  env.master_addr = "127.0.0.1";
  env.master_port = 9;  // discard: nothing listens there
  const auto t0 = std::chrono::steady_clock::now();
  const auto msg = tinynas::testing::error_of(
      [&] { train::DistributedGroup g(env, "gloo", std::chrono::milliseconds(1500)); });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(msg.find("rank 1 of 2: rendezvous at 127.0.0.1:9 failed"), std::string::npos) << msg;
  EXPECT_LT(s, 30.0);
}

TEST(DistributedGroup, JoinsTorchrunsAgentStoreAsAClient) {
  if (!TINYNAS_HAS_GLOO) GTEST_SKIP() << "no Gloo in this LibTorch";
  // Stand-in for torchrun's agent: it hosts the store, the ranks only connect to it.
  c10d::TCPStoreOptions server;
  server.port = 0;
  server.isServer = true;
  server.waitWorkers = false;
  c10d::TCPStore agent("127.0.0.1", server);
  const auto env = [&](int rank) {
    return env_of({{"RANK", std::to_string(rank)}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", std::to_string(rank)},
                   {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(agent.getPort())},
                   {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "0"}});
  };
  EXPECT_TRUE(env(0).agent_store);
  std::vector<float> sums(2);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.emplace_back([&, r] {
      train::DistributedGroup g(env(r), "gloo", std::chrono::seconds(20));
      auto t = torch::full({1}, float(r + 1));
      g.all_reduce_sum(t, "test");
      sums[std::size_t(r)] = t.item<float>();
    });
  for (auto& t : ranks) t.join();
  EXPECT_EQ(sums, (std::vector<float>{3, 3}));
}

TEST(DistributedGroup, NcclNeedsCudaAndAutoPicksGlooOnCpu) {
  EXPECT_EQ(train::resolve_backend("auto", torch::Device(torch::kCPU)), "gloo");
  EXPECT_NE(tinynas::testing::error_of([] { train::resolve_backend("nccl", torch::Device(torch::kCPU)); })
                .find("nccl needs a CUDA device"),
            std::string::npos);
}
