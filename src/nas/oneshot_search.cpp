#include "tinynas/nas/oneshot_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include <torch/torch.h>

#include "oneshot_files.h"
#include "search_files.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/compress/snapshot.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/nas/pareto.h"
#include "tinynas/nas/saved_subnet.h"
#include "tinynas/nas/sparse_search.h"
#include "tinynas/nas/strategies.h"
#include "tinynas/train/evaluate.h"

namespace tinynas::nas {
namespace {

// The fixed stream of the default latency reference's samples (independent of sparsenas.seed:
// every search on one supernet gets the same reference).
constexpr std::uint64_t kReferenceSeed = 0x5a45'0011;
// Derived from train.seed: the recalibration batches.
constexpr std::uint64_t kRecalStream = 0x5a45'0012;

// Keys a resumed search may change: the random search's list (nothing there changes how
// candidates are proposed or scored) plus the budget, the pick, and what only Algorithm 3's
// training uses; and the predictor's keys except where MOBO proposes with it
// (resumable_keys).
const std::vector<std::string> kOneShotResumableKeys = {
    "data.workers",          "data.prefetch",         "train.log_every",
    "train.keep_last",       "train.checkpoint_every", "train.threads",
    "train.device",          "train.accumulate",      "train.eval_paths",
    "train.epochs",          "train.max_steps",       "distributed.",
    "supernas.",             "sparsenas.candidates",  "sparsenas.finetune_epochs",
    "sparsenas.epochs",      "sparsenas.agp_",        "sparsenas.evaluations",
    "sparsenas.generations", "sparsenas.pick",        "quant.",
    "export.verify_images",  "export.qemu",           "run.name",
    "run.dir",               "space.supernet",        "predictor.threads"};

std::vector<std::string> resumable_keys(const config::Recipe& r) {
  std::vector<std::string> keys = kOneShotResumableKeys;
  if (r.sparsenas.strategy != "mobo") keys.push_back("predictor.");
  return keys;
}

using Clock = std::chrono::steady_clock;

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

using detail::member;

// One-shot accuracy of (path, sparse config) on the supernet (header comment): prune,
// recalibrate, evaluate, restore. Collective: every rank scores the same candidate.
class OneShotScorer {
 public:
  OneShotScorer(space::Supernet model, const space::SupernetLayout& layout,
                const config::Recipe& recipe, const data::Datasets& sets, const torch::Device& device,
                train::DistributedGroup& group)
      : model_(std::move(model)), layout_(layout), group_(group), batches_(recipe.train.bn_recal_batches) {
    place_.device = device;
    model_->to(device);
    model_->eval();
    const auto& d = recipe.data;
    const int world = group.world_size();
    const int micro = std::max(1, recipe.train.batch_size / world);
    auto ro = data::make_loader_options(
        d, sets.normalization, true, micro,
        core::derive_seed(std::uint64_t(recipe.train.seed), kRecalStream), group.rank(), world);
    ro.drop_last = true;
    ro.workers = std::min(d.workers, 1);
    recal_ = std::make_unique<data::BatchLoader>(sets.train, ro);
    const int limit = recipe.sparsenas.fitness_images;
    if (limit > 0 && std::size_t(limit) < sets.val.size()) {
      std::vector<std::size_t> first(static_cast<std::size_t>(limit));
      for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
      val_subset_ = sets.val.subset(first, sets.val.name + "[:" + std::to_string(limit) + "]");
    }
    const data::ImageSet& val = val_subset_.size() > 0 ? val_subset_ : sets.val;
    auto vo = data::make_loader_options(d, sets.normalization, false, std::max(micro, 256), 0,
                                        group.rank(), world);
    vo.shuffle = false;
    vo.pad_to_world = false;
    vo.workers = std::min(d.workers, 1);
    val_ = std::make_unique<data::BatchLoader>(val, vo);
  }

  struct Score {
    double accuracy = 0;
    double achieved_sparsity = 0;  // zero weights / prunable weights of the path
  };

