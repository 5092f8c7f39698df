#include "tinynas/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <torch/torch.h>

#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/core/progress.h"
#include "tinynas/core/text.h"
#include "tinynas/core/torch_compat.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/path_sampler.h"
#include "tinynas/train/schedule.h"

namespace tinynas::train {
namespace fs = std::filesystem;
namespace {

// Random streams derived from train.seed, one per purpose.
constexpr std::uint64_t kDataStream = 0x7a10'0001;
constexpr std::uint64_t kRecalStream = 0x7a10'0002;
constexpr std::uint64_t kEvalPathStream = 0x7a10'0003;

// Recipe keys that may change between a checkpoint and its resumption: they do not
// change what is trained (logging, io, later pipeline stages, where things run).
const std::vector<std::string> kResumableKeys = {
    "data.workers",      "data.prefetch",    "train.log_every",  "train.keep_last",
    "train.checkpoint_every", "train.max_steps", "train.eval_paths", "train.bn_recal_batches",
    "train.threads",     "train.device",     "train.accumulate", "distributed.",
    "supernas.",         "sparsenas.",       "quant.",           "export.",
    "run."};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

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
                     DistributedGroup& group, std::int64_t bucket_bytes) {
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
  if (train.grad_clip > 0) clip_global_norm(grads, train.grad_clip);
  optimizer.step(lr);
  StepStats s;
  s.loss = f[n] / double(group.world_size());
  s.images = static_cast<std::int64_t>(f[n + 1]);
  return s;
}

struct SupernetTrainer::Impl {
  TrainerOptions opt;
  const data::Datasets& sets;
  space::SupernetLayout layout;
  DistributedGroup& group;
  const config::TrainConfig& train;
  Placement place;
  std::optional<c10::DeviceGuard> device_guard;
  int virtual_world = 1;
  int micro_batch = 1;
  space::Supernet model{nullptr};
  std::unique_ptr<Optimizer> optimizer;
  std::vector<std::unique_ptr<data::BatchLoader>> loaders;  // one per micro-batch
  std::unique_ptr<data::BatchLoader> recal_loader, val_loader;
  std::int64_t steps_per_epoch = 0;
  std::int64_t total_steps = 0;
  std::vector<space::Arch> eval_paths;
  CheckpointDir ckpt_dir;
  std::FILE* metrics = nullptr;
  double best_accuracy = -1;
  std::int64_t best_step = -1;
  double resumed_accuracy = -1;  // val accuracy recorded in the checkpoint resumed from

  Impl(TrainerOptions o, const data::Datasets& s, space::SupernetLayout l, DistributedGroup& g)
      : opt(std::move(o)),
        sets(s),
        layout(std::move(l)),
        group(g),
        train(opt.recipe.train),
        ckpt_dir(opt.out_dir) {}

  ~Impl() {
    if (metrics) std::fclose(metrics);
  }

  bool main() const { return group.is_main(); }

  void say(const std::string& line) const {
    if (main()) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  }

