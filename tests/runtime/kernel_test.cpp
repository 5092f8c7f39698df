// Reference kernels against double-precision math, over randomized shapes, with fluent
// tester classes (XNNPACK style): ConvTester().input(8, 8, 16).stride(2).test().
// Reference kernels must be within 1 LSB of float math; faster kernels added later are
// compared with these bit for bit.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/quant_ref.h"
#include "tnn_nn.h"

namespace tt = tinynas::testing;

namespace {

class ConvTester {
 public:
  ConvTester& input(int h, int w, int c) { h_ = h, w_ = w, c_ = c; return *this; }
  ConvTester& output_channels(int o) { o_ = o; return *this; }
  ConvTester& kernel(int kh, int kw) { kh_ = kh, kw_ = kw; return *this; }
  ConvTester& stride(int s) { s_ = s; return *this; }
  ConvTester& padding(int p) { p_ = p; return *this; }
  ConvTester& groups(int g) { g_ = g; return *this; }
  ConvTester& relu(bool r) { relu_ = r; return *this; }
  ConvTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const int oh = (h_ + 2 * p_ - kh_) / s_ + 1, ow = (w_ + 2 * p_ - kw_) / s_ + 1;
    const int icg = c_ / g_, ocg = o_ / g_;
    const auto x = tt::random_int8(std::size_t(h_ * w_ * c_), gen);
    const auto wt = tt::random_int8(std::size_t(o_ * kh_ * kw_ * icg), gen);
    std::uniform_int_distribution<int> zp(-20, 20), b(-3000, 3000);
    const int zin = zp(gen), zout = zp(gen);
    std::vector<std::int32_t> bias(static_cast<std::size_t>(o_));
    for (auto& v : bias) v = b(gen);
    const tt::ChannelQuant q(o_, gen);
    tnn_conv_params params{-zin, zout, {s_, s_}, {p_, p_}, g_, {relu_ ? zout : -128, 127}};
    const tnn_dims in_d{1, h_, w_, c_}, f_d{o_, kh_, kw_, icg}, out_d{1, oh, ow, o_};
    std::vector<std::int8_t> out(std::size_t(oh * ow * o_));
    const auto quant = q.view();
    const tnn_context ctx{nullptr, 0};
    ASSERT_EQ(tnn_conv_s8_ref(&ctx, &params, &quant, &in_d, x.data(), &f_d, wt.data(), bias.data(),
                          &out_d, out.data()),
              TNN_OK);
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int oc = 0; oc < o_; ++oc) {
          double acc = bias[std::size_t(oc)];
          const int g = oc / ocg;
          for (int ky = 0; ky < kh_; ++ky)
            for (int kx = 0; kx < kw_; ++kx) {
              const int iy = oy * s_ - p_ + ky, ix = ox * s_ - p_ + kx;
              if (iy < 0 || iy >= h_ || ix < 0 || ix >= w_) continue;
              for (int ic = 0; ic < icg; ++ic)
                acc += double(x[std::size_t((iy * w_ + ix) * c_ + g * icg + ic)] - zin) *
                       wt[std::size_t(((oc * kh_ + ky) * kw_ + kx) * icg + ic)];
            }
          const auto want = tt::clamp8(tt::round_away(acc * q.real[std::size_t(oc)]) + zout,
                                       relu_ ? zout : -128);
          const int got = out[std::size_t((oy * ow + ox) * o_ + oc)];
          ASSERT_LE(std::abs(got - want), 1) << describe() << " at " << oy << "," << ox << "," << oc;
        }
  }

  std::string describe() const {
    return "conv " + std::to_string(h_) + "x" + std::to_string(w_) + "x" + std::to_string(c_) +
           " -> " + std::to_string(o_) + " k" + std::to_string(kh_) + "x" + std::to_string(kw_) +
           " s" + std::to_string(s_) + " p" + std::to_string(p_) + " g" + std::to_string(g_);
  }

 private:
  int h_ = 8, w_ = 8, c_ = 4, o_ = 4, kh_ = 3, kw_ = 3, s_ = 1, p_ = 0, g_ = 1;
  bool relu_ = false;
  unsigned seed_ = 1;
};

}  // namespace

