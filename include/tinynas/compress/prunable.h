// The prunable weights of one path: the torch Conv2d and Linear weights inside the path's
// chosen candidates, each tied to the graph op (space/graph.h) that deploys it.
//
// What is prunable is what the cost model prunes (cost.h): conv and linear ops inside a
// choice block (Op::prunable). The stem, the head and the classifier are never pruned.
// SeqPool's score Linear (dim → 1) is the graph's seq_pool op, which the cost model does
// not prune, so it is not returned either.
//
// Correspondence (checked on every call; a mismatch throws core::Error naming both the
// torch layer and the graph op): within each choice block, the torch layers in module
// registration order (depth-first, as named_parameters lists them) are the prunable ops of
// describe_path(layout, arch, &sparse) in execution order, one to one, with the same
// kind (4-D conv / 2-D linear), depthwise flag, weight element count, runtime layout
// (rows, row_len), block size and ratio. A candidate module holding parameters in any
// module other than Conv2d, Linear, SeqPool, BatchNorm or LayerNorm is rejected, since
// nothing maps it onto graph ops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/cost/cost.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/graph.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/registry.h"
#include "tinynas/space/supernet.h"

namespace tinynas::compress {

/// One prunable weight of a path.
struct PrunableLayer {
  /// Qualified parameter name in its model: "blocks.3.1.expand.conv.weight" (supernet:
  /// blocks.<flat>.<candidate>.…) or "blocks.3.expand.conv.weight" (subnet: blocks.<flat>.…).
  std::string name;
  /// The graph op deploying it ("dot1.mbv2[0].expand"); equal for a supernet path and
  /// the subnet extracted from it.
  std::string op;
  /// The parameter itself (shares storage with the model; masks write through it).
  torch::Tensor weight;
  int choice_block = -1;         ///< flat index of its choice block
  bool depthwise = false;        ///< conv with groups == in == out channels (groups > 1)
  int block = 2;                 ///< effective block size: kw when depthwise
  double ratio = 0.0;            ///< target fraction of zero blocks: percent / 100
  cost::WeightLayout layout;     ///< rows x row_len in the runtime's layout

  /// Blocks of the weight: rows * ceil(row_len / block).
  std::int64_t blocks() const { return cost::block_count(layout.rows, layout.row_len, block); }
  /// Blocks a pruner zeroes at `ratio`: cost::pruned_blocks(blocks(), ratio).
  std::int64_t target_pruned_blocks() const { return cost::pruned_blocks(blocks(), ratio); }
};

/// The prunable layers of `arch`'s path in the supernet, in path order, each with its
/// choice block's sparsity from `sparse`. `registry` must be the one the supernet was
/// built with (it describes the path for the correspondence check). Throws core::Error
/// when arch or sparse do not fit the supernet's layout, or on a mismatch (header comment).
std::vector<PrunableLayer> prunable_layers(
    space::Supernet& supernet, const space::Arch& arch, const space::SparseConfig& sparse,
    const space::BlockRegistry& registry = space::builtin_blocks());

/// The same for a standalone subnet (parameter names "blocks.<flat>.…"). `layout` is the
/// layout the subnet was built from (extract_subnet: the supernet's).
std::vector<PrunableLayer> prunable_layers(
    space::Subnet& subnet, const space::SupernetLayout& layout,
    const space::SparseConfig& sparse,
    const space::BlockRegistry& registry = space::builtin_blocks());

/// The correspondence check on its own: `layers` against the prunable ops of `graph`
/// (header comment), op names included where PrunableLayer::op is set. Throws core::Error
/// naming the first mismatching layer and op; changes nothing.
void check_matches_graph(const std::vector<PrunableLayer>& layers, const space::Graph& graph);

/// The weight tensors of `layers` (for WeightSnapshot, optimizers, ...).
std::vector<torch::Tensor> weights_of(const std::vector<PrunableLayer>& layers);

}  // namespace tinynas::compress
