// INT8 PTQ: the float graph against the torch subnet on every shipped space, the int8 model
// (run by the runtime's kernels) against the float graph tensor by tensor, accuracy of a
// small trained model within 1 point of float, the quantization arithmetic, and the IR
// file (round trip, corrupt files).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <torch/torch.h>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/compress/calibration.h"
#include "tinynas/compress/float_graph.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/compress/quantize.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/supernet.h"

using namespace tinynas;
using tinynas::testing::error_of;

namespace {

// BatchNorm statistics and affine parameters away from their defaults, so folding matters.
void randomize_norms(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& b : m.named_buffers(true)) {
    const auto& name = b.key();
    if (name.size() >= 12 && name.compare(name.size() - 12, 12, "running_mean") == 0)
      b.value().uniform_(-0.3, 0.3);
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "running_var") == 0)
      b.value().uniform_(0.5, 2.0);
  }
  for (auto& p : m.named_parameters(true)) {
    const auto& name = p.key();
    if (name.find("bn") != std::string::npos || name.find("ln") != std::string::npos) {
      if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) p.value().uniform_(0.5, 1.5);
      if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) p.value().uniform_(-0.2, 0.2);
    }
  }
}

compress::QuantizedModel quantize_on(const compress::FloatGraph& g, const torch::Tensor& images,
                                     compress::RangeMethod method = compress::RangeMethod::minmax) {
  compress::Calibrator cal(g, method, 99.9);
  cal.observe(images);
  return compress::quantize(g, cal.result(), compress::input_qparams({0.5f}, {0.25f}));
}

// Relative RMS error of tensor t of the int8 run against the float value (B = 1, CHW).
double relative_rms(const compress::QuantizedModel& m, const compress::Int8Runner& r, int t,
                    const torch::Tensor& value) {
  const auto& q = m.tensors[std::size_t(t)];
  const auto& v = r.tensor(t);
  const auto hwc = value[0].permute({1, 2, 0}).contiguous().reshape({-1});
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double f = hwc[std::int64_t(i)].item<double>();
    err += std::pow(q.dequantize(v[i]) - f, 2);
    ref += f * f;
  }
  return std::sqrt(err / double(v.size())) / (std::sqrt(ref / double(v.size())) + 1e-3);
}

}  // namespace

TEST(Quantize, MultiplierAndQParamArithmetic) {
  for (double real : {1e-6, 0.0123, 0.5, 0.75, 0.999999, 1.0, 3.7, 1000.0}) {
    const auto r = compress::quantize_multiplier(real);
    EXPECT_NEAR(r.value(), real, real * 1e-9) << real;
    EXPECT_GE(r.multiplier, 1 << 30);
  }
  EXPECT_EQ(compress::quantize_multiplier(0).multiplier, 0);
  EXPECT_FALSE(error_of([] { compress::quantize_multiplier(std::ldexp(1.0, 40)); }).empty());
  // Real 0 is exact; the range is covered.
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{{-1, 3}, {0.2, 5}, {-4, -1}, {0, 0}}) {
    const auto q = compress::choose_qparams(lo, hi);
    EXPECT_EQ(q.dequantize(q.quantize(0.0)), 0.0);
    EXPECT_LE(q.dequantize(-128), std::min(lo, 0.0) + 1e-9);
    EXPECT_GE(q.dequantize(127), std::max(hi, 0.0) - q.scale);
  }
  const auto w = compress::quantize_per_channel({0.5f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 2.0f, 0.0f, -0.5f}, 3, 3);
  EXPECT_EQ(w.values, (std::vector<std::int8_t>{64, -127, 0, 0, 0, 0, 127, 0, -32}));
  EXPECT_DOUBLE_EQ(w.scales[1], 1.0 / 127);  // an all-zero (pruned) channel
}

TEST(Quantize, FloatGraphEqualsTheSubnetOnEveryShippedSpace) {
  torch::manual_seed(3);
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    SCOPED_TRACE(file);
    const auto def = space::load_space(file);
    const auto layout = tinynas::testing::default_layout(def, {3, 32, 32}, 10);
    space::Supernet net(layout);
    randomize_norms(*net);
    core::Rng rng(7);
    for (int i = 0; i < 4; ++i) {
      const auto arch = space::sample_arch(layout, rng);
      SCOPED_TRACE(space::to_string(arch, layout));
      auto sub = space::extract_subnet(net, arch);
      sub->eval();
      const compress::FloatGraph g(sub, layout, space::dense_config(layout));
      EXPECT_NO_THROW(g.check_matches(sub, torch::randn({3, 3, 32, 32}), 1e-4));
    }
  }
}

