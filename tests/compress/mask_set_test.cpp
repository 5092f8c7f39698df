// MaskSet (one-shot and AGP-style masks on weights and gradients, reports, save/load) and
// WeightSnapshot (bit-exact restore).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include <torch/torch.h>

#include "support/error_of.h"
#include "tinynas/compress/block_mask.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/snapshot.h"
#include "tinynas/cost/sparse_coding.h"

using namespace tinynas;
using namespace tinynas::compress;
using tinynas::testing::error_of;

namespace {

PrunableLayer layer_of(const std::string& name, const torch::Tensor& w, bool depthwise, int block,
                       double ratio) {
  PrunableLayer l;
  l.name = name;
  l.op = "op." + name;
  l.weight = w;
  l.depthwise = depthwise;
  l.block = effective_block(w, depthwise, block);
  l.ratio = ratio;
  l.layout = runtime_layout(w, depthwise);
  return l;
}

// A conv, a depthwise conv, a linear (row_len 8) and a linear with short blocks (5 / 4).
struct Model {
  torch::nn::Conv2d conv{nullptr}, dw{nullptr};
  torch::nn::Linear fc{nullptr}, fc_short{nullptr};

  explicit Model(std::uint64_t seed) {
    torch::manual_seed(seed);
    conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 8, 3));
    dw = torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).groups(8));
    fc = torch::nn::Linear(8, 6);
    fc_short = torch::nn::Linear(5, 3);
  }
  std::vector<PrunableLayer> layers(double ratio = 0.5) const {
    return {layer_of("conv.weight", conv->weight, false, 2, ratio),
            layer_of("dw.weight", dw->weight, true, 2, ratio),
            layer_of("fc.weight", fc->weight, false, 4, ratio),
            layer_of("fc_short.weight", fc_short->weight, false, 4, ratio)};
  }
};

bool bit_equal(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.detach().contiguous(), y = b.detach().contiguous();
  return x.sizes() == y.sizes() && x.scalar_type() == y.scalar_type() &&
         std::memcmp(x.data_ptr(), y.data_ptr(), std::size_t(x.nbytes())) == 0;
}

}  // namespace

TEST(MaskSet, StartsAllOnes) {
  Model m(1);
  MaskSet masks(m.layers());
  ASSERT_EQ(masks.size(), 4u);
  for (std::size_t i = 0; i < masks.size(); ++i) {
    EXPECT_EQ(masks.mask(i).sizes(), masks.layers()[i].weight.sizes());
    EXPECT_TRUE(masks.mask(i).eq(1).all().item<bool>());
  }
  EXPECT_TRUE(masks.mask("dw.weight").eq(1).all().item<bool>());
  EXPECT_NE(error_of([&] { masks.mask("nope"); }).find("'nope'"), std::string::npos);
}

TEST(MaskSet, OneShotPruneHitsTheTargetPerLayer) {
  for (double ratio : {0.0, 0.3, 0.5, 0.9}) {
    SCOPED_TRACE(ratio);
    Model m(2);
    const auto layers = m.layers(ratio);
    const auto report = one_shot_prune(layers);
    ASSERT_EQ(report.size(), layers.size());
    for (std::size_t i = 0; i < report.size(); ++i) {
      const auto& r = report[i];
      const auto& l = layers[i];
      EXPECT_EQ(r.name, l.name);
      EXPECT_EQ(r.op, l.op);
      EXPECT_EQ(r.block, l.depthwise ? 3 : l.block);
      EXPECT_EQ(r.weights, l.weight.numel());
      EXPECT_EQ(r.blocks, cost::block_count(l.layout.rows, l.layout.row_len, r.block));
      EXPECT_EQ(r.pruned_blocks, cost::pruned_blocks(r.blocks, ratio));
      EXPECT_EQ(r.zero_blocks, r.pruned_blocks);  // random weights have no zero blocks
      EXPECT_DOUBLE_EQ(r.target_ratio, ratio);
      EXPECT_DOUBLE_EQ(r.sparsity, double(r.zero_blocks) / double(r.blocks));
      EXPECT_EQ(r.zero_weights, l.weight.eq(0).sum().item<std::int64_t>());
      EXPECT_GE(r.zero_weights, r.zero_blocks);  // every zero block holds >= 1 weight
      // The weights themselves are pruned (the layer's tensor is the module's).
      const auto flags = block_nonzero(l.weight, l.depthwise, l.block);
      EXPECT_EQ(std::int64_t(std::count(flags.begin(), flags.end(), 0)), r.pruned_blocks);
    }
    EXPECT_EQ(layers[0].weight.data_ptr(), m.conv->weight.data_ptr());
  }
}

