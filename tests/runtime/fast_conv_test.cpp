// The fast dense conv and linear kernels (tnn_conv_s8, tnn_linear_s8: im2col / 1x1 /
// token rows and the 2 x 2 mat-mult of tnn_mat_mult_s8.c) against the reference kernels,
// bit for bit, over randomized shapes, with fluent testers (XNNPACK style):
//   FastConvTester().input(7, 9, 12).output_channels(10).kernel(3, 1).stride(2).test();
// Every run also checks the memory contract: the scratch the kernel asks for
// (get_buffer_size) is enough, nothing past it or around the output is written, and the
// inputs are left as they were. On the host these run the portable C (natural-order rows
// for the mat-mult, tnn_dsp.h's emulation elsewhere); the target.kernels_m7 / _m4 tests
// run them with the DSP instructions.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "runtime/quant_ref.h"
#include "tnn_nn.h"

namespace tt = tinynas::testing;

namespace {

constexpr std::size_t kGuard = 64;
constexpr std::uint8_t kCanary = 0xA5;

// Int8 values of the full range, with the extremes (-128, 127) common.
std::vector<std::int8_t> extreme_int8(std::size_t n, std::mt19937& gen) {
  auto v = tt::random_int8(n, gen);
  std::uniform_int_distribution<int> pick(0, 7);
  for (auto& x : v) {
    const int r = pick(gen);
    if (r == 0) x = -128;
    if (r == 1) x = 127;
  }
  return v;
}

// Per-channel requantization: ChannelQuant's realistic scales, or (extreme) multipliers
// and shifts from the ends of their ranges, which saturate. A positive shift goes with a
// multiplier below 2^31 - 2^26: a saturated accumulator times a multiplier near 2^31 plus
// the output offset would overflow int32 inside tnn_output_s8 (reference and fast alike).
struct Quant {
  std::vector<std::int32_t> mult, shift;
  Quant(int channels, bool extreme, std::mt19937& gen) {
    const tt::ChannelQuant q(channels, gen);
    mult = q.mult, shift = q.shift;
    if (!extreme) return;
    std::uniform_int_distribution<int> pick(0, 5), sh(-31, 30);
    for (int c = 0; c < channels; ++c) {
      const std::int32_t ss[] = {-31, -1, 0, 1, 30, sh(gen)};
      const std::int32_t ms[] = {1 << 30, 1 << 30 | 12345, 0x5A5A5A5A, mult[std::size_t(c)],
                                 INT32_MAX, INT32_MAX - 7};
      const std::int32_t s = ss[pick(gen)];
      shift[std::size_t(c)] = s;
      mult[std::size_t(c)] = ms[std::uniform_int_distribution<int>(0, s > 0 ? 2 : 5)(gen)];
    }
  }
  tnn_per_channel_quant view() const { return {mult.data(), shift.data()}; }
};

// A buffer with guard bytes on both sides: check() fails when a guard changed.
struct Guarded {
  std::vector<std::uint8_t> bytes;
  explicit Guarded(std::size_t n, std::uint8_t fill = kCanary) : bytes(n + 2 * kGuard, fill) {
    std::fill(bytes.begin(), bytes.begin() + kGuard, kCanary);
    std::fill(bytes.end() - kGuard, bytes.end(), kCanary);
  }
  void* data() { return bytes.data() + kGuard; }
  std::int8_t* s8() { return reinterpret_cast<std::int8_t*>(data()); }
  std::size_t size() const { return bytes.size() - 2 * kGuard; }
  bool guards_intact() const {
    return std::all_of(bytes.begin(), bytes.begin() + kGuard, [](std::uint8_t b) { return b == kCanary; }) &&
           std::all_of(bytes.end() - kGuard, bytes.end(), [](std::uint8_t b) { return b == kCanary; });
  }
};

// The parts of a case both testers share: input offset, output offset, activation,
// bias (or none), quantization.
struct Common {
  int input_offset = 0, output_offset = 0;
  tnn_activation act{-128, 127};
  std::vector<std::int32_t> bias;
  bool has_bias = true;
};

Common make_common(int out_channels, int k, bool relu, bool bias, int in_offset, std::mt19937& gen) {
  Common c;
  std::uniform_int_distribution<int> off(-127, 128), zp(-128, 127);
  c.input_offset = in_offset == INT_MIN ? off(gen) : in_offset;
  c.output_offset = zp(gen);
  c.act = relu ? tnn_activation{c.output_offset, 127} : tnn_activation{-128, 127};
  c.has_bias = bias;
  // |bias| + k * 255 * 128 stays within int32 (the model validation's bound)
  const std::int64_t room = std::min<std::int64_t>(INT32_MAX - std::int64_t(k) * 255 * 128, 1 << 30);
  std::uniform_int_distribution<std::int64_t> b(-room, room), small(-40000, 40000);
  std::uniform_int_distribution<int> pick(0, 3);
  c.bias.resize(std::size_t(out_channels));
  for (auto& v : c.bias) v = std::int32_t(pick(gen) == 0 ? b(gen) : small(gen));
  return c;
}

class FastConvTester {
 public:
  FastConvTester& input(int h, int w, int c) { h_ = h, w_ = w, c_ = c; return *this; }
  FastConvTester& output_channels(int o) { o_ = o; return *this; }
  FastConvTester& kernel(int kh, int kw) { kh_ = kh, kw_ = kw; return *this; }
  FastConvTester& stride(int sh, int sw) { sh_ = sh, sw_ = sw; return *this; }
  FastConvTester& stride(int s) { return stride(s, s); }
  FastConvTester& padding(int ph, int pw) { ph_ = ph, pw_ = pw; return *this; }
  FastConvTester& padding(int p) { return padding(p, p); }
  FastConvTester& groups(int g) { g_ = g; return *this; }
  FastConvTester& relu(bool r) { relu_ = r; return *this; }
  FastConvTester& bias(bool b) { bias_ = b; return *this; }
  FastConvTester& input_offset(int o) { in_offset_ = o; return *this; }
  FastConvTester& extreme_quant(bool e) { extreme_ = e; return *this; }
  FastConvTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const int oh = (h_ + 2 * ph_ - kh_) / sh_ + 1, ow = (w_ + 2 * pw_ - kw_) / sw_ + 1;
    const int icg = c_ / g_, k = kh_ * kw_ * icg;
    const auto x = extreme_int8(std::size_t(h_ * w_ * c_), gen);
    const auto wt = extreme_int8(std::size_t(o_ * k), gen);
    const Common cm = make_common(o_, k, relu_, bias_, in_offset_, gen);
    const Quant q(o_, extreme_, gen);
    const tnn_conv_params p{cm.input_offset, cm.output_offset, {sw_, sh_}, {pw_, ph_}, g_, cm.act};
    const tnn_dims in_d{1, h_, w_, c_}, f_d{o_, kh_, kw_, icg}, out_d{1, oh, ow, o_};
    const auto quant = q.view();
    const std::int32_t* bias = cm.has_bias ? cm.bias.data() : nullptr;
    const std::size_t n_out = std::size_t(oh * ow * o_);

