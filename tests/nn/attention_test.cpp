// Attention math against plain-loop references, the Mhsa module, token layout, kind names.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "nn/nn_test_util.h"
#include "tinynas/nn/attention.h"

using namespace tinynas::nn;
using tinynas::nn::testing::count_params;
using tinynas::nn::testing::expect_finite_grads;

namespace {

// q, k: (B, N, H*d); v: (B, N, H*d). Plain loops in double, channel c of head h at h*d + c.
torch::Tensor naive_attention(const torch::Tensor& q_in, const torch::Tensor& k_in,
                              const torch::Tensor& v_in, int64_t heads, bool softmax) {
  auto q = q_in.to(torch::kDouble).contiguous();
  auto k = k_in.to(torch::kDouble).contiguous();
  auto v = v_in.to(torch::kDouble).contiguous();
  const int64_t batch = q.size(0), n = q.size(1), d = q.size(2) / heads;
  auto out = torch::zeros({batch, n, heads * d}, torch::kDouble);
  auto qa = q.accessor<double, 3>(), ka = k.accessor<double, 3>(), va = v.accessor<double, 3>();
  auto oa = out.accessor<double, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < n; ++i) {
        std::vector<double> weight(static_cast<size_t>(n));
        for (int64_t j = 0; j < n; ++j) {
          double dot = 0.0;
          for (int64_t c = 0; c < d; ++c) {
            const double qc = qa[b][i][h * d + c], kc = ka[b][j][h * d + c];
            dot += softmax ? qc * kc : std::max(qc, 0.0) * std::max(kc, 0.0);
          }
          weight[static_cast<size_t>(j)] = softmax ? dot / std::sqrt(static_cast<double>(d))
                                                   : dot / static_cast<double>(n);
        }
        if (softmax) {
          double top = weight[0], total = 0.0;
          for (double w : weight) top = std::max(top, w);
          for (double& w : weight) total += (w = std::exp(w - top));
          for (double& w : weight) w /= total;
        }
        for (int64_t j = 0; j < n; ++j)
          for (int64_t c = 0; c < d; ++c)
            oa[b][i][h * d + c] += weight[static_cast<size_t>(j)] * va[b][j][h * d + c];
      }
    }
  }
  return out;
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_TRUE(torch::allclose(got.to(torch::kDouble), want, /*rtol=*/1e-5, /*atol=*/1e-6))
      << what << ": max diff " << (got.to(torch::kDouble) - want).abs().max().item<double>();
}

// (batch, tokens, heads, head_dim)
const std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>> kShapes = {
    {2, 5, 2, 3}, {1, 7, 1, 4}, {3, 1, 2, 2}, {2, 16, 4, 8}, {1, 49, 3, 5}};

}  // namespace

TEST(Attention, SoftmaxMatchesPlainLoops) {
  torch::manual_seed(20);
  for (auto [b, n, h, d] : kShapes) {
    auto q = torch::randn({b, n, h * d}), k = torch::randn({b, n, h * d}),
         v = torch::randn({b, n, h * d});
    const std::string what = "B" + std::to_string(b) + " N" + std::to_string(n) + " H" +
                             std::to_string(h) + " d" + std::to_string(d);
    const auto want = naive_attention(q, k, v, h, true);
    expect_close(softmax_attention(q, k, v, h), want, "softmax " + what);
    expect_close(softmax_attention_reference(q, k, v, h), want, "reference " + what);
  }
}

