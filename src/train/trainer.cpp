#include "tinynas/train/trainer.h"

#include <cstdio>

#include <torch/torch.h>

#include "loop.h"
#include "tinynas/core/error.h"
#include "tinynas/core/json.h"
#include "tinynas/core/text.h"
#include "tinynas/core/torch_compat.h"
#include "tinynas/nn/init.h"
#include "tinynas/train/path_sampler.h"

namespace tinynas::train {
namespace {

// The stream of the evaluated paths, derived from train.seed (loop.cpp holds the others).
constexpr std::uint64_t kEvalPathStream = 0x7a10'0003;

std::string fmt(const char* f, double v) { return core::format_number(f, v); }

// Scales `grads` in place so their global L2 norm is at most `max_norm` (what
// torch::nn::utils::clip_grad_norm_ does, but on gradient tensors rather than parameters).
void clip_global_norm(const std::vector<torch::Tensor>& grads, double max_norm) {
  if (grads.empty()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& g : grads) norms.push_back(g.norm(2).to(torch::kFloat).reshape({1}));
  const double total = torch::cat(norms).norm(2).item<double>();
  const double scale = max_norm / (total + 1e-6);
  if (scale < 1)
    for (const auto& g : grads) const_cast<torch::Tensor&>(g).mul_(scale);
}

}  // namespace

torch::Device select_device(const std::string& configured, int local_rank,
                            int local_world_size) {
  if (configured == "cpu") return torch::Device(torch::kCPU);
  if (configured == "cuda" || configured == "auto") {
    if (!compat::cuda_available()) {
      if (configured == "auto") return torch::Device(torch::kCPU);
      throw core::Error("train.device is cuda, but LibTorch " + compat::torch_version() +
                        " sees no CUDA device (a CPU build, or no GPU visible); use cpu or auto");
    }
    const auto n = static_cast<int>(torch::cuda::device_count());
    if (local_world_size > n)
      throw core::Error("train.device: " + std::to_string(local_world_size) +
                        " processes on this machine but " + std::to_string(n) +
                        " CUDA device(s); start one process per GPU (tinynas launch --nproc " +
                        std::to_string(n) + ")");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % n));
  }
  throw core::Error("train.device: unknown device '" + configured + "' (auto, cpu or cuda)");
}

StepStats train_step(Optimizer& optimizer, const Forward& forward,
                     const std::vector<data::Batch>& micro_batches, double lr,
                     const config::TrainConfig& train, const Placement& place,
                     DistributedGroup& group, std::int64_t bucket_bytes,
                     const std::function<void()>& before_update) {
  optimizer.zero_grad();
  const double scale = 1.0 / double(micro_batches.size());
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(place.device));
  std::int64_t images = 0;
  for (const auto& batch : micro_batches) {
    auto [x, y] = to_tensors(batch, place);
    torch::Tensor loss;
    {
      compat::CudaAutocast autocast(place.amp);
      auto logits = forward(x);
      loss = torch::nn::functional::cross_entropy(
          logits.to(torch::kFloat), y,
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
              train.label_smoothing));
    }
    // 1/A is a power of two for A = 1, 2, 4, ...: then scaling is exact and accumulating
    // equals averaging over ranks bit for bit.
    (loss * scale).backward();
    loss_sum += loss.detach();  // read once per step, not once per micro-batch
    images += batch.n;
  }

  // Which parameters have gradients, plus the loss, in one small all-reduce: every rank
  // must have trained the same path, or averaging would mix different models.
  const auto& params = optimizer.params();
  const auto n = static_cast<std::int64_t>(params.size());
  auto flags = torch::zeros({n + 2}, torch::kDouble);
  auto* f = flags.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i)
    f[i] = params[static_cast<std::size_t>(i)].tensor.grad().defined() ? 1.0 : 0.0;
  f[n] = loss_sum.item<double>() * scale;
  f[n + 1] = double(images);
  group.all_reduce_sum(flags, "gradient presence check");
  std::vector<torch::Tensor> grads;
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = f[i];
    const auto& p = params[static_cast<std::size_t>(i)];
    if (v != 0 && v != group.world_size())
      throw core::Error("rank " + std::to_string(group.rank()) + ": only " +
                        std::to_string(int(v)) + " of " + std::to_string(group.world_size()) +
                        " ranks have a gradient for '" + p.name +
                        "': the ranks trained different paths (different recipes or seeds?)");
    if (v != 0) grads.push_back(p.tensor.grad());
  }
  group.average_gradients(grads, bucket_bytes);
  if (before_update) before_update();
  if (train.grad_clip > 0) clip_global_norm(grads, train.grad_clip);
  optimizer.step(lr);
  StepStats s;
  s.loss = f[n] / double(group.world_size());
  s.images = static_cast<std::int64_t>(f[n + 1]);
  return s;
}

