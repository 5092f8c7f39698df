// The whole-model interpreter (tnn_model.h): blobs built field by field here run bit-exact
// with the kernels called directly in the same order; every class of corruption is
// rejected at init; no truncation or single-byte change of a valid blob makes init accept
// something invoke then fails on.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "runtime/quant_ref.h"
#include "tinynas/cost/sparse_coding.h"
#include "tnn_model.h"
#include "tnn_nn.h"
#include "tnn_sparse.h"
#include "tnn_transformer.h"

namespace tt = tinynas::testing;

namespace {

using Blob = std::vector<std::uint32_t>;  // 4-byte aligned model data

const std::uint8_t* bytes_of(const Blob& b) { return reinterpret_cast<const std::uint8_t*>(b.data()); }
std::uint32_t size_of(const Blob& b) { return std::uint32_t(4 * b.size()); }

void fix_crc(Blob& b) {
  b[3] = tnn_crc32(bytes_of(b) + TNN_MODEL_HEADER_BYTES, size_of(b) - TNN_MODEL_HEADER_BYTES);
}

// Word indices of a record inside a blob.
std::size_t tensor_word(const Blob& b, int t, int field) {
  (void)b;
  return std::size_t(TNN_MODEL_HEADER_WORDS + TNN_TENSOR_WORDS * t + field);
}
std::size_t op_word(const Blob& b, int op, int field) {
  return std::size_t(TNN_MODEL_HEADER_WORDS + TNN_TENSOR_WORDS * std::int32_t(b[5]) + TNN_OP_WORDS * op +
                     field);
}
std::size_t data32_word(const Blob& b, std::int32_t index) { return std::size_t(b[9] / 4 + std::uint32_t(index)); }

// Op record fields (tnn_model.h).
enum Field {
  kKind = 0, kFlags, kIn0, kIn1, kIn2, kOut, kScratch, kScratchSize, kActMin, kActMax, kWeight,
  kWeightSize, kBias, kQuant, kSteps, kP0, kP1, kP2, kP3, kP4
};

// Model data, format v1, built field by field.
struct BlobBuilder {
  using Record = std::array<std::int32_t, TNN_OP_WORDS>;
  std::vector<std::array<std::int32_t, TNN_TENSOR_WORDS>> tensors;
  std::vector<Record> ops;
  std::vector<std::int32_t> data32;
  std::vector<std::uint8_t> data8;
  std::int32_t input = 0, output = 0, arena = 0;

