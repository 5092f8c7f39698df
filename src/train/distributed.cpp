#include "tinynas/train/distributed.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "tinynas/core/error.h"
#include "tinynas/core/c10d_compat.h"

namespace tinynas::train {
namespace {

// The variable's value as an int in [lo, hi].
int int_var(const char* name, const char* value, int lo, int hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw core::Error("environment variable " + std::string(name) + "='" + value +
                      "': expected an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
  return static_cast<int>(v);
}

}  // namespace

DistEnv dist_env_from(const std::function<const char*(const char*)>& getenv) {
  DistEnv env;
  const char* rank = getenv("RANK");
  const char* world = getenv("WORLD_SIZE");
  if (!rank && !world) return env;  // a plain single-process run
  if (!rank || !world)
    throw core::Error(std::string("environment: ") + (rank ? "RANK" : "WORLD_SIZE") +
                      " is set but " + (rank ? "WORLD_SIZE" : "RANK") +
                      " is not; a distributed run needs RANK, WORLD_SIZE, MASTER_ADDR and "
                      "MASTER_PORT (tinynas launch or torchrun set them)");
  env.launched = true;
  env.world_size = int_var("WORLD_SIZE", world, 1, 1 << 20);
  env.rank = int_var("RANK", rank, 0, 1 << 20);
  if (env.rank >= env.world_size)
    throw core::Error("environment: RANK=" + std::to_string(env.rank) +
                      " is not below WORLD_SIZE=" + std::to_string(env.world_size));
  env.local_world_size = env.world_size;
  if (const char* v = getenv("LOCAL_WORLD_SIZE"))
    env.local_world_size = int_var("LOCAL_WORLD_SIZE", v, 1, env.world_size);
  env.local_rank = env.rank;
  if (const char* v = getenv("LOCAL_RANK")) {
    env.local_rank = int_var("LOCAL_RANK", v, 0, env.world_size - 1);
  } else if (env.world_size > 1 && env.local_world_size != env.world_size) {
    throw core::Error("environment: LOCAL_RANK is not set (needed when the job spans nodes)");
  }
  if (env.local_rank >= env.local_world_size)
    throw core::Error("environment: LOCAL_RANK=" + std::to_string(env.local_rank) +
                      " is not below LOCAL_WORLD_SIZE=" + std::to_string(env.local_world_size));
  const char* addr = getenv("MASTER_ADDR");
  const char* port = getenv("MASTER_PORT");
  if (env.world_size > 1 && (!addr || !*addr || !port))
    throw core::Error(std::string("environment: WORLD_SIZE=") + world + " but " +
                      (!addr || !*addr ? "MASTER_ADDR" : "MASTER_PORT") +
                      " is not set; every rank needs the rendezvous address of rank 0");
  if (addr && *addr) env.master_addr = addr;
  if (port) env.master_port = int_var("MASTER_PORT", port, 1, 65535);
  if (const char* v = getenv("TORCHELASTIC_USE_AGENT_STORE"))
    env.agent_store = std::string(v) == "True" || std::string(v) == "true" || std::string(v) == "1";
  if (const char* v = getenv("TORCHELASTIC_RESTART_COUNT"))
    env.restart_count = int_var("TORCHELASTIC_RESTART_COUNT", v, 0, 1 << 20);
  return env;
}

DistEnv dist_env() {
  return dist_env_from([](const char* name) { return std::getenv(name); });
}

int processes_to_start(int configured, bool cpu, int cores, int batch_size, int accumulate) {
  if (configured > 0) return configured;
  if (!cpu) return 1;
  const int by_batch = batch_size / (std::max(1, accumulate) * kMinAutoMicroBatch);
  int n = std::max(1, std::min(cores, by_batch));
  while (n > 1 && batch_size % (n * accumulate) != 0) --n;
  return n;
}

void check_batch_split(int batch_size, int processes, int accumulate) {
  if (batch_size % (processes * accumulate) != 0)
    throw core::Error("train.batch_size " + std::to_string(batch_size) + " is not divisible by " +
                      std::to_string(processes) + " process(es) x train.accumulate " +
                      std::to_string(accumulate));
}

std::string resolve_backend(const std::string& configured, const torch::Device& device) {
  std::string b = configured;
  if (b == "auto") b = device.is_cuda() ? "nccl" : "gloo";
  if (b == "nccl" && !device.is_cuda())
    throw core::Error("distributed.backend: nccl needs a CUDA device (train.device is cpu); "
                      "use gloo");
  if (b == "nccl" && !compat::has_nccl())
    throw core::Error("distributed.backend: this LibTorch " + compat::torch_version() +
                      " was built without NCCL");
  if (b == "gloo" && !TINYNAS_HAS_GLOO)
    throw core::Error("distributed.backend: this LibTorch " + compat::torch_version() +
                      " was built without Gloo");
  if (b != "gloo" && b != "nccl")
    throw core::Error("distributed.backend: unknown backend '" + configured + "'");
  return b;
}

struct DistributedGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<compat::C10dBackend> pg;
  std::chrono::milliseconds timeout{0};
};

namespace {

c10::intrusive_ptr<compat::C10dBackend> make_backend(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
    const std::string& backend, std::chrono::milliseconds timeout, bool single_node) {
  if (backend == "gloo") {
#if TINYNAS_HAS_GLOO
    return compat::make_gloo_backend(store, rank, world, timeout, single_node);
#else
    (void)single_node;
#endif
  } else if (backend == "nccl") {
#if TINYNAS_HAS_NCCL
    return compat::make_nccl_backend(store, rank, world, timeout);
#endif
  }
  throw core::Error("c10d backend '" + backend + "' is not available in this build");
}

// Waits for a collective; turns c10d's low-level failure (a closed socket, a timeout)
// into an error that says what the trainer was doing.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work, int rank, const char* what) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw core::Error("rank " + std::to_string(rank) + ": collective '" + what +
                      "' failed; another rank has probably exited or stalled: " +
                      core::first_line(e));
  }
}