    std::vector<std::int8_t> want(n_out);
    ASSERT_EQ(tnn_conv_s8_ref(nullptr, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bias, &out_d,
                              want.data()),
              TNN_OK)
        << describe();

    const std::int32_t need = tnn_conv_s8_get_buffer_size(&in_d, &f_d);
    ASSERT_GE(need, 0);
    Guarded scratch{std::size_t(need)}, out{n_out};
    const tnn_context ctx{need ? scratch.data() : nullptr, need};
    const auto x0 = x, w0 = wt;
    ASSERT_EQ(tnn_conv_s8(&ctx, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bias, &out_d, out.s8()),
              TNN_OK)
        << describe();
    for (std::size_t i = 0; i < n_out; ++i)
      ASSERT_EQ(int(out.s8()[i]), int(want[i]))
          << describe() << " output " << i << " (pixel " << i / std::size_t(o_) << ", channel "
          << i % std::size_t(o_) << ")";
    EXPECT_TRUE(out.guards_intact()) << describe() << ": wrote around the output";
    EXPECT_TRUE(scratch.guards_intact()) << describe() << ": wrote past its scratch (" << need << " B)";
    EXPECT_TRUE(x == x0 && wt == w0) << describe() << ": changed an input";
  }

  std::string describe() const {
    return "conv " + std::to_string(h_) + "x" + std::to_string(w_) + "x" + std::to_string(c_) +
           " -> " + std::to_string(o_) + " k" + std::to_string(kh_) + "x" + std::to_string(kw_) +
           " s" + std::to_string(sh_) + "," + std::to_string(sw_) + " p" + std::to_string(ph_) +
           "," + std::to_string(pw_) + " g" + std::to_string(g_) + (relu_ ? " relu" : "") +
           (bias_ ? "" : " no-bias") + (extreme_ ? " extreme-quant" : "") + " seed " +
           std::to_string(seed_);
  }