  int tensor(int h, int w, int c, int zero_point, int offset) {
    tensors.push_back({h, w, c, zero_point, offset});
    return int(tensors.size()) - 1;
  }
  std::int32_t add32(const std::vector<std::int32_t>& v) {
    const auto at = std::int32_t(data32.size());
    data32.insert(data32.end(), v.begin(), v.end());
    return at;
  }
  template <typename T>
  std::int32_t add8(const std::vector<T>& v) {
    static_assert(sizeof(T) == 1, "bytes");
    const auto at = std::int32_t(data8.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
    data8.insert(data8.end(), p, p + v.size());
    return at;
  }
  // A record with no data, no scratch and the full activation range.
  Record& op(int kind, const std::vector<int>& inputs, int out) {
    Record r{};
    r[kKind] = kind;
    r[kIn0] = r[kIn1] = r[kIn2] = -1;
    for (std::size_t k = 0; k < inputs.size(); ++k) r[kIn0 + k] = inputs[k];
    r[kOut] = out;
    r[kActMin] = -128;
    r[kActMax] = 127;
    r[kWeight] = r[kBias] = r[kQuant] = r[kSteps] = -1;
    ops.push_back(r);
    return ops.back();
  }
  Blob build() const {
    std::vector<std::int32_t> w(TNN_MODEL_HEADER_WORDS, 0);
    for (const auto& t : tensors) w.insert(w.end(), t.begin(), t.end());
    for (const auto& r : ops) w.insert(w.end(), r.begin(), r.end());
    const auto data32_offset = std::int32_t(4 * w.size());
    w.insert(w.end(), data32.begin(), data32.end());
    const auto data8_offset = std::int32_t(4 * w.size());
    Blob b(w.begin(), w.end());
    b.resize(b.size() + (data8.size() + 3) / 4, 0);
    std::memcpy(reinterpret_cast<std::uint8_t*>(b.data()) + data8_offset, data8.data(), data8.size());
    const std::uint8_t magic[4] = {'T', 'N', 'N', 'M'};
    std::memcpy(&b[0], magic, 4);
    b[1] = TNN_MODEL_VERSION;
    b[2] = size_of(b);
    b[4] = std::uint32_t(ops.size());
    b[5] = std::uint32_t(tensors.size());
    b[6] = std::uint32_t(input);
    b[7] = std::uint32_t(output);
    b[8] = std::uint32_t(arena);
    b[9] = std::uint32_t(data32_offset);
    b[10] = std::uint32_t(data8_offset);
    fix_crc(b);
    return b;
  }
};

std::vector<std::int32_t> concat(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
  std::vector<std::int32_t> v = a;
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

std::vector<std::int32_t> random_bias(int n, std::mt19937& gen) {
  std::vector<std::int32_t> b(static_cast<std::size_t>(n));
  for (auto& x : b) x = std::uniform_int_distribution<int>(-800, 800)(gen);
  return b;
}

// Zeroes about half of the blocks of a rows x row_len tensor.
void prune(std::vector<std::int8_t>& w, int rows, int row_len, int block, std::mt19937& gen) {
  const int bpr = (row_len + block - 1) / block;
  for (int r = 0; r < rows; ++r)
    for (int b = 0; b < bpr; ++b)
      if (gen() % 2 == 0)
        for (int j = b * block; j < std::min(row_len, (b + 1) * block); ++j) w[std::size_t(r * row_len + j)] = 0;
}

tnn_quant step(double real) {
  const auto m = tt::quantize_multiplier(real);
  return {m.multiplier, m.shift};
}
std::vector<std::int32_t> steps_data(const std::vector<tnn_quant>& s) {
  std::vector<std::int32_t> v;
  for (const auto& q : s) {
    v.push_back(q.multiplier);
    v.push_back(q.shift);
  }
  return v;
}

// Runs a blob: init, the input copied in, invoke; returns the output (empty, after a
// failure, when init rejects the blob or the input size disagrees: nothing runs then).
std::vector<std::int8_t> run_model(const Blob& blob, const std::vector<std::int8_t>& x) {
  tnn_model m;
  const tnn_status init = tnn_model_init(&m, blob.data(), size_of(blob));
  EXPECT_EQ(init, TNN_OK);
  if (init != TNN_OK) return {};
  EXPECT_EQ(tnn_model_input_size(&m), std::int32_t(x.size()));
  if (tnn_model_input_size(&m) != std::int32_t(x.size())) return {};
  std::vector<std::uint32_t> arena(std::size_t(tnn_model_arena_size(&m)) / 4, 0xA5A5A5A5u);
  std::memcpy(tnn_model_input(&m, arena.data()), x.data(), x.size());
  EXPECT_EQ(tnn_model_invoke(&m, arena.data(), tnn_model_arena_size(&m)), TNN_OK);
  const std::int8_t* y = tnn_model_output(&m, arena.data());
  return std::vector<std::int8_t>(y, y + tnn_model_output_size(&m));
}

// ---- a small CNN: conv 3x3 (ReLU) -> depthwise 3x3 /2 -> max, avg, mixed pools -> global
// average -> linear. Arena buffers are reused once dead (ping-pong at 0 and 192); the
// tensors end at 704 (t1), the scratch of the conv and the linear lies at kScratchAt, past
// them, and the arena ends with the larger of the two.
struct Cnn {
  static constexpr int kIn = -5, kConv = -20, kDw = 3, kGap = 3, kOut = 7;  // zero points
  static constexpr int kScratchAt = 704;

  // The scratch each kernel asks for (the interpreter runs the fast kernels): conv 3x3 on
  // 3 channels, K = 27: dense 4K = 108, coded 8K = 216; depthwise none; linear 8 -> 10:
  // dense 4 * 8 = 32, coded 8 * 8 = 64.
  static std::int32_t conv_scratch(bool sparse) {
    const tnn_dims i{1, 8, 8, 3}, f{8, 3, 3, 3};
    return sparse ? tnn_conv_sparse_s8_get_buffer_size(&i, &f, 1) : tnn_conv_s8_get_buffer_size(&i, &f);
  }
  static std::int32_t depthwise_scratch(bool sparse) {
    const tnn_dims i{1, 8, 8, 8}, f{8, 3, 3, 1};
    return sparse ? tnn_conv_sparse_s8_get_buffer_size(&i, &f, 8) : tnn_conv_s8_get_buffer_size(&i, &f);
  }
  static std::int32_t linear_scratch(bool sparse) {
    const tnn_dims f{10, 1, 1, 8};
    return sparse ? tnn_linear_sparse_s8_get_buffer_size(&f) : tnn_linear_s8_get_buffer_size(&f);
  }
  // 920 coded, 812 dense
  static std::int32_t arena_size(bool sparse) {
    return kScratchAt + std::max({conv_scratch(sparse), depthwise_scratch(sparse), linear_scratch(sparse)});
  }

  std::vector<std::int8_t> x, w0, w1, w6;
  std::vector<std::int32_t> b0, b1, b6;
  tt::ChannelQuant q0, q1, q6;

  explicit Cnn(std::mt19937& gen)
      : x(tt::random_int8(8 * 8 * 3, gen)), w0(tt::random_int8(8 * 3 * 3 * 3, gen)),
        w1(tt::random_int8(8 * 3 * 3, gen)), w6(tt::random_int8(10 * 8, gen)), b0(random_bias(8, gen)),
        b1(random_bias(8, gen)), b6(random_bias(10, gen)), q0(8, gen), q1(8, gen), q6(10, gen) {
    prune(w0, 8, 27, 4, gen);   // OHWI: 8 rows of 27
    prune(w1, 24, 3, 3, gen);   // depthwise: C*kh rows of kw
    prune(w6, 10, 8, 2, gen);   // linear: 10 rows of 8
  }

  Blob blob(bool sparse) const {
    BlobBuilder b;
    const int t0 = b.tensor(8, 8, 3, kIn, 0), t1 = b.tensor(8, 8, 8, kConv, 192),
              t2 = b.tensor(4, 4, 8, kDw, 0), t3 = b.tensor(3, 3, 8, kDw, 192),
              t4 = b.tensor(3, 3, 8, kDw, 0), t5 = b.tensor(2, 2, 8, kDw, 192),
              t6 = b.tensor(1, 1, 8, kGap, 0), t7 = b.tensor(1, 1, 10, kOut, 192);
    b.input = t0;
    b.output = t7;
    b.arena = arena_size(sparse);
    // an op's scratch, when its kernel asks for one (every size here is a multiple of 4)
    auto scratch = [&](BlobBuilder::Record& r, std::int32_t bytes) {
      if (bytes > 0) r[kScratch] = kScratchAt, r[kScratchSize] = bytes;
    };
    auto weights = [&](BlobBuilder::Record& r, const std::vector<std::int8_t>& w, int rows, int row_len,
                       int block) {
      if (sparse) {
        const auto coded = tinynas::cost::rle_encode(w.data(), rows, row_len, block);
        r[kFlags] = TNN_OP_FLAG_SPARSE | (block << 8);
        r[kWeight] = b.add8(coded);
        r[kWeightSize] = std::int32_t(coded.size());
      } else {
        r[kWeight] = b.add8(w);
        r[kWeightSize] = std::int32_t(w.size());
      }
    };
    {
      auto& r = b.op(TNN_OP_CONV, {t0}, t1);
      r[kP0] = 3, r[kP1] = 3, r[kP2] = 1, r[kP3] = 1, r[kP4] = 1;
      r[kActMin] = kConv;  // fused ReLU
      weights(r, w0, 8, 27, 4);
      r[kBias] = b.add32(b0);
      r[kQuant] = b.add32(concat(q0.mult, q0.shift));
      scratch(r, conv_scratch(sparse));
    }
    {
      auto& r = b.op(TNN_OP_CONV, {t1}, t2);
      r[kP0] = 3, r[kP1] = 3, r[kP2] = 2, r[kP3] = 1, r[kP4] = 8;
      weights(r, w1, 24, 3, 3);
      r[kBias] = b.add32(b1);
      r[kQuant] = b.add32(concat(q1.mult, q1.shift));
      scratch(r, depthwise_scratch(sparse));
    }
    {
      auto& r = b.op(TNN_OP_MAX_POOL, {t2}, t3);
      r[kP0] = 2, r[kP1] = 2, r[kP2] = 1, r[kP3] = 0;
    }
    {
      auto& r = b.op(TNN_OP_AVG_POOL, {t3}, t4);
      r[kP0] = 3, r[kP1] = 3, r[kP2] = 1, r[kP3] = 1;
    }
    {
      auto& r = b.op(TNN_OP_MIXED_POOL, {t4}, t5);
      r[kP0] = 2, r[kP1] = 2, r[kP2] = 2, r[kP3] = 1;
    }
    b.op(TNN_OP_GLOBAL_AVG_POOL, {t5}, t6);
    {
      auto& r = b.op(TNN_OP_LINEAR, {t6}, t7);
      weights(r, w6, 10, 8, 2);
      r[kBias] = b.add32(b6);
      r[kQuant] = b.add32(concat(q6.mult, q6.shift));
      scratch(r, linear_scratch(sparse));
    }
    return b.build();
  }

  // The same ops through the dense reference kernels, each tensor in its own buffer.
  std::vector<std::int8_t> reference() const {
    std::vector<std::int8_t> y1(512), y2(128), y3(72), y4(72), y5(32), y6(8), y7(10);
    const auto p0q = q0.view(), p1q = q1.view(), p6q = q6.view();
    {
      const tnn_conv_params p{-kIn, kConv, {1, 1}, {1, 1}, 1, {kConv, 127}};
      const tnn_dims i{1, 8, 8, 3}, f{8, 3, 3, 3}, o{1, 8, 8, 8};
      EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &p0q, &i, x.data(), &f, w0.data(), b0.data(), &o, y1.data()), TNN_OK);
    }
    {
      const tnn_conv_params p{-kConv, kDw, {2, 2}, {1, 1}, 8, {-128, 127}};
      const tnn_dims i{1, 8, 8, 8}, f{8, 3, 3, 1}, o{1, 4, 4, 8};
      EXPECT_EQ(tnn_conv_s8_ref(nullptr, &p, &p1q, &i, y1.data(), &f, w1.data(), b1.data(), &o, y2.data()), TNN_OK);
    }
    {
      const tnn_pool_params p{TNN_POOL_MAX, {2, 2}, {1, 1}, {0, 0}, {-128, 127}};
      const tnn_dims i{1, 4, 4, 8}, o{1, 3, 3, 8};
      EXPECT_EQ(tnn_pool_s8(&p, &i, y2.data(), &o, y3.data()), TNN_OK);
    }
    {
      const tnn_pool_params p{TNN_POOL_AVG, {3, 3}, {1, 1}, {1, 1}, {-128, 127}};
      const tnn_dims i{1, 3, 3, 8}, o{1, 3, 3, 8};
      EXPECT_EQ(tnn_pool_s8(&p, &i, y3.data(), &o, y4.data()), TNN_OK);
    }
    {
      const tnn_pool_params p{TNN_POOL_MIXED, {2, 2}, {2, 2}, {1, 1}, {-128, 127}};
      const tnn_dims i{1, 3, 3, 8}, o{1, 2, 2, 8};
      EXPECT_EQ(tnn_pool_s8(&p, &i, y4.data(), &o, y5.data()), TNN_OK);
    }
    {
      const tnn_dims i{1, 2, 2, 8};
      EXPECT_EQ(tnn_global_avg_pool_s8(&i, y5.data(), y6.data()), TNN_OK);
    }
    {
      const tnn_linear_params p{-kGap, kOut, {-128, 127}};
      const tnn_dims i{1, 1, 1, 8}, f{10, 1, 1, 8}, o{1, 1, 1, 10};
      EXPECT_EQ(tnn_linear_s8_ref(nullptr, &p, &p6q, &i, y6.data(), &f, w6.data(), b6.data(), &o, y7.data()), TNN_OK);
    }
    return y7;
  }
};

// ---- a transformer-ish model on a 4x4x8 map (16 tokens): q, k, v linears (k coded),
// softmax and ReLU-linear attention, their sum, LayerNorm, sequence pooling. The tensors
// end at 768; every scratch lies at kScratchAt, past them.
struct Transformer {
  static constexpr int kIn = 2, kQ = -3, kK = 5, kV = 1, kSm = -2, kRl = 4, kAdd = 0, kLn = -1, kSp = 6;
  static constexpr int kScratchAt = 768;
  // The scratch each kernel asks for, on 16 tokens of 8 features, 2 heads: linear dense
  // 4 * 8 = 32, coded 8 * 8 = 64; softmax attention 8 * 16 keys = 128 (below); ReLU-linear attention
  // 2 * 4 * 4 = 32; seq_pool 4 * 16 = 64. Softmax attention also packs a head's V:
  // 8 key pairs x 2 channel pairs x 8 = 128 more, 256 in all.
  static std::int32_t linear_scratch(bool sparse) {
    const tnn_dims f{8, 1, 1, 8};
    return sparse ? tnn_linear_sparse_s8_get_buffer_size(&f) : tnn_linear_s8_get_buffer_size(&f);
  }
  static std::int32_t softmax_scratch() {
    const tnn_dims k{1, 4, 4, 8};
    return tnn_attention_s8_get_buffer_size(&k, &k, 2);
  }
  static std::int32_t relu_linear_scratch() {
    const tnn_dims q{1, 4, 4, 8};
    return tnn_linear_attention_s8_get_buffer_size(&q, &q, 2);
  }
  static std::int32_t seq_pool_scratch() {
    const tnn_dims x{1, 4, 4, 8};
    return tnn_seq_pool_s8_get_buffer_size(&x);
  }
  std::vector<std::int8_t> x, wq, wk, wv, gamma, wsp;
  std::vector<std::int32_t> bq, bk, bv, beta;
  tt::ChannelQuant qq, qk, qv, qln;
  tnn_quant sm_score = step(0.3), sm_out = step(2.0 / 256), rl_kv = step(1.0 / 64), rl_out = step(0.002),
            add1 = step(0.5), add2 = step(0.4), add_out = step(1.0 / (1 << 21)), sp_score = step(0.1),
            sp_out = step(1.0 / 256);

