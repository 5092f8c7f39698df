// The fast depthwise conv, residual add and softmax attention against their references, bit
// for bit, with fluent testers (XNNPACK style):
//   DepthwiseTester().input(14, 14, 96).kernel(3).padding(1).test();
// Each tester also checks that nothing is written past the output (guard bytes), that the
// attention's scratch (exactly tnn_attention_s8_get_buffer_size bytes) is enough and nothing
// past it is written, and that both kernels return the same status. On the host these run
// the portable paths of tnn_dsp.h; tests/runtime/target runs the same kernels on the
// Cortex-M7 / M4 DSP paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/quant_ref.h"
#include "tnn_nn.h"
#include "tnn_transformer.h"

extern "C" {
#include "tnn_transformer_internal.h"
}

namespace tt = tinynas::testing;

namespace {

constexpr int kGuard = 16;

int pick(std::mt19937& gen, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(gen);
}

// int8 data: uniform, or often at the extremes (-128, 127), or a constant.
std::vector<std::int8_t> draw_int8(std::size_t n, std::mt19937& gen) {
  std::vector<std::int8_t> v(n);
  const int mode = pick(gen, 0, 5);
  const int c = pick(gen, -128, 127);
  for (auto& x : v) {
    if (mode == 0) x = static_cast<std::int8_t>(pick(gen, 0, 1) ? -128 : 127);
    else if (mode == 1) x = static_cast<std::int8_t>(c);
    else if (mode == 2 && pick(gen, 0, 3) == 0) x = -128;
    else x = static_cast<std::int8_t>(pick(gen, -128, 127));
  }
  return v;
}

// An input offset (-zero point): often at the extremes -127 and 128.
std::int32_t draw_offset(std::mt19937& gen) {
  const int x = pick(gen, 0, 5);
  return x == 0 ? -127 : x == 1 ? 128 : pick(gen, -127, 128);
}

tnn_activation draw_activation(std::mt19937& gen, std::int32_t out_offset) {
  const int x = pick(gen, 0, 3);
  if (x == 0) return {out_offset, 127};  // ReLU
  if (x == 1) return {pick(gen, -128, 0), pick(gen, 1, 127)};
  return {-128, 127};
}

// Output bytes with a guard behind; `fill` marks what the kernel did not write.
struct Output {
  std::vector<std::int8_t> bytes;
  std::size_t n;
  Output(std::size_t size, std::int8_t fill) : bytes(size + kGuard, fill), n(size) {}
  std::int8_t* data() { return bytes.data(); }
  bool guard_intact(std::int8_t fill) const {
    return std::all_of(bytes.begin() + std::ptrdiff_t(n), bytes.end(),
                       [&](std::int8_t b) { return b == fill; });
  }
};

// Compares outputs; on a mismatch reports the first differing index.
::testing::AssertionResult same_bytes(const std::int8_t* want, const std::int8_t* got,
                                      std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (want[i] != got[i])
      return ::testing::AssertionFailure() << "output " << i << ": fast " << int(got[i])
                                           << ", reference " << int(want[i]);
  return ::testing::AssertionSuccess();
}

// ---- depthwise ------------------------------------------------------------------------------

class DepthwiseTester {
 public:
  DepthwiseTester& input(int h, int w, int c) { h_ = h, w_ = w, c_ = c; return *this; }
  DepthwiseTester& kernel(int k) { kh_ = kw_ = k; return *this; }
  DepthwiseTester& kernel(int kh, int kw) { kh_ = kh, kw_ = kw; return *this; }
  DepthwiseTester& stride(int s) { sh_ = sw_ = s; return *this; }
  DepthwiseTester& stride(int sh, int sw) { sh_ = sh, sw_ = sw; return *this; }
  DepthwiseTester& padding(int p) { ph_ = pw_ = p; return *this; }
  DepthwiseTester& padding(int ph, int pw) { ph_ = ph, pw_ = pw; return *this; }
  DepthwiseTester& bias(bool b) { bias_ = b; return *this; }
  DepthwiseTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const int oh = (h_ + 2 * ph_ - kh_) / sh_ + 1, ow = (w_ + 2 * pw_ - kw_) / sw_ + 1;
    ASSERT_GE(oh, 1);
    ASSERT_GE(ow, 1);
    auto x = draw_int8(std::size_t(h_ * w_ * c_), gen);
    auto wt = draw_int8(std::size_t(c_ * kh_ * kw_), gen);
    if (pick(gen, 0, 3) == 0) wt[0] = -128;
    const tt::ChannelQuant q(c_, gen);
    std::vector<std::int32_t> b(static_cast<std::size_t>(c_));
    for (auto& v : b) v = pick(gen, -70000, 70000);
    const std::int32_t out_off = pick(gen, -128, 127);
    tnn_conv_params p{draw_offset(gen), out_off, {sw_, sh_}, {pw_, ph_}, c_,
                      draw_activation(gen, out_off)};
    const tnn_dims in_d{1, h_, w_, c_}, f_d{c_, kh_, kw_, 1}, out_d{1, oh, ow, c_};
    const auto quant = q.view();
    const tnn_context ctx{nullptr, 0};  // the depthwise path takes no scratch
    ASSERT_EQ(tnn_conv_s8_get_buffer_size(&in_d, &f_d), 0) << describe();
    const std::size_t n = std::size_t(oh * ow * c_);
    Output want(n, 0), got(n, 0x5A);
    const std::int32_t* bp = bias_ ? b.data() : nullptr;
    ASSERT_EQ(tnn_conv_s8_ref(&ctx, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bp, &out_d,
                              want.data()),
              TNN_OK)
        << describe();
    ASSERT_EQ(
        tnn_conv_s8(&ctx, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bp, &out_d, got.data()),
        TNN_OK)
        << describe();
    EXPECT_TRUE(same_bytes(want.data(), got.data(), n)) << describe();
    EXPECT_TRUE(got.guard_intact(0x5A)) << describe() << ": wrote past the output";
  }

