#include "loop.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/process.h"
#include "tinynas/core/progress.h"
#include "tinynas/core/text.h"
#include "tinynas/core/torch_compat.h"
#include "tinynas/train/schedule.h"

namespace tinynas::train::detail {
namespace fs = std::filesystem;
namespace {

// Random streams derived from train.seed, one per purpose.
constexpr std::uint64_t kDataStream = 0x7a10'0001;
constexpr std::uint64_t kRecalStream = 0x7a10'0002;

// Recipe keys that may change between a checkpoint and its resumption: they do not
// change what is trained (logging, io, later pipeline stages, where things run). What a
// subnet run trains beyond the recipe (its path, sparse config, AGP schedule) is checked
// through LoopModel::identity().
const std::vector<std::string> kResumableKeys = {
    "data.workers",      "data.prefetch",    "train.log_every",  "train.keep_last",
    "train.checkpoint_every", "train.max_steps", "train.eval_paths", "train.bn_recal_batches",
    "train.threads",     "train.device",     "train.accumulate", "train.channels_last",
    "distributed.",
    "supernas.",         "sparsenas.",       "quant.",           "export.",
    "run.",              "predictor."};

std::string fmt(const char* f, double v) { return core::format_number(f, v); }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

TrainLoop::TrainLoop(TrainerOptions o, const data::Datasets& s, DistributedGroup& g)
    : opt_(std::move(o)), sets_(s), group_(g), train_(opt_.recipe.train), ckpt_dir_(opt_.out_dir) {
  place_.device = opt_.device;
  // Kernels, NCCL and allocations of this rank go to its own GPU, not device 0.
  if (place_.device.is_cuda()) device_guard_.emplace(place_.device);
  place_.channels_last = use_channels_last(train_.channels_last, place_.device);
  place_.amp = train_.amp;
  if (place_.amp && !place_.device.is_cuda())
    throw core::Error("train.amp: mixed precision needs a CUDA device (train.device is " +
                      place_.device.str() + ")");
  group_.set_device(place_.device);
  int threads = train_.threads;
  if (threads == 0) {
    threads = std::max(1, core::usable_cores() / std::max(1, opt_.local_world_size));
  }
  if (place_.device.is_cpu()) torch::set_num_threads(threads);

  virtual_world_ = group_.world_size() * train_.accumulate;
  check_batch_split(train_.batch_size, group_.world_size(), train_.accumulate);
  micro_batch_ = train_.batch_size / virtual_world_;
  // Read here so every training command honours it and a bad value fails before any work.
  progress_style_ = core::parse_progress_style(std::getenv("TINYNAS_PROGRESS"));
  if (group_.world_size() > 1) log_tag_ = "rank " + std::to_string(group_.rank());
  // Same seed on every rank, so initial weights agree before the broadcast confirms it.
  torch::manual_seed(train_.seed);
}

TrainLoop::~TrainLoop() {
  if (metrics_) std::fclose(metrics_);
}

void TrainLoop::say(const std::string& line) const {
  if (!main()) return;
  const std::string prefix = log_tag_.empty() ? "" : core::log_prefix_now(log_tag_);
  std::printf("%s%s\n", prefix.c_str(), line.c_str());
  std::fflush(stdout);
}

void TrainLoop::status(const std::string& line) {
  if (bar_) bar_->status(line);
}

void TrainLoop::attach(LoopModel& model) {
  model_ = &model;
  auto& module = model.module();
  module.to(place_.device);
  if (place_.channels_last) make_channels_last(module);
  OptimizerOptions oo;
  oo.kind = train_.optimizer;
  oo.weight_decay = train_.weight_decay;
  oo.momentum = train_.momentum;
  optimizer_ = std::make_unique<Optimizer>(named_parameters_for_optimizer(module), oo);
  build_loaders();
}

void TrainLoop::build_loaders() {
  const auto& d = opt_.recipe.data;
  const std::uint64_t seed = core::derive_seed(std::uint64_t(train_.seed), kDataStream);
  for (int a = 0; a < train_.accumulate; ++a) {
    auto lo = data::make_loader_options(d, sets_.normalization, true, micro_batch_, seed,
                                        group_.rank() * train_.accumulate + a, virtual_world_);
    lo.drop_last = true;
    // Background threads are per loader: share the recipe's budget among them.
    lo.workers = d.workers == 0 ? 0 : std::max(1, d.workers / train_.accumulate);
    loaders_.push_back(std::make_unique<data::BatchLoader>(sets_.train, lo));
  }
  steps_per_epoch_ = loaders_[0]->batches_per_epoch();
  if (steps_per_epoch_ < 1)
    throw core::Error("train.batch_size " + std::to_string(train_.batch_size) + ": the " +
                      std::to_string(sets_.train.size()) +
                      " training images make no full batch per rank; lower the batch size");
  total_steps_ = steps_per_epoch_ * train_.epochs;

  auto ro = data::make_loader_options(d, sets_.normalization, true, micro_batch_,
                                      core::derive_seed(std::uint64_t(train_.seed), kRecalStream),
                                      group_.rank(), group_.world_size());
  ro.drop_last = true;
  ro.workers = std::min(d.workers, 1);
  recal_loader_ = std::make_unique<data::BatchLoader>(sets_.train, ro);
  if (sets_.val.size() > 0) {
    auto vo = data::make_loader_options(d, sets_.normalization, false,
                                        std::max(micro_batch_, 256), 0, group_.rank(),
                                        group_.world_size());
    vo.shuffle = false;
    vo.pad_to_world = false;
    vo.workers = std::min(d.workers, 1);
    val_loader_ = std::make_unique<data::BatchLoader>(sets_.val, vo);
  }
}

// Loads the newest checkpoint when resuming; returns the step to start from.
std::int64_t TrainLoop::restore() {
  const auto latest = ckpt_dir_.latest();
  if (!opt_.resume) {
    if (latest)
      throw core::Error(opt_.out_dir + " already holds checkpoints (newest: " + *latest +
                        "); pass --resume to continue that run, or pick another run.name / "
                        "run.dir");
    return 0;
  }
  if (!latest) {
    say("no checkpoint in " + opt_.out_dir + ": starting at step 0");
    return 0;
  }
  const Checkpoint c = read_checkpoint(*latest);
  const auto& info = c.info;
  // The archive's own record first: the checks below read the sidecar, so it must be the
  // one this archive was written with.
  torch::serialize::InputArchive archive;
  load_checkpoint_archive(archive, c);
  if (info.step > total_steps_)
    core::fail_file(*latest, "step: " + std::to_string(info.step) + " is beyond the run's " +
                                 std::to_string(total_steps_) + " steps (" +
                                 std::to_string(train_.epochs) + " epochs of " +
                                 std::to_string(steps_per_epoch_) + ")");
  const auto& layout = model_->layout();
  if (!opt_.space_fingerprint.empty() && !info.space_fingerprint.empty() &&
      info.space_fingerprint != opt_.space_fingerprint)
    core::fail_file(*latest,
                    "was trained on other contents of the space file " +
                        core::resolve_relative_to(opt_.recipe.source, opt_.recipe.space.file) +
                        " (space fingerprint " + info.space_fingerprint + " in the checkpoint, " +
                        opt_.space_fingerprint +
                        " now): the file was edited since; restore it, or train a new run "
                        "(another run.name)");
  if (info.space_id != layout.space_id || info.supernet != opt_.supernet_text)
    core::fail_file(*latest, "is a checkpoint of supernet " + info.supernet +
                                 ", the recipe trains " + opt_.supernet_text);
  if (info.subnet != model_->identity())
    core::fail_file(*latest, "trained " +
                                 (info.subnet.empty() ? std::string("the supernet") : info.subnet) +
                                 ", this run trains " +
                                 (model_->identity().empty() ? std::string("the supernet")
                                                             : model_->identity()));
  const auto diffs =
      recipe_differences(info.recipe, config::flat_values(opt_.recipe), kResumableKeys);
  if (!diffs.empty())
    core::fail_file(*latest, "was written by another recipe: " + core::join(diffs, "; "));
  // A finished run trains no further step: its data split no longer matters.
  if (info.virtual_world != virtual_world_ && info.step < total_steps_)
    core::fail_file(*latest, "was trained with processes x accumulate = " +
                                 std::to_string(info.virtual_world) + ", this run has " +
                                 std::to_string(virtual_world_) +
                                 " (the data split depends on it; keep the product)");
  if (info.steps_per_epoch != steps_per_epoch_)
    core::fail_file(*latest, "has " + std::to_string(info.steps_per_epoch) +
                                 " steps per epoch, this run " + std::to_string(steps_per_epoch_));
  read_module(archive, model_->module(), "model/", c.archive_path);
  try {
    optimizer_->load(archive, "optim/");
    model_->load_state(archive, c.archive_path);
  } catch (const core::Error& e) {
    core::rethrow_with_context(c.archive_path, e);
  }
  torch::Tensor rng_state;
  if (archive.try_read("rng/torch_cpu", rng_state))
    compat::set_rng_state(torch::Device(torch::kCPU), rng_state);
  if (place_.device.is_cuda() && archive.try_read("rng/torch_cuda", rng_state))
    compat::set_rng_state(place_.device, rng_state);
  best_accuracy_ = info.best_accuracy;
  best_step_ = info.best_step;
  resumed_accuracy_ = info.val_accuracy;
  say("resuming from " + *latest + " at step " + std::to_string(info.step));
  return info.step;
}

void TrainLoop::open_metrics(std::int64_t keep_until_step) {
  if (!main()) return;
  const std::string path = opt_.out_dir + "/metrics.jsonl";
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
  metrics_ = std::fopen(path.c_str(), "a");
  if (!metrics_) core::fail_file(path, "cannot open for appending");
}

void TrainLoop::write_metric(const core::Json& j) {
  if (!metrics_) return;
  const auto line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), metrics_);
  std::fflush(metrics_);
}