  explicit Transformer(std::mt19937& gen)
      : x(tt::random_int8(128, gen)), wq(tt::random_int8(64, gen)), wk(tt::random_int8(64, gen)),
        wv(tt::random_int8(64, gen)), gamma(tt::random_int8(8, gen)), wsp(tt::random_int8(8, gen)),
        bq(random_bias(8, gen)), bk(random_bias(8, gen)), bv(random_bias(8, gen)), beta(random_bias(8, gen)),
        qq(8, gen), qk(8, gen), qv(8, gen), qln(8, gen) {
    prune(wk, 8, 8, 4, gen);
  }

  Blob blob() const {
    BlobBuilder b;
    const int t0 = b.tensor(4, 4, 8, kIn, 0), t1 = b.tensor(4, 4, 8, kQ, 128), t2 = b.tensor(4, 4, 8, kK, 256),
              t3 = b.tensor(4, 4, 8, kV, 384), t4 = b.tensor(4, 4, 8, kSm, 512), t5 = b.tensor(4, 4, 8, kRl, 640),
              t6 = b.tensor(4, 4, 8, kAdd, 0), t7 = b.tensor(4, 4, 8, kLn, 128), t8 = b.tensor(1, 1, 8, kSp, 256);
    b.input = t0;
    b.output = t8;
    // 896: the softmax's scratch is the largest
    b.arena = kScratchAt + std::max({linear_scratch(false), linear_scratch(true), softmax_scratch(),
                                     relu_linear_scratch(), seq_pool_scratch()});
    auto linear = [&](int in, int out, const std::vector<std::int8_t>& w, const std::vector<std::int32_t>& bias,
                      const tt::ChannelQuant& q, bool sparse) {
      auto& r = b.op(TNN_OP_LINEAR, {in}, out);
      if (sparse) {
        const auto coded = tinynas::cost::rle_encode(w.data(), 8, 8, 4);
        r[kFlags] = TNN_OP_FLAG_SPARSE | (4 << 8);
        r[kWeight] = b.add8(coded);
        r[kWeightSize] = std::int32_t(coded.size());
      } else {
        r[kWeight] = b.add8(w);
        r[kWeightSize] = std::int32_t(w.size());
      }
      r[kBias] = b.add32(bias);
      r[kQuant] = b.add32(concat(q.mult, q.shift));
      r[kScratch] = kScratchAt, r[kScratchSize] = linear_scratch(sparse);
    };
    linear(t0, t1, wq, bq, qq, false);
    linear(t0, t2, wk, bk, qk, true);
    linear(t0, t3, wv, bv, qv, false);
    {
      auto& r = b.op(TNN_OP_ATTENTION_SOFTMAX, {t1, t2, t3}, t4);
      r[kP0] = 2;
      r[kSteps] = b.add32(steps_data({sm_score, sm_out}));
      r[kScratch] = kScratchAt, r[kScratchSize] = softmax_scratch();
    }
    {
      auto& r = b.op(TNN_OP_ATTENTION_RELU_LINEAR, {t1, t2, t3}, t5);
      r[kP0] = 2;
      r[kSteps] = b.add32(steps_data({rl_kv, rl_out}));
      r[kScratch] = kScratchAt, r[kScratchSize] = relu_linear_scratch();
    }
    {
      auto& r = b.op(TNN_OP_ADD, {t4, t5}, t6);
      r[kP0] = 20;
      r[kSteps] = b.add32(steps_data({add1, add2, add_out}));
    }
    {
      auto& r = b.op(TNN_OP_LAYER_NORM, {t6}, t7);
      r[kWeight] = b.add8(gamma);
      r[kWeightSize] = 8;
      r[kBias] = b.add32(beta);
      r[kQuant] = b.add32(concat(qln.mult, qln.shift));
    }
    {
      auto& r = b.op(TNN_OP_SEQ_POOL, {t7}, t8);
      r[kWeight] = b.add8(wsp);
      r[kWeightSize] = 8;
      r[kSteps] = b.add32(steps_data({sp_score, sp_out}));
      r[kScratch] = kScratchAt, r[kScratchSize] = seq_pool_scratch();
    }
    return b.build();
  }

