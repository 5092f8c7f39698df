// The transformer kernels (tnn_transformer.h) against double-precision math on the
// dequantized inputs, with fluent testers (XNNPACK style):
//   AttentionTester().heads(2).head_dim(8).tokens(16, 16).test_softmax();
// Output scales come from the float result's range; each tester returns its max error in
// output LSB, and every kernel must stay within 2 LSB (LayerNorm: for tokens whose
// C * input std >= 64 LSB; see tnn_transformer.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "runtime/quant_ref.h"
#include "tnn_transformer.h"

namespace tt = tinynas::testing;

namespace {

// Affine output quantization covering [lo, hi] (and 0).
struct OutputQuant {
  double scale = 1;
  int zero_point = 0;
  OutputQuant(double lo, double hi) {
    lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
    scale = std::max((hi - lo) / 255.0, 1e-9);
    zero_point = tt::clamp8(tt::round_away(-128 - lo / scale));
  }
  std::int32_t quantize(double y) const { return tt::clamp8(tt::round_away(y / scale) + zero_point); }
};

tnn_quant to_quant(double real) {
  const auto m = tt::quantize_multiplier(real);
  return {m.multiplier, m.shift};
}

std::int8_t random_in(std::mt19937& gen, int lo, int hi) {
  return static_cast<std::int8_t>(std::uniform_int_distribution<int>(std::max(lo, -128), std::min(hi, 127))(gen));
}

// Scratch that is 4-byte aligned, with a given size in bytes.
struct Scratch {
  std::vector<std::int32_t> words;
  tnn_context ctx{nullptr, 0};
  explicit Scratch(std::int32_t bytes) : words(std::size_t(bytes / 4 + 1)) { ctx = {words.data(), bytes}; }
};

// Reports a kernel's measured max error (in the test log and the XML report).
void report_max_error(const char* kernel, int lsb, const char* key = "max_error_lsb") {
  ::testing::Test::RecordProperty(key, lsb);
  std::printf("[ measured ] %s: max |error| = %d LSB\n", kernel, lsb);
}

class LayerNormTester {
 public:
  LayerNormTester& channels(int c) { c_ = c; return *this; }
  LayerNormTester& tokens(int t) { t_ = t; return *this; }
  LayerNormTester& input_scale(double s) { s_in_ = s; return *this; }
  LayerNormTester& seed(unsigned s) { seed_ = s; return *this; }

