#include "tinynas/nas/sparse_search.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <torch/torch.h>

#include "search_files.h"
#include "tinynas/compress/prunable.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/nas/oneshot_search.h"
#include "tinynas/nas/pruned_training.h"
#include "tinynas/nas/saved_subnet.h"
#include "tinynas/train/checkpoint.h"
#include "tinynas/train/subnet_trainer.h"
#include "tinynas/train/trainer.h"

namespace tinynas::nas {
namespace fs = std::filesystem;
namespace {

// Random stream derived from sparsenas.seed, indexed by candidate.
constexpr std::uint64_t kCandidateStream = 0x5a45'0001;

// Recipe keys a resumed search may change: they do not change which candidates are drawn,
// how they are trained or how they are scored (logging, io, where things run, later
// stages, SuperNAS's own settings, train.epochs (stage 1 trains sparsenas.epochs) and
// sparsenas.candidates itself, so a finished search can be extended). Which supernet is
// searched is checked on its own (search.json "supernet", "supernet_checkpoint").
const std::vector<std::string> kSparseResumableKeys = {
    "data.workers",        "data.prefetch",    "train.log_every",     "train.keep_last",
    "train.checkpoint_every", "train.threads", "train.device",        "train.accumulate",
    "train.eval_paths",    "train.epochs",     "distributed.",        "supernas.",
    "sparsenas.candidates", "sparsenas.finetune_epochs", "quant.",    "export.verify_images",
    "export.qemu",         "run.name",         "run.dir",             "space.supernet",
    "predictor."};

using Clock = std::chrono::steady_clock;

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

std::string run_dir(const config::Recipe& r) { return r.run.dir + "/" + r.run.name; }

space::Shape input_of(const data::Datasets& sets) {
  return {sets.train.channels, sets.train.height, sets.train.width};
}

space::SupernetLayout layout_of(const space::SpaceDef& def, const std::string& supernet,
                                const data::Datasets& sets) {
  try {
    return space::make_layout(def, space::parse_supernet(supernet, def), input_of(sets),
                              sets.train.num_classes);
  } catch (const core::Error& e) {
    core::rethrow_with_context("supernet " + supernet, e);
  }
}

// A subnet training run as stage 1 and stage 2 both make it: the recipe with `epochs` of
// training, AGP to `sparse` (hooks), BN recalibrated before the dense measurement.
struct PrunedRun {
  AgpHooks hooks;
  train::SubnetTrainer trainer;

  PrunedRun(const SparseSearchOptions& opt, const data::Datasets& sets, const space::SpaceDef& def,
            const space::SupernetLayout& layout, const std::string& supernet,
            space::Subnet model, const space::SparseConfig& sparse, int epochs,
            const std::string& out_dir, bool resume, train::DistributedGroup& group)
      : hooks(compress::prunable_layers(model, layout, sparse), space::to_string(sparse, layout),
              AgpSettings::from(opt.recipe.sparsenas)),
        trainer(options(opt, def, supernet, epochs, out_dir, resume), sets, layout, model, group,
                &hooks) {}

