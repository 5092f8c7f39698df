#include "tinynas/nas/supernet_search.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "search_files.h"
#include "tinynas/compress/mask_set.h"
#include "tinynas/compress/snapshot.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/trainer.h"

namespace tinynas::nas {
namespace fs = std::filesystem;
namespace {

// Random streams derived from supernas.seed, one per purpose, each indexed by candidate.
constexpr std::uint64_t kSupernetStream = 0x5e4c'0001;
constexpr std::uint64_t kTestStream = 0x5e4c'0002;
constexpr std::uint64_t kPathStream = 0x5e4c'0003;
// Sparse configs drawn per path before giving up on finding T_k that fit.
constexpr int kDrawsPerConfig = 20;

// Recipe keys a resumed search may change: they do not change which supernets are
// sampled, how they are trained or how they are scored (logging, io, where things run,
// later stages, and supernas.supernets itself, so a finished search can be extended).
const std::vector<std::string> kSearchResumableKeys = {
    "data.workers",     "data.prefetch",        "train.log_every",   "train.keep_last",
    "train.checkpoint_every", "train.threads",  "train.device",      "train.accumulate",
    "train.eval_paths", "distributed.",         "supernas.supernets", "supernas.analysis_samples",
    "supernas.accept_threshold", "supernas.lambda_", "supernas.param_bound", "supernas.search",
    "sparsenas.candidates", "sparsenas.epochs", "sparsenas.finetune_epochs", "sparsenas.agp_",
    "sparsenas.seed",
    "quant.",           "export.verify_images", "export.qemu",       "run.name",
    "run.dir",          "space.supernet",       "predictor."};

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

using Clock = std::chrono::steady_clock;

core::Json to_json(const TestSupernetResult& t) {
  core::Json j = core::Json::object();
  j["sampled"] = t.sampled;
  j["over_memory"] = t.over_memory;
  j["max_sram"] = t.max_sram;
  j["passed"] = t.passed();
  return j;
}

core::Json best_json(const Candidate* c, int count, const std::string& out_dir) {
  core::Json j = core::Json::object();
  if (!c) {
    j["supernet"] = nullptr;
    return j;
  }
  j["candidate"] = c->index;
  j["supernet"] = c->supernet;
  j["score"] = c->score;
  j["checkpoint"] = c->checkpoint;
  j["run_dir"] = out_dir + "/candidates/" + std::to_string(c->index);
  j["candidates_evaluated"] = count;
  return j;
}

}  // namespace

TestSupernetResult test_supernet(const space::SupernetLayout& layout, const cost::Limits& limits,
                                 int paths, core::Rng& rng) {
  TestSupernetResult t;
  for (int i = 0; i < paths; ++i) {
    const auto c = cost::evaluate_path(layout, space::sample_arch(layout, rng));
    ++t.sampled;
    t.max_sram = std::max(t.max_sram, c.peak_sram);
    if (c.peak_sram > limits.sram_bytes) ++t.over_memory;
  }
  return t;
}

core::Json to_json(const Candidate& c) {
  core::Json j = core::Json::object();
  j["index"] = c.index;
  j["supernet"] = c.supernet;
  j["status"] = c.status;
  if (c.duplicate_of >= 0) j["duplicate_of"] = c.duplicate_of;
  j["test"] = to_json(c.test);
  j["train_steps"] = c.train_steps;
  j["train_images_per_s"] = c.train_images_per_s;
  j["train_val_accuracy"] = c.train_val_accuracy;
  j["checkpoint"] = c.checkpoint;
  core::Json paths = core::Json::array();
  for (const auto& p : c.paths) {
    core::Json pj = core::Json::object();
    pj["arch"] = p.arch;
    pj["draws"] = p.draws;
    pj["mean_accuracy"] = p.mean_accuracy;
    core::Json cfgs = core::Json::array();
    for (const auto& s : p.configs) {
      core::Json sj = core::Json::object();
      sj["sparse"] = s.sparse;
      sj["accuracy"] = s.accuracy;
      sj["effective_params"] = s.effective_params;
      sj["peak_sram"] = s.peak_sram;
      sj["flash"] = s.flash;
      sj["achieved_sparsity"] = s.achieved_sparsity;
      cfgs.push_back(sj);
    }
    pj["configs"] = cfgs;
    paths.push_back(pj);
  }
  j["paths"] = paths;
  // How often the path's sparse configs fit the limits (the paper's first condition on a
  // good supernet), next to the accuracy score.
  int drawn = 0, fit = 0, paths_fit = 0;
  for (const auto& p : c.paths) {
    drawn += p.draws;
    fit += int(p.configs.size());
    paths_fit += p.configs.empty() ? 0 : 1;
  }
  j["paths_fit"] = paths_fit;
  j["fit_rate"] = drawn > 0 ? double(fit) / double(drawn) : 0.0;
  j["score"] = c.score;
  j["seconds"] = c.seconds;
  return j;
}

Candidate candidate_from_json(const core::Json& j, const std::string& where) {
  try {
    Candidate c;
    c.index = int(j.at("index").as_int());
    c.supernet = j.at("supernet").as_string();
    c.status = j.at("status").as_string();
    if (const auto* d = j.find("duplicate_of")) c.duplicate_of = int(d->as_int());
    const auto& t = j.at("test");
    c.test.sampled = int(t.at("sampled").as_int());
    c.test.over_memory = int(t.at("over_memory").as_int());
    c.test.max_sram = t.at("max_sram").as_int();
    c.train_steps = j.at("train_steps").as_int();
    c.train_images_per_s = j.at("train_images_per_s").as_double();
    c.train_val_accuracy = j.at("train_val_accuracy").as_double();
    c.checkpoint = j.at("checkpoint").as_string();
    for (const auto& pj : j.at("paths").elements()) {
      PathEval p;
      p.arch = pj.at("arch").as_string();
      p.draws = int(pj.at("draws").as_int());
      p.mean_accuracy = pj.at("mean_accuracy").as_double();
      for (const auto& sj : pj.at("configs").elements()) {
        SparseEval s;
        s.sparse = sj.at("sparse").as_string();
        s.accuracy = sj.at("accuracy").as_double();
        s.effective_params = sj.at("effective_params").as_int();
        s.peak_sram = sj.at("peak_sram").as_int();
        s.flash = sj.at("flash").as_int();
        s.achieved_sparsity = sj.at("achieved_sparsity").as_double();
        p.configs.push_back(s);
      }
      c.paths.push_back(std::move(p));
    }
    c.score = j.at("score").as_double();
    c.seconds = j.at("seconds").as_double();
    return c;
  } catch (const core::Error& e) {
    core::rethrow_with_context(where, e);
  }
}

SearchResult search_supernets(const SearchOptions& opt, const data::Datasets& sets,
                              const space::SpaceDef& def, train::DistributedGroup& group) {
  const auto& sn = opt.recipe.supernas;
  const auto limits = cost::limits_of(opt.recipe);
  const auto choices =
      space::sparse_choices(opt.recipe.sparsenas.sparsity, opt.recipe.sparsenas.block);
  const cost::CostOptions co = cost::cost_options_of(opt.recipe);
  const space::Shape input{sets.train.channels, sets.train.height, sets.train.width};
  const std::uint64_t seed = std::uint64_t(sn.seed);
  const bool main = group.is_main();
  auto say = [&](const std::string& s) {
    if (main) std::printf("%s\n", s.c_str()), std::fflush(stdout);
  };
  if (sets.val.size() == 0)
    throw core::Error("supernas search evaluates paths on the validation split, but it is "
                      "empty: set data.val_fraction above 0");
  auto supernet_at = [&](int i) {
    core::Rng r(core::derive_seed(seed, kSupernetStream, std::uint64_t(i)));
    return space::sample_supernet(def, r);
  };

  const std::string settings_path = opt.out_dir + "/search.json";
  detail::CandidateLog<Candidate> log(
      group, opt.out_dir,
      {[](const Candidate& c) { return to_json(c); },
       [&](const core::Json& j, const std::string& where) {
         auto c = candidate_from_json(j, where);
         const std::string want = space::to_string(supernet_at(c.index), def);
         if (c.supernet != want)
           core::fail_file(where, "candidate " + std::to_string(c.index) + " is supernet " +
                                      c.supernet + ", but this recipe samples " + want +
                                      " (space or supernas.seed changed?); start a new search");
         return c;
       },
       [](const Candidate& c) { return c.status == "evaluated" ? c.score : -1.0; },
       [&](const Candidate* best, int count) { return best_json(best, count, opt.out_dir); }});
  // Rank 0 checks what is on disk; every rank learns the outcome, so a refusal stops all
  // of them at once instead of leaving the others in a collective.
  log.open(opt.resume, [&] {
    detail::start_search_files(opt.out_dir, log.log_path(), settings_path, opt.resume,
                               config::flat_values(opt.recipe), kSearchResumableKeys, def.source,
                               core::Json::object());
  });

  for (int i = 0; i < sn.supernets; ++i) {
    const space::SupernetConfig cfg = supernet_at(i);
    const std::string text = space::to_string(cfg, def);
    const std::string head = "candidate " + std::to_string(i + 1) + "/" +
                             std::to_string(sn.supernets) + " " + text;
    if (i < log.resumed()) {
      say(head + ": finished in an earlier run, skipped");
      continue;
    }
    const auto t0 = Clock::now();
    Candidate c;
    c.index = i;
    c.supernet = text;
    // Ranks agree on duplicates without communication: only rank 0 holds the records,
    // but every rank samples the same supernets.
    int dup_of = -1;
    for (int k = 0; k < i && dup_of < 0; ++k)
      if (supernet_at(k) == cfg) dup_of = k;
    if (dup_of >= 0) {
      say(head + ": same supernet as candidate " + std::to_string(dup_of + 1) + ", not retrained");
      c.status = "duplicate";
      c.duplicate_of = dup_of;
    } else {
      space::SupernetLayout layout;
      try {
        layout = space::make_layout(def, cfg, input, sets.train.num_classes);
      } catch (const core::Error& e) {
        core::rethrow_with_context("supernet " + text, e);
      }
      core::Rng trng(core::derive_seed(seed, kTestStream, std::uint64_t(i)));
      c.test = test_supernet(layout, limits, sn.test_paths, trng);
      if (!c.test.passed()) {
        c.status = "skipped";
        say(head + ": TestSupernet " + std::to_string(c.test.over_memory) + "/" +
            std::to_string(c.test.sampled) + " paths over the SRAM limit: skipped");
      } else {
        say(head + ": TestSupernet " + std::to_string(c.test.over_memory) + "/" +
            std::to_string(c.test.sampled) + " paths over the SRAM limit: training " +
            std::to_string(sn.epochs) + " epoch(s)");
        train::TrainerOptions to;
        to.recipe = opt.recipe;
        to.recipe.train.epochs = sn.epochs;
        to.recipe.space.supernet = text;
        to.out_dir = opt.out_dir + "/candidates/" + std::to_string(i);
        to.supernet_text = text;
        to.space_fingerprint = train::space_fingerprint(def);
        to.resume = true;  // our own directory: an interrupted candidate continues
        to.progress = opt.progress;
        to.device = opt.device;
        to.local_world_size = opt.local_world_size;
        train::SupernetTrainer trainer(to, sets, layout, group);
        if (!detail::train_candidate(trainer, c, [&](const std::string& e) {
              say(head + ": " + e + "; recorded as diverged");
            }))
          c.status = "diverged";

        core::Rng prng(core::derive_seed(seed, kPathStream, std::uint64_t(i)));
        const int paths = c.status == "diverged" ? 0 : sn.paths;
        double sum = 0;
        int scored = 0;
        for (int j = 0; j < paths; ++j) {
          PathEval p;
          // Pruning never shrinks activations: a path whose dense SRAM is over the limit
          // can never fit, so draw another (TestSupernet already judged how many do).
          space::Arch arch = space::sample_arch(layout, prng);
          for (int d = 1; d < kDrawsPerConfig * sn.paths &&
                          cost::evaluate_path(layout, arch, nullptr, co).peak_sram > limits.sram_bytes;
               ++d)
            arch = space::sample_arch(layout, prng);
          p.arch = space::to_string(arch, layout);
          double psum = 0;
          while (int(p.configs.size()) < sn.sparse_configs &&
                 p.draws < kDrawsPerConfig * sn.sparse_configs) {
            ++p.draws;
            const auto sparse = space::sample_sparse(layout, choices, prng);
            const auto cost = cost::evaluate_path(layout, arch, &sparse, co);
            if (!cost::fits(cost, limits)) continue;
            const auto layers = compress::prunable_layers(trainer.model(), arch, sparse);
            compress::WeightSnapshot snapshot(compress::weights_of(layers));
            const auto report = compress::one_shot_prune(layers);
            SparseEval s;
            s.sparse = space::to_string(sparse, layout);
            s.accuracy = trainer.evaluate_path(arch).accuracy();
            s.effective_params = cost.effective_params;
            s.peak_sram = cost.peak_sram;
            s.flash = cost.flash;
            std::int64_t zero = 0, total = 0;
            for (const auto& l : report) zero += l.zero_weights, total += l.weights;
            s.achieved_sparsity = total > 0 ? double(zero) / double(total) : 0.0;
            snapshot.restore();
            psum += s.accuracy;
            p.configs.push_back(s);
          }
          if (!p.configs.empty()) {
            p.mean_accuracy = psum / double(p.configs.size());
            sum += p.mean_accuracy;
            ++scored;
          }
          say(head + ": path " + std::to_string(j + 1) + "/" + std::to_string(sn.paths) + " " +
              p.arch + ": " + std::to_string(p.configs.size()) + " sparse config(s) fit" +
              (p.configs.empty() ? "" : ", mean pruned accuracy " + pct(p.mean_accuracy)));
          c.paths.push_back(std::move(p));
        }
        c.score = scored > 0 ? sum / scored : -1;
        if (c.status != "diverged") c.status = scored > 0 ? "evaluated" : "unfit";
      }
    }
    c.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (main && c.status == "duplicate") {
      // Reuse the earlier candidate's figures (rank 0 alone holds them).
      const auto& orig = log.candidates()[std::size_t(c.duplicate_of)];
      const double secs = c.seconds;
      c = orig;
      c.index = i;
      c.status = "duplicate";
      c.duplicate_of = orig.index;
      c.seconds = secs;
    }
    const bool best = log.would_be_best(c);
    log.record(c);
    if (c.status == "evaluated") say(head + ": score " + pct(c.score) + (best ? " (best so far)" : ""));
  }
  SearchResult result;
  result.candidates = log.candidates();
  result.best = log.best();
  result.resumed = log.resumed();
  return result;
}

}  // namespace tinynas::nas
