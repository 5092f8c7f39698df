#include "tinynas/nas/oneshot_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include <torch/torch.h>

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
// training uses.
const std::vector<std::string> kOneShotResumableKeys = {
    "data.workers",          "data.prefetch",         "train.log_every",
    "train.keep_last",       "train.checkpoint_every", "train.threads",
    "train.device",          "train.accumulate",      "train.eval_paths",
    "train.epochs",          "train.max_steps",       "distributed.",
    "supernas.",             "sparsenas.candidates",  "sparsenas.finetune_epochs",
    "sparsenas.epochs",      "sparsenas.agp_",        "sparsenas.evaluations",
    "sparsenas.generations", "sparsenas.pick",        "quant.",
    "export.verify_images",  "export.qemu",           "run.name",
    "run.dir",               "space.supernet"};

using Clock = std::chrono::steady_clock;

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

template <class F>
auto member(const core::Json& j, const char* key, const std::string& where, F&& get) {
  try {
    return get(j.at(key));
  } catch (const core::Error& e) {
    core::fail_file(where, std::string("key '") + key + "': " + e.what());
  }
}

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

core::Json genome_json(const Scored& s, const space::SupernetLayout& layout) {
  core::Json j = core::Json::object();
  j["arch"] = space::to_string(s.genome.arch, layout);
  j["sparse"] = space::to_string(s.genome.sparse, layout);
  j["accuracy"] = s.objectives.accuracy;
  j["latency_ms"] = s.objectives.latency_ms;
  j["flash"] = s.objectives.flash;
  j["peak_sram"] = s.objectives.peak_sram;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
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

OneShotSearchResult search_oneshot(const OneShotSearchOptions& opt, const data::Datasets& sets,
                                   const space::SpaceDef& def, train::DistributedGroup& group) {
  const auto& sp = opt.recipe.sparsenas;
  const auto limits = cost::limits_of(opt.recipe);
  const auto choices = space::sparse_choices(sp.sparsity, sp.block);
  const cost::CostOptions co = cost::cost_options_of(opt.recipe);
  const bool main = group.is_main();
  auto say = [&](const std::string& s) {
    if (main && opt.progress) std::printf("%s\n", s.c_str()), std::fflush(stdout);
  };
  if (sets.val.size() == 0)
    throw core::Error("sparsenas search scores candidates on the validation split, but it is "
                      "empty: set data.val_fraction above 0");
  if (!sp.sparse.empty())
    throw core::Error("sparsenas.sparse (a fixed sparse config) works with sparsenas.strategy random "
                      "only; " + sp.strategy + " searches the sparse config too");
  const ObjectiveSet objectives(sp.objectives);
  const ChosenSupernet chosen = find_supernet(opt.recipe, def);
  space::SupernetLayout layout;
  try {
    layout = space::make_layout(def, space::parse_supernet(chosen.supernet, def),
                                {sets.train.channels, sets.train.height, sets.train.width},
                                sets.train.num_classes);
  } catch (const core::Error& e) {
    core::rethrow_with_context("supernet " + chosen.supernet, e);
  }
  auto cost_of = [&](const Genome& g) { return cost::evaluate_path(layout, g.arch, &g.sparse, co); };
  StrategyContext ctx;
  ctx.layout = &layout;
  ctx.choices = choices;
  ctx.fits = [&](const Genome& g) { return cost::fits(cost_of(g), limits); };
  auto strategy = make_strategy(sp, ctx);

  const double latency_ref = latency_reference(opt.recipe, layout, choices, limits, co);
  const auto reference = objectives.reference(latency_ref, limits.flash_bytes, limits.sram_bytes);
  const double box = box_volume(objectives.ideal(), reference);

  const std::string log_path = opt.out_dir + "/evaluations.jsonl";
  const std::string settings_path = opt.out_dir + "/search.json";
  const std::string best_dir = opt.out_dir + "/best";

  // Rank 0 checks what is on disk and reads the log back; every rank learns the outcome.
  std::vector<OneShotEvaluation> logged;
  std::string refusal;
  if (main) {
    try {
      if (opt.resume) {
        const auto saved = detail::read_settings(settings_path);
        if (saved.is_object())
          for (const char* key : {"supernet", "supernet_checkpoint"}) {
            const std::string was = member(saved, key, settings_path, [](const core::Json& v) { return v.as_string(); });
            const std::string now = std::string(key) == "supernet" ? chosen.supernet : chosen.checkpoint;
            if (was != now)
              core::fail_file(settings_path, "the search ran on " + std::string(key) + " " + was +
                                                 ", now " + chosen.chosen_by + " gives " + now +
                                                 "; start a new search (another run.name)");
          }
      }
      core::Json extra = core::Json::object();
      extra["supernet"] = chosen.supernet;
      extra["supernet_checkpoint"] = chosen.checkpoint;
      extra["chosen_by"] = chosen.chosen_by;
      extra["strategy"] = strategy->name();
      extra["objectives"] = objectives.to_string();
      extra["latency_reference_ms"] = latency_ref;
      core::Json ref = core::Json::array();
      for (double v : reference) ref.push_back(v);
      extra["hypervolume_reference"] = ref;
      detail::start_search_files(opt.out_dir, log_path, settings_path, opt.resume,
                                 config::flat_values(opt.recipe), kOneShotResumableKeys, def.source,
                                 extra);
      if (opt.resume)
        for (const auto& [json, where] : detail::read_json_lines(log_path)) {
          logged.push_back(oneshot_evaluation_from_json(json, where));
          if (logged.back().evaluation != int(logged.size()) - 1)
            throw core::Error(where + ": is evaluation " + std::to_string(logged.back().evaluation) +
                              ", expected " + std::to_string(logged.size() - 1));
        }
      std::string text;
      for (const auto& e : logged) text += to_json(e).dump() + "\n";
      core::write_file_atomic(log_path, text);  // without a torn tail
    } catch (const std::exception& e) {
      refusal = e.what();
    }
  }
  const int resumed = int(detail::broadcast_outcome(group, refusal, double(logged.size()), "search resume point"));
  // The other ranks need the recorded accuracies to replay (the rest they compute).
  std::vector<double> logged_accuracy(std::size_t(resumed), 0.0);
  if (resumed > 0) {
    auto t = torch::zeros({resumed}, torch::kDouble);
    if (main)
      for (int i = 0; i < resumed; ++i) t[i] = logged[std::size_t(i)].objectives.accuracy;
    std::vector<torch::Tensor> ts{t};
    group.broadcast(ts, 0, "recorded accuracies");
    const auto* p = ts[0].data_ptr<double>();
    for (int i = 0; i < resumed; ++i) logged_accuracy[std::size_t(i)] = p[i];
  }

  say("sparsenas search (" + strategy->name() + ", one-shot) on supernet " + chosen.supernet + " (from " +
      chosen.chosen_by + ", " + chosen.checkpoint + ")" +
      (resumed > 0 ? ", " + std::to_string(resumed) + " evaluation(s) on record" : ""));
  {
    int threads = opt.recipe.train.threads;
    if (threads == 0)
      threads = std::max(1, int(std::max(1u, std::thread::hardware_concurrency())) /
                                std::max(1, opt.local_world_size));
    if (opt.device.is_cpu()) torch::set_num_threads(threads);
  }
  OneShotScorer scorer(load_supernet(chosen.checkpoint, layout, chosen.supernet), layout, opt.recipe,
                       sets, opt.device, group);

  OneShotSearchResult result;
  result.supernet = chosen.supernet;
  result.strategy = strategy->name();
  result.resumed = resumed;
  result.latency_reference_ms = latency_ref;
  std::vector<Scored> all;                // every scored candidate, every rank
  std::vector<core::Json> hv_records;     // rank 0
  auto& evals = result.evaluations;
  for (int g = 0; g < sp.generations && int(all.size()) < sp.evaluations; ++g) {
    core::Rng rng(core::derive_seed(std::uint64_t(sp.seed), kStrategyStream, std::uint64_t(g)));
    const auto proposals = strategy->propose(g, rng);
    if (proposals.empty()) {
      say("generation " + std::to_string(g) + ": the strategy proposes nothing more");
      break;
    }
    result.generations = g + 1;
    std::vector<Scored> scored;
    for (std::size_t i = 0; i < proposals.size() && int(all.size()) < sp.evaluations; ++i) {
      const auto t0 = Clock::now();
      const int n = int(all.size());
      const Genome& genome = proposals[i];
      const auto cost = cost_of(genome);
      OneShotEvaluation e;
      e.evaluation = n;
      e.generation = g;
      e.index = int(i);
      e.arch = space::to_string(genome.arch, layout);
      e.sparse = space::to_string(genome.sparse, layout);
      e.effective_params = cost.effective_params;
      e.macs = cost.macs;
      if (n < resumed) {
        e.objectives = objectives_of(cost, logged_accuracy[std::size_t(n)], limits.mcu_mhz);
        if (main) {
          const auto& l = logged[std::size_t(n)];
          if (refusal.empty() && (l.generation != g || l.index != int(i) || l.arch != e.arch || l.sparse != e.sparse))
            refusal = log_path + ":" + std::to_string(n + 1) + ": evaluation " + std::to_string(n) +
                      " is generation " + std::to_string(l.generation) + " #" + std::to_string(l.index) +
                      " " + l.arch + " " + l.sparse + ", but this search proposes generation " +
                      std::to_string(g) + " #" + std::to_string(i) + " " + e.arch + " " + e.sparse +
                      " there (space, seed or strategy changed?); start a new search";
          e.achieved_sparsity = l.achieved_sparsity;
          e.seconds = l.seconds;
        }
      } else {
        const auto s = scorer.score(genome.arch, genome.sparse);
        e.objectives = objectives_of(cost, s.accuracy, limits.mcu_mhz);
        e.achieved_sparsity = s.achieved_sparsity;
        e.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        if (main && refusal.empty()) {
          try {
            detail::append_line(log_path, to_json(e).dump());
          } catch (const std::exception& ex) {
            refusal = ex.what();
          }
        }
      }
      scored.push_back({genome, e.objectives});
      all.push_back(scored.back());
      evals.push_back(std::move(e));
    }
    const bool whole = scored.size() == proposals.size();
    if (whole) strategy->tell(g, scored);

    // Rank 0: the generation's files (also while replaying: they are the same then).
    if (main && refusal.empty()) {
      try {
        const Points points = objectives.minimised(all);
        const double hv = hypervolume(points, reference);
        core::Json h = core::Json::object();
        h["generation"] = g;
        h["evaluations"] = int(all.size());
        h["hypervolume"] = hv;
        h["normalised"] = box > 0 ? hv / box : 0.0;
        hv_records.push_back(h);
        std::string text;
        for (const auto& r : hv_records) text += r.dump() + "\n";
        core::write_file_atomic(opt.out_dir + "/hv.jsonl", text);
        result.hypervolume = hv;

        std::string csv = "evaluation,generation,index,arch,sparse,accuracy,latency_ms,flash,peak_sram,"
                          "effective_params,macs\n";
        for (std::size_t k : pareto_front(points)) {
          const auto& e = evals[k];
          csv += std::to_string(e.evaluation) + "," + std::to_string(e.generation) + "," +
                 std::to_string(e.index) + "," + csv_field(e.arch) + "," + csv_field(e.sparse) + "," +
                 core::Json(e.objectives.accuracy).dump() + "," + core::Json(e.objectives.latency_ms).dump() +
                 "," + std::to_string(e.objectives.flash) + "," + std::to_string(e.objectives.peak_sram) +
                 "," + std::to_string(e.effective_params) + "," + std::to_string(e.macs) + "\n";
        }
        core::write_file_atomic(opt.out_dir + "/pareto.csv", csv);

        if (whole) {
          core::Json pop = core::Json::object();
          pop["strategy"] = strategy->name();
          pop["generation"] = g;
          pop["evaluations"] = int(all.size());
          core::Json list = core::Json::array();
          for (const auto& s : strategy->population()) list.push_back(genome_json(s, layout));
          pop["population"] = list;
          core::write_file_atomic(opt.out_dir + "/population.json", pop.dump_pretty() + "\n");
        }
      } catch (const std::exception& ex) {
        refusal = ex.what();
      }
    }
    // Every rank stops here when rank 0 could not record, or the log disagrees.
    detail::agree_written(group, refusal, "generation " + std::to_string(g));
    if (int(all.size()) > resumed) {
      double top = 0;
      for (const auto& s : scored) top = std::max(top, s.objectives.accuracy);
      say("generation " + std::to_string(g) + ": " + std::to_string(scored.size()) + " scored (" +
          std::to_string(all.size()) + "/" + std::to_string(sp.evaluations) + "), best of the generation " +
          pct(top));
    }
  }
  result.population = strategy->population();

  // The pick, as stage 1 of Algorithm 3 leaves its winner: best/ then best.json.
  result.best = pick_point(all, sp.pick, sp.pick_accuracy);
  if (result.best >= 0) {
    const auto& g = all[std::size_t(result.best)].genome;
    space::Subnet picked{nullptr};
    scorer.score(g.arch, g.sparse, &picked);
    if (main) {
      try {
        auto c = to_sparse_candidate(evals[std::size_t(result.best)]);
        core::Json extra = detail::stage1_subnet_extra(c, "search");
        extra["latency_ms"] = evals[std::size_t(result.best)].objectives.latency_ms;
        extra["strategy"] = strategy->name();
        extra["pick"] = sp.pick;
        save_subnet(best_dir, def, chosen.supernet, layout, picked, g.sparse, extra);
        core::Json best = detail::stage1_best_json(&c, int(all.size()), chosen, opt.out_dir);
        best["run_dir"] = opt.out_dir;
        best["latency_ms"] = evals[std::size_t(result.best)].objectives.latency_ms;
        best["strategy"] = strategy->name();
        best["pick"] = sp.pick;
        best["pick_accuracy"] = sp.pick_accuracy;
        core::write_file_atomic(opt.out_dir + "/best.json", best.dump_pretty() + "\n");
      } catch (const std::exception& ex) {
        refusal = ex.what();
      }
    }
    detail::agree_written(group, refusal, best_dir);
    const auto& b = evals[std::size_t(result.best)];
    say("pick (" + sp.pick + "): " + b.arch + " " + b.sparse + ", one-shot accuracy " +
        pct(b.objectives.accuracy) + ", flash " + std::to_string(b.objectives.flash) + " B, peak SRAM " +
        std::to_string(b.objectives.peak_sram) + " B");
  }
  return result;
}

}  // namespace tinynas::nas