  std::vector<std::int8_t> reference() const {
    std::vector<std::int8_t> q(128), k(128), v(128), sm(128), rl(128), sum(128), ln(128), out(8);
    std::vector<std::int32_t> scratch(64);
    const tnn_context ctx{scratch.data(), 256};
    const tnn_dims seq{1, 16, 1, 8}, f{8, 1, 1, 8};
    auto linear = [&](const std::vector<std::int8_t>& w, const std::vector<std::int32_t>& bias,
                      const tt::ChannelQuant& cq, int zp, std::vector<std::int8_t>& y) {
      const tnn_linear_params p{-kIn, zp, {-128, 127}};
      const auto pq = cq.view();
      EXPECT_EQ(tnn_linear_s8_ref(nullptr, &p, &pq, &seq, x.data(), &f, w.data(), bias.data(), &seq, y.data()), TNN_OK);
    };
    linear(wq, bq, qq, kQ, q);
    linear(wk, bk, qk, kK, k);
    linear(wv, bv, qv, kV, v);
    {
      const tnn_attention_params p{-kQ, -kK, -kV, kSm, 2, sm_score, sm_out, {-128, 127}};
      EXPECT_EQ(tnn_attention_softmax_s8_ref(&ctx, &p, &seq, q.data(), &seq, k.data(), &seq, v.data(), &seq, sm.data()),
                TNN_OK);
    }
    {
      const tnn_linear_attention_params p{-kQ, -kK, -kV, kRl, 2, rl_kv, rl_out, {-128, 127}};
      EXPECT_EQ(
          tnn_attention_relu_linear_s8(&ctx, &p, &seq, q.data(), &seq, k.data(), &seq, v.data(), &seq, rl.data()),
          TNN_OK);
    }
    {
      const tnn_add_params p{-kSm, -kRl, add1, add2, 20, add_out, kAdd, {-128, 127}};
      EXPECT_EQ(tnn_add_s8_ref(&p, sm.data(), rl.data(), 128, sum.data()), TNN_OK);
    }
    {
      const tnn_layer_norm_params p{kLn, {-128, 127}};
      const auto pq = qln.view();
      const tnn_dims d{1, 4, 4, 8};
      EXPECT_EQ(tnn_layer_norm_s8(&p, &pq, &d, sum.data(), gamma.data(), beta.data(), ln.data()), TNN_OK);
    }
    {
      const tnn_seq_pool_params p{-kLn, kSp, sp_score, sp_out, {-128, 127}};
      EXPECT_EQ(tnn_seq_pool_s8(&ctx, &p, &seq, ln.data(), wsp.data(), out.data()), TNN_OK);
    }
    return out;
  }
};

}  // namespace

TEST(ModelCrc, KnownVectors) {
  auto crc = [](const std::string& s) {
    return tnn_crc32(reinterpret_cast<const std::uint8_t*>(s.data()), std::uint32_t(s.size()));
  };
  EXPECT_EQ(crc(""), 0u);
  EXPECT_EQ(crc("a"), 0xE8B7BE43u);
  EXPECT_EQ(crc("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  const std::vector<std::uint8_t> zeros(32, 0);
  EXPECT_EQ(tnn_crc32(zeros.data(), 32), 0x190A55ADu);
}

TEST(ModelRun, CnnMatchesKernelsDenseAndCoded) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 gen(seed);
    const Cnn net(gen);
    const auto want = net.reference();
    EXPECT_EQ(run_model(net.blob(false), net.x), want);
    EXPECT_EQ(run_model(net.blob(true), net.x), want);
  }
}

TEST(ModelRun, TransformerMatchesKernels) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 gen(seed);
    const Transformer net(gen);
    EXPECT_EQ(run_model(net.blob(), net.x), net.reference());
  }
}

TEST(ModelRun, Accessors) {
  std::mt19937 gen(3);
  const Cnn net(gen);
  const Blob blob = net.blob(true);
  tnn_model m;
  ASSERT_EQ(tnn_model_init(&m, blob.data(), size_of(blob)), TNN_OK);
  EXPECT_EQ(tnn_model_arena_size(&m), 920);  // tensors to 704, then the coded conv's 216-byte scratch
  EXPECT_EQ(tnn_model_input_size(&m), 192);
  EXPECT_EQ(tnn_model_output_size(&m), 10);
  EXPECT_EQ(tnn_model_input_zero_point(&m), Cnn::kIn);
  std::vector<std::uint32_t> arena(192);
  auto* base = reinterpret_cast<std::int8_t*>(arena.data());
  EXPECT_EQ(tnn_model_input(&m, arena.data()), base);
  EXPECT_EQ(tnn_model_output(&m, arena.data()), base + 192);
  const std::int8_t v[] = {3, -7, 9, 9, -128, 2};
  EXPECT_EQ(tnn_argmax_s8(v, 6), 2);
  EXPECT_EQ(tnn_argmax_s8(v, 2), 0);
  EXPECT_EQ(tnn_argmax_s8(v + 4, 1), 0);
  EXPECT_EQ(tnn_argmax_s8(v, 0), -1);
}

