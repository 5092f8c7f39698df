// The op graph of one path: what the int8 runtime will execute for an (Arch, sparse
// config, input shape), written by the space's block descriptions and read by `cost`
// (params, MACs, memory plan, flash) and later by `export`. Torch-free on purpose: the
// search evaluates millions of these without building a model.
//
// Conventions (those of the runtime, DESIGN.md §2):
//  - Activations are int8, one byte per element, laid out HWC (channels last). A token
//    sequence (N tokens of D features) is the same buffer as an H x W x D map with
//    N = H*W, so moving between maps and tokens is free and never appears as an op.
//  - BatchNorm is folded into the preceding conv/linear and ReLU is fused into the op
//    that produces its input, so neither is an op here. `float_params` keeps what the
//    float (training) model has, BatchNorm included, so the two counts can be compared.
//  - Weights are stored in the runtime's layout: conv OHWI (out, kh, kw, in/groups),
//    depthwise C x kh x kw, linear (out, in). Pruning blocks run along the innermost
//    axis of that layout (for depthwise: along kernel width, block = kw). A conv is
//    depthwise when groups > 1 and groups == in channels == out channels.
//  - Conv and pool outputs use the floor rule (in + 2*padding - kernel) / stride + 1;
//    average pools do not count padding. Attention is self-attention (q, k, v over the
//    same tokens); seq_pool's bias is one scalar.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinynas::space {

/// Shape of one activation: C channels over an H x W map (tokens: C = D, H*W = N).
struct Shape {
  int c = 0;
  int h = 1;
  int w = 1;
  int64_t numel() const { return int64_t(c) * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

/// "HxWxC", as messages write shapes.
inline std::string to_string(const Shape& s) {
  return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

enum class OpKind {
  conv,              ///< 2-D convolution (any kernel/stride/padding/groups), bias, opt. ReLU
  linear,            ///< per-token linear over the last dim (N tokens of `in` → `out`)
  add,               ///< elementwise add of two equal-shape tensors (residual), opt. ReLU
  max_pool,          ///< kernel/stride/padding window max
  avg_pool,          ///< window mean (padding not counted)
  mixed_pool,        ///< (max + avg) / 2 over the same window
  global_avg_pool,   ///< H x W x C → 1 x 1 x C
  seq_pool,          ///< CCT sequence pooling: softmax(x·w + b) over tokens, weighted sum
  layer_norm,        ///< per-token LayerNorm over C (int8 runtime: Scaled-LayerNorm)
  attention_softmax,      ///< inputs q, k, v; softmax(q kᵀ/√dh) v per head
  attention_relu_linear,  ///< inputs q, k, v; relu(q) (relu(k)ᵀ v) / N per head
};

inline const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::conv: return "conv";
    case OpKind::linear: return "linear";
    case OpKind::add: return "add";
    case OpKind::max_pool: return "max_pool";
    case OpKind::avg_pool: return "avg_pool";
    case OpKind::mixed_pool: return "mixed_pool";
    case OpKind::global_avg_pool: return "global_avg_pool";
    case OpKind::seq_pool: return "seq_pool";
    case OpKind::layer_norm: return "layer_norm";
    case OpKind::attention_softmax: return "attention_softmax";
    case OpKind::attention_relu_linear: return "attention_relu_linear";
  }
  return "?";
}

/// Pruning of one weight tensor: a fraction of its blocks set to zero.
struct Sparsity {
  double ratio = 0.0;  ///< fraction of blocks that are zero, in [0, 1)
  int block = 1;       ///< weights per block along the innermost layout axis (2, 4; dw: kw)
};

/// One op in execution order. Tensors are referred to by index into Graph::tensors.
struct Op {
  OpKind kind = OpKind::conv;
  std::string name;          ///< e.g. "s0.b1.expand" (stage, block, layer), unique
  int choice_block = -1;     ///< flat index of the choice block it belongs to; -1 = fixed
  std::vector<int> inputs;   ///< activation inputs (attention: q, k, v; add: a, b)
  int output = -1;

  // conv / pools
  int kernel_h = 1, kernel_w = 1;
  int stride = 1;
  int padding = 0;
  int groups = 1;            ///< conv only; groups == in channels == out channels: depthwise
  bool relu = false;         ///< ReLU fused on the output (conv, linear, add)

  // attention
  int heads = 1;

  // weights (conv, linear, seq_pool; layer_norm has per-channel params but no weights)
  std::vector<int64_t> weight_shape;  ///< runtime layout (see header comment); empty: none
  bool has_bias = false;              ///< deployed int32 bias per output channel
  bool prunable = false;              ///< conv/linear inside a choice block
  Sparsity sparsity;                  ///< applies only when prunable

  int64_t float_params = 0;  ///< trainable parameters of the float layers this op stands for
};

struct Tensor {
  std::string name;
  Shape shape;
};

/// A path's graph: tensors[input] is the image, tensors[output] the logits (1 x 1 x K).
struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Op> ops;
  int input = -1;
  int output = -1;

  int add_tensor(std::string name, Shape shape) {
    tensors.push_back({std::move(name), shape});
    return int(tensors.size()) - 1;
  }
  const Shape& shape(int tensor) const { return tensors.at(size_t(tensor)).shape; }
};

}  // namespace tinynas::space