  // With `keep` set, the pruned and recalibrated path is extracted into *keep before the
  // supernet's weights are restored.
  Score score(const space::Arch& arch, const space::SparseConfig& sparse, space::Subnet* keep = nullptr) {
    const auto layers = compress::prunable_layers(model_, arch, sparse);
    compress::WeightSnapshot snapshot(compress::weights_of(layers));
    const auto report = compress::one_shot_prune(layers);
    const train::Forward fwd = [&](const torch::Tensor& x) { return model_->forward(x, arch); };
    train::recalibrate_bn(*model_, train::batch_norms(*model_, train::path_prefixes(layout_, arch)), fwd,
                          *recal_, 0, batches_, place_, group_);
    Score s;
    s.accuracy = train::evaluate(*model_, fwd, *val_, place_, group_).accuracy();
    std::int64_t zero = 0, total = 0;
    for (const auto& l : report) zero += l.zero_weights, total += l.weights;
    s.achieved_sparsity = total > 0 ? double(zero) / double(total) : 0.0;
    if (keep) {
      *keep = space::extract_subnet(model_, arch);
      (*keep)->to(torch::kCPU);
    }
    snapshot.restore();
    return s;
  }

 private:
  space::Supernet model_;
  const space::SupernetLayout& layout_;
  train::DistributedGroup& group_;
  int batches_;
  train::Placement place_;
  data::ImageSet val_subset_;
  std::unique_ptr<data::BatchLoader> recal_, val_;
};

// The default latency reference (header comment).
double latency_reference(const config::Recipe& r, const space::SupernetLayout& layout,
                         const space::SparseChoices& choices, const cost::Limits& limits,
                         const cost::CostOptions& co) {
  if (r.run.latency_ms > 0) return r.run.latency_ms;
  core::Rng rng(kReferenceSeed);
  double slowest = 0;
  for (int i = 0; i < kReferenceSamples; ++i) {
    const auto arch = space::sample_arch(layout, rng);
    const auto sparse = space::sample_sparse(layout, choices, rng);
    const auto c = cost::evaluate_path(layout, arch, &sparse, co);
    if (cost::fits(c, limits)) slowest = std::max(slowest, objectives_of(c, 0, limits.mcu_mhz).latency_ms);
  }
  return slowest > 0 ? 1.1 * slowest : 1.0;
}

}  // namespace

Objectives objectives_of(const cost::Cost& cost, double accuracy, double mcu_mhz) {
  Objectives o;
  o.accuracy = accuracy;
  o.latency_ms = cost.latency_ms(mcu_mhz);
  o.flash = cost.flash;
  o.peak_sram = cost.peak_sram;
  return o;
}

SparseCandidate to_sparse_candidate(const OneShotEvaluation& e) {
  SparseCandidate c;
  c.index = e.evaluation;
  c.arch = e.arch;
  c.sparse = e.sparse;
  c.draws = 1;
  c.status = "evaluated";
  c.pruned_accuracy = e.objectives.accuracy;
  c.achieved_sparsity = e.achieved_sparsity;
  c.effective_params = e.effective_params;
  c.flash = e.objectives.flash;
  c.peak_sram = e.objectives.peak_sram;
  c.macs = e.macs;
  c.seconds = e.seconds;
  return c;
}

int pick_point(const std::vector<Scored>& all, const std::string& rule, double min_accuracy) {
  if (all.empty()) return -1;
  if (rule == "best") {
    int b = 0;
    for (std::size_t i = 1; i < all.size(); ++i)
      if (all[i].objectives.accuracy > all[std::size_t(b)].objectives.accuracy) b = int(i);
    return b;
  }
  if (rule == "fastest") {
    int b = -1;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& o = all[i].objectives;
      if (o.accuracy < min_accuracy) continue;
      if (b < 0) {
        b = int(i);
        continue;
      }
      const auto& ob = all[std::size_t(b)].objectives;
      if (o.latency_ms < ob.latency_ms || (o.latency_ms == ob.latency_ms && o.accuracy > ob.accuracy))
        b = int(i);
    }
    if (b < 0) {
      double most = 0;
      for (const auto& s : all) most = std::max(most, s.objectives.accuracy);
      throw core::Error("sparsenas.pick fastest: no searched candidate reaches sparsenas.pick_accuracy " +
                        pct(min_accuracy) + " (the most accurate has " + pct(most) +
                        "); lower sparsenas.pick_accuracy or pick best / knee");
    }
    return b;
  }
  if (rule == "knee") {
    const ObjectiveSet two("accuracy,latency");
    const Points points = two.minimised(all);
    const auto front = pareto_front(points);  // most accurate first
    if (front.size() < 3) return int(front.front());
    const auto& a = points[front.front()];
    const auto& z = points[front.back()];
    const double sx = std::abs(z[0] - a[0]) > 0 ? std::abs(z[0] - a[0]) : 1.0;
    const double sy = std::abs(z[1] - a[1]) > 0 ? std::abs(z[1] - a[1]) : 1.0;
    const double dx = (z[0] - a[0]) / sx, dy = (z[1] - a[1]) / sy;
    const double len = std::hypot(dx, dy);
    std::size_t best = front.front();
    double far = -1;
    for (std::size_t k : front) {
      const double px = (points[k][0] - a[0]) / sx, py = (points[k][1] - a[1]) / sy;
      const double d = len > 0 ? std::abs(px * dy - py * dx) / len : 0.0;
      if (d > far || (d == far && k < best)) far = d, best = k;
    }
    return int(best);
  }
  throw core::Error("sparsenas.pick: unknown rule '" + rule + "' (best, knee or fastest)");
}

