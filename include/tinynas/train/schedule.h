// Learning-rate schedule: linear warm-up, then cosine decay (TinyFormer's recipe: 1e-5 to
// 5.5e-4 over 10 epochs, cosine after). A pure function of the step, so a resumed run
// needs nothing but the step to continue the schedule exactly.
#pragma once

#include <cstdint>

namespace tinynas::train {

struct LrScheduleOptions {
  double lr = 5.5e-4;            // peak, reached at the end of the warm-up
  double warmup_lr = 1e-5;       // at step 0
  std::int64_t warmup_steps = 0;
  double min_lr = 1e-6;          // at the final step
  std::int64_t total_steps = 1;  // warm-up included
};

class LrSchedule {
 public:
  /// Throws core::Error for negative steps or lrs.
  explicit LrSchedule(const LrScheduleOptions& options);
  /// The learning rate used by optimizer step `step` (0-based):
  ///   step < W:  warmup_lr + (lr - warmup_lr) * step / W
  ///   step >= W: min_lr + (lr - min_lr) * (1 + cos(pi * (step - W) / (T - W))) / 2
  /// Steps past the end stay at min_lr. A warm-up as long as the run never decays.
  double at(std::int64_t step) const;
  const LrScheduleOptions& options() const { return options_; }

 private:
  LrScheduleOptions options_;
};

}  // namespace tinynas::train