std::string TrainLoop::save(std::int64_t step, double val_accuracy, bool best) {
  if (!main()) return "";
  torch::serialize::OutputArchive archive;
  write_module(archive, model_->module(), "model/");
  optimizer_->save(archive, "optim/");
  model_->save_state(archive);
  archive.write("rng/torch_cpu", compat::rng_state(torch::Device(torch::kCPU)));
  if (place_.device.is_cuda()) archive.write("rng/torch_cuda", compat::rng_state(place_.device));
  CheckpointInfo info;
  info.step = step;
  info.steps_per_epoch = steps_per_epoch_;
  info.virtual_world = virtual_world_;
  info.world_size = group_.world_size();
  info.space_id = model_->layout().space_id;
  info.space_fingerprint = opt_.space_fingerprint;
  info.supernet = opt_.supernet_text;
  info.subnet = model_->identity();
  info.recipe = config::flat_values(opt_.recipe);
  info.val_accuracy = val_accuracy;
  info.best_accuracy = best_accuracy_;
  info.best_step = best_step_;
  info.torch_version = compat::torch_version();
  return ckpt_dir_.save(info, archive, best, train_.keep_last);
}

EvalResult TrainLoop::evaluate(const Forward& forward,
                               const std::vector<std::shared_ptr<torch::nn::Module>>& recal_norms,
                               std::int64_t recal_epoch) {
  if (!val_loader_)
    throw core::Error("no validation images to evaluate on: set data.val_fraction above 0");
  auto& module = model_->module();
  if (!epoch_status_.empty()) {
    std::string what = epoch_status_ + ": ";
    const int n = model_->evaluations_per_epoch();
    if (n > 1)
      what += "path " + std::to_string(++evaluations_done_) + "/" + std::to_string(n) + ": ";
    what += recal_norms.empty() ? std::string("validation")
                                : "BatchNorm recalibration (" +
                                      std::to_string(train_.bn_recal_batches) +
                                      " batches) and validation";
    status(what + "...");
  }
  if (!recal_norms.empty())
    recalibrate_bn(module, recal_norms, forward, *recal_loader_, recal_epoch,
                   train_.bn_recal_batches, place_, group_);
  return train::evaluate(module, forward, *val_loader_, place_, group_);
}

