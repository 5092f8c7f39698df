// Explicit, portable random streams. std::shuffle and std::uniform_int_distribution
// differ between standard libraries, so everything that must be reproducible (splits,
// sampling orders, augmentation, path sampling) goes through these instead.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tinynas::core {

/// Stateless 64-bit mixer (SplitMix64 finaliser). Used to derive independent stream seeds.
std::uint64_t mix64(std::uint64_t x);

/// Derives a seed from a base seed and a list of counters (e.g. seed, epoch, sample
/// index). Different counter tuples give statistically independent streams, so work can
/// be split across threads or ranks without changing any value drawn.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                          std::uint64_t c = 0);

/// xoshiro256** generator. Small, fast, identical output on every platform.
/// The state is plain data so checkpoints can save and restore it exactly.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

  void reseed(std::uint64_t seed);
  std::uint64_t next_u64();
  /// Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  std::uint64_t uniform_int(std::uint64_t n);
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform01();
  /// True with probability p.
  bool bernoulli(double p) { return uniform01() < p; }

  /// Fisher-Yates shuffle of any random-access sequence.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::size_t j = static_cast<std::size_t>(uniform_int(i));
      std::swap(v[i - 1], v[j]);
    }
  }

  struct State {
    std::uint64_t s[4];
  };
  State state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

 private:
  State state_{};
};

}  // namespace tinynas::core