TEST(MaskSet, GradientMaskingZerosPrunedGradients) {
  Model m(3);
  MaskSet masks(m.layers(0.5));
  masks.compute_magnitude();
  std::vector<torch::Tensor> coef;
  torch::Tensor loss = torch::zeros({});
  for (const auto& l : masks.layers()) {
    coef.push_back(torch::randn(l.weight.sizes()));
    loss = loss + (l.weight * coef.back()).sum();
  }
  loss.backward();
  masks.apply_to_gradients();
  for (std::size_t i = 0; i < masks.size(); ++i) {
    const auto g = masks.layers()[i].weight.grad();
    ASSERT_TRUE(g.defined());
    EXPECT_TRUE(torch::equal(g, coef[i] * masks.mask(i)));
    EXPECT_TRUE(g.masked_select(masks.mask(i).eq(0)).eq(0).all().item<bool>());
  }
  // Layers without a gradient are skipped.
  torch::Tensor bare = torch::randn({4, 4});
  MaskSet other({layer_of("bare", bare, false, 2, 0.5)});
  other.apply_to_gradients();
}

TEST(MaskSet, AgpStepsKeepPrunedBlocksPrunedAndNested) {
  Model m(4);
  MaskSet masks(m.layers(0.8));
  torch::optim::SGD opt(std::vector<torch::Tensor>{m.conv->weight, m.dw->weight, m.fc->weight,
                                                   m.fc_short->weight},
                        torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<torch::Tensor> previous(masks.size());
  for (double fraction : {0.25, 0.5, 0.75, 1.0}) {
    masks.compute_magnitude(fraction);
    masks.apply();
    for (std::size_t i = 0; i < masks.size(); ++i) {
      const auto& l = masks.layers()[i];
      EXPECT_DOUBLE_EQ(masks.mask_ratio(i), fraction * 0.8);
      const auto flags = block_nonzero(masks.mask(i), l.depthwise, l.block);
      EXPECT_EQ(std::int64_t(std::count(flags.begin(), flags.end(), 0)),
                cost::pruned_blocks(l.blocks(), fraction * 0.8));
      // Nested: what was pruned stays pruned as the ratio grows.
      if (previous[i].defined()) {
        EXPECT_TRUE(masks.mask(i).le(previous[i]).all().item<bool>()) << l.name;
      }
      previous[i] = masks.mask(i).clone();
    }
    for (int step = 0; step < 3; ++step) {
      opt.zero_grad();
      torch::Tensor loss = torch::zeros({});
      for (const auto& l : masks.layers()) loss = loss + (l.weight * torch::randn(l.weight.sizes())).sum();
      loss.backward();
      masks.apply_to_gradients();
      opt.step();
      masks.apply();
      for (std::size_t i = 0; i < masks.size(); ++i)
        EXPECT_TRUE(masks.layers()[i].weight.masked_select(masks.mask(i).eq(0)).eq(0).all().item<bool>());
    }
  }
  const auto report = masks.report();
  for (const auto& r : report) EXPECT_EQ(r.zero_blocks, r.pruned_blocks) << r.name;
}

TEST(MaskSet, RejectsBadLayersAndMasks) {
  Model m(5);
  auto layers = m.layers();
  layers[2].layout.row_len = 7;
  EXPECT_NE(error_of([&] { MaskSet bad(layers); }).find("'fc.weight'"), std::string::npos);
  layers = m.layers();
  layers[1].block = 2;  // a depthwise layer's block is its kernel width
  EXPECT_NE(error_of([&] { MaskSet bad(layers); }).find("'dw.weight'"), std::string::npos);
  MaskSet masks(m.layers());
  EXPECT_NE(error_of([&] { masks.set_mask(2, torch::ones({3, 3})); }).find("shape"),
            std::string::npos);
  EXPECT_NE(error_of([&] { masks.set_mask(2, torch::full({6, 8}, 0.5)); }).find("0 and 1"),
            std::string::npos);
  EXPECT_THROW(masks.compute_magnitude(1.5), core::Error);
  masks.set_mask(2, torch::zeros({6, 8}, torch::kDouble));
  EXPECT_EQ(masks.mask(2).scalar_type(), torch::kFloat);
  masks.apply();
  EXPECT_TRUE(m.fc->weight.eq(0).all().item<bool>());
}

TEST(MaskSet, SavesAndLoadsByNameAndByOp) {
  Model m(6);
  MaskSet masks(m.layers(0.6));
  masks.compute_magnitude();
  std::ostringstream out;
  {
    torch::serialize::OutputArchive archive;
    masks.save(archive);
    archive.save_to(out);
  }
  const std::string bytes = out.str();
  auto load = [&](MaskSet& into, MaskMatch match) {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in);
    into.load(archive, match);
  };
  MaskSet by_name(m.layers(0.6));
  load(by_name, MaskMatch::name);
  for (std::size_t i = 0; i < masks.size(); ++i)
    EXPECT_TRUE(torch::equal(by_name.mask(i), masks.mask(i)));

  // By op: other parameter names (a subnet's), in another order.
  auto renamed = m.layers(0.6);
  std::reverse(renamed.begin(), renamed.end());
  for (auto& l : renamed) l.name = "sub." + l.name;
  MaskSet by_op(renamed);
  load(by_op, MaskMatch::op);
  for (std::size_t i = 0; i < masks.size(); ++i)
    EXPECT_TRUE(torch::equal(by_op.mask(masks.size() - 1 - i), masks.mask(i)));

  // A layer the archive does not know: error naming it, masks untouched.
  MaskSet missing(renamed);
  EXPECT_NE(error_of([&] { load(missing, MaskMatch::name); }).find("'sub.fc_short.weight'"),
            std::string::npos);
  EXPECT_TRUE(missing.mask(0).eq(1).all().item<bool>());
  MaskSet fewer(std::vector<PrunableLayer>{m.layers()[0]});
  EXPECT_NE(error_of([&] { load(fewer, MaskMatch::name); }).find("holds 4 masks"),
            std::string::npos);
}

