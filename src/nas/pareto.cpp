#include "tinynas/nas/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <pagmo/utils/hypervolume.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include "tinynas/core/error.h"

namespace tinynas::nas {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The input rules of pareto.h; pagmo would throw std::invalid_argument (or compute NaN
// distances) on some of these, and its messages carry no context.
void check_points(const Points& points, const char* what) {
  if (points.empty()) return;
  const std::size_t m = points[0].size();
  if (m < 2)
    throw core::Error(std::string(what) + ": points need at least 2 objectives, point 0 has " +
                      std::to_string(m));
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != m)
      throw core::Error(std::string(what) + ": point " + std::to_string(i) + " has " +
                        std::to_string(points[i].size()) + " objectives, point 0 has " +
                        std::to_string(m));
    for (std::size_t k = 0; k < m; ++k)
      if (!std::isfinite(points[i][k]))
        throw core::Error(std::string(what) + ": point " + std::to_string(i) + " objective " +
                          std::to_string(k) + " is not finite");
  }
}

}  // namespace

std::vector<std::vector<std::size_t>> nondominated_fronts(const Points& points) {
  check_points(points, "non-dominated sorting");
  if (points.empty()) return {};
  if (points.size() == 1) return {{0}};  // pagmo needs two points
  const auto sorted = pagmo::fast_non_dominated_sorting(points);
  std::vector<std::vector<std::size_t>> fronts;
  for (const auto& f : std::get<0>(sorted)) {
    std::vector<std::size_t> front(f.begin(), f.end());
    std::sort(front.begin(), front.end());
    fronts.push_back(std::move(front));
  }
  return fronts;
}

std::vector<std::size_t> front_ranks(const Points& points) {
  std::vector<std::size_t> rank(points.size(), 0);
  const auto fronts = nondominated_fronts(points);
  for (std::size_t r = 0; r < fronts.size(); ++r)
    for (auto i : fronts[r]) rank[i] = r;
  return rank;
}

std::vector<std::size_t> pareto_front(const Points& points) {
  auto fronts = nondominated_fronts(points);
  if (fronts.empty()) return {};
  auto front = std::move(fronts[0]);
  std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
    if (points[a] != points[b]) return points[a] < points[b];  // lexicographic
    return a < b;
  });
  return front;
}

// Own implementation rather than pagmo::crowding_distance: pagmo sorts with an unstable
// std::sort (duplicates' distances then depend on the library) and divides by a zero range
// when a whole front is equal on one objective (NaN, which breaks every later sort).
std::vector<double> crowding_distances(const Points& points, const std::vector<std::size_t>& front) {
  check_points(points, "crowding distance");
  for (auto i : front)
    if (i >= points.size())
      throw core::Error("crowding distance: index " + std::to_string(i) + " out of range (" +
                        std::to_string(points.size()) + " points)");
  const std::size_t n = front.size();
  if (n <= 2) return std::vector<double>(n, kInf);
  std::vector<double> dist(n, 0.0);
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < points[0].size(); ++k) {
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return points[front[a]][k] < points[front[b]][k];
    });
    const double lo = points[front[order.front()]][k];
    const double hi = points[front[order.back()]][k];
    dist[order.front()] = kInf;
    dist[order.back()] = kInf;
    if (hi <= lo) continue;
    for (std::size_t j = 1; j + 1 < n; ++j)
      dist[order[j]] += (points[front[order[j + 1]]][k] - points[front[order[j - 1]]][k]) / (hi - lo);
  }
  return dist;
}

double hypervolume(const Points& points, const std::vector<double>& reference) {
  check_points(points, "hypervolume");
  if (reference.size() < 2)
    throw core::Error("hypervolume: the reference point needs at least 2 objectives");
  if (!points.empty() && reference.size() != points[0].size())
    throw core::Error("hypervolume: reference point has " + std::to_string(reference.size()) +
                      " objectives, the points " + std::to_string(points[0].size()));
  for (double r : reference)
    if (!std::isfinite(r)) throw core::Error("hypervolume: reference point is not finite");
  // pagmo requires every point to dominate the reference; a point on or beyond it on some
  // objective bounds no volume anyway.
  Points inside;
  for (const auto& p : points) {
    bool in = true;
    for (std::size_t k = 0; k < p.size(); ++k) in = in && p[k] < reference[k];
    if (in) inside.push_back(p);
  }
  if (inside.empty()) return 0.0;
  // Only the distinct non-dominated points, in their first-seen order: dominated points and
  // repeats add no volume, but handed to pagmo they change its order of floating-point
  // sums, and a search's hypervolume could then fall by an ulp when it adds one.
  {
    const auto fronts = nondominated_fronts(inside);
    Points front;
    for (std::size_t i : fronts.front())
      if (std::find(front.begin(), front.end(), inside[i]) == front.end()) front.push_back(inside[i]);
    inside = std::move(front);
  }
  if (inside.size() == 1) return box_volume(inside[0], reference);
  pagmo::hypervolume hv(inside, true);
  hv.set_copy_points(false);
  return hv.compute(reference);
}

