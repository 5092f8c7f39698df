#include "tinynas/nas/space_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/core/svg.h"
#include "tinynas/core/text.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {
namespace {

constexpr std::uint64_t kAnalysisStream = 0x5a1a'0001;

std::string fmt(const char* f, double v) { return core::format_number(f, v); }

// Layouts are costly to resolve and a space has few supernets: build each once.
class LayoutCache {
 public:
  LayoutCache(const space::SpaceDef& def, space::Shape input, int classes)
      : def_(def), input_(input), classes_(classes) {}
  const space::SupernetLayout& get(const space::SupernetConfig& cfg) {
    auto it = cache_.find(cfg.values);
    if (it != cache_.end()) return it->second;
    try {
      auto l = space::make_layout(def_, cfg, input_, classes_);
      return cache_.emplace(cfg.values, std::move(l)).first->second;
    } catch (const core::Error& e) {
      core::rethrow_with_context("supernet " + space::to_string(cfg, def_), e);
    }
  }

 private:
  const space::SpaceDef& def_;
  space::Shape input_;
  int classes_;
  std::map<std::vector<std::int64_t>, space::SupernetLayout> cache_;
};

// Calls f(values) for every combination of a mixed radix with digit counts `radix`,
// the first digit varying slowest.
template <class F>
void for_each_combination(const std::vector<std::size_t>& radix, F&& f) {
  std::vector<std::size_t> digit(radix.size(), 0);
  for (;;) {
    f(digit);
    std::size_t i = radix.size();
    while (i > 0) {
      --i;
      if (++digit[i] < radix[i]) break;
      digit[i] = 0;
      if (i == 0) return;
    }
    if (radix.empty()) return;
  }
}

space::Arch arch_of(const space::SupernetLayout& l, const std::vector<std::size_t>& digit) {
  space::Arch a;
  a.space_id = l.space_id;
  std::size_t k = 0;
  for (const auto& s : l.stages) {
    std::vector<int> st;
    for (std::size_t j = 0; j < s.size(); ++j) st.push_back(int(digit[k++]));
    a.choices.push_back(std::move(st));
  }
  return a;
}

space::SparseConfig sparse_of(const space::SupernetLayout& l,
                              const std::vector<space::BlockSparsity>& options,
                              const std::vector<std::size_t>& digit) {
  space::SparseConfig sc;
  sc.space_id = l.space_id;
  std::size_t k = 0;
  for (const auto& s : l.stages) {
    std::vector<space::BlockSparsity> st;
    for (std::size_t j = 0; j < s.size(); ++j) st.push_back(options[digit[k++]]);
    sc.blocks.push_back(std::move(st));
  }
  return sc;
}

struct Classifier {
  const AnalysisOptions& opt;
  double lo, hi;
  AnalysisSample operator()(const space::SpaceDef& def, const space::SupernetLayout& l,
                            const space::Arch& arch, const space::SparseConfig& sparse,
                            double weight) const {
    const cost::Cost c = cost::evaluate_path(l, arch, &sparse, opt.cost);
    AnalysisSample s;
    s.supernet = space::to_string(l.config, def);
    s.arch = space::to_string(arch, l);
    s.sparse = space::to_string(sparse, l);
    s.params = c.params;
    s.effective_params = c.effective_params;
    s.macs = c.macs;
    s.peak_sram = c.peak_sram;
    s.flash = c.flash;
    // Algorithm 1's ResourceEval as printed: the memory limits; a parameter budget only
    // sets the λ bounds (ParamBound::params).
    s.fits = cost::fits(c, opt.limits.memory_only());
    s.accepted = s.fits && double(c.params) >= lo && double(c.params) <= hi;
    s.weight = weight;
    return s;
  }
};

// 95% Wilson score interval of k successes in n trials.
std::pair<double, double> wilson(std::int64_t k, std::int64_t n) {
  if (n == 0) return {0, 0};
  const double z = 1.959963984540054, nn = double(n), p = double(k) / nn;
  const double d = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / d;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / d;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// Quantile q of `values` weighted by `weights` (the smallest value whose cumulative
// weight reaches q of the total).
double weighted_quantile(std::vector<std::pair<double, double>> vw, double q) {
  if (vw.empty()) return 0;
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& p : vw) total += p.second;
  double acc = 0;
  for (const auto& p : vw) {
    acc += p.second;
    if (acc >= q * total * (1 - 1e-12)) return p.first;
  }
  return vw.back().first;
}

double limit_of(const AnalysisOptions& o) {
  switch (o.bound) {
    case ParamBound::sram: return double(o.limits.sram_bytes);
    case ParamBound::flash: return double(o.limits.flash_bytes);
    case ParamBound::params: return double(o.limits.effective_params);
  }
  return 0;
}

}  // namespace