  std::string describe() const {
    return "depthwise " + std::to_string(h_) + "x" + std::to_string(w_) + "x" + std::to_string(c_) +
           " k" + std::to_string(kh_) + "x" + std::to_string(kw_) + " s" + std::to_string(sh_) +
           "x" + std::to_string(sw_) + " p" + std::to_string(ph_) + "x" + std::to_string(pw_) +
           (bias_ ? "" : " no bias") + " seed " + std::to_string(seed_);
  }

 private:
  int h_ = 8, w_ = 8, c_ = 8, kh_ = 3, kw_ = 3, sh_ = 1, sw_ = 1, ph_ = 0, pw_ = 0;
  bool bias_ = true;
  unsigned seed_ = 1;
};

// ---- add ------------------------------------------------------------------------------------

class AddTester {
 public:
  AddTester& size(int n) { n_ = n; return *this; }
  AddTester& in_place(int which) { in_place_ = which; return *this; }  // 0 none, 1 or 2
  AddTester& misalign(int bytes) { misalign_ = bytes; return *this; }
  AddTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    tnn_add_params p{};
    p.input1_offset = draw_offset(gen);
    p.input2_offset = draw_offset(gen);
    p.left_shift = pick(gen, 0, 3) == 0 ? pick(gen, 0, 20) : 20;
    // TFLite's scales: inputs to twice the larger scale, then to the output; sometimes
    // any multipliers and shifts (positive ones too) with little headroom, so that no
    // int32 sum overflows (the model validation's bound; the reference assumes it too).
    if (pick(gen, 0, 3) == 0) {
      p.left_shift = pick(gen, 0, 4);
      p.input1 = {pick(gen, 0, INT32_MAX), pick(gen, -31, 4)};
      p.input2 = {pick(gen, 0, INT32_MAX), pick(gen, -31, 4)};
      p.output = {pick(gen, 0, INT32_MAX), pick(gen, -31, 4)};
    } else {
      const double s1 = std::exp(std::uniform_real_distribution<double>(-6, 0)(gen));
      const double s2 = std::exp(std::uniform_real_distribution<double>(-6, 0)(gen));
      const double so = std::exp(std::uniform_real_distribution<double>(-6, 0)(gen));
      const double twice = 2 * std::max(s1, s2);
      const auto m1 = tt::quantize_multiplier(s1 / twice), m2 = tt::quantize_multiplier(s2 / twice);
      const auto mo = tt::quantize_multiplier(twice / (double(1 << p.left_shift) * so));
      p.input1 = {m1.multiplier, m1.shift}, p.input2 = {m2.multiplier, m2.shift};
      p.output = {mo.multiplier, mo.shift};
    }
    p.output_offset = pick(gen, -128, 127);
    p.activation = draw_activation(gen, p.output_offset);
    const std::size_t n = std::size_t(n_);
    std::vector<std::int8_t> a(n + 4), b(n + 4);
    const auto da = draw_int8(n, gen), db = draw_int8(n, gen);
    std::copy(da.begin(), da.end(), a.begin() + misalign_);
    std::copy(db.begin(), db.end(), b.begin() + misalign_);
    Output want(n + 4, 0), got(n + 4, 0x5A);
    ASSERT_EQ(tnn_add_s8_ref(&p, a.data() + misalign_, b.data() + misalign_, n_, want.data()),
              TNN_OK);
    std::int8_t* out = got.data() + misalign_;
    const std::int8_t* in1 = a.data() + misalign_;
    const std::int8_t* in2 = b.data() + misalign_;
    if (in_place_) {  // the output is one of the inputs (a residual add in place)
      std::copy(in_place_ == 1 ? da.begin() : db.begin(), in_place_ == 1 ? da.end() : db.end(),
                out);
      (in_place_ == 1 ? in1 : in2) = out;
    }
    ASSERT_EQ(tnn_add_s8(&p, in1, in2, n_, out), TNN_OK) << describe();
    EXPECT_TRUE(same_bytes(want.data(), out, n)) << describe();
    EXPECT_TRUE(std::all_of(out + n, got.data() + got.bytes.size(),
                            [](std::int8_t v) { return v == 0x5A; }))
        << describe() << ": wrote past the output";
  }

  std::string describe() const {
    return "add of " + std::to_string(n_) + " elements, in place " + std::to_string(in_place_) +
           ", misaligned by " + std::to_string(misalign_) + ", seed " + std::to_string(seed_);
  }

 private:
  int n_ = 64, in_place_ = 0, misalign_ = 0;
  unsigned seed_ = 1;
};

