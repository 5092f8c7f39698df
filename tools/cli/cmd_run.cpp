// tinynas run: the whole pipeline of a recipe into runs/<name>/ (DESIGN.md §1):
//   analyze → train (or the supernet search when supernas.search) → sparsenas → finetune
//   → quantize → export → verify → report.
// Each stage runs the subcommand of the same job. <run>/pipeline.json records each stage
// when it starts and when it finishes, with a fingerprint of the recipe keys it depends on,
// the space file's contents and the fingerprints of the stages whose outputs it reads. On
// re-run a finished stage is skipped while its fingerprint holds, its output exists and none
// of those stages runs again; otherwise it starts over (so does everything after --from
// STAGE). A stage interrupted on the same inputs resumes.
// Every rank runs the data-parallel stages (train, search, sparsenas, finetune); rank 0
// alone runs the others and writes pipeline.json. The ranks come from `tinynas launch`, or
// run starts them itself (distributed.nproc, --nproc; launch_ranks.h).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>

#include "args.h"
#include "command.h"
#include "launch_ranks.h"
#include "report/run_report.h"
#include "tinynas/config/load.h"
#include "tinynas/core/checksum.h"
#include "tinynas/core/dir_lock.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/export/project.h"
#include "tinynas/space/space.h"
#include "tinynas/train/distributed.h"