ParamBound parse_param_bound(const std::string& text) {
  if (text == "sram") return ParamBound::sram;
  if (text == "flash") return ParamBound::flash;
  if (text == "params") return ParamBound::params;
  throw core::Error("supernas.param_bound: '" + text + "' is not sram, flash or params");
}

const char* to_string(ParamBound bound) {
  switch (bound) {
    case ParamBound::sram: return "sram";
    case ParamBound::flash: return "flash";
    case ParamBound::params: return "params";
  }
  return "?";
}

AnalysisResult analyze_space(const space::SpaceDef& def, space::Shape input, int classes,
                             const AnalysisOptions& opt) {
  if (opt.samples < 1) throw core::Error("supernas.analysis_samples must be at least 1");
  if (opt.lambda_lo > opt.lambda_up)
    throw core::Error("supernas.lambda_lo " + fmt("%g", opt.lambda_lo) +
                      " is above supernas.lambda_up " + fmt("%g", opt.lambda_up));
  AnalysisResult r;
  r.space_id = def.id;
  r.options = opt;
  const double limit = limit_of(opt);
  if (opt.bound == ParamBound::params && limit <= 0)
    throw core::Error("supernas.param_bound: params needs a parameter budget (run.params_k)");
  const Classifier classify{opt, opt.lambda_lo * limit, opt.lambda_up * limit};
  r.param_lo = std::llround(classify.lo);
  r.param_hi = std::llround(classify.hi);
  LayoutCache layouts(def, input, classes);
  const auto options = space::sparse_options(opt.sparse);

  // Size of the whole space under the sampling distribution, to decide on enumeration.
  std::vector<std::size_t> hyper_radix;
  for (const auto& h : def.hyper) hyper_radix.push_back(h.choices.size());
  const double supernets = space::supernet_count(def);
  // (path, sparse config) pairs of one supernet.
  auto models_in = [&](const space::SupernetLayout& l) {
    return l.path_count() * std::pow(double(options.size()), l.num_choice_blocks());
  };
  bool exhaustive = opt.allow_exhaustive && supernets <= double(opt.samples);
  std::vector<space::SupernetConfig> configs;
  double total = 0;
  if (exhaustive) {
    for_each_combination(hyper_radix, [&](const std::vector<std::size_t>& d) {
      space::SupernetConfig c{def.id, {}};
      for (std::size_t i = 0; i < d.size(); ++i) c.values.push_back(def.hyper[i].choices[d[i]]);
      configs.push_back(c);
    });
    for (const auto& c : configs) {
      total += models_in(layouts.get(c));
      if (total > double(opt.samples)) break;  // too many: no need to resolve the rest
    }
    exhaustive = total <= double(opt.samples);
  }

  if (exhaustive) {
    r.method = "exhaustive";
    for (const auto& c : configs) {
      const auto& l = layouts.get(c);
      std::vector<std::size_t> arch_radix, sparse_radix;
      for (int f = 0; f < l.num_choice_blocks(); ++f) {
        arch_radix.push_back(l.block(f).candidates.size());
        sparse_radix.push_back(options.size());
      }
      const double w = 1.0 / (supernets * models_in(l));
      for_each_combination(arch_radix, [&](const std::vector<std::size_t>& ad) {
        const auto arch = arch_of(l, ad);
        for_each_combination(sparse_radix, [&](const std::vector<std::size_t>& sd) {
          r.samples.push_back(classify(def, l, arch, sparse_of(l, options, sd), w));
          if (opt.progress) opt.progress(std::int64_t(r.samples.size()), std::llround(total));
        });
      });
    }
  } else {
    r.method = "sampled";
    core::Rng rng(core::derive_seed(opt.seed, kAnalysisStream));
    for (std::int64_t i = 0; i < opt.samples; ++i) {
      const auto& l = layouts.get(space::sample_supernet(def, rng));
      const auto arch = space::sample_arch(l, rng);
      const auto sparse = space::sample_sparse(l, opt.sparse, rng);
      r.samples.push_back(classify(def, l, arch, sparse, 1.0));
      if (opt.progress) opt.progress(i + 1, opt.samples);
    }
  }

  double w_fit = 0, w_accept = 0, w_all = 0, w_below = 0, w_above = 0;
  for (const auto& s : r.samples) {
    w_all += s.weight;
    if (!s.fits) continue;
    ++r.n_eval;
    w_fit += s.weight;
    if (s.accepted) {
      ++r.n_accept;
      w_accept += s.weight;
    } else if (double(s.params) < classify.lo) {
      ++r.n_below;
      w_below += s.weight;
    } else {
      ++r.n_above;
      w_above += s.weight;
    }
  }
  r.n_samples = std::int64_t(r.samples.size());
  r.fit_share = w_all > 0 ? w_fit / w_all : 0;
  r.probability = w_fit > 0 ? w_accept / w_fit : 0;
  r.below_share = w_fit > 0 ? w_below / w_fit : 0;
  r.above_share = w_fit > 0 ? w_above / w_fit : 0;
  if (exhaustive) {
    r.ci_low = r.ci_high = r.probability;
  } else {
    std::tie(r.ci_low, r.ci_high) = wilson(r.n_accept, r.n_eval);
  }
  r.accepted = r.n_eval > 0 && r.probability >= opt.accept_threshold;
  return r;
}

