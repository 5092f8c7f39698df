#include "tinynas/compress/prunable.h"

#include <algorithm>
#include <string>

#include <torch/torch.h>

#include "tinynas/compress/block_mask.h"
#include "tinynas/core/error.h"
#include "tinynas/nn/pool.h"
#include "tinynas/space/describe.h"

namespace tinynas::compress {
namespace {

using ModulePtr = std::shared_ptr<torch::nn::Module>;

ModulePtr child(const torch::nn::Module& m, const std::string& key, const std::string& where) {
  const auto children = m.named_children();
  const ModulePtr* c = children.find(key);
  if (!c) throw core::Error("prunable_layers: " + where + " has no submodule '" + key + "'");
  return *c;
}

bool is_norm(const torch::nn::Module& m) {
  return dynamic_cast<const torch::nn::BatchNorm1dImpl*>(&m) ||
         dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&m) ||
         dynamic_cast<const torch::nn::LayerNormImpl*>(&m);
}

// The Conv2d and Linear weights under `m` in registration order (depth-first).
void collect(const ModulePtr& m, const std::string& prefix, int flat,
             const space::BlockSparsity& bs, std::vector<PrunableLayer>& out) {
  auto add = [&](const torch::Tensor& weight, bool depthwise) {
    PrunableLayer l;
    l.name = prefix + ".weight";
    l.weight = weight;
    l.choice_block = flat;
    l.depthwise = depthwise;
    l.ratio = bs.percent / 100.0;  // the same expression as describe_path
    try {
      l.block = effective_block(weight, depthwise, bs.block);
      l.layout = runtime_layout(weight, depthwise);
    } catch (const std::exception& e) {
      core::rethrow_with_context("prunable_layers: " + l.name, e);
    }
    out.push_back(std::move(l));
  };
  if (const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(m.get())) {
    const auto& o = conv->options;
    const bool depthwise =
        o.groups() > 1 && o.groups() == o.in_channels() && o.groups() == o.out_channels();
    add(conv->weight, depthwise);
    return;
  }
  if (const auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(m.get())) {
    add(linear->weight, false);
    return;
  }
  // The graph's seq_pool op, which the cost model never prunes (cost.h).
  if (dynamic_cast<const nn::SeqPoolImpl*>(m.get())) return;
  if (is_norm(*m)) return;
  if (!m->named_parameters(/*recurse=*/false).is_empty())
    throw core::Error("prunable_layers: " + prefix + " (" + m->name() +
                      ") holds parameters but is not a Conv2d, Linear, SeqPool, BatchNorm or "
                      "LayerNorm; nothing maps it onto graph ops");
  for (const auto& c : m->named_children()) collect(c.value(), prefix + "." + c.key(), flat, bs, out);
}

std::string describe_layer(std::size_t i, const PrunableLayer& l) {
  return "prunable layer " + std::to_string(i) + " '" + l.name + "'";
}

std::string layout_text(const cost::WeightLayout& l) {
  return std::to_string(l.rows) + " x " + std::to_string(l.row_len);
}

// Pairs layers with the graph's prunable ops (header comment of prunable.h); sets
// PrunableLayer::op when `fill_op`, else compares it when set.
void match_graph(std::vector<PrunableLayer>& layers, const space::Graph& graph, bool fill_op) {
  std::vector<const space::Op*> ops;
  for (const auto& op : graph.ops)
    if (op.prunable) ops.push_back(&op);
  const std::size_t n = std::min(ops.size(), layers.size());
  for (std::size_t i = 0; i < n; ++i) {
    PrunableLayer& l = layers[i];
    const space::Op& op = *ops[i];
    auto fail = [&](const std::string& what) {
      throw core::Error("compress: " + describe_layer(i, l) + " does not match graph op '" +
                        op.name + "': " + what);
    };
    if (op.choice_block != l.choice_block)
      fail("choice block " + std::to_string(l.choice_block) + " vs " +
           std::to_string(op.choice_block) + " (a layer missing or extra in one of them)");
    const bool conv = l.weight.dim() == 4;
    if (conv != (op.kind == space::OpKind::conv) ||
        (!conv && op.kind != space::OpKind::linear))
      fail(std::string(conv ? "conv" : "linear") + " layer vs " + space::to_string(op.kind) +
           " op");
    if (l.depthwise != cost::is_depthwise(op))
      fail(std::string("depthwise ") + (l.depthwise ? "yes" : "no") + " vs " +
           (cost::is_depthwise(op) ? "yes" : "no"));
    std::int64_t op_numel = 1;
    for (std::int64_t d : op.weight_shape) op_numel *= d;
    if (op_numel != l.weight.numel())
      fail(std::to_string(l.weight.numel()) + " weights vs " + std::to_string(op_numel));
    const cost::WeightLayout ol = cost::weight_layout(op);
    if (ol.rows != l.layout.rows || ol.row_len != l.layout.row_len)
      fail("layout " + layout_text(l.layout) + " vs " + layout_text(ol));
    if (op.sparsity.block != l.block)
      fail("block " + std::to_string(l.block) + " vs " + std::to_string(op.sparsity.block));
    if (op.sparsity.ratio != l.ratio)
      fail("ratio " + std::to_string(l.ratio) + " vs " + std::to_string(op.sparsity.ratio));
    if (fill_op)
      l.op = op.name;
    else if (!l.op.empty() && l.op != op.name)
      fail("it names op '" + l.op + "'");
  }
  if (layers.size() > n)
    throw core::Error("compress: " + describe_layer(n, layers[n]) +
                      " has no graph op (the graph has " + std::to_string(ops.size()) +
                      " prunable ops)");
  if (ops.size() > n)
    throw core::Error("compress: graph op '" + ops[n]->name + "' has no torch layer (found " +
                      std::to_string(layers.size()) + " prunable torch layers)");
}

}  // namespace