// Catches launch mistakes at once instead of after the timeout: ranks that disagree on
// the world size, or two processes started with the same RANK.
void check_membership(c10d::Store& store, int rank, int world) {
  const std::string mine = std::to_string(world);
  const auto agreed = store.compareSet("tinynas/world_size", {},
                                       std::vector<std::uint8_t>(mine.begin(), mine.end()));
  const std::string first(agreed.begin(), agreed.end());
  if (first != mine)
    throw core::Error("rank " + std::to_string(rank) + " has WORLD_SIZE=" + mine +
                      " but another rank joined with WORLD_SIZE=" + first +
                      " (every rank must be started with the same WORLD_SIZE)");
  if (store.add("tinynas/rank/" + std::to_string(rank), 1) > 1)
    throw core::Error("two processes were started with RANK=" + std::to_string(rank) +
                      " (each rank in [0, " + mine + ") must be started exactly once)");
}

// Gloo writes to its peers with writev(), which raises SIGPIPE when a peer has died; the
// default action kills this rank silently (seen as a rank that "dies by signal" instead of
// reporting the failed collective). Python ignores SIGPIPE before torch.distributed runs;
// a C++ rank must do the same so the write fails with EPIPE and c10d throws.
void ignore_broken_pipes() {
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGPIPE, &sa, nullptr) != 0)
    throw core::Error(std::string("cannot ignore SIGPIPE: ") + std::strerror(errno));
}

}  // namespace

DistributedGroup::DistributedGroup() = default;

DistributedGroup::DistributedGroup(const DistEnv& env, const std::string& backend,
                                   std::chrono::milliseconds timeout)
    : rank_(env.rank), world_size_(env.world_size), backend_(backend) {
  if (world_size_ == 1) {
    backend_ = "none";
    return;
  }
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(env.master_port);
  opts.isServer = env.rank == 0 && !env.agent_store;
  opts.numWorkers = static_cast<std::size_t>(env.world_size);
  opts.waitWorkers = true;
  opts.timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
    if (env.agent_store)
      store = c10::make_intrusive<c10d::PrefixStore>(
          "/worker/attempt_" + std::to_string(env.restart_count), store);
  } catch (const std::exception& e) {
    throw core::Error("rank " + std::to_string(env.rank) + " of " +
                      std::to_string(env.world_size) + ": rendezvous at " + where +
                      (env.rank == 0 ? " (hosting it)" : "") + " failed within " +
                      std::to_string(timeout.count() / 1000) + " s: " + core::first_line(e));
  }
  join(std::move(store), timeout, env.local_world_size == env.world_size, where);
}

DistributedGroup::DistributedGroup(c10::intrusive_ptr<c10d::Store> store, int rank,
                                   int world_size, const std::string& backend,
                                   std::chrono::milliseconds timeout)
    : rank_(rank), world_size_(world_size), backend_(backend) {
  if (world_size_ == 1) {
    backend_ = "none";
    return;
  }
  join(std::move(store), timeout, true, "the given store");
}

