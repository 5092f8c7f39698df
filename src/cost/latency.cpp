// The latency model: features per kernel variant, least-squares fits, the table format.
#include "tinynas/cost/latency.h"

#include <algorithm>
#include <cmath>

#include "tinynas/core/checksum.h"
#include "tinynas/core/error.h"
#include "tinynas/cost/cost.h"
#include "embedded_tables.h"

namespace tinynas::cost {
namespace {

double ceil_div(double a, double b) { return std::ceil(a / b); }

// The coded kernels walk a layer's stream once per group of four output pixels (tokens).
constexpr double kPixelsPerWalk = 4;
// The dense mat-mult core computes 2 x 2 (pixels x channels) outputs per step; an odd
// pixel or channel count leaves a slower single-lane remainder.
constexpr double kCorePixels = 2, kCoreChannels = 2;

struct Feat {
  std::vector<std::string> names{"1"};
  std::vector<double> values{1.0};
  Feat& add(const char* name, double v) {
    names.emplace_back(name);
    values.push_back(v);
    return *this;
  }
};

std::int64_t stored_blocks(const OpCost& c) { return c.blocks - c.pruned_blocks; }

// The MACs the kernel runs: a coded kernel skips the pruned blocks, a dense one multiplies
// the zeros too.
std::int64_t kernel_macs(const OpCost& c) { return c.storage == Storage::sparse ? c.effective_macs : c.macs; }

// A coded depthwise conv skips the taps of a channel whose blocks are all pruned: its
// outputs are one requantized bias, filled. Counted from the real mask when there is one,
// else its expectation when the pruned blocks are spread at random (hypergeometric: all
// `per` blocks of a channel among the z of n).
double empty_channels(const OpCost& c, const std::vector<std::uint8_t>* mask, std::int64_t channels) {
  if (c.storage != Storage::sparse || channels <= 0) return 0;
  const std::int64_t per = c.blocks / channels;
  if (mask && std::int64_t(mask->size()) == c.blocks) {
    std::int64_t empty = 0;
    for (std::int64_t ch = 0; ch < channels; ++ch)
      empty += std::none_of(mask->begin() + ch * per, mask->begin() + (ch + 1) * per, [](std::uint8_t f) { return f; });
    return double(empty);
  }
  double p = 1;
  for (std::int64_t j = 0; j < per; ++j) p *= double(std::max<std::int64_t>(0, c.pruned_blocks - j)) / double(c.blocks - j);
  return p * double(channels);
}

// The dense mat-mult core's steps and remainders over `pixels` x `channels` outputs of
// reduction length k.
void add_core_features(Feat& f, double pixels, double channels, double k) {
  const double odd_px = std::fmod(pixels, kCorePixels), odd_ch = std::fmod(channels, kCoreChannels);
  f.add("core_steps", ceil_div(pixels, kCorePixels) * ceil_div(channels, kCoreChannels));
  f.add("odd_pixel_macs", odd_px * channels * k).add("odd_channel_macs", odd_ch * pixels * k);
}

Feat conv_features(const space::Graph& g, const space::Op& op, const OpCost& c, const std::vector<std::uint8_t>* mask) {
  const auto in = g.shape(op.inputs[0]), out = g.shape(op.output);
  const double px = double(out.h) * out.w, outputs = px * out.c;
  const bool coded = c.storage == Storage::sparse;
  Feat f;
  f.add("macs", double(kernel_macs(c))).add("outputs", outputs).add("pixels", px);
  if (is_depthwise(op)) {
    f.add("input", double(in.h) * in.w * in.c).add("rows", double(out.c) * out.h).add("channels", out.c);
    if (coded) {
      const double empty = empty_channels(c, mask, out.c);
      f.add("blocks_x_pixels", double(stored_blocks(c)) * px).add("empty_outputs", empty * px);
      f.add("edges", (double(out.c) - empty) * 2.0 * (out.h + out.w));
    }
    return f;
  }
  const double k = double(op.kernel_h) * op.kernel_w * (in.c / op.groups);
  f.add("im2col", px * k * op.groups);
  // empty rows: one requantization filled in the sweep, a walk without blocks in the tiles
  if (coded)
    f.add("blocks_x_walks", double(stored_blocks(c)) * ceil_div(px, kPixelsPerWalk))
        .add("empty_outputs", empty_channels(c, mask, out.c) * px);
  else add_core_features(f, px * op.groups, out.c / op.groups, k);
  return f;
}

Feat linear_features(const space::Graph& g, const space::Op& op, const OpCost& c,
                     const std::vector<std::uint8_t>* mask) {
  const auto in = g.shape(op.inputs[0]), out = g.shape(op.output);
  const double n = double(in.h) * in.w;
  Feat f;
  f.add("macs", double(kernel_macs(c))).add("outputs", n * out.c).add("inputs", n * in.c);
  if (c.storage == Storage::sparse)
    f.add("blocks_x_walks", double(stored_blocks(c)) * ceil_div(n, kPixelsPerWalk))
        .add("empty_outputs", empty_channels(c, mask, out.c) * n);
  else
    add_core_features(f, n, out.c, in.c);
  return f;
}

Feat attention_features(const space::Graph& g, const space::Op& op) {
  const auto q = g.shape(op.inputs[0]), k = g.shape(op.inputs[1]), v = g.shape(op.inputs[2]);
  const double n = double(q.h) * q.w, m = double(k.h) * k.w, h = op.heads;
  Feat f;
  if (op.kind == space::OpKind::attention_softmax) {
    f.add("qk_macs", n * m * q.c).add("av_macs", n * m * v.c).add("scores", n * m * h);
    f.add("outputs", n * v.c).add("rows", n * h);
  } else {
    const double dh = q.c / h, dvh = v.c / h;
    f.add("kv_macs", m * dh * dvh * h).add("q_macs", n * dh * dvh * h).add("outputs", n * v.c);
    f.add("inputs", (n * q.c) + m * (k.c + v.c));
  }
  return f;
}

Feat other_features(const space::Graph& g, const space::Op& op) {
  const auto in = g.shape(op.inputs[0]), out = g.shape(op.output);
  const double in_n = double(in.h) * in.w * in.c, out_n = double(out.h) * out.w * out.c;
  Feat f;
  switch (op.kind) {
    case space::OpKind::add: {
      // The runtime tabulates both inputs' requantizations (512 entries) from this many
      // elements on (tnn_add_s8.c, TNN_ADD_TABLE_MIN), below it adds element by element.
      constexpr double kAddTableMin = 512;
      const bool table = out_n >= kAddTableMin;
      f.add("table", table ? 1 : 0).add("elements", table ? out_n : 0).add("small_elements", table ? 0 : out_n);
      break;
    }
    case space::OpKind::layer_norm: f.add("elements", out_n).add("tokens", double(out.h) * out.w); break;
    case space::OpKind::max_pool:
    case space::OpKind::avg_pool:
    case space::OpKind::mixed_pool:
      f.add("taps", out_n * op.kernel_h * op.kernel_w).add("outputs", out_n).add("input", in_n);
      break;
    case space::OpKind::global_avg_pool: f.add("input", in_n).add("outputs", out_n); break;
    case space::OpKind::seq_pool: f.add("input", in_n).add("tokens", double(in.h) * in.w); break;
    default: throw core::Error(std::string("latency: no features for op kind ") + space::to_string(op.kind));
  }
  return f;
}

constexpr std::size_t kMaxFeatures = 64;

// Least squares by normal equations on columns scaled to unit maximum, with a ridge of 1e-12
// of the diagonal: variants whose features are collinear (a layer list where `outputs` is
// always `pixels` times a constant) still get a unique, stable fit.
std::vector<double> least_squares(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  // The bound lets the compiler see that the (k + 1)-wide rows cannot overflow (fit_rows
  // refuses more features).
  if (x.empty() || x.front().empty() || x.front().size() > kMaxFeatures) return {};
  const std::size_t n = x.size(), k = x.front().size();
  std::vector<double> scale(k, 0.0);
  for (const auto& r : x)
    for (std::size_t j = 0; j < k; ++j) scale[j] = std::max(scale[j], std::fabs(r[j]));
  for (auto& s : scale) s = s > 0 ? s : 1.0;
  std::vector<std::vector<double>> a(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < k; ++p) {
      const double xp = x[i][p] / scale[p];
      for (std::size_t q = 0; q < k; ++q) a[p][q] += xp * x[i][q] / scale[q];
      a[p][k] += xp * y[i];
    }
  double trace = 0;
  for (std::size_t p = 0; p < k; ++p) trace += a[p][p];
  for (std::size_t p = 0; p < k; ++p) a[p][p] += 1e-12 * (trace > 0 ? trace : 1.0);
  for (std::size_t c = 0; c < k; ++c) {  // Gauss-Jordan with partial pivoting
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    std::swap(a[c], a[piv]);
    if (a[c][c] == 0) continue;
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c || a[r][c] == 0) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t q = c; q <= k; ++q) a[r][q] -= f * a[c][q];
    }
  }
  std::vector<double> coef(k, 0.0);
  for (std::size_t p = 0; p < k; ++p) coef[p] = a[p][p] != 0 ? a[p][k] / a[p][p] / scale[p] : 0.0;
  return coef;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