TrainResult TrainLoop::run() {
  TrainResult result;
  // Temporaries of a writer killed mid-write (kill -9): nobody else writes here (the CLI
  // holds the run directory's DirLock), so they are garbage.
  if (main())
    for (const auto& t : core::remove_atomic_temporaries(opt_.out_dir))
      say("removed " + t + ", left by an interrupted write");
  model_->start(total_steps_);
  const std::int64_t start = restore();
  result.start_step = start;
  result.val_accuracy = resumed_accuracy_;  // a finished run resumed keeps its figure
  const std::int64_t end =
      train_.max_steps > 0 ? std::min<std::int64_t>(total_steps_, train_.max_steps) : total_steps_;
  auto& module = model_->module();

  // Every rank must run the same job from the same place: compare a digest of the recipe
  // and the start step, then make rank 0's weights everyone's (as DDP does).
  {
    const auto yaml = config::to_yaml(opt_.recipe) + model_->identity();
    const auto h = static_cast<double>(std::hash<std::string>{}(yaml) & ((1ULL << 52) - 1));
    auto t = torch::tensor({h, double(start), -h, -double(start)}, torch::kDouble);
    group_.all_reduce_max(t, "start-up consistency check");
    const auto* v = t.data_ptr<double>();
    if (v[0] != -v[2] || v[1] != -v[3])
      throw core::Error("rank " + std::to_string(group_.rank()) +
                        ": the ranks disagree on the recipe or the resume step (every rank "
                        "must run the same recipe, overrides and checkpoint directory)");
    std::vector<torch::Tensor> state;
    for (auto& p : module.parameters()) state.push_back(p.data());
    for (auto& b : module.buffers()) state.push_back(b);
    group_.broadcast(state, 0, "initial weights");
  }

  if (main()) {
    std::error_code ec;
    fs::create_directories(opt_.out_dir, ec);
    if (ec) core::fail_file(opt_.out_dir, "cannot create directory: " + ec.message());
    core::write_file_atomic(opt_.out_dir + "/recipe.resolved.yaml", config::to_yaml(opt_.recipe));
  }
  open_metrics(start);

  // One process has no communication backend ("[none]" said nothing): name it only for
  // several ("2 process(es) [gloo]", a form scripts and tests look for).
  const int world = group_.world_size();
  say("training " + model_->describe() + " on " + place_.device.str() + ": " +
      (world == 1 ? std::string("1 process")
                  : std::to_string(world) + " process(es) [" + group_.backend() + "]") +
      " x accumulate " + std::to_string(train_.accumulate) + ", batch " +
      std::to_string(train_.batch_size) + ", " + std::to_string(steps_per_epoch_) +
      " steps/epoch, " + std::to_string(train_.epochs) + " epochs");

  LrScheduleOptions so;
  so.lr = train_.lr;
  so.warmup_lr = train_.warmup_lr;
  so.min_lr = train_.min_lr;
  so.warmup_steps = static_cast<std::int64_t>(train_.warmup_epochs * double(steps_per_epoch_));
  so.total_steps = std::max<std::int64_t>(1, total_steps_);
  const LrSchedule schedule(so);
  const auto bucket_bytes =
      static_cast<std::int64_t>(opt_.recipe.distributed.bucket_mb * 1024.0 * 1024.0);

  std::optional<core::ProgressBar> bar;
  using Mode = core::ProgressStyle::Mode;
  if (main() && opt_.progress && progress_style_.mode != Mode::off) {
    core::ProgressOptions po;
    po.total = end;
    po.label = "train";
    po.out = stdout;
    if (progress_style_.mode != Mode::automatic) po.tty = progress_style_.mode == Mode::bar;
    po.line_interval_s = progress_style_.interval_s;
    po.stamp = true;
    po.tag = log_tag_;
    bar.emplace(po);
    bar_ = &*bar;
  }
  // bar_ must not outlive `bar`, whichever way run() ends.
  struct Unset {
    core::ProgressBar*& p;
    ~Unset() { p = nullptr; }
  } unset_bar{bar_};

  module.train();
  // img/s everywhere (progress, metrics.jsonl, the result) is this run's images over the
  // time its steps took, epoch-end evaluation and checkpoint writing excluded: so the
  // last progress line and the final summary show the same figure.
  double train_s = 0;
  std::int64_t images_done = 0;
  std::int64_t last_saved = start > 0 ? start : -1;
  std::vector<data::Batch> micro(loaders_.size());
  const std::function<void()> before_update = [&] { model_->before_update(); };
  for (std::int64_t step = start; step < end; ++step) {
    const auto step_start = Clock::now();
    const std::int64_t epoch = step / steps_per_epoch_;
    const std::int64_t in_epoch = step % steps_per_epoch_;
    if (in_epoch == 0 || step == start)
      for (auto& l : loaders_) l->start_epoch(epoch, in_epoch);
    for (std::size_t a = 0; a < loaders_.size(); ++a) {
      auto b = loaders_[a]->next();
      if (!b) throw core::Error("internal: loader ran out of batches at step " + std::to_string(step));
      micro[a] = std::move(*b);
    }
    const double lr = schedule.at(step);
    model_->before_forward(step);
    const Forward fwd = model_->forward_at(step);
    const auto s = train_step(*optimizer_, fwd, micro, lr, train_, place_, group_, bucket_bytes,
                              before_update);
    model_->after_update(step);
    if (!std::isfinite(s.loss))
      throw TrainingDiverged("training diverged at step " + std::to_string(step + 1) + " (loss " +
                        std::to_string(s.loss) + ", lr " + fmt("%.3g", lr) +
                        "); lower train.lr or set train.grad_clip");
    images_done += s.images;
    const double step_s = seconds_since(step_start);
    train_s += step_s;
    const double img_s = double(images_done) / std::max(train_s, 1e-9);

    if (main()) {
      core::Json m = core::Json::object();
      m["type"] = "step";
      m["step"] = step + 1;
      m["epoch"] = double(step + 1) / double(steps_per_epoch_);
      m["loss"] = s.loss;
      m["lr"] = lr;
      m["images_per_s"] = img_s;
      m["step_images_per_s"] = double(s.images) / std::max(step_s, 1e-9);  // this step alone
      model_->describe_step(step, m);
      write_metric(m);
      if (bar)
        bar->update(step + 1, {{"epoch", std::to_string(epoch + 1) + "/" + std::to_string(train_.epochs)},
                               {"loss", fmt("%.4f", s.loss)},
                               {"lr", fmt("%.2e", lr)},
                               {"img/s", fmt("%.0f", img_s)}});
    }

    const bool epoch_end = in_epoch + 1 == steps_per_epoch_;
    if (epoch_end) {
      core::Json e = core::Json::object();
      e["type"] = "epoch";
      e["step"] = step + 1;
      e["epoch"] = epoch + 1;
      epoch_status_ = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(train_.epochs);
      evaluations_done_ = 0;
      const double acc = model_->evaluate_epoch(epoch, e);
      epoch_status_.clear();
      const bool best = acc >= 0 && acc > best_accuracy_;
      if (best) {
        best_accuracy_ = acc;
        best_step_ = step + 1;
      }
      result.val_accuracy = acc;
      e["best_accuracy"] = best_accuracy_;
      write_metric(e);
      if (bar && acc >= 0)
        bar->message("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(train_.epochs) +
                     ": val accuracy " + fmt("%.2f", 100 * acc) + "%" + model_->accuracy_note() +
                     ", best " + fmt("%.2f", 100 * best_accuracy_) + "%");
      result.checkpoint = save(step + 1, acc, best);
      last_saved = step + 1;
    } else if ((train_.checkpoint_every > 0 && (step + 1) % train_.checkpoint_every == 0) ||
               step + 1 == end) {
      result.checkpoint = save(step + 1, -1, false);
      last_saved = step + 1;
    }
    // Ranks wait for rank 0's checkpoint so a failure there stops everyone promptly.
    if (last_saved == step + 1) group_.barrier("checkpoint");
  }
  if (bar) bar->finish();
  if (result.checkpoint.empty() && main()) {
    if (auto l = ckpt_dir_.latest()) result.checkpoint = *l;
  }
  result.steps = std::max(end, start);
  result.images_per_s = double(images_done) / std::max(train_s, 1e-9);
  result.best_accuracy = best_accuracy_;
  return result;
}

}  // namespace tinynas::train::detail
