// Writing op graphs (space/graph.h): the builder the registry's describe functions use,
// and the description of one whole path.
#pragma once

#include <string>

#include "tinynas/space/arch.h"
#include "tinynas/space/graph.h"
#include "tinynas/space/layout.h"

namespace tinynas::space {

/// Appends ops to a Graph, computing output shapes and float parameter counts. Errors
/// (a window larger than its map, channels a group count does not divide) name the op.
class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& graph) : graph_(graph) {}

  /// Ops added from now on are named "<prefix>.<name>", belong to `choice_block` (-1:
  /// fixed) and, when inside a choice block, carry `sparsity` on their conv/linear
  /// weights (depthwise: blocks of kernel width instead of sparsity.block).
  void scope(std::string prefix, int choice_block, Sparsity sparsity);

  /// Conv (+ folded BatchNorm when `bn`) (+ fused ReLU). Deployed with a bias when `bn`
  /// or `bias`. padding -1 = kernel/2.
  int conv(int input, const std::string& name, int out, int kernel, int stride = 1,
           int padding = -1, int groups = 1, bool relu = true, bool bn = true,
           bool bias = false);
  /// Per-token linear with bias; `folded_norm_params` counts a BatchNorm folded into it.
  int linear(int input, const std::string& name, int out, bool relu = false,
             std::int64_t folded_norm_params = 0);
  int add(int a, int b, const std::string& name, bool relu = false);
  int pool(OpKind kind, int input, const std::string& name, int kernel, int stride,
           int padding = 0);
  int global_avg_pool(int input, const std::string& name);
  int seq_pool(int input, const std::string& name);
  int layer_norm(int input, const std::string& name);
  int attention(OpKind kind, int q, int k, int v, int heads, const std::string& name);

  Graph& graph() { return graph_; }
  const Shape& shape(int tensor) const { return graph_.shape(tensor); }

 private:
  Op& push(Op op, Shape out_shape, const std::string& name);
  Graph& graph_;
  std::string prefix_;
  int choice_block_ = -1;
  Sparsity sparsity_;
};

/// The ops of one path: stem, the chosen candidate of each choice block (with its
/// sparsity from `sparse`, dense when null), head and classifier. tensors[input] is
/// the image (layout.input), tensors[output] the logits (classes x 1 x 1).
Graph describe_path(const SupernetLayout& layout, const Arch& arch,
                    const SparseConfig* sparse = nullptr,
                    const BlockRegistry& registry = builtin_blocks());

}  // namespace tinynas::space