 private:
  int h_ = 8, w_ = 8, c_ = 4, o_ = 4, kh_ = 3, kw_ = 3, sh_ = 1, sw_ = 1, ph_ = 0, pw_ = 0, g_ = 1;
  bool relu_ = false, bias_ = true, extreme_ = false;
  int in_offset_ = INT_MIN;  // INT_MIN: random in [-127, 128]
  unsigned seed_ = 1;
};

class FastLinearTester {
 public:
  FastLinearTester& tokens(int t) { tokens_ = t; return *this; }
  FastLinearTester& in(int i) { in_ = i; return *this; }
  FastLinearTester& out(int o) { out_ = o; return *this; }
  FastLinearTester& relu(bool r) { relu_ = r; return *this; }
  FastLinearTester& bias(bool b) { bias_ = b; return *this; }
  FastLinearTester& input_offset(int o) { in_offset_ = o; return *this; }
  FastLinearTester& extreme_quant(bool e) { extreme_ = e; return *this; }
  FastLinearTester& seed(unsigned s) { seed_ = s; return *this; }

  void test() const {
    std::mt19937 gen(seed_);
    const auto x = extreme_int8(std::size_t(tokens_ * in_), gen);
    const auto wt = extreme_int8(std::size_t(out_ * in_), gen);
    const Common cm = make_common(out_, in_, relu_, bias_, in_offset_, gen);
    const Quant q(out_, extreme_, gen);
    const tnn_linear_params p{cm.input_offset, cm.output_offset, cm.act};
    const tnn_dims in_d{1, tokens_, 1, in_}, f_d{out_, 1, 1, in_}, out_d{1, tokens_, 1, out_};
    const auto quant = q.view();
    const std::int32_t* bias = cm.has_bias ? cm.bias.data() : nullptr;
    const std::size_t n_out = std::size_t(tokens_ * out_);

    std::vector<std::int8_t> want(n_out);
    ASSERT_EQ(tnn_linear_s8_ref(nullptr, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bias,
                                &out_d, want.data()),
              TNN_OK);
    const std::int32_t need = tnn_linear_s8_get_buffer_size(&f_d);
    ASSERT_GE(need, 0);
    Guarded scratch{std::size_t(need)}, out{n_out};
    const tnn_context ctx{need ? scratch.data() : nullptr, need};
    const auto x0 = x, w0 = wt;
    ASSERT_EQ(tnn_linear_s8(&ctx, &p, &quant, &in_d, x.data(), &f_d, wt.data(), bias, &out_d,
                            out.s8()),
              TNN_OK)
        << describe();
    for (std::size_t i = 0; i < n_out; ++i)
      ASSERT_EQ(int(out.s8()[i]), int(want[i])) << describe() << " output " << i;
    EXPECT_TRUE(out.guards_intact()) << describe() << ": wrote around the output";
    EXPECT_TRUE(scratch.guards_intact()) << describe() << ": wrote past its scratch";
    EXPECT_TRUE(x == x0 && wt == w0) << describe() << ": changed an input";
  }

