#include "tinynas/nas/pruned_training.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::nas {

AgpSettings AgpSettings::from(const config::SparseNasConfig& sparsenas) {
  AgpSettings s;
  s.start = sparsenas.agp_start;
  s.end = sparsenas.agp_end;
  s.frequency = sparsenas.agp_frequency;
  return s;
}

compress::AgpSchedule agp_schedule(std::int64_t total_steps, const AgpSettings& s) {
  const auto t0 = static_cast<std::int64_t>(std::floor(s.start * double(total_steps)));
  const auto last = static_cast<std::int64_t>(std::floor(s.end * double(total_steps)));
  const std::int64_t frequency = std::min<std::int64_t>(std::max<std::int64_t>(1, s.frequency),
                                                        std::max<std::int64_t>(1, last - t0));
  return compress::AgpSchedule::for_run(total_steps, s.start, s.end, frequency);
}

PruningSummary summarize(const compress::MaskSet& masks) {
  PruningSummary s;
  for (const auto& r : masks.report()) {
    s.weights += r.weights;
    s.zero_weights += r.zero_weights;
    s.blocks += r.blocks;
    s.zero_blocks += r.zero_blocks;
  }
  for (const auto& l : masks.layers()) s.target_blocks += l.target_pruned_blocks();
  return s;
}

AgpHooks::AgpHooks(std::vector<compress::PrunableLayer> layers, std::string sparse_text,
                   AgpSettings settings)
    : masks_(std::move(layers)), sparse_text_(std::move(sparse_text)), settings_(settings) {}

std::string AgpHooks::identity() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, " agp %g-%g/%lld", settings_.start, settings_.end,
                static_cast<long long>(settings_.frequency));
  return "sparse " + sparse_text_ + buf;
}

const compress::AgpSchedule& AgpHooks::schedule() const {
  if (!pruner_) throw core::Error("AgpHooks: no run started");
  return pruner_->schedule();
}

void AgpHooks::start(std::int64_t total_steps) {
  total_steps_ = total_steps;
  pruner_.emplace(masks_, agp_schedule(total_steps, settings_));
  fraction_ = 0;
}

void AgpHooks::before_forward(std::int64_t step) {
  pruner_->before_forward(step);
  fraction_ = pruner_->schedule().fraction(step);
}

void AgpHooks::before_update() { pruner_->before_step(); }

void AgpHooks::after_update(std::int64_t step) {
  pruner_->after_step();
  if (step + 1 == total_steps_) finish();
}

void AgpHooks::describe_step(std::int64_t step, core::Json& record) {
  record["sparsity_fraction"] = pruner_ ? pruner_->schedule().fraction(step) : fraction_;
}

void AgpHooks::finish() {
  if (fraction_ < 1.0) {
    masks_.compute_magnitude(1.0);
    fraction_ = 1.0;
  }
  masks_.apply();
}

void AgpHooks::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive m;
  masks_.save(m);
  archive.write("masks", m);
  archive.write("fraction", c10::IValue(fraction_));
}

void AgpHooks::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive m;
  if (!archive.try_read("masks", m)) throw core::Error("no AGP masks saved");
  masks_.load(m);
  c10::IValue f;
  if (!archive.try_read("fraction", f) || !f.isDouble())
    throw core::Error("no AGP mask fraction saved");
  fraction_ = f.toDouble();
  if (pruner_) pruner_->resume_with_loaded_masks();
  masks_.apply();
}

}  // namespace tinynas::nas
