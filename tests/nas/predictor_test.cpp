// The accuracy predictor (nas/features.h, nas/predictor.h, nas/predictor_data.h) and its
// recipe section: the encoding is stable and tells genomes apart, the ensemble ranks a
// synthetic accuracy, draws its members from the paper's grids deterministically, saves and
// loads bit for bit and refuses another encoding; search logs read back with clear errors.
#include "tinynas/nas/predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "nas/tiny_space.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/config/load.h"
#include "tinynas/core/fs.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/nas/features.h"
#include "tinynas/nas/oneshot_search.h"
#include "tinynas/nas/predictor_data.h"
#include "train/train_fixtures.h"

namespace tinynas::nas {
namespace {

using testing::error_of;

cost::CostOptions no_latency() {
  cost::CostOptions o;
  o.latency = false;
  return o;
}

space::SupernetLayout tf1_layout(const std::string& supernet = "") {
  const auto def = testing::tinyformer_space();
  return space::make_layout(def, space::parse_supernet(supernet, def), {1, 28, 28}, 10);
}

const space::SparseChoices kChoices = space::sparse_choices({0, 0.3, 0.5, 0.7, 0.8, 0.9}, {2, 4});

Genome random_genome(const space::SupernetLayout& layout, core::Rng& rng) {
  return {space::sample_arch(layout, rng), space::sample_sparse(layout, kChoices, rng)};
}

const space::SparseChoices kTinyChoices = space::sparse_choices({0, 0.25, 0.5, 0.75}, {2, 4});

// nsga2_test's problem, blocks of 2 and 4 alike (tiny::accuracy prunes 4 coarser).
double synthetic_accuracy(const Genome& g) {
  double acc = 0, norm = 0;
  for (int i = 0; i < 10; ++i) {
    const double cap = (1 + g.arch.at(i)) * (1 - g.sparse.at(i).percent / 100.0);
    acc += (1 + i) * std::sqrt(cap);
    norm += (1 + i) * std::sqrt(3.0);
  }
  return acc / norm;
}

struct Synthetic {
  space::SupernetLayout layout = tiny::conv_layout(10);
  FeatureEncoder encoder{layout, kTinyChoices};
  std::vector<float> x;
  std::vector<double> y;
  explicit Synthetic(int rows, std::uint64_t seed = 11) {
    core::Rng rng(seed);
    std::vector<Genome> genomes;
    std::vector<cost::Cost> costs;
    for (int i = 0; i < rows; ++i) {
      genomes.push_back({space::sample_arch(layout, rng), space::sample_sparse(layout, kTinyChoices, rng)});
      costs.push_back(cost::evaluate_path(layout, genomes.back().arch, &genomes.back().sparse, no_latency()));
      y.push_back(synthetic_accuracy(genomes.back()));
    }
    x = encode_rows(encoder, genomes, costs, 216);
  }
  std::vector<float> rows(int begin, int end) const {
    return {x.begin() + std::ptrdiff_t(begin) * std::ptrdiff_t(encoder.size()),
            x.begin() + std::ptrdiff_t(end) * std::ptrdiff_t(encoder.size())};
  }
  std::vector<float> labels(int begin, int end) const { return {y.begin() + begin, y.begin() + end}; }
  std::vector<double> actual(int begin, int end) const { return {y.begin() + begin, y.begin() + end}; }
};

PredictorOptions small_grids() {
  PredictorOptions o;
  o.ensemble = 3;
  o.estimators = {100, 200};
  o.depth = {3, 4};
  o.learning_rate = {0.1};
  o.threads = 1;
  return o;
}

TEST(FeatureEncoder, NamesStableRowsDistinct) {
  const auto layout = tf1_layout();
  const FeatureEncoder enc(layout, kChoices);
  // Per block: cand when it has several candidates, skip when one is a skip, the parameters
  // that differ, sparsity and block; then the globals.
  std::size_t expected = 9;
  for (int f = 0; f < layout.num_choice_blocks(); ++f) {
    const auto& b = layout.block(f);
    expected += (b.candidates.size() > 1) + 2;
    for (const auto& c : b.candidates) expected += c.type == "skip" ? 1 : 0;
  }
  const auto& n = enc.names();
  EXPECT_GE(n.size(), expected);  // plus the differing parameters
  EXPECT_EQ(n.front(), layout.block(0).label + ".cand");
  EXPECT_EQ(n[n.size() - 9], "active_blocks");
  EXPECT_EQ(n.back(), "latency_ms");
  EXPECT_EQ(std::set<std::string>(n.begin(), n.end()).size(), n.size()) << "names are unique";
  const auto has = [&](const std::string& s) { return std::find(n.begin(), n.end(), s) != n.end(); };
  EXPECT_TRUE(has("dot1.mbv2[0].expansion"));
  EXPECT_TRUE(has("dot1.transformer[0].skip"));
  EXPECT_TRUE(has("dot1.transformer[0].heads"));
  EXPECT_TRUE(has("dot1.mbv2[0].sparsity"));
  EXPECT_TRUE(has("dot1.mbv2[0].block"));
  EXPECT_FALSE(has("dot1.mbv2[0].kernel")) << "the same in every candidate";
  // Stable: the same layout gives the same names and fingerprint; another supernet another.
  EXPECT_EQ(FeatureEncoder(layout, kChoices).fingerprint(), enc.fingerprint());
  const auto other = tf1_layout("c1=16");
  EXPECT_NE(FeatureEncoder(other, kChoices).fingerprint(), enc.fingerprint());

  // 500 genomes: equal rows exactly when the genomes are equal once 0% ignores the block.
  core::Rng rng(5);
  std::set<std::vector<float>> rows;
  std::set<std::string> genomes;
  std::vector<float> row(enc.size());
  for (int i = 0; i < 500; ++i) {
    Genome g = random_genome(layout, rng);
    enc.encode(g, cost::evaluate_path(layout, g.arch, &g.sparse, no_latency()), 216, row.data());
    rows.insert(row);
    for (auto& stage : g.sparse.blocks)
      for (auto& b : stage)
        if (b.percent == 0) b.block = 2;
    genomes.insert(space::to_string(g.arch, layout) + " " + space::to_string(g.sparse, layout));
  }
  EXPECT_EQ(rows.size(), genomes.size());
  EXPECT_GT(rows.size(), 490u);

  // 0/2 and 0/4 encode alike; 50/2 and 50/4 do not.
  Genome g = random_genome(layout, rng);
  auto encode = [&](int percent, int block) {
    for (auto& stage : g.sparse.blocks)
      for (auto& b : stage) b = {percent, block};
    std::vector<float> r(enc.size());
    enc.encode(g, cost::evaluate_path(layout, g.arch, &g.sparse, no_latency()), 216, r.data());
    return r;
  };
  EXPECT_EQ(encode(0, 2), encode(0, 4));
  EXPECT_NE(encode(50, 2), encode(50, 4));

  // Accuracy is held non-increasing in exactly the sparsities and the pruned fraction.
  ASSERT_EQ(enc.monotone().size(), n.size());
  for (std::size_t i = 0; i < n.size(); ++i) {
    const bool pruning =
        n[i] == "pruned_fraction" || (n[i].size() > 9 && n[i].substr(n[i].size() - 9) == ".sparsity");
    EXPECT_EQ(enc.monotone()[i], pruning ? -1 : 0) << n[i];
  }
}

TEST(AccuracyPredictor, RanksASyntheticAccuracy) {
  const Synthetic s(300);
  // The accuracy is a sum over blocks, falling with each one's sparsity: shallow trees
  // suit it (calibrated with the monotone signs: tau 0.82, MAE 0.015; accuracies span
  // about 0.4..1; the 3 members coincide).
  PredictorOptions o = small_grids();
  o.estimators = {500};
  o.depth = {2};
  o.learning_rate = {0.1};
  core::Rng rng(1);
  const auto p = AccuracyPredictor::fit(s.rows(0, 200), s.encoder.size(), s.labels(0, 200), o, rng,
                                        s.encoder.monotone());
  const auto m = score_predictions(p.predict(s.rows(200, 300)).mean, s.actual(200, 300));
  EXPECT_EQ(m.n, 100);
  EXPECT_GE(m.kendall_tau, 0.78);
  EXPECT_LT(m.mae, 0.03);
}

// Labels that rise with one block's sparsity (as noise might suggest in a few hundred
// evaluations): constrained, the ensemble's prediction does not rise along that column;
// unconstrained, the fit follows the labels.
TEST(AccuracyPredictor, MonotoneSignsHoldAccuracyDownAlongSparsity) {
  const Synthetic s(200);
  const auto& names = s.encoder.names();
  const std::size_t col = std::size_t(
      std::find_if(names.begin(), names.end(), [](const std::string& n) { return n.find(".sparsity") != std::string::npos; }) -
      names.begin());
  ASSERT_LT(col, names.size());
  const std::size_t cols = s.encoder.size();
  std::vector<float> y = s.labels(0, 200);
  const std::vector<float> x = s.rows(0, 200);
  for (std::size_t r = 0; r < y.size(); ++r) y[r] += 0.5f * x[r * cols + col];
  // One row, the first block's sparsity swept over the choices.
  std::vector<float> sweep;
  for (float v : {0.f, 0.25f, 0.5f, 0.75f}) {
    sweep.insert(sweep.end(), x.begin(), x.begin() + std::ptrdiff_t(cols));
    sweep[sweep.size() - cols + col] = v;
  }
  PredictorOptions o = small_grids();
  for (const bool monotone : {true, false}) {
    o.monotone = monotone;
    core::Rng rng(1);
    const auto p = AccuracyPredictor::fit(x, cols, y, o, rng, s.encoder.monotone());
    const auto m = p.predict(sweep).mean;
    if (monotone) {
      for (std::size_t i = 1; i < m.size(); ++i) EXPECT_LE(m[i], m[i - 1]) << "at sweep step " << i;
    } else {
      EXPECT_GT(m.back(), m.front() + 0.1) << "the unconstrained fit follows the labels";
    }
  }
  core::Rng rng(1);
  o.monotone = true;
  const std::string wrong = error_of([&] { AccuracyPredictor::fit(x, cols, y, o, rng, std::vector<int>(3, -1)); });
  EXPECT_NE(wrong.find("3 monotone signs for " + std::to_string(cols) + " features"), std::string::npos) << wrong;
  const std::string none = error_of([&] { AccuracyPredictor::fit(x, cols, y, o, rng, {}); });
  EXPECT_NE(none.find("0 monotone signs"), std::string::npos) << none;
  o.monotone = false;
  EXPECT_NO_THROW(AccuracyPredictor::fit(x, cols, y, o, rng, {})) << "the signs are not read";
}

TEST(AccuracyPredictor, EnsembleDrawsThePapersGridsDeterministically) {
  const Synthetic s(120);
  const PredictorOptions paper;  // the defaults: HyT-NAS's grids
  core::Rng a(3), b(3);
  const auto pa = AccuracyPredictor::fit(s.rows(0, 100), s.encoder.size(), s.labels(0, 100), paper, a,
                                         s.encoder.monotone());
  const auto pb = AccuracyPredictor::fit(s.rows(0, 100), s.encoder.size(), s.labels(0, 100), paper, b,
                                         s.encoder.monotone());
  ASSERT_EQ(pa.members().size(), 5u);
  for (const auto& m : pa.members()) {
    EXPECT_TRUE(m.estimators == 100 || m.estimators == 400 || m.estimators == 800 || m.estimators == 1000);
    EXPECT_TRUE(m.depth == 3 || m.depth == 6 || m.depth == 12);
    EXPECT_TRUE(m.learning_rate == 0.01 || m.learning_rate == 0.1 || m.learning_rate == 0.5);
  }
  const auto qa = pa.predict(s.rows(100, 120)), qb = pb.predict(s.rows(100, 120));
  EXPECT_EQ(qa.mean, qb.mean);
  EXPECT_EQ(qa.stddev, qb.stddev);
  double spread = 0;
  for (double v : qa.stddev) spread = std::max(spread, v);
  EXPECT_GT(spread, 0) << "members of other depths and rates disagree somewhere";
  // Another stream draws other members.
  core::Rng c(4);
  const auto pc = AccuracyPredictor::fit(s.rows(0, 100), s.encoder.size(), s.labels(0, 100), paper, c,
                                         s.encoder.monotone());
  EXPECT_NE(pc.predict(s.rows(100, 120)).mean, qa.mean);
}

TEST(AccuracyPredictor, SaveLoadRefusesAnotherEncoding) {
  const Synthetic s(80);
  core::Rng rng(2);
  const auto p = AccuracyPredictor::fit(s.rows(0, 60), s.encoder.size(), s.labels(0, 60), small_grids(), rng,
                                        s.encoder.monotone());
  testing::TempDir dir;
  const std::string out = dir.file("pred");
  core::Json meta = core::Json::object();
  meta["supernet"] = "tiny{c=4}";
  p.save(out, s.encoder, meta);
  EXPECT_TRUE(core::is_regular_file(out + "/member-0.ubj"));
  const core::Json info = AccuracyPredictor::read_info(out);
  EXPECT_EQ(info.at("supernet").as_string(), "tiny{c=4}");
  EXPECT_EQ(info.at("fingerprint").as_string(), s.encoder.fingerprint());
  EXPECT_EQ(info.at("rows").as_int(), 60);

  const auto back = AccuracyPredictor::load(out, s.encoder);
  EXPECT_EQ(back.predict(s.rows(60, 80)).mean, p.predict(s.rows(60, 80)).mean);
  ASSERT_EQ(back.members().size(), p.members().size());
  EXPECT_EQ(back.members()[0].estimators, p.members()[0].estimators);

  const std::string other = error_of([&] { AccuracyPredictor::load(out, "0123456789abcdef", s.encoder.size()); });
  EXPECT_NE(other.find(out + "/predictor.json"), std::string::npos) << other;
  EXPECT_NE(other.find("another feature encoding"), std::string::npos) << other;

  const std::string none = error_of([&] { AccuracyPredictor::load(dir.file("nothing"), s.encoder); });
  EXPECT_NE(none.find("nothing/predictor.json"), std::string::npos) << none;

  dir.write("pred/member-1.ubj", "damaged");
  const std::string damaged = error_of([&] { AccuracyPredictor::load(out, s.encoder); });
  EXPECT_NE(damaged.find("member-1.ubj"), std::string::npos) << damaged;
  EXPECT_NE(damaged.find("XGBoosterLoadModelFromBuffer"), std::string::npos) << damaged;
}

TEST(PredictorData, ReadsASearchLogWithClearErrors) {
  const auto def = testing::tinyformer_space();
  const auto layout = tf1_layout();
  const std::string supernet = space::to_string(layout.config, def);
  testing::TempDir dir;
  core::Rng rng(9);
  std::string lines;
  std::vector<Genome> written;
  for (int i = 0; i < 5; ++i) {
    written.push_back(random_genome(layout, rng));
    OneShotEvaluation e;
    e.evaluation = e.index = i;
    e.arch = space::to_string(written.back().arch, layout);
    e.sparse = space::to_string(written.back().sparse, layout);
    e.objectives.accuracy = 0.1 * i;
    lines += to_json(e).dump() + "\n";
  }
  core::Json search = core::Json::object();
  search["supernet"] = supernet;
  dir.write("s/search.json", search.dump());
  dir.write("s/evaluations.jsonl", lines);

  const auto d = read_search_log(dir.file("s"), layout, supernet, no_latency());
  ASSERT_EQ(d.size(), 5u);
  EXPECT_TRUE(d.genomes[3] == written[3]);
  EXPECT_DOUBLE_EQ(d.accuracy[4], 0.4);
  EXPECT_EQ(d.costs[2].flash, cost::evaluate_path(layout, written[2].arch, &written[2].sparse, no_latency()).flash);
  EXPECT_EQ(search_log_supernet(dir.file("s")), supernet);

  PredictorData both = d;
  both.append(d);
  EXPECT_EQ(both.size(), 10u);

  const std::string other = error_of([&] { read_search_log(dir.file("s"), layout, "tf1{c1=16}", no_latency()); });
  EXPECT_NE(other.find("s/search.json"), std::string::npos) << other;
  EXPECT_NE(other.find("not tf1{c1=16}"), std::string::npos) << other;

  dir.write("s/evaluations.jsonl", lines + R"({"evaluation":5,"generation":0,"index":5,"arch":"tf1:X9","sparse":"","accuracy":0,"latency_ms":0,"flash":0,"peak_sram":0,"effective_params":0,"macs":0,"achieved_sparsity":0,"seconds":0})" "\n");
  const std::string bad = error_of([&] { read_search_log(dir.file("s"), layout, supernet, no_latency()); });
  EXPECT_NE(bad.find("evaluations.jsonl:6"), std::string::npos) << bad;

  const std::string missing = error_of([&] { read_search_log(dir.file("none"), layout, supernet, no_latency()); });
  EXPECT_NE(missing.find("none/search.json"), std::string::npos) << missing;
}

TEST(PredictorConfig, DefaultsAreThePapersGridsAndListsMustNotBeEmpty) {
  const config::Recipe r = config::parse_recipe("{}");
  const auto o = PredictorOptions::from(r.predictor);
  EXPECT_EQ(o.ensemble, 5);
  EXPECT_EQ(o.estimators, (std::vector<int>{100, 400, 800, 1000}));
  EXPECT_EQ(o.depth, (std::vector<int>{3, 6, 12}));
  EXPECT_EQ(o.learning_rate, (std::vector<double>{0.01, 0.1, 0.5}));
  EXPECT_FALSE(o.bootstrap) << "the paper's members differ by their hyper-parameters only";
  EXPECT_TRUE(o.monotone);
  const auto set = config::parse_recipe("predictor: {ensemble: 2, depth: [4]}");
  EXPECT_EQ(set.predictor.ensemble, 2);
  EXPECT_EQ(set.predictor.depth, std::vector<int>{4});
  const std::string empty = error_of([] { config::parse_recipe("predictor: {estimators: []}"); });
  EXPECT_NE(empty.find("predictor.estimators must list at least one value"), std::string::npos) << empty;
  const std::string range = error_of([] { config::parse_recipe("predictor: {ensemble: 0}"); });
  EXPECT_NE(range.find("predictor.ensemble"), std::string::npos) << range;
  const std::string lr = error_of([] { config::parse_recipe("predictor: {learning_rate: [2]}"); });
  EXPECT_NE(lr.find("predictor.learning_rate"), std::string::npos) << lr;
}

}  // namespace
}  // namespace tinynas::nas