  std::string describe() const {
    return "linear " + std::to_string(tokens_) + " tokens x " + std::to_string(in_) + " -> " +
           std::to_string(out_) + (relu_ ? " relu" : "") + (bias_ ? "" : " no-bias") +
           (extreme_ ? " extreme-quant" : "") + " seed " + std::to_string(seed_);
  }

 private:
  int tokens_ = 5, in_ = 16, out_ = 8;
  bool relu_ = false, bias_ = true, extreme_ = false;
  int in_offset_ = INT_MIN;
  unsigned seed_ = 1;
};

}  // namespace

TEST(FastConvS8, BenchLayersMatchTheReference) {
  FastConvTester().input(14, 14, 48).output_channels(48).kernel(3, 3).padding(1).test();
  FastConvTester().input(28, 28, 16).output_channels(32).kernel(3, 3).stride(2).padding(1).test();
  FastConvTester().input(14, 14, 48).output_channels(96).kernel(1, 1).relu(true).test();
}

TEST(FastConvS8, EveryRowLengthRemainderAndOddCounts) {
  // k = kh * kw * C_in / groups takes every remainder mod 8 (the mat-mult's unrolled
  // steps of 8 and 4 and its scalar tail); odd pixel and channel counts use the 1 x 2,
  // 2 x 1 and 1 x 1 tiles.
  unsigned seed = 100;
  for (int c = 1; c <= 9; ++c)
    for (int o : {1, 2, 3, 7, 8})
      for (int hw : {1, 2, 3, 5}) {
        FastConvTester().input(hw, hw + 1, c).output_channels(o).kernel(1, 1).seed(seed++).test();
        FastConvTester().input(hw + 2, hw + 1, c).output_channels(o).kernel(3, 2).padding(1)
            .seed(seed++).test();
      }
}

// Depthwise 3x3 stride 1 stages maps up to 14 rows and 18 columns whole, four channels at
// a time (transposed words; 1-3 last pixels with the zero point behind them): every width
// remainder, channel counts off the groups of four, padding 0 and 1, and the first maps
// beyond the planes (the ring of rows).
TEST(FastConvS8, DepthwisePlanesAndTheirLimits) {
  unsigned seed = 300;
  for (int w : {1, 2, 3, 4, 5, 6, 7, 13, 14, 17, 18, 19})
    for (int c : {1, 3, 4, 5, 8})
      for (int p = 0; p <= 1; ++p)
        if (w + 2 * p > 2)
          FastConvTester().input(w == 19 ? 15 : 14, w, c).output_channels(c).groups(c)
              .kernel(3, 3).padding(p).seed(seed++).test();
  FastConvTester().input(7, 7, 288).output_channels(288).groups(288).kernel(3, 3).padding(1)
      .relu(true).test();
}

TEST(FastConvS8, OneByOneWithStrideAndPadding) {
  // padding pixels of a 1x1 conv are the bias alone; pairs of pixels straddle them
  unsigned seed = 300;
  for (int s = 1; s <= 3; ++s)
    for (int p = 0; p <= 2; ++p)
      for (int c : {1, 3, 4, 8, 13}) {
        FastConvTester().input(5, 7, c).output_channels(c + 2).kernel(1, 1).stride(s).padding(p)
            .bias(p != 1).seed(seed++).test();
      }
  FastConvTester().input(4, 4, 8).output_channels(6).kernel(1, 1).stride(2, 1).padding(0, 2).test();
}

TEST(FastConvS8, NonSquareKernelsStridesAndPadding) {
  FastConvTester().input(9, 7, 6).output_channels(5).kernel(1, 3).padding(0, 1).test();
  FastConvTester().input(9, 7, 6).output_channels(5).kernel(3, 1).padding(1, 0).stride(2, 1).test();
  FastConvTester().input(6, 11, 4).output_channels(9).kernel(2, 5).padding(2, 2).stride(1, 3).test();
  FastConvTester().input(3, 3, 8).output_channels(4).kernel(2, 2).padding(2).test();  // rows of padding only
  FastConvTester().input(4, 4, 2).output_channels(3).kernel(4, 4).test();  // window = whole map
  FastConvTester().input(5, 5, 12).output_channels(7).kernel(5, 5).padding(2).stride(3).test();
}

