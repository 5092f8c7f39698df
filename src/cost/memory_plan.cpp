#include "tinynas/cost/memory_plan.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "tinynas/core/error.h"

namespace tinynas::cost {
namespace {

bool lifetimes_intersect(const Buffer& a, const Buffer& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

// Lowest offset >= 0 where [offset, offset + size) misses every occupied range.
// `taken` holds (offset, size) pairs and is sorted here.
std::int64_t first_fit(std::vector<std::pair<std::int64_t, std::int64_t>>& taken,
                       std::int64_t size) {
  std::sort(taken.begin(), taken.end());
  std::int64_t candidate = 0;
  for (const auto& [offset, used] : taken) {
    if (candidate + size <= offset) break;
    candidate = std::max(candidate, offset + used);
  }
  return candidate;
}

}  // namespace

const char* to_string(PlanStrategy strategy) {
  return strategy == PlanStrategy::head_tail ? "head_tail" : "greedy_by_size";
}

Placement plan_greedy_by_size(const std::vector<Buffer>& buffers) {
  const size_t n = buffers.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size) return buffers[a].size > buffers[b].size;
    return buffers[a].first_use < buffers[b].first_use;
  });
  Placement p;
  p.offsets.assign(n, 0);
  std::vector<size_t> placed;
  std::vector<std::pair<std::int64_t, std::int64_t>> taken;
  for (size_t i : order) {
    if (buffers[i].size == 0) continue;
    taken.clear();
    for (size_t j : placed)
      if (lifetimes_intersect(buffers[i], buffers[j]))
        taken.emplace_back(p.offsets[j], buffers[j].size);
    p.offsets[i] = first_fit(taken, buffers[i].size);
    p.arena_size = std::max(p.arena_size, p.offsets[i] + buffers[i].size);
    placed.push_back(i);
  }
  return p;
}

Placement plan_head_tail(const std::vector<Buffer>& buffers) {
  const size_t n = buffers.size();
  std::vector<size_t> order;
  for (size_t i = 0; i < n; ++i)
    if (buffers[i].size > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].first_use < buffers[b].first_use; });

  // Placement relative to each buffer's own end: dist[i] = bytes between that end and it.
  std::vector<bool> at_tail(n, false);
  std::vector<std::int64_t> dist(n, 0);
  std::vector<size_t> placed;
  std::vector<std::pair<std::int64_t, std::int64_t>> taken;
  for (size_t i : order) {
    bool tail = false;
    for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
      if (buffers[*it].last_use >= buffers[i].first_use) {
        tail = !at_tail[*it];
        break;
      }
    }
    taken.clear();
    for (size_t j : placed)
      if (at_tail[j] == tail && lifetimes_intersect(buffers[i], buffers[j]))
        taken.emplace_back(dist[j], buffers[j].size);
    at_tail[i] = tail;
    dist[i] = first_fit(taken, buffers[i].size);
    placed.push_back(i);
  }

  Placement p;
  p.offsets.assign(n, 0);
  for (size_t i : placed) p.arena_size = std::max(p.arena_size, dist[i] + buffers[i].size);
  for (size_t h : placed) {
    if (at_tail[h]) continue;
    for (size_t t : placed)
      if (at_tail[t] && lifetimes_intersect(buffers[h], buffers[t]))
        p.arena_size =
            std::max(p.arena_size, dist[h] + buffers[h].size + dist[t] + buffers[t].size);
  }
  for (size_t i : placed)
    p.offsets[i] = at_tail[i] ? p.arena_size - dist[i] - buffers[i].size : dist[i];
  return p;
}

std::string find_plan_conflict(const std::vector<Buffer>& buffers,
                               const std::vector<std::int64_t>& offsets, std::int64_t arena_size) {
  if (offsets.size() != buffers.size())
    return std::to_string(offsets.size()) + " offsets for " + std::to_string(buffers.size()) +
           " buffers";
  auto describe = [&](size_t i) {
    return "buffer " + std::to_string(i) + " [" + std::to_string(offsets[i]) + ", " +
           std::to_string(offsets[i] + buffers[i].size) + ") steps " +
           std::to_string(buffers[i].first_use) + ".." + std::to_string(buffers[i].last_use);
  };
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].size == 0) continue;
    if (offsets[i] < 0 || offsets[i] + buffers[i].size > arena_size)
      return describe(i) + " lies outside the arena of " + std::to_string(arena_size) + " bytes";
    for (size_t j = 0; j < i; ++j) {
      if (buffers[j].size == 0 || !lifetimes_intersect(buffers[i], buffers[j])) continue;
      if (offsets[i] < offsets[j] + buffers[j].size && offsets[j] < offsets[i] + buffers[i].size)
        return describe(j) + " overlaps " + describe(i);
    }
  }
  return "";
}

LiveBound live_lower_bound(const std::vector<Buffer>& buffers) {
  // Sweep over (step, delta) events; a buffer stops counting at last_use + 1.
  std::vector<std::pair<std::int64_t, std::int64_t>> events;
  events.reserve(2 * buffers.size());
  for (const auto& b : buffers) {
    if (b.size == 0) continue;
    events.emplace_back(b.first_use, b.size);
    events.emplace_back(std::int64_t(b.last_use) + 1, -b.size);
  }
  std::sort(events.begin(), events.end());
  LiveBound bound;
  std::int64_t live = 0;
  for (size_t i = 0; i < events.size();) {
    const std::int64_t step = events[i].first;
    for (; i < events.size() && events[i].first == step; ++i) live += events[i].second;
    if (live > bound.bytes) {
      bound.bytes = live;
      bound.step = int(step);
    }
  }
  return bound;
}

int MemoryPlanner::add_buffer(std::int64_t size, int first_use, int last_use) {
  if (size < 0 || first_use < 0 || last_use < first_use)
    throw core::Error("memory planner: buffer " + std::to_string(buffers_.size()) +
                      ": invalid request of " + std::to_string(size) + " bytes live on steps " +
                      std::to_string(first_use) + ".." + std::to_string(last_use));
  buffers_.push_back({size, first_use, last_use});
  plan_.reset();
  return int(buffers_.size()) - 1;
}

const MemoryPlan& MemoryPlanner::plan() {
  if (plan_) return *plan_;
  Placement greedy = plan_greedy_by_size(buffers_);
  Placement head_tail = plan_head_tail(buffers_);
  MemoryPlan m;
  m.greedy_arena = greedy.arena_size;
  m.head_tail_arena = head_tail.arena_size;
  if (head_tail.arena_size < greedy.arena_size) {
    m.strategy = PlanStrategy::head_tail;
    m.offsets = std::move(head_tail.offsets);
    m.arena_size = head_tail.arena_size;
  } else {
    m.strategy = PlanStrategy::greedy_by_size;
    m.offsets = std::move(greedy.offsets);
    m.arena_size = greedy.arena_size;
  }
  plan_ = std::move(m);
  return *plan_;
}

std::vector<int> MemoryPlanner::live_at(int step) const {
  std::vector<int> live;
  for (size_t i = 0; i < buffers_.size(); ++i) {
    const auto& b = buffers_[i];
    if (b.size > 0 && b.first_use <= step && step <= b.last_use) live.push_back(int(i));
  }
  return live;
}

}  // namespace tinynas::cost
