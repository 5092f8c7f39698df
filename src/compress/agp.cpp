#include "tinynas/compress/agp.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tinynas/core/error.h"

namespace tinynas::compress {

AgpSchedule::AgpSchedule(AgpOptions o) : o_(o) {
  if (o_.updates < 1) throw core::Error("AGP: updates must be at least 1, got " + std::to_string(o_.updates));
  if (o_.frequency < 1)
    throw core::Error("AGP: frequency must be at least 1 step, got " + std::to_string(o_.frequency));
  if (o_.start_step < 0) throw core::Error("AGP: negative start step " + std::to_string(o_.start_step));
  if (!(o_.initial_fraction >= 0 && o_.initial_fraction <= 1))
    throw core::Error("AGP: initial fraction " + std::to_string(o_.initial_fraction) +
                      " is outside [0, 1]");
}

AgpSchedule AgpSchedule::for_run(std::int64_t total_steps, double start, double end,
                                 std::int64_t frequency, double initial_fraction) {
  if (!(start >= 0 && start <= 1 && end >= 0 && end <= 1))
    throw core::Error("sparsenas.agp_start / agp_end must be fractions in [0, 1]");
  if (end < start)
    throw core::Error("sparsenas.agp_end (" + std::to_string(end) + ") is before sparsenas.agp_start (" +
                      std::to_string(start) + ")");
  AgpOptions o;
  o.frequency = std::max<std::int64_t>(1, frequency);
  o.start_step = static_cast<std::int64_t>(std::floor(start * double(total_steps)));
  const auto last = static_cast<std::int64_t>(std::floor(end * double(total_steps)));
  o.updates = std::max<std::int64_t>(1, (last - o.start_step) / o.frequency);
  o.initial_fraction = initial_fraction;
  return AgpSchedule(o);
}

double AgpSchedule::fraction(std::int64_t step) const {
  if (step < o_.start_step) return 0.0;
  const std::int64_t k = std::min(o_.updates, (step - o_.start_step) / o_.frequency);
  const double remaining = 1.0 - double(k) / double(o_.updates);
  return 1.0 + (o_.initial_fraction - 1.0) * remaining * remaining * remaining;
}

bool AgpSchedule::updates_at(std::int64_t step) const {
  return step >= o_.start_step && step <= end_step() && (step - o_.start_step) % o_.frequency == 0;
}

AgpPruner::AgpPruner(MaskSet& masks, AgpSchedule schedule)
    : masks_(masks), schedule_(std::move(schedule)) {}

bool AgpPruner::before_forward(std::int64_t step) {
  const bool first = !started_;
  started_ = true;
  const bool recompute =
      schedule_.updates_at(step) || (first && step > schedule_.options().start_step);
  if (recompute) masks_.compute_magnitude(schedule_.fraction(step));
  masks_.apply();
  return recompute;
}

}  // namespace tinynas::compress
