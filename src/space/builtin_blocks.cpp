// The built-in block types. Each entry's describe() mirrors its build() op by op; the
// parity test (graph float params == module params over sampled paths) keeps them so.
#include <torch/nn/modules/linear.h>

#include "chain.h"
#include "tinynas/core/error.h"
#include "tinynas/nn/attention.h"
#include "tinynas/nn/cnn_blocks.h"
#include "tinynas/nn/conv.h"
#include "tinynas/nn/encoder.h"
#include "tinynas/nn/hyt_vit.h"
#include "tinynas/nn/pool.h"
#include "tinynas/space/bounds.h"
#include "tinynas/space/describe.h"
#include "tinynas/space/registry.h"

namespace tinynas::space {
namespace {

using torch::nn::AnyModule;

const std::vector<std::string> kAttention = {"softmax", "relu_linear"};
const std::vector<std::string> kNorm = {"layer", "batch"};
const std::vector<std::string> kPool = {"max", "avg", "mixed"};
const std::vector<std::string> kCnn = {"residual", "bottleneck", "inverted_residual"};

std::int64_t i64(std::int64_t v) { return v; }

int as_int(const BlockArgs& a, const char* name) { return int(a.get_int(name)); }

OpKind pool_op(const std::string& kind) {
  if (kind == "max") return OpKind::max_pool;
  if (kind == "avg") return OpKind::avg_pool;
  return OpKind::mixed_pool;
}

// ---- encoder settings shared by mobilevit / vit / cnn_vit / pool_vit -------------------

struct EncoderArgs {
  int dim = 0, heads = 1, head_dim = 0, mlp = 0, depth = 1;
  std::string attention, norm;
};

// Heads and head width from `a`, for an encoder of e.dim channels; errors name the block.
void resolve_heads(const BlockArgs& a, EncoderArgs& e) {
  e.heads = as_int(a, "heads");
  e.head_dim = as_int(a, "head_dim");
  if (e.heads < 1) throw core::Error(a.where + ".heads: must be at least 1");
  if (e.head_dim == 0) {
    if (e.dim % e.heads)
      throw core::Error(a.where + ": " + std::to_string(e.heads) + " heads do not divide " +
                        std::to_string(e.dim) + " channels (set head_dim)");
    e.head_dim = e.dim / e.heads;
  }
}

EncoderArgs encoder_args(const BlockArgs& a, int dim, int mlp_base) {
  EncoderArgs e;
  e.dim = dim;
  e.attention = a.get_text("attention");
  e.norm = a.get_text("norm");
  e.mlp = int(a.get_int("mlp_ratio")) * mlp_base;
  resolve_heads(a, e);
  return e;
}

// hyt_vit: widths are real ratios (Table I: 1x / 1.5x / 2x), rounded; pre-LN encoders.
EncoderArgs hyt_vit_args(const BlockArgs& a) {
  const double dim_ratio = a.get_real("dim_ratio");
  const double mlp_ratio = a.get_real("mlp_ratio");
  // Bounded like integer parameters (space/bounds.h), so that rounding cannot overflow.
  const double most = double(kMaxParam);
  if (!(dim_ratio > 0 && dim_ratio <= most))
    throw core::Error(a.where + ".dim_ratio: must be in (0, " + std::to_string(kMaxParam) +
                      "], got " + to_string(Scalar(dim_ratio)));
  if (!(mlp_ratio >= 0 && mlp_ratio <= most))
    throw core::Error(a.where + ".mlp_ratio: must be in [0, " + std::to_string(kMaxParam) +
                      "], got " + to_string(Scalar(mlp_ratio)));
  const std::int64_t dim = nn::scaled_width(a.in, dim_ratio);
  const std::int64_t mlp = nn::scaled_width(dim, mlp_ratio);
  if (dim < 1 || dim > kMaxChannels || mlp > kMaxChannels)
    throw core::Error(a.where + ": dim_ratio " + to_string(Scalar(dim_ratio)) + " and mlp_ratio " +
                      to_string(Scalar(mlp_ratio)) + " of " + std::to_string(a.in) +
                      " channels give " + std::to_string(dim) + " encoder and " +
                      std::to_string(mlp) + " feed-forward channels (at most " +
                      std::to_string(kMaxChannels) + " each, at least 1 encoder channel)");
  EncoderArgs e;
  e.dim = int(dim);
  e.mlp = int(mlp);
  e.depth = as_int(a, "depth");
  if (e.depth < 1) throw core::Error(a.where + ".depth: must be at least 1");
  e.attention = a.get_text("attention");
  e.norm = "layer";
  resolve_heads(a, e);
  return e;
}

void vit_params(std::vector<ParamDef>& p, const std::string& default_norm) {
  p.push_back({"heads", i64(2), "attention heads", {}});
  p.push_back({"head_dim", i64(0), "q/k/v channels per head; 0 = channels / heads", {}});
  p.push_back({"mlp_ratio", i64(2), "feed-forward width / channels; 0 = no feed-forward", {}});
  p.push_back({"attention", std::string("softmax"), "softmax or relu_linear MHSA", kAttention});
  p.push_back({"norm", default_norm, "layer (pre-norm) or batch (post, foldable)", kNorm});
}

nn::SpatialEncoder build_encoder(const EncoderArgs& e) {
  return nn::SpatialEncoder(nn::SpatialEncoderOptions(e.dim, e.heads)
                                .head_dim(e.head_dim)
                                .mlp_dim(e.mlp)
                                .attention(nn::attention_kind_from_string(e.attention))
                                .norm(nn::norm_kind_from_string(e.norm))
                                .depth(e.depth));
}

int describe_encoder(GraphBuilder& b, int x, const EncoderArgs& e, const std::string& name) {
  const int qkv = e.heads * e.head_dim;
  const OpKind attn = e.attention == "softmax" ? OpKind::attention_softmax
                                               : OpKind::attention_relu_linear;
  if (e.norm == "layer") {
    const int n1 = b.layer_norm(x, name + ".ln1");
    const int q = b.linear(n1, name + ".q", qkv);
    const int k = b.linear(n1, name + ".k", qkv);
    const int v = b.linear(n1, name + ".v", qkv);
    const int a = b.attention(attn, q, k, v, e.heads, name + ".attn");
    x = b.add(x, b.linear(a, name + ".proj", e.dim), name + ".add1");
    if (e.mlp > 0) {
      const int n2 = b.layer_norm(x, name + ".ln2");
      const int f = b.linear(b.linear(n2, name + ".fc1", e.mlp, true), name + ".fc2", e.dim);
      x = b.add(x, f, name + ".add2");
    }
    return x;
  }
  // Batch norm after the projections folds into them at inference.
  const int q = b.linear(x, name + ".q", qkv);
  const int k = b.linear(x, name + ".k", qkv);
  const int v = b.linear(x, name + ".v", qkv);
  const int a = b.attention(attn, q, k, v, e.heads, name + ".attn");
  x = b.add(x, b.linear(a, name + ".proj", e.dim, false, 2 * e.dim), name + ".add1");
  if (e.mlp > 0) {
    const int f1 = b.linear(x, name + ".fc1", e.mlp, true);
    x = b.add(x, b.linear(f1, name + ".fc2", e.dim, false, 2 * e.dim), name + ".add2");
  }
  return x;
}

int describe_encoders(GraphBuilder& b, int x, const EncoderArgs& e) {
  for (int i = 0; i < e.depth; ++i) x = describe_encoder(b, x, e, "enc" + std::to_string(i));
  return x;
}

// ---- CNN blocks ---------------------------------------------------------------------

int describe_skip(GraphBuilder& b, int x, int out, int stride) {
  if (stride == 1 && b.shape(x).c == out) return x;
  return b.conv(x, "skip", out, 1, stride, 0, 1, false);
}

int describe_inverted(GraphBuilder& b, int x, int out, int expansion, int kernel, int stride,
                      bool skip_conv) {
  const int in = b.shape(x).c;
  const int hidden = in * expansion;
  int t = x;
  if (expansion != 1) t = b.conv(t, "expand", hidden, 1);
  t = b.conv(t, "dw", hidden, kernel, stride, -1, hidden);
  t = b.conv(t, "project", out, 1, 1, -1, 1, false);
  if (stride == 1 && in == out) return b.add(x, t, "add");
  if (skip_conv) return b.add(t, describe_skip(b, x, out, stride), "add");
  return t;
}

int describe_residual(GraphBuilder& b, int x, int out, int kernel, int stride, int groups) {
  int t = b.conv(x, "conv1", out, kernel, stride, -1, groups);
  t = b.conv(t, "conv2", out, kernel, 1, -1, groups, false);
  return b.add(t, describe_skip(b, x, out, stride), "add", true);
}

int describe_bottleneck(GraphBuilder& b, int x, int out, int kernel, int stride, int groups,
                        int reduction) {
  const int in = b.shape(x).c;
  const int mid = int(nn::bottleneck_mid_channels(
      nn::BottleneckOptions(in, out).kernel(kernel).stride(stride).groups(groups).reduction(
          reduction)));
  int t = b.conv(x, "reduce", mid, 1);
  t = b.conv(t, "conv", mid, kernel, stride, -1, groups);
  t = b.conv(t, "expand", out, 1, 1, -1, 1, false);
  return b.add(t, describe_skip(b, x, out, stride), "add", true);
}

// The CNN part of a block from its parameters (also used inside cnn_vit).
AnyModule build_cnn(const std::string& kind, const BlockArgs& a, int kernel, int stride) {
  if (kind == "residual")
    return AnyModule(nn::ResidualBlock(
        nn::ResidualBlockOptions(a.in, a.out).kernel(kernel).stride(stride).groups(
            a.get_int("groups"))));
  if (kind == "bottleneck")
    return AnyModule(nn::Bottleneck(nn::BottleneckOptions(a.in, a.out)
                                        .kernel(kernel)
                                        .stride(stride)
                                        .groups(a.get_int("groups"))
                                        .reduction(a.get_int("reduction"))));
  return AnyModule(nn::InvertedResidual(nn::InvertedResidualOptions(a.in, a.out, a.get_int("expansion"))
                                            .kernel(kernel)
                                            .stride(stride)
                                            .skip_conv(a.get_bool("skip_conv"))));
}

int describe_cnn(const std::string& kind, const BlockArgs& a, GraphBuilder& b, int x, int kernel,
                 int stride) {
  if (kind == "residual")
    return describe_residual(b, x, a.out, kernel, stride, as_int(a, "groups"));
  if (kind == "bottleneck")
    return describe_bottleneck(b, x, a.out, kernel, stride, as_int(a, "groups"),
                               as_int(a, "reduction"));
  return describe_inverted(b, x, a.out, as_int(a, "expansion"), kernel, stride,
                           a.get_bool("skip_conv"));
}

void cnn_params(std::vector<ParamDef>& p, bool with_groups, bool with_expansion) {
  p.push_back({"kernel", i64(3), "kernel size", {}});
  p.push_back({"stride", i64(1), "stride (2 halves the map)", {}});
  if (with_groups) p.push_back({"groups", i64(1), "channel groups of the kxk convs", {}});
  if (with_expansion) {
    p.push_back({"expansion", i64(4), "inverted residual: hidden = in * expansion", {}});
    p.push_back({"skip_conv", false, "inverted residual: 1x1 conv skip when shapes differ", {}});
  }
}

AnyModule build_pool(const BlockArgs& a, const char* kind_key) {
  return AnyModule(nn::Pool2d(nn::Pool2dOptions(nn::pool_kind_from_string(a.get_text(kind_key)),
                                                a.get_int("kernel"))
                                  .stride(a.get_int("stride"))
                                  .padding(a.get_int("padding"))));
}

int describe_pool(const BlockArgs& a, GraphBuilder& b, int x, const char* kind_key) {
  const int k = as_int(a, "kernel");
  const int s = as_int(a, "stride") == 0 ? k : as_int(a, "stride");
  return b.pool(pool_op(a.get_text(kind_key)), x, "pool", k, s, as_int(a, "padding"));
}

void pool_params(std::vector<ParamDef>& p, const char* kind_key) {
  p.push_back({kind_key, std::string("max"), "max, avg or mixed ((max + avg) / 2)", kPool});
  p.push_back({"kernel", i64(2), "window size", {}});
  p.push_back({"stride", i64(2), "stride; 0 = kernel", {}});
  p.push_back({"padding", i64(0), "zero padding (not counted by avg)", {}});
}

BlockRegistry make_builtin() {
  BlockRegistry r;

  r.add({"skip", "identity (lets a choice block drop out: searchable depth)", {}, false, true,
         [](const BlockArgs&) { return AnyModule(torch::nn::Identity()); },
         [](const BlockArgs&, GraphBuilder&, int x) { return x; }});

  {
    std::vector<ParamDef> p;
    p.push_back({"kernel", i64(3), "kernel size", {}});
    p.push_back({"stride", i64(1), "stride", {}});
    p.push_back({"groups", i64(1), "channel groups", {}});
    p.push_back({"relu", true, "ReLU after the BatchNorm", {}});
    r.add({"conv", "conv kxk + BatchNorm + ReLU", p, false, false,
           [](const BlockArgs& a) {
             return AnyModule(nn::ConvBnAct(nn::ConvBnActOptions(a.in, a.out, a.get_int("kernel"))
                                                .stride(a.get_int("stride"))
                                                .groups(a.get_int("groups"))
                                                .relu(a.get_bool("relu"))));
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             return b.conv(x, "conv", a.out, as_int(a, "kernel"), as_int(a, "stride"), -1,
                           as_int(a, "groups"), a.get_bool("relu"));
           }});
  }
  {
    std::vector<ParamDef> p;
    p.push_back({"kernel", i64(3), "conv kernel size", {}});
    p.push_back({"pool", i64(2), "max-pool window and stride", {}});
    r.add({"conv_maxpool", "conv kxk + BatchNorm + ReLU, then max-pool (halves the map)", p,
           false, false,
           [](const BlockArgs& a) {
             Chain c;
             c->append("conv", AnyModule(nn::ConvBnAct(
                                   nn::ConvBnActOptions(a.in, a.out, a.get_int("kernel")))));
             c->append("pool", AnyModule(nn::Pool2d(
                                   nn::Pool2dOptions(nn::PoolKind::max, a.get_int("pool")))));
             return AnyModule(c);
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             const int t = b.conv(x, "conv", a.out, as_int(a, "kernel"));
             return b.pool(OpKind::max_pool, t, "pool", as_int(a, "pool"), as_int(a, "pool"));
           }});
  }
  // The three CNN blocks share build/describe through build_cnn/describe_cnn.
  const std::vector<std::pair<std::string, std::string>> cnn_docs = {
      {"inverted_residual",
       "MobileNetV2 block: 1x1 expand, depthwise kxk, 1x1 project; residual when shapes match"},
      {"residual", "ResNet basic block: two kxk convs, 1x1 conv skip when shapes differ"},
      {"bottleneck", "ResNet bottleneck: 1x1 reduce, kxk, 1x1 expand; 1x1 conv skip"}};
  for (const auto& [kind, doc] : cnn_docs) {
    std::vector<ParamDef> p;
    cnn_params(p, kind != "inverted_residual", kind == "inverted_residual");
    if (kind == "bottleneck") p.push_back({"reduction", i64(4), "middle width = out / reduction", {}});
    r.add({kind, doc, p, false, false,
           [kind = kind](const BlockArgs& a) {
             return build_cnn(kind, a, a.get_int("kernel"), a.get_int("stride"));
           },
           [kind = kind](const BlockArgs& a, GraphBuilder& b, int x) {
             return describe_cnn(kind, a, b, x, as_int(a, "kernel"), as_int(a, "stride"));
           }});
  }
  {
    std::vector<ParamDef> p;
    p.push_back({"dim", i64(64), "encoder width (tokens' channels)", {}});
    vit_params(p, "layer");
    p.push_back({"depth", i64(1), "encoder layers", {}});
    p.push_back({"residual", true, "add the block's input to its output", {}});
    r.add({"mobilevit",
           "TinyFormer transformer block: conv3x3, conv1x1 to dim, encoder(s), conv1x1 back, "
           "conv3x3",
           p, false, true,
           [](const BlockArgs& a) {
             const EncoderArgs e = encoder_args(a, as_int(a, "dim"), as_int(a, "dim"));
             return AnyModule(nn::MobileVit(nn::MobileVitOptions(a.in, e.dim, e.heads)
                                                .head_dim(e.head_dim)
                                                .mlp_dim(e.mlp)
                                                .depth(a.get_int("depth"))
                                                .attention(nn::attention_kind_from_string(e.attention))
                                                .norm(nn::norm_kind_from_string(e.norm))
                                                .residual(a.get_bool("residual"))));
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             EncoderArgs e = encoder_args(a, as_int(a, "dim"), as_int(a, "dim"));
             e.depth = as_int(a, "depth");
             int t = b.conv(x, "local", a.in, 3);
             t = b.conv(t, "to_tokens", e.dim, 1, 1, 0, 1, false, false, false);
             t = describe_encoders(b, t, e);
             t = b.conv(t, "from_tokens", a.in, 1);
             t = b.conv(t, "fuse", a.in, 3);
             return a.get_bool("residual") ? b.add(x, t, "add") : t;
           }});
  }
  {
    std::vector<ParamDef> p;
    p.push_back({"dim_ratio", 1.0, "encoder width / channels, rounded (1, 1.5, 2 in HyT-NAS)", {}});
    p.push_back({"heads", i64(2), "attention heads", {}});
    p.push_back({"head_dim", i64(0), "q/k/v channels per head; 0 = encoder width / heads", {}});
    p.push_back({"mlp_ratio", 2.0, "feed-forward width / encoder width, rounded; 0 = none", {}});
    p.push_back({"attention", std::string("softmax"), "softmax or relu_linear MHSA", kAttention});
    p.push_back({"depth", i64(1), "encoder layers (pre-LayerNorm)", {}});
    p.push_back({"residual", true,
                 "MobileViTv3 residual: x + fuse (no ReLU); false: MobileViT's relu(fuse)", {}});
    r.add({"hyt_vit",
           "HyT-NAS attention block: conv3x3, conv1x1 to channels*dim_ratio, encoder(s), "
           "conv1x1 back, MobileViT concat-fuse as conv3x3(x) + conv3x3(y), then + x "
           "(residual) or ReLU",
           p, false, true,
           [](const BlockArgs& a) {
             const EncoderArgs e = hyt_vit_args(a);
             return AnyModule(nn::HytVit(nn::HytVitOptions(a.in, e.dim, e.heads)
                                             .head_dim(e.head_dim)
                                             .mlp_dim(e.mlp)
                                             .depth(e.depth)
                                             .attention(nn::attention_kind_from_string(e.attention))
                                             .residual(a.get_bool("residual"))));
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             const EncoderArgs e = hyt_vit_args(a);
             int t = b.conv(x, "local", a.in, 3);
             t = b.conv(t, "to_tokens", e.dim, 1, 1, 0, 1, false, false, false);
             t = describe_encoders(b, t, e);
             t = b.conv(t, "from_tokens", a.in, 1);
             const int fx = b.conv(x, "fuse_x", a.in, 3, 1, -1, 1, false);
             const int ft = b.conv(t, "fuse_t", a.in, 3, 1, -1, 1, false);
             if (!a.get_bool("residual")) return b.add(fx, ft, "fuse", true);
             return b.add(x, b.add(fx, ft, "fuse"), "residual");
           }});
  }
  {
    std::vector<ParamDef> p;
    vit_params(p, "batch");
    r.add({"vit", "ViT encoder block on the map (1x1-conv projections), hybrid space", p, false,
           true,
           [](const BlockArgs& a) { return AnyModule(build_encoder(encoder_args(a, a.in, a.in))); },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             return describe_encoders(b, x, encoder_args(a, a.in, a.in));
           }});
  }
  {
    std::vector<ParamDef> p;
    p.push_back({"cnn", std::string("residual"), "the CNN block before the encoder", kCnn});
    cnn_params(p, true, true);
    p.push_back({"reduction", i64(4), "bottleneck: middle width = out / reduction", {}});
    vit_params(p, "batch");
    r.add({"cnn_vit", "CNN block then ViT encoder block (hybrid space)", p, false, false,
           [](const BlockArgs& a) {
             Chain c;
             c->append("cnn", build_cnn(a.get_text("cnn"), a, a.get_int("kernel"),
                                        a.get_int("stride")));
             c->append("vit", AnyModule(build_encoder(encoder_args(a, a.out, a.out))));
             return AnyModule(c);
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             const int t = describe_cnn(a.get_text("cnn"), a, b, x, as_int(a, "kernel"),
                                        as_int(a, "stride"));
             return describe_encoders(b, t, encoder_args(a, a.out, a.out));
           }});
  }
  {
    std::vector<ParamDef> p;
    pool_params(p, "pool");
    vit_params(p, "batch");
    r.add({"pool_vit", "pooling then ViT encoder block (hybrid space)", p, false, true,
           [](const BlockArgs& a) {
             Chain c;
             c->append("pool", build_pool(a, "pool"));
             c->append("vit", AnyModule(build_encoder(encoder_args(a, a.in, a.in))));
             return AnyModule(c);
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             return describe_encoders(b, describe_pool(a, b, x, "pool"),
                                      encoder_args(a, a.in, a.in));
           }});
  }
  {
    std::vector<ParamDef> p;
    pool_params(p, "kind");
    r.add({"pool", "max, average or mixed pooling (hybrid space's Pooling block)", p, false,
           true, [](const BlockArgs& a) { return build_pool(a, "kind"); },
           [](const BlockArgs& a, GraphBuilder& b, int x) { return describe_pool(a, b, x, "kind"); }});
  }
  r.add({"seqpool", "CCT sequence pooling: attention-weighted mean of the tokens", {}, true, true,
         [](const BlockArgs& a) { return AnyModule(nn::SeqPool(nn::SeqPoolOptions(a.in))); },
         [](const BlockArgs&, GraphBuilder& b, int x) { return b.seq_pool(x, "seqpool"); }});
  {
    std::vector<ParamDef> p;
    p.push_back({"kernel", i64(2), "average-pool window and stride", {}});
    r.add({"avgpool_gap", "average-pool kxk, then global average", p, true, true,
           [](const BlockArgs& a) {
             Chain c;
             c->append("pool", AnyModule(nn::Pool2d(
                                   nn::Pool2dOptions(nn::PoolKind::avg, a.get_int("kernel")))));
             c->append("gap", AnyModule(nn::GlobalAvgPool()));
             return AnyModule(c);
           },
           [](const BlockArgs& a, GraphBuilder& b, int x) {
             const int k = as_int(a, "kernel");
             return b.global_avg_pool(b.pool(OpKind::avg_pool, x, "pool", k, k), "gap");
           }});
  }
  r.add({"gap", "global average pool", {}, true, true,
         [](const BlockArgs&) { return AnyModule(nn::GlobalAvgPool()); },
         [](const BlockArgs&, GraphBuilder& b, int x) { return b.global_avg_pool(x, "gap"); }});
  return r;
}

}  // namespace

const BlockRegistry& builtin_blocks() {
  static const BlockRegistry registry = make_builtin();
  return registry;
}

}  // namespace tinynas::space