TEST(Quantize, GraphMismatchIsRefusedNamingTheModule) {
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml");
  const auto small = space::make_layout(def, space::parse_supernet("c1=16,c2=32,n1=1,m1=1,n2=1,m2=1,d=32", def),
                                        {1, 16, 16}, 10);
  const auto wider = space::make_layout(def, space::parse_supernet("c1=24,c2=32,n1=1,m1=1,n2=1,m2=1,d=32", def),
                                        {1, 16, 16}, 10);
  space::Supernet net(small);
  auto sub = space::extract_subnet(net, space::parse_arch("tf1:D2.M0.T0|D1.M1.T1|P0", small));
  const std::string e = error_of([&] { compress::FloatGraph(sub, wider, space::dense_config(wider)); });
  EXPECT_NE(e.find("differ"), std::string::npos) << e;
  EXPECT_NE(e.find("blocks.0"), std::string::npos) << e;
}

// Every tensor of the int8 run stays close to the float graph's value on random models of
// every shipped space (random weights: a harder case than trained ones, whose ranges are
// tamer), pruned at 50% so sparse zero blocks go through quantization.
TEST(Quantize, Int8RunTracksTheFloatGraphTensorByTensor) {
  torch::manual_seed(5);
  double worst = 0;
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    SCOPED_TRACE(file);
    const auto def = space::load_space(file);
    const auto layout = tinynas::testing::default_layout(def, {1, 32, 32}, 10);
    space::Supernet net(layout);
    randomize_norms(*net);
    core::Rng rng(11);
    const auto arch = space::sample_arch(layout, rng);
    SCOPED_TRACE(space::to_string(arch, layout));
    auto sub = space::extract_subnet(net, arch);
    sub->eval();
    auto sparse = space::dense_config(layout);
    for (auto& stage : sparse.blocks)
      for (auto& b : stage) b.percent = 50;
    compress::MaskSet masks(compress::prunable_layers(sub, layout, sparse));
    masks.compute_magnitude();
    masks.apply();
    const compress::FloatGraph g(sub, layout, sparse);
    const auto calib = torch::rand({16, 1, 32, 32}) * 4 - 2;  // pixels in [0, 1], normalized
    const auto model = quantize_on(g, calib);
    compress::Int8Runner runner(model);
    const auto image = calib.slice(0, 0, 1);
    runner.run(runner.quantize_image(image[0]));
    compress::FloatObserver obs;
    obs.tensor = [&](int t, const torch::Tensor& v) {
      const double e = relative_rms(model, runner, t, v);
      worst = std::max(worst, e);
      EXPECT_LT(e, 0.15) << "tensor " << model.graph.tensors[std::size_t(t)].name;
    };
    g.run(image, obs);
  }
  std::printf("worst relative RMS error over all tensors: %.4f\n", worst);
}

// A small TinyFormer subnet (conv, inverted residual, MobileViT with LayerNorm and softmax
// attention, SeqPool) trained on a learnable synthetic task: int8 accuracy within 1 point of
// float on held-out images, by both calibrations.
TEST(Quantize, TrainedModelLosesAtMostOnePoint) {
  torch::manual_seed(1);
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml");
  const auto layout = space::make_layout(
      def, space::parse_supernet("c1=16,c2=32,n1=1,m1=1,n2=1,m2=1,d=32", def), {1, 16, 16}, 10);
  space::Supernet net(layout);
  auto sub = space::extract_subnet(net, space::parse_arch("tf1:D2.M0.T0|D1.M1.T1|P0", layout));
  // Class k: a bright 4x4 square at one of 10 places, on noise.
  auto make = [](std::int64_t n, std::uint64_t seed) {
    torch::manual_seed(seed);
    auto labels = torch::randint(10, {n}, torch::kLong);
    auto x = torch::rand({n, 1, 16, 16}) * 0.8;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = labels[i].item<std::int64_t>();
      const std::int64_t r = (k / 5) * 8 + 2, c = (k % 5) * 3;
      x[i][0].slice(0, r, r + 4).slice(1, c, c + 4) += 0.2;
    }
    return std::make_pair((x.clamp(0, 1) - 0.5) / 0.25, labels);
  };
  auto [train_x, train_y] = make(2048, 2);
  auto [test_x, test_y] = make(1000, 3);
  torch::optim::Adam opt(sub->parameters(), torch::optim::AdamOptions(3e-3));
  sub->train();
  for (int step = 0; step < 150; ++step) {
    const auto idx = torch::randint(2048, {64}, torch::kLong);
    opt.zero_grad();
    const auto loss = torch::cross_entropy_loss(sub->forward(train_x.index_select(0, idx)),
                                                train_y.index_select(0, idx));
    loss.backward();
    opt.step();
  }
  sub->eval();
  const compress::FloatGraph g(sub, layout, space::dense_config(layout));
  g.check_matches(sub, test_x.slice(0, 0, 8));
  const double float_acc = (g.run(test_x).argmax(1) == test_y).to(torch::kDouble).mean().item<double>();
  ASSERT_GT(float_acc, 0.8) << "the model did not learn the task";
  for (auto method : {compress::RangeMethod::minmax, compress::RangeMethod::percentile}) {
    const auto model = quantize_on(g, train_x.slice(0, 0, 256), method);
    const auto top = torch::tensor(compress::predict_int8(model, test_x, 2), torch::kLong);
    const double int8_acc = (top == test_y).to(torch::kDouble).mean().item<double>();
    std::printf("float %.3f int8 %.3f (%s)\n", float_acc, int8_acc,
                method == compress::RangeMethod::minmax ? "minmax" : "percentile");
    EXPECT_LE(std::fabs(float_acc - int8_acc), 0.01);
  }
}

