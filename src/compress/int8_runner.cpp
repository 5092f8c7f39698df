#include "tinynas/compress/int8_runner.h"

#include <algorithm>
#include <thread>

#include <torch/torch.h>

#include "tinynas/core/error.h"
#include "tinynas/cost/cost.h"

extern "C" {
#include "tnn_nn.h"
#include "tnn_transformer.h"
}

namespace tinynas::compress {
namespace {

using space::Op;
using space::OpKind;

tnn_dims map_dims(const space::Shape& s) { return {1, s.h, s.w, s.c}; }
tnn_dims token_dims(const space::Shape& s) { return {1, s.h * s.w, 1, s.c}; }

tnn_dims filter_dims(const Op& op) {
  const auto& w = op.weight_shape;
  if (op.kind == OpKind::linear) return {std::int32_t(w[0]), 1, 1, std::int32_t(w[1])};
  return {std::int32_t(w[0]), std::int32_t(w[1]), std::int32_t(w[2]),
          w.size() == 4 ? std::int32_t(w[3]) : 1};
}

tnn_quant step(const QuantOp& q, std::size_t i) { return {q.steps[i].multiplier, q.steps[i].shift}; }

// The fused activation of an op writing to `out`: ReLU clamps at the zero point.
tnn_activation activation(const Op& op, const QParams& out) {
  return {op.relu ? std::max(-128, out.zero_point) : -128, 127};
}

}  // namespace

Int8Runner::Int8Runner(const QuantizedModel& model) : model_(model) {
  validate(model);
  const auto& g = model.graph;
  tensors_.resize(g.tensors.size());
  for (std::size_t t = 0; t < g.tensors.size(); ++t)
    tensors_[t].assign(std::size_t(g.tensors[t].shape.numel()), 0);
  // The dense kernels' scratch, as the cost model states the runtime's contract (tested
  // against the kernels' get_buffer_size partners in tests/cost/runtime_contract_test.cpp).
  std::int64_t scratch = 0;
  for (const Op& op : g.ops) scratch = std::max(scratch, cost::scratch_bytes(g, op, cost::Storage::dense));
  // Kernels read int32 scratch: keep it 4-byte aligned (vector storage is).
  scratch_.assign(std::size_t(scratch) + 4, 0);
}

const std::vector<std::int8_t>& Int8Runner::run(const std::vector<std::int8_t>& input) {
  const auto& g = model_.graph;
  auto& in_buf = tensors_[std::size_t(g.input)];
  if (input.size() != in_buf.size())
    throw core::Error("Int8Runner: input has " + std::to_string(input.size()) + " values, the model takes " +
                      std::to_string(in_buf.size()));
  in_buf = input;
  tnn_context ctx{scratch_.data(), std::int32_t(scratch_.size())};
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const QuantOp& q = model_.ops[i];
    const space::Shape& is = g.shape(op.inputs[0]);
    const space::Shape& os = g.shape(op.output);
    const QParams& iq = model_.tensors[std::size_t(op.inputs[0])];
    const QParams& oq = model_.tensors[std::size_t(op.output)];
    const std::int8_t* x = tensors_[std::size_t(op.inputs[0])].data();
    std::int8_t* y = tensors_[std::size_t(op.output)].data();
    const tnn_per_channel_quant pc{q.multiplier.data(), q.shift.data()};
    auto other = [&](std::size_t k) { return tensors_[std::size_t(op.inputs[k])].data(); };
    auto offset = [&](std::size_t k) { return -model_.tensors[std::size_t(op.inputs[k])].zero_point; };
    tnn_status st = TNN_OK;
    switch (op.kind) {
      case OpKind::conv: {
        const tnn_conv_params p{-iq.zero_point, oq.zero_point, {op.stride, op.stride},
                                {op.padding, op.padding}, op.groups, activation(op, oq)};
        const tnn_dims id = map_dims(is), fd = filter_dims(op), od = map_dims(os);
        st = tnn_conv_s8(&ctx, &p, &pc, &id, x, &fd, q.weight.data(), q.bias.data(), &od, y);
        break;
      }
      case OpKind::linear: {
        const tnn_linear_params p{-iq.zero_point, oq.zero_point, activation(op, oq)};
        const tnn_dims id = token_dims(is), fd = filter_dims(op), od = token_dims(os);
        st = tnn_linear_s8(&ctx, &p, &pc, &id, x, &fd, q.weight.data(), q.bias.data(), &od, y);
        break;
      }
      case OpKind::add: {
        const tnn_add_params p{offset(0), offset(1), step(q, 0), step(q, 1), q.left_shift,
                               step(q, 2), oq.zero_point, activation(op, oq)};
        st = tnn_add_s8(&p, x, other(1), std::int32_t(os.numel()), y);
        break;
      }
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::mixed_pool: {
        const tnn_pool_kind kind = op.kind == OpKind::max_pool ? TNN_POOL_MAX
                                   : op.kind == OpKind::avg_pool ? TNN_POOL_AVG
                                                                 : TNN_POOL_MIXED;
        const tnn_pool_params p{kind, {op.kernel_w, op.kernel_h}, {op.stride, op.stride},
                                {op.padding, op.padding}, {-128, 127}};
        const tnn_dims id = map_dims(is), od = map_dims(os);
        st = tnn_pool_s8(&p, &id, x, &od, y);
        break;
      }
      case OpKind::global_avg_pool: {
        const tnn_dims id = map_dims(is);
        st = tnn_global_avg_pool_s8(&id, x, y);
        break;
      }
      case OpKind::layer_norm: {
        const tnn_layer_norm_params p{oq.zero_point, activation(op, oq)};
        const tnn_dims d = map_dims(is);
        st = tnn_layer_norm_s8(&p, &pc, &d, x, q.weight.data(), q.bias.data(), y);
        break;
      }
      case OpKind::seq_pool: {
        const tnn_seq_pool_params p{-iq.zero_point, oq.zero_point, step(q, 0), step(q, 1),
                                    activation(op, oq)};
        const tnn_dims d = token_dims(is);
        st = tnn_seq_pool_s8(&ctx, &p, &d, x, q.weight.data(), y);
        break;
      }
      case OpKind::attention_softmax: {
        const tnn_attention_params p{offset(0), offset(1), offset(2), oq.zero_point, op.heads,
                                     step(q, 0), step(q, 1), activation(op, oq)};
        const tnn_dims qd = token_dims(is), kd = token_dims(g.shape(op.inputs[1])),
                       vd = token_dims(g.shape(op.inputs[2])), od = token_dims(os);
        st = tnn_attention_softmax_s8(&ctx, &p, &qd, x, &kd, other(1), &vd, other(2), &od, y);
        break;
      }
      case OpKind::attention_relu_linear: {
        const tnn_linear_attention_params p{offset(0), offset(1), offset(2), oq.zero_point,
                                            op.heads, step(q, 0), step(q, 1), activation(op, oq)};
        const tnn_dims qd = token_dims(is), kd = token_dims(g.shape(op.inputs[1])),
                       vd = token_dims(g.shape(op.inputs[2])), od = token_dims(os);
        st = tnn_attention_relu_linear_s8(&ctx, &p, &qd, x, &kd, other(1), &vd, other(2), &od, y);
        break;
      }
    }
    if (st != TNN_OK)
      throw core::Error("Int8Runner: op '" + op.name + "' (" + space::to_string(op.kind) +
                        ") failed with runtime status " + std::to_string(int(st)));
  }
  return tensors_[std::size_t(g.output)];
}

