// The run report (issue 8, issue 23): runs/<name>/report/report.md and a self-contained
// report.html (SVG plots inlined) from the files the pipeline's stages wrote, with the
// resolved recipe and the tinynas version. A section whose input is missing (a stage not
// run) says so; one whose input cannot be read (corrupt JSON) shows the error, naming the
// file; a section that fails shows why, and the others are still written.
#pragma once

#include <string>

#include "tinynas/config/recipe.h"

namespace tinynas::cli {

/// Writes <run>/report/{report.md, report.html, recipe.resolved.yaml, *.svg}; returns the
/// report directory. Throws core::Error only when the report directory cannot be written.
std::string write_run_report(const config::Recipe& recipe, const std::string& recipe_path);

}  // namespace tinynas::cli