// The fused CPU kernel against the reference: values and the gradients of q, k and v, for
// N != M, v wider than q, non-contiguous inputs, 1 and 2 threads, with and without grad.
// It runs from 128 x 128 scores per head (the reference below, where it is slower).
TEST(Attention, FusedCpuKernelMatchesTheReferenceWithGradients) {
  torch::manual_seed(24);
  const int threads = torch::get_num_threads();
  struct Case {
    int64_t b, n, m, heads, d, dv;
  };
  for (const Case c : {Case{2, 130, 128, 2, 3, 4}, Case{1, 128, 128, 4, 8, 8},
                       Case{2, 256, 64, 1, 24, 24}, Case{1, 16384, 1, 2, 2, 1},
                       Case{2, 49, 49, 2, 8, 8}}) {
    const bool large = c.n * c.m >= 128 * 128;
    for (int t : {1, 2}) {
      torch::set_num_threads(t);
      const std::string what = "N" + std::to_string(c.n) + " M" + std::to_string(c.m) + " H" +
                               std::to_string(c.heads) + " threads " + std::to_string(t);
      // q is a transposed view: the kernel must not assume contiguous inputs
      auto q0 = torch::randn({c.b, c.heads * c.d, c.n}).transpose(1, 2).requires_grad_(false);
      auto k0 = torch::randn({c.b, c.m, c.heads * c.d}), v0 = torch::randn({c.b, c.m, c.heads * c.dv});
      auto g = torch::randn({c.b, c.n, c.heads * c.dv});
      std::vector<torch::Tensor> outs, grads;
      for (bool fused : {true, false}) {
        auto q = q0.detach().requires_grad_(), k = k0.detach().clone().requires_grad_(),
             v = v0.detach().clone().requires_grad_();
        auto y = fused ? softmax_attention(q, k, v, c.heads)
                       : softmax_attention_reference(q, k, v, c.heads);
        // the fused kernel ran (its autograd node), or the reference's operations did
        EXPECT_EQ(y.grad_fn()->name().find("FusedSoftmaxAttention") != std::string::npos,
                  fused && large)
            << y.grad_fn()->name();
        (y * g).sum().backward();
        outs.push_back(y.detach());
        for (const auto& x : {q, k, v}) grads.push_back(x.grad());
      }
      expect_close(outs[0], outs[1].to(torch::kDouble), what + " output");
      for (int i = 0; i < 3; ++i)
        expect_close(grads[std::size_t(i)], grads[std::size_t(3 + i)].to(torch::kDouble),
                     what + " gradient " + std::to_string(i));
      torch::NoGradGuard no_grad;  // the inference path keeps no softmax
      expect_close(softmax_attention(q0, k0, v0, c.heads), outs[1].to(torch::kDouble), what + " no grad");
    }
  }
  torch::set_num_threads(threads);
}

TEST(Attention, ReluLinearMatchesPlainLoops) {
  torch::manual_seed(21);
  for (auto [b, n, h, d] : kShapes) {
    auto q = torch::randn({b, n, h * d}), k = torch::randn({b, n, h * d}),
         v = torch::randn({b, n, h * d});
    expect_close(relu_linear_attention(q, k, v, h), naive_attention(q, k, v, h, false),
                 "relu_linear B" + std::to_string(b) + " N" + std::to_string(n) + " H" +
                     std::to_string(h) + " d" + std::to_string(d));
  }
}

TEST(Attention, ReluLinearIsResolutionNormalised) {
  // Repeating every token leaves each output unchanged thanks to the 1/N.
  torch::manual_seed(22);
  auto q = torch::randn({1, 4, 6}), k = torch::randn({1, 4, 6}), v = torch::randn({1, 4, 6});
  auto once = relu_linear_attention(q, k, v, 2);
  auto twice = relu_linear_attention(q, torch::cat({k, k}, 1), torch::cat({v, v}, 1), 2);
  EXPECT_TRUE(torch::allclose(once, twice, 1e-5, 1e-6));
}

TEST(Attention, RejectsMismatchedShapes) {
  auto t = torch::randn({2, 4, 6});
  EXPECT_THROW(softmax_attention(t, t, t, 4), c10::Error);  // 6 % 4
  EXPECT_THROW(softmax_attention(t, t, t, 0), c10::Error);
  EXPECT_THROW(relu_linear_attention(t, torch::randn({2, 4, 8}), t, 2), c10::Error);
  EXPECT_THROW(relu_linear_attention(t, t, torch::randn({2, 5, 6}), 2), c10::Error);
  EXPECT_THROW(softmax_attention(torch::randn({4, 6}), t, t, 2), c10::Error);
}

