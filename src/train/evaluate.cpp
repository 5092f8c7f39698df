#include "tinynas/train/evaluate.h"

#include <torch/torch.h>

#include "tinynas/core/error.h"
#include "tinynas/core/torch_compat.h"

namespace tinynas::train {
namespace {

template <class F>
bool with_batch_norm(torch::nn::Module& m, F&& f) {
  if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&m)) {
    f(*bn);
    return true;
  }
  if (auto* bn = dynamic_cast<torch::nn::BatchNorm1dImpl*>(&m)) {
    f(*bn);
    return true;
  }
  return false;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

bool use_channels_last(const std::string& setting, const torch::Device& device) {
  if (setting == "auto") return device.is_cpu();
  if (setting == "true" || setting == "false") return setting == "true";
  throw core::Error("train.channels_last: '" + setting + "' is not auto, true or false");
}

void make_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

std::pair<torch::Tensor, torch::Tensor> to_tensors(const data::Batch& batch,
                                                   const Placement& place) {
  auto x = torch::from_blob(const_cast<float*>(batch.images.data()),
                            {batch.n, batch.c, batch.h, batch.w}, torch::kFloat);
  auto y = torch::from_blob(const_cast<std::int64_t*>(batch.labels.data()), {batch.n},
                            torch::kLong);
  // from_blob aliases the batch: copy (to the device, or a plain clone on the CPU).
  x = place.device.is_cpu() ? x.clone() : x.to(place.device);
  y = place.device.is_cpu() ? y.clone() : y.to(place.device);
  if (place.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  return {x, y};
}

std::vector<std::shared_ptr<torch::nn::Module>> batch_norms(
    torch::nn::Module& root, const std::vector<std::string>& prefixes) {
  std::vector<std::shared_ptr<torch::nn::Module>> out;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    bool wanted = prefixes.empty();
    for (const auto& p : prefixes) wanted = wanted || starts_with(item.key(), p);
    if (wanted && with_batch_norm(*item.value(), [](auto&) {})) out.push_back(item.value());
  }
  return out;
}

std::vector<std::string> path_prefixes(const space::SupernetLayout& layout,
                                       const space::Arch& arch) {
  std::vector<std::string> out = {"stem.", "head.", "classifier"};
  for (int f = 0; f < layout.num_choice_blocks(); ++f)
    out.push_back("blocks." + std::to_string(f) + "." + std::to_string(arch.at(f)) + ".");
  return out;
}

void recalibrate_bn(torch::nn::Module& model,
                    const std::vector<std::shared_ptr<torch::nn::Module>>& norms,
                    const Forward& forward, data::BatchLoader& loader, std::int64_t epoch,
                    int batches, const Placement& place, DistributedGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<c10::optional<double>> momentum;
  for (const auto& m : norms)
    with_batch_norm(*m, [&](auto& bn) {
      momentum.push_back(bn.options.momentum());
      bn.options.momentum(c10::nullopt);  // cumulative average over the batches below
      bn.reset_running_stats();
    });
  model.train();
  loader.start_epoch(epoch);
  for (int b = 0; b < batches; ++b) {
    auto batch = loader.next();
    if (!batch) break;
    auto [x, y] = to_tensors(*batch, place);
    compat::CudaAutocast autocast(place.amp);
    forward(x);
  }
  model.eval();
  std::vector<torch::Tensor> stats;
  std::size_t i = 0;
  for (const auto& m : norms)
    with_batch_norm(*m, [&](auto& bn) {
      bn.options.momentum(momentum[i++]);
      stats.push_back(bn.running_mean);
      stats.push_back(bn.running_var);
    });
  // Equal batch counts per rank, so the mean of the ranks' averages is the average over
  // all of their batches.
  group.all_reduce_sum(stats, "BatchNorm recalibration");
  if (group.world_size() > 1)
    for (auto& t : stats) t.div_(group.world_size());
}

EvalResult evaluate(torch::nn::Module& model, const Forward& forward, data::BatchLoader& loader,
                    const Placement& place, DistributedGroup& group) {
  torch::NoGradGuard no_grad;
  model.eval();
  loader.start_epoch(0);
  // (correct, images, loss) summed on the device; read back once, after the all-reduce.
  auto sums = torch::zeros({3}, torch::TensorOptions().dtype(torch::kDouble).device(place.device));
  while (auto batch = loader.next()) {
    auto [x, y] = to_tensors(*batch, place);
    torch::Tensor logits;
    {
      compat::CudaAutocast autocast(place.amp);
      logits = forward(x);
    }
    logits = logits.to(torch::kFloat);
    sums[0] += logits.argmax(1).eq(y).sum();
    sums[1] += batch->n;
    sums[2] += torch::nn::functional::cross_entropy(
        logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  group.all_reduce_sum(sums, "evaluation");
  sums = sums.cpu();
  EvalResult r;
  r.correct = static_cast<std::int64_t>(sums[0].item<double>());
  r.total = static_cast<std::int64_t>(sums[1].item<double>());
  r.loss_sum = sums[2].item<double>();
  return r;
}

}  // namespace tinynas::train