LatencyFit fit_rows(const std::vector<const MeasuredOp*>& rows) {
  LatencyFit fit;
  fit.features = rows.front()->features.names;
  if (fit.features.size() > kMaxFeatures)
    throw core::Error("latency fit: " + std::to_string(fit.features.size()) +
                      " features in a variant (at most " + std::to_string(kMaxFeatures) + ")");
  // Relative errors are minimised (each row divided by its measured count): one op of 10 M
  // instructions must not buy its fit with 100% errors on a hundred ops of 20 k.
  std::vector<std::vector<double>> x, xw;
  std::vector<double> y, yw;
  for (const MeasuredOp* r : rows) {
    x.push_back(r->features.values), y.push_back(double(r->instructions));
    const double w = 1.0 / std::max(1.0, y.back());
    xw.push_back(x.back());
    for (auto& v : xw.back()) v *= w;
    yw.push_back(y.back() * w);
  }
  fit.coef = least_squares(xw, yw);
  fit.rows = int(rows.size());
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ape = y[i] > 0 ? std::fabs(std::max(0.0, dot(fit.coef, x[i])) - y[i]) / y[i] : 0.0;
    sum += ape;
    fit.max_ape = std::max(fit.max_ape, ape);
  }
  fit.mape = sum / double(x.size());
  return fit;
}