TEST(ConvS8, CommonShapes) {
  ConvTester().input(8, 8, 3).output_channels(16).kernel(3, 3).stride(2).padding(1).test();
  ConvTester().input(7, 7, 16).output_channels(16).kernel(3, 3).padding(1).groups(16).test();  // dw
  ConvTester().input(5, 6, 24).output_channels(40).kernel(1, 1).relu(true).test();  // pointwise
  ConvTester().input(9, 9, 8).output_channels(12).kernel(3, 3).groups(4).stride(2).test();
  ConvTester().input(4, 4, 2).output_channels(3).kernel(4, 4).test();  // window = whole map
}

TEST(ConvS8, RandomizedShapesWithinOneLsbOfDoubleMath) {
  std::mt19937 gen(42);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  for (int t = 0; t < 150; ++t) {
    const int g = std::vector<int>{1, 1, 2, 4}[std::size_t(pick(0, 3))];
    const bool dw = pick(0, 3) == 0;
    const int c = dw ? pick(1, 12) : g * pick(1, 6);
    const int o = dw ? c : g * pick(1, 6);
    const int k = pick(1, 5), s = pick(1, 3), p = pick(0, k / 2);
    const int h = pick(std::max(1, k - 2 * p), 10), w = pick(std::max(1, k - 2 * p), 10);
    ConvTester().input(h, w, c).output_channels(o).kernel(k, k).stride(s).padding(p)
        .groups(dw ? c : g).relu(pick(0, 1) == 1).seed(unsigned(t)).test();
  }
}

TEST(ConvS8, BadArgumentsReturnErrorsInsteadOfTouchingMemory) {
  std::int8_t buf[64] = {};
  std::int32_t m = 1 << 30, sh = 0;
  const tnn_per_channel_quant q{&m, &sh};
  tnn_conv_params p{0, 0, {1, 1}, {0, 0}, 1, {-128, 127}};
  const tnn_dims in_d{1, 4, 4, 1}, f_d{1, 3, 3, 1}, good{1, 2, 2, 1}, bad{1, 3, 3, 1};
  EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &q, &in_d, buf, &f_d, buf, nullptr, &good, buf), TNN_OK);
  EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &q, &in_d, buf, &f_d, buf, nullptr, &bad, buf), TNN_ERR_SHAPE);
  EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &q, &in_d, nullptr, &f_d, buf, nullptr, &good, buf), TNN_ERR_ARG);
  p.groups = 0;
  EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &q, &in_d, buf, &f_d, buf, nullptr, &good, buf), TNN_ERR_ARG);
  p.groups = 1;
  p.activation = {10, -10};
  EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &q, &in_d, buf, &f_d, buf, nullptr, &good, buf), TNN_ERR_ARG);
}

TEST(LinearS8, PerTokenWithinOneLsbOfDoubleMath) {
  std::mt19937 gen(3);
  for (int t = 0; t < 40; ++t) {
    const int tokens = 1 + t % 7, in = 1 + (t * 5) % 33, out = 1 + (t * 3) % 17;
    const auto x = tt::random_int8(std::size_t(tokens * in), gen);
    const auto w = tt::random_int8(std::size_t(out * in), gen);
    std::vector<std::int32_t> bias(static_cast<std::size_t>(out));
    for (auto& b : bias) b = std::uniform_int_distribution<int>(-2000, 2000)(gen);
    const tt::ChannelQuant q(out, gen);
    const int zin = t % 11 - 5, zout = t % 7 - 3;
    const tnn_linear_params p{-zin, zout, {-128, 127}};
    const tnn_dims in_d{1, tokens, 1, in}, f_d{out, 1, 1, in}, out_d{1, tokens, 1, out};
    std::vector<std::int8_t> y(std::size_t(tokens * out));
    const auto quant = q.view();
    ASSERT_EQ(tnn_linear_s8_ref(nullptr, &p, &quant, &in_d, x.data(), &f_d, w.data(), bias.data(),
                            &out_d, y.data()),
              TNN_OK);
    for (int k = 0; k < tokens; ++k)
      for (int o = 0; o < out; ++o) {
        double acc = bias[std::size_t(o)];
        for (int i = 0; i < in; ++i)
          acc += double(x[std::size_t(k * in + i)] - zin) * w[std::size_t(o * in + i)];
        const auto want = tt::clamp8(tt::round_away(acc * q.real[std::size_t(o)]) + zout);
        ASSERT_LE(std::abs(y[std::size_t(k * out + o)] - want), 1);
      }
  }
}