core::Json to_json(const OneShotEvaluation& e) {
  core::Json j = core::Json::object();
  j["evaluation"] = e.evaluation;
  j["generation"] = e.generation;
  j["index"] = e.index;
  j["arch"] = e.arch;
  j["sparse"] = e.sparse;
  j["accuracy"] = e.objectives.accuracy;
  j["latency_ms"] = e.objectives.latency_ms;
  j["flash"] = e.objectives.flash;
  j["peak_sram"] = e.objectives.peak_sram;
  j["effective_params"] = e.effective_params;
  j["macs"] = e.macs;
  j["achieved_sparsity"] = e.achieved_sparsity;
  j["seconds"] = e.seconds;
  return j;
}

OneShotEvaluation oneshot_evaluation_from_json(const core::Json& j, const std::string& where) {
  const auto str = [](const core::Json& v) { return v.as_string(); };
  const auto i64 = [](const core::Json& v) { return v.as_int(); };
  const auto dbl = [](const core::Json& v) { return v.as_double(); };
  OneShotEvaluation e;
  e.evaluation = int(member(j, "evaluation", where, i64));
  e.generation = int(member(j, "generation", where, i64));
  e.index = int(member(j, "index", where, i64));
  e.arch = member(j, "arch", where, str);
  e.sparse = member(j, "sparse", where, str);
  e.objectives.accuracy = member(j, "accuracy", where, dbl);
  e.objectives.latency_ms = member(j, "latency_ms", where, dbl);
  e.objectives.flash = member(j, "flash", where, i64);
  e.objectives.peak_sram = member(j, "peak_sram", where, i64);
  e.effective_params = member(j, "effective_params", where, i64);
  e.macs = member(j, "macs", where, i64);
  e.achieved_sparsity = member(j, "achieved_sparsity", where, dbl);
  e.seconds = member(j, "seconds", where, dbl);
  return e;
}