  static train::TrainerOptions options(const SparseSearchOptions& opt, const space::SpaceDef& def,
                                       const std::string& supernet, int epochs,
                                       const std::string& out_dir, bool resume) {
    train::TrainerOptions to;
    to.recipe = opt.recipe;
    to.recipe.train.epochs = epochs;
    to.recipe.space.supernet = supernet;
    to.out_dir = out_dir;
    to.supernet_text = supernet;
    to.space_fingerprint = train::space_fingerprint(def);
    to.resume = resume;
    to.progress = opt.progress;
    to.device = opt.device;
    to.local_world_size = opt.local_world_size;
    return to;
  }
};

// What is drawn for candidate i: a pure function of (seed, i).
struct Draw {
  space::Arch arch;
  space::SparseConfig sparse;
  cost::Cost cost;
  int draws = 0;
  bool fits = false;
};

// `fixed` (sparsenas.sparse) replaces the drawn sparse config; the draw still consumes the
// same random numbers, so paths do not depend on whether a config is fixed.
Draw draw_candidate(const space::SupernetLayout& layout, const space::SparseChoices& choices,
                    const std::optional<space::SparseConfig>& fixed, const cost::Limits& limits,
                    const cost::CostOptions& co, std::uint64_t seed, int i) {
  core::Rng rng(core::derive_seed(seed, kCandidateStream, std::uint64_t(i)));
  Draw d;
  while (d.draws < kMaxDraws && !d.fits) {
    ++d.draws;
    d.arch = space::sample_arch(layout, rng);
    d.sparse = space::sample_sparse(layout, choices, rng);
    if (fixed) d.sparse = *fixed;
    d.cost = cost::evaluate_path(layout, d.arch, &d.sparse, co);
    d.fits = cost::fits(d.cost, limits);
  }
  return d;
}

void fill_cost(SparseCandidate& c, const cost::Cost& cost) {
  c.effective_params = cost.effective_params;
  c.flash = cost.flash;
  c.peak_sram = cost.peak_sram;
  c.macs = cost.macs;
}

using detail::member;

}  // namespace

namespace detail {

core::Json stage1_best_json(const SparseCandidate* best, int count, const ChosenSupernet& chosen,
                            const std::string& out_dir) {
  core::Json j = core::Json::object();
  if (!best) {
    j["arch"] = nullptr;
    return j;
  }
  const auto& c = *best;
  j["candidate"] = c.index;
  j["arch"] = c.arch;
  j["sparse"] = c.sparse;
  j["supernet"] = chosen.supernet;
  j["supernet_checkpoint"] = chosen.checkpoint;
  j["dense_accuracy"] = c.dense_accuracy;
  j["pruned_accuracy"] = c.pruned_accuracy;
  j["achieved_sparsity"] = c.achieved_sparsity;
  j["effective_params"] = c.effective_params;
  j["flash"] = c.flash;
  j["peak_sram"] = c.peak_sram;
  j["macs"] = c.macs;
  j["checkpoint"] = c.checkpoint;
  j["run_dir"] = out_dir + "/candidates/" + std::to_string(c.index);
  j["subnet_dir"] = out_dir + "/best";
  j["candidates_evaluated"] = count;
  return j;
}

// The figures a saved subnet carries besides what save_subnet computes.
core::Json stage1_subnet_extra(const SparseCandidate& c, const std::string& stage) {
  core::Json j = core::Json::object();
  j["stage"] = stage;
  j["candidate"] = c.index;
  j["dense_accuracy"] = c.dense_accuracy;
  j["pruned_accuracy"] = c.pruned_accuracy;
  j["effective_params"] = c.effective_params;  // under the recipe's export.storage
  j["flash"] = c.flash;
  j["peak_sram"] = c.peak_sram;
  j["macs"] = c.macs;
  return j;
}

}  // namespace detail

ChosenSupernet find_supernet(const config::Recipe& recipe, const space::SpaceDef& def) {
  const std::string run = run_dir(recipe);
  const std::string best = run + "/supernas/best.json";
  if (core::is_regular_file(best)) {
    const auto j = core::Json::parse(core::read_text_file(best), best);
    if (j.contains("supernet") && !j.at("supernet").is_null()) {
      ChosenSupernet c;
      c.supernet = member(j, "supernet", best, [](const core::Json& v) { return v.as_string(); });
      c.checkpoint = member(j, "checkpoint", best, [](const core::Json& v) { return v.as_string(); });
      c.chosen_by = best;
      return c;
    }
  }
  const std::string dir = run + "/supernet";
  const auto latest = train::CheckpointDir(dir).latest();
  if (!latest)
    throw core::Error("no supernet to search: neither " + best +
                      " (run 'tinynas supernas search') nor a checkpoint in " + dir +
                      " (run 'tinynas train') exists");
  ChosenSupernet c;
  try {
    c.supernet = space::to_string(space::parse_supernet(recipe.space.supernet, def), def);
  } catch (const core::Error& e) {
    core::rethrow_with_context("space.supernet", e);
  }
  const auto info = train::read_checkpoint(*latest).info;
  if (info.supernet != c.supernet)
    core::fail_file(*latest, "is a checkpoint of supernet " + info.supernet +
                                 ", but space.supernet is " + c.supernet);
  c.checkpoint = *latest;
  c.chosen_by = dir;
  return c;
}

space::Supernet load_supernet(const std::string& checkpoint, const space::SupernetLayout& layout,
                              const std::string& supernet_text) {
  const auto c = train::read_checkpoint(checkpoint);
  if (c.info.supernet != supernet_text || !c.info.subnet.empty())
    core::fail_file(checkpoint, "is not a checkpoint of supernet " + supernet_text + " (it holds " +
                                    (c.info.subnet.empty() ? c.info.supernet : c.info.subnet) + ")");
  torch::serialize::InputArchive archive;
  train::load_checkpoint_archive(archive, c);
  space::Supernet model(layout);
  train::read_module(archive, *model, "model/", c.archive_path);
  return model;
}

core::Json to_json(const SparseCandidate& c) {
  core::Json j = core::Json::object();
  j["index"] = c.index;
  j["arch"] = c.arch;
  j["sparse"] = c.sparse;
  j["draws"] = c.draws;
  j["status"] = c.status;
  j["dense_accuracy"] = c.dense_accuracy;
  j["pruned_accuracy"] = c.pruned_accuracy;
  j["achieved_sparsity"] = c.achieved_sparsity;
  j["zero_blocks"] = c.zero_blocks;
  j["target_blocks"] = c.target_blocks;
  j["effective_params"] = c.effective_params;
  j["flash"] = c.flash;
  j["peak_sram"] = c.peak_sram;
  j["macs"] = c.macs;
  j["train_steps"] = c.train_steps;
  j["train_images_per_s"] = c.train_images_per_s;
  j["train_val_accuracy"] = c.train_val_accuracy;
  j["checkpoint"] = c.checkpoint;
  j["seconds"] = c.seconds;
  return j;
}

SparseCandidate sparse_candidate_from_json(const core::Json& j, const std::string& where) {
  const auto str = [](const core::Json& v) { return v.as_string(); };
  const auto i64 = [](const core::Json& v) { return v.as_int(); };
  const auto dbl = [](const core::Json& v) { return v.as_double(); };
  SparseCandidate c;
  c.index = int(member(j, "index", where, i64));
  c.arch = member(j, "arch", where, str);
  c.sparse = member(j, "sparse", where, str);
  c.draws = int(member(j, "draws", where, i64));
  c.status = member(j, "status", where, str);
  c.dense_accuracy = member(j, "dense_accuracy", where, dbl);
  c.pruned_accuracy = member(j, "pruned_accuracy", where, dbl);
  c.achieved_sparsity = member(j, "achieved_sparsity", where, dbl);
  c.zero_blocks = member(j, "zero_blocks", where, i64);
  c.target_blocks = member(j, "target_blocks", where, i64);
  c.effective_params = member(j, "effective_params", where, i64);
  c.flash = member(j, "flash", where, i64);
  c.peak_sram = member(j, "peak_sram", where, i64);
  c.macs = member(j, "macs", where, i64);
  c.train_steps = member(j, "train_steps", where, i64);
  c.train_images_per_s = member(j, "train_images_per_s", where, dbl);
  c.train_val_accuracy = member(j, "train_val_accuracy", where, dbl);
  c.checkpoint = member(j, "checkpoint", where, str);
  c.seconds = member(j, "seconds", where, dbl);
  return c;
}

namespace {

// Stage 1 by a one-shot strategy (nas/oneshot_search.h), its evaluations as candidates:
// pruned_accuracy is the one-shot accuracy, dense_accuracy not measured, nothing trained.
SparseSearchResult search_sparse_oneshot(const SparseSearchOptions& opt, const data::Datasets& sets,
                                         const space::SpaceDef& def, train::DistributedGroup& group) {
  OneShotSearchOptions o;
  o.recipe = opt.recipe;
  o.out_dir = opt.out_dir;
  o.resume = opt.resume;
  o.progress = true;  // a line per generation; opt.progress is about training bars
  o.device = opt.device;
  o.local_world_size = opt.local_world_size;
  const auto r = search_oneshot(o, sets, def, group);
  SparseSearchResult out;
  out.supernet = r.supernet;
  for (const auto& e : r.evaluations) out.candidates.push_back(to_sparse_candidate(e));
  out.best = r.best;
  out.resumed = r.resumed;
  return out;
}

}  // namespace

SparseSearchResult search_sparse(const SparseSearchOptions& opt, const data::Datasets& sets,
                                 const space::SpaceDef& def, train::DistributedGroup& group) {
  const auto& sp = opt.recipe.sparsenas;
  if (sp.strategy != "random") return search_sparse_oneshot(opt, sets, def, group);
  const auto limits = cost::limits_of(opt.recipe);
  const auto choices = space::sparse_choices(sp.sparsity, sp.block);
  const cost::CostOptions co = cost::cost_options_of(opt.recipe);
  const std::uint64_t seed = std::uint64_t(sp.seed);
  const bool main = group.is_main();
  auto say = [&](const std::string& s) {
    if (main) std::printf("%s\n", s.c_str()), std::fflush(stdout);
  };
  if (sets.val.size() == 0)
    throw core::Error("sparsenas search measures candidates on the validation split, but it is "
                      "empty: set data.val_fraction above 0");
  const ChosenSupernet chosen = find_supernet(opt.recipe, def);
  const space::SupernetLayout layout = layout_of(def, chosen.supernet, sets);

  const std::string settings_path = opt.out_dir + "/search.json";
  const std::string best_dir = opt.out_dir + "/best";
  std::optional<space::SparseConfig> fixed;
  if (!sp.sparse.empty()) {
    try {
      fixed = space::parse_sparse(sp.sparse, layout);
    } catch (const std::exception& e) {
      core::rethrow_with_context("sparsenas.sparse", e);
    }
  }
  auto draw_at = [&](int i) { return draw_candidate(layout, choices, fixed, limits, co, seed, i); };
  detail::CandidateLog<SparseCandidate> log(
      group, opt.out_dir,
      {[](const SparseCandidate& c) { return to_json(c); },
       [&](const core::Json& j, const std::string& where) {
         auto c = sparse_candidate_from_json(j, where);
         const Draw d = draw_at(c.index);
         const std::string arch = space::to_string(d.arch, layout);
         const std::string sparse = space::to_string(d.sparse, layout);
         if (c.arch != arch || c.sparse != sparse)
           core::fail_file(where, "candidate " + std::to_string(c.index) + " is " + c.arch + " " +
                                      c.sparse + ", but this recipe draws " + arch + " " + sparse +
                                      " (space or sparsenas.seed changed?); start a new search");
         return c;
       },
       [](const SparseCandidate& c) { return c.status == "evaluated" ? c.pruned_accuracy : -1.0; },
       [&](const SparseCandidate* best, int count) {
         return detail::stage1_best_json(best, count, chosen, opt.out_dir);
       }});
  // Rank 0 checks what is on disk; every rank learns the outcome through the broadcast.
  log.open(opt.resume, [&] {
    if (opt.resume) {
      const auto saved = detail::read_settings(settings_path);
      if (saved.is_object())
        for (const char* key : {"supernet", "supernet_checkpoint"}) {
          const std::string was =
              member(saved, key, settings_path, [](const core::Json& v) { return v.as_string(); });
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
    detail::start_search_files(opt.out_dir, log.log_path(), settings_path, opt.resume,
                               config::flat_values(opt.recipe), kSparseResumableKeys, def.source,
                               extra);
  });

  say("sparsenas search on supernet " + chosen.supernet + " (from " + chosen.chosen_by + ", " +
      chosen.checkpoint + ")");
  space::Supernet supernet = load_supernet(chosen.checkpoint, layout, chosen.supernet);

  for (int i = 0; i < sp.candidates; ++i) {
    const std::string head =
        "candidate " + std::to_string(i + 1) + "/" + std::to_string(sp.candidates);
    if (i < log.resumed()) {
      say(head + ": finished in an earlier run, skipped");
      continue;
    }
    const auto t0 = Clock::now();
    const Draw d = draw_at(i);
    SparseCandidate c;
    c.index = i;
    c.arch = space::to_string(d.arch, layout);
    c.sparse = space::to_string(d.sparse, layout);
    c.draws = d.draws;
    fill_cost(c, d.cost);
    std::optional<PrunedRun> run;
    if (!d.fits) {
      c.status = "unfit";
      say(head + ": no path and sparse config within the limits in " + std::to_string(d.draws) +
          " draws");
    } else {
      say(head + " " + c.arch + " " + c.sparse + " (" + std::to_string(d.draws) +
          " draw(s); flash " + std::to_string(c.flash) + " B, peak SRAM " +
          std::to_string(c.peak_sram) + " B): training " + std::to_string(sp.epochs) +
          " epoch(s) with AGP");
      auto sub = space::extract_subnet(supernet, d.arch);
      run.emplace(opt, sets, def, layout, chosen.supernet, sub, d.sparse, sp.epochs,
                  opt.out_dir + "/candidates/" + std::to_string(i),
                  /*resume=*/true,  // our own directory: an interrupted candidate continues
                  group);
      c.dense_accuracy = run->trainer.evaluate(/*recalibrate_bn=*/true).accuracy();
      const bool trained = detail::train_candidate(run->trainer, c, [&](const std::string& e) {
        say(head + ": " + e + "; recorded as diverged");
      });
      c.status = trained ? "evaluated" : "diverged";
      if (c.status == "evaluated") {
        run->hooks.finish();  // a run of no epochs prunes one-shot
        c.pruned_accuracy = run->trainer.evaluate(false).accuracy();
        const auto s = run->hooks.summary();
        c.achieved_sparsity = s.sparsity();
        c.zero_blocks = s.zero_blocks;
        c.target_blocks = s.target_blocks;
        say(head + ": dense " + pct(c.dense_accuracy) + ", pruned " + pct(c.pruned_accuracy) +
            " at " + pct(c.achieved_sparsity) + " sparsity");
      }
    }
    c.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const bool new_best = log.would_be_best(c);
    log.record(c, [&] {
      // best/ before the record: a kill in between makes the resumed search redo this
      // candidate (and write best/ again), so best/ never trails best.json.
      if (new_best)
        save_subnet(best_dir, def, chosen.supernet, layout, run->trainer.model(), d.sparse,
                    detail::stage1_subnet_extra(c, "search"));
    });
    if (new_best) say(head + ": best so far");
  }

  // best/ of another candidate than best.json names (the search was shrunk, or best/ lost):
  // rebuilt from the winner's final checkpoint.
  std::string refusal;
  if (main && log.best() >= 0) {
    try {
      const auto& b = log.candidates()[std::size_t(log.best())];
      bool current = false;
      if (core::is_regular_file(best_dir + "/subnet.json")) {
        const auto j = core::Json::parse(core::read_text_file(best_dir + "/subnet.json"),
                                         best_dir + "/subnet.json");
        current = j.contains("candidate") && j.at("candidate").is_int() &&
                  j.at("candidate").as_int() == b.index && j.contains("arch") &&
                  j.at("arch").is_string() && j.at("arch").as_string() == b.arch;
      }
      if (!current) {
        say("rebuilding " + best_dir + " from " + b.checkpoint);
        const auto arch = space::parse_arch(b.arch, layout);
        auto sub = space::extract_subnet(supernet, arch);
        if (!b.checkpoint.empty()) {
          const auto ck = train::read_checkpoint(b.checkpoint);
          torch::serialize::InputArchive archive;
          train::load_checkpoint_archive(archive, ck);
          train::read_module(archive, *sub, "model/", ck.archive_path);
        }
        save_subnet(best_dir, def, chosen.supernet, layout, sub, space::parse_sparse(b.sparse, layout),
                    detail::stage1_subnet_extra(b, "search"));
      }
    } catch (const std::exception& e) {
      refusal = e.what();
    }
  }
  detail::agree_written(group, refusal, best_dir);
  SparseSearchResult result;
  result.supernet = chosen.supernet;
  result.candidates = log.candidates();
  result.best = log.best();
  result.resumed = log.resumed();
  return result;
}

FinetuneResult finetune_sparse(const SparseSearchOptions& opt, const data::Datasets& sets,
                               const space::SpaceDef& def, train::DistributedGroup& group) {
  const auto& sp = opt.recipe.sparsenas;
  const bool main = group.is_main();
  auto say = [&](const std::string& s) {
    if (main) std::printf("%s\n", s.c_str()), std::fflush(stdout);
  };
  const std::string best_path = opt.out_dir + "/best.json";
  if (!core::is_regular_file(best_path))
    throw core::Error("no stage-1 result to fine-tune: " + best_path +
                      " does not exist (run 'tinynas sparsenas search' first)");
  const auto best = core::Json::parse(core::read_text_file(best_path), best_path);
  if (!best.contains("arch") || best.at("arch").is_null())
    core::fail_file(best_path, "names no candidate: stage 1 evaluated none within the limits");
  const auto str = [](const core::Json& v) { return v.as_string(); };
  FinetuneResult r;
  r.arch = member(best, "arch", best_path, str);
  r.sparse = member(best, "sparse", best_path, str);
  r.supernet = member(best, "supernet", best_path, str);
  r.stage1_accuracy = member(best, "pruned_accuracy", best_path,
                             [](const core::Json& v) { return v.as_double(); });
  const std::string supernet_ckpt = member(best, "supernet_checkpoint", best_path, str);
  const space::SupernetLayout layout = layout_of(def, r.supernet, sets);
  const auto arch = member(best, "arch", best_path,
                           [&](const core::Json& v) { return space::parse_arch(v.as_string(), layout); });
  const auto sparse = member(best, "sparse", best_path, [&](const core::Json& v) {
    return space::parse_sparse(v.as_string(), layout);
  });
  r.final_dir = opt.out_dir + "/final";
  std::string refusal;

  if (sp.finetune_epochs == 0) {
    say("sparsenas.finetune_epochs is 0: " + r.final_dir + " is a copy of " + opt.out_dir + "/best");
    if (main) {
      try {
        auto saved = load_subnet(opt.out_dir + "/best", def);
        save_subnet(r.final_dir, def, saved.supernet, saved.layout, saved.model, saved.sparse,
                    subnet_extra_info(saved.info));
        r.dense_accuracy = saved.info.at("dense_accuracy").as_double();
        r.pruned_accuracy = saved.info.at("pruned_accuracy").as_double();
        r.achieved_sparsity = saved.info.at("achieved_sparsity").as_double();
      } catch (const std::exception& e) {
        refusal = e.what();
      }
    }
    detail::agree_written(group, refusal, r.final_dir);
    return r;
  }

  if (sets.val.size() == 0)
    throw core::Error("sparsenas finetune measures the model on the validation split, but it is "
                      "empty: set data.val_fraction above 0");
  say("fine-tuning " + r.arch + " " + r.sparse + " of supernet " + r.supernet + " for " +
      std::to_string(sp.finetune_epochs) + " epoch(s) with AGP, from its dense weights in " +
      supernet_ckpt);
  space::Supernet supernet = load_supernet(supernet_ckpt, layout, r.supernet);
  PrunedRun run(opt, sets, def, layout, r.supernet, space::extract_subnet(supernet, arch), sparse,
                sp.finetune_epochs, opt.out_dir + "/finetune", opt.resume, group);
  r.dense_accuracy = run.trainer.evaluate(/*recalibrate_bn=*/true).accuracy();
  const auto tr = run.trainer.run();
  run.hooks.finish();
  r.pruned_accuracy = run.trainer.evaluate(false).accuracy();
  r.achieved_sparsity = run.hooks.summary().sparsity();
  r.train_steps = tr.steps;
  r.train_images_per_s = tr.images_per_s;
  if (main) {
    try {
      SparseCandidate c;
      c.index = int(member(best, "candidate", best_path, [](const core::Json& v) { return v.as_int(); }));
      c.dense_accuracy = r.dense_accuracy;
      c.pruned_accuracy = r.pruned_accuracy;
      const cost::CostOptions co = cost::cost_options_of(opt.recipe);
      fill_cost(c, cost::evaluate_path(layout, arch, &sparse, co));
      core::Json extra = detail::stage1_subnet_extra(c, "finetune");
      extra["stage1_accuracy"] = r.stage1_accuracy;
      extra["finetune_epochs"] = sp.finetune_epochs;
      extra["checkpoint"] = tr.checkpoint;
      save_subnet(r.final_dir, def, r.supernet, layout, run.trainer.model(), sparse, extra);
    } catch (const std::exception& e) {
      refusal = e.what();
    }
  }
  detail::agree_written(group, refusal, r.final_dir);
  return r;
}

}  // namespace tinynas::nas