// ---- softmax attention ------------------------------------------------------------------------

class AttentionTester {
 public:
  AttentionTester& heads(int h) { heads_ = h; return *this; }
  AttentionTester& dims(int dh, int dv) { dh_ = dh, dv_ = dv; return *this; }
  AttentionTester& tokens(int n, int m) { n_ = n, m_ = m; return *this; }
  // Equal key rows (q . k ties: several numerators 32768): every key equal to one of
  // `distinct` rows.
  AttentionTester& distinct_keys(int d) { distinct_ = d; return *this; }
  AttentionTester& score(tnn_quant q) { score_ = q, score_set_ = true; return *this; }
  AttentionTester& output(tnn_quant q) { output_ = q, output_set_ = true; return *this; }
  AttentionTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const int qk_c = heads_ * dh_, v_c = heads_ * dv_;
    auto q = draw_int8(std::size_t(n_ * qk_c), gen);
    auto k = draw_int8(std::size_t(m_ * qk_c), gen);
    const auto v = draw_int8(std::size_t(m_ * v_c), gen);
    if (distinct_ > 0)
      for (int j = distinct_; j < m_; ++j)
        std::copy_n(k.begin() + std::ptrdiff_t(pick(gen, 0, distinct_ - 1) * qk_c), qk_c,
                    k.begin() + std::ptrdiff_t(j * qk_c));
    tnn_attention_params p{};
    p.q_offset = draw_offset(gen), p.k_offset = draw_offset(gen), p.v_offset = draw_offset(gen);
    p.output_offset = pick(gen, -128, 127);
    p.heads = heads_;
    // score: about s_q s_k / sqrt(dh) * 256 of scales 0.01..0.1: exp arguments spread over
    // the table; output about 1 / 256
    p.score = score_set_ ? score_ : tnn_quant{pick(gen, 1 << 30, INT32_MAX), pick(gen, -9, -2)};
    p.output = output_set_ ? output_ : tnn_quant{pick(gen, 1 << 30, INT32_MAX), pick(gen, -9, -6)};
    p.activation = draw_activation(gen, p.output_offset);
    const tnn_dims q_d{1, n_, 1, qk_c}, k_d{1, m_, 1, qk_c}, v_d{1, m_, 1, v_c}, o_d{1, n_, 1, v_c};
    const std::int32_t need = tnn_attention_s8_get_buffer_size(&k_d, &v_d, heads_);
    ASSERT_EQ(need, 8 * m_ + 8 * ((m_ + 1) / 2) * ((v_c / heads_ + 1) / 2));
    std::vector<std::int32_t> scratch(std::size_t(need / 4 + kGuard), 0x3C3C3C3C);
    const tnn_context ctx{scratch.data(), need};
    const std::size_t n = std::size_t(n_ * v_c);
    Output want(n, 0), got(n, 0x5A);
    ASSERT_EQ(tnn_attention_softmax_s8_ref(&ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d, v.data(),
                                           &o_d, want.data()),
              TNN_OK)
        << describe();
    ASSERT_EQ(tnn_attention_softmax_s8(&ctx, &p, &q_d, q.data(), &k_d, k.data(), &v_d, v.data(),
                                       &o_d, got.data()),
              TNN_OK)
        << describe();
    EXPECT_TRUE(same_bytes(want.data(), got.data(), n)) << describe();
    EXPECT_TRUE(got.guard_intact(0x5A)) << describe() << ": wrote past the output";
    EXPECT_TRUE(std::all_of(scratch.begin() + need / 4, scratch.end(),
                            [](std::int32_t w) { return w == 0x3C3C3C3C; }))
        << describe() << ": wrote past the scratch";
  }

  std::string describe() const {
    return "attention heads " + std::to_string(heads_) + " dh " + std::to_string(dh_) + " dv " +
           std::to_string(dv_) + " n " + std::to_string(n_) + " m " + std::to_string(m_) +
           (distinct_ ? " distinct keys " + std::to_string(distinct_) : "") + " seed " +
           std::to_string(seed_);
  }

 private:
  int heads_ = 2, dh_ = 8, dv_ = 8, n_ = 8, m_ = 8, distinct_ = 0;
  tnn_quant score_{}, output_{};
  bool score_set_ = false, output_set_ = false;
  unsigned seed_ = 1;
};