  void setup();
  void build_loaders();
  std::int64_t restore();
  void open_metrics(std::int64_t keep_until_step);
  void write_metric(const core::Json& j) {
    if (!metrics) return;
    const auto line = j.dump() + "\n";
    std::fwrite(line.data(), 1, line.size(), metrics);
    std::fflush(metrics);
  }
  std::string save(std::int64_t step, double val_accuracy, bool best);
  EvalResult evaluate_path(const space::Arch& arch, std::int64_t epoch);
  double evaluate_paths(std::int64_t epoch, core::Json& record);
  TrainResult run();
};

void SupernetTrainer::Impl::setup() {
  place.device = opt.device;
  // Kernels, NCCL and allocations of this rank go to its own GPU, not device 0.
  if (place.device.is_cuda()) device_guard.emplace(place.device);
  place.channels_last = train.channels_last;
  place.amp = train.amp;
  if (place.amp && !place.device.is_cuda())
    throw core::Error("train.amp: mixed precision needs a CUDA device (train.device is " +
                      place.device.str() + ")");
  group.set_device(place.device);
  int threads = train.threads;
  if (threads == 0) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, cores / std::max(1, opt.local_world_size));
  }
  if (place.device.is_cpu()) torch::set_num_threads(threads);

  virtual_world = group.world_size() * train.accumulate;
  if (train.batch_size % virtual_world != 0)
    throw core::Error("train.batch_size " + std::to_string(train.batch_size) +
                      " is not divisible by " + std::to_string(group.world_size()) +
                      " process(es) x train.accumulate " + std::to_string(train.accumulate));
  micro_batch = train.batch_size / virtual_world;

  // Same seed on every rank, so initial weights agree before the broadcast confirms it.
  torch::manual_seed(train.seed);
  model = space::Supernet(layout);
  model->to(place.device);
  if (place.channels_last) {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  OptimizerOptions oo;
  oo.kind = train.optimizer;
  oo.weight_decay = train.weight_decay;
  oo.momentum = train.momentum;
  optimizer = std::make_unique<Optimizer>(named_parameters_for_optimizer(*model), oo);

  build_loaders();
  core::Rng rng(core::derive_seed(std::uint64_t(train.seed), kEvalPathStream));
  for (int k = 0; k < train.eval_paths; ++k) eval_paths.push_back(space::sample_arch(layout, rng));
}

void SupernetTrainer::Impl::build_loaders() {
  const auto& d = opt.recipe.data;
  const std::uint64_t seed = core::derive_seed(std::uint64_t(train.seed), kDataStream);
  for (int a = 0; a < train.accumulate; ++a) {
    auto lo = data::make_loader_options(d, sets.normalization, true, micro_batch, seed,
                                        group.rank() * train.accumulate + a, virtual_world);
    lo.drop_last = true;
    // Background threads are per loader: share the recipe's budget among them.
    lo.workers = d.workers == 0 ? 0 : std::max(1, d.workers / train.accumulate);
    loaders.push_back(std::make_unique<data::BatchLoader>(sets.train, lo));
  }
  steps_per_epoch = loaders[0]->batches_per_epoch();
  if (steps_per_epoch < 1)
    throw core::Error("train.batch_size " + std::to_string(train.batch_size) + ": the " +
                      std::to_string(sets.train.size()) +
                      " training images make no full batch per rank; lower the batch size");
  total_steps = steps_per_epoch * train.epochs;

  auto ro = data::make_loader_options(d, sets.normalization, true, micro_batch,
                                      core::derive_seed(std::uint64_t(train.seed), kRecalStream),
                                      group.rank(), group.world_size());
  ro.drop_last = true;
  ro.workers = std::min(d.workers, 1);
  recal_loader = std::make_unique<data::BatchLoader>(sets.train, ro);
  if (sets.val.size() > 0) {
    auto vo = data::make_loader_options(d, sets.normalization, false,
                                        std::max(micro_batch, 256), 0, group.rank(),
                                        group.world_size());
    vo.shuffle = false;
    vo.pad_to_world = false;
    vo.workers = std::min(d.workers, 1);
    val_loader = std::make_unique<data::BatchLoader>(sets.val, vo);
  }
}

