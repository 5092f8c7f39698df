#include "tinynas/compress/block_mask.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <torch/torch.h>

#include "tinynas/core/error.h"

namespace tinynas::compress {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_shape(at::IntArrayRef shape, bool depthwise) {
  if (shape.size() == 2) {
    if (depthwise)
      throw core::Error("a depthwise weight must be [C, 1, kh, kw], got " + shape_text(shape));
    return;
  }
  if (shape.size() == 4) {
    if (depthwise && shape[1] != 1)
      throw core::Error("a depthwise weight must be [C, 1, kh, kw], got " + shape_text(shape));
    return;
  }
  throw core::Error("weights must be conv [O, I/g, kh, kw] or linear [O, I], got " +
                    shape_text(shape));
}

cost::WeightLayout layout_of(at::IntArrayRef s, bool depthwise) {
  check_shape(s, depthwise);
  if (s.size() == 2) return {s[0], s[1]};
  if (depthwise) return {s[0] * s[2], s[3]};
  return {s[0], s[1] * s[2] * s[3]};
}

int block_of(at::IntArrayRef s, bool depthwise, int block) {
  check_shape(s, depthwise);
  if (depthwise) return int(s[3]);
  if (block < 1) throw core::Error("block size must be at least 1, got " + std::to_string(block));
  return block;
}

const torch::Tensor& defined(const torch::Tensor& t) {
  if (!t.defined()) throw core::Error("weight tensor is undefined");
  return t;
}

// rows x row_len → rows x blocks x b, zero-padding each row's short last block.
torch::Tensor blocked(const torch::Tensor& rows, std::int64_t row_len, int b) {
  const std::int64_t nb = (row_len + b - 1) / b;
  const std::int64_t pad = nb * b - row_len;
  const torch::Tensor t = pad ? torch::constant_pad_nd(rows, {0, pad}, 0) : rows;
  return t.reshape({rows.size(0), nb, b});
}

}  // namespace

cost::WeightLayout runtime_layout(const torch::Tensor& weight, bool depthwise) {
  return layout_of(defined(weight).sizes(), depthwise);
}

int effective_block(const torch::Tensor& weight, bool depthwise, int block) {
  return block_of(defined(weight).sizes(), depthwise, block);
}

torch::Tensor to_runtime(const torch::Tensor& weight, bool depthwise) {
  const cost::WeightLayout l = runtime_layout(weight, depthwise);
  torch::Tensor w = weight.detach();
  if (w.dim() == 4 && !depthwise) w = w.permute({0, 2, 3, 1});  // OIHW → OHWI
  return w.clone(at::MemoryFormat::Contiguous).view({l.rows, l.row_len});
}

torch::Tensor from_runtime(const torch::Tensor& rows, at::IntArrayRef shape, bool depthwise) {
  const cost::WeightLayout l = layout_of(shape, depthwise);
  if (defined(rows).numel() != l.numel())
    throw core::Error("runtime-order tensor has " + std::to_string(rows.numel()) +
                      " elements, weight " + shape_text(shape) + " needs " +
                      std::to_string(l.numel()));
  torch::Tensor t = rows.detach();
  if (shape.size() == 4 && !depthwise)
    t = t.reshape({shape[0], shape[2], shape[3], shape[1]}).permute({0, 3, 1, 2});
  else
    t = t.reshape(shape);
  return t.clone(at::MemoryFormat::Contiguous);
}

torch::Tensor block_scores(const torch::Tensor& weight, bool depthwise, int block) {
  const int b = effective_block(weight, depthwise, block);
  const cost::WeightLayout l = runtime_layout(weight, depthwise);
  const torch::Tensor rows = to_runtime(weight, depthwise).to(torch::kDouble);
  return blocked(rows, l.row_len, b).abs().sum(-1).reshape({-1}).to(torch::kCPU).contiguous();
}

std::vector<std::int64_t> lowest_score_blocks(const torch::Tensor& scores, std::int64_t count) {
  if (!scores.defined() || scores.dim() != 1)
    throw core::Error("block scores must be a 1-D tensor");
  const torch::Tensor s = scores.to(torch::kCPU, torch::kDouble).contiguous();
  const std::int64_t n = s.numel();
  if (count < 0 || count > n)
    throw core::Error("cannot pick " + std::to_string(count) + " of " + std::to_string(n) +
                      " blocks");
  const double* v = s.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i)
    if (std::isnan(v[i]))
      throw core::Error("block " + std::to_string(i) + " has a NaN magnitude score");
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [v](std::int64_t a, std::int64_t b) { return v[a] < v[b]; });
  order.resize(std::size_t(count));
  return order;
}

torch::Tensor expand_block_mask(const std::vector<std::uint8_t>& keep, at::IntArrayRef shape,
                                bool depthwise, int block, const torch::TensorOptions& options) {
  const cost::WeightLayout l = layout_of(shape, depthwise);
  const int b = block_of(shape, depthwise, block);
  const std::int64_t n = cost::block_count(l.rows, l.row_len, b);
  if (std::int64_t(keep.size()) != n)
    throw core::Error("weight " + shape_text(shape) + " has " + std::to_string(n) +
                      " blocks of " + std::to_string(b) + ", got " +
                      std::to_string(keep.size()) + " block flags");
  const std::int64_t nb = l.rows ? n / l.rows : 0;
  torch::Tensor flags =
      torch::from_blob(const_cast<std::uint8_t*>(keep.data()), {n}, torch::kUInt8).ne(0);
  torch::Tensor rows = flags.view({l.rows, nb, 1})
                           .expand({l.rows, nb, b})
                           .reshape({l.rows, nb * b})
                           .narrow(1, 0, l.row_len);
  return from_runtime(rows, shape, depthwise).to(options);
}

std::vector<std::uint8_t> block_nonzero(const torch::Tensor& t, bool depthwise, int block) {
  const int b = effective_block(t, depthwise, block);
  const cost::WeightLayout l = runtime_layout(t, depthwise);
  const torch::Tensor any =
      blocked(to_runtime(t, depthwise), l.row_len, b).ne(0).any(-1).reshape({-1});
  const torch::Tensor flags = any.to(torch::kCPU, torch::kUInt8).contiguous();
  const std::uint8_t* p = flags.data_ptr<std::uint8_t>();
  return std::vector<std::uint8_t>(p, p + flags.numel());
}

torch::Tensor magnitude_block_mask(const torch::Tensor& weight, bool depthwise, int block,
                                   double ratio) {
  const torch::Tensor scores = block_scores(weight, depthwise, block);
  const std::int64_t n = scores.numel();
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 1);
  for (std::int64_t i : lowest_score_blocks(scores, cost::pruned_blocks(n, ratio)))
    keep[std::size_t(i)] = 0;
  return expand_block_mask(keep, weight.sizes(), depthwise, block, weight.options());
}

}  // namespace tinynas::compress