namespace {

// The options' refusals come before the objectives are parsed and the supernet is looked for.
ObjectiveSet checked_objectives(const OneShotSearchOptions& opt, const data::Datasets& sets) {
  const auto& sp = opt.recipe.sparsenas;
  if (sets.val.size() == 0)
    throw core::Error("sparsenas search scores candidates on the validation split, but it is "
                      "empty: set data.val_fraction above 0");
  if (!sp.sparse.empty())
    throw core::Error("sparsenas.sparse (a fixed sparse config) works with sparsenas.strategy random "
                      "only; " + sp.strategy + " searches the sparse config too");
  return ObjectiveSet(sp.objectives);
}

space::SupernetLayout layout_of(const ChosenSupernet& chosen, const space::SpaceDef& def,
                                const data::Datasets& sets) {
  try {
    return space::make_layout(def, space::parse_supernet(chosen.supernet, def),
                              {sets.train.channels, sets.train.height, sets.train.width},
                              sets.train.num_classes);
  } catch (const core::Error& e) {
    core::rethrow_with_context("supernet " + chosen.supernet, e);
  }
}

// What one search holds from its start to its pick. Every rank holds all of it; rank 0 alone
// reads and writes the files. Neither copied nor moved: the strategy and the scorer keep
// pointers into it.
struct Search {
  Search(const OneShotSearchOptions& o, const data::Datasets& s, const space::SpaceDef& d,
         train::DistributedGroup& g);
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  void say(const std::string& line) const {
    if (main && opt.progress) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  }
  cost::Cost cost_of(const Genome& g) const { return cost::evaluate_path(layout, g.arch, &g.sparse, co); }
  StrategyContext strategy_context() const;

  const OneShotSearchOptions& opt;
  const config::SparseNasConfig& sp;
  const data::Datasets& sets;
  const space::SpaceDef& def;
  train::DistributedGroup& group;
  const bool main;
  const cost::Limits limits;
  const space::SparseChoices choices;
  const cost::CostOptions co;
  const ObjectiveSet objectives;
  const ChosenSupernet chosen;
  const space::SupernetLayout layout;
  const double latency_ref;
  const std::vector<double> reference;  // of the hypervolume
  const std::unique_ptr<SearchStrategy> strategy;  // after the reference: mobo takes it
  const std::string log_path, settings_path, best_dir;
  detail::GenerationFiles files;  // rank 0

