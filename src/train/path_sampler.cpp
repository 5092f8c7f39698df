#include "tinynas/train/path_sampler.h"

#include <numeric>
#include <vector>

#include "tinynas/core/error.h"

namespace tinynas::train {
namespace {
// Stream ids keep the sampler's draws independent of every other use of the run seed.
constexpr std::uint64_t kUniformStream = 0x5905'0001;
constexpr std::uint64_t kFairStream = 0x5905'0002;
}  // namespace

Sampling parse_sampling(const std::string& name) {
  if (name == "uniform") return Sampling::Uniform;
  if (name == "fair") return Sampling::Fair;
  throw core::Error("train.sampling: unknown sampling '" + name + "' (uniform or fair)");
}

PathSampler::PathSampler(const space::SupernetLayout& layout, Sampling sampling,
                         std::uint64_t seed)
    : layout_(layout), sampling_(sampling), seed_(seed) {}

space::Arch PathSampler::at(std::int64_t step) const {
  if (sampling_ == Sampling::Uniform) {
    core::Rng rng(core::derive_seed(seed_, kUniformStream, std::uint64_t(step)));
    return space::sample_arch(layout_, rng);
  }
  space::Arch arch;
  arch.space_id = layout_.space_id;
  for (const auto& stage : layout_.stages) {
    std::vector<int> picks;
    for (const auto& block : stage) {
      const auto n = static_cast<std::int64_t>(block.candidates.size());
      const std::int64_t window = step / n;
      std::vector<int> order(static_cast<std::size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      core::Rng rng(core::derive_seed(seed_, kFairStream, std::uint64_t(window),
                                      std::uint64_t(block.flat)));
      rng.shuffle(order);
      picks.push_back(order[static_cast<std::size_t>(step % n)]);
    }
    arch.choices.push_back(std::move(picks));
  }
  return arch;
}

}  // namespace tinynas::train