std::vector<std::size_t> select_best(const Points& points, std::size_t n) {
  const auto fronts = nondominated_fronts(points);
  std::vector<std::size_t> out;
  for (const auto& front : fronts) {
    if (out.size() >= n) break;
    const auto dist = crowding_distances(points, front);
    std::vector<std::size_t> order(front.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    // front is in index order, so a stable sort breaks distance ties by index.
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return dist[a] > dist[b]; });
    for (std::size_t j = 0; j < order.size() && out.size() < n; ++j) out.push_back(front[order[j]]);
  }
  return out;
}

std::string to_string(Objective objective) {
  switch (objective) {
    case Objective::accuracy: return "accuracy";
    case Objective::latency: return "latency";
    case Objective::flash: return "flash";
    case Objective::sram: return "sram";
  }
  return "?";
}

ObjectiveSet::ObjectiveSet() : objectives_{Objective::accuracy, Objective::latency} {}

ObjectiveSet::ObjectiveSet(const std::string& text) {
  const std::string key = "sparsenas.objectives";
  const Objective all[] = {Objective::accuracy, Objective::latency, Objective::flash,
                           Objective::sram};
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto first = name.find_first_not_of(" \t");
    const auto last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    bool found = false;
    for (auto o : all) {
      if (name != nas::to_string(o)) continue;
      if (std::find(objectives_.begin(), objectives_.end(), o) != objectives_.end())
        throw core::Error(key + ": '" + name + "' named twice in '" + text + "'");
      objectives_.push_back(o);
      found = true;
    }
    if (!found)
      throw core::Error(key + ": unknown objective '" + name + "' in '" + text +
                        "' (valid: accuracy, latency, flash, sram)");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (objectives_.size() < 2)
    throw core::Error(key + ": '" + text + "' names " + std::to_string(objectives_.size()) +
                      " objective; a multi-objective search needs at least 2");
}

std::vector<std::string> ObjectiveSet::names() const {
  std::vector<std::string> out;
  for (auto o : objectives_) out.push_back(nas::to_string(o));
  return out;
}

std::string ObjectiveSet::to_string() const {
  std::string out;
  for (auto o : objectives_) out += (out.empty() ? "" : ",") + nas::to_string(o);
  return out;
}

std::vector<double> ObjectiveSet::minimised(const Objectives& o) const {
  std::vector<double> out;
  out.reserve(objectives_.size());
  for (auto k : objectives_) {
    switch (k) {
      case Objective::accuracy: out.push_back(-o.accuracy); break;
      case Objective::latency: out.push_back(o.latency_ms); break;
      case Objective::flash: out.push_back(double(o.flash)); break;
      case Objective::sram: out.push_back(double(o.peak_sram)); break;
    }
  }
  return out;
}

Points ObjectiveSet::minimised(const std::vector<Scored>& scored) const {
  Points out;
  out.reserve(scored.size());
  for (const auto& s : scored) out.push_back(minimised(s.objectives));
  return out;
}

std::vector<double> ObjectiveSet::reference(double latency_ref_ms, std::int64_t flash_limit,
                                            std::int64_t sram_limit) const {
  std::vector<double> out;
  auto positive = [](double v, const char* what) {
    if (!(v > 0) || !std::isfinite(v))
      throw core::Error(std::string("hypervolume reference: ") + what +
                        " must be > 0 and finite, got " + std::to_string(v));
    return v;
  };
  for (auto k : objectives_) {
    switch (k) {
      case Objective::accuracy: out.push_back(-0.0); break;
      case Objective::latency: out.push_back(positive(latency_ref_ms, "latency (ms)")); break;
      case Objective::flash: out.push_back(positive(double(flash_limit), "flash limit (bytes)")); break;
      case Objective::sram: out.push_back(positive(double(sram_limit), "SRAM limit (bytes)")); break;
    }
  }
  return out;
}

std::vector<double> ObjectiveSet::ideal() const {
  std::vector<double> out;
  for (auto k : objectives_) out.push_back(k == Objective::accuracy ? -1.0 : 0.0);
  return out;
}

double box_volume(const std::vector<double>& ideal, const std::vector<double>& reference) {
  if (ideal.size() != reference.size())
    throw core::Error("box volume: corners of different dimensions");
  double v = 1;
  for (std::size_t k = 0; k < ideal.size(); ++k) v *= std::max(0.0, reference[k] - ideal[k]);
  return v;
}

}  // namespace tinynas::nas