core::Json fit_json(const LatencyFit& f) {
  core::Json j = core::Json::object();
  core::Json names = core::Json::array(), coef = core::Json::array();
  for (const auto& n : f.features) names.push_back(n);
  for (double c : f.coef) coef.push_back(c);
  j["features"] = names;
  j["coef"] = coef;
  j["rows"] = f.rows;
  j["mape"] = f.mape;
  j["max_ape"] = f.max_ape;
  return j;
}

LatencyFit fit_from_json(const core::Json& j, const std::string& where) {
  LatencyFit f;
  try {
    for (const auto& n : j.at("features").elements()) f.features.push_back(n.as_string());
    for (const auto& c : j.at("coef").elements()) f.coef.push_back(c.as_double());
    f.rows = int(j.at("rows").as_int());
    f.mape = j.at("mape").as_double();
    f.max_ape = j.at("max_ape").as_double();
  } catch (const core::Error& e) {
    core::rethrow_with_context(where, e);
  }
  if (f.features.empty() || f.features.size() != f.coef.size())
    throw core::Error(where + ": 'features' and 'coef' must be non-empty and of one length");
  return f;
}

const LatencyFit* find_fit(const std::map<std::string, LatencyFit>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

std::string kernel_family(const space::Graph&, const space::Op& op, Storage storage) {
  std::string k = space::to_string(op.kind);
  if (op.kind == space::OpKind::conv) {
    if (is_depthwise(op)) k += " depthwise";
    else if (op.kernel_h == 1 && op.kernel_w == 1) k += " 1x1";
  }
  if (storage == Storage::sparse) k += " sparse";
  return k;
}

bool takes_sweep(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                 const std::vector<std::uint8_t>* block_nonzero) {
  if (cost.storage != Storage::sparse || (cost.block != 4 && cost.block != 2)) return false;
  if (op.kind == space::OpKind::conv) {
    if (is_depthwise(op) || op.kernel_h != 1 || op.kernel_w != 1 || op.stride != 1 || op.padding != 0 ||
        op.groups != 1)
      return false;
  } else if (op.kind != space::OpKind::linear) {
    return false;
  }
  if (graph.shape(op.inputs[0]).c % cost.block != 0) return false;
  const std::int64_t stored = block_nonzero && std::int64_t(block_nonzero->size()) == cost.blocks
                                  ? std::int64_t(std::count_if(block_nonzero->begin(), block_nonzero->end(),
                                                               [](std::uint8_t f) { return f != 0; }))
                                  : stored_blocks(cost);
  return 2 * stored <= (cost.block == 4 ? kSweepMaxBlocksX2 : kSweep2MaxBlocksX2) * graph.shape(op.output).c;
}

std::string latency_key(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                        const std::vector<std::uint8_t>* block_nonzero) {
  const Storage storage = cost.storage;
  if (takes_sweep(graph, op, cost, block_nonzero)) return kernel_family(graph, op, storage) + " sweep";
  // Softmax attention over more than 256 keys sums in 64 bits and divides in 64 bits
  // (tnn_attention_softmax_s8.c): another cost per entry.
  constexpr std::int64_t kWideKeys = 256;
  if (op.kind == space::OpKind::attention_softmax) {
    const auto k = graph.shape(op.inputs[1]);
    return std::int64_t(k.h) * k.w > kWideKeys ? "attention_softmax wide" : "attention_softmax";
  }
  if (op.kind != space::OpKind::conv || !is_depthwise(op)) return kernel_family(graph, op, storage);
  return std::string("conv depthwise ") + std::to_string(op.kernel_h) + "x" + std::to_string(op.kernel_w) + "/" +
         std::to_string(op.stride) + (storage == Storage::sparse ? " sparse" : "");
}

LatencyFeatures latency_features(const space::Graph& graph, const space::Op& op, const OpCost& cost,
                                 const std::vector<std::uint8_t>* block_nonzero) {
  Feat f;
  switch (op.kind) {
    case space::OpKind::conv: f = conv_features(graph, op, cost, block_nonzero); break;
    case space::OpKind::linear: f = linear_features(graph, op, cost, block_nonzero); break;
    case space::OpKind::attention_softmax:
    case space::OpKind::attention_relu_linear: f = attention_features(graph, op); break;
    default: f = other_features(graph, op);
  }
  LatencyFeatures out;
  out.key = latency_key(graph, op, cost, block_nonzero);
  out.family = kernel_family(graph, op, cost.storage);
  out.names = std::move(f.names);
  out.values = std::move(f.values);
  return out;
}

LatencyTable fit_latency_table(const std::vector<MeasuredOp>& ops, double per_op) {
  // A family's variants share its feature list (latency_features depends on the family).
  std::map<std::string, std::vector<const MeasuredOp*>> by_key, by_family;
  for (const auto& o : ops) by_key[o.features.key].push_back(&o), by_family[o.features.family].push_back(&o);
  LatencyTable t;
  t.per_op = per_op;
  for (const auto& [key, rows] : by_key) t.variants[key] = fit_rows(rows);
  for (const auto& [family, rows] : by_family) t.families[family] = fit_rows(rows);
  return t;
}

double predict_op_instructions(const LatencyTable& table, const LatencyFeatures& f) {
  const LatencyFit* fit = find_fit(table.variants, f.key);
  if (!fit || fit->features != f.names) {
    fit = find_fit(table.families, f.family);
    if (fit && fit->features != f.names) fit = nullptr;
  }
  if (!fit)
    throw core::Error("latency table '" + table.target + "': no measurements of a '" + f.key +
                      "' op (re-measure with 'tinynas latency measure' over recipes that use it)");
  return std::max(0.0, dot(fit->coef, f.values));
}

core::Json LatencyTable::to_json() const {
  core::Json j = core::Json::object();
  j["format"] = "tinynas-latency";
  j["version"] = kVersion;
  j["target"] = target;
  j["cpu"] = cpu;
  j["board"] = board;
  j["runtime_hash"] = runtime_hash;
  j["measured"] = measured;
  j["models"] = models;
  j["per_op"] = per_op;
  core::Json v = core::Json::object(), k = core::Json::object();
  for (const auto& [name, f] : variants) v[name] = fit_json(f);
  for (const auto& [name, f] : families) k[name] = fit_json(f);
  j["variants"] = v;
  j["families"] = k;
  return j;
}

LatencyTable LatencyTable::from_json(const core::Json& j, const std::string& where) {
  LatencyTable t;
  try {
    if (j.at("format").as_string() != "tinynas-latency")
      throw core::Error("'format' is not tinynas-latency");
    if (j.at("version").as_int() != kVersion)
      throw core::Error("version " + std::to_string(j.at("version").as_int()) + " (this tinynas reads " +
                        std::to_string(kVersion) + ")");
    t.target = j.at("target").as_string();
    t.cpu = j.at("cpu").as_string();
    t.board = j.at("board").as_string();
    t.runtime_hash = j.at("runtime_hash").as_string();
    t.measured = j.at("measured").as_string();
    t.models = int(j.at("models").as_int());
    t.per_op = j.at("per_op").as_double();
    for (const auto& [name, f] : j.at("variants").items()) t.variants[name] = fit_from_json(f, "variants." + name);
    for (const auto& [name, f] : j.at("families").items())
      t.families[name] = fit_from_json(f, "families." + name);
  } catch (const core::Error& e) {
    core::rethrow_with_context(where, e);
  }
  return t;
}

const LatencyTable& builtin_latency_table(const std::string& target) {
  // Parsed once: the tables are compiled-in constants.
  static const std::map<std::string, LatencyTable> tables = [] {
    std::map<std::string, LatencyTable> m;
    for (const auto& f : embedded_latency_tables()) {
      const std::string where = "built-in latency table " + f.name;
      LatencyTable t = LatencyTable::from_json(core::Json::parse(f.content, where), where);
      m.emplace(t.target, std::move(t));
    }
    return m;
  }();
  const auto it = tables.find(target);
  if (it == tables.end())
    throw core::Error("no latency table for target '" + target + "' (measure one with 'tinynas latency measure --target " +
                      target + "')");
  return it->second;
}

std::string runtime_source_hash(std::vector<std::pair<std::string, std::string>> files) {
  std::sort(files.begin(), files.end());
  std::uint64_t h = core::kFnv1a64Start;
  auto mix = [&](const std::string& s) {
    h = core::fnv1a64(s, h);
    h = core::fnv1a64("\xff", h);  // a separator no text byte sequence forges
  };
  for (const auto& [name, content] : files) mix(name), mix(content);
  return core::hex64(h);
}

}  // namespace tinynas::cost