  // Max error over the tokens of input std >= 4 LSB (the others must only run): at most
  // 2 output LSB. Returns the max errors over all those tokens and over the ones with
  // std_d = C * input std >= 64 LSB (where the root's precision matters least).
  std::pair<int, int> test() const {
    std::mt19937 gen(seed_);
    std::uniform_real_distribution<double> g_dist(-2.0, 2.0), b_dist(-1.0, 1.0);
    const int z_in = random_in(gen, -20, 20);
    std::vector<double> gamma(static_cast<std::size_t>(c_)), beta(static_cast<std::size_t>(c_));
    // |gamma| >= 0.05: with s_w = |gamma| / 127, bias = beta * 128 / s_w must fit int32.
    for (auto& g : gamma) g = std::copysign(0.05 + std::abs(g_dist(gen)) * 0.975, g_dist(gen));
    for (auto& b : beta) b = b_dist(gen);
    // Tokens of every spread, from constant (amplitude 0) to the full int8 range.
    std::vector<std::int8_t> x(std::size_t(t_ * c_));
    for (int t = 0; t < t_; ++t) {
      const int amp = std::vector<int>{0, 2, 7, 12, 30, 60, 127}[std::size_t(t % 7)];
      const int center = random_in(gen, -60, 60);
      for (int c = 0; c < c_; ++c) x[std::size_t(t * c_ + c)] = random_in(gen, center - amp, center + amp);
    }
    // Double-precision LayerNorm on the dequantized input.
    std::vector<double> y(x.size()), in_std(static_cast<std::size_t>(t_));
    double lo = 0, hi = 0;
    for (int t = 0; t < t_; ++t) {
      double mean = 0, var = 0, mean_q = 0, var_q = 0;
      for (int c = 0; c < c_; ++c) {
        const double q = x[std::size_t(t * c_ + c)];
        mean += s_in_ * (q - z_in), mean_q += q;
      }
      mean /= c_, mean_q /= c_;
      for (int c = 0; c < c_; ++c) {
        const double q = x[std::size_t(t * c_ + c)];
        var += std::pow(s_in_ * (q - z_in) - mean, 2), var_q += std::pow(q - mean_q, 2);
      }
      var /= c_, var_q /= c_;
      in_std[static_cast<std::size_t>(t)] = std::sqrt(var_q);
      for (int c = 0; c < c_; ++c) {
        const auto i = std::size_t(t * c_ + c);
        const double n = var > 0 ? (s_in_ * (x[i] - z_in) - mean) / std::sqrt(var) : 0.0;
        y[i] = gamma[static_cast<std::size_t>(c)] * n + beta[static_cast<std::size_t>(c)];
        lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
      }
    }
    const OutputQuant out_q(lo, hi);
    // The quantizer's rule.
    std::vector<std::int8_t> w(static_cast<std::size_t>(c_));
    std::vector<std::int32_t> bias(static_cast<std::size_t>(c_)), mult(static_cast<std::size_t>(c_)), shift(static_cast<std::size_t>(c_));
    for (std::size_t c = 0; c < static_cast<std::size_t>(c_); ++c) {
      const double s_w = gamma[c] != 0 ? std::abs(gamma[c]) / 127 : 1.0;
      w[c] = static_cast<std::int8_t>(tt::round_away(gamma[c] / s_w));
      bias[c] = static_cast<std::int32_t>(tt::round_away(beta[c] * 128 / s_w));
      const auto m = tt::quantize_multiplier(s_w / (128 * out_q.scale));
      mult[c] = m.multiplier, shift[c] = m.shift;
    }
    const tnn_layer_norm_params p{out_q.zero_point, {-128, 127}};
    const tnn_per_channel_quant quant{mult.data(), shift.data()};
    const tnn_dims dims{1, t_, 1, c_};
    std::vector<std::int8_t> out(x.size());
    EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &dims, x.data(), w.data(), bias.data(), out.data()), TNN_OK);
    auto in_place = x;  // output == input gives the same result
    EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &dims, in_place.data(), w.data(), bias.data(), in_place.data()), TNN_OK);
    EXPECT_EQ(in_place, out);
    int max_err = 0, max_err_64 = 0;
    for (int t = 0; t < t_; ++t) {
      if (in_std[static_cast<std::size_t>(t)] < 4) continue;
      for (int c = 0; c < c_; ++c) {
        const auto i = std::size_t(t * c_ + c);
        const int err = std::abs(out[i] - out_q.quantize(y[i]));
        const double std_d = c_ * in_std[static_cast<std::size_t>(t)];
        max_err = std::max(max_err, err);
        if (std_d >= 64) max_err_64 = std::max(max_err_64, err);
        EXPECT_LE(err, 2) << describe() << " token " << t << " (std " << in_std[static_cast<std::size_t>(t)]
                          << " LSB) channel " << c;
      }
    }
    return {max_err, max_err_64};
  }

  std::string describe() const {
    return "layer_norm C=" + std::to_string(c_) + " tokens=" + std::to_string(t_) +
           " s_in=" + std::to_string(s_in_) + " seed=" + std::to_string(seed_);
  }

 private:
  int c_ = 8, t_ = 14;
  double s_in_ = 0.1;
  unsigned seed_ = 1;
};

class AttentionTester {
 public:
  AttentionTester& heads(int h) { heads_ = h; return *this; }
  AttentionTester& head_dim(int d) { dh_ = d; if (dv_ == 0) dv_ = d; return *this; }
  AttentionTester& value_dim(int d) { dv_ = d; return *this; }
  AttentionTester& tokens(int n, int m) { n_ = n, m_ = m; return *this; }
  AttentionTester& seed(unsigned s) { seed_ = s; return *this; }

  int test_softmax() const { return run(false); }
  int test_relu_linear() const { return run(true); }

  std::string describe() const {
    return "heads=" + std::to_string(heads_) + " dh=" + std::to_string(dh_) + " dv=" +
           std::to_string(dv()) + " N=" + std::to_string(n_) + " M=" + std::to_string(m_) +
           " seed=" + std::to_string(seed_);
  }

 private:
  int dv() const { return dv_ == 0 ? dh_ : dv_; }

