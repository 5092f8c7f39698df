// SuperNAS Algorithm 1 (space analysis) and TestSupernet of Algorithm 2, on the cost model
// alone: no training.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "space/fixtures.h"
#include "support/temp_dir.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/nas/space_analysis.h"
#include "tinynas/nas/supernet_search.h"
#include "tinynas/space/layout.h"

using namespace tinynas;

namespace {

// One choice block, conv kxk (BatchNorm, ReLU) from 1 to c channels, k in {1, 3, 5}, then
// global average pooling and the linear classifier to 2 classes. Parameters:
//   conv: c*k*k weights + 2c BatchNorm;  classifier: 2c + 2
//   c = 4: k1 22, k3 54, k5 118;  c = 8: k1 42, k3 106, k5 234.
const char* kTinySpace = R"(
id: tiny
name: hand-built
hyper:
  c: {choices: [4, 8], default: 4}
stages:
  - name: s
    blocks:
      - {choice: conv, out: $c}
head:
  - {type: gap}
choices:
  conv:
    letter: C
    candidates:
      - {type: conv, kernel: [1, 3, 5], stride: 1}
)";

// kTinySpace with c = 4 and the depth searched: n in {1, 2} conv choice blocks.
const char* kTinyDepthSpace = R"(
id: tiny
name: hand-built, searchable depth
hyper:
  c: {choices: [4], default: 4}
  n: {choices: [1, 2]}
stages:
  - name: s
    blocks:
      - {choice: conv, out: $c, repeat: $n}
head:
  - {type: gap}
choices:
  conv:
    letter: C
    candidates:
      - {type: conv, kernel: [1, 3, 5], stride: 1}
)";

// Peak SRAM of kTinySpace on an 8x8 input. Ops: conv (step 0), gap (1), classifier (2).
// At step 0 the input (64), the conv's output (64c) and its scratch are live at once; the
// later steps hold far less (64c + c; then c + 4 + the classifier's scratch 4c), and the
// plan reaches that bound (greedy: conv output at 0, input and scratch above it). The conv
// (1 input channel: never depthwise) takes 4 * k*k bytes stored dense, 8 * k*k coded.
// Storage under the sparse choices {0%, 50%} x block 2 (auto: coded only when smaller):
// 0% always dense; 50% codes k x k rows of ceil(k*k/2) blocks, half of them zero, as
// 4 + 3 * (stored blocks):
//   k1: c blocks of 1 weight, c/2 stored: 4 + 1.5c > c       -> dense, scratch 4
//   k3: 5c blocks, 2.5c stored: 4 + 7.5c < 9c                -> coded, scratch 72 (dense 36)
//   k5: 13c blocks, 6.5c stored: 4 + 19.5c < 25c             -> coded, scratch 200 (dense 100)
// Peak = 64 + 64c + scratch:
//   c = 4: k1 324 (both configs); k3 356 dense, 392 coded; k5 420 dense, 520 coded
//   c = 8: 580 and up.
nas::AnalysisOptions tiny_options() {
  nas::AnalysisOptions o;
  // 450 bytes of SRAM keeps the c = 4 models but the coded k5 (520: its four-pixel int16
  // scratch, 200 bytes, is what pushes it over), and none of c = 8.
  o.limits = cost::Limits{450, 1 << 20};
  o.lambda_lo = 0.1;  // L = 450 bytes: params in [45, 225] are accepted
  o.lambda_up = 0.5;
  o.sparse = space::sparse_choices({0.0, 0.5}, {2});
  return o;
}

}  // namespace

TEST(SpaceAnalysis, HandBuiltSpaceIsEnumeratedToTheExactProbability) {
  const auto def = space::parse_space(kTinySpace, "tiny.yaml");
  const auto r = nas::analyze_space(def, space::Shape{1, 8, 8}, 2, tiny_options());
  // 2 supernets x 3 paths x 2 sparse configs = 12 models <= 1000 samples: enumerated.
  EXPECT_EQ(r.method, "exhaustive");
  ASSERT_EQ(r.n_samples, 12);
  std::map<std::string, std::int64_t> params;
  double weight = 0;
  for (const auto& s : r.samples) {
    params[s.supernet + " " + s.arch] = s.params;
    weight += s.weight;
  }
  EXPECT_NEAR(weight, 1.0, 1e-12);
  EXPECT_EQ(params.at("tiny{c=4} tiny:C0"), 22);
  EXPECT_EQ(params.at("tiny{c=4} tiny:C1"), 54);
  EXPECT_EQ(params.at("tiny{c=4} tiny:C2"), 118);
  EXPECT_EQ(params.at("tiny{c=8} tiny:C2"), 234);
  // By hand (peaks above tiny_options): of the 12 models, each of weight 1/12, the 5 of
  // c = 4 other than the coded k5 fit, c = 8 none: fit share 5/12. Of those, k3 (54, both
  // configs) and the dense k5 (118) lie in [45, 225], k1 (22, both) below: P = 3 / 5.
  EXPECT_EQ(r.param_lo, 45);
  EXPECT_EQ(r.param_hi, 225);
  EXPECT_EQ(r.n_eval, 5);
  EXPECT_EQ(r.n_accept, 3);
  EXPECT_EQ(r.n_below, 2);
  EXPECT_EQ(r.n_above, 0);
  EXPECT_DOUBLE_EQ(r.probability, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(r.fit_share, 5.0 / 12.0);
  EXPECT_FALSE(r.accepted);  // 0.6 < 0.9
  std::vector<std::int64_t> sram;  // peak SRAM of the c = 4 models, sample order
  for (const auto& s : r.samples)
    if (s.supernet == "tiny{c=4}") sram.push_back(s.peak_sram);
  // k1, k3, k5 with 0% then 50% (the sparse choice varies fastest).
  EXPECT_EQ(sram, (std::vector<std::int64_t>{324, 324, 356, 392, 420, 520}));

  auto o = tiny_options();
  o.accept_threshold = 3.0 / 5.0;  // the threshold is inclusive
  EXPECT_TRUE(nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o).accepted);
  o.lambda_up = 118.0 / 450.0;  // and so are the λ bounds: k5 (118) still accepted
  EXPECT_EQ(nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o).n_accept, 3);
}