namespace tinynas::cli {
namespace {
namespace fs = std::filesystem;

struct Stage {
  std::string name;
  std::string what;
  std::vector<std::string> sections;  ///< recipe sections (key prefixes) it depends on
  std::vector<std::string> inputs;    ///< earlier stages whose outputs it reads
  bool collective = false;            ///< run by every rank under launch
  bool resumable = false;             ///< takes --resume
  std::function<Command()> command;
  std::vector<std::string> extra;     ///< arguments after the recipe and --set values
  std::string output;                 ///< relative to the run dir: exists once done
  std::vector<std::string> clear;     ///< relative paths removed before a fresh run
  std::string format;                 ///< the layout of what it writes (in its fingerprint)
};

// A key added to the schema after runs already existed, at the value that does what runs
// did before it (config::added_keys), leaves fingerprints as they were, so finished stages
// stay finished across an upgrade.
bool added_at_default(const std::string& key, const std::string& value) {
  for (const auto& [k, v] : config::added_keys())
    if (key == k && value == v) return true;
  return false;
}

// train.channels_last was a bool (default false) before "auto" became its default: true
// and false (now quoted strings) hash as the bool did and auto as the old default, so
// finished stages stay finished across the upgrade (a memory format changes float
// rounding, not what is trained).
std::string fingerprint_value(const std::string& key, const std::string& value) {
  if (key != "train.channels_last") return value;
  if (value == "auto" || value == "\"false\"") return "false";
  if (value == "\"true\"") return "true";
  return value;
}

// What a finished stage's output file held when the stage wrote it: "<bytes>:<CRC-32>"
// ("" for a directory or a missing file). A stage whose output no longer matches is not
// done: a changed quant/model.tnnq must not leave the export made from the old one
// standing as "up to date".
std::string output_digest(const std::string& path) {
  if (!core::is_regular_file(path)) return "";
  const std::vector<unsigned char> bytes = core::read_file(path);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%zu:%08x", bytes.size(), unsigned(core::crc32_of(bytes.data(), bytes.size())));
  return buf;
}

constexpr std::int64_t kStateVersion = 2;  ///< of pipeline.json; 1 (no "version"): chained fingerprints

std::vector<Stage> stages_of(const config::Recipe& r, const std::vector<std::pair<std::string, std::string>>& flat) {
  const std::string name = r.run.name;
  // Nothing reads the analysis but the report: a changed analysis key re-runs the
  // analysis (0.1 s) and the report, not a supernet that took hours.
  std::vector<std::string> analysis_keys = {"data", "space", "supernas", "run.sram_kb", "run.flash_kb",
                                            "sparsenas.sparsity", "sparsenas.block", "export.storage"};
  if (r.supernas.param_bound == "params") analysis_keys.push_back("run.params_k");
  std::vector<Stage> s;
  s.push_back({"analyze", "SuperNAS space analysis (Algorithm 1)", analysis_keys, {}, false, false,
               supernas_analyze_command, {"--quiet"}, "supernas/analysis.json", {}});
  s.back().format = "plots 2";  // its histograms: redrawn by a tinynas that sizes plots to their labels
  if (r.supernas.search)
    s.push_back({"search", "SuperNAS supernet search (Algorithm 2)",
                 {"data", "space", "train", "distributed", "supernas.seed", "supernas.supernets",
                  "supernas.test_paths", "supernas.epochs", "supernas.paths", "supernas.sparse_configs",
                  "run.sram_kb", "run.flash_kb", "run.params_k", "run.latency_ms", "sparsenas.sparsity",
                  "sparsenas.block", "export.storage", "export.target", "export.mcu_mhz"},
                 {}, true, true, supernas_search_command, {}, "supernas/best.json",
                 {"supernas/candidates.jsonl", "supernas/candidates", "supernas/best.json", "supernas/search.json"}});
  else
    s.push_back({"train", "supernet training (SPOS)", {"data", "space", "train", "distributed"}, {}, true, true,
                 train_command, {}, "supernet/recipe.resolved.yaml", {"supernet"}});
  const std::string supernet = s.back().name;
  // A longer fine-tuning keeps stage 1's candidates.
  std::vector<std::string> stage1_keys = {"run.sram_kb",    "run.flash_kb",  "run.params_k",  "run.latency_ms",
                                          "export.storage", "export.target", "export.mcu_mhz"};
  for (const auto& kv : flat)
    if (kv.first.rfind("sparsenas.", 0) == 0 && kv.first != "sparsenas.finetune_epochs") stage1_keys.push_back(kv.first);
  // MOBO fits the predictor every generation; its thread count does not change a prediction.
  if (r.sparsenas.strategy == "mobo")
    for (const auto& kv : flat)
      if (kv.first.rfind("predictor.", 0) == 0 && kv.first != "predictor.threads") stage1_keys.push_back(kv.first);
  const std::string stage1 = r.sparsenas.strategy == "random"
                                 ? "SparseNAS stage 1 (Algorithm 3)"
                                 : "SparseNAS stage 1 (" + r.sparsenas.strategy + ", scored one-shot)";
  s.push_back({"sparsenas", stage1, stage1_keys, {supernet}, true, true,
               sparsenas_search_command, {}, "sparsenas/best.json", {"sparsenas"}});
  s.push_back({"finetune", "SparseNAS stage 2 (AGP fine-tuning)", {"sparsenas.finetune_epochs"}, {"sparsenas"}, true, true,
               sparsenas_finetune_command, {}, "sparsenas/final/subnet.json",
               {"sparsenas/finetune", "sparsenas/final"}});
  s.push_back({"quantize", "INT8 post-training quantization", {"quant"}, {"finetune"}, false, false,
               sparsenas_quantize_command, {}, "quant/model.tnnq", {"quant"}});
  s.push_back({"export", "C project for the MCU runtime",
               {"export.storage", "export.ignore_limits", "export.target", "export.mcu_mhz", "run.latency_ms"},
               {"quantize"},
               false, false, export_command, {}, "export/" + name + "/export.json", {"export/" + name}});
  s.back().format = "project " + std::to_string(exporter::kProjectVersion);
  // The profile costs two more inferences under QEMU (image 0, plain and hooked): on.
  s.push_back({"verify", "host bit-exact, Cortex-M under QEMU, linker sizes, per-op profile", {"export"},
               {"export"}, false, false, verify_command, {"--profile"}, "export/" + name + "/verify/report.json",
               {}});
  std::vector<std::string> all;
  for (const auto& st : s) all.push_back(st.name);
  s.push_back({"report", "report.md / report.html", {}, all, false, false, nullptr, {}, "report/report.md", {"report"}});
  s.back().format = "report 2";  // a tinynas whose report reads or shows more writes it again
  return s;
}

int run_pipeline(const std::vector<std::string>& args) {
  const auto a =
      parse_args(args, {{"--set", true, true}, {"--from", true, false}, {"--nproc", true, false}}, 1, 1);
  const std::string recipe_path = a.positional[0];
  const auto& sets = a.all("--set");
  const config::Recipe recipe = config::load_recipe(recipe_path, sets);
  const std::string run_dir = recipe.run.dir + "/" + recipe.run.name;
  const auto flat = config::flat_values(recipe);
  const auto stages = stages_of(recipe, flat);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < stages.size(); ++i) index[stages[i].name] = i;

