// tinynas sweep: SparseNAS + PTQ at every point of a grid of recipe keys (or at random
// sparse configs), points in parallel processes, resumable; sweep.csv and Pareto plots
// (nas/sweep.h).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/process.h"
#include "tinynas/nas/sparse_search.h"
#include "tinynas/nas/sweep.h"
#include "tinynas/space/space.h"

namespace tinynas::cli {
namespace {

namespace fs = std::filesystem;

struct Running {
  std::size_t point = 0;
  int step = 0;  // 0 search, 1 finetune, 2 quantize
  pid_t pid = -1;
};

bool exists(const std::string& p) { return fs::exists(p); }

// The step's command line: the base recipe and --set values, then the point's overrides.
std::vector<std::string> step_argv(const std::string& exe, int step, const std::string& recipe,
                                   const std::vector<std::string>& sets,
                                   const nas::SweepPoint& p, const std::string& dir, int threads) {
  static const char* kSteps[] = {"search", "finetune", "quantize"};
  std::vector<std::string> argv = {exe, "sparsenas", kSteps[step], recipe};
  for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
  for (const auto& s : p.overrides) argv.insert(argv.end(), {"--set", s});
  argv.insert(argv.end(), {"--set", "train.threads=" + std::to_string(threads)});
  if (step < 2) {
    argv.insert(argv.end(), {"--out", dir + "/sparsenas", "--quiet"});
    // search.json is written before the first candidate line: either means a started stage.
    const bool started = step == 0 ? exists(dir + "/sparsenas/search.json") ||
                                         exists(dir + "/sparsenas/candidates.jsonl")
                                   : exists(dir + "/sparsenas/finetune");
    if (started) argv.push_back("--resume");
  } else {
    argv.insert(argv.end(), {"--subnet", dir + "/sparsenas/final", "--out", dir + "/quant",
                             "--threads", std::to_string(threads)});
  }
  return argv;
}

int run_sweep(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true},
                             {"--grid", true, true},
                             {"--random", true, false},
                             {"--jobs", true, false},
                             {"--out", true, false},
                             {"--resume", false, false}},
                            1, 1);
  const std::string recipe_path = a.positional[0];
  const auto& sets = a.all("--set");
  const SpaceContext ctx = load_space_context(a);
  const config::Recipe& recipe = ctx.recipe;
  const int random = int(a.get_int("--random", 0, 0, 100000));
  if (a.all("--grid").empty() == (random == 0))
    throw UsageError("give either --grid KEY=[V1,...] (repeatable) or --random N");
  std::vector<nas::SweepPoint> points;
  if (random > 0) {
    const auto chosen = nas::find_supernet(recipe, ctx.def);
    const auto layout = space::make_layout(ctx.def, space::parse_supernet(chosen.supernet, ctx.def),
                                           ctx.input, ctx.classes);
    points = nas::random_points(random, recipe, layout, std::uint64_t(recipe.sparsenas.seed));
  } else {
    std::vector<nas::GridAxis> axes;
    for (const auto& g : a.all("--grid")) axes.push_back(nas::parse_grid_axis(g, recipe));
    points = nas::grid_points(axes, recipe);
  }
  // Every point's recipe must load before anything runs; its limits judge its row.
  std::vector<config::RunConfig> limits;
  for (const auto& p : points) {
    auto all = sets;
    all.insert(all.end(), p.overrides.begin(), p.overrides.end());
    try {
      limits.push_back(config::load_recipe(recipe_path, all).run);
    } catch (const std::exception& e) {
      core::rethrow_with_context("sweep point " + p.id + " (" + p.label + ")", e);
    }
  }

  const std::string out = a.get("--out", recipe.run.dir + "/" + recipe.run.name + "/sweep");
  const std::string record = out + "/sweep.json";
  if (exists(record)) {
    if (!a.has("--resume"))
      throw core::Error(out + " holds a sweep already: pass --resume to continue it, or "
                        "choose another --out");
    nas::check_sweep_resume(core::Json::parse(core::read_text_file(record), record), points, sets,
                            record);
  }
  fs::create_directories(out);
  core::write_file_atomic(record, nas::sweep_json(points, sets).dump_pretty() + "\n");

  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = int(a.get_int("--jobs", std::max(1, cores / 2), 1, 256));
  const int threads = std::max(1, cores / jobs);
  const std::string exe = core::self_executable();
  if (exe.empty()) throw core::Error("sweep: cannot find the tinynas executable (/proc/self/exe)");

  std::vector<std::string> status(points.size(), "pending");
  auto quant_json = [&](std::size_t i) { return out + "/" + points[i].id + "/quant/quant.json"; };
  auto write_outputs = [&] {
    std::vector<nas::SweepRow> rows;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (status[i] == "done") {
        const core::Json q = core::Json::parse(core::read_text_file(quant_json(i)), quant_json(i));
        rows.push_back(nas::sweep_row(points[i], &q, limits[i], "done"));
      } else {
        rows.push_back(nas::sweep_row(points[i], nullptr, limits[i], status[i]));
      }
    }
    nas::write_sweep_outputs(out, rows, recipe.run);
  };
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (core::is_regular_file(quant_json(i))) {
      status[i] = "done";
      std::printf("%s %s: done earlier\n", points[i].id.c_str(), points[i].label.c_str());
    } else {
      todo.push_back(i);
    }
  }
  std::printf("sweep: %zu points (%zu to run), %d at a time, %d threads each; logs in %s/<point>/log.txt\n",
              points.size(), todo.size(), jobs, threads, out.c_str());
  std::fflush(stdout);

  core::BlockedSignals signals({SIGINT, SIGTERM, SIGHUP});
  std::vector<Running> running;
  std::size_t next = 0;
  int failed = 0;
  auto start = [&](std::size_t point, int step) {
    const std::string dir = out + "/" + points[point].id;
    fs::create_directories(dir);
    const auto argv = step_argv(exe, step, recipe_path, sets, points[point], dir, threads);
    // The shell only appends the step's output to the point's log, then becomes the step.
    std::vector<std::string> sh = {"sh", "-c", "exec \"$@\" >> \"$TINYNAS_SWEEP_LOG\" 2>&1", "sh"};
    sh.insert(sh.end(), argv.begin(), argv.end());
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back("TINYNAS_SWEEP_LOG=" + dir + "/log.txt");
    running.push_back({point, step, core::spawn_group_leader("/bin/sh", sh, env, signals.previous_mask())});
    status[point] = "running";
  };
  // Children run in their own process groups: stop them if anything below throws.
  struct StopChildren {
    std::vector<Running>& running;
    ~StopChildren() {
      for (const auto& r : running) core::signal_group(r.pid, SIGTERM);
      for (const auto& r : running) core::reap(r.pid);
    }
  } stop_children{running};
  while (next < todo.size() || !running.empty()) {
    while (int(running.size()) < jobs && next < todo.size()) start(todo[next++], 0);
    if (const int sig = signals.wait(std::chrono::milliseconds(200))) {
      std::fprintf(stderr, "sweep: %s, stopped; continue with --resume\n", core::signal_name(sig).c_str());
      return 128 + sig;
    }
    for (std::size_t k = 0; k < running.size();) {
      core::ExitInfo info;
      if (!core::has_ended(running[k].pid, info)) {
        ++k;
        continue;
      }
      core::reap(running[k].pid);
      const Running r = running[k];
      running.erase(running.begin() + std::ptrdiff_t(k));
      const auto& p = points[r.point];
      if (!info.ok()) {
        status[r.point] = "failed";
        ++failed;
        std::printf("%s %s: step %d %s (see %s/%s/log.txt)\n", p.id.c_str(), p.label.c_str(),
                    r.step + 1, info.describe().c_str(), out.c_str(), p.id.c_str());
      } else if (r.step < 2) {
        start(r.point, r.step + 1);
      } else {
        status[r.point] = "done";
        const core::Json q = core::Json::parse(core::read_text_file(quant_json(r.point)), quant_json(r.point));
        std::printf("%s %s: int8 %.2f%% (float %.2f%%), flash %.1f KiB, SRAM %.1f KiB\n",
                    p.id.c_str(), p.label.c_str(), 100 * q.at("int8_accuracy").as_double(),
                    100 * q.at("float_accuracy").as_double(), q.at("flash").as_double() / 1024,
                    q.at("peak_sram").as_double() / 1024);
      }
      std::fflush(stdout);
      write_outputs();
    }
  }
  write_outputs();
  std::printf("wrote %s/sweep.csv, pareto_flash.svg, pareto_sram.svg\n", out.c_str());
  return failed ? 1 : 0;
}