  std::vector<OneShotEvaluation> logged;  // rank 0: evaluations.jsonl as read back
  std::vector<double> logged_accuracy;    // every rank: their accuracies, to replay them
  int resumed = 0;
  std::string refusal;  // rank 0: why it stops; agree_written() stops every rank with it
  std::unique_ptr<OneShotScorer> scorer;
  std::vector<Scored> all;  // every scored candidate (result.evaluations' objectives)
  OneShotSearchResult result;
};

Search::Search(const OneShotSearchOptions& o, const data::Datasets& s, const space::SpaceDef& d,
               train::DistributedGroup& g)
    : opt(o),
      sp(o.recipe.sparsenas),
      sets(s),
      def(d),
      group(g),
      main(g.is_main()),
      limits(cost::limits_of(o.recipe)),
      choices(space::sparse_choices(sp.sparsity, sp.block)),
      co(cost::cost_options_of(o.recipe)),
      objectives(checked_objectives(o, s)),
      chosen(find_supernet(o.recipe, d)),
      layout(layout_of(chosen, d, s)),
      latency_ref(latency_reference(o.recipe, layout, choices, limits, co)),
      reference(objectives.reference(latency_ref, limits.flash_bytes, limits.sram_bytes)),
      strategy(make_strategy(sp, strategy_context(), o.recipe.predictor)),
      log_path(o.out_dir + "/evaluations.jsonl"),
      settings_path(o.out_dir + "/search.json"),
      best_dir(o.out_dir + "/best"),
      files(o.out_dir, objectives, reference) {}

StrategyContext Search::strategy_context() const {
  StrategyContext ctx;
  ctx.layout = &layout;
  ctx.choices = choices;
  ctx.fits = [this](const Genome& g) { return cost::fits(cost_of(g), limits); };
  ctx.cost = [this](const Genome& g) { return cost_of(g); };
  ctx.mcu_mhz = limits.mcu_mhz;
  ctx.reference = reference;
  return ctx;
}

// --- Start: search.json and evaluations.jsonl ---------------------------------------------

// Rank 0, on resume: the recorded search ran on the supernet chosen now.
void check_same_supernet(const Search& s) {
  const auto saved = detail::read_settings(s.settings_path);
  if (!saved.is_object()) return;
  for (const char* key : {"supernet", "supernet_checkpoint"}) {
    const std::string was =
        member(saved, key, s.settings_path, [](const core::Json& v) { return v.as_string(); });
    const std::string now = std::string(key) == "supernet" ? s.chosen.supernet : s.chosen.checkpoint;
    if (was != now)
      core::fail_file(s.settings_path, "the search ran on " + std::string(key) + " " + was + ", now " +
                                           s.chosen.chosen_by + " gives " + now +
                                           "; start a new search (another run.name)");
  }
}

// What search.json records besides the recipe.
core::Json settings_extra(const Search& s) {
  core::Json extra = core::Json::object();
  extra["supernet"] = s.chosen.supernet;
  extra["supernet_checkpoint"] = s.chosen.checkpoint;
  extra["chosen_by"] = s.chosen.chosen_by;
  extra["strategy"] = s.strategy->name();
  extra["objectives"] = s.objectives.to_string();
  extra["latency_reference_ms"] = s.latency_ref;
  core::Json ref = core::Json::array();
  for (double v : s.reference) ref.push_back(v);
  extra["hypervolume_reference"] = ref;
  return extra;
}

// evaluations.jsonl read back (a torn last line dropped); lines out of order are errors.
std::vector<OneShotEvaluation> read_log(const std::string& log_path) {
  std::vector<OneShotEvaluation> logged;
  for (const auto& [json, where] : detail::read_json_lines(log_path)) {
    logged.push_back(oneshot_evaluation_from_json(json, where));
    if (logged.back().evaluation != int(logged.size()) - 1)
      throw core::Error(where + ": is evaluation " + std::to_string(logged.back().evaluation) +
                        ", expected " + std::to_string(logged.size() - 1));
  }
  return logged;
}

// The other ranks need the recorded accuracies to replay (the rest they compute).
void share_logged_accuracy(Search& s) {
  s.logged_accuracy.assign(std::size_t(s.resumed), 0.0);
  if (s.resumed == 0) return;
  auto t = torch::zeros({s.resumed}, torch::kDouble);
  if (s.main)
    for (int i = 0; i < s.resumed; ++i) t[i] = s.logged[std::size_t(i)].objectives.accuracy;
  std::vector<torch::Tensor> ts{t};
  s.group.broadcast(ts, 0, "recorded accuracies");
  const auto* p = ts[0].data_ptr<double>();
  for (int i = 0; i < s.resumed; ++i) s.logged_accuracy[std::size_t(i)] = p[i];
}

// Rank 0 checks what is on disk, (re)writes search.json and reads the log back; every rank
// learns how many evaluations are on record, or throws rank 0's refusal.
void open_log(Search& s) {
  if (s.main) {
    try {
      if (s.opt.resume) check_same_supernet(s);
      detail::start_search_files(s.opt.out_dir, s.log_path, s.settings_path, s.opt.resume,
                                 config::flat_values(s.opt.recipe), resumable_keys(s.opt.recipe),
                                 s.def.source, settings_extra(s));
      if (s.opt.resume) s.logged = read_log(s.log_path);
      std::string text;
      for (const auto& e : s.logged) text += to_json(e).dump() + "\n";
      core::write_file_atomic(s.log_path, text);  // without a torn tail
    } catch (const std::exception& e) {
      s.refusal = e.what();
    }
  }
  s.resumed = int(detail::broadcast_outcome(s.group, s.refusal, double(s.logged.size()), "search resume point"));
  share_logged_accuracy(s);
}

void set_torch_threads(const OneShotSearchOptions& opt) {
  int threads = opt.recipe.train.threads;
  if (threads == 0)
    threads = std::max(1, int(std::max(1u, std::thread::hardware_concurrency())) /
                              std::max(1, opt.local_world_size));
  if (opt.device.is_cpu()) torch::set_num_threads(threads);
}

// --- Generations ---------------------------------------------------------------------------

std::string log_mismatch(const Search& s, const OneShotEvaluation& l, const OneShotEvaluation& e) {
  const int n = e.evaluation;
  return s.log_path + ":" + std::to_string(n + 1) + ": evaluation " + std::to_string(n) + " is generation " +
         std::to_string(l.generation) + " #" + std::to_string(l.index) + " " + l.arch + " " + l.sparse +
         ", but this search proposes generation " + std::to_string(e.generation) + " #" +
         std::to_string(e.index) + " " + e.arch + " " + e.sparse +
         " there (space, seed or strategy changed?); start a new search";
}

// A proposal on record: its recorded accuracy (every rank), achieved sparsity and time (rank
// 0, the one that writes them). Rank 0 refuses a log that recorded another proposal there.
void replay(Search& s, OneShotEvaluation& e, const cost::Cost& cost) {
  const auto n = std::size_t(e.evaluation);
  e.objectives = objectives_of(cost, s.logged_accuracy[n], s.limits.mcu_mhz);
  if (!s.main) return;
  const auto& l = s.logged[n];
  if (s.refusal.empty() &&
      (l.generation != e.generation || l.index != e.index || l.arch != e.arch || l.sparse != e.sparse))
    s.refusal = log_mismatch(s, l, e);
  e.achieved_sparsity = l.achieved_sparsity;
  e.seconds = l.seconds;
}

// A proposal not on record: scored on the supernet (every rank), appended by rank 0.
void score_new(Search& s, OneShotEvaluation& e, const cost::Cost& cost, const Genome& genome,
               Clock::time_point t0) {
  const auto r = s.scorer->score(genome.arch, genome.sparse);
  e.objectives = objectives_of(cost, r.accuracy, s.limits.mcu_mhz);
  e.achieved_sparsity = r.achieved_sparsity;
  e.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!s.main || !s.refusal.empty()) return;
  try {
    detail::append_line(s.log_path, to_json(e).dump());
  } catch (const std::exception& ex) {
    s.refusal = ex.what();
  }
}