core::Json to_json(const AnalysisResult& r) {
  using core::Json;
  const auto& o = r.options;
  Json j = Json::object();
  j["space"] = r.space_id;
  j["method"] = r.method;
  Json opts = Json::object();
  opts["samples"] = o.samples;
  opts["lambda_lo"] = o.lambda_lo;
  opts["lambda_up"] = o.lambda_up;
  opts["accept_threshold"] = o.accept_threshold;
  opts["param_bound"] = to_string(o.bound);
  opts["sram_limit_bytes"] = o.limits.sram_bytes;
  opts["flash_limit_bytes"] = o.limits.flash_bytes;
  opts["storage"] = cost::to_string(o.cost.storage);
  opts["seed"] = Json::from_uint64(o.seed);
  Json pct = Json::array(), blk = Json::array();
  for (int p : o.sparse.percents) pct.push_back(p);
  for (int b : o.sparse.blocks) blk.push_back(b);
  opts["sparsity_percents"] = pct;
  opts["block_sizes"] = blk;
  j["options"] = opts;
  j["param_lo"] = r.param_lo;
  j["param_hi"] = r.param_hi;
  j["n_samples"] = r.n_samples;
  j["n_eval"] = r.n_eval;
  j["n_accept"] = r.n_accept;
  j["n_below"] = r.n_below;
  j["n_above"] = r.n_above;
  j["fit_share"] = r.fit_share;
  j["below_share"] = r.below_share;
  j["above_share"] = r.above_share;
  j["probability"] = r.probability;
  j["ci95"] = Json::array();
  j["ci95"].push_back(r.ci_low);
  j["ci95"].push_back(r.ci_high);
  j["accepted"] = r.accepted;
  Json samples = Json::array();
  const std::size_t listed = std::min(r.samples.size(), kMaxJsonSamples);
  j["samples_listed"] = listed;
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& s = r.samples[i];
    Json x = Json::object();
    x["supernet"] = s.supernet;
    x["arch"] = s.arch;
    x["sparse"] = s.sparse;
    x["params"] = s.params;
    x["effective_params"] = s.effective_params;
    x["macs"] = s.macs;
    x["peak_sram"] = s.peak_sram;
    x["flash"] = s.flash;
    x["fits"] = s.fits;
    x["accepted"] = s.accepted;
    if (r.method == "exhaustive") x["weight"] = s.weight;
    samples.push_back(x);
  }
  j["samples"] = samples;
  return j;
}