TEST(ModelInit, ArgumentAndArenaErrors) {
  std::mt19937 gen(4);
  const Cnn net(gen);
  const Blob blob = net.blob(false);
  tnn_model m;
  EXPECT_EQ(tnn_model_init(nullptr, blob.data(), size_of(blob)), TNN_ERR_ARG);
  EXPECT_EQ(tnn_model_init(&m, nullptr, size_of(blob)), TNN_ERR_ARG);
  std::vector<std::uint8_t> shifted(size_of(blob) + 4);
  std::memcpy(shifted.data() + 1, blob.data(), size_of(blob));
  EXPECT_EQ(tnn_model_init(&m, shifted.data() + 1, size_of(blob)), TNN_ERR_ARG);
  ASSERT_EQ(tnn_model_init(&m, blob.data(), size_of(blob)), TNN_OK);
  const std::int32_t need = 812;  // tensors to 704, then the dense conv's 108-byte scratch
  ASSERT_EQ(tnn_model_arena_size(&m), need);
  std::vector<std::uint32_t> arena(std::size_t(need) / 4 + 1);
  EXPECT_EQ(tnn_model_invoke(nullptr, arena.data(), need), TNN_ERR_ARG);
  EXPECT_EQ(tnn_model_invoke(&m, nullptr, need), TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_model_invoke(&m, reinterpret_cast<std::uint8_t*>(arena.data()) + 2, need), TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_model_invoke(&m, arena.data(), need - 4), TNN_ERR_BUFFER);
  EXPECT_EQ(tnn_model_invoke(&m, arena.data(), need + 4), TNN_OK);
}

namespace {

struct Corruption {
  const char* name;
  std::function<void(Blob&)> apply;
  bool fix_crc = true;
};

void expect_rejected(const Blob& base, const std::vector<Corruption>& cases) {
  tnn_model m;
  ASSERT_EQ(tnn_model_init(&m, base.data(), size_of(base)), TNN_OK);
  for (const auto& c : cases) {
    Blob b = base;
    c.apply(b);
    if (c.fix_crc) fix_crc(b);
    EXPECT_EQ(tnn_model_init(&m, b.data(), size_of(b)), TNN_ERR_MODEL) << c.name;
  }
}

std::uint8_t* byte_at(Blob& b, std::size_t offset) { return reinterpret_cast<std::uint8_t*>(b.data()) + offset; }

}  // namespace