  std::string from = a.get("--from");
  if (!from.empty()) {
    bool known = false;
    std::vector<std::string> names;
    for (const auto& s : stages) names.push_back(s.name), known |= s.name == from;
    if (!known) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw UsageError("--from: unknown stage '" + from + "' (stages of this recipe: " + list + ")");
    }
  }
  const int nproc = static_cast<int>(a.get_int("--nproc", -1, 0, 1024));
  if (const auto rc = run_as_ranks_if_wanted({"run"}, args, recipe, nproc)) return *rc;
  // Rank 0 writes the run (pipeline.json, every stage's outputs): it holds the run
  // directory until the pipeline ends, and hands the lock to the stages it runs in this
  // process (Command::run_holding), which could not lock it a second time.
  std::optional<core::DirLock> lock;
  if (train::dist_env().rank == 0) lock.emplace(run_dir);

  // Fingerprints: each stage's recipe sections and the fingerprints of the stages it reads.
  // Every stage depends on the space file's contents too: an edited space is a new space.
  const space::SpaceDef space = space::load_space(core::resolve_relative_to(recipe.source, recipe.space.file));
  const std::uint64_t space_hash =
      core::fnv1a64(recipe.space.file + "|" + recipe.space.supernet + "|" + space.canonical);
  std::vector<std::string> fingerprint;
  for (const auto& s : stages) {
    std::uint64_t h = core::fnv1a64(s.name, space_hash);
    for (const auto& in : s.inputs) h = core::fnv1a64(fingerprint[index.at(in)] + ";", h);
    if (!s.format.empty()) h = core::fnv1a64("format=" + s.format + ";", h);
    for (const auto& [key, value] : flat) {
      if (added_at_default(key, value)) continue;
      for (const auto& sec : s.sections)
        if (key == sec || key.rfind(sec + ".", 0) == 0)
          h = core::fnv1a64(key + "=" + fingerprint_value(key, value) + ";", h);
    }
    fingerprint.push_back(core::hex64(h));
  }

  // pipeline.json: {"version": 2, "stages": {name: {fingerprint, finished, seconds}}}. A
  // stage is recorded when it starts (finished: false) and again when it ends.
  const std::string state_file = run_dir + "/pipeline.json";
  core::Json state = core::Json::object();
  if (core::is_regular_file(state_file)) state = core::Json::parse(core::read_text_file(state_file), state_file);
  const core::Json* version = state.find("version");
  if (version && (!version->is_int() || version->as_int() < 1 || version->as_int() > kStateVersion))
    throw core::Error(state_file + ": version: " + version->dump() + " (this tinynas writes and reads " +
                      std::to_string(kStateVersion) + "; a newer tinynas wrote it, or it was edited)");
  const bool legacy = state.find("stages") && (!version || version->as_int() < kStateVersion);
  if (legacy || !state.find("stages")) state["stages"] = core::Json::object();
  state["version"] = kStateVersion;

