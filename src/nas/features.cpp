#include "tinynas/nas/features.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "tinynas/core/checksum.h"
#include "tinynas/core/error.h"

namespace tinynas::nas {
namespace {

constexpr int kGlobals = 9;  // active_blocks ... latency_ms (features.h)

float log10_of(std::int64_t v) { return float(std::log10(double(std::max<std::int64_t>(v, 1)))); }

}  // namespace

FeatureEncoder::FeatureEncoder(const space::SupernetLayout& layout, const space::SparseChoices& choices)
    : layout_(&layout) {
  const bool sparsity = std::any_of(choices.percents.begin(), choices.percents.end(), [](int p) { return p != 0; });
  const bool blocks = std::set<int>(choices.blocks.begin(), choices.blocks.end()).size() > 1;
  for (int f = 0; f < layout.num_choice_blocks(); ++f) {
    const space::ChoiceBlock& b = layout.block(f);
    for (const auto& c : b.candidates) candidate_summaries_.push_back(b.label + ":" + c.summary());
    auto add = [&](const std::string& name, Source::Kind kind, std::vector<float> values = {}) {
      names_.push_back(b.label + "." + name);
      monotone_.push_back(kind == Source::Kind::sparsity ? -1 : 0);
      sources_.push_back({kind, f, std::move(values)});
    };
    if (b.candidates.size() > 1) add("cand", Source::Kind::cand);
    if (std::any_of(b.candidates.begin(), b.candidates.end(), [](const space::BlockArgs& c) { return c.type == "skip"; }))
      add("skip", Source::Kind::skip);
    // Parameter names in first-seen order, then each one's value per candidate.
    std::vector<std::string> params;
    for (const auto& c : b.candidates)
      for (const auto& p : c.params)
        if (std::find(params.begin(), params.end(), p.name) == params.end()) params.push_back(p.name);
    for (const auto& name : params) {
      std::vector<std::string> texts;  // distinct text values, candidate order
      std::vector<float> values;
      std::set<std::string> distinct;
      for (const auto& c : b.candidates) {
        const auto it = std::find_if(c.params.begin(), c.params.end(), [&](const space::Param& p) { return p.name == name; });
        float v = 0;
        if (it != c.params.end()) {
          const space::Scalar& s = it->value;
          if (const auto* i = std::get_if<std::int64_t>(&s)) v = float(*i);
          else if (const auto* d = std::get_if<double>(&s)) v = float(*d);
          else if (const auto* bo = std::get_if<bool>(&s)) v = *bo ? 1.f : 0.f;
          else {
            const auto& t = std::get<std::string>(s);
            auto pos = std::find(texts.begin(), texts.end(), t);
            if (pos == texts.end()) pos = texts.insert(texts.end(), t);
            v = float(pos - texts.begin());
          }
          distinct.insert(space::to_string(s));
        } else {
          distinct.insert("<none>");
        }
        values.push_back(v);
      }
      if (distinct.size() > 1) add(name, Source::Kind::param, std::move(values));
    }
    if (sparsity) add("sparsity", Source::Kind::sparsity);
    if (blocks) add("block", Source::Kind::block);
  }
  for (const char* g : {"active_blocks", "pruned_fraction", "log10_params", "log10_effective_params", "log10_macs",
                        "log10_effective_macs", "flash_kb", "peak_sram_kb", "latency_ms"}) {
    names_.push_back(g);
    monotone_.push_back(std::string(g) == "pruned_fraction" ? -1 : 0);
  }
  if (names_.size() != sources_.size() + kGlobals) throw core::Error("FeatureEncoder: global feature count");
}

void FeatureEncoder::encode(const Genome& g, const cost::Cost& c, double mcu_mhz, float* row) const {
  std::size_t k = 0;
  for (const auto& s : sources_) {
    const int cand = g.arch.at(s.flat);
    const auto& cands = layout_->block(s.flat).candidates;
    const space::BlockSparsity& sp = g.sparse.at(s.flat);
    float v = 0;
    switch (s.kind) {
      case Source::Kind::cand: v = float(cand); break;
      case Source::Kind::skip: v = cands[std::size_t(cand)].type == "skip" ? 1.f : 0.f; break;
      case Source::Kind::param: v = s.per_candidate[std::size_t(cand)]; break;
      case Source::Kind::sparsity: v = float(sp.percent) / 100.f; break;
      case Source::Kind::block: v = sp.percent > 0 ? float(sp.block) : 0.f; break;
    }
    row[k++] = v;
  }
  int active = 0;
  for (int f = 0; f < layout_->num_choice_blocks(); ++f)
    active += layout_->block(f).candidates[std::size_t(g.arch.at(f))].type != "skip";
  row[k++] = float(active);
  row[k++] = c.weights > 0 ? float(double(c.pruned_weights) / double(c.weights)) : 0.f;
  row[k++] = log10_of(c.params);
  row[k++] = log10_of(c.effective_params);
  row[k++] = log10_of(c.macs);
  row[k++] = log10_of(c.effective_macs);
  row[k++] = float(double(c.flash) / 1024.0);
  row[k++] = float(double(c.peak_sram) / 1024.0);
  row[k++] = float(c.latency_ms(mcu_mhz));
}

std::string FeatureEncoder::fingerprint() const {
  std::uint64_t h = core::fnv1a64(layout_->space_id + ";");
  for (auto v : layout_->config.values) h = core::fnv1a64(std::to_string(v) + ",", h);
  for (const auto& s : candidate_summaries_) h = core::fnv1a64(s + ";", h);
  for (const auto& n : names_) h = core::fnv1a64(n + ";", h);
  return core::hex64(h);
}

std::vector<float> encode_rows(const FeatureEncoder& encoder, const std::vector<Genome>& genomes,
                               const std::vector<cost::Cost>& costs, double mcu_mhz) {
  if (genomes.size() != costs.size())
    throw core::Error("encode_rows: " + std::to_string(genomes.size()) + " genomes but " +
                      std::to_string(costs.size()) + " costs");
  std::vector<float> rows(genomes.size() * encoder.size());
  for (std::size_t i = 0; i < genomes.size(); ++i) encoder.encode(genomes[i], costs[i], mcu_mhz, &rows[i * encoder.size()]);
  return rows;
}

}  // namespace tinynas::nas