// Proposal `index` of generation `generation`, the next evaluation of the search.
OneShotEvaluation evaluate_proposal(Search& s, int generation, int index, const Genome& genome) {
  const auto t0 = Clock::now();
  const auto cost = s.cost_of(genome);
  OneShotEvaluation e;
  e.evaluation = int(s.all.size());
  e.generation = generation;
  e.index = index;
  e.arch = space::to_string(genome.arch, s.layout);
  e.sparse = space::to_string(genome.sparse, s.layout);
  e.effective_params = cost.effective_params;
  e.macs = cost.macs;
  if (e.evaluation < s.resumed)
    replay(s, e, cost);
  else
    score_new(s, e, cost, genome, t0);
  return e;
}

// Rank 0: the generation's files (also while replaying: they are the same then).
void write_generation_files(Search& s, int g, bool whole) {
  try {
    s.result.hypervolume = s.files.write_front(g, s.all, s.result.evaluations);
    if (whole)
      s.files.write_population(g, int(s.all.size()), s.strategy->name(), s.strategy->population(), s.layout);
  } catch (const std::exception& ex) {
    s.refusal = ex.what();
  }
}

void report_generation(const Search& s, int g, const std::vector<Scored>& scored) {
  if (int(s.all.size()) <= s.resumed) return;  // replayed only: nothing new to say
  double top = 0;
  for (const auto& c : scored) top = std::max(top, c.objectives.accuracy);
  s.say("generation " + std::to_string(g) + ": " + std::to_string(scored.size()) + " scored (" +
        std::to_string(s.all.size()) + "/" + std::to_string(s.sp.evaluations) + "), best of the generation " +
        pct(top));
}

// Generation g (header comment); false when the strategy proposes nothing more.
bool run_generation(Search& s, int g) {
  core::Rng rng(core::derive_seed(std::uint64_t(s.sp.seed), kStrategyStream, std::uint64_t(g)));
  const auto proposals = s.strategy->propose(g, rng);
  if (proposals.empty()) {
    s.say("generation " + std::to_string(g) + ": the strategy proposes nothing more");
    return false;
  }
  s.result.generations = g + 1;
  std::vector<Scored> scored;
  for (std::size_t i = 0; i < proposals.size() && int(s.all.size()) < s.sp.evaluations; ++i) {
    auto e = evaluate_proposal(s, g, int(i), proposals[i]);
    scored.push_back({proposals[i], e.objectives});
    s.all.push_back(scored.back());
    s.result.evaluations.push_back(std::move(e));
  }
  const bool whole = scored.size() == proposals.size();
  if (whole) s.strategy->tell(g, scored);
  if (s.main && s.refusal.empty()) write_generation_files(s, g, whole);
  // Every rank stops here when rank 0 could not record, or the log disagrees.
  detail::agree_written(s.group, s.refusal, "generation " + std::to_string(g));
  report_generation(s, g, scored);
  return true;
}