TEST(WeightSnapshot, RestoresBitExactly) {
  Model m(7);
  const auto layers = m.layers(0.7);
  std::vector<torch::Tensor> before;
  for (const auto& l : layers) before.push_back(l.weight.detach().clone());
  {
    WeightSnapshot keep(weights_of(layers));
    EXPECT_EQ(keep.size(), 4u);
    one_shot_prune(layers);
    EXPECT_FALSE(bit_equal(layers[0].weight, before[0]));
    keep.restore_keep();
    for (std::size_t i = 0; i < layers.size(); ++i) EXPECT_TRUE(bit_equal(layers[i].weight, before[i]));
    one_shot_prune(layers);  // again; the destructor restores
    EXPECT_TRUE(keep.armed());
  }
  for (std::size_t i = 0; i < layers.size(); ++i) EXPECT_TRUE(bit_equal(layers[i].weight, before[i]));
  EXPECT_TRUE(layers[0].weight.requires_grad());
  EXPECT_EQ(layers[0].weight.data_ptr(), m.conv->weight.data_ptr());

  {
    WeightSnapshot keep(weights_of(layers));
    one_shot_prune(layers);
    keep.restore();
    EXPECT_FALSE(keep.armed());
    for (std::size_t i = 0; i < layers.size(); ++i) EXPECT_TRUE(bit_equal(layers[i].weight, before[i]));
  }
  {
    WeightSnapshot keep(weights_of(layers));
    one_shot_prune(layers);
    keep.release();
  }
  EXPECT_FALSE(bit_equal(layers[0].weight, before[0]));  // released: pruning stays
}

TEST(WeightSnapshot, MovesOwnership) {
  auto t = torch::randn({3, 4});
  const auto before = t.clone();
  {
    WeightSnapshot a({t});
    WeightSnapshot b(std::move(a));
    EXPECT_FALSE(a.armed());
    EXPECT_TRUE(b.armed());
    t.fill_(1);
  }
  EXPECT_TRUE(bit_equal(t, before));
  auto u = torch::randn({2});
  WeightSnapshot s({u});
  u.resize_({3});
  EXPECT_NE(error_of([&] { s.restore(); }).find("changed shape"), std::string::npos);
  s.release();
}