  int run(bool linear) const {
    std::mt19937 gen(seed_);
    std::uniform_real_distribution<double> s_qk(0.01, 0.05), s_vd(0.02, 0.1);
    const double s_q = s_qk(gen), s_k = s_qk(gen), s_v = s_vd(gen);
    const int z_q = random_in(gen, -20, 20), z_k = random_in(gen, -20, 20), z_v = random_in(gen, -20, 20);
    const int dv = this->dv(), qc = heads_ * dh_, vc = heads_ * dv;
    const auto q = tt::random_int8(std::size_t(n_ * qc), gen);
    const auto k = tt::random_int8(std::size_t(m_ * qc), gen);
    const auto v = tt::random_int8(std::size_t(m_ * vc), gen);
    auto rq = [&](std::size_t i) { return s_q * (q[i] - z_q); };
    auto rk = [&](std::size_t i) { return s_k * (k[i] - z_k); };
    auto rv = [&](std::size_t i) { return s_v * (v[i] - z_v); };
    // Double-precision attention.
    std::vector<double> y(std::size_t(n_ * vc));
    double kv_max = 0;
    for (int h = 0; h < heads_; ++h) {
      if (linear) {
        std::vector<double> kv(std::size_t(dh_ * dv), 0.0);
        for (int d = 0; d < dh_; ++d)
          for (int e = 0; e < dv; ++e) {
            double& acc = kv[std::size_t(d * dv + e)];
            for (int j = 0; j < m_; ++j)
              acc += std::max(rk(std::size_t(j * qc + h * dh_ + d)), 0.0) * rv(std::size_t(j * vc + h * dv + e));
            kv_max = std::max(kv_max, std::abs(acc));
          }
        for (int i = 0; i < n_; ++i)
          for (int e = 0; e < dv; ++e) {
            double acc = 0;
            for (int d = 0; d < dh_; ++d)
              acc += std::max(rq(std::size_t(i * qc + h * dh_ + d)), 0.0) * kv[std::size_t(d * dv + e)];
            y[std::size_t(i * vc + h * dv + e)] = acc / m_;
          }
      } else {
        for (int i = 0; i < n_; ++i) {
          std::vector<double> logit(static_cast<std::size_t>(m_));
          for (int j = 0; j < m_; ++j) {
            double acc = 0;
            for (int d = 0; d < dh_; ++d)
              acc += rq(std::size_t(i * qc + h * dh_ + d)) * rk(std::size_t(j * qc + h * dh_ + d));
            logit[static_cast<std::size_t>(j)] = acc / std::sqrt(double(dh_));
          }
          const double mx = *std::max_element(logit.begin(), logit.end());
          double sum = 0;
          for (auto& l : logit) sum += (l = std::exp(l - mx));
          for (int e = 0; e < dv; ++e) {
            double acc = 0;
            for (int j = 0; j < m_; ++j) acc += logit[static_cast<std::size_t>(j)] / sum * rv(std::size_t(j * vc + h * dv + e));
            y[std::size_t(i * vc + h * dv + e)] = acc;
          }
        }
      }
    }
    const OutputQuant out_q(*std::min_element(y.begin(), y.end()), *std::max_element(y.begin(), y.end()));
    const tnn_dims q_d{1, n_, 1, qc}, k_d{1, m_, 1, qc}, v_d{1, m_, 1, vc}, o_d{1, n_, 1, vc};
    std::vector<std::int8_t> out(y.size());
    if (linear) {
      const double s_kv = std::max(kv_max, 1e-9) / 32767;
      const tnn_linear_attention_params p{-z_q, -z_k, -z_v, out_q.zero_point, heads_,
                                          to_quant(s_k * s_v / s_kv),
                                          to_quant(s_q * s_kv / (m_ * out_q.scale)), {-128, 127}};
      const auto bytes = tnn_linear_attention_s8_get_buffer_size(&q_d, &v_d, heads_);
      EXPECT_EQ(bytes, 2 * dh_ * dv);
      Scratch scratch(bytes);
      EXPECT_EQ(tnn_attention_relu_linear_s8(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(),
                                             &v_d, v.data(), &o_d, out.data()),
                TNN_OK);
    } else {
      const tnn_attention_params p{-z_q, -z_k, -z_v, out_q.zero_point, heads_,
                                   to_quant(s_q * s_k / std::sqrt(double(dh_)) * 256),
                                   to_quant(s_v / (256 * out_q.scale)), {-128, 127}};
      const auto bytes = tnn_attention_s8_get_buffer_size(&k_d, &v_d, heads_);
      // two queries of m int32 scores, one head's V as int16 pairs of keys (the fast kernel)
      EXPECT_EQ(bytes, 8 * m_ + 8 * ((m_ + 1) / 2) * ((dv + 1) / 2));
      Scratch scratch(bytes);
      EXPECT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d,
                                         v.data(), &o_d, out.data()),
                TNN_OK);
    }
    int max_err = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const int err = std::abs(out[i] - out_q.quantize(y[i]));
      max_err = std::max(max_err, err);
      EXPECT_LE(err, 2) << (linear ? "relu_linear " : "softmax ") << describe() << " at " << i;
    }
    return max_err;
  }

  int heads_ = 1, dh_ = 8, dv_ = 0, n_ = 16, m_ = 16;
  unsigned seed_ = 1;
};

class SeqPoolTester {
 public:
  SeqPoolTester& input(int h, int w, int c) { h_ = h, w_ = w, c_ = c; return *this; }
  SeqPoolTester& seed(unsigned s) { seed_ = s; return *this; }