TEST(ModelInit, RejectsCorruptCnn) {
  std::mt19937 gen(5);
  const Cnn net(gen);
  const Blob sparse = net.blob(true);
  // Cnn: tensors t0..t7, ops 0 conv, 1 depthwise, 2 max, 3 avg, 4 mixed, 5 gap, 6 linear.
  // Coded: arena 920; tensors t0 [0, 192), t1 [192, 704), ..., t6 [0, 8), t7 [192, 202);
  // op 0's scratch [704, 920), op 6's [704, 768).
  auto T = [](Blob& b, int t, int f) -> std::uint32_t& { return b[tensor_word(b, t, f)]; };
  auto O = [](Blob& b, int op, int f) -> std::uint32_t& { return b[op_word(b, op, f)]; };
  auto D32 = [](Blob& b, std::int32_t i) -> std::uint32_t& { return b[data32_word(b, i)]; };
  const std::int32_t data32_count = std::int32_t(sparse[10] - sparse[9]) / 4;
  const std::int32_t data8_size = std::int32_t(size_of(sparse) - sparse[10]);
  const std::vector<Corruption> cases = {
      {"magic", [](Blob& b) { b[0] ^= 1u; }},
      {"version", [](Blob& b) { b[1] = 2; }},
      {"size word", [](Blob& b) { b[2] += 4; }},
      {"crc", [](Blob& b) { *byte_at(b, 200) ^= 0x10; }, false},
      {"crc word", [](Blob& b) { b[3] ^= 0x80000000u; }, false},
      {"no ops", [](Blob& b) { b[4] = 0; }},
      {"op count past the blob", [](Blob& b) { b[4] = 100000; }},
      {"tensor count", [](Blob& b) { b[5] += 1; }},
      {"input index", [](Blob& b) { b[6] = 8; }},
      {"output index", [](Blob& b) { b[7] = 0xFFFFFFFFu; }},
      {"output tensor is the input", [](Blob& b) { b[7] = 0; }},
      {"input tensor produced by an op", [](Blob& b) { b[6] = 1; }},
      {"arena misaligned", [](Blob& b) { b[8] += 2; }},
      {"arena too small for a tensor", [](Blob& b) { b[8] = 700; }},
      {"arena too small for a scratch", [](Blob& b) { b[8] -= 4; }},  // still holds every tensor
      {"data32 offset", [](Blob& b) { b[9] += 4; }},
      {"data8 offset misaligned", [](Blob& b) { b[10] += 1; }},
      {"data8 offset before data32", [](Blob& b) { b[10] = b[9] - 4; }},
      {"data8 offset past the end", [](Blob& b) { b[10] = b[2] + 4; }},
      {"reserved header word", [](Blob& b) { b[11] = 1; }},
      {"tensor side 0", [&](Blob& b) { T(b, 2, 0) = 0; }},
      {"tensor side too large", [&](Blob& b) { T(b, 2, 1) = 70000; }},
      {"tensor zero point", [&](Blob& b) { T(b, 0, 3) = 128; }},
      {"tensor outside the arena", [&](Blob& b) { T(b, 7, 4) = b[8] - 8; }},  // 10 bytes
      {"tensor offset negative", [&](Blob& b) { T(b, 7, 4) = std::uint32_t(-4); }},
      {"conv output shape", [&](Blob& b) { T(b, 1, 0) = 7; }},
      {"gap output channels", [&](Blob& b) { T(b, 6, 2) = 9; }},
      {"pool output shape", [&](Blob& b) { T(b, 3, 1) = 2; }},
      {"output overlapping the input", [&](Blob& b) { T(b, 1, 4) = 0; }},
      {"op kind", [&](Blob& b) { O(b, 3, kKind) = TNN_OP_KIND_COUNT; }},
      {"op kind negative", [&](Blob& b) { O(b, 3, kKind) = std::uint32_t(-1); }},
      {"op input index", [&](Blob& b) { O(b, 2, kIn0) = 8; }},
      {"op extra input", [&](Blob& b) { O(b, 2, kIn1) = 0; }},
      {"op output index", [&](Blob& b) { O(b, 6, kOut) = 8; }},
      {"scratch too small", [&](Blob& b) { O(b, 0, kScratchSize) -= 4; }},
      {"coded linear scratch too small", [&](Blob& b) { O(b, 6, kScratchSize) -= 4; }},
      {"scratch missing", [&](Blob& b) { O(b, 0, kScratch) = 0, O(b, 0, kScratchSize) = 0; }},
      // [706, 770): inside the arena, clear of t6 and t7
      {"scratch misaligned", [&](Blob& b) { O(b, 6, kScratch) += 2; }},
      {"scratch outside the arena", [&](Blob& b) { O(b, 0, kScratch) += 4; }},
      {"scratch overlapping the output", [&](Blob& b) { O(b, 0, kScratch) = 640; }},  // t1
      {"scratch overlapping the input", [&](Blob& b) { O(b, 6, kScratch) = 0; }},     // t6 only
      {"scratch overlapping the output only", [&](Blob& b) { O(b, 6, kScratch) = 160; }},  // t7
      {"scratch size negative", [&](Blob& b) { O(b, 0, kScratchSize) = std::uint32_t(-4); }},
      {"activation min > max", [&](Blob& b) { O(b, 0, kActMin) = 10, O(b, 0, kActMax) = 5; }},
      {"activation max", [&](Blob& b) { O(b, 1, kActMax) = 128; }},
      {"gap with an activation", [&](Blob& b) { O(b, 5, kActMin) = 0; }},
      {"weight offset past data8", [&](Blob& b) { O(b, 6, kWeight) = std::uint32_t(data8_size - 1); }},
      {"weight offset negative", [&](Blob& b) { O(b, 6, kWeight) = std::uint32_t(-2); }},
      {"weights missing", [&](Blob& b) { O(b, 6, kWeight) = std::uint32_t(-1); }},
      {"weights on a pool", [&](Blob& b) { O(b, 2, kWeight) = 0, O(b, 2, kWeightSize) = 4; }},
      {"weight size without weights", [&](Blob& b) { O(b, 5, kWeightSize) = 4; }},
      {"coded stream count",
       [&](Blob& b) { *byte_at(b, b[10] + O(b, 0, kWeight)) ^= 1; }},
      {"coded stream size", [&](Blob& b) { O(b, 6, kWeightSize) -= 1; }},
      {"coded stream skip past the tensor",
       [&](Blob& b) { *byte_at(b, b[10] + O(b, 6, kWeight) + 4) = 0xFF; }},
      {"flags: unknown bit", [&](Blob& b) { O(b, 0, kFlags) |= 2; }},
      {"flags: coded with block 0", [&](Blob& b) { O(b, 0, kFlags) = TNN_OP_FLAG_SPARSE; }},
      {"flags: block without coding", [&](Blob& b) { O(b, 2, kFlags) = 4 << 8; }},
      {"flags: coded pool", [&](Blob& b) { O(b, 2, kFlags) = TNN_OP_FLAG_SPARSE | (2 << 8); }},
      {"flags: block size changed", [&](Blob& b) { O(b, 0, kFlags) = TNN_OP_FLAG_SPARSE | (5 << 8); }},
      {"bias past data32", [&](Blob& b) { O(b, 6, kBias) = std::uint32_t(data32_count - 5); }},
      {"bias on a pool", [&](Blob& b) { O(b, 3, kBias) = 0; }},
      {"quant missing", [&](Blob& b) { O(b, 0, kQuant) = std::uint32_t(-1); }},
      {"quant past data32", [&](Blob& b) { O(b, 6, kQuant) = std::uint32_t(data32_count - 19); }},
      {"steps on a conv", [&](Blob& b) { O(b, 0, kSteps) = 0; }},
      {"shift too large", [&](Blob& b) { D32(b, std::int32_t(O(b, 0, kQuant)) + 8) = 31; }},
      {"shift too small", [&](Blob& b) { D32(b, std::int32_t(O(b, 1, kQuant)) + 9) = std::uint32_t(-32); }},
      {"multiplier negative", [&](Blob& b) { D32(b, std::int32_t(O(b, 6, kQuant)) + 2) = std::uint32_t(-5); }},
      {"bias overflowing the accumulator", [&](Blob& b) { D32(b, std::int32_t(O(b, 0, kBias)) + 1) = 0x7FFFFFF0u; }},
      {"requantization overflowing int32",
       [&](Blob& b) {
         D32(b, std::int32_t(O(b, 1, kQuant)) + 3) = 0x7FFFFFFFu;
         D32(b, std::int32_t(O(b, 1, kQuant)) + 8 + 3) = 30;
       }},
      {"conv kernel", [&](Blob& b) { O(b, 0, kP0) = 5; }},
      {"conv stride 0", [&](Blob& b) { O(b, 0, kP2) = 0; }},
      {"conv padding negative", [&](Blob& b) { O(b, 0, kP3) = std::uint32_t(-1); }},
      {"conv groups not dividing", [&](Blob& b) { O(b, 0, kP4) = 3; }},
      {"conv groups 0", [&](Blob& b) { O(b, 1, kP4) = 0; }},
      {"conv huge padding", [&](Blob& b) { O(b, 0, kP3) = 0x40000000u; }},
      {"pool window in the padding", [&](Blob& b) {
         // avg pool 1x1, stride 2, padding 1 on 3x3: the same 3x3 output shape
         O(b, 3, kP0) = 1, O(b, 3, kP1) = 1, O(b, 3, kP2) = 2, O(b, 3, kP3) = 1;
       }},
      {"pool stride 0", [&](Blob& b) { O(b, 2, kP2) = 0; }},
      {"pool reserved parameter", [&](Blob& b) { O(b, 2, kP4) = 1; }},
      {"linear reserved parameter", [&](Blob& b) { O(b, 6, kP0) = 1; }},
      {"gap reserved parameter", [&](Blob& b) { O(b, 5, kP3) = 1; }},
  };
  expect_rejected(sparse, cases);
  // size arguments that disagree with the blob
  tnn_model m;
  EXPECT_EQ(tnn_model_init(&m, sparse.data(), size_of(sparse) - 4), TNN_ERR_MODEL);
  EXPECT_EQ(tnn_model_init(&m, sparse.data(), size_of(sparse) - 1), TNN_ERR_MODEL);
  EXPECT_EQ(tnn_model_init(&m, sparse.data(), 0), TNN_ERR_MODEL);

  const Blob dense = net.blob(false);
  const std::int32_t dense_data8_size = std::int32_t(size_of(dense) - dense[10]);
  {
    // a scratch an op does not need may still be given, over bytes no live tensor holds
    Blob b = dense;
    b[op_word(b, 3, kScratch)] = 600, b[op_word(b, 3, kScratchSize)] = 8;
    fix_crc(b);
    EXPECT_EQ(tnn_model_init(&m, b.data(), size_of(b)), TNN_OK);
  }
  expect_rejected(dense, {
                             {"dense conv scratch too small", [&](Blob& b) { O(b, 0, kScratchSize) -= 4; }},
                             {"dense linear scratch too small", [&](Blob& b) { O(b, 6, kScratchSize) -= 4; }},
                             {"dense linear scratch missing",
                              [&](Blob& b) { O(b, 6, kScratch) = 0, O(b, 6, kScratchSize) = 0; }},
                             {"dense weight size", [&](Blob& b) { O(b, 6, kWeightSize) = 79; }},
                             {"dense weights past data8",
                              [&](Blob& b) { O(b, 6, kWeight) = std::uint32_t(dense_data8_size - 79); }},
                             {"unused scratch overlapping the input",
                              [&](Blob& b) { O(b, 1, kScratch) = 200, O(b, 1, kScratchSize) = 8; }},
                         });
}