TEST(FastConvS8, GroupedConvs) {
  // groups 2 and 4 (not depthwise); a group's channel count % 4 decides between the direct
  // im2col and the gathered one
  FastConvTester().input(6, 6, 8).output_channels(12).kernel(3, 3).groups(2).padding(1).test();
  FastConvTester().input(6, 6, 16).output_channels(8).kernel(3, 3).groups(4).stride(2).test();
  FastConvTester().input(5, 7, 12).output_channels(8).kernel(3, 3).groups(4).padding(1).test();
  FastConvTester().input(5, 5, 6).output_channels(10).kernel(1, 1).groups(2).padding(1).test();
  // one input channel per group but twice the outputs (not depthwise: a generic conv)
  FastConvTester().input(6, 5, 4).output_channels(8).kernel(3, 3).groups(4).padding(1).test();
}

TEST(FastConvS8, ExtremeOffsetsWeightsAndRequantization) {
  unsigned seed = 500;
  for (int off : {-127, 128})
    for (bool relu : {false, true})
      for (bool extreme : {false, true}) {
        FastConvTester().input(6, 5, 8).output_channels(6).kernel(3, 3).padding(1)
            .input_offset(off).relu(relu).extreme_quant(extreme).seed(seed++).test();
        FastConvTester().input(5, 5, 7).output_channels(5).kernel(1, 1).padding(1)
            .input_offset(off).relu(relu).extreme_quant(extreme).bias(false).seed(seed++).test();
        FastLinearTester().tokens(5).in(21).out(9).input_offset(off).relu(relu)
            .extreme_quant(extreme).seed(seed++).test();
      }
}

TEST(FastConvS8, RandomizedShapesMatchTheReferenceBitForBit) {
  std::mt19937 gen(2024);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  for (int t = 0; t < 400; ++t) {
    const int g = std::vector<int>{1, 1, 1, 2, 4}[std::size_t(pick(0, 4))];
    const int c = g * pick(1, 7), o = g * pick(1, 7);
    if (g > 1 && g == c && o == c) continue;  // depthwise: another kernel
    const int kh = pick(1, 5), kw = pick(0, 2) == 0 ? pick(1, 5) : kh;
    const int sh = pick(1, 3), sw = pick(0, 3) == 0 ? pick(1, 3) : sh;
    const int ph = pick(0, 2), pw = pick(0, 3) == 0 ? pick(0, 2) : ph;
    const int h = pick(std::max(1, kh - 2 * ph), 9), w = pick(std::max(1, kw - 2 * pw), 9);
    FastConvTester().input(h, w, c).output_channels(o).kernel(kh, kw).stride(sh, sw)
        .padding(ph, pw).groups(g).relu(pick(0, 1) == 1).bias(pick(0, 4) != 0)
        .extreme_quant(pick(0, 5) == 0).seed(unsigned(t)).test();
  }
}

TEST(FastConvS8, ScratchContract) {
  // two rows of k = kh * kw * C_in / groups int16 activations; none for depthwise
  const tnn_dims in{1, 8, 8, 16};
  const tnn_dims generic{32, 3, 3, 16}, pointwise{32, 1, 1, 16}, grouped{32, 3, 3, 4};
  const tnn_dims depthwise{16, 3, 3, 1}, one_channel_in{1, 8, 8, 1}, one_channel{4, 3, 3, 1};
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&in, &generic), 4 * 3 * 3 * 16);
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&in, &pointwise), 4 * 16);
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&in, &grouped), 4 * 3 * 3 * 4);
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&in, &depthwise), 0);
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&one_channel_in, &one_channel), 4 * 3 * 3);
  const tnn_dims huge{1, 30000, 30000, 30000};
  EXPECT_EQ(tnn_conv_s8_get_buffer_size(&in, &huge), INT32_MAX);  // unrunnable, not wrapped
  const tnn_dims lin{24, 1, 1, 40};
  EXPECT_EQ(tnn_linear_s8_get_buffer_size(&lin), 4 * 40);
}

