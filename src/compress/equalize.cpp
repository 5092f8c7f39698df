#include "tinynas/compress/equalize.h"

#include <algorithm>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {

using space::OpKind;

std::vector<EqualizePair> equalization_pairs(const space::Graph& g) {
  std::vector<int> readers(g.tensors.size(), 0);
  for (const auto& op : g.ops)
    for (int t : op.inputs) ++readers[std::size_t(t)];
  std::vector<int> producer(g.tensors.size(), -1);
  for (std::size_t i = 0; i < g.ops.size(); ++i) producer[std::size_t(g.ops[i].output)] = int(i);
  std::vector<EqualizePair> pairs;
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const auto& b = g.ops[i];
    const int c = g.shape(b.inputs.at(0)).c;
    const bool depthwise = b.kind == OpKind::conv && b.groups > 1 && b.groups == c &&
                           g.shape(b.output).c == c;  // not with a channel multiplier
    const bool dense = (b.kind == OpKind::conv && b.groups == 1) || b.kind == OpKind::linear;
    if (!(depthwise || dense) || b.inputs.size() != 1) continue;
    const int t = b.inputs[0];
    const int p = producer[std::size_t(t)];
    if (p < 0 || readers[std::size_t(t)] != 1 || t == g.output) continue;
    const auto kind = g.ops[std::size_t(p)].kind;
    if (kind != OpKind::conv && kind != OpKind::linear) continue;  // a ReLU or nothing after both
    pairs.push_back({p, int(i), t});
  }
  return pairs;
}

void observe_channel_max(const FloatGraph& graph, const std::vector<EqualizePair>& pairs,
                         const torch::Tensor& images, std::vector<torch::Tensor>& channel_max) {
  channel_max.resize(graph.graph().tensors.size());
  std::vector<bool> wanted(channel_max.size(), false);
  for (const auto& p : pairs) wanted[std::size_t(p.tensor)] = true;
  FloatObserver obs;
  obs.tensor = [&](int t, const torch::Tensor& v) {
    if (!wanted[std::size_t(t)]) return;
    const auto m = v.abs().amax({0, 2, 3}).to(torch::kDouble);
    auto& acc = channel_max[std::size_t(t)];
    acc = acc.defined() ? torch::maximum(acc, m) : m;
  };
  graph.run(images, obs);
}

int equalize_activations(FloatGraph& graph, const std::vector<EqualizePair>& pairs,
                         const std::vector<torch::Tensor>& channel_max, double max_scale) {
  torch::NoGradGuard no_grad;
  int scaled = 0;
  for (const auto& p : pairs) {
    if (std::size_t(p.tensor) >= channel_max.size() || !channel_max[std::size_t(p.tensor)].defined())
      throw core::Error("equalize_activations: no channel ranges for tensor '" +
                        graph.graph().tensors[std::size_t(p.tensor)].name + "'");
    const auto& r = channel_max[std::size_t(p.tensor)];
    const double top = r.max().item<double>();
    if (!(top > 0)) continue;
    // Depthwise consumer: s = top / r, the channel's full range (its filter is quantized
    // alone). Dense consumer: its weights are quantized per output row, so dividing input
    // column c by s coarsens column c's rounding by as much as the channel gains: the
    // geometric mean of the two, s = sqrt(top / r * w_c / w_max) (w_c: column c's largest
    // weight), balances them, never below 1 nor above top / r. A column that compensates a
    // tiny channel with huge weights (w_c near w_max) gets most of the range.
    const auto full = (top / r.clamp_min(1e-30)).clamp_max(max_scale);
    torch::Tensor s = full;
    const auto& cons = graph.graph().ops[std::size_t(p.consumer)];
    if (!(cons.kind == OpKind::conv && cons.groups > 1)) {
      const auto w = graph.params()[std::size_t(p.consumer)].weight.abs().to(torch::kDouble);
      const auto wc = w.dim() == 4 ? w.amax({0, 2, 3}) : w.amax({0});
      const double wmax = std::max(wc.max().item<double>(), 1e-30);
      s = torch::minimum(torch::sqrt(full * wc / wmax).clamp_min(1.0), full);
    } else {
      // Dividing filter c by s multiplies its int32 bias by s: keep it well inside the
      // accumulator (quantize clamps a bias that leaves no headroom), estimating the input
      // step as top / 255.
      const auto& pc = graph.params()[std::size_t(p.consumer)];
      const auto wc = pc.weight.abs().to(torch::kDouble).flatten(1).amax(1);
      const auto bc = pc.bias.abs().to(torch::kDouble);
      const auto cap = torch::where(bc > 0, double(1 << 29) * (top / 255.0) * wc / (127.0 * bc.clamp_min(1e-30)),
                                    torch::full_like(bc, max_scale));
      s = torch::minimum(s, cap.clamp_min(1.0));
    }
    s = torch::where(r > 0, s, torch::ones_like(r));  // dead channels stay as they are
    scaled += (s > 1.0 + 1e-6).sum().item<int>();
    graph.rescale_channels(p.producer, p.consumer, s.to(torch::kFloat));
  }
  return scaled;
}

}  // namespace tinynas::compress