const char* kHelp =
    "Runs SparseNAS (stage 1 and 2) and INT8 PTQ at every point of a sweep, each point in\n"
    "its own directory, several points at once as separate processes, on the supernet\n"
    "'sparsenas search' would use (run 'tinynas train' first). A point is a set of recipe\n"
    "overrides: --grid axes multiply, e.g.\n"
    "  tinynas sweep recipe.yaml --grid 'sparsenas.sparsity=[0.5,0.7,0.9]' --grid 'sparsenas.block=[2,4]'\n"
    "is 6 points (a list-typed key takes each value as a one-element list), and --random N\n"
    "draws N per-block sparse configs from sparsenas.sparsity x sparsenas.block (each point\n"
    "fixes sparsenas.sparse).\n"
    "\n"
    "Writes to run.dir/run.name/sweep/ (or --out): <point>/ (sparsenas/, quant/, log.txt),\n"
    "sweep.json (the points), sweep.csv (per point: dense and pruned validation accuracy,\n"
    "pruned float and int8 accuracy on the evaluation split, PTQ drop, params, effective\n"
    "params, achieved sparsity, flash, peak SRAM, MACs, whether it fits run.*_kb) and\n"
    "pareto_flash.svg / pareto_sram.svg (int8 accuracy vs flash / SRAM, Pareto front).\n"
    "Tables and plots are rewritten as points finish.\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key for every point (repeatable)\n"
    "  --grid KEY=[V1,V2,...]  one axis of the grid (repeatable)\n"
    "  --random N       N random sparse configs instead of a grid\n"
    "  --jobs J         points run at once (default: cores / 2); each gets cores / J threads\n"
    "  --out DIR        output directory\n"
    "  --resume         continue a sweep: finished points are skipped, interrupted ones\n"
    "                   continue from their checkpoints\n";

}  // namespace

Command sweep_command() {
  return {{"sweep"},
          "RECIPE (--grid KEY=[V1,...]... | --random N) [--set KEY=VALUE]... [--jobs J] [--out DIR] [--resume]",
          "SparseNAS + PTQ over a grid of settings or random sparse configs; sweep.csv, Pareto plots",
          kHelp, run_sweep};
}

}  // namespace tinynas::cli
