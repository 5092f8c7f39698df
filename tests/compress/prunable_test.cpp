// prunable_layers() against the cost model's view of a path: for sampled paths and sparse
// configs of every shipped space, the torch layers returned are, one to one and in order,
// the graph's prunable ops (same element count, runtime layout, block, ratio), and nothing
// else on the path's candidates is a conv/linear weight except SeqPool's score vector.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "tinynas/compress/block_mask.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/compress/snapshot.h"
#include "tinynas/cost/cost.h"
#include "tinynas/space/describe.h"

using namespace tinynas;
using tinynas::testing::error_of;
using tinynas::testing::shipped_spaces;

namespace {

const space::SparseChoices& choices() {
  static const space::SparseChoices c =
      space::sparse_choices({0.0, 0.3, 0.5, 0.75, 0.9}, {2, 4});
  return c;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// The correspondence, checked independently of compress's own check.
void expect_matches(const std::vector<compress::PrunableLayer>& layers, space::Supernet& net,
                    const space::Arch& arch, const space::SparseConfig& sparse) {
  const space::SupernetLayout& layout = net->layout();
  const space::Graph g = space::describe_path(layout, arch, &sparse);
  const cost::Cost c = cost::evaluate(g);
  std::vector<std::size_t> ops;
  for (std::size_t j = 0; j < g.ops.size(); ++j)
    if (g.ops[j].prunable) ops.push_back(j);
  ASSERT_EQ(layers.size(), ops.size());
  const auto params = net->named_parameters(true);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const compress::PrunableLayer& l = layers[i];
    const space::Op& op = g.ops[ops[i]];
    SCOPED_TRACE(l.name + " ~ " + op.name);
    EXPECT_EQ(l.op, op.name);
    EXPECT_EQ(l.choice_block, op.choice_block);
    EXPECT_TRUE(starts_with(l.name, "blocks." + std::to_string(op.choice_block) + "." +
                                        std::to_string(arch.at(op.choice_block)) + "."));
    const torch::Tensor* p = params.find(l.name);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->data_ptr(), l.weight.data_ptr());
    std::int64_t numel = 1;
    for (auto d : op.weight_shape) numel *= d;
    EXPECT_EQ(l.weight.numel(), numel);
    EXPECT_EQ(l.weight.dim() == 4, op.kind == space::OpKind::conv);
    EXPECT_EQ(l.depthwise, cost::is_depthwise(op));
    const cost::WeightLayout wl = cost::weight_layout(op);
    EXPECT_EQ(l.layout.rows, wl.rows);
    EXPECT_EQ(l.layout.row_len, wl.row_len);
    const cost::WeightLayout tl = compress::runtime_layout(l.weight, l.depthwise);
    EXPECT_EQ(tl.rows, wl.rows);
    EXPECT_EQ(tl.row_len, wl.row_len);
    EXPECT_EQ(l.block, op.sparsity.block);
    EXPECT_EQ(l.block, l.depthwise ? op.kernel_w
                                   : sparse.at(op.choice_block).block);
    EXPECT_DOUBLE_EQ(l.ratio, sparse.at(op.choice_block).percent / 100.0);
    EXPECT_EQ(l.blocks(), c.ops[ops[i]].blocks);
    EXPECT_EQ(l.target_pruned_blocks(), c.ops[ops[i]].pruned_blocks);
  }
  // Every other conv/linear weight of the chosen candidates is a SeqPool score vector.
  std::set<std::string> names;
  for (const auto& l : layers) names.insert(l.name);
  for (int flat = 0; flat < layout.num_choice_blocks(); ++flat) {
    const std::string prefix =
        "blocks." + std::to_string(flat) + "." + std::to_string(arch.at(flat)) + ".";
    for (const auto& p : params) {
      if (!starts_with(p.key(), prefix) || !ends_with(p.key(), ".weight") ||
          p.value().dim() < 2 || names.count(p.key()))
        continue;
      EXPECT_TRUE(ends_with(p.key(), ".attn.weight") && p.value().size(0) == 1)
          << "unreturned weight " << p.key();
      EXPECT_EQ(layout.block(flat).candidates[std::size_t(arch.at(flat))].type, "seqpool");
    }
  }
}

}  // namespace

class EverySpace : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySpace, PrunableLayersAreTheGraphsPrunableOps) {
  const space::SpaceDef s = space::load_space(GetParam());
  core::Rng rng(11);
  for (int k = 0; k < 2; ++k) {
    const space::SupernetConfig cfg =
        k == 0 ? space::default_supernet(s) : space::sample_supernet(s, rng);
    const space::SupernetLayout layout = space::make_layout(s, cfg, space::Shape{1, 28, 28}, 10);
    space::Supernet net(layout);
    for (int i = 0; i < 60; ++i) {
      const space::Arch arch = space::sample_arch(layout, rng);
      const space::SparseConfig sparse = space::sample_sparse(layout, choices(), rng);
      SCOPED_TRACE(space::to_string(arch, layout) + " " + space::to_string(sparse, layout));
      const auto layers = compress::prunable_layers(net, arch, sparse);
      expect_matches(layers, net, arch, sparse);
      if (::testing::Test::HasFatalFailure()) return;
      compress::check_matches_graph(layers, space::describe_path(layout, arch, &sparse));
    }
  }
}

