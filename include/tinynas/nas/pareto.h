// Pareto machinery for multi-objective search (NSGA-II, front reports, hypervolume per
// generation). Every function here MINIMISES every objective: a point is a vector of
// objective values, points[i][k] = objective k of point i, and a dominates b when a is <= b
// on every objective and < on at least one. ObjectiveSet turns a strategy's Objectives
// (accuracy up, resources down) into such vectors.
//
// Input rules, checked by every function (core::Error otherwise): all points have the same
// number of objectives, at least 2, and every value is finite. Duplicated points are
// allowed (they never dominate each other, so they share a front).
//
// Determinism: results depend only on the values and the order of the points; ties are
// broken by point index, never by an unstable sort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/nas/strategy.h"

namespace tinynas::nas {

/// points[i][k] = objective k (minimised) of point i.
using Points = std::vector<std::vector<double>>;

/// Non-dominated sorting: front 0 = the points nothing dominates, front 1 = those only
/// front 0 dominates, ... Each front lists point indices in ascending order; every index
/// appears exactly once. Empty for no points.
std::vector<std::vector<std::size_t>> nondominated_fronts(const Points& points);

/// Front rank of every point (0 = non-dominated), from nondominated_fronts().
std::vector<std::size_t> front_ranks(const Points& points);

/// The first front, sorted by the first objective (ties: the next objectives, then index).
std::vector<std::size_t> pareto_front(const Points& points);

/// NSGA-II crowding distance of each point of `front` (indices into `points`; usually one
/// front of nondominated_fronts()), in `front`'s order. Per objective the front's extreme
/// points get +infinity and the others the gap between their neighbours over the front's
/// range (an objective on which the whole front is equal adds 0). Fronts of 1 or 2 points:
/// all +infinity. Throws on an index out of range.
std::vector<double> crowding_distances(const Points& points, const std::vector<std::size_t>& front);

/// Volume dominated by `points` and bounded by `reference` (same dimension). Points that do
/// not strictly beat the reference on every objective are ignored; 0 when none remain.
/// Computed on the distinct non-dominated points only, so adding a dominated point leaves
/// the figure bit-identical. Exact (pagmo: 2-D sweep, 3-D Beume et al., WFG above).
double hypervolume(const Points& points, const std::vector<double>& reference);

/// NSGA-II survivor selection of min(n, size) points: whole fronts in rank order while they
/// fit, then the most crowding-distant points of the first front that does not fit. The
/// result is ordered by (front rank, crowding distance descending, index), which makes it
/// a ranking as well: select_best(points, points.size()) sorts every point.
std::vector<std::size_t> select_best(const Points& points, std::size_t n);

/// One search objective. accuracy is maximised (minimised as -accuracy), the rest minimised.
enum class Objective { accuracy, latency, flash, sram };

/// "accuracy", "latency", "flash", "sram".
std::string to_string(Objective objective);

/// Which Objectives fields a multi-objective search trades off, in order (recipe key
/// sparsenas.objectives: "accuracy,latency", "accuracy,flash", "accuracy,latency,flash",
/// "accuracy,latency,flash,sram"). Resources not named stay limits only.
class ObjectiveSet {
 public:
  /// accuracy,latency.
  ObjectiveSet();
  /// Comma-separated distinct names of at least two objectives (spaces around names are
  /// ignored). Errors name the key `sparsenas.objectives` and list the valid names.
  explicit ObjectiveSet(const std::string& text);

  const std::vector<Objective>& objectives() const { return objectives_; }
  std::size_t size() const { return objectives_.size(); }
  std::vector<std::string> names() const;
  /// The names joined by ',' (round-trips through the constructor).
  std::string to_string() const;

  /// The point of `o`: -accuracy, latency_ms, flash bytes, peak_sram bytes, in set order.
  std::vector<double> minimised(const Objectives& o) const;
  /// minimised() of each scored genome, in order.
  Points minimised(const std::vector<Scored>& scored) const;

  /// Hypervolume reference point: accuracy 0 (any accuracy above 0 counts), latency
  /// `latency_ref_ms`, flash `flash_limit` bytes, sram `sram_limit` bytes. The values of the
  /// objectives in the set must be > 0 (throws otherwise): with no latency limit, pass
  /// e.g. the slowest latency the search can reach. Points over a limit then add nothing.
  std::vector<double> reference(double latency_ref_ms, std::int64_t flash_limit,
                                std::int64_t sram_limit) const;
  /// The best conceivable point: accuracy 1 (-1 minimised), every resource 0. The volume
  /// of the box between ideal() and a reference bounds the hypervolume, so
  /// hypervolume / box volume is a normalised figure in [0, 1].
  std::vector<double> ideal() const;

 private:
  std::vector<Objective> objectives_;
};

/// Volume of the box between `ideal` and `reference` (product of the differences).
double box_volume(const std::vector<double>& ideal, const std::vector<double>& reference);

}  // namespace tinynas::nas