void DistributedGroup::join(c10::intrusive_ptr<c10d::Store> store,
                            std::chrono::milliseconds timeout, bool single_node,
                            const std::string& where) {
  // c10d's own failures (store timeouts, Gloo/NCCL set-up) get rank and address; ours
  // (core::Error) already say what is wrong.
  const std::string who = "rank " + std::to_string(rank_) + ": ";
  ignore_broken_pipes();
  try {
    check_membership(*store, rank_, world_size_);
  } catch (const core::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw core::Error(who + "rendezvous at " + where + " failed: " + core::first_line(e));
  }
  impl_ = std::make_unique<Impl>();
  impl_->store = store;
  impl_->timeout = timeout;
  try {
    impl_->pg = make_backend(store, rank_, world_size_, backend_, timeout, single_node);
  } catch (const core::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw core::Error(who + "creating the " + backend_ + " process group through " + where +
                      " failed: " + core::first_line(e));
  }
}

DistributedGroup::~DistributedGroup() = default;

namespace {

// Starts `launch` on each tensor, then waits for all of them. NCCL only moves CUDA
// tensors, so with `stage` CPU ones (scalars, counters) go through `device` and back.
void collective(std::vector<torch::Tensor>& tensors, bool stage, const torch::Device& device,
                int rank, const char* what,
                const std::function<c10::intrusive_ptr<c10d::Work>(std::vector<torch::Tensor>&)>&
                    launch) {
  if (stage && !device.is_cuda())
    throw core::Error("rank " + std::to_string(rank) + ": collective '" + what +
                      "': an NCCL group needs its CUDA device (DistributedGroup::set_device)");
  std::vector<torch::Tensor> wire;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& t : tensors) {
    wire.push_back(stage && !t.is_cuda() ? t.to(device) : t);
    std::vector<torch::Tensor> one = {wire.back()};
    works.push_back(launch(one));
  }
  for (auto& w : works) wait_for(w, rank, what);
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (!wire[i].is_same(tensors[i])) tensors[i].copy_(wire[i]);
}

}  // namespace

void DistributedGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors, const char* what) {
  if (world_size_ == 1 || tensors.empty()) return;
  collective(tensors, backend_ == "nccl", device_, rank_, what,
             [&](std::vector<torch::Tensor>& t) { return impl_->pg->allreduce(t); });
}

void DistributedGroup::all_reduce_sum(torch::Tensor& tensor, const char* what) {
  std::vector<torch::Tensor> one = {tensor};
  all_reduce_sum(one, what);
}

void DistributedGroup::all_reduce_max(torch::Tensor& tensor, const char* what) {
  if (world_size_ == 1) return;
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::MAX;
  std::vector<torch::Tensor> one = {tensor};
  collective(one, backend_ == "nccl", device_, rank_, what,
             [&](std::vector<torch::Tensor>& t) { return impl_->pg->allreduce(t, opts); });
}

void DistributedGroup::broadcast(std::vector<torch::Tensor>& tensors, int root,
                                 const char* what) {
  if (world_size_ == 1 || tensors.empty()) return;
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  collective(tensors, backend_ == "nccl", device_, rank_, what,
             [&](std::vector<torch::Tensor>& t) { return impl_->pg->broadcast(t, opts); });
}

void DistributedGroup::average_gradients(const std::vector<torch::Tensor>& grads,
                                         std::int64_t bucket_bytes) {
  if (world_size_ == 1 || grads.empty()) return;
  // Buckets hold consecutive gradients of one dtype and device, in the given order, so
  // every rank builds the same buckets from the same gradient list.
  struct Bucket {
    std::vector<std::size_t> members;
    torch::Tensor flat;
  };
  std::vector<Bucket> buckets;
  std::int64_t filled = 0;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const auto& g = grads[i];
    const std::int64_t bytes = g.numel() * static_cast<std::int64_t>(g.element_size());
    bool fresh = buckets.empty() || filled + bytes > bucket_bytes;
    if (!fresh) {
      const auto& first = grads[buckets.back().members.front()];
      fresh = first.scalar_type() != g.scalar_type() || first.device() != g.device();
    }
    if (fresh) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().members.push_back(i);
    filled += bytes;
  }
  std::vector<torch::Tensor> flats;
  for (auto& b : buckets) {
    std::vector<torch::Tensor> parts;
    for (auto i : b.members) parts.push_back(grads[i].reshape({-1}));
    b.flat = torch::cat(parts);
    flats.push_back(b.flat);
  }
  all_reduce_sum(flats, "gradient all-reduce");
  for (auto& b : buckets) {
    b.flat.div_(world_size_);
    std::int64_t offset = 0;
    for (auto i : b.members) {
      const auto n = grads[i].numel();
      grads[i].copy_(b.flat.narrow(0, offset, n).view_as(grads[i]));
      offset += n;
    }
  }
}

void DistributedGroup::barrier(const char* what) {
  if (world_size_ == 1) return;
  // An all-reduce rather than c10d's barrier: NCCL's barrier guesses a device per rank.
  auto t = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat).device(device_));
  all_reduce_sum(t, what);
}

}  // namespace tinynas::train
