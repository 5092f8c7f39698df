// Data parallelism through torch's own distributed engine (c10d): a TCPStore rendezvous
// from torchrun-style environment variables, then a Gloo (CPU) or NCCL (CUDA) process
// group. This file is a thin wrapper: every byte between ranks moves through c10d.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

namespace c10d {
class Store;
}

namespace tinynas::train {

/// Where this process sits in the job, read from the torchrun variables.
struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Under torchrun its agent already hosts the store on MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE=True): every rank connects as a client, under the key
  // prefix "/worker/attempt_<TORCHELASTIC_RESTART_COUNT>" as torch.distributed does.
  bool agent_store = false;
  int restart_count = 0;
  bool launched = false;  ///< RANK and WORLD_SIZE were set: a launcher started this process
  bool distributed() const { return world_size > 1; }
};

/// Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (and
/// torchrun's TORCHELASTIC_USE_AGENT_STORE / TORCHELASTIC_RESTART_COUNT) through `getenv`
/// (injectable for tests). None set = a single process. Partly set,
/// non-numeric, out of range (RANK >= WORLD_SIZE, ...) or WORLD_SIZE > 1 without a master
/// → core::Error naming the variable and its value.
DistEnv dist_env_from(const std::function<const char*(const char*)>& getenv);
DistEnv dist_env();

/// Every rank's micro-batch under an automatic process count is at least this many images:
/// BatchNorm statistics come from each rank's micro-batch alone.
constexpr int kMinAutoMicroBatch = 32;

/// How many processes a data-parallel command starts on this machine when no launcher
/// started it. `configured` > 0 (distributed.nproc, --nproc) is taken as it is; 0 = auto:
/// on a CPU, one process per core, each computing on one thread (intra-op threads scale
/// worse than ranks and collapse under competing load), as many as divide the global batch
/// into micro-batches of at least kMinAutoMicroBatch images; on CUDA 1 (start one per GPU
/// with `tinynas launch`).
int processes_to_start(int configured, bool cpu, int cores, int batch_size, int accumulate);

/// core::Error unless the global batch splits into processes x accumulate equal
/// micro-batches (checked by the trainer, and before a command starts its own ranks).
void check_batch_split(int batch_size, int processes, int accumulate);

/// Which c10d backend a run uses: "gloo" or "nccl" ("auto" resolved by the device).
std::string resolve_backend(const std::string& configured, const torch::Device& device);

/// One process group for the whole job. With world size 1 no store or backend is created
/// and every collective is the identity, so single-process code takes the same path.
///
/// A collective that fails (a peer died, or nothing arrived within the timeout) throws
/// core::Error saying which collective failed on which rank; nothing hangs longer than
/// the timeout.
class DistributedGroup {
 public:
  /// Single process.
  DistributedGroup();
  /// Rendezvous through a TCPStore at env.master_addr:master_port (rank 0 hosts it unless
  /// env.agent_store), then
  /// creates `backend`. Unreachable master, a missing peer or a world-size disagreement
  /// fail within `timeout` with an error naming the address and ranks.
  DistributedGroup(const DistEnv& env, const std::string& backend,
                   std::chrono::milliseconds timeout);
  /// Over an existing store (tests run ranks as threads over a HashStore).
  DistributedGroup(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size,
                   const std::string& backend, std::chrono::milliseconds timeout);
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup&) = delete;
  DistributedGroup& operator=(const DistributedGroup&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_main() const { return rank_ == 0; }
  const std::string& backend() const { return backend_; }
  /// Device of the small tensors the group makes itself (barrier); NCCL needs this
  /// rank's CUDA device.
  void set_device(const torch::Device& device) { device_ = device; }

  /// In-place sum over ranks of each tensor.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors, const char* what);
  void all_reduce_sum(torch::Tensor& tensor, const char* what);
  /// In-place max over ranks.
  void all_reduce_max(torch::Tensor& tensor, const char* what);
  /// Copies rank `root`'s tensors into everyone's.
  void broadcast(std::vector<torch::Tensor>& tensors, int root, const char* what);
  /// Averages gradients over ranks: they are flattened into buckets of at most
  /// `bucket_bytes` (per dtype and device), all buckets' all-reduces are in flight at once,
  /// then results are divided by the world size and copied back.
  void average_gradients(const std::vector<torch::Tensor>& grads, std::int64_t bucket_bytes);
  /// Every rank waits for all others.
  void barrier(const char* what);

 private:
  // Membership check, then the backend over `store`.
  void join(c10::intrusive_ptr<c10d::Store> store, std::chrono::milliseconds timeout,
            bool single_node, const std::string& where);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
  std::string backend_ = "none";
  torch::Device device_{torch::kCPU};
};

}  // namespace tinynas::train