  int test() const {
    std::mt19937 gen(seed_);
    std::uniform_real_distribution<double> s_xd(0.02, 0.2), s_wd(0.0005, 0.01);
    const double s_x = s_xd(gen), s_w = s_wd(gen);
    const int z_x = random_in(gen, -20, 20), n = h_ * w_;
    const auto x = tt::random_int8(std::size_t(n * c_), gen);
    const auto w = tt::random_int8(static_cast<std::size_t>(c_), gen);
    std::vector<double> logit(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(c_), 0.0);
    for (int i = 0; i < n; ++i) {
      double acc = 0.37;  // a bias cancels in the softmax
      for (int c = 0; c < c_; ++c) acc += s_x * (x[std::size_t(i * c_ + c)] - z_x) * s_w * w[static_cast<std::size_t>(c)];
      logit[static_cast<std::size_t>(i)] = acc;
    }
    const double mx = *std::max_element(logit.begin(), logit.end());
    double sum = 0;
    for (auto& l : logit) sum += (l = std::exp(l - mx));
    for (int c = 0; c < c_; ++c)
      for (int i = 0; i < n; ++i)
        y[static_cast<std::size_t>(c)] += logit[static_cast<std::size_t>(i)] / sum * s_x * (x[std::size_t(i * c_ + c)] - z_x);
    const OutputQuant out_q(*std::min_element(y.begin(), y.end()), *std::max_element(y.begin(), y.end()));
    const tnn_seq_pool_params p{-z_x, out_q.zero_point, to_quant(s_x * s_w * 256),
                                to_quant(s_x / (256 * out_q.scale)), {-128, 127}};
    const tnn_dims d{1, h_, w_, c_};
    EXPECT_EQ(tnn_seq_pool_s8_get_buffer_size(&d), 4 * n);
    Scratch scratch(tnn_seq_pool_s8_get_buffer_size(&d));
    std::vector<std::int8_t> out(static_cast<std::size_t>(c_));
    EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, x.data(), w.data(), out.data()), TNN_OK);
    int max_err = 0;
    for (std::size_t c = 0; c < out.size(); ++c) {
      const int err = std::abs(out[c] - out_q.quantize(y[c]));
      max_err = std::max(max_err, err);
      EXPECT_LE(err, 2) << "seq_pool " << h_ << "x" << w_ << "x" << c_ << " seed " << seed_ << " channel " << c;
    }
    return max_err;
  }

 private:
  int h_ = 4, w_ = 4, c_ = 16;
  unsigned seed_ = 1;
};

}  // namespace

TEST(ExpNegQ15, TwoLevelTableWithinTwoOfDoubleExp) {
  double max_err = 0;
  for (std::int32_t u = 0; u < 5000; ++u) {
    const double want = 32768 * std::exp(-u / 256.0);
    const double err = std::abs(tnn_exp_neg_q15(u) - want);
    ASSERT_LE(err, 2.0) << "u = " << u;
    max_err = std::max(max_err, err);
  }
  ::testing::Test::RecordProperty("max_error_q15", std::to_string(max_err));
  std::printf("[ measured ] tnn_exp_neg_q15: max |error| = %.3f (Q15 units)\n", max_err);
  EXPECT_EQ(tnn_exp_neg_q15(0), 32768);
  EXPECT_EQ(tnn_exp_neg_q15(-5), 32768);
  EXPECT_EQ(tnn_exp_neg_q15(std::numeric_limits<std::int32_t>::min()), 32768);
  EXPECT_EQ(tnn_exp_neg_q15(4096), 0);
  EXPECT_EQ(tnn_exp_neg_q15(std::numeric_limits<std::int32_t>::max()), 0);
  for (std::int32_t u = 1; u < 4096; ++u) ASSERT_LE(tnn_exp_neg_q15(u), tnn_exp_neg_q15(u - 1));
}

TEST(LayerNormS8, WithinTwoLsbOfDoubleLayerNorm) {
  int max_err = 0, max_err_64 = 0;
  unsigned seed = 0;
  for (int c : {8, 17, 64, 200})
    for (double s : {0.02, 0.07, 0.2, 0.5})
      for (int rep = 0; rep < 6; ++rep) {
        const auto err = LayerNormTester().channels(c).tokens(28).input_scale(s).seed(++seed).test();
        max_err = std::max(max_err, err.first);
        max_err_64 = std::max(max_err_64, err.second);
      }
  report_max_error("tnn_layer_norm_s8 (input std >= 4 LSB)", max_err);
  report_max_error("tnn_layer_norm_s8 (C * input std >= 64 LSB)", max_err_64, "max_error_lsb_std_d_64");
}

