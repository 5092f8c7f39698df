#include "tinynas/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tinynas/core/error.h"

namespace tinynas::train {

LrSchedule::LrSchedule(const LrScheduleOptions& options) : options_(options) {
  if (options.lr < 0 || options.warmup_lr < 0 || options.min_lr < 0)
    throw core::Error("learning rates must not be negative");
  if (options.warmup_steps < 0 || options.total_steps < 1)
    throw core::Error("LR schedule: warm-up steps must be >= 0 and total steps >= 1, got " +
                      std::to_string(options.warmup_steps) + " and " +
                      std::to_string(options.total_steps));
}

double LrSchedule::at(std::int64_t step) const {
  const auto& o = options_;
  if (step < o.warmup_steps)
    return o.warmup_lr + (o.lr - o.warmup_lr) * double(step) / double(o.warmup_steps);
  const std::int64_t decay = o.total_steps - o.warmup_steps;
  if (decay <= 0) return o.lr;
  const double t = std::min(1.0, double(step - o.warmup_steps) / double(decay));
  return o.min_lr + (o.lr - o.min_lr) * 0.5 * (1.0 + std::cos(M_PI * t));
}

}  // namespace tinynas::train