// ---- LayerNorm ------------------------------------------------------------------------------

class LayerNormTester {
 public:
  LayerNormTester& channels(int c) { c_ = c; return *this; }
  LayerNormTester& tokens(int t) { t_ = t; return *this; }
  LayerNormTester& in_place(bool b) { in_place_ = b; return *this; }
  // biases within 2^22 of the int32 limits: the saturating path
  LayerNormTester& huge_bias(bool b) { huge_bias_ = b; return *this; }
  LayerNormTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const std::size_t n = std::size_t(c_) * std::size_t(t_);
    auto x = draw_int8(n, gen);
    if (pick(gen, 0, 3) == 0)  // a constant token (std 0) and an extreme one (max |d|)
      for (int c = 0; c < c_; ++c)
        x[std::size_t(c)] = 7, x[n - std::size_t(c_) + std::size_t(c)] = c ? -128 : 127;
    const auto w = draw_int8(std::size_t(c_), gen);
    std::vector<std::int32_t> b(static_cast<std::size_t>(c_)), mult(b.size()), shift(b.size());
    for (std::size_t c = 0; c < b.size(); ++c) {
      b[c] = huge_bias_ && pick(gen, 0, 1) ? (pick(gen, 0, 1) ? INT32_MAX - pick(gen, 0, 1 << 22)
                                                              : INT32_MIN + pick(gen, 0, 1 << 22))
                                           : pick(gen, -100000, 100000);
      mult[c] = pick(gen, 0, 3) ? pick(gen, 1 << 30, INT32_MAX) : pick(gen, 0, INT32_MAX);
      shift[c] = pick(gen, 0, 5) ? pick(gen, -14, -4) : pick(gen, -31, 8);
    }
    const tnn_per_channel_quant quant{mult.data(), shift.data()};
    const std::int32_t off = pick(gen, -128, 127);
    const tnn_layer_norm_params p{off, draw_activation(gen, off)};
    const tnn_dims d{1, t_, 1, c_};
    Output want(n, 0), got(n, 0x5A);
    ASSERT_EQ(tnn_layer_norm_s8_ref(&p, &quant, &d, x.data(), w.data(), b.data(), want.data()),
              TNN_OK);
    if (in_place_) {
      std::copy(x.begin(), x.end(), got.data());
      ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, got.data(), w.data(), b.data(), got.data()),
                TNN_OK);
    } else {
      ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x.data(), w.data(), b.data(), got.data()),
                TNN_OK);
    }
    EXPECT_TRUE(same_bytes(want.data(), got.data(), n)) << describe();
    EXPECT_TRUE(got.guard_intact(0x5A)) << describe() << ": wrote past the output";
  }

  std::string describe() const {
    return "layer norm " + std::to_string(t_) + " tokens x " + std::to_string(c_) + " channels" +
           (in_place_ ? " in place" : "") + (huge_bias_ ? " huge biases" : "") + " seed " +
           std::to_string(seed_);
  }

 private:
  int c_ = 48, t_ = 4;
  bool in_place_ = false, huge_bias_ = false;
  unsigned seed_ = 1;
};

}  // namespace