TEST(LayerNormS8, ConstantTokenAndOneChannelGiveTheBiasAlone) {
  std::int32_t mult[3], shift[3];
  const auto half = tt::quantize_multiplier(0.5);
  for (int c = 0; c < 3; ++c) mult[c] = half.multiplier, shift[c] = half.shift;
  const tnn_per_channel_quant quant{mult, shift};
  const tnn_layer_norm_params p{3, {-128, 127}};
  const std::int8_t w[3] = {127, -127, 50};
  const std::int32_t bias[3] = {40, -100, 300};
  // A constant token of 3 channels: std 0, n = 0, out = bias / 2 + 3 (clamped).
  const std::int8_t x[3] = {-7, -7, -7};
  std::int8_t y[3];
  const tnn_dims d3{1, 1, 1, 3};
  ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d3, x, w, bias, y), TNN_OK);
  EXPECT_EQ(y[0], 23);
  EXPECT_EQ(y[1], -47);
  EXPECT_EQ(y[2], 127);
  // C = 1: every token is constant over its one channel. Tokens in the w axis count too.
  const std::int8_t x1[4] = {-128, 0, 5, 127};
  std::int8_t y1[4];
  const tnn_dims d1{1, 2, 2, 1};
  ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d1, x1, w, bias, y1), TNN_OK);
  for (auto v : y1) EXPECT_EQ(v, 23);
}

TEST(LayerNormS8, NormalizedValuesAreScaledBy128AndOutputsSaturate) {
  // Two channels {a, b}: the normalized values are exactly -1 and +1 (n = -128, +128).
  std::int32_t mult[2], shift[2];
  const auto one = tt::quantize_multiplier(1.0 / 128);
  for (int c = 0; c < 2; ++c) mult[c] = one.multiplier, shift[c] = one.shift;
  const tnn_per_channel_quant quant{mult, shift};
  const std::int8_t w[2] = {100, 100};
  const std::int32_t bias[2] = {0, 0};
  const std::int8_t x[2] = {-20, 90};
  std::int8_t y[2];
  const tnn_dims d{1, 1, 1, 2};
  tnn_layer_norm_params p{0, {-128, 127}};
  ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, y), TNN_OK);
  EXPECT_EQ(y[0], -100);
  EXPECT_EQ(y[1], 100);
  // The fused activation clamps.
  p.activation = {-50, 60};
  ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, y), TNN_OK);
  EXPECT_EQ(y[0], -50);
  EXPECT_EQ(y[1], 60);
  // Accumulators beyond int32 saturate instead of wrapping.
  p.activation = {-128, 127};
  const std::int32_t huge[2] = {std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};
  ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, huge, y), TNN_OK);
  EXPECT_EQ(y[0], -128);
  EXPECT_EQ(y[1], 127);
}

TEST(LayerNormS8, BadArgumentsReturnErrorsInsteadOfTouchingMemory) {
  std::int32_t mult[8] = {1 << 30}, shift[8] = {};
  const tnn_per_channel_quant quant{mult, shift}, no_shift{mult, nullptr};
  const std::int8_t x[8] = {}, w[8] = {};
  const std::int32_t bias[8] = {};
  std::int8_t y[8];
  tnn_layer_norm_params p{0, {-128, 127}};
  const tnn_dims d{1, 1, 1, 8};
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, y), TNN_OK);
  EXPECT_EQ(tnn_layer_norm_s8(nullptr, &quant, &d, x, w, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, nullptr, &d, x, w, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &no_shift, &d, x, w, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, nullptr, x, w, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, nullptr, w, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, nullptr, bias, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, nullptr, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, nullptr), TNN_ERR_ARG);
  for (const tnn_dims bad : {tnn_dims{1, 1, 1, 0}, tnn_dims{1, 0, 1, 8}, tnn_dims{1, 1, -1, 8},
                             tnn_dims{2, 1, 1, 8}, tnn_dims{1, 1, 1, 4097}, tnn_dims{1, 70000, 1, 8}})
    EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &bad, x, w, bias, y), TNN_ERR_SHAPE)
        << bad.n << "," << bad.h << "," << bad.w << "," << bad.c;
  shift[3] = 31;
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, y), TNN_ERR_ARG);
  shift[3] = 0;
  p.activation = {10, -10};
  EXPECT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x, w, bias, y), TNN_ERR_ARG);
}

TEST(AttentionSoftmaxS8, WithinTwoLsbOfDoubleAttention) {
  int max_err = 0;
  unsigned seed = 100;
  for (int dh : {4, 8, 16})
    for (int heads : {1, 2, 4})
      for (int n : {4, 16, 49}) {
        const int err = AttentionTester().heads(heads).head_dim(dh).tokens(n, n).seed(++seed).test_softmax();
        max_err = std::max(max_err, err);
      }
  // Queries and keys/values of different lengths, value width != head width.
  for (auto t : {AttentionTester().heads(2).head_dim(8).value_dim(4).tokens(5, 23),
                 AttentionTester().heads(3).head_dim(4).value_dim(12).tokens(30, 2),
                 AttentionTester().heads(1).head_dim(16).tokens(1, 1)})
    max_err = std::max(max_err, t.seed(++seed).test_softmax());
  report_max_error("tnn_attention_softmax_s8", max_err);
}