// Loads the newest checkpoint when resuming; returns the step to start from.
std::int64_t SupernetTrainer::Impl::restore() {
  const auto latest = ckpt_dir.latest();
  if (!opt.resume) {
    if (latest)
      throw core::Error(opt.out_dir + " already holds checkpoints (newest: " + *latest +
                        "); pass --resume to continue that run, or pick another run.name / "
                        "run.dir");
    return 0;
  }
  if (!latest) {
    say("no checkpoint in " + opt.out_dir + ": starting at step 0");
    return 0;
  }
  const Checkpoint c = read_checkpoint(*latest);
  const auto& info = c.info;
  if (info.space_id != layout.space_id || info.supernet != opt.supernet_text)
    core::fail_file(*latest, "is a checkpoint of supernet " + info.supernet +
                                 ", the recipe trains " + opt.supernet_text);
  const auto diffs =
      recipe_differences(info.recipe, config::flat_values(opt.recipe), kResumableKeys);
  if (!diffs.empty())
    core::fail_file(*latest, "was written by another recipe: " + core::join(diffs, "; "));
  if (info.virtual_world != virtual_world)
    core::fail_file(*latest, "was trained with processes x accumulate = " +
                                 std::to_string(info.virtual_world) + ", this run has " +
                                 std::to_string(virtual_world) +
                                 " (the data split depends on it; keep the product)");
  if (info.steps_per_epoch != steps_per_epoch)
    core::fail_file(*latest, "has " + std::to_string(info.steps_per_epoch) +
                                 " steps per epoch, this run " + std::to_string(steps_per_epoch));
  torch::serialize::InputArchive archive;
  load_archive(archive, c.archive, *latest);
  read_module(archive, *model, "model/", *latest);
  try {
    optimizer->load(archive, "optim/");
  } catch (const core::Error& e) {
    core::rethrow_with_context(*latest, e);
  }
  torch::Tensor rng_state;
  if (archive.try_read("rng/torch_cpu", rng_state))
    compat::set_rng_state(torch::Device(torch::kCPU), rng_state);
  if (place.device.is_cuda() && archive.try_read("rng/torch_cuda", rng_state))
    compat::set_rng_state(place.device, rng_state);
  best_accuracy = info.best_accuracy;
  best_step = info.best_step;
  resumed_accuracy = info.val_accuracy;
  say("resuming from " + *latest + " at step " + std::to_string(info.step));
  return info.step;
}

void SupernetTrainer::Impl::open_metrics(std::int64_t keep_until_step) {
  if (!main()) return;
  const std::string path = opt.out_dir + "/metrics.jsonl";
  // A resumed run replays the steps after its checkpoint: drop their old records (and a
  // line cut short by a kill) so every step appears once.
  std::string kept;
  if (keep_until_step > 0 && core::is_regular_file(path)) {
    std::istringstream in(core::read_text_file(path));
    std::string line;
    while (std::getline(in, line)) {
      try {
        const auto j = core::Json::parse(line, path);
        if (j.contains("step") && j.at("step").as_int() <= keep_until_step) kept += line + "\n";
      } catch (const core::Error&) {
        break;  // the torn tail of a killed run
      }
    }
  }
  core::write_file_atomic(path, kept);
  metrics = std::fopen(path.c_str(), "a");
  if (!metrics) core::fail_file(path, "cannot open for appending");
}

std::string SupernetTrainer::Impl::save(std::int64_t step, double val_accuracy, bool best) {
  if (!main()) return "";
  torch::serialize::OutputArchive archive;
  write_module(archive, *model, "model/");
  optimizer->save(archive, "optim/");
  archive.write("rng/torch_cpu", compat::rng_state(torch::Device(torch::kCPU)));
  if (place.device.is_cuda()) archive.write("rng/torch_cuda", compat::rng_state(place.device));
  CheckpointInfo info;
  info.step = step;
  info.steps_per_epoch = steps_per_epoch;
  info.virtual_world = virtual_world;
  info.world_size = group.world_size();
  info.space_id = layout.space_id;
  info.supernet = opt.supernet_text;
  info.recipe = config::flat_values(opt.recipe);
  info.val_accuracy = val_accuracy;
  info.best_accuracy = best_accuracy;
  info.best_step = best_step;
  info.torch_version = compat::torch_version();
  return ckpt_dir.save(info, archive_bytes(archive), best, train.keep_last);
}

EvalResult SupernetTrainer::Impl::evaluate_path(const space::Arch& arch, std::int64_t epoch) {
  if (!val_loader)
    throw core::Error("no validation images to evaluate paths on: set data.val_fraction above 0");
  const Forward fwd = [&](const torch::Tensor& x) { return model->forward(x, arch); };
  const auto norms = batch_norms(*model, path_prefixes(layout, arch));
  recalibrate_bn(*model, norms, fwd, *recal_loader, epoch, train.bn_recal_batches, place, group);
  return evaluate(*model, fwd, *val_loader, place, group);
}