TEST(ModelInit, RejectsCorruptTransformer) {
  std::mt19937 gen(6);
  const Transformer net(gen);
  const Blob blob = net.blob();
  // ops: 0 q, 1 k (coded), 2 v linear, 3 softmax, 4 relu-linear, 5 add, 6 layer_norm, 7 seq_pool
  auto T = [](Blob& b, int t, int f) -> std::uint32_t& { return b[tensor_word(b, t, f)]; };
  auto O = [](Blob& b, int op, int f) -> std::uint32_t& { return b[op_word(b, op, f)]; };
  auto D32 = [](Blob& b, std::int32_t i) -> std::uint32_t& { return b[data32_word(b, i)]; };
  const std::int32_t data32_count = std::int32_t(blob[10] - blob[9]) / 4;
  const std::vector<Corruption> cases = {
      {"heads not dividing", [&](Blob& b) { O(b, 3, kP0) = 3; }},
      {"heads 0", [&](Blob& b) { O(b, 4, kP0) = 0; }},
      {"attention input count", [&](Blob& b) { O(b, 3, kIn2) = std::uint32_t(-1); }},
      {"attention scratch too small", [&](Blob& b) { O(b, 3, kScratchSize) -= 4; }},  // 8 * 16 keys
      {"attention scratch of the old contract", [&](Blob& b) { O(b, 3, kScratchSize) = 64; }},  // 4 * 16
      {"linear attention scratch too small", [&](Blob& b) { O(b, 4, kScratchSize) -= 4; }},
      {"linear scratch too small", [&](Blob& b) { O(b, 0, kScratchSize) -= 4; }},
      {"coded linear scratch too small", [&](Blob& b) { O(b, 1, kScratchSize) -= 4; }},
      {"attention steps past data32", [&](Blob& b) { O(b, 3, kSteps) = std::uint32_t(data32_count - 2); }},
      {"attention steps missing", [&](Blob& b) { O(b, 4, kSteps) = std::uint32_t(-1); }},
      {"attention score shift", [&](Blob& b) { D32(b, std::int32_t(O(b, 3, kSteps)) + 1) = 31; }},
      {"attention value tokens", [&](Blob& b) { T(b, 3, 0) = 2; }},
      {"attention reserved parameter", [&](Blob& b) { O(b, 3, kP1) = 1; }},
      {"add left shift", [&](Blob& b) { O(b, 5, kP0) = 21; }},
      {"add one input", [&](Blob& b) { O(b, 5, kIn1) = std::uint32_t(-1); }},
      {"add steps overflowing int32",
       [&](Blob& b) {
         D32(b, std::int32_t(O(b, 5, kSteps)) + 4) = 0x7FFFFFFFu;
         D32(b, std::int32_t(O(b, 5, kSteps)) + 5) = 30;
       }},
      {"add multiplier negative", [&](Blob& b) { D32(b, std::int32_t(O(b, 5, kSteps))) = 0x80000000u; }},
      {"layer_norm bias missing", [&](Blob& b) { O(b, 6, kBias) = std::uint32_t(-1); }},
      {"layer_norm gamma size", [&](Blob& b) { O(b, 6, kWeightSize) = 7; }},
      {"layer_norm shift", [&](Blob& b) { D32(b, std::int32_t(O(b, 6, kQuant)) + 8) = 31; }},
      {"layer_norm output shape", [&](Blob& b) { T(b, 7, 0) = 2, T(b, 7, 1) = 8; }},
      {"seq_pool weight size", [&](Blob& b) { O(b, 7, kWeightSize) = 7; }},
      {"seq_pool scratch too small", [&](Blob& b) { O(b, 7, kScratchSize) -= 4; }},
      {"seq_pool output shape", [&](Blob& b) { T(b, 8, 2) = 4; }},
      {"seq_pool with a bias", [&](Blob& b) { O(b, 7, kBias) = 0; }},
      {"coded linear stream", [&](Blob& b) { O(b, 1, kFlags) = TNN_OP_FLAG_SPARSE | (2 << 8); }},
      // t4 (softmax output, at 512) is read by op 5; op 4 in between writes over it
      {"scratch over a live tensor", [&](Blob& b) { O(b, 4, kScratch) = 512; }},
      {"output over a live tensor", [&](Blob& b) { T(b, 5, 4) = 512; }},
  };
  expect_rejected(blob, cases);
}

TEST(ModelInit, RejectsBadDataFlow) {
  // two linears 4 -> 4 on one token (t0 input at 0, t1 at 4, t2 at `t2_offset`), their
  // scratch (4 * 4 bytes) at 12, past the tensors
  const tnn_dims f{4, 1, 1, 4};
  const std::int32_t scratch = tnn_linear_s8_get_buffer_size(&f);
  ASSERT_EQ(scratch, 16);
  auto build = [scratch](int op0_in, int op1_in, int op1_out, int output, int t2_offset) {
    BlobBuilder b;
    b.tensor(1, 1, 4, 0, 0);
    b.tensor(1, 1, 4, 0, 4);
    b.tensor(1, 1, 4, 0, t2_offset);
    b.input = 0;
    b.output = output;
    b.arena = 12 + scratch;
    const std::vector<std::int8_t> w(16, 1);
    const std::vector<std::int32_t> q = {1 << 30, 1 << 30, 1 << 30, 1 << 30, -4, -4, -4, -4};
    for (int i = 0; i < 2; ++i) {
      auto& r = b.op(TNN_OP_LINEAR, {i == 0 ? op0_in : op1_in}, i == 0 ? 1 : op1_out);
      r[kWeight] = b.add8(w);
      r[kWeightSize] = 16;
      r[kQuant] = b.add32(q);
      r[kScratch] = 12, r[kScratchSize] = scratch;
    }
    return b.build();
  };
  tnn_model m;
  const Blob chain = build(0, 1, 2, 2, 8);
  EXPECT_EQ(tnn_model_init(&m, chain.data(), size_of(chain)), TNN_OK);
  const Blob fork = build(0, 0, 2, 1, 8);  // both read the input, t1 is the output
  EXPECT_EQ(tnn_model_init(&m, fork.data(), size_of(fork)), TNN_OK);
  const Blob later = build(2, 1, 2, 2, 8);  // op 0 reads t2, which op 1 writes
  EXPECT_EQ(tnn_model_init(&m, later.data(), size_of(later)), TNN_ERR_MODEL);
  const Blob writes_input = build(0, 1, 0, 1, 8);  // op 1 writes the model input t0
  EXPECT_EQ(tnn_model_init(&m, writes_input.data(), size_of(writes_input)), TNN_ERR_MODEL);
  const Blob twice = build(0, 0, 1, 1, 8);  // t1 written twice
  EXPECT_EQ(tnn_model_init(&m, twice.data(), size_of(twice)), TNN_ERR_MODEL);
  const Blob unread = build(0, 0, 2, 2, 8);  // t1 produced, never read: fine
  EXPECT_EQ(tnn_model_init(&m, unread.data(), size_of(unread)), TNN_OK);
  const Blob clobbered = build(0, 0, 2, 1, 4);  // op 1 writes t2 over the output t1
  EXPECT_EQ(tnn_model_init(&m, clobbered.data(), size_of(clobbered)), TNN_ERR_MODEL);
  const Blob reused = build(0, 1, 2, 2, 0);  // t2 over the input, dead after op 0: fine
  EXPECT_EQ(tnn_model_init(&m, reused.data(), size_of(reused)), TNN_OK);
  const Blob input_clobbered = build(0, 0, 2, 2, 0);  // op 1 reads t0 and writes t2 over it
  EXPECT_EQ(tnn_model_init(&m, input_clobbered.data(), size_of(input_clobbered)), TNN_ERR_MODEL);
}

