// The float model PTQ quantizes: a path's op graph (space/graph.h, what the runtime
// executes) carrying the trained subnet's parameters with BatchNorm folded in, run op by
// op. Calibration observes every graph tensor here, so each activation the runtime holds
// gets its range from exactly the value it stands for; and the graph run is checked
// against the torch subnet, so the graph and the trained model cannot drift apart.
//
// Which torch module feeds which op: walking the subnet's modules in registration order
// (depth-first), ConvBnAct blocks feed the conv ops, Linear layers (except a SeqPool's
// score layer) the linear ops, LayerNorms the layer_norm ops and SeqPools the seq_pool ops,
// each kind in graph order. A BatchNorm1d of a batch-norm encoder folds into the Linear
// before it (bn1 into mhsa.proj, bn2 into fc2). Every pairing is checked (kind, shapes;
// for convs also stride, padding, groups and the fused ReLU); a mismatch or a module left
// over throws core::Error naming both sides, and check_matches() compares whole outputs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tinynas/space/arch.h"
#include "tinynas/space/graph.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/registry.h"
#include "tinynas/space/supernet.h"

namespace tinynas::compress {

/// One op's float parameters (undefined tensors where the op has none).
struct FloatOp {
  /// conv [O, I/groups, kh, kw] (BatchNorm folded), linear [O, I] (BatchNorm folded),
  /// layer_norm gamma [C], seq_pool score weights [C].
  torch::Tensor weight;
  /// conv/linear [O], layer_norm beta [C], seq_pool the score bias (one value).
  torch::Tensor bias;
  double eps = 1e-5;   ///< layer_norm
  std::string source;  ///< the torch module it came from ("blocks.2.encoder.layers.0.mhsa.q")
};

/// Callbacks of FloatGraph::run. Values are float, (B, C, H, W) for tensors (tokens as the
/// map they are, space/graph.h).
struct FloatObserver {
  /// Every graph tensor once it is computed (the input image included).
  std::function<void(int tensor, const torch::Tensor& value)> tensor;
  /// ReLU-linear attention op `op`: relu(k)ᵀ v of every head, (B, heads, dh, dv); the
  /// runtime keeps it in int16, so its range is calibrated too.
  std::function<void(int op, const torch::Tensor& kv)> kv;
};

class FloatGraph {
 public:
  /// The graph of `subnet`'s path (describe_path with `sparse`, which only sets the ops'
  /// sparsity) with the subnet's parameters, copied (later training does not change it).
  /// `layout` and `registry` are those the subnet was built from.
  FloatGraph(space::Subnet& subnet, const space::SupernetLayout& layout,
             const space::SparseConfig& sparse,
             const space::BlockRegistry& registry = space::builtin_blocks());

  const space::Graph& graph() const { return graph_; }
  /// Index-aligned with graph().ops.
  const std::vector<FloatOp>& params() const { return params_; }

  /// Multiplies output channel c of op `producer` (conv or linear: weight row and bias) by
  /// scale[c] > 0 and divides what the op `consumer` reading it applies to channel c (a
  /// depthwise filter, or a dense conv's / linear's input column) by the same: the same
  /// function, as the producer has a ReLU or no activation (compress/equalize.h). Throws
  /// core::Error when the ops are not such a pair.
  void rescale_channels(int producer, int consumer, const torch::Tensor& scale);

  /// Logits (B, classes) of normalized images (B, C, H, W), on the CPU, in float.
  torch::Tensor run(const torch::Tensor& images, const FloatObserver& observe = {}) const;

  /// Throws core::Error unless run(images) equals subnet(images) in eval mode within
  /// `tolerance` * (1 + max |logit|) (folding reorders float sums, nothing more).
  void check_matches(space::Subnet& subnet, const torch::Tensor& images,
                     double tolerance = 1e-4) const;

 private:
  space::Graph graph_;
  std::vector<FloatOp> params_;
};

}  // namespace tinynas::compress
