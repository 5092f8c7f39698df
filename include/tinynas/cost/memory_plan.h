// Activation memory planning: where each buffer lives in the runtime's one caller-owned
// arena (TFLM style, DESIGN.md §5). The cost model reports the arena size as peak SRAM and
// export lays out the real arena with the same planner, so the two agree by construction.
//
// Time is counted in op steps: ops are numbered 0, 1, ... in execution order and a buffer
// is live on [first_use, last_use], both inclusive. Two buffers may share bytes only when
// their lifetimes do not intersect. Sizes and offsets are in bytes. The planner places sizes
// as given and adds no padding of its own; both strategies put every buffer at a sum of
// other buffers' sizes (and head_tail measures the arena the same way), so when every size
// is a multiple of some a, so is every offset and the arena size. plan_graph_memory()
// (cost.h) relies on it: it rounds each size up to a multiple of kArenaAlignment (4) first,
// so the runtime's int16 / int32 scratch and every activation start 4-byte aligned.
//
// Two strategies; plan() runs both and keeps the smaller arena (a tie keeps greedy):
//  - greedy_by_size (TFLM's GreedyMemoryPlanner): buffers in order of size, largest first
//    (ties: earlier first_use, then the order they were added), each placed at the lowest
//    offset where it overlaps no already-placed buffer whose lifetime intersects its own.
//  - head_tail (the paper's head-tail alternation, tinyformer.txt III-D): buffers in order
//    of first_use (ties: the order they were added) go to one of the arena's two ends. A
//    buffer goes to the end opposite the latest-placed buffer still live at its first_use
//    (the head when there is none), so a layer's output lands at the other end from its
//    input and successive activations alternate. Within its end, it is placed first-fit
//    (lowest distance from that end) among placed same-end buffers with intersecting
//    lifetimes. The arena is the smallest size for which no head buffer meets a
//    lifetime-intersecting tail buffer: the largest of every end-distance h_end and t_end
//    and of every h_end + t_end over intersecting (head, tail) pairs.
// Buffers of size 0 occupy nothing: offset 0, never in conflict, never live.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinynas::cost {

/// Alignment of every buffer of a graph's arena (cost.h plan_graph_memory) and of the
/// arena's size: the runtime's scratch holds int16 / int32 and is checked to be 4-byte
/// aligned.
constexpr std::int64_t kArenaAlignment = 4;

/// `bytes` rounded up to a multiple of `alignment` (>= 1); bytes must be >= 0.
constexpr std::int64_t align_up(std::int64_t bytes, std::int64_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

/// One request: `size` bytes live from op step `first_use` to `last_use` inclusive.
struct Buffer {
  std::int64_t size = 0;
  int first_use = 0;
  int last_use = 0;
};

enum class PlanStrategy { greedy_by_size, head_tail };
const char* to_string(PlanStrategy strategy);  ///< "greedy_by_size" / "head_tail"

/// A placement: offsets[i] is the first byte of buffer i; arena_size the bytes needed.
struct Placement {
  std::vector<std::int64_t> offsets;
  std::int64_t arena_size = 0;
};

/// What plan() chose, with both candidates' arena sizes for reporting.
struct MemoryPlan {
  std::vector<std::int64_t> offsets;  ///< per buffer, in the order add_buffer was called
  std::int64_t arena_size = 0;        ///< bytes: max over buffers of offset + size
  PlanStrategy strategy = PlanStrategy::greedy_by_size;  ///< the one that won
  std::int64_t greedy_arena = 0;      ///< arena of greedy_by_size
  std::int64_t head_tail_arena = 0;   ///< arena of head_tail
};

/// The greedy-by-size first-fit strategy (see the header comment).
Placement plan_greedy_by_size(const std::vector<Buffer>& buffers);
/// The head-tail alternation strategy (see the header comment).
Placement plan_head_tail(const std::vector<Buffer>& buffers);

/// "" when no two buffers with intersecting lifetimes overlap in memory and every buffer
/// lies inside [0, arena_size); otherwise a description of the first conflict found.
std::string find_plan_conflict(const std::vector<Buffer>& buffers,
                               const std::vector<std::int64_t>& offsets,
                               std::int64_t arena_size);

/// Sum of the sizes live at each step, and where it peaks: no plan can use fewer bytes.
struct LiveBound {
  std::int64_t bytes = 0;  ///< max over steps of the bytes live at that step (0: none)
  int step = 0;            ///< the first step where it is reached
};
LiveBound live_lower_bound(const std::vector<Buffer>& buffers);

class MemoryPlanner {
 public:
  /// Registers a buffer and returns its index (0, 1, ... in call order). Throws core::Error
  /// when size < 0, first_use < 0 or last_use < first_use.
  int add_buffer(std::int64_t size, int first_use, int last_use);

  int buffer_count() const { return int(buffers_.size()); }
  const std::vector<Buffer>& buffers() const { return buffers_; }

  /// Runs both strategies (once; again after add_buffer) and returns the smaller plan.
  const MemoryPlan& plan();
  /// plan().arena_size: the bytes of the arena.
  std::int64_t arena_size() { return plan().arena_size; }
  /// plan().strategy.
  PlanStrategy strategy() { return plan().strategy; }

  /// Max over steps of the bytes live at that step; arena_size() >= lower_bound().
  std::int64_t lower_bound() const { return live_lower_bound(buffers_).bytes; }
  /// The first step where lower_bound() is reached.
  int lower_bound_step() const { return live_lower_bound(buffers_).step; }
  /// Indices of the buffers of non-zero size live at `step`, ascending.
  std::vector<int> live_at(int step) const;

 private:
  std::vector<Buffer> buffers_;
  std::optional<MemoryPlan> plan_;
};

}  // namespace tinynas::cost