  // What each stage does this time. Every rank must decide alike, or the data-parallel
  // stages would wait on each other: rank 0 decides from pipeline.json before anything runs
  // and broadcasts it (another rank could read the file while rank 0 rewrites it).
  enum Plan : std::int64_t { kSkip = 0, kFresh = 1, kResume = 2 };
  std::vector<std::int64_t> plan(stages.size(), kSkip);
  bool past_from = false;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& st = stages[i];
    past_from |= st.name == from;
    if (legacy) {  // no record to trust: each stage's own resume checks decide
      plan[i] = past_from ? kFresh : kResume;
      continue;
    }
    bool inputs_redone = false;
    for (const auto& in : st.inputs) inputs_redone |= plan[index.at(in)] != kSkip;
    const core::Json* rec = state["stages"].find(st.name);
    const bool same = rec && rec->find("fingerprint") && rec->at("fingerprint").as_string() == fingerprint[i];
    const bool finished = same && rec->find("finished") && rec->at("finished").as_bool();
    const bool present = fs::exists(run_dir + "/" + st.output);
    // Records from before digests were kept have none: their outputs are taken as written.
    const core::Json* digest = finished ? rec->find("output_digest") : nullptr;
    const bool intact = !digest || digest->as_string() == output_digest(run_dir + "/" + st.output);
    if (finished && present && !intact && train::dist_env().rank == 0)
      std::printf("[%s] %s changed since this stage wrote it: redone\n", st.name.c_str(), st.output.c_str());
    if (!past_from && !inputs_redone && finished && present && intact) continue;
    // A stage started or finished on other inputs (or --from) starts over; one interrupted
    // on these inputs, or never started, resumes (no checkpoint: from the beginning).
    plan[i] = past_from || inputs_redone || finished || (rec && !same) ? kFresh : kResume;
  }
  const train::DistEnv env = train::dist_env();
  const int rank = env.rank;
  // Stages that start over lose their old outputs now, before the other ranks learn the
  // plan: none of them can find a stale checkpoint while rank 0 is still deleting it.
  // Their records go too: one interrupted from here on resumes next time, and none is
  // taken for done from an old record.
  if (rank == 0) {
    if (legacy)
      std::printf("%s: written by an older tinynas, its records cannot be checked: every stage "
                  "resumes (a finished training resumes at its end) and the training stages check "
                  "their checkpoints against the recipe; --from STAGE starts over\n",
                  state_file.c_str());
    // SparseNAS takes a searched supernet over a trained one: a search left from when the
    // recipe searched would hide the supernet this recipe trains.
    if (!recipe.supernas.search && fs::exists(run_dir + "/supernas/best.json")) {
      std::printf("removing %s/supernas/best.json and the search's files: supernas.search is false\n",
                  run_dir.c_str());
      for (const char* f : {"best.json", "search.json", "candidates.jsonl", "candidates"})
        fs::remove_all(run_dir + "/supernas/" + f);
    }
    for (std::size_t i = 0; i < stages.size(); ++i) {
      if (plan[i] != kFresh) continue;
      for (const auto& c : stages[i].clear) fs::remove_all(run_dir + "/" + c);
      state["stages"].erase(stages[i].name);
    }
    if (core::is_regular_file(state_file)) core::write_file_atomic(state_file, state.dump_pretty() + "\n");
  }
  if (env.distributed()) {
    train::DistributedGroup group(
        env, "gloo", std::chrono::milliseconds(std::int64_t(recipe.distributed.timeout_s * 1000.0)));
    torch::Tensor t = torch::tensor(plan, torch::kInt64);
    std::vector<torch::Tensor> ts = {t};
    group.broadcast(ts, 0, "the pipeline plan");
    for (std::size_t i = 0; i < plan.size(); ++i) plan[i] = ts[0][std::int64_t(i)].item<std::int64_t>();
  }

  auto record = [&](const std::string& stage, const std::string& fp, std::optional<double> seconds) {
    core::Json r = core::Json::object();
    r["fingerprint"] = fp;
    r["finished"] = seconds.has_value();
    if (seconds) r["seconds"] = *seconds;
    if (seconds) r["output_digest"] = output_digest(run_dir + "/" + stages[index.at(stage)].output);
    state["stages"][stage] = r;
    fs::create_directories(run_dir);
    core::write_file_atomic(state_file, state.dump_pretty() + "\n");
  };
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& st = stages[i];
    if (plan[i] == kSkip) {
      if (rank == 0) std::printf("[%s] up to date, skipped\n", st.name.c_str());
      continue;
    }
    if (!st.collective && rank != 0) continue;
    const bool fresh = plan[i] == kFresh;
    if (rank == 0) {
      std::printf("[%s] %s\n", st.name.c_str(), st.what.c_str());
      std::fflush(stdout);
      record(st.name, fingerprint[i], std::nullopt);  // an interruption from here resumes on these inputs only
    }
    const auto t0 = std::chrono::steady_clock::now();
    int rc = 0;
    if (st.name == "report") {
      const std::string dir = write_run_report(recipe, recipe_path);
      std::printf("wrote %s/report.md, report.html\n", dir.c_str());
    } else {
      std::vector<std::string> cargs = {recipe_path};
      for (const auto& v : sets) cargs.insert(cargs.end(), {"--set", v});
      cargs.insert(cargs.end(), st.extra.begin(), st.extra.end());
      if (st.resumable && !fresh) cargs.push_back("--resume");  // continues an interrupted run
      const Command cmd = st.command();
      rc = lock && cmd.run_holding ? cmd.run_holding(cargs, *lock) : cmd.run(cargs);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc != 0) {
      if (rank == 0)
        std::fprintf(stderr, "tinynas run: stage '%s' failed (exit %d); fix it and run again "
                             "(finished stages are kept)\n", st.name.c_str(), rc);
      return rc;
    }
    if (rank == 0) {
      record(st.name, fingerprint[i], seconds);
      std::printf("[%s] done in %.1f s\n", st.name.c_str(), seconds);
      std::fflush(stdout);
    }
  }
  if (rank == 0) std::printf("results in %s (report: %s/report/report.html)\n", run_dir.c_str(), run_dir.c_str());
  return 0;
}