// --- The pick ------------------------------------------------------------------------------

// Rank 0: best/ then best.json, as stage 1 of Algorithm 3 leaves its winner.
void write_best(Search& s, space::Subnet& picked) {
  const auto& b = s.result.evaluations[std::size_t(s.result.best)];
  const auto& sparse = s.all[std::size_t(s.result.best)].genome.sparse;
  try {
    auto c = to_sparse_candidate(b);
    core::Json extra = detail::stage1_subnet_extra(c, "search");
    extra["latency_ms"] = b.objectives.latency_ms;
    extra["strategy"] = s.strategy->name();
    extra["pick"] = s.sp.pick;
    save_subnet(s.best_dir, s.def, s.chosen.supernet, s.layout, picked, sparse, extra);
    core::Json best = detail::stage1_best_json(&c, int(s.all.size()), s.chosen, s.opt.out_dir);
    best["run_dir"] = s.opt.out_dir;
    best["latency_ms"] = b.objectives.latency_ms;
    best["strategy"] = s.strategy->name();
    best["pick"] = s.sp.pick;
    best["pick_accuracy"] = s.sp.pick_accuracy;
    core::write_file_atomic(s.opt.out_dir + "/best.json", best.dump_pretty() + "\n");
  } catch (const std::exception& ex) {
    s.refusal = ex.what();
  }
}

// The pick (header comment), pruned and recalibrated again on every rank to save it.
void pick_and_save(Search& s) {
  s.result.best = pick_point(s.all, s.sp.pick, s.sp.pick_accuracy);
  if (s.result.best < 0) return;
  const auto& g = s.all[std::size_t(s.result.best)].genome;
  space::Subnet picked{nullptr};
  s.scorer->score(g.arch, g.sparse, &picked);
  if (s.main) write_best(s, picked);
  detail::agree_written(s.group, s.refusal, s.best_dir);
  const auto& b = s.result.evaluations[std::size_t(s.result.best)];
  s.say("pick (" + s.sp.pick + "): " + b.arch + " " + b.sparse + ", one-shot accuracy " +
        pct(b.objectives.accuracy) + ", flash " + std::to_string(b.objectives.flash) + " B, peak SRAM " +
        std::to_string(b.objectives.peak_sram) + " B");
}

}  // namespace

OneShotSearchResult search_oneshot(const OneShotSearchOptions& opt, const data::Datasets& sets,
                                   const space::SpaceDef& def, train::DistributedGroup& group) {
  Search s(opt, sets, def, group);
  open_log(s);
  s.say("sparsenas search (" + s.strategy->name() + ", one-shot) on supernet " + s.chosen.supernet +
        " (from " + s.chosen.chosen_by + ", " + s.chosen.checkpoint + ")" +
        (s.resumed > 0 ? ", " + std::to_string(s.resumed) + " evaluation(s) on record" : ""));
  set_torch_threads(opt);
  s.scorer = std::make_unique<OneShotScorer>(load_supernet(s.chosen.checkpoint, s.layout, s.chosen.supernet),
                                             s.layout, opt.recipe, sets, opt.device, group);
  s.result.supernet = s.chosen.supernet;
  s.result.strategy = s.strategy->name();
  s.result.resumed = s.resumed;
  s.result.latency_reference_ms = s.latency_ref;
  for (int g = 0; g < s.sp.generations && int(s.all.size()) < s.sp.evaluations; ++g)
    if (!run_generation(s, g)) break;
  s.result.population = s.strategy->population();
  pick_and_save(s);
  return std::move(s.result);
}

}  // namespace tinynas::nas