// ParamBound::params scales the λ bounds by the parameter budget; the budget does not enter
// the fit test (memory only, as Algorithm 1 is printed).
TEST(SpaceAnalysis, ParameterBudgetSetsTheBounds) {
  const auto def = space::parse_space(kTinySpace, "tiny.yaml");
  auto o = tiny_options();
  o.bound = nas::ParamBound::params;
  o.limits.effective_params = 100;  // bounds [0.1, 0.5] x 100 = [10, 50]
  o.lambda_lo = 0.1;
  o.lambda_up = 0.5;
  const auto r = nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o);
  EXPECT_EQ(r.param_lo, 10);
  EXPECT_EQ(r.param_hi, 50);
  EXPECT_EQ(r.n_eval, 5);    // the 5 fitting models of c = 4, as without the budget
  EXPECT_EQ(r.n_accept, 2);  // k1 (22) of the fitting models, with both sparse configs
  EXPECT_EQ(r.n_above, 3);   // k3 (54) with both, k5 (118) dense
  EXPECT_EQ(nas::parse_param_bound("params"), nas::ParamBound::params);
  o.limits.effective_params = 0;
  EXPECT_THROW(nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o), core::Error);
}

TEST(SpaceAnalysis, WeightsFollowTheSamplingDistribution) {
  // With depth as a hyper-parameter, supernet n = 2 has 9 paths and n = 1 has 3: each
  // supernet still carries half of the probability, as when sampling.
  const auto def = space::parse_space(kTinyDepthSpace, "tiny-depth.yaml");
  auto o = tiny_options();
  o.limits = cost::Limits{1 << 20, 1 << 20};  // everything fits
  o.lambda_lo = 0;
  o.lambda_up = 1e9;
  const auto r = nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o);
  ASSERT_EQ(r.method, "exhaustive");
  EXPECT_EQ(r.n_samples, 3 * 2 + 9 * 4);
  double w1 = 0, w2 = 0;
  for (const auto& s : r.samples) (s.supernet == "tiny{c=4,n=1}" ? w1 : w2) += s.weight;
  EXPECT_NEAR(w1, 0.5, 1e-12);
  EXPECT_NEAR(w2, 0.5, 1e-12);
}

TEST(SpaceAnalysis, SampledEstimateAgreesWithTheExactValue) {
  const auto def = space::parse_space(kTinySpace, "tiny.yaml");
  auto o = tiny_options();
  o.allow_exhaustive = false;
  o.samples = 3000;
  o.seed = 7;
  const auto r = nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o);
  EXPECT_EQ(r.method, "sampled");
  EXPECT_EQ(r.n_samples, 3000);
  // ~1250 fitting samples (5/12 of 3000): the estimate of 3/5 has a standard error of
  // about sqrt(0.6 * 0.4 / 1250) = 0.014.
  EXPECT_NEAR(r.probability, 3.0 / 5.0, 0.05);
  EXPECT_LE(r.ci_low, 3.0 / 5.0);
  EXPECT_GE(r.ci_high, 3.0 / 5.0);
  EXPECT_EQ(r.n_accept + r.n_below + r.n_above, r.n_eval);
  // Reproducible from the seed.
  EXPECT_EQ(nas::analyze_space(def, space::Shape{1, 8, 8}, 2, o).n_accept, r.n_accept);
}