std::string format_report(const AnalysisResult& r) {
  const auto& o = r.options;
  std::ostringstream out;
  const char* lname = o.bound == ParamBound::sram    ? "L_m (SRAM)"
                      : o.bound == ParamBound::flash ? "L_s (flash)"
                                                     : "the parameter budget";
  out << "space " << r.space_id << ": " << r.n_samples << " models "
      << (r.method == "exhaustive" ? "(the whole space, enumerated)" : "sampled") << "\n";
  out << "limits: SRAM " << fmt("%.1f", double(o.limits.sram_bytes) / 1024) << " KiB, flash "
      << fmt("%.1f", double(o.limits.flash_bytes) / 1024) << " KiB; params bound ["
      << fmt("%g", o.lambda_lo) << ", " << fmt("%g", o.lambda_up) << "] x " << lname << " = ["
      << core::human_count(double(r.param_lo)) << ", " << core::human_count(double(r.param_hi))
      << "]\n\n";
  auto pct = [](double p) { return fmt("%.1f%%", 100 * p); };
  out << "  fit the limits        " << fmt("%6.0f", double(r.n_eval)) << "  ("
      << pct(r.fit_share) << " of models)\n";
  out << "    params in bounds    " << fmt("%6.0f", double(r.n_accept)) << "  ("
      << pct(r.probability) << ")\n";
  out << "    below the bound     " << fmt("%6.0f", double(r.n_below)) << "  ("
      << pct(r.below_share) << ")\n";
  out << "    above the bound     " << fmt("%6.0f", double(r.n_above)) << "  ("
      << pct(r.above_share) << ")\n\n";

  struct Fig {
    const char* name;
    double scale;
    bool counts;
    std::int64_t AnalysisSample::*field;
  };
  const Fig figs[] = {{"params", 1, true, &AnalysisSample::params},
                      {"effective params", 1, true, &AnalysisSample::effective_params},
                      {"MACs", 1, true, &AnalysisSample::macs},
                      {"peak SRAM KiB", 1.0 / 1024, false, &AnalysisSample::peak_sram},
                      {"flash KiB", 1.0 / 1024, false, &AnalysisSample::flash}};
  char head[128];
  std::snprintf(head, sizeof head, "  %-20s %9s %9s %9s %9s %9s\n", "fitting models", "min", "p10",
                "median", "p90", "max");
  out << head;
  for (const auto& f : figs) {
    std::vector<std::pair<double, double>> vw;
    for (const auto& s : r.samples)
      if (s.fits) vw.emplace_back(double(s.*(f.field)) * f.scale, s.weight);
    char row[160];
    std::snprintf(row, sizeof row, "    %-18s", f.name);
    out << row;
    for (double q : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      const double v = weighted_quantile(vw, q);
      std::snprintf(row, sizeof row, " %9s", f.counts ? core::human_count(v).c_str() : fmt("%.1f", v).c_str());
      out << row;
    }
    out << "\n";
  }
  out << "\nacceptance probability " << pct(r.probability);
  if (r.method == "sampled" && r.n_eval > 0)
    out << " (95% CI " << pct(r.ci_low) << " - " << pct(r.ci_high) << ")";
  out << (r.accepted ? " >= " : " < ") << pct(o.accept_threshold) << ": "
      << (r.accepted ? "ACCEPTED" : "REJECTED");
  if (!r.accepted) {
    if (r.n_eval == 0)
      out << " (no sampled model fits the limits: shrink the space)";
    else if (r.below_share > r.above_share)
      out << " (most fitting models are too small: the space lacks capacity)";
    else
      out << " (most fitting models are too large: they fit only by heavy pruning)";
  }
  out << "\n";
  return out.str();
}

std::vector<std::string> write_histograms(const AnalysisResult& r, const std::string& dir) {
  struct Plot {
    const char* file;
    const char* title;
    const char* x_label;
    double scale;
    std::int64_t AnalysisSample::*field;
    std::vector<core::Marker> markers;
  };
  const auto& o = r.options;
  const double sram_kib = double(o.limits.sram_bytes) / 1024;
  const double flash_kib = double(o.limits.flash_bytes) / 1024;
  std::vector<Plot> plots = {
      {"params.svg", "Parameters of sampled models", "parameters", 1, &AnalysisSample::params,
       {{double(r.param_lo), "λ_lo·L = " + core::human_count(double(r.param_lo))},
        {double(r.param_hi), "λ_up·L = " + core::human_count(double(r.param_hi))}}},
      {"peak_sram.svg", "Peak SRAM of sampled models", "peak SRAM (KiB)", 1.0 / 1024,
       &AnalysisSample::peak_sram,
       {{sram_kib, "SRAM limit " + fmt("%.0f KiB", sram_kib)}}},
      {"flash.svg", "Flash of sampled models (sparse-coded)", "flash (KiB)", 1.0 / 1024,
       &AnalysisSample::flash, {{flash_kib, "flash limit " + fmt("%.0f KiB", flash_kib)}}}};
  std::vector<std::string> written;
  for (const auto& p : plots) {
    core::HistSeries all{"all sampled", {}, "#9aa5b1", {}};
    core::HistSeries fit{"fit the limits", {}, "#3b73b9", {}};
    // Enumerated models count by their probability (scaled to the number of models).
    const bool weighted = r.method == "exhaustive";
    const double scale = double(r.samples.size());
    for (const auto& s : r.samples) {
      const double v = double(s.*(p.field)) * p.scale;
      all.values.push_back(v);
      if (weighted) all.weights.push_back(s.weight * scale);
      if (!s.fits) continue;
      fit.values.push_back(v);
      if (weighted) fit.weights.push_back(s.weight * scale);
    }
    core::HistogramOptions ho;
    ho.title = std::string(p.title) + " (" + r.space_id + ")";
    ho.x_label = p.x_label;
    ho.markers = p.markers;
    const std::string path = dir + "/" + p.file;
    core::write_file_atomic(path, core::histogram_svg({all, fit}, ho));
    written.push_back(path);
  }
  return written;
}

}  // namespace tinynas::nas
