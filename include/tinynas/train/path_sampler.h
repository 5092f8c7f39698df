// SPOS path sampling. The path of step t is a pure function of (seed, t): every rank
// draws the same path without talking to the others, and a resumed run draws the same
// paths it would have drawn had it never stopped.
#pragma once

#include <cstdint>
#include <string>

#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::train {

enum class Sampling {
  Uniform,  // each choice block's candidate drawn independently and uniformly
  Fair,     // strict fairness (FairNAS): block b with n_b candidates visits each of them
            // exactly once in every window of n_b consecutive steps (t / n_b-th window),
            // in a seeded random order per window
};

Sampling parse_sampling(const std::string& name);  // "uniform" | "fair"

class PathSampler {
 public:
  PathSampler(const space::SupernetLayout& layout, Sampling sampling, std::uint64_t seed);
  /// The path trained at optimizer step `step`.
  space::Arch at(std::int64_t step) const;

 private:
  const space::SupernetLayout& layout_;
  Sampling sampling_;
  std::uint64_t seed_;
};

}  // namespace tinynas::train