TEST(Quantize, ModelFileRoundTripsAndCorruptFilesAreRefused) {
  tinynas::testing::TempDir dir;
  const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml");
  const auto layout = space::make_layout(
      def, space::parse_supernet("c1=16,c2=32,n1=1,m1=1,n2=1,m2=1,d=32", def), {1, 16, 16}, 10);
  space::Supernet net(layout);
  auto sub = space::extract_subnet(net, space::parse_arch("tf1:D0.M2.T1|D2.M0.T0|P1", layout));
  sub->eval();
  const compress::FloatGraph g(sub, layout, space::dense_config(layout));
  const auto images = torch::randn({8, 1, 16, 16});
  auto model = quantize_on(g, images);
  model.info["arch"] = "tf1:D0.M2.T1|D2.M0.T0|P1";
  const std::string path = dir.path() + "/model.tnnq";
  compress::save_quantized(model, path);
  const auto back = compress::load_quantized(path);
  EXPECT_EQ(back.info, model.info);
  EXPECT_EQ(compress::predict_int8(back, images, 1), compress::predict_int8(model, images, 1));
  compress::Int8Runner a(model), b(back);
  EXPECT_EQ(a.run(a.quantize_image(images[0])), b.run(b.quantize_image(images[0])));

  const auto bytes = core::read_file(path);
  auto write = [&](const std::vector<unsigned char>& v) {
    const std::string p = dir.path() + "/bad.tnnq";
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size()));
    return error_of([&] { compress::load_quantized(p); });
  };
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(write(bad).find("byte 0"), std::string::npos);
  bad = bytes;
  bad[4] = 9;
  EXPECT_NE(write(bad).find("version 9"), std::string::npos);
  bad.assign(bytes.begin(), bytes.end() - 100);  // the data section cut short
  const std::string cut = write(bad);
  EXPECT_NE(cut.find("past the end"), std::string::npos) << cut;
  EXPECT_NE(cut.find("bad.tnnq"), std::string::npos) << cut;
  bad.assign(bytes.begin(), bytes.begin() + 40);  // inside the JSON header
  EXPECT_NE(write(bad).find("byte 8"), std::string::npos);
  // A well-formed file whose op data disagrees with its shapes.
  auto wrong = model;
  wrong.ops[0].weight.pop_back();
  EXPECT_NE(error_of([&] { compress::save_quantized(wrong, path); }).find("weights, expected"),
            std::string::npos);
  EXPECT_NO_THROW(compress::load_quantized(path));  // the good file was not clobbered
  // Shapes the runner sizes its loops from must agree, or a corrupt file could make a
  // kernel write past a buffer.
  for (auto kind : {space::OpKind::layer_norm, space::OpKind::add, space::OpKind::global_avg_pool}) {
    auto bad_shape = model;
    for (const auto& op : bad_shape.graph.ops)
      if (op.kind == kind) {
        bad_shape.graph.tensors[std::size_t(op.output)].shape.c += 1;
        break;
      }
    EXPECT_FALSE(error_of([&] { compress::validate(bad_shape); }).empty()) << space::to_string(kind);
  }
  auto in_place = model;
  in_place.graph.ops[1].output = in_place.graph.ops[1].inputs[0];
  EXPECT_NE(error_of([&] { compress::validate(in_place); }).find("writes over its input"),
            std::string::npos);
}