namespace {

// init must fail, or succeed with an invoke that succeeds. Returns false on a failure.
bool expect_safe(const std::uint32_t* data, std::uint32_t size, int& accepted) {
  tnn_model m;
  if (tnn_model_init(&m, data, size) != TNN_OK) return true;
  ++accepted;
  // a flipped arena size can be valid and large: run what fits a test's memory
  if (tnn_model_arena_size(&m) > (4 << 20)) return true;
  std::vector<std::uint32_t> arena(std::size_t(tnn_model_arena_size(&m)) / 4, 0);
  const tnn_status st = tnn_model_invoke(&m, arena.data(), tnn_model_arena_size(&m));
  EXPECT_EQ(st, TNN_OK);
  return st == TNN_OK;
}

void truncations_and_flips(const Blob& blob) {
  int accepted = 0;
  for (std::uint32_t n = 0; n < size_of(blob); ++n) {
    Blob cut((n + 3) / 4);
    if (n > 0) std::memcpy(cut.data(), blob.data(), n);
    ASSERT_TRUE(expect_safe(cut.data(), n, accepted)) << "truncated to " << n << " bytes";
  }
  EXPECT_EQ(accepted, 0) << "a truncated blob was accepted";
  const std::uint8_t flips[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
  for (std::uint32_t i = 0; i < size_of(blob); ++i) {
    for (std::uint8_t x : flips) {
      Blob b = blob;
      *byte_at(b, i) ^= x;
      fix_crc(b);
      ASSERT_TRUE(expect_safe(b.data(), size_of(b), accepted)) << "byte " << i << " ^ " << int(x);
    }
  }
  // flips in weights, biases and zero points leave a valid model
  EXPECT_GT(accepted, 0);
}

}  // namespace

TEST(ModelInit, TruncationsAndByteFlipsAreSafe) {
  std::mt19937 gen(7);
  const Cnn cnn(gen);
  const Transformer tf(gen);
  truncations_and_flips(cnn.blob(false));
  truncations_and_flips(cnn.blob(true));
  truncations_and_flips(tf.blob());
}

namespace {

// What a per-op hook saw: (op, phase) in call order, and the output tensor's bytes at the
// last op's TNN_HOOK_AFTER.
struct HookLog {
  const tnn_model* model = nullptr;
  const void* arena = nullptr;
  std::vector<std::pair<std::int32_t, std::int32_t>> calls;
  std::vector<std::int8_t> output_after_last;
};

void record_hook(void* user, std::int32_t op, std::int32_t phase) {
  auto* log = static_cast<HookLog*>(user);
  log->calls.emplace_back(op, phase);
  if (phase == TNN_HOOK_AFTER && op == log->model->op_count - 1) {
    const std::int8_t* y = tnn_model_output(log->model, log->arena);
    log->output_after_last.assign(y, y + tnn_model_output_size(log->model));
  }
}

}  // namespace

TEST(ModelRun, OpHookIsCalledAroundEachOpInOrder) {
  std::mt19937 gen(5);
  const Cnn cnn(gen);
  const Transformer tf(gen);
  const std::vector<std::pair<Blob, std::vector<std::int8_t>>> cases = {
      {cnn.blob(false), cnn.x}, {cnn.blob(true), cnn.x}, {tf.blob(), tf.x}};
  for (const auto& [blob, x] : cases) {
    tnn_model m;
    ASSERT_EQ(tnn_model_init(&m, blob.data(), size_of(blob)), TNN_OK);
    std::vector<std::uint32_t> arena(std::size_t(tnn_model_arena_size(&m)) / 4, 0xA5A5A5A5u);
    std::memcpy(tnn_model_input(&m, arena.data()), x.data(), x.size());
    HookLog log;
    log.model = &m;
    log.arena = arena.data();
    ASSERT_EQ(tnn_model_invoke_ops(&m, arena.data(), tnn_model_arena_size(&m), record_hook, &log), TNN_OK);
    std::vector<std::pair<std::int32_t, std::int32_t>> want;
    for (std::int32_t i = 0; i < m.op_count; ++i) {
      want.emplace_back(i, TNN_HOOK_BEFORE);
      want.emplace_back(i, TNN_HOOK_AFTER);
    }
    EXPECT_EQ(log.calls, want);
    // the hooked run computes what the plain one does, and the last op's output is in
    // place when its TNN_HOOK_AFTER call comes
    const std::int8_t* y = tnn_model_output(&m, arena.data());
    const std::vector<std::int8_t> got(y, y + tnn_model_output_size(&m));
    EXPECT_EQ(got, run_model(blob, x));
    EXPECT_EQ(log.output_after_last, got);
    // no hook: tnn_model_invoke
    std::memcpy(tnn_model_input(&m, arena.data()), x.data(), x.size());
    ASSERT_EQ(tnn_model_invoke_ops(&m, arena.data(), tnn_model_arena_size(&m), nullptr, &log), TNN_OK);
    EXPECT_EQ(std::vector<std::int8_t>(y, y + tnn_model_output_size(&m)), got);
    // failed argument checks: no call
    log.calls.clear();
    EXPECT_EQ(tnn_model_invoke_ops(nullptr, arena.data(), tnn_model_arena_size(&m), record_hook, &log), TNN_ERR_ARG);
    EXPECT_EQ(tnn_model_invoke_ops(&m, arena.data(), tnn_model_arena_size(&m) - 4, record_hook, &log),
              TNN_ERR_BUFFER);
    EXPECT_TRUE(log.calls.empty());
  }
}
