// Sparsity sweeps: the same recipe run at several settings (a grid of recipe keys, or
// random sparse configs), each point a full SparseNAS (stage 1 and 2) plus PTQ in its own
// directory, gathered into one table and Pareto plots. This file holds the pure parts
// (points, their records, the table and plots); `tinynas sweep` runs the points as
// processes.
//
//   <sweep>/sweep.json          the points (checked on --resume)
//   <sweep>/<point>/            sparsenas/ (stage 1 and 2), quant/ (model.tnnq, quant.json)
//   <sweep>/sweep.csv           one row per point (header comment of SweepRow)
//   <sweep>/pareto_flash.svg    int8 accuracy vs flash, Pareto front drawn
//   <sweep>/pareto_sram.svg     int8 accuracy vs peak SRAM
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::nas {

/// One grid axis: a recipe key and the values it takes, from "key=[v1, v2, ...]" (or
/// "key=v1,v2"). Throws core::Error on a missing '=', an empty list or an unknown key
/// (checked against `recipe`), naming the argument.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
};
GridAxis parse_grid_axis(const std::string& text, const config::Recipe& recipe);

/// One point of a sweep: its directory name and the --set overrides that make it.
struct SweepPoint {
  std::string id;                      ///< "p003"
  std::vector<std::string> overrides;  ///< "key=value", in axis order
  std::string label;                   ///< "sparsity=0.5 block=2"
};

/// The cartesian product of the axes, first axis slowest. A list-typed key gets each
/// value as a one-element list ("sparsenas.sparsity=[0.5]"), so the point fixes it.
std::vector<SweepPoint> grid_points(const std::vector<GridAxis>& axes,
                                    const config::Recipe& recipe);

/// `count` sparse configs drawn for `layout` from the recipe's sparsenas.sparsity x
/// sparsenas.block (per choice block, as SparseNAS draws them), each a point fixing
/// sparsenas.sparse; a pure function of (seed, index). Duplicates are redrawn (up to 50
/// times each), so fewer points come back when the choices run out.
std::vector<SweepPoint> random_points(int count, const config::Recipe& recipe,
                                      const space::SupernetLayout& layout, std::uint64_t seed);

/// A point's row of sweep.csv. Accuracies are top-1 in [0, 1] (-1 = not available):
/// dense_val / pruned_val from SparseNAS (validation split), pruned_float / int8 on the
/// PTQ's evaluation split (test when the dataset has one), both run by quantize.
struct SweepRow {
  std::string point, status, label, arch, sparse;
  double dense_val = -1, pruned_val = -1, pruned_float = -1, int8 = -1;
  std::int64_t params = 0, effective_params = 0, flash = 0, peak_sram = 0, macs = 0;
  double achieved_sparsity = 0;
  std::string eval_split;
  bool fits = false;  ///< flash, peak SRAM, effective params within run.flash_kb / sram_kb / params_k
};

/// The row of a finished point from its quant.json (quant/quant.json), or a row with
/// `status` and the point's label only when the point failed or has not run. `limits` are
/// the point's own (a grid may vary run.*_kb).
SweepRow sweep_row(const SweepPoint& point, const core::Json* quant,
                   const config::RunConfig& limits, const std::string& status);

/// Writes sweep.csv and the two Pareto SVGs for `rows` into `dir` (atomically); the plots
/// mark the base recipe's `limits`.
void write_sweep_outputs(const std::string& dir, const std::vector<SweepRow>& rows,
                         const config::RunConfig& limits);

/// sweep.json's content for a set of points run with the --set values `sets` (applied to
/// every point), and the check a resume makes against it: throws core::Error naming the
/// settings or the first point that differ. Points may be added.
core::Json sweep_json(const std::vector<SweepPoint>& points, const std::vector<std::string>& sets);
void check_sweep_resume(const core::Json& saved, const std::vector<SweepPoint>& points,
                        const std::vector<std::string>& sets, const std::string& source);

}  // namespace tinynas::nas