std::vector<PrunableLayer> prunable_layers(space::Supernet& supernet, const space::Arch& arch,
                                           const space::SparseConfig& sparse,
                                           const space::BlockRegistry& registry) {
  const space::SupernetLayout& layout = supernet->layout();
  space::check_arch(arch, layout);
  space::check_sparse(sparse, layout);
  const ModulePtr blocks = child(*supernet, "blocks", "supernet");
  std::vector<PrunableLayer> layers;
  for (int flat = 0; flat < layout.num_choice_blocks(); ++flat) {
    const std::string f = std::to_string(flat), c = std::to_string(arch.at(flat));
    const ModulePtr cand = child(*child(*blocks, f, "supernet blocks"), c, "supernet blocks." + f);
    collect(cand, "blocks." + f + "." + c, flat, sparse.at(flat), layers);
  }
  match_graph(layers, space::describe_path(layout, arch, &sparse, registry), true);
  return layers;
}

std::vector<PrunableLayer> prunable_layers(space::Subnet& subnet,
                                           const space::SupernetLayout& layout,
                                           const space::SparseConfig& sparse,
                                           const space::BlockRegistry& registry) {
  const space::Arch& arch = subnet->arch();
  space::check_arch(arch, layout);
  space::check_sparse(sparse, layout);
  const ModulePtr blocks = child(*subnet, "blocks", "subnet");
  std::vector<PrunableLayer> layers;
  for (int flat = 0; flat < layout.num_choice_blocks(); ++flat) {
    const std::string f = std::to_string(flat);
    collect(child(*blocks, f, "subnet blocks"), "blocks." + f, flat, sparse.at(flat), layers);
  }
  match_graph(layers, space::describe_path(layout, arch, &sparse, registry), true);
  return layers;
}

void check_matches_graph(const std::vector<PrunableLayer>& layers, const space::Graph& graph) {
  std::vector<PrunableLayer> copy = layers;
  match_graph(copy, graph, false);
}

std::vector<torch::Tensor> weights_of(const std::vector<PrunableLayer>& layers) {
  std::vector<torch::Tensor> out;
  out.reserve(layers.size());
  for (const auto& l : layers) out.push_back(l.weight);
  return out;
}

}  // namespace tinynas::compress
