#include "tinynas/compress/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {
namespace {

using space::Op;
using space::OpKind;

std::vector<float> values_of(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Weights and biases of a conv or linear, per output channel: weights already in the
// runtime's layout (rows = output channels).
void quantize_matmul(const std::vector<float>& weights, std::int64_t rows,
                     const torch::Tensor& bias, double in_scale, double out_scale,
                     QuantOp& q) {
  const ChannelWeights w = quantize_per_channel(weights, rows, std::int64_t(weights.size()) / rows);
  q.weight = w.values;
  const std::vector<float> b = values_of(bias);
  // The runtime accepts a bias only when adding K products of (int8 + offset) x int8 (each
  // below 2^15 in magnitude) cannot leave int32 (tnn_model.h); a channel with a tiny
  // weight scale (BatchNorm gamma near 0) could otherwise saturate past that.
  const std::int64_t row_len = std::int64_t(weights.size()) / rows;
  const std::int64_t headroom = std::int64_t(std::numeric_limits<std::int32_t>::max()) - 32768 * row_len;
  for (std::int64_t o = 0; o < rows; ++o) {
    const double acc_scale = in_scale * w.scales[std::size_t(o)];
    q.bias.push_back(std::int32_t(
        std::clamp<std::int64_t>(quantize_bias(b[std::size_t(o)], acc_scale), -headroom, headroom)));
    const Requant r = quantize_multiplier(acc_scale / out_scale);
    q.multiplier.push_back(r.multiplier);
    q.shift.push_back(r.shift);
  }
}

}  // namespace

QParams input_qparams(const std::vector<float>& mean, const std::vector<float>& std) {
  if (mean.empty() || mean.size() != std.size())
    throw core::Error("input_qparams: normalization needs one mean and std per channel");
  double lo = 0, hi = 0;
  for (std::size_t c = 0; c < mean.size(); ++c) {
    if (!(std[c] > 0)) throw core::Error("input_qparams: std of channel " + std::to_string(c) + " is not > 0");
    lo = std::min(lo, (0.0 - mean[c]) / std[c]);
    hi = std::max(hi, (1.0 - mean[c]) / std[c]);
  }
  return choose_qparams(lo, hi);
}

QuantizedModel quantize(const FloatGraph& fg, const CalibrationResult& cal, const QParams& input) {
  const space::Graph& g = fg.graph();
  if (cal.tensors.size() != g.tensors.size() || cal.kv_max.size() != g.ops.size())
    throw core::Error("quantize: the calibration is of another graph");
  QuantizedModel m;
  m.graph = g;
  m.tensors.assign(g.tensors.size(), QParams{});
  m.ops.resize(g.ops.size());
  m.tensors[std::size_t(g.input)] = input;
  auto qp = [&](int t) -> const QParams& { return m.tensors[std::size_t(t)]; };
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const FloatOp& p = fg.params()[i];
    QuantOp& q = m.ops[i];
    try {
      // The output's quantization first: pools inherit their input's.
      QParams& out = m.tensors[std::size_t(op.output)];
      const bool keeps_input = op.kind == OpKind::max_pool || op.kind == OpKind::avg_pool ||
                               op.kind == OpKind::mixed_pool || op.kind == OpKind::global_avg_pool;
      if (keeps_input) {
        out = qp(op.inputs[0]);
      } else {
        const Range& r = cal.tensors[std::size_t(op.output)];
        if (!r.seen) throw core::Error("no calibrated range for its output");
        out = choose_qparams(r.lo, r.hi);
      }
      const double s_in = qp(op.inputs[0]).scale;
      switch (op.kind) {
        case OpKind::conv: {
          // [O, I/g, kh, kw] -> OHWI (depthwise: C x kh x kw, the same bytes).
          const auto w = p.weight.permute({0, 2, 3, 1}).contiguous();
          quantize_matmul(values_of(w), w.size(0), p.bias, s_in, out.scale, q);
          break;
        }
        case OpKind::linear:
          quantize_matmul(values_of(p.weight), p.weight.size(0), p.bias, s_in, out.scale, q);
          break;
        case OpKind::layer_norm: {
          const std::vector<float> gamma = values_of(p.weight), beta = values_of(p.bias);
          for (std::size_t c = 0; c < gamma.size(); ++c) {
            // acc = n * w + bias with n = 128 * (x - mean) / std, so one acc unit is s_w / 128;
            // a tiny gamma beside a large beta needs a coarser s_w for the bias to fit int32.
            const double s_w = std::max({std::fabs(double(gamma[c])) / 127.0,
                                         std::fabs(double(beta[c])) * 128.0 / double(1 << 30),
                                         1e-30});
            q.weight.push_back(std::int8_t(std::clamp(std::round(gamma[c] / s_w), -127.0, 127.0)));
            const double unit = s_w / 128.0;
            q.bias.push_back(quantize_bias(beta[c], unit));
            const Requant r = quantize_multiplier(unit / out.scale);
            q.multiplier.push_back(r.multiplier);
            q.shift.push_back(r.shift);
          }
          break;
        }
        case OpKind::seq_pool: {
          const std::vector<float> w = values_of(p.weight);
          const ChannelWeights cw = quantize_per_channel(w, 1, std::int64_t(w.size()));
          q.weight = cw.values;
          q.steps = {quantize_multiplier(s_in * cw.scales[0] * 256.0),
                     quantize_multiplier(s_in / (256.0 * out.scale))};
          break;
        }
        case OpKind::attention_softmax: {
          const double dh = double(g.shape(op.inputs[0]).c / op.heads);
          const double s_q = s_in, s_k = qp(op.inputs[1]).scale, s_v = qp(op.inputs[2]).scale;
          q.steps = {quantize_multiplier(s_q * s_k / std::sqrt(dh) * 256.0),
                     quantize_multiplier(s_v / (256.0 * out.scale))};
          break;
        }
        case OpKind::attention_relu_linear: {
          const double s_q = s_in, s_k = qp(op.inputs[1]).scale, s_v = qp(op.inputs[2]).scale;
          const double kv_max = cal.kv_max[i];
          const double s_kv = kv_max > 0 ? kv_max / 32767.0 : 1.0 / 32767.0;
          const auto& ks = g.shape(op.inputs[1]);
          const double tokens = double(ks.h) * double(ks.w);
          q.steps = {quantize_multiplier(s_k * s_v / s_kv),
                     quantize_multiplier(s_q * s_kv / (tokens * out.scale))};
          break;
        }
        case OpKind::add: {
          const double s1 = s_in, s2 = qp(op.inputs[1]).scale;
          const double twice_max = 2.0 * std::max(s1, s2);
          q.left_shift = 20;
          q.steps = {quantize_multiplier(s1 / twice_max), quantize_multiplier(s2 / twice_max),
                     quantize_multiplier(twice_max / (double(1 << 20) * out.scale))};
          break;
        }
        default: break;
      }
    } catch (const std::exception& e) {
      core::rethrow_with_context("quantize: op '" + op.name + "'", e);
    }
  }
  validate(m);
  return m;
}

}  // namespace tinynas::compress
