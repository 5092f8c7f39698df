#include "tinynas/compress/mask_set.h"

#include <map>
#include <string>

#include <torch/torch.h>

#include "tinynas/compress/block_mask.h"
#include "tinynas/core/error.h"

namespace tinynas::compress {
namespace {

std::string layer_context(const PrunableLayer& l) { return "compress: layer '" + l.name + "'"; }

std::int64_t count_nonzero(const std::vector<std::uint8_t>& flags) {
  std::int64_t n = 0;
  for (std::uint8_t f : flags) n += f != 0;
  return n;
}

}  // namespace

MaskSet::MaskSet(std::vector<PrunableLayer> layers) : layers_(std::move(layers)) {
  masks_.reserve(layers_.size());
  for (const PrunableLayer& l : layers_) {
    try {
      const cost::WeightLayout wl = runtime_layout(l.weight, l.depthwise);
      if (wl.rows != l.layout.rows || wl.row_len != l.layout.row_len)
        throw core::Error("its layout " + std::to_string(l.layout.rows) + " x " +
                          std::to_string(l.layout.row_len) + " does not fit its weight (" +
                          std::to_string(wl.rows) + " x " + std::to_string(wl.row_len) + ")");
      const int b = effective_block(l.weight, l.depthwise, l.block);
      if (b != l.block)
        throw core::Error("a depthwise weight has blocks of kernel width " + std::to_string(b) +
                          ", the layer says " + std::to_string(l.block));
      if (!(l.ratio >= 0.0 && l.ratio <= 1.0))
        throw core::Error("ratio " + std::to_string(l.ratio) + " is outside [0, 1]");
    } catch (const std::exception& e) {
      core::rethrow_with_context(layer_context(l), e);
    }
    masks_.push_back(torch::ones(l.weight.sizes(), l.weight.options()));
  }
  mask_ratios_.assign(layers_.size(), 0.0);
}

const torch::Tensor& MaskSet::mask(const std::string& name) const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i].name == name) return masks_[i];
  throw core::Error("compress: no mask for layer '" + name + "'");
}

void MaskSet::compute_magnitude(double fraction) {
  if (!(fraction >= 0.0 && fraction <= 1.0))
    throw core::Error("compress: mask fraction " + std::to_string(fraction) +
                      " is outside [0, 1]");
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const PrunableLayer& l = layers_[i];
    const double ratio = fraction * l.ratio;
    try {
      masks_[i] = magnitude_block_mask(l.weight, l.depthwise, l.block, ratio);
    } catch (const std::exception& e) {
      core::rethrow_with_context(layer_context(l), e);
    }
    mask_ratios_[i] = ratio;
  }
}

void MaskSet::set_mask(std::size_t i, const torch::Tensor& mask) {
  const PrunableLayer& l = layers_.at(i);
  if (!mask.defined() || mask.sizes() != l.weight.sizes())
    throw core::Error(layer_context(l) + ": mask shape does not match the weight's");
  if (!(mask.eq(0) | mask.eq(1)).all().item<bool>())
    throw core::Error(layer_context(l) + ": mask holds values other than 0 and 1");
  masks_[i] = mask.detach().to(l.weight.options()).clone();
  mask_ratios_[i] = 0.0;
}

const torch::Tensor& MaskSet::synced_mask(std::size_t i) {
  // Module::to() moves parameters in place; follow the weight's device and dtype.
  const torch::Tensor& w = layers_[i].weight;
  if (masks_[i].device() != w.device() || masks_[i].scalar_type() != w.scalar_type())
    masks_[i] = masks_[i].to(w.options());
  return masks_[i];
}

void MaskSet::apply() {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i].weight.mul_(synced_mask(i));
}

void MaskSet::apply_to_gradients() {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    torch::Tensor g = layers_[i].weight.grad();
    if (g.defined()) g.mul_(synced_mask(i).to(g.options()));
  }
}

std::vector<LayerReport> MaskSet::report() const {
  std::vector<LayerReport> out;
  out.reserve(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const PrunableLayer& l = layers_[i];
    LayerReport r;
    r.name = l.name;
    r.op = l.op;
    r.block = l.block;
    r.target_ratio = mask_ratios_[i];
    r.weights = l.weight.numel();
    r.blocks = l.blocks();
    r.pruned_blocks = r.blocks - count_nonzero(block_nonzero(masks_[i], l.depthwise, l.block));
    r.zero_blocks = r.blocks - count_nonzero(block_nonzero(l.weight, l.depthwise, l.block));
    r.zero_weights = l.weight.detach().eq(0).sum().item<std::int64_t>();
    r.sparsity = r.blocks ? double(r.zero_blocks) / double(r.blocks) : 0.0;
    out.push_back(std::move(r));
  }
  return out;
}

void MaskSet::save(torch::serialize::OutputArchive& archive) const {
  archive.write("count", c10::IValue(std::int64_t(layers_.size())));
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const std::string k = std::to_string(i);
    archive.write("name_" + k, c10::IValue(layers_[i].name));
    archive.write("op_" + k, c10::IValue(layers_[i].op));
    archive.write("mask_" + k, masks_[i].to(torch::kCPU));
  }
}

void MaskSet::load(torch::serialize::InputArchive& archive, MaskMatch match) {
  auto read_value = [&](const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v))
      throw core::Error("compress: masks archive has no entry '" + key + "'");
    return v;
  };
  const c10::IValue count_value = read_value("count");
  if (!count_value.isInt()) throw core::Error("compress: masks archive 'count' is not an integer");
  const std::int64_t count = count_value.toInt();
  if (count != std::int64_t(layers_.size()))
    throw core::Error("compress: masks archive holds " + std::to_string(count) +
                      " masks, this set has " + std::to_string(layers_.size()) + " layers");
  const char* prefix = match == MaskMatch::name ? "name_" : "op_";
  std::map<std::string, std::int64_t> saved;
  for (std::int64_t i = 0; i < count; ++i) {
    const c10::IValue key = read_value(prefix + std::to_string(i));
    if (!key.isString()) throw core::Error("compress: masks archive key entry is not a string");
    if (!saved.emplace(key.toStringRef(), i).second)
      throw core::Error("compress: masks archive holds '" + key.toStringRef() + "' twice");
  }
  std::vector<torch::Tensor> loaded(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const PrunableLayer& l = layers_[i];
    const std::string& key = match == MaskMatch::name ? l.name : l.op;
    const auto it = saved.find(key);
    if (key.empty() || it == saved.end())
      throw core::Error(layer_context(l) + ": masks archive has no mask for " +
                        (match == MaskMatch::name ? "it" : "op '" + l.op + "'"));
    torch::Tensor t;
    if (!archive.try_read("mask_" + std::to_string(it->second), t))
      throw core::Error(layer_context(l) + ": masks archive entry mask_" +
                        std::to_string(it->second) + " is missing");
    loaded[i] = t;
  }
  // Validate everything before replacing anything.
  MaskSet staged = *this;
  for (std::size_t i = 0; i < layers_.size(); ++i) staged.set_mask(i, loaded[i]);
  masks_ = std::move(staged.masks_);
  mask_ratios_.assign(layers_.size(), 0.0);
}

std::vector<LayerReport> one_shot_prune(const std::vector<PrunableLayer>& layers) {
  MaskSet masks(layers);
  masks.compute_magnitude();
  masks.apply();
  return masks.report();
}

}  // namespace tinynas::compress