std::vector<std::int8_t> Int8Runner::quantize_image(const torch::Tensor& image) const {
  const auto& s = model_.graph.shape(model_.graph.input);
  if (image.dim() != 3 || image.size(0) != s.c || image.size(1) != s.h || image.size(2) != s.w)
    throw core::Error("Int8Runner: image is not " + std::to_string(s.c) + "x" + std::to_string(s.h) +
                      "x" + std::to_string(s.w) + " (C x H x W)");
  const auto hwc = image.to(torch::kCPU, torch::kDouble).permute({1, 2, 0}).contiguous();
  const double* v = hwc.data_ptr<double>();
  const QParams& q = model_.tensors[std::size_t(model_.graph.input)];
  std::vector<std::int8_t> out(std::size_t(hwc.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = q.quantize(v[i]);
  return out;
}

std::vector<std::int64_t> Int8Runner::predict(const torch::Tensor& images) {
  std::vector<std::int64_t> top(std::size_t(images.size(0)));
  for (std::int64_t b = 0; b < images.size(0); ++b) {
    const auto& logits = run(quantize_image(images[b]));
    top[std::size_t(b)] = std::max_element(logits.begin(), logits.end()) - logits.begin();
  }
  return top;
}

std::vector<std::int64_t> predict_int8(const QuantizedModel& model, const torch::Tensor& images,
                                       int threads) {
  const std::int64_t n = images.size(0);
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::min<std::int64_t>(threads, std::max<std::int64_t>(n, 1)));
  std::vector<std::int64_t> top(static_cast<std::size_t>(n));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  const auto cpu = images.to(torch::kCPU, torch::kFloat).contiguous();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        Int8Runner runner(model);
        const std::int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
        if (hi <= lo) return;
        const auto part = runner.predict(cpu.slice(0, lo, hi));
        std::copy(part.begin(), part.end(), top.begin() + lo);
      } catch (...) {
        errors[std::size_t(t)] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return top;
}

}  // namespace tinynas::compress