TEST(AttentionSoftmaxS8, DominantScoreReproducesItsValueRow) {
  // One head, dh = 8, M = 6 keys: key 3 matches the queries far better than the others
  // (score gap >> 16 in exp units), so every output is v row 3 (same scale, zero point).
  const int dh = 8, m = 6, n = 2, dv = 5;
  std::mt19937 gen(77);
  std::vector<std::int8_t> q(std::size_t(n * dh), 100), k(std::size_t(m * dh));
  for (auto& x : k) x = random_in(gen, -20, 20);
  for (int d = 0; d < dh; ++d) k[std::size_t(3 * dh + d)] = 127;
  const auto v = tt::random_int8(std::size_t(m * dv), gen);
  const double s = 0.05, s_v = 0.03;
  const int z_v = 7;
  const tnn_attention_params p{0, 0, -z_v, z_v, 1, to_quant(s * s / std::sqrt(double(dh)) * 256),
                               to_quant(s_v / (256 * s_v)), {-128, 127}};
  const tnn_dims q_d{1, n, 1, dh}, k_d{1, m, 1, dh}, v_d{1, m, 1, dv}, o_d{1, n, 1, dv};
  Scratch scratch(tnn_attention_s8_get_buffer_size(&k_d, &v_d, 1));
  std::vector<std::int8_t> out(std::size_t(n * dv));
  ASSERT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d,
                                     v.data(), &o_d, out.data()),
            TNN_OK);
  for (int i = 0; i < n; ++i)
    for (int e = 0; e < dv; ++e)
      EXPECT_LE(std::abs(out[std::size_t(i * dv + e)] - v[std::size_t(3 * dv + e)]), 1) << i << "," << e;
}

TEST(AttentionReluLinearS8, WithinTwoLsbOfDoubleAttention) {
  int max_err = 0;
  unsigned seed = 200;
  for (int dh : {4, 8, 16})
    for (int heads : {1, 2, 4})
      for (int n : {4, 16, 49}) {
        const int err = AttentionTester().heads(heads).head_dim(dh).tokens(n, n).seed(++seed).test_relu_linear();
        max_err = std::max(max_err, err);
      }
  for (auto t : {AttentionTester().heads(2).head_dim(8).value_dim(4).tokens(5, 23),
                 AttentionTester().heads(3).head_dim(4).value_dim(12).tokens(30, 2)})
    max_err = std::max(max_err, t.seed(++seed).test_relu_linear());
  report_max_error("tnn_attention_relu_linear_s8", max_err);
}