// ---- depthwise ------------------------------------------------------------------------------

TEST(FastDepthwise, QuickstartShapes) {
  DepthwiseTester().input(14, 14, 96).kernel(3).padding(1).test();
  DepthwiseTester().input(28, 28, 32).kernel(3).stride(2).padding(1).test();
  DepthwiseTester().input(14, 14, 96).kernel(3).test();
  DepthwiseTester().input(7, 7, 288).kernel(3).padding(1).seed(2).test();
  DepthwiseTester().input(14, 14, 48).kernel(5).padding(2).test();
}

TEST(FastDepthwise, RandomShapesMatchTheReference) {
  std::mt19937 gen(7);
  for (unsigned i = 0; i < 400; ++i) {
    const int kh = pick(gen, 1, 5), kw = pick(gen, 0, 2) ? kh : pick(gen, 1, 5);
    const int sh = pick(gen, 1, 3), sw = pick(gen, 0, 2) ? sh : pick(gen, 1, 3);
    const int ph = pick(gen, 0, 2), pw = pick(gen, 0, 2) ? ph : pick(gen, 0, 2);
    const int h = std::max(pick(gen, 1, 17), kh - 2 * ph),
              w = std::max(pick(gen, 1, 17), kw - 2 * pw);
    DepthwiseTester().input(h, w, pick(gen, 2, 20)).kernel(kh, kw).stride(sh, sw).padding(ph, pw)
        .bias(pick(gen, 0, 4) != 0).seed(100 + i).test();
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(FastDepthwise, WideMapsTakeSeveralColumnChunks) {
  for (int s = 1; s <= 3; ++s) {
    DepthwiseTester().input(5, 100, 3).kernel(3).stride(s).padding(1).test();
    DepthwiseTester().input(4, 61, 5).kernel(5).stride(s).padding(2).test();
    DepthwiseTester().input(3, 47, 2).kernel(1, 4).stride(1, s).test();
  }
  DepthwiseTester().input(2, 130, 4).kernel(2, 3).padding(0, 1).test();
}

TEST(FastDepthwise, KernelsBeyondTheStagedRowsRunPerPixel) {
  DepthwiseTester().input(9, 9, 4).kernel(7).padding(3).test();  // taller than 5
  DepthwiseTester().input(6, 9, 3).kernel(6, 2).padding(2, 1).stride(2).test();
  DepthwiseTester().input(4, 20, 3).kernel(1, 13).padding(0, 2).test();  // wider than 12
  DepthwiseTester().input(3, 40, 2).kernel(2, 3).stride(1, 43).test();   // stride past a chunk
}

TEST(FastDepthwise, ExtremeOffsetsWeightsAndTinyMaps) {
  for (unsigned seed = 0; seed < 40; ++seed) {
    DepthwiseTester().input(1, 1, 3).kernel(3).padding(1).seed(seed).test();
    DepthwiseTester().input(2, 1, 5).kernel(3).padding(1).stride(2).seed(seed).test();
    DepthwiseTester().input(1, 7, 2).kernel(1, 3).seed(seed).bias(false).test();
    DepthwiseTester().input(3, 3, 2).kernel(3).seed(seed).test();
  }
}

// ---- add ------------------------------------------------------------------------------------

TEST(FastAdd, SizesAroundTheTableThresholdAndOddTails) {
  for (int n : {1, 3, 4, 5, 100, 511, 512, 513, 514, 515, 1000, 9408}) {
    for (unsigned seed = 0; seed < 6; ++seed)
      AddTester().size(n).misalign(int(seed % 4)).seed(seed).test();
  }
}

TEST(FastAdd, InPlaceOnEitherInput) {
  for (unsigned seed = 0; seed < 10; ++seed) {
    AddTester().size(777).in_place(1).seed(seed).test();
    AddTester().size(1024).in_place(2).misalign(1).seed(seed).test();
  }
}

TEST(FastAdd, RandomRequantizationsMatchTheReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    AddTester().size(int(512 + seed % 37)).misalign(int(seed % 3)).seed(1000 + seed).test();
    if (::testing::Test::HasFailure()) break;
  }
}

// ---- softmax attention ----------------------------------------------------------------------

TEST(FastAttention, QuickstartShapes) {
  for (int n : {49, 196})
    for (int heads : {2, 4})
      AttentionTester().heads(heads).dims(48 / heads, 48 / heads).tokens(n, n).test();
  AttentionTester().heads(4).dims(10, 10).tokens(49, 49).test();  // d = 40
}

TEST(FastAttention, RandomShapesMatchTheReference) {
  std::mt19937 gen(11);
  for (unsigned i = 0; i < 300; ++i) {
    const int n = pick(gen, 1, 40), m = pick(gen, 0, 1) ? n : pick(gen, 1, 40);
    AttentionTester().heads(pick(gen, 1, 4)).dims(pick(gen, 1, 32), pick(gen, 1, 32)).tokens(n, m)
        .seed(200 + i).test();
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(FastAttention, KeyCountsAcrossThe32BitAnd64BitPaths) {
  // M <= 256: int32 sums and a 32-bit division; beyond: int64 sums of 256-key chunks.
  for (int m : {1, 2, 3, 127, 255, 256, 257, 300}) {
    AttentionTester().heads(1).dims(5, 7).tokens(3, m).seed(unsigned(m)).test();
    AttentionTester().heads(2).dims(8, 3).tokens(2, m).seed(unsigned(m) + 1).test();
  }
}

TEST(FastAttention, ChannelBlockAndKeyRemainders) {
  // QK runs two blocks of 4 channels a step (dh 4, 12, 20: an odd last block); AV four key
  // pairs a step (then 2, 1 pairs; odd m: a last pair with a zero key) on channel pairs of the
  // packed V (odd dv: a zero channel; dv mod 4 = 1, 2: no second pair in a group)
  unsigned seed = 500;
  for (int dh : {4, 8, 12, 20, 24})
    for (int dv : {1, 2, 3, 5, 6, 8})
      for (int m : {1, 2, 3, 5, 7, 8, 9, 14, 15, 16, 17, 19}) {
        AttentionTester().heads(2).dims(dh, dv).tokens(3, m).seed(seed++).test();
        if (::testing::Test::HasFailure()) return;
      }
}

TEST(FastAttention, TiedScores) {
  // every key equal: all numerators 32768 (the scan path); a few distinct rows: short tie
  // lists; one row: ties of the maximum everywhere
  for (int distinct : {1, 2, 3, 5}) {
    for (unsigned seed = 0; seed < 5; ++seed) {
      AttentionTester().heads(2).dims(4, 6).tokens(7, 20).distinct_keys(distinct).seed(seed).test();
      AttentionTester()
          .heads(1)
          .dims(3, 5)
          .tokens(4, 290)
          .distinct_keys(distinct)
          .seed(seed)
          .test();
    }
  }
  // a zero score factor: every u is 0, every e 32768
  AttentionTester().heads(2).dims(8, 8).tokens(9, 33).score({0, 0}).test();
}

TEST(FastAttention, PositiveShiftsAndWideHeads) {
  // a positive score shift takes tnn_requantize (saturating), a positive output shift the
  // 64-bit offset add; a head wider than 64 channels runs the reference
  for (unsigned seed = 0; seed < 5; ++seed) {
    AttentionTester().heads(2).dims(6, 9).tokens(11, 13).score({1 << 30, 3}).seed(seed).test();
    AttentionTester().heads(1).dims(6, 9).tokens(11, 13).output({1 << 30, 2}).seed(seed).test();
    AttentionTester().heads(1).dims(6, 9).tokens(5, 6).score({INT32_MAX, 30}).seed(seed).test();
  }
  AttentionTester().heads(1).dims(65, 4).tokens(5, 7).test();
  AttentionTester().heads(2).dims(64, 3).tokens(5, 7).test();
}

TEST(FastAttention, BufferSizeIsTwoScoreRowsAndAPackedHeadAndTooLittleIsRejected) {
  const tnn_dims k_d{1, 7, 7, 16}, v_d{1, 7, 7, 10}, bad{1, 0, 7, 16};
  // 49 keys: 25 pairs; 5 channels a head: 3 channel pairs
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&k_d, &v_d, 2), 2 * 49 * 4 + 25 * 3 * 8);
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&k_d, &v_d, 3), 0);  // 10 channels, 3 heads
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&bad, &v_d, 2), 0);
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(nullptr, &v_d, 2), 0);
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&k_d, nullptr, 2), 0);
  const tnn_dims huge{1, 65535, 1, 65535};  // 2 * 65535^2 bytes of packed V: beyond 2 GiB
  EXPECT_EQ(tnn_attention_s8_get_buffer_size(&huge, &huge, 1), 0);
  std::vector<std::int8_t> x(49 * 16);
  const std::int32_t need = tnn_attention_s8_get_buffer_size(&k_d, &k_d, 2);
  std::vector<std::int32_t> scratch(std::size_t(need / 4));
  const tnn_attention_params p{0, 0, 0, 0, 2, {1 << 30, -4}, {1 << 30, -8}, {-128, 127}};
  const tnn_context small{scratch.data(), need - 1};
  EXPECT_EQ(tnn_attention_softmax_s8(&small, &p, &k_d, x.data(), &k_d, x.data(), &k_d, x.data(),
                                     &k_d, x.data()),
            TNN_ERR_BUFFER);
}

