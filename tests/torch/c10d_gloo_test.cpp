// The distributed engine the trainer builds on: LibTorch's c10d with Gloo must be usable
// from this build (headers, libraries, version shim).
#include <gtest/gtest.h>

#include <thread>

#include <torch/csrc/distributed/c10d/HashStore.hpp>

#include "tinynas/core/c10d_compat.h"

using namespace tinynas;

TEST(TorchCompat, VersionAgreesWithLibTorchHeaders) {
  EXPECT_EQ(compat::torch_version(), std::string(TORCH_VERSION));
  EXPECT_TRUE(TINYNAS_TORCH_AT_LEAST(1, 13));
  EXPECT_FALSE(TINYNAS_TORCH_AT_LEAST(TORCH_VERSION_MAJOR + 1, 0));
  EXPECT_FALSE(TINYNAS_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR + 1));
}

TEST(TorchCompat, GlooAllReduceAcrossTwoRanks) {
#if !TINYNAS_HAS_GLOO
  // Only CUDA builds may lack Gloo (CMake refuses a CPU build without it).
  ASSERT_TRUE(compat::cuda_available()) << "CPU LibTorch build without c10d Gloo support";
  GTEST_SKIP() << "this LibTorch has no Gloo headers; NCCL only";
#else
  auto store = c10::make_intrusive<c10d::HashStore>();
  std::vector<at::Tensor> results(2);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      auto pg = compat::make_gloo_backend(store, r, 2, std::chrono::seconds(30), true);
      std::vector<at::Tensor> t = {at::full({4}, static_cast<float>(r + 1))};
      pg->allreduce(t)->wait();
      results[static_cast<std::size_t>(r)] = t[0];
    });
  }
  for (auto& t : ranks) t.join();
  for (auto& t : results) EXPECT_TRUE(at::allclose(t, at::full({4}, 3.0f)));
#endif
}