const char* kHelp =
    "Runs a recipe's whole pipeline into run.dir/run.name/: SuperNAS space analysis,\n"
    "supernet training (or the supernet search when supernas.search is true), SparseNAS\n"
    "stage 1 and 2, INT8 quantization, export as a C project, verification (host; the\n"
    "Cortex-M7 under QEMU when installed and export.qemu) and the report\n"
    "(report/report.md, report.html). A finished stage is skipped while the recipe\n"
    "sections it depends on are unchanged; an interrupted one is resumed; --from STAGE\n"
    "runs a stage and all after it again. The training stages (train or search, sparsenas,\n"
    "finetune) run data-parallel: on a CPU, run starts one process per core by itself,\n"
    "each computing on one thread (distributed.nproc; 0 = auto), or under `tinynas launch\n"
    "--nproc N`. The training stages show their progress (TINYNAS_PROGRESS, see 'tinynas\n"
    "train --help').\n"
    "\n"
    "stages: analyze, train | search, sparsenas, finetune, quantize, export, verify, report\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable)\n"
    "  --from STAGE     run STAGE and every later stage again\n"
    "  --nproc N        processes of the training stages (default: distributed.nproc; 0 =\n"
    "                   one per core on a CPU; 1 = this process alone; ignored under a\n"
    "                   launcher)\n";

}  // namespace

Command run_command() {
  return {{"run"}, "RECIPE [--set KEY=VALUE]... [--from STAGE] [--nproc N]",
          "run the whole pipeline: analysis, training, SparseNAS, PTQ, export, verify, report", kHelp,
          run_pipeline};
}

}  // namespace tinynas::cli