TEST(FastConvS8, MissingOrSmallScratchIsAnErrorNotAWrite) {
  std::vector<std::int8_t> x(8 * 8 * 4, 1), w(6 * 3 * 3 * 4, 1), y(8 * 8 * 6, 0);
  std::vector<std::int32_t> m(6, 1 << 30), s(6, -3);
  const tnn_per_channel_quant q{m.data(), s.data()};
  const tnn_conv_params p3{0, 0, {1, 1}, {1, 1}, 1, {-128, 127}}, p1{0, 0, {1, 1}, {0, 0}, 1, {-128, 127}};
  const tnn_dims in_d{1, 8, 8, 4}, f3{6, 3, 3, 4}, f1{6, 1, 1, 4}, out_d{1, 8, 8, 6};
  for (const bool pointwise : {false, true}) {
    const tnn_conv_params& p = pointwise ? p1 : p3;
    const tnn_dims& f = pointwise ? f1 : f3;
    const std::int32_t need = tnn_conv_s8_get_buffer_size(&in_d, &f);
    ASSERT_GT(need, 0);
    std::vector<std::int32_t> buf(std::size_t(need) / 4 + 1);
    const tnn_context none{nullptr, need}, small{buf.data(), need - 1}, exact{buf.data(), need};
    std::fill(y.begin(), y.end(), 0);
    for (const tnn_context* ctx : {static_cast<const tnn_context*>(nullptr), &none, &small})
      EXPECT_EQ(tnn_conv_s8(ctx, &p, &q, &in_d, x.data(), &f, w.data(), nullptr, &out_d, y.data()),
                TNN_ERR_BUFFER);
    EXPECT_TRUE(std::all_of(y.begin(), y.end(), [](std::int8_t v) { return v == 0; }));
    EXPECT_EQ(tnn_conv_s8(&exact, &p, &q, &in_d, x.data(), &f, w.data(), nullptr, &out_d, y.data()),
              TNN_OK);
  }
  // linear
  const tnn_linear_params lp{0, 0, {-128, 127}};
  const tnn_dims li{1, 3, 1, 4}, lf{6, 1, 1, 4}, lo{1, 3, 1, 6};
  std::vector<std::int32_t> buf(4);
  const tnn_context small{buf.data(), 15}, exact{buf.data(), 16};
  EXPECT_EQ(tnn_linear_s8(nullptr, &lp, &q, &li, x.data(), &lf, w.data(), nullptr, &lo, y.data()),
            TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_linear_s8(&small, &lp, &q, &li, x.data(), &lf, w.data(), nullptr, &lo, y.data()),
            TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_linear_s8(&exact, &lp, &q, &li, x.data(), &lf, w.data(), nullptr, &lo, y.data()),
            TNN_OK);
  // argument errors come before the scratch check, as in the reference
  const tnn_dims bad{1, 3, 1, 5};
  EXPECT_EQ(tnn_linear_s8(nullptr, &lp, &q, &li, x.data(), &lf, w.data(), nullptr, &bad, y.data()),
            TNN_ERR_SHAPE);
  EXPECT_EQ(tnn_conv_s8(nullptr, &p3, &q, &in_d, nullptr, &f3, w.data(), nullptr, &out_d, y.data()),
            TNN_ERR_ARG);
}

TEST(FastLinearS8, TokensOddAndEvenMatchTheReference) {
  FastLinearTester().tokens(49).in(96).out(192).test();
  unsigned seed = 700;
  for (int tokens : {1, 2, 3, 8, 11})
    for (int in : {1, 2, 3, 4, 5, 7, 8, 12, 13, 33})
      for (int out : {1, 2, 5, 6}) {
        FastLinearTester().tokens(tokens).in(in).out(out).relu(seed % 3 == 0).bias(seed % 4 != 0)
            .seed(seed).test();
        ++seed;
      }
}
