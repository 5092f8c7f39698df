// Activation equalization: rescaling keeps the float model's function on every shipped
// space, and it gives a channel squeezed into a sliver of its tensor's range its int8
// levels back (the error of the layer reading it drops to that of an unsqueezed model).
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "tinynas/compress/calibration.h"
#include "tinynas/compress/equalize.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/core/rng.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/supernet.h"

using namespace tinynas;

namespace {

struct Fixture {
  space::SpaceDef def;
  space::SupernetLayout layout;
  space::Supernet net;
  space::Subnet sub;

  explicit Fixture(const std::string& file, std::uint64_t seed)
      : def(space::load_space(file)),
        layout(tinynas::testing::default_layout(def, {1, 32, 32}, 10)),
        net(layout),
        sub(nullptr) {
    core::Rng rng(seed);
    sub = space::extract_subnet(net, space::sample_arch(layout, rng));
    sub->eval();
  }
};

std::vector<torch::Tensor> channel_max_of(const compress::FloatGraph& g,
                                          const std::vector<compress::EqualizePair>& pairs,
                                          const torch::Tensor& images) {
  std::vector<torch::Tensor> m;
  compress::observe_channel_max(g, pairs, images, m);
  return m;
}

// Relative RMS error of tensor t of the int8 run on `image` against the float graph.
double tensor_error(const compress::FloatGraph& g, const compress::QuantizedModel& model, int t,
                    const torch::Tensor& image) {
  compress::Int8Runner runner(model);
  runner.run(runner.quantize_image(image[0]));
  double err = 0, ref = 0;
  compress::FloatObserver obs;
  obs.tensor = [&](int k, const torch::Tensor& v) {
    if (k != t) return;
    const auto hwc = v[0].permute({1, 2, 0}).contiguous().reshape({-1}).to(torch::kDouble);
    const auto& q = model.tensors[std::size_t(t)];
    const auto& iv = runner.tensor(t);
    for (std::size_t i = 0; i < iv.size(); ++i) {
      const double f = hwc[std::int64_t(i)].item<double>();
      err += std::pow(q.dequantize(iv[i]) - f, 2);
      ref += f * f;
    }
  };
  g.run(image, obs);
  return std::sqrt(err / (ref + 1e-12));
}

compress::QuantizedModel quantize_on(const compress::FloatGraph& g, const torch::Tensor& images) {
  compress::Calibrator cal(g, compress::RangeMethod::minmax);
  cal.observe(images);
  return compress::quantize(g, cal.result(), compress::input_qparams({0.5f}, {0.25f}));
}

}  // namespace

TEST(Equalize, KeepsTheFunctionOnEveryShippedSpace) {
  torch::manual_seed(3);
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    SCOPED_TRACE(file);
    Fixture f(file, 7);
    compress::FloatGraph g(f.sub, f.layout, space::dense_config(f.layout));
    const auto images = torch::rand({8, 1, 32, 32}) * 4 - 2;
    const auto before = g.run(images);
    const auto pairs = compress::equalization_pairs(g.graph());
    for (const auto& p : pairs) {
      const auto& gr = g.graph();
      EXPECT_EQ(gr.ops[std::size_t(p.consumer)].inputs.at(0), p.tensor);
      EXPECT_EQ(gr.ops[std::size_t(p.producer)].output, p.tensor);
    }
    const int scaled = compress::equalize_activations(g, pairs, channel_max_of(g, pairs, images));
    const auto after = g.run(images);
    EXPECT_LE((after - before).abs().max().item<double>(), 1e-4 * (1 + before.abs().max().item<double>()));
    if (file.find("tinyformer") != std::string::npos) {
      EXPECT_FALSE(pairs.empty());
      EXPECT_GT(scaled, 0);
    }
    // In front of a depthwise conv every live channel now spans the tensor's range.
    const auto m = channel_max_of(g, pairs, images);
    for (const auto& p : pairs) {
      const auto& cons = g.graph().ops[std::size_t(p.consumer)];
      if (!(cons.kind == space::OpKind::conv && cons.groups > 1)) continue;
      const auto& r = m[std::size_t(p.tensor)];
      const double top = r.max().item<double>();
      const auto live = r.masked_select(r > 1e-6 * top);
      EXPECT_NEAR(live.min().item<double>() / top, 1.0, 1e-3) << g.graph().tensors[std::size_t(p.tensor)].name;
    }
  }
}

TEST(Equalize, GivesASqueezedChannelItsLevelsBack) {
  torch::manual_seed(4);
  Fixture f(tinynas::testing::shipped_spaces().front(), 7);
  compress::FloatGraph g(f.sub, f.layout, space::dense_config(f.layout));
  const auto images = torch::rand({16, 1, 32, 32}) * 4 - 2;
  const auto pairs = compress::equalization_pairs(g.graph());
  const compress::EqualizePair* dw = nullptr;
  for (const auto& p : pairs)
    if (g.graph().ops[std::size_t(p.consumer)].groups > 1) dw = &p;
  ASSERT_NE(dw, nullptr) << "no conv feeding a depthwise conv in " << f.def.id;
  const int out = g.graph().ops[std::size_t(dw->consumer)].output;
  const double normal = tensor_error(g, quantize_on(g, images), out, images.slice(0, 0, 1));

  // BatchNorm folding's worst case: half the channels shrunk 1000x, their depthwise filters
  // grown 1000x (the same float model).
  const int c = g.graph().shape(dw->tensor).c;
  auto s = torch::ones({c});
  s.slice(0, 0, c / 2).fill_(1e-3);
  const auto before = g.run(images);
  g.rescale_channels(dw->producer, dw->consumer, s);
  EXPECT_LE((g.run(images) - before).abs().max().item<double>(), 1e-4 * (1 + before.abs().max().item<double>()));
  const double squeezed = tensor_error(g, quantize_on(g, images), out, images.slice(0, 0, 1));
  compress::equalize_activations(g, pairs, channel_max_of(g, pairs, images));
  const double equalized = tensor_error(g, quantize_on(g, images), out, images.slice(0, 0, 1));
  std::printf("depthwise output error: normal %.4f, squeezed %.4f, equalized %.4f\n", normal, squeezed,
              equalized);
  EXPECT_GT(squeezed, 5 * normal);
  EXPECT_LT(equalized, 1.5 * normal);
}

TEST(Equalize, RefusesOpsThatAreNotAPair) {
  Fixture f(tinynas::testing::shipped_spaces().front(), 7);
  compress::FloatGraph g(f.sub, f.layout, space::dense_config(f.layout));
  const auto& ops = g.graph().ops;
  const int last = int(ops.size()) - 1;  // the classifier reads no op's output alone
  const int c = g.graph().shape(ops[0].output).c;
  const std::string e = tinynas::testing::error_of([&] { g.rescale_channels(0, last, torch::ones({c})); });
  EXPECT_NE(e.find("is not a conv or linear feeding"), std::string::npos) << e;
  const auto pairs = compress::equalization_pairs(g.graph());
  ASSERT_FALSE(pairs.empty());
  const int pc = g.graph().shape(pairs[0].tensor).c;
  EXPECT_THROW(g.rescale_channels(pairs[0].producer, pairs[0].consumer, -torch::ones({pc})), core::Error);
  std::vector<torch::Tensor> none;
  EXPECT_THROW(compress::equalize_activations(g, pairs, none), core::Error);
}