TEST(AttentionS8, BadArgumentsReturnErrorsInsteadOfTouchingMemory) {
  std::int8_t buf[256] = {};
  Scratch scratch(64);
  const tnn_dims q_d{1, 4, 1, 8}, k_d{1, 4, 1, 8}, v_d{1, 4, 1, 8}, o_d{1, 4, 1, 8};
  const tnn_attention_params sp{0, 0, 0, 0, 2, {1 << 30, 0}, {1 << 30, 0}, {-128, 127}};
  const tnn_linear_attention_params lp{0, 0, 0, 0, 2, {1 << 30, 0}, {1 << 30, 0}, {-128, 127}};
  auto soft = [&](const tnn_context* ctx, const tnn_attention_params& p, const tnn_dims& qd,
                  const tnn_dims& kd, const tnn_dims& vd, const tnn_dims& od) {
    return tnn_attention_softmax_s8_ref(ctx, &p, &qd, buf, &kd, buf, &vd, buf, &od, buf);
  };
  auto lin = [&](const tnn_context* ctx, const tnn_linear_attention_params& p, const tnn_dims& qd,
                 const tnn_dims& kd, const tnn_dims& vd, const tnn_dims& od) {
    return tnn_attention_relu_linear_s8(ctx, &p, &qd, buf, &kd, buf, &vd, buf, &od, buf);
  };
  // two queries of 4 int32 scores, 2 key pairs x 2 channel pairs of one head's V
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&k_d, &v_d, 2), 32 + 32);
  EXPECT_EQ(tnn_linear_attention_s8_get_buffer_size(&q_d, &v_d, 2), 32);
  EXPECT_EQ(tnn_linear_attention_s8_get_buffer_size(&q_d, &v_d, 3), 0);
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, k_d, v_d, o_d), TNN_OK);
  EXPECT_EQ(lin(&scratch.ctx, lp, q_d, k_d, v_d, o_d), TNN_OK);
  // Null pointers.
  EXPECT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, nullptr, &q_d, buf, &k_d, buf, &v_d, buf, &o_d, buf), TNN_ERR_ARG);
  EXPECT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, &sp, &q_d, nullptr, &k_d, buf, &v_d, buf, &o_d, buf), TNN_ERR_ARG);
  EXPECT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, &sp, &q_d, buf, nullptr, buf, &v_d, buf, &o_d, buf), TNN_ERR_ARG);
  EXPECT_EQ(tnn_attention_relu_linear_s8(&scratch.ctx, &lp, &q_d, buf, &k_d, buf, &v_d, nullptr, &o_d, buf), TNN_ERR_ARG);
  EXPECT_EQ(tnn_attention_relu_linear_s8(&scratch.ctx, &lp, &q_d, buf, &k_d, buf, &v_d, buf, &o_d, nullptr), TNN_ERR_ARG);
  // Parameters out of range.
  for (int bad = 0; bad < 5; ++bad) {
    auto s = sp;
    auto l = lp;
    if (bad == 0) s.heads = l.heads = 0;
    if (bad == 1) s.q_offset = l.q_offset = 129;
    if (bad == 2) s.output_offset = l.output_offset = 128;
    if (bad == 3) s.score.shift = l.kv.shift = 31;
    if (bad == 4) s.activation = l.activation = {5, 4};
    EXPECT_EQ(soft(&scratch.ctx, s, q_d, k_d, v_d, o_d), TNN_ERR_ARG) << bad;
    EXPECT_EQ(lin(&scratch.ctx, l, q_d, k_d, v_d, o_d), TNN_ERR_ARG) << bad;
  }
  // Shapes: heads not dividing a width, token counts, widths, non-positive dims.
  auto s3 = sp;
  auto l3 = lp;
  s3.heads = l3.heads = 3;
  EXPECT_EQ(soft(&scratch.ctx, s3, q_d, k_d, v_d, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(lin(&scratch.ctx, l3, q_d, k_d, v_d, o_d), TNN_ERR_SHAPE);
  const tnn_dims bad_tokens{1, 5, 1, 8}, bad_width{1, 4, 1, 6}, two_by_two{1, 2, 2, 8}, zero{1, 4, 0, 8},
      batch{2, 4, 1, 8};
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, k_d, v_d, bad_tokens), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, k_d, bad_tokens, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, bad_width, v_d, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, k_d, v_d, bad_width), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, q_d, zero, v_d, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, batch, k_d, v_d, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(lin(&scratch.ctx, lp, q_d, k_d, bad_tokens, o_d), TNN_ERR_SHAPE);
  EXPECT_EQ(lin(&scratch.ctx, lp, q_d, k_d, v_d, bad_width), TNN_ERR_SHAPE);
  EXPECT_EQ(soft(&scratch.ctx, sp, two_by_two, two_by_two, v_d, o_d), TNN_OK);  // 2x2 = 4 tokens
  // Scratch: missing, too small, misaligned.
  const tnn_context none{nullptr, 64}, small{scratch.words.data(), 15};
  const tnn_context misaligned{reinterpret_cast<char*>(scratch.words.data()) + 2, 60};
  EXPECT_EQ(soft(nullptr, sp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
  EXPECT_EQ(soft(&none, sp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
  EXPECT_EQ(soft(&small, sp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
  EXPECT_EQ(soft(&misaligned, sp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
  const tnn_context small_kv{scratch.words.data(), 31};
  EXPECT_EQ(lin(nullptr, lp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
  EXPECT_EQ(lin(&small_kv, lp, q_d, k_d, v_d, o_d), TNN_ERR_BUFFER);
}

TEST(SeqPoolS8, WithinTwoLsbOfDoubleSeqPool) {
  int max_err = 0;
  unsigned seed = 300;
  for (auto shape : {std::vector<int>{4, 4, 16}, {1, 49, 32}, {7, 7, 64}, {1, 1, 8}, {2, 3, 100}, {8, 8, 24}})
    for (int rep = 0; rep < 4; ++rep) {
      const int err = SeqPoolTester().input(shape[0], shape[1], shape[2]).seed(++seed).test();
      max_err = std::max(max_err, err);
    }
  report_max_error("tnn_seq_pool_s8", max_err);
}

TEST(SeqPoolS8, BadArgumentsReturnErrorsInsteadOfTouchingMemory) {
  std::int8_t x[64] = {}, w[8] = {}, y[8];
  Scratch scratch(32);
  const tnn_seq_pool_params p{0, 0, {1 << 30, 0}, {1 << 30, 0}, {-128, 127}};
  const tnn_dims d{1, 2, 4, 8};
  EXPECT_EQ(tnn_seq_pool_s8_get_buffer_size(&d), 32);
  EXPECT_EQ(tnn_seq_pool_s8_get_buffer_size(nullptr), 0);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, x, w, y), TNN_OK);
  for (auto v : y) EXPECT_EQ(v, 0);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, nullptr, &d, x, w, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, nullptr, x, w, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, nullptr, w, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, x, nullptr, y), TNN_ERR_ARG);
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, x, w, nullptr), TNN_ERR_ARG);
  auto bad = p;
  bad.output.multiplier = -1;
  EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &bad, &d, x, w, y), TNN_ERR_ARG);
  for (const tnn_dims bd : {tnn_dims{1, 2, 4, 0}, tnn_dims{0, 2, 4, 8}, tnn_dims{1, 2, 4, 40000}})
    EXPECT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &bd, x, w, y), TNN_ERR_SHAPE);
  const tnn_context small{scratch.words.data(), 28};
  EXPECT_EQ(tnn_seq_pool_s8(&small, &p, &d, x, w, y), TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_seq_pool_s8(nullptr, &p, &d, x, w, y), TNN_ERR_BUFFER);
}

