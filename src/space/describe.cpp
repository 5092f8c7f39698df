#include "tinynas/space/describe.h"

#include "tinynas/core/error.h"
#include "tinynas/space/bounds.h"

namespace tinynas::space {
namespace {

// floor((n + 2p - k) / s) + 1, the size of a conv/pool output along one axis.
int window_out(int n, int kernel, int stride, int padding) {
  return (n + 2 * padding - kernel) / stride + 1;
}

// Every shape a graph holds is bounded (space/bounds.h), so that the int arithmetic on
// shapes everywhere downstream cannot overflow.
void check_bounds(const Op& op, const Shape& out) {
  if (out.h < 1 || out.w < 1 || out.c < 1)
    throw core::Error(op.name + ": empty output " + to_string(out));
  const std::int64_t values = std::int64_t(out.h) * out.w * out.c;
  if (values > kMaxTensorValues)
    throw core::Error(op.name + ": output " + to_string(out) + " holds " + std::to_string(values) +
                      " values (at most " + std::to_string(kMaxTensorValues) + ")");
  std::int64_t weights = op.weight_shape.empty() ? 0 : 1;
  for (const std::int64_t d : op.weight_shape)
    if ((weights *= d) > kMaxWeightValues) break;  // stops before int64 could overflow
  if (weights > kMaxWeightValues)
    throw core::Error(op.name + ": " + std::to_string(weights) + " weights (at most " +
                      std::to_string(kMaxWeightValues) + ")");
}

}  // namespace

void GraphBuilder::scope(std::string prefix, int choice_block, Sparsity sparsity) {
  prefix_ = std::move(prefix);
  choice_block_ = choice_block;
  sparsity_ = sparsity;
}

Op& GraphBuilder::push(Op op, Shape out_shape, const std::string& name) {
  op.name = prefix_.empty() ? name : prefix_ + "." + name;
  check_bounds(op, out_shape);
  op.choice_block = choice_block_;
  op.output = graph_.add_tensor(op.name, out_shape);
  graph_.ops.push_back(std::move(op));
  return graph_.ops.back();
}

int GraphBuilder::conv(int input, const std::string& name, int out, int kernel, int stride,
                       int padding, int groups, bool relu, bool bn, bool bias) {
  const Shape in = shape(input);
  if (padding < 0) padding = kernel / 2;
  const std::string full = prefix_.empty() ? name : prefix_ + "." + name;
  if (groups < 1 || in.c % groups || out % groups)
    throw core::Error(full + ": " + std::to_string(groups) + " groups do not divide " +
                      std::to_string(in.c) + " -> " + std::to_string(out) + " channels");
  if (in.h + 2 * padding < kernel || in.w + 2 * padding < kernel)
    throw core::Error(full + ": " + std::to_string(kernel) + "x" + std::to_string(kernel) +
                      " kernel does not fit a " + to_string(in) + " input");
  Op op;
  op.kind = OpKind::conv;
  op.inputs = {input};
  op.kernel_h = op.kernel_w = kernel;
  op.stride = stride;
  op.padding = padding;
  op.groups = groups;
  op.relu = relu;
  const bool depthwise = groups > 1 && groups == in.c && groups == out;
  if (depthwise)
    op.weight_shape = {out, kernel, kernel};
  else
    op.weight_shape = {out, kernel, kernel, in.c / groups};
  op.has_bias = bn || bias;
  op.prunable = choice_block_ >= 0;
  op.sparsity = sparsity_;
  if (depthwise) op.sparsity.block = kernel;
  const std::int64_t w = std::int64_t(out) * kernel * kernel * (in.c / groups);
  op.float_params = w + (bn ? 2 * out : (bias ? out : 0));
  const Shape o{out, window_out(in.h, kernel, stride, padding),
                window_out(in.w, kernel, stride, padding)};
  return push(std::move(op), o, name).output;
}

int GraphBuilder::linear(int input, const std::string& name, int out, bool relu,
                         std::int64_t folded_norm_params) {
  const Shape in = shape(input);
  Op op;
  op.kind = OpKind::linear;
  op.inputs = {input};
  op.relu = relu;
  op.weight_shape = {out, in.c};
  op.has_bias = true;
  op.prunable = choice_block_ >= 0;
  op.sparsity = sparsity_;
  op.float_params = std::int64_t(out) * in.c + out + folded_norm_params;
  return push(std::move(op), Shape{out, in.h, in.w}, name).output;
}

int GraphBuilder::add(int a, int b, const std::string& name, bool relu) {
  if (shape(a) != shape(b))
    throw core::Error((prefix_.empty() ? name : prefix_ + "." + name) + ": cannot add " +
                      to_string(shape(a)) + " and " + to_string(shape(b)));
  Op op;
  op.kind = OpKind::add;
  op.inputs = {a, b};
  op.relu = relu;
  return push(std::move(op), shape(a), name).output;
}

int GraphBuilder::pool(OpKind kind, int input, const std::string& name, int kernel, int stride,
                       int padding) {
  const Shape in = shape(input);
  if (in.h + 2 * padding < kernel || in.w + 2 * padding < kernel)
    throw core::Error((prefix_.empty() ? name : prefix_ + "." + name) + ": " +
                      std::to_string(kernel) + "x" + std::to_string(kernel) +
                      " pooling window does not fit a " + to_string(in) + " input");
  Op op;
  op.kind = kind;
  op.inputs = {input};
  op.kernel_h = op.kernel_w = kernel;
  op.stride = stride;
  op.padding = padding;
  const Shape o{in.c, window_out(in.h, kernel, stride, padding),
                window_out(in.w, kernel, stride, padding)};
  return push(std::move(op), o, name).output;
}

int GraphBuilder::global_avg_pool(int input, const std::string& name) {
  Op op;
  op.kind = OpKind::global_avg_pool;
  op.inputs = {input};
  return push(std::move(op), Shape{shape(input).c, 1, 1}, name).output;
}

int GraphBuilder::seq_pool(int input, const std::string& name) {
  const int c = shape(input).c;
  Op op;
  op.kind = OpKind::seq_pool;
  op.inputs = {input};
  op.weight_shape = {1, c};
  op.has_bias = true;
  op.float_params = c + 1;
  return push(std::move(op), Shape{c, 1, 1}, name).output;
}

int GraphBuilder::layer_norm(int input, const std::string& name) {
  Op op;
  op.kind = OpKind::layer_norm;
  op.inputs = {input};
  op.float_params = 2 * std::int64_t(shape(input).c);
  return push(std::move(op), shape(input), name).output;
}

int GraphBuilder::attention(OpKind kind, int q, int k, int v, int heads,
                            const std::string& name) {
  const Shape sq = shape(q), sk = shape(k), sv = shape(v);
  const std::string full = prefix_.empty() ? name : prefix_ + "." + name;
  if (sq != sk || sq.h != sv.h || sq.w != sv.w || sq.c % heads || sv.c % heads)
    throw core::Error(full + ": q " + to_string(sq) + ", k " + to_string(sk) + ", v " + to_string(sv) +
                      " do not make " + std::to_string(heads) + " heads");
  Op op;
  op.kind = kind;
  op.inputs = {q, k, v};
  op.heads = heads;
  return push(std::move(op), Shape{sv.c, sv.h, sv.w}, name).output;
}

Graph describe_path(const SupernetLayout& layout, const Arch& arch, const SparseConfig* sparse,
                    const BlockRegistry& registry) {
  check_arch(arch, layout);
  if (sparse) check_sparse(*sparse, layout);
  Graph g;
  GraphBuilder b(g);
  g.input = g.add_tensor("input", layout.input);
  int t = g.input;
  for (std::size_t i = 0; i < layout.stem.size(); ++i) {
    b.scope("stem." + std::to_string(i), -1, {});
    t = registry.at(layout.stem[i].type).describe(layout.stem[i], b, t);
  }
  for (int flat = 0; flat < layout.num_choice_blocks(); ++flat) {
    const ChoiceBlock& cb = layout.block(flat);
    Sparsity s;
    if (sparse) {
      const BlockSparsity& bs = sparse->at(flat);
      s.ratio = bs.percent / 100.0;
      s.block = bs.block;
    }
    b.scope(cb.label, flat, s);
    const BlockArgs& args = cb.candidates.at(std::size_t(arch.at(flat)));
    t = registry.at(args.type).describe(args, b, t);
  }
  for (std::size_t i = 0; i < layout.head.size(); ++i) {
    b.scope("head." + std::to_string(i), -1, {});
    t = registry.at(layout.head[i].type).describe(layout.head[i], b, t);
  }
  b.scope("", -1, {});
  g.output = b.linear(t, "classifier", layout.classes);
  return g;
}

}  // namespace tinynas::space
