// The run report (issue 8): runs/<name>/report/report.md and a self-contained report.html
// (SVG plots inlined) from the files the pipeline's stages wrote. Sections whose inputs are
// missing (a stage not run) say so instead of failing.
#pragma once

#include <string>

#include "tinynas/config/recipe.h"

namespace tinynas::cli {

/// Writes <run>/report/{report.md, report.html, *.svg}; returns the report directory.
std::string write_run_report(const config::Recipe& recipe, const std::string& recipe_path);

}  // namespace tinynas::cli