TEST(Tokens, RowMajorRoundTrip) {
  auto x = torch::arange(2 * 3 * 2 * 4, torch::kFloat).reshape({2, 3, 2, 4});
  auto tokens = to_tokens(x);
  ASSERT_EQ(tokens.sizes(), torch::IntArrayRef({2, 8, 3}));
  // token n = h*W + w holds the C values at (h, w)
  EXPECT_EQ(tokens[1][6][2].item<float>(), x[1][2][1][2].item<float>());
  EXPECT_TRUE(torch::equal(from_tokens(tokens, 2, 4), x));
  EXPECT_THROW(from_tokens(tokens, 3, 3), c10::Error);
}

TEST(AttentionKindNames, RoundTripAndListValidOnError) {
  for (auto kind : {AttentionKind::softmax, AttentionKind::relu_linear})
    EXPECT_EQ(attention_kind_from_string(to_string(kind)), kind);
  EXPECT_STREQ(to_string(AttentionKind::relu_linear), "relu_linear");
  try {
    attention_kind_from_string("linear");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown attention kind 'linear' (valid: softmax, relu_linear)");
  }
}

TEST(Mhsa, ShapesAndParameterCounts) {
  torch::manual_seed(23);
  // head_dim 16/4 = 4, inner 16. q, k, v: 16*16 + 16 = 272 each -> 816; proj 272 -> 1088
  Mhsa mhsa(MhsaOptions(16, 4));
  EXPECT_EQ(mhsa->head_dim(), 4);
  EXPECT_EQ(mhsa->inner_dim(), 16);
  EXPECT_EQ(count_params(*mhsa), 1088);
  EXPECT_EQ(mhsa(torch::randn({2, 49, 16})).sizes(), torch::IntArrayRef({2, 49, 16}));

  // inner 2*4 = 8. q, k, v: 16*8 + 8 = 136 each -> 408; proj 8*16 + 16 = 144 -> 552
  Mhsa narrow(MhsaOptions(16, 2).head_dim(4).kind(AttentionKind::relu_linear));
  EXPECT_EQ(narrow->inner_dim(), 8);
  EXPECT_EQ(count_params(*narrow), 552);
  EXPECT_EQ(narrow(torch::randn({2, 7, 16})).sizes(), torch::IntArrayRef({2, 7, 16}));

  // head_dim set explicitly need not divide dim: inner 3*4 = 12;
  // q, k, v 10*12 + 12 = 132 each -> 396; proj 12*10 + 10 = 130 -> 526
  EXPECT_EQ(count_params(*Mhsa(MhsaOptions(10, 3).head_dim(4))), 526);
  EXPECT_EQ(mhsa_head_dim(MhsaOptions(10, 3).head_dim(4)), 4);
  EXPECT_EQ(mhsa_head_dim(MhsaOptions(12, 3)), 4);
}

TEST(Mhsa, IsProjectedAttention) {
  torch::manual_seed(24);
  for (auto kind : {AttentionKind::softmax, AttentionKind::relu_linear}) {
    Mhsa mhsa(MhsaOptions(8, 2).kind(kind));
    auto x = torch::randn({2, 5, 8});
    auto attention = kind == AttentionKind::softmax ? softmax_attention : relu_linear_attention;
    auto want = mhsa->proj(attention(mhsa->q(x), mhsa->k(x), mhsa->v(x), 2));
    EXPECT_TRUE(torch::allclose(mhsa(x), want)) << to_string(kind);
  }
}

TEST(Mhsa, Backward) {
  torch::manual_seed(25);
  for (auto kind : {AttentionKind::softmax, AttentionKind::relu_linear}) {
    Mhsa mhsa(MhsaOptions(8, 2).kind(kind));
    expect_finite_grads(*mhsa, mhsa(torch::randn({2, 9, 8})));
  }
}

TEST(Mhsa, RejectsBadOptions) {
  EXPECT_THROW(Mhsa(MhsaOptions(10, 4)), c10::Error);  // 10 % 4 with head_dim 0
  EXPECT_THROW(Mhsa(MhsaOptions(0, 1)), c10::Error);
  EXPECT_THROW(Mhsa(MhsaOptions(8, 0)), c10::Error);
  EXPECT_THROW(Mhsa(MhsaOptions(8, 2).head_dim(-1)), c10::Error);
}