TEST(TransformerKernels, ExtremeValuesAtTheDocumentedBoundsDoNotOverflow) {
  // Softmax attention, dh = 16384: |s_j| = 255^2 * dh just under 2^30.
  {
    const int dh = 16384;
    std::vector<std::int8_t> q(dh, 127), k(2 * dh, 127), v = {-100, 90};
    std::fill(k.begin(), k.begin() + dh, std::int8_t(-128));  // key 0: (k + offset) = -255
    const tnn_attention_params p{128, -127, 0, 0, 1, to_quant(1e-3), to_quant(1.0 / 256), {-128, 127}};
    const tnn_dims q_d{1, 1, 1, dh}, k_d{1, 2, 1, dh}, v_d{1, 2, 1, 1}, o_d{1, 1, 1, 1};
    Scratch scratch(tnn_attention_s8_get_buffer_size(&k_d, &v_d, 1));
    std::int8_t out = 0;
    ASSERT_EQ(tnn_attention_softmax_s8_ref(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d,
                                       v.data(), &o_d, &out),
              TNN_OK);
    EXPECT_EQ(out, 90);  // key 1 (score 0) beats key 0 (score -255^2 * dh)
  }
  // Sequence pooling, C = 32768: |s_i| = 255 * 128 * C just under 2^30.
  {
    const int c = 32768;
    std::vector<std::int8_t> x(2 * c, -128), w(c, 127), y(c);
    std::fill(x.begin(), x.begin() + c, std::int8_t(127));  // token 0: (x + offset) = 255
    const tnn_seq_pool_params p{128, -128, to_quant(1e-3), to_quant(1.0 / 256), {-128, 127}};
    const tnn_dims d{1, 2, 1, c};
    Scratch scratch(tnn_seq_pool_s8_get_buffer_size(&d));
    ASSERT_EQ(tnn_seq_pool_s8(&scratch.ctx, &p, &d, x.data(), w.data(), y.data()), TNN_OK);
    EXPECT_EQ(*std::min_element(y.begin(), y.end()), 127);  // token 0: 255 - 128, clamped
  }
  // ReLU-linear attention: KV over M = 40000 tokens and the q.kv sum over dh = 300 both pass
  // int32 and saturate (a wrap would turn them negative).
  {
    const int m = 40000;
    std::vector<std::int8_t> q = {127}, k(m, 127), v(m, 127);
    const tnn_linear_attention_params p{128, 128, 128, 0, 1, {1 << 30, 1}, to_quant(std::ldexp(1.0, -20)),
                                        {-128, 127}};
    const tnn_dims q_d{1, 1, 1, 1}, k_d{1, m, 1, 1}, v_d{1, m, 1, 1}, o_d{1, 1, 1, 1};
    Scratch scratch(tnn_linear_attention_s8_get_buffer_size(&q_d, &v_d, 1));
    std::int8_t out = 0;
    ASSERT_EQ(tnn_attention_relu_linear_s8(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d,
                                           v.data(), &o_d, &out),
              TNN_OK);
    EXPECT_EQ(out, 8);  // kv16 = 32767 (saturated), 255 * 32767 / 2^20 = 7.97
  }
  {
    const int dh = 300;
    std::vector<std::int8_t> q(dh, 127), k(dh, 127), v = {127};
    const tnn_linear_attention_params p{128, 128, 128, 0, 1, {1 << 30, 1}, to_quant(std::ldexp(1.0, -26)),
                                        {-128, 127}};
    const tnn_dims q_d{1, 1, 1, dh}, k_d{1, 1, 1, dh}, v_d{1, 1, 1, 1}, o_d{1, 1, 1, 1};
    Scratch scratch(tnn_linear_attention_s8_get_buffer_size(&q_d, &v_d, 1));
    std::int8_t out = 0;
    ASSERT_EQ(tnn_attention_relu_linear_s8(&scratch.ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d,
                                           v.data(), &o_d, &out),
              TNN_OK);
    EXPECT_EQ(out, 32);  // 300 * 255 * 32767 saturates to 2^31 - 1; / 2^26 = 32 (37 unsaturated)
  }
}