// The supernet as the loop trains it: one SPOS path per step, drawn from (seed, step);
// each epoch ends with the validation accuracy of train.eval_paths fixed paths, each after
// BatchNorm recalibration.
struct SupernetTrainer::Impl : detail::LoopModel {
  detail::TrainLoop loop;
  space::SupernetLayout layout_;
  space::Supernet model{nullptr};
  PathSampler sampler;
  std::vector<space::Arch> eval_paths;

  Impl(TrainerOptions o, const data::Datasets& s, space::SupernetLayout l, DistributedGroup& g)
      : loop(std::move(o), s, g),
        layout_(std::move(l)),
        model(layout_),
        sampler(layout_, parse_sampling(loop.train().sampling), std::uint64_t(loop.train().seed)) {
    if (loop.train().zero_init_residual) nn::zero_init_residual(*model);
    loop.attach(*this);
    core::Rng rng(core::derive_seed(std::uint64_t(loop.train().seed), kEvalPathStream));
    for (int k = 0; k < loop.train().eval_paths; ++k)
      eval_paths.push_back(space::sample_arch(layout_, rng));
  }

  torch::nn::Module& module() override { return *model; }
  const space::SupernetLayout& layout() const override { return layout_; }
  std::string describe() const override {
    return "supernet " + loop.options().supernet_text + " (" + fmt("%.0f", layout_.path_count()) +
           " paths)";
  }
  Forward forward_at(std::int64_t step) override {
    return [this, arch = sampler.at(step)](const torch::Tensor& x) { return model->forward(x, arch); };
  }
  void describe_step(std::int64_t step, core::Json& record) override {
    record["path"] = space::to_string(sampler.at(step), layout_);
  }

  EvalResult evaluate_path(const space::Arch& arch, std::int64_t epoch) {
    const Forward fwd = [&](const torch::Tensor& x) { return model->forward(x, arch); };
    return loop.evaluate(fwd, batch_norms(*model, path_prefixes(layout_, arch)), epoch);
  }

  double evaluate_epoch(std::int64_t epoch, core::Json& record) override {
    if (!loop.has_validation() || eval_paths.empty()) return -1;
    core::Json per_path = core::Json::array();
    double sum = 0;
    for (const auto& arch : eval_paths) {
      const auto r = evaluate_path(arch, epoch);
      sum += r.accuracy();
      core::Json p = core::Json::object();
      p["path"] = space::to_string(arch, layout_);
      p["accuracy"] = r.accuracy();
      p["loss"] = r.loss();
      per_path.push_back(p);
    }
    model->train();
    const double mean = sum / double(eval_paths.size());
    record["val_accuracy"] = mean;
    record["paths"] = per_path;
    return mean;
  }
  int evaluations_per_epoch() const override { return static_cast<int>(eval_paths.size()); }
  std::string accuracy_note() const override {
    return " (mean of " + std::to_string(eval_paths.size()) + " paths)";
  }
};

SupernetTrainer::SupernetTrainer(TrainerOptions options, const data::Datasets& sets,
                                 space::SupernetLayout layout, DistributedGroup& group)
    : impl_(std::make_unique<Impl>(std::move(options), sets, std::move(layout), group)) {}

SupernetTrainer::~SupernetTrainer() = default;

TrainResult SupernetTrainer::run() { return impl_->loop.run(); }

space::Supernet& SupernetTrainer::model() { return impl_->model; }

EvalResult SupernetTrainer::evaluate_path(const space::Arch& arch) {
  // Recalibration draws the batches of the epoch after training: fixed, whatever the path.
  auto r = impl_->evaluate_path(arch, impl_->loop.train().epochs);
  impl_->model->train();
  return r;
}

}  // namespace tinynas::train
