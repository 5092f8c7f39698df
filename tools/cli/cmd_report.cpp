// tinynas report: writes a run's report again from what its stages wrote, running no stage
// (`tinynas run` writes it as its last stage). For a run made by an older tinynas, or after
// editing or deleting a stage's file by hand.
#include <cstdio>
#include <filesystem>

#include "args.h"
#include "command.h"
#include "report/run_report.h"
#include "tinynas/config/load.h"
#include "tinynas/core/dir_lock.h"
#include "tinynas/core/error.h"

namespace tinynas::cli {
namespace {

int run_report_command(const std::vector<std::string>& args) {
  const auto a = parse_args(args, {{"--set", true, true}}, 1, 1);
  const std::string recipe_path = a.positional[0];
  const config::Recipe recipe = config::load_recipe(recipe_path, a.all("--set"));
  const std::string run_dir = recipe.run.dir + "/" + recipe.run.name;
  if (!std::filesystem::is_directory(run_dir))
    throw core::Error(run_dir + ": no such run directory: run 'tinynas run " + recipe_path +
                      "' first, or point run.dir / run.name at the run");
  const core::DirLock lock(run_dir);  // not while a pipeline writes the run
  const std::string dir = write_run_report(recipe, recipe_path);
  std::printf("wrote %s/report.md, report.html\n", dir.c_str());
  return 0;
}

const char* kHelp =
    "Writes run.dir/run.name/report/ (report.md, report.html, the SVG plots and\n"
    "recipe.resolved.yaml) from the files the pipeline's stages wrote, running no stage.\n"
    "Sections whose stage has not run say so; unreadable files are shown as errors.\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable), as given to 'tinynas run'\n";

}  // namespace

Command report_command() {
  return {{"report"}, "RECIPE [--set KEY=VALUE]...", "write a run's report again from its files, running no stage",
          kHelp, run_report_command};
}

}  // namespace tinynas::cli
