#include "tinynas/compress/float_graph.h"

#include <cmath>
#include <deque>
#include <map>

#include <torch/torch.h>

#include "tinynas/compress/fold_bn.h"
#include "tinynas/core/error.h"
#include "tinynas/nn/attention.h"
#include "tinynas/nn/conv.h"
#include "tinynas/nn/pool.h"
#include "tinynas/space/describe.h"

namespace tinynas::compress {
namespace {

using space::Op;
using space::OpKind;
using ModulePtr = std::shared_ptr<torch::nn::Module>;

struct Named {
  std::string name;
  ModulePtr module;
};

// The subnet's parameterised modules by the op kind they feed, in registration order.
struct ModuleQueues {
  std::deque<Named> convs, linears, norms, seq_pools;
  std::map<std::string, ModulePtr> batch_norm_1d;  // by qualified name, for folding
};

void collect(const ModulePtr& m, const std::string& name, ModuleQueues& q) {
  if (dynamic_cast<nn::ConvBnActImpl*>(m.get())) return q.convs.push_back({name, m});
  if (dynamic_cast<torch::nn::LinearImpl*>(m.get())) return q.linears.push_back({name, m});
  if (dynamic_cast<torch::nn::LayerNormImpl*>(m.get())) return q.norms.push_back({name, m});
  if (dynamic_cast<nn::SeqPoolImpl*>(m.get())) return q.seq_pools.push_back({name, m});
  if (dynamic_cast<torch::nn::BatchNorm1dImpl*>(m.get())) {
    q.batch_norm_1d[name] = m;
    return;
  }
  if (dynamic_cast<torch::nn::Conv2dImpl*>(m.get()) ||
      dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()))
    throw core::Error("FloatGraph: " + name + " (" + m->name() +
                      ") is outside a ConvBnAct; no graph op deploys it");
  if (!m->named_parameters(/*recurse=*/false).is_empty())
    throw core::Error("FloatGraph: " + name + " (" + m->name() +
                      ") holds parameters no graph op deploys");
  for (const auto& c : m->named_children())
    collect(c.value(), name.empty() ? c.key() : name + "." + c.key(), q);
}

Named take(std::deque<Named>& queue, const Op& op, const char* what) {
  if (queue.empty())
    throw core::Error("FloatGraph: op '" + op.name + "' has no " + what + " left in the subnet");
  Named n = queue.front();
  queue.pop_front();
  return n;
}

std::string sizes_text(const torch::Tensor& t) {
  std::string s;
  for (auto d : t.sizes()) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

void expect(bool ok, const Op& op, const Named& m, const std::string& what) {
  if (!ok)
    throw core::Error("FloatGraph: op '" + op.name + "' and module '" + m.name + "' differ: " +
                      what);
}

FloatOp conv_params(const Op& op, const Named& m) {
  const auto& block = dynamic_cast<const nn::ConvBnActImpl&>(*m.module);
  const auto& o = block.options;
  const auto& w = block.conv->weight;
  const std::int64_t in_per_group = op.weight_shape.size() == 3 ? 1 : op.weight_shape[3];
  expect(w.size(0) == op.weight_shape[0] && w.size(1) == in_per_group &&
             w.size(2) == op.kernel_h && w.size(3) == op.kernel_w,
         op, m, "weight " + sizes_text(w));
  expect(o.stride() == op.stride && nn::conv_padding(o) == op.padding &&
             o.groups() == op.groups && o.relu() == op.relu,
         op, m, "stride, padding, groups or ReLU");
  const FoldedParams f = fold_conv_bn(block);
  return {f.weight.detach().to(torch::kFloat).clone(), f.bias.detach().to(torch::kFloat).clone(),
          1e-5, m.name};
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The name of the BatchNorm1d a batch-norm encoder applies after this Linear (encoder.h);
// empty for other Linears.
std::string norm_after(const std::string& linear) {
  if (ends_with(linear, ".mhsa.proj")) return linear.substr(0, linear.size() - 10) + ".bn1";
  if (ends_with(linear, ".fc2")) return linear.substr(0, linear.size() - 4) + ".bn2";
  return "";
}

FloatOp linear_params(const Op& op, const Named& m, ModuleQueues& q) {
  const auto& l = dynamic_cast<const torch::nn::LinearImpl&>(*m.module);
  expect(l.weight.size(0) == op.weight_shape[0] && l.weight.size(1) == op.weight_shape[1], op,
         m, "weight " + sizes_text(l.weight));
  FloatOp p{l.weight.detach(), l.bias.defined() ? l.bias.detach() : torch::zeros({l.weight.size(0)}, l.weight.options()),
            1e-5, m.name};
  const auto bn = q.batch_norm_1d.find(norm_after(m.name));
  if (bn != q.batch_norm_1d.end()) {
    const FoldedParams f = fold_output_norm(
        p.weight, p.bias, norm_stats(dynamic_cast<const torch::nn::BatchNorm1dImpl&>(*bn->second)));
    p.weight = f.weight;
    p.bias = f.bias;
    q.batch_norm_1d.erase(bn);  // folded; any left at the end fold into nothing
  }
  p.weight = p.weight.to(torch::kFloat).clone();
  p.bias = p.bias.to(torch::kFloat).clone();
  return p;
}

FloatOp layer_norm_params(const Op& op, const Named& m, int channels) {
  const auto& ln = dynamic_cast<const torch::nn::LayerNormImpl&>(*m.module);
  const auto& shape = ln.options.normalized_shape();
  expect(shape.size() == 1 && shape[0] == channels && ln.options.elementwise_affine(), op, m,
         "normalized shape or affine");
  return {ln.weight.detach().to(torch::kFloat).clone(), ln.bias.detach().to(torch::kFloat).clone(),
          ln.options.eps(), m.name};
}

FloatOp seq_pool_params(const Op& op, const Named& m, int channels) {
  const auto& sp = dynamic_cast<const nn::SeqPoolImpl&>(*m.module);
  expect(sp.options.dim() == channels, op, m, "channels");
  return {sp.attn->weight.detach().reshape({-1}).to(torch::kFloat).clone(),
          sp.attn->bias.detach().reshape({-1}).to(torch::kFloat).clone(), 1e-5, m.name};
}

torch::Tensor tokens_of(const torch::Tensor& x) { return nn::to_tokens(x); }
torch::Tensor map_of(const torch::Tensor& tokens, const torch::Tensor& like) {
  return nn::from_tokens(tokens, like.size(2), like.size(3));
}

}  // namespace

FloatGraph::FloatGraph(space::Subnet& subnet, const space::SupernetLayout& layout,
                       const space::SparseConfig& sparse, const space::BlockRegistry& registry)
    : graph_(space::describe_path(layout, subnet->arch(), &sparse, registry)) {
  torch::NoGradGuard no_grad;
  ModuleQueues q;
  for (const auto& c : subnet->named_children()) collect(c.value(), c.key(), q);
  params_.resize(graph_.ops.size());
  for (std::size_t i = 0; i < graph_.ops.size(); ++i) {
    const Op& op = graph_.ops[i];
    const int channels = graph_.shape(op.inputs.at(0)).c;
    switch (op.kind) {
      case OpKind::conv: params_[i] = conv_params(op, take(q.convs, op, "ConvBnAct")); break;
      case OpKind::linear: params_[i] = linear_params(op, take(q.linears, op, "Linear"), q); break;
      case OpKind::layer_norm:
        params_[i] = layer_norm_params(op, take(q.norms, op, "LayerNorm"), channels);
        break;
      case OpKind::seq_pool:
        params_[i] = seq_pool_params(op, take(q.seq_pools, op, "SeqPool"), channels);
        break;
      default: break;
    }
  }
  auto leftover = [](const std::deque<Named>& queue) {
    if (!queue.empty())
      throw core::Error("FloatGraph: module '" + queue.front().name +
                        "' feeds no op of the path's graph");
  };
  leftover(q.convs);
  leftover(q.linears);
  leftover(q.norms);
  leftover(q.seq_pools);
  if (!q.batch_norm_1d.empty())
    throw core::Error("FloatGraph: BatchNorm1d '" + q.batch_norm_1d.begin()->first +
                      "' follows no projection it could fold into");
}

void FloatGraph::rescale_channels(int producer, int consumer, const torch::Tensor& scale) {
  const auto n = int(graph_.ops.size());
  if (producer < 0 || producer >= n || consumer < 0 || consumer >= n)
    throw core::Error("FloatGraph::rescale_channels: op index out of range");
  const Op& a = graph_.ops[std::size_t(producer)];
  const Op& b = graph_.ops[std::size_t(consumer)];
  const std::int64_t c = graph_.shape(a.output).c;
  const bool depthwise = b.kind == OpKind::conv && b.groups == c && c > 1 && graph_.shape(b.output).c == c;
  const bool dense = (b.kind == OpKind::conv && b.groups == 1) || b.kind == OpKind::linear;
  if ((a.kind != OpKind::conv && a.kind != OpKind::linear) || !(depthwise || dense) ||
      b.inputs.size() != 1 || b.inputs[0] != a.output || scale.numel() != c ||
      !(scale.min().item<double>() > 0))
    throw core::Error("FloatGraph::rescale_channels: '" + a.name + "' -> '" + b.name +
                      "' is not a conv or linear feeding a depthwise or dense conv or a linear, "
                      "or the scales are not " + std::to_string(c) + " positive values");
  torch::NoGradGuard no_grad;
  FloatOp& pa = params_[std::size_t(producer)];
  FloatOp& pb = params_[std::size_t(consumer)];
  // producer: output channel = dimension 0; consumer: depthwise filter c = dimension 0,
  // dense weights read input channel c along dimension 1
  std::vector<std::int64_t> shape_a(std::size_t(pa.weight.dim()), 1), shape_b(std::size_t(pb.weight.dim()), 1);
  shape_a[0] = c;
  shape_b[depthwise ? 0 : 1] = c;
  const auto s = scale.to(pa.weight.options());
  pa.weight = pa.weight * s.view(shape_a);
  pa.bias = pa.bias * s;
  pb.weight = pb.weight / s.view(shape_b);
}

torch::Tensor FloatGraph::run(const torch::Tensor& images, const FloatObserver& observe) const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> t(graph_.tensors.size());
  t[std::size_t(graph_.input)] = images.to(torch::kCPU, torch::kFloat);
  if (observe.tensor) observe.tensor(graph_.input, t[std::size_t(graph_.input)]);
  for (std::size_t i = 0; i < graph_.ops.size(); ++i) {
    const Op& op = graph_.ops[i];
    const FloatOp& p = params_[i];
    const torch::Tensor& x = t[std::size_t(op.inputs.at(0))];
    torch::Tensor y;
    switch (op.kind) {
      case OpKind::conv:
        y = torch::conv2d(x, p.weight, p.bias, op.stride, op.padding, 1, op.groups);
        break;
      case OpKind::linear: y = map_of(torch::linear(tokens_of(x), p.weight, p.bias), x); break;
      case OpKind::add: y = x + t[std::size_t(op.inputs.at(1))]; break;
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::mixed_pool: {
        const nn::PoolKind kind = op.kind == OpKind::max_pool  ? nn::PoolKind::max
                                  : op.kind == OpKind::avg_pool ? nn::PoolKind::avg
                                                                : nn::PoolKind::mixed;
        y = nn::pool2d(x, nn::Pool2dOptions(kind, op.kernel_h).stride(op.stride).padding(op.padding));
        break;
      }
      case OpKind::global_avg_pool: y = x.mean({2, 3}, /*keepdim=*/true); break;
      case OpKind::seq_pool: {
        const auto tokens = tokens_of(x);                                       // (B, N, C)
        const auto w = torch::softmax(torch::matmul(tokens, p.weight) + p.bias, 1);  // (B, N)
        y = torch::matmul(w.unsqueeze(1), tokens).squeeze(1);                  // (B, C)
        y = y.reshape({y.size(0), y.size(1), 1, 1});
        break;
      }
      case OpKind::layer_norm:
        y = map_of(torch::layer_norm(tokens_of(x), {x.size(1)}, p.weight, p.bias, p.eps), x);
        break;
      case OpKind::attention_softmax:
      case OpKind::attention_relu_linear: {
        const auto q = tokens_of(x);
        const auto k = tokens_of(t[std::size_t(op.inputs.at(1))]);
        const auto v = tokens_of(t[std::size_t(op.inputs.at(2))]);
        if (op.kind == OpKind::attention_softmax) {
          y = nn::softmax_attention(q, k, v, op.heads);
        } else {
          y = nn::relu_linear_attention(q, k, v, op.heads);
          if (observe.kv) {
            const std::int64_t b = k.size(0), m = k.size(1);
            const auto kh = torch::relu(k).reshape({b, m, op.heads, -1}).permute({0, 2, 3, 1});
            const auto vh = v.reshape({b, m, op.heads, -1}).permute({0, 2, 1, 3});
            observe.kv(int(i), torch::matmul(kh, vh));  // (B, heads, dh, dv)
          }
        }
        y = map_of(y, x);
        break;
      }
    }
    if (op.relu) y = torch::relu(y);
    t[std::size_t(op.output)] = y;
    if (observe.tensor) observe.tensor(op.output, y);
  }
  const auto& logits = t[std::size_t(graph_.output)];
  return logits.reshape({logits.size(0), -1});
}

void FloatGraph::check_matches(space::Subnet& subnet, const torch::Tensor& images,
                               double tolerance) const {
  torch::NoGradGuard no_grad;
  const bool was_training = subnet->is_training();
  subnet->eval();
  const auto expected = subnet->forward(images.to(torch::kFloat)).to(torch::kCPU);
  subnet->train(was_training);
  const auto got = run(images);
  const double scale = 1.0 + expected.abs().max().item<double>();
  const double diff = (got - expected).abs().max().item<double>();
  if (!(diff <= tolerance * scale))
    throw core::Error("FloatGraph: the graph's logits differ from the subnet's by " +
                      std::to_string(diff) + " (allowed " + std::to_string(tolerance * scale) +
                      "); the graph does not describe this model");
}

}  // namespace tinynas::compress