TEST_P(EverySpace, OneShotPruningOfAPathMatchesTheCostModelAndRestores) {
  const space::SpaceDef s = space::load_space(GetParam());
  const space::SupernetLayout layout = tinynas::testing::default_layout(s);
  space::Supernet net(layout);
  core::Rng rng(12);
  for (int i = 0; i < 4; ++i) {
    const space::Arch arch = space::sample_arch(layout, rng);
    const space::SparseConfig sparse = space::sample_sparse(layout, choices(), rng);
    SCOPED_TRACE(space::to_string(arch, layout) + " " + space::to_string(sparse, layout));
    const cost::Cost c = cost::evaluate(space::describe_path(layout, arch, &sparse));
    std::int64_t cost_pruned_blocks = 0;
    for (const auto& op : c.ops) cost_pruned_blocks += op.pruned_blocks;

    std::vector<torch::Tensor> before;
    for (const auto& p : net->parameters()) before.push_back(p.detach().clone());
    {
      const auto layers = compress::prunable_layers(net, arch, sparse);
      compress::WeightSnapshot keep(compress::weights_of(layers));
      const auto report = compress::one_shot_prune(layers);
      std::int64_t zero_blocks = 0;
      for (std::size_t j = 0; j < layers.size(); ++j) {
        EXPECT_EQ(report[j].zero_blocks, layers[j].target_pruned_blocks()) << layers[j].name;
        zero_blocks += report[j].zero_blocks;
      }
      EXPECT_EQ(zero_blocks, cost_pruned_blocks);
    }
    const auto after = net->parameters();
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t j = 0; j < after.size(); ++j) EXPECT_TRUE(torch::equal(after[j], before[j]));
  }
}

TEST_P(EverySpace, SubnetLayersMirrorTheSupernetPath) {
  const space::SpaceDef s = space::load_space(GetParam());
  const space::SupernetLayout layout = tinynas::testing::default_layout(s);
  space::Supernet net(layout);
  core::Rng rng(13);
  for (int i = 0; i < 3; ++i) {
    const space::Arch arch = space::sample_arch(layout, rng);
    const space::SparseConfig sparse = space::sample_sparse(layout, choices(), rng);
    SCOPED_TRACE(space::to_string(arch, layout));
    space::Subnet sub = space::extract_subnet(net, arch);
    const auto sup_layers = compress::prunable_layers(net, arch, sparse);
    const auto sub_layers = compress::prunable_layers(sub, layout, sparse);
    ASSERT_EQ(sub_layers.size(), sup_layers.size());
    const auto sub_params = sub->named_parameters(true);
    for (std::size_t j = 0; j < sub_layers.size(); ++j) {
      const auto& a = sup_layers[j];
      const auto& b = sub_layers[j];
      // blocks.<flat>.<candidate>.rest ↔ blocks.<flat>.rest
      const std::string flat = "blocks." + std::to_string(a.choice_block) + ".";
      EXPECT_EQ(b.name, flat + a.name.substr(a.name.find('.', flat.size()) + 1));
      EXPECT_EQ(b.op, a.op);
      EXPECT_EQ(b.block, a.block);
      EXPECT_EQ(b.ratio, a.ratio);
      ASSERT_NE(sub_params.find(b.name), nullptr);
      EXPECT_EQ(sub_params.find(b.name)->data_ptr(), b.weight.data_ptr());
      EXPECT_TRUE(torch::equal(a.weight, b.weight));
      EXPECT_NE(a.weight.data_ptr(), b.weight.data_ptr());
    }
    // Masks found on the supernet path carry over to the subnet by op name.
    compress::MaskSet sup_masks(sup_layers);
    sup_masks.compute_magnitude();
    std::ostringstream out;
    torch::serialize::OutputArchive oa;
    sup_masks.save(oa);
    oa.save_to(out);
    torch::serialize::InputArchive ia;
    std::istringstream in(out.str());
    ia.load_from(in);
    compress::MaskSet sub_masks(sub_layers);
    sub_masks.load(ia, compress::MaskMatch::op);
    for (std::size_t j = 0; j < sub_layers.size(); ++j)
      EXPECT_TRUE(torch::equal(sub_masks.mask(j), sup_masks.mask(j)));
  }
}