// The paper's Fig. 10(a) finding on the shipped variants, at the quickstart's limits.
TEST(SpaceAnalysis, OnlyTheNormalTinyFormerSpaceIsAccepted) {
  const auto recipe =
      config::load_recipe(tinynas::testing::source_dir() + "/recipes/quickstart.yaml", {});
  ASSERT_EQ(recipe.supernas.lambda_lo, 0.8);
  ASSERT_EQ(recipe.supernas.lambda_up, 2.8);
  nas::AnalysisOptions o;
  o.samples = recipe.supernas.analysis_samples;
  o.lambda_lo = recipe.supernas.lambda_lo;
  o.lambda_up = recipe.supernas.lambda_up;
  o.accept_threshold = recipe.supernas.accept_threshold;
  o.limits = cost::Limits::from_kb(recipe.run.sram_kb, recipe.run.flash_kb);
  o.sparse = space::sparse_choices(recipe.sparsenas.sparsity, recipe.sparsenas.block);
  o.seed = std::uint64_t(recipe.supernas.seed);
  std::map<std::string, nas::AnalysisResult> r;
  for (const char* v : {"small", "normal", "large"}) {
    const auto def = space::load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer-" + v + ".yaml");
    r[v] = nas::analyze_space(def, space::Shape{1, 28, 28}, 10, o);
    EXPECT_EQ(r[v].method, "sampled") << v;
    EXPECT_GT(r[v].n_eval, 100) << v;
  }
  EXPECT_TRUE(r["normal"].accepted) << nas::format_report(r["normal"]);
  EXPECT_GT(r["normal"].probability, 0.9);
  EXPECT_FALSE(r["small"].accepted);
  EXPECT_FALSE(r["large"].accepted);
  EXPECT_LT(r["small"].probability, 0.3);
  EXPECT_LT(r["large"].probability, 0.3);
  EXPECT_GT(r["small"].n_below, r["small"].n_above);  // too small
  EXPECT_GT(r["large"].n_above, r["large"].n_below);  // too large
  // The quickstart searches the accepted one.
  EXPECT_EQ(std::filesystem::path(recipe.space.file).filename(), "tinyformer-normal.yaml");
}

TEST(SpaceAnalysis, WritesJsonReportAndHistograms) {
  const auto def = space::parse_space(kTinySpace, "tiny.yaml");
  const auto r = nas::analyze_space(def, space::Shape{1, 8, 8}, 2, tiny_options());
  tinynas::testing::TempDir dir;
  const auto j = core::Json::parse(nas::to_json(r).dump(), "analysis.json");
  EXPECT_EQ(j.at("n_eval").as_int(), 5);
  EXPECT_EQ(j.at("samples").size(), 12u);
  EXPECT_FALSE(j.at("accepted").as_bool());
  const auto files = nas::write_histograms(r, dir.path());
  ASSERT_EQ(files.size(), 3u);
  for (const auto& f : files) {
    const auto svg = core::read_text_file(f);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << f;
    EXPECT_NE(svg.find("</svg>"), std::string::npos) << f;
  }
  EXPECT_NE(core::read_text_file(dir.path() + "/params.svg").find("λ_lo·L = 45"), std::string::npos);
  EXPECT_NE(core::read_text_file(dir.path() + "/peak_sram.svg").find("SRAM limit"), std::string::npos);
  const auto text = nas::format_report(r);
  EXPECT_NE(text.find("REJECTED"), std::string::npos);
  EXPECT_NE(text.find("enumerated"), std::string::npos);
}

TEST(TestSupernet, SkipsWhenHalfOrMoreExceedTheMemoryLimit) {
  nas::TestSupernetResult t;
  t.sampled = 100;
  t.over_memory = 49;
  EXPECT_TRUE(t.passed());
  t.over_memory = 50;  // "half of the models exceed": skip
  EXPECT_FALSE(t.passed());

  // kTinySpace with the conv's stride chosen instead of its kernel (every candidate is the
  // same dense 3x3 conv with the same scratch, 4 * 9 = 36, so only the activations tell
  // the candidates apart): 8x8 -> 2x2, 4x4, 8x8.
  std::string strides = kTinySpace;
  const std::string kernels = "{type: conv, kernel: [1, 3, 5], stride: 1}";
  strides.replace(strides.find(kernels), kernels.size(), "{type: conv, kernel: 3, stride: [4, 2, 1]}");
  const auto def = space::parse_space(strides, "tiny.yaml");
  const auto layout = space::make_layout(def, space::default_supernet(def), {1, 8, 8}, 2);
  std::int64_t sram[3];
  for (int k = 0; k < 3; ++k) {
    space::Arch a{"tiny", {{k}}};
    sram[k] = cost::evaluate_path(layout, a).peak_sram;
  }
  ASSERT_LT(sram[0], sram[1]);  // smaller strides: larger activations
  ASSERT_LT(sram[1], sram[2]);
  auto run = [&](std::int64_t limit) {
    core::Rng rng(3);
    return nas::test_supernet(layout, cost::Limits{limit, 1 << 20}, 100, rng);
  };
  EXPECT_EQ(run(sram[2]).over_memory, 0);
  EXPECT_TRUE(run(sram[2]).passed());
  EXPECT_EQ(run(sram[0] - 1).over_memory, 100);
  EXPECT_FALSE(run(sram[0] - 1).passed());
  // One candidate of three over the limit: about a third of the paths, passes; two of
  // three: about two thirds, skipped.
  const auto one = run(sram[1]);
  EXPECT_GT(one.over_memory, 15);
  EXPECT_LT(one.over_memory, 50);
  EXPECT_TRUE(one.passed());
  const auto two = run(sram[0]);
  EXPECT_GT(two.over_memory, 50);
  EXPECT_FALSE(two.passed());
  EXPECT_EQ(two.max_sram, sram[2]);
}
