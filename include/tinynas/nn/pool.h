// Pooling and the classifier head. Feature maps are NCHW float.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tinynas::nn {

/// max, avg, or mixed = 0.5 * (max + avg) over the same windows.
enum class PoolKind { max, avg, mixed };

/// "max" / "avg" / "mixed".
const char* to_string(PoolKind kind);
/// Inverse of to_string; throws std::invalid_argument naming the valid values.
PoolKind pool_kind_from_string(const std::string& name);

/// Options for Pool2d. Required: kind and square kernel size.
struct Pool2dOptions {
  Pool2dOptions(PoolKind kind, int64_t kernel) : kind_(kind), kernel_(kernel) {}

  TORCH_ARG(PoolKind, kind);
  /// > 0.
  TORCH_ARG(int64_t, kernel);
  /// 0 = kernel (non-overlapping windows).
  TORCH_ARG(int64_t, stride) = 0;
  /// Implicit padding on each side, 0 <= padding <= kernel/2. Padded positions never
  /// contribute: max ignores them and avg divides by the number of real inputs in the
  /// window (count_include_pad = false, as TFLite's int8 average pool does).
  TORCH_ARG(int64_t, padding) = 0;
};

/// The stride `options` resolves to (kernel when stride is 0).
int64_t pool_stride(const Pool2dOptions& options);

/// Output height (or width) for an input of `size`: floor((size + 2p - k) / s) + 1.
int64_t pool_output_size(int64_t size, const Pool2dOptions& options);

/// The pooling math: (B, C, H, W) -> (B, C, H', W') with H', W' from pool_output_size.
torch::Tensor pool2d(const torch::Tensor& x, const Pool2dOptions& options);

/// Module wrapper of pool2d; no parameters.
class Pool2dImpl : public torch::nn::Cloneable<Pool2dImpl> {
 public:
  /// Throws c10::Error unless kernel > 0, stride >= 0, 0 <= padding <= kernel/2.
  explicit Pool2dImpl(Pool2dOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  Pool2dOptions options;
};
TORCH_MODULE(Pool2d);

/// Mean over H and W: (B, C, H, W) -> (B, C). No parameters.
class GlobalAvgPoolImpl : public torch::nn::Cloneable<GlobalAvgPoolImpl> {
 public:
  void reset() override {}
  /// Throws c10::Error unless x is 4-D.
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(GlobalAvgPool);

/// Options for SeqPool. Required: channel (token) width.
struct SeqPoolOptions {
  explicit SeqPoolOptions(int64_t dim) : dim_(dim) {}

  TORCH_ARG(int64_t, dim);
};

/// CCT sequence pooling: an attention-weighted mean of the tokens.
/// (B, dim, H, W) -> tokens x (B, N, dim) -> w = softmax over the N tokens of attn(x)
/// (attn = Linear dim -> 1 with bias) -> sum_n w_n x_n -> (B, dim).
/// Also accepts tokens (B, N, dim) directly. Submodule: "attn".
class SeqPoolImpl : public torch::nn::Cloneable<SeqPoolImpl> {
 public:
  /// Throws c10::Error unless dim > 0.
  explicit SeqPoolImpl(SeqPoolOptions options);

  void reset() override;
  /// Throws c10::Error unless x is 4-D (B, dim, H, W) or 3-D (B, N, dim).
  torch::Tensor forward(const torch::Tensor& x);

  SeqPoolOptions options;
  torch::nn::Linear attn{nullptr};
};
TORCH_MODULE(SeqPool);

/// Options for Classifier. Required: input features and number of classes.
struct ClassifierOptions {
  ClassifierOptions(int64_t in_features, int64_t classes)
      : in_features_(in_features), classes_(classes) {}

  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, classes);
  /// Dropout probability on the input features while training, in [0, 1).
  TORCH_ARG(double, dropout) = 0.0;
};

/// Dropout (training only) then Linear with bias: (B, in_features) -> (B, classes) logits.
/// Submodule: "fc".
class ClassifierImpl : public torch::nn::Cloneable<ClassifierImpl> {
 public:
  /// Throws c10::Error unless in_features, classes > 0 and 0 <= dropout < 1.
  explicit ClassifierImpl(ClassifierOptions options);

  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  ClassifierOptions options;
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Classifier);

}  // namespace tinynas::nn