INSTANTIATE_TEST_SUITE_P(Shipped, EverySpace, ::testing::ValuesIn(shipped_spaces()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = std::filesystem::path(info.param).stem().string();
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(PrunableLayers, TinyFormerBlocksMapOpByOp) {
  const auto files = shipped_spaces();
  const auto it = std::find_if(files.begin(), files.end(), [](const std::string& f) {
    return ends_with(f, "tinyformer.yaml");
  });
  ASSERT_NE(it, files.end());
  const space::SpaceDef s = space::load_space(*it);
  const space::SupernetLayout layout = tinynas::testing::default_layout(s);
  space::Supernet net(layout);
  // Every block's first candidate: D0 (conv + maxpool), M0 (expansion 2), T0 (mobilevit),
  // P0 (seqpool).
  core::Rng rng(1);
  space::Arch arch = space::sample_arch(layout, rng);
  for (auto& stage : arch.choices)
    for (auto& c : stage) c = 0;
  const auto layers = compress::prunable_layers(net, arch, space::dense_config(layout));
  ASSERT_FALSE(layers.empty());
  std::map<int, std::vector<std::pair<std::string, std::string>>> by_block;  // op, param
  for (const auto& l : layers) {
    EXPECT_TRUE(starts_with(l.name, "blocks.")) << l.name;  // no stem, head, classifier
    EXPECT_EQ(l.ratio, 0.0);
    const std::string prefix = "blocks." + std::to_string(l.choice_block) + ".0.";
    const std::string label = layout.block(l.choice_block).label + ".";
    ASSERT_TRUE(starts_with(l.name, prefix));
    ASSERT_TRUE(starts_with(l.op, label));
    by_block[l.choice_block].push_back({l.op.substr(label.size()), l.name.substr(prefix.size())});
  }
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const Pairs downsample = {{"conv", "conv.conv.weight"}};
  const Pairs mbv2 = {{"expand", "expand.conv.weight"},
                      {"dw", "depthwise.conv.weight"},
                      {"project", "project.conv.weight"}};
  const Pairs transformer = {{"local", "local.conv.weight"},
                             {"to_tokens", "project_in.conv.weight"},
                             {"enc0.q", "encoder.layers.0.mhsa.q.weight"},
                             {"enc0.k", "encoder.layers.0.mhsa.k.weight"},
                             {"enc0.v", "encoder.layers.0.mhsa.v.weight"},
                             {"enc0.proj", "encoder.layers.0.mhsa.proj.weight"},
                             {"enc0.fc1", "encoder.layers.0.fc1.weight"},
                             {"enc0.fc2", "encoder.layers.0.fc2.weight"},
                             {"from_tokens", "project_out.conv.weight"},
                             {"fuse", "fuse.conv.weight"}};
  for (int flat = 0; flat < layout.num_choice_blocks(); ++flat) {
    const std::string& choice = layout.block(flat).choice;
    SCOPED_TRACE(layout.block(flat).label);
    const Pairs& got = by_block[flat];
    if (choice == "downsample") {
      EXPECT_EQ(got, downsample);
    } else if (choice == "mbv2") {
      EXPECT_EQ(got, mbv2);
    } else if (choice == "transformer") {
      EXPECT_EQ(got, transformer);
    } else {
      EXPECT_EQ(choice, "pooling");
      EXPECT_TRUE(got.empty());  // seqpool: not prunable
    }
  }
  for (const auto& l : layers) EXPECT_EQ(l.depthwise, ends_with(l.name, "depthwise.conv.weight"));
}

TEST(PrunableLayers, MismatchesAndBadConfigsAreClearErrors) {
  const space::SpaceDef s = space::load_space(shipped_spaces().front());
  const space::SupernetLayout layout = tinynas::testing::default_layout(s);
  space::Supernet net(layout);
  core::Rng rng(5);
  const space::Arch arch = space::sample_arch(layout, rng);
  const space::SparseConfig sparse = space::sample_sparse(layout, choices(), rng);
  const space::Graph g = space::describe_path(layout, arch, &sparse);
  auto layers = compress::prunable_layers(net, arch, sparse);
  ASSERT_GE(layers.size(), 2u);
  compress::check_matches_graph(layers, g);

  auto dropped = layers;
  dropped.erase(dropped.begin());
  EXPECT_NE(error_of([&] { compress::check_matches_graph(dropped, g); }).find("graph op"),
            std::string::npos);
  auto wrong_ratio = layers;
  wrong_ratio[1].ratio += 0.01;
  const std::string e = error_of([&] { compress::check_matches_graph(wrong_ratio, g); });
  EXPECT_NE(e.find("ratio"), std::string::npos);
  EXPECT_NE(e.find(layers[1].name), std::string::npos);
  EXPECT_NE(e.find(layers[1].op), std::string::npos);
  auto extra = layers;
  extra.push_back(layers.back());
  EXPECT_NE(error_of([&] { compress::check_matches_graph(extra, g); }).find("has no graph op"),
            std::string::npos);

  space::SparseConfig short_sparse = sparse;
  short_sparse.blocks.back().pop_back();
  EXPECT_THROW(compress::prunable_layers(net, arch, short_sparse), core::Error);
}