double SupernetTrainer::Impl::evaluate_paths(std::int64_t epoch, core::Json& record) {
  if (!val_loader || eval_paths.empty()) return -1;
  core::Json per_path = core::Json::array();
  double sum = 0;
  for (const auto& arch : eval_paths) {
    const auto r = evaluate_path(arch, epoch);
    sum += r.accuracy();
    core::Json p = core::Json::object();
    p["path"] = space::to_string(arch, layout);
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

TrainResult SupernetTrainer::Impl::run() {
  TrainResult result;
  const std::int64_t start = restore();
  result.start_step = start;
  result.val_accuracy = resumed_accuracy;  // a finished run resumed keeps its figure
  const std::int64_t end =
      train.max_steps > 0 ? std::min<std::int64_t>(total_steps, train.max_steps) : total_steps;

  // Every rank must run the same job from the same place: compare a digest of the recipe
  // and the start step, then make rank 0's weights everyone's (as DDP does).
  {
    const auto yaml = config::to_yaml(opt.recipe);
    const auto h = static_cast<double>(std::hash<std::string>{}(yaml) & ((1ULL << 52) - 1));
    auto t = torch::tensor({h, double(start), -h, -double(start)}, torch::kDouble);
    group.all_reduce_max(t, "start-up consistency check");
    const auto* v = t.data_ptr<double>();
    if (v[0] != -v[2] || v[1] != -v[3])
      throw core::Error("rank " + std::to_string(group.rank()) +
                        ": the ranks disagree on the recipe or the resume step (every rank "
                        "must run the same recipe, overrides and checkpoint directory)");
    std::vector<torch::Tensor> state;
    for (auto& p : model->parameters()) state.push_back(p.data());
    for (auto& b : model->buffers()) state.push_back(b);
    group.broadcast(state, 0, "initial weights");
  }

  if (main()) {
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) core::fail_file(opt.out_dir, "cannot create directory: " + ec.message());
    core::write_file_atomic(opt.out_dir + "/recipe.resolved.yaml", config::to_yaml(opt.recipe));
  }
  open_metrics(start);

  say("training supernet " + opt.supernet_text + " (" + fmt("%.0f", layout.path_count()) +
      " paths) on " + place.device.str() + ": " + std::to_string(group.world_size()) +
      " process(es) [" + group.backend() + "] x accumulate " + std::to_string(train.accumulate) +
      ", batch " + std::to_string(train.batch_size) + ", " + std::to_string(steps_per_epoch) +
      " steps/epoch, " + std::to_string(train.epochs) + " epochs");

  LrScheduleOptions so;
  so.lr = train.lr;
  so.warmup_lr = train.warmup_lr;
  so.min_lr = train.min_lr;
  so.warmup_steps = static_cast<std::int64_t>(train.warmup_epochs * double(steps_per_epoch));
  so.total_steps = std::max<std::int64_t>(1, total_steps);
  const LrSchedule schedule(so);
  const PathSampler sampler(layout, parse_sampling(train.sampling), std::uint64_t(train.seed));
  const auto bucket_bytes =
      static_cast<std::int64_t>(opt.recipe.distributed.bucket_mb * 1024.0 * 1024.0);

  std::optional<core::ProgressBar> bar;
  if (main() && opt.progress) {
    core::ProgressOptions po;
    po.total = end;
    po.label = "train";
    po.line_every = train.log_every;
    bar.emplace(po);
  }

  model->train();
  const auto t0 = Clock::now();
  std::int64_t images_done = 0;
  std::int64_t last_saved = start > 0 ? start : -1;
  std::vector<data::Batch> micro(loaders.size());
  auto window_start = Clock::now();
  std::int64_t window_images = 0;
  double img_s = 0;
  bool window_closed = false;
  for (std::int64_t step = start; step < end; ++step) {
    const std::int64_t epoch = step / steps_per_epoch;
    const std::int64_t in_epoch = step % steps_per_epoch;
    if (in_epoch == 0 || step == start)
      for (auto& l : loaders) l->start_epoch(epoch, in_epoch);
    for (std::size_t a = 0; a < loaders.size(); ++a) {
      auto b = loaders[a]->next();
      if (!b) throw core::Error("internal: loader ran out of batches at step " + std::to_string(step));
      micro[a] = std::move(*b);
    }
    const auto arch = sampler.at(step);
    const double lr = schedule.at(step);
    const Forward fwd = [&](const torch::Tensor& x) { return model->forward(x, arch); };
    const auto s = train_step(*optimizer, fwd, micro, lr, train, place, group, bucket_bytes);
    if (!std::isfinite(s.loss))
      throw TrainingDiverged("training diverged at step " + std::to_string(step + 1) + " (loss " +
                        std::to_string(s.loss) + ", lr " + fmt("%.3g", lr) +
                        "); lower train.lr or set train.grad_clip");
    images_done += s.images;
    window_images += s.images;
    const double window_s = seconds_since(window_start);
    if (window_s >= 1.0 || step + 1 == end) {
      img_s = double(window_images) / std::max(window_s, 1e-9);
      window_start = Clock::now();
      window_images = 0;
      window_closed = true;
    } else if (!window_closed) {  // until the first one-second window closes
      img_s = double(images_done) / std::max(seconds_since(t0), 1e-9);
    }

    if (main()) {
      core::Json m = core::Json::object();
      m["type"] = "step";
      m["step"] = step + 1;
      m["epoch"] = double(step + 1) / double(steps_per_epoch);
      m["loss"] = s.loss;
      m["lr"] = lr;
      m["images_per_s"] = img_s;
      m["path"] = space::to_string(arch, layout);
      write_metric(m);
      if (bar)
        bar->update(step + 1, {{"epoch", std::to_string(epoch + 1) + "/" + std::to_string(train.epochs)},
                               {"loss", fmt("%.4f", s.loss)},
                               {"lr", fmt("%.2e", lr)},
                               {"img/s", fmt("%.0f", img_s)}});
    }

    const bool epoch_end = in_epoch + 1 == steps_per_epoch;
    if (epoch_end) {
      core::Json e = core::Json::object();
      e["type"] = "epoch";
      e["step"] = step + 1;
      e["epoch"] = epoch + 1;
      const double acc = evaluate_paths(epoch, e);
      const bool best = acc >= 0 && acc > best_accuracy;
      if (best) {
        best_accuracy = acc;
        best_step = step + 1;
      }
      result.val_accuracy = acc;
      e["best_accuracy"] = best_accuracy;
      write_metric(e);
      if (bar && acc >= 0)
        bar->message("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(train.epochs) +
                     ": val accuracy " + fmt("%.2f", 100 * acc) + "% (mean of " +
                     std::to_string(eval_paths.size()) + " paths), best " +
                     fmt("%.2f", 100 * best_accuracy) + "%");
      result.checkpoint = save(step + 1, acc, best);
      last_saved = step + 1;
    } else if ((train.checkpoint_every > 0 && (step + 1) % train.checkpoint_every == 0) ||
               step + 1 == end) {
      result.checkpoint = save(step + 1, -1, false);
      last_saved = step + 1;
    }
    // Ranks wait for rank 0's checkpoint so a failure there stops everyone promptly.
    if (last_saved == step + 1) group.barrier("checkpoint");
  }
  if (bar) bar->finish();
  if (result.checkpoint.empty() && main()) {
    if (auto l = ckpt_dir.latest()) result.checkpoint = *l;
  }
  result.steps = std::max(end, start);
  result.images_per_s = double(images_done) / std::max(seconds_since(t0), 1e-9);
  result.best_accuracy = best_accuracy;
  return result;
}

SupernetTrainer::SupernetTrainer(TrainerOptions options, const data::Datasets& sets,
                                 space::SupernetLayout layout, DistributedGroup& group)
    : impl_(std::make_unique<Impl>(std::move(options), sets, std::move(layout), group)) {
  impl_->setup();
}

SupernetTrainer::~SupernetTrainer() = default;

TrainResult SupernetTrainer::run() { return impl_->run(); }

space::Supernet& SupernetTrainer::model() { return impl_->model; }

EvalResult SupernetTrainer::evaluate_path(const space::Arch& arch) {
  // Recalibration draws the batches of the epoch after training: fixed, whatever the path.
  auto r = impl_->evaluate_path(arch, impl_->train.epochs);
  impl_->model->train();
  return r;
}

}  // namespace tinynas::train