TEST(AddS8, ResidualOfTwoScalesWithinOneLsb) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> scale(0.01, 0.2);
  for (int t = 0; t < 50; ++t) {
    const double s1 = scale(gen), s2 = scale(gen), so = scale(gen);
    const int z1 = t % 9 - 4, z2 = t % 5 - 2, zo = t % 13 - 6;
    const int left_shift = 20;
    // TFLite's derivation: both inputs to twice the larger scale, then to the output.
    const double twice_max = 2 * std::max(s1, s2);
    const auto m1 = tt::quantize_multiplier(s1 / twice_max), m2 = tt::quantize_multiplier(s2 / twice_max);
    const auto mo = tt::quantize_multiplier(twice_max / (double(1 << left_shift) * so));
    const tnn_add_params p{-z1, -z2, {m1.multiplier, m1.shift}, {m2.multiplier, m2.shift},
                           left_shift, {mo.multiplier, mo.shift}, zo, {-128, 127}};
    const auto a = tt::random_int8(64, gen), b = tt::random_int8(64, gen);
    std::vector<std::int8_t> y(64);
    ASSERT_EQ(tnn_add_s8_ref(&p, a.data(), b.data(), 64, y.data()), TNN_OK);
    for (std::size_t i = 0; i < 64; ++i) {
      const double real = s1 * (a[i] - z1) + s2 * (b[i] - z2);
      ASSERT_LE(std::abs(y[i] - tt::clamp8(tt::round_away(real / so) + zo)), 1) << t << "/" << i;
    }
  }
}

TEST(PoolS8, MaxAvgMixedAreExactAndAverageCountsOnlyInBoundsPixels) {
  std::mt19937 gen(9);
  for (int t = 0; t < 60; ++t) {
    const int k = 1 + t % 3, s = 1 + t % 2, p = (t / 3) % 2 && k > 1 ? 1 : 0;
    const int h = k + t % 5, w = k + (t / 2) % 5, c = 1 + t % 4;
    const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    const auto x = tt::random_int8(std::size_t(h * w * c), gen);
    for (auto kind : {TNN_POOL_MAX, TNN_POOL_AVG, TNN_POOL_MIXED}) {
      const tnn_pool_params prm{kind, {k, k}, {s, s}, {p, p}, {-128, 127}};
      const tnn_dims in_d{1, h, w, c}, out_d{1, oh, ow, c};
      std::vector<std::int8_t> y(std::size_t(oh * ow * c));
      ASSERT_EQ(tnn_pool_s8(&prm, &in_d, x.data(), &out_d, y.data()), TNN_OK);
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int ch = 0; ch < c; ++ch) {
            double mx = -1e9, sum = 0;
            int n = 0;
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * s - p + ky, ix = ox * s - p + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const double v = x[std::size_t((iy * w + ix) * c + ch)];
                mx = std::max(mx, v);
                sum += v;
                ++n;
              }
            const double avg = sum / n;
            const double want = kind == TNN_POOL_MAX ? mx : kind == TNN_POOL_AVG ? avg : (mx + avg) / 2;
            ASSERT_EQ(y[std::size_t((oy * ow + ox) * c + ch)], tt::round_away(want));
          }
    }
  }
}

TEST(GlobalAvgPoolS8, RoundedMeanPerChannel) {
  const std::int8_t x[] = {1, -1, 2, -2, 4, -4};  // 3 pixels x 2 channels
  std::int8_t y[2];
  const tnn_dims d{1, 1, 3, 2};
  ASSERT_EQ(tnn_global_avg_pool_s8(&d, x, y), TNN_OK);
  EXPECT_EQ(y[0], 2);   // 7/3 = 2.33
  EXPECT_EQ(y[1], -2);  // -7/3
  EXPECT_EQ(tnn_global_avg_pool_s8(&d, nullptr, y), TNN_ERR_ARG);
}