// ---- LayerNorm ------------------------------------------------------------------------------

TEST(FastLayerNorm, RandomShapesMatchTheReference) {
  std::mt19937 gen(13);
  for (unsigned i = 0; i < 300; ++i) {
    LayerNormTester()
        .channels(pick(gen, 0, 3) ? pick(gen, 1, 64) : pick(gen, 1, 400))
        .tokens(pick(gen, 1, 12))
        .in_place(pick(gen, 0, 2) == 0)
        .huge_bias(pick(gen, 0, 4) == 0)
        .seed(300 + i)
        .test();
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(FastLayerNorm, NegativeTieOfTheNormalizedValueRoundsAwayFromZero) {
  // A token (found by search) with std_d = 32768 and a channel of d = -8: 2048 d / std_d =
  // -0.5 exactly, where the fast kernel's numerator 2048 d + std_d / 2 is 0 (its sign test
  // is num <= 0, not num < 0). Every requantization kind and the saturating bias path.
  const std::vector<std::int8_t> x = {108, 23,  -35, 67, -57, 18,   1,  89,  52, 18,  13, -60,
                                      -99, 12,  -42, -33, 9,  90,  15,  6,  -118, 17, -22, 10,
                                      107, 98,  85,  -24, 76, 77,  13,  60, -109, 53};
  const int C = static_cast<int>(x.size());
  const std::vector<std::int8_t> w(x.size(), 127);
  std::vector<std::int32_t> mult(x.size(), 1 << 30), shift(x.size(), -1);
  const tnn_per_channel_quant quant{mult.data(), shift.data()};
  const tnn_dims d{1, 1, 1, C};
  const tnn_activation acts[] = {{-128, 127}, {-5, 127}, {-100, 90}};
  for (const auto& act : acts)
    for (const std::int32_t b0 : {0, 3, INT32_MIN + 5}) {
      const std::vector<std::int32_t> b(x.size(), b0);
      const tnn_layer_norm_params p{-5, act};
      std::vector<std::int8_t> want(x.size()), got(x.size());
      ASSERT_EQ(tnn_layer_norm_s8_ref(&p, &quant, &d, x.data(), w.data(), b.data(), want.data()),
                TNN_OK);
      ASSERT_EQ(tnn_layer_norm_s8(&p, &quant, &d, x.data(), w.data(), b.data(), got.data()),
                TNN_OK);
      EXPECT_TRUE(same_bytes(want.data(), got.data(), x.size()))
          << "activation [" << act.min << ", " << act.max << "] bias " << b0;
    }
}

TEST(FastLayerNorm, WidestTokensKeepThe32BitDivisionExact) {
  // C = 4096: |2048 d| reaches 2048 * 255 * 4095 < 2^31
  for (unsigned seed = 0; seed < 4; ++seed) {
    LayerNormTester().channels(4096).tokens(2).seed(seed).test();
    LayerNormTester().channels(4095).tokens(2).huge_bias(true).seed(seed).test();
  }
}

TEST(SoftmaxExpFolded, EqualsRequantizeThenExp) {
  // tnn_softmax_exp_h(2d) + 32768 == tnn_exp_neg_q15(tnn_requantize(d, score)) for d in
  // [0, 2^30) (the attention's score gaps) and every shift <= 0
  std::mt19937 gen(5);
  for (int shift = -31; shift <= 0; ++shift) {
    for (std::int32_t m : {0, 1, 1 << 30, (1 << 30) + 12345, INT32_MAX - 1, INT32_MAX}) {
      const tnn_quant q{m, shift};
      tnn_softmax_exp c;
      tnn_softmax_exp_init(&c, &q);
      std::vector<std::int32_t> ds{0, 1, 2, 3, 255, 256, 4095, 4096, (1 << 30) - 2, (1 << 30) - 1};
      for (int i = 0; i < 3000; ++i) ds.push_back(pick(gen, 0, (1 << 30) - 1) >> pick(gen, 0, 29));
      for (std::int32_t d : ds)
        ASSERT_EQ(tnn_softmax_exp_h(2 * d, c.multiplier, c.half, c.s, tnn_exp_q15m) + 32768,
                  tnn_exp_neg_q15(tnn_requantize(d, m, shift)))
            << "d " << d << " multiplier " << m << " shift " << shift;
    }
  }
}

// The attention's one-level table holds e - 32768 for every 12-bit argument, and the
// saturated index of any larger one reads e = 0.
TEST(SoftmaxExp, OneLevelTableEqualsTwoLevel) {
  for (std::int32_t u = 0; u < 4096; ++u)
    ASSERT_EQ(tnn_exp_q15m[u], tnn_exp_neg_q15(u) - 32768) << "u " << u;
  for (std::int32_t u : {4095, 4096, 5000, 1 << 20, INT32_MAX})
    EXPECT_EQ(tnn_exp_q15m[tnn_usat12(u)], tnn_exp_neg_q15(u) - 32768) << "u " << u;
}
