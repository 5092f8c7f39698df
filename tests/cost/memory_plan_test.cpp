#include "tinynas/cost/memory_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "tinynas/core/error.h"

using namespace tinynas;
using cost::Buffer;
using cost::MemoryPlanner;
using cost::PlanStrategy;
using Offsets = std::vector<std::int64_t>;

namespace {

MemoryPlanner planner_of(const std::vector<Buffer>& buffers) {
  MemoryPlanner p;
  for (const auto& b : buffers) p.add_buffer(b.size, b.first_use, b.last_use);
  return p;
}

}  // namespace

TEST(MemoryPlan, ChainReachesTheLowerBound) {
  // A (10, 0..1) -> B (20, 1..2) -> C (10, 2..3): live 30 at steps 1 and 2.
  // greedy: B at 0, A and C (disjoint lifetimes) both at 20. head-tail: A head, B tail,
  // C head (A is dead at 2): 30 as well; the tie keeps greedy.
  auto p = planner_of({{10, 0, 1}, {20, 1, 2}, {10, 2, 3}});
  EXPECT_EQ(p.lower_bound(), 30);
  EXPECT_EQ(p.lower_bound_step(), 1);
  EXPECT_EQ(p.live_at(1), (std::vector<int>{0, 1}));
  EXPECT_EQ(p.arena_size(), 30);
  EXPECT_EQ(p.strategy(), PlanStrategy::greedy_by_size);
  EXPECT_EQ(p.plan().offsets, (Offsets{20, 0, 20}));
  EXPECT_EQ(p.plan().head_tail_arena, 30);
  EXPECT_EQ(cost::plan_head_tail(p.buffers()).offsets, (Offsets{0, 10, 0}));
}

TEST(MemoryPlan, HeadTailBeatsGreedy) {
  // A (1, 0..1), B (4, 2..4), C (4, 0..0), D (2, 1..3). Live: step 0 A+C = 5, step 1 A+D = 3,
  // steps 2-3 B+D = 6, step 4 B = 4: lower bound 6.
  // greedy (size order C, B, D, A): C@0, B@0 (no overlap in time with C), D@4 (meets B),
  //   A meets C [0,4) and D [4,6) -> A@6: arena 7.
  // head-tail (first-use order A, C, D, B): A head; C opposite A -> tail; D: latest live at 1
  //   is A -> tail (C is dead, distance 0); B: latest live at 2 is D -> head (A dead, 0).
  //   Arena = max(A+C = 5, A+D = 3, B+D = 6) = 6; offsets A 0, C 6-4 = 2, D 6-2 = 4, B 0.
  auto p = planner_of({{1, 0, 1}, {4, 2, 4}, {4, 0, 0}, {2, 1, 3}});
  EXPECT_EQ(p.lower_bound(), 6);
  EXPECT_EQ(p.lower_bound_step(), 2);
  EXPECT_EQ(cost::plan_greedy_by_size(p.buffers()).offsets, (Offsets{6, 0, 0, 4}));
  EXPECT_EQ(p.plan().greedy_arena, 7);
  EXPECT_EQ(p.plan().head_tail_arena, 6);
  EXPECT_EQ(p.strategy(), PlanStrategy::head_tail);
  EXPECT_EQ(p.arena_size(), 6);
  EXPECT_EQ(p.plan().offsets, (Offsets{0, 0, 2, 4}));
  EXPECT_EQ(cost::find_plan_conflict(p.buffers(), p.plan().offsets, 6), "");
}

TEST(MemoryPlan, GreedyBeatsHeadTail) {
  // P (1, 0..0), Q (1, 0..1), R (4, 1..2), S (4, 0..2). Live: step 0 6, step 1 9, step 2 8.
  // greedy (S, R, P, Q): S@0, R@4, P@4 (meets S only), Q meets S [0,4), P [4,5), R [4,8)
  //   -> Q@8: arena 9 = the bound.
  // head-tail (P, Q, S, R): P head 0; Q tail 0; S (latest live Q) head after P: 1;
  //   R (latest live S) tail after Q: 1. Arena = max(S_end 5 + R_end 5) = 10.
  auto p = planner_of({{1, 0, 0}, {1, 0, 1}, {4, 1, 2}, {4, 0, 2}});
  EXPECT_EQ(p.lower_bound(), 9);
  EXPECT_EQ(p.lower_bound_step(), 1);
  EXPECT_EQ(p.plan().offsets, (Offsets{4, 8, 4, 0}));
  EXPECT_EQ(p.arena_size(), 9);
  EXPECT_EQ(p.strategy(), PlanStrategy::greedy_by_size);
  const auto ht = cost::plan_head_tail(p.buffers());
  EXPECT_EQ(ht.arena_size, 10);
  EXPECT_EQ(ht.offsets, (Offsets{0, 9, 5, 1}));
}

TEST(MemoryPlan, ZeroSizeAndReplanning) {
  MemoryPlanner p;
  EXPECT_EQ(p.arena_size(), 0);
  EXPECT_EQ(p.lower_bound(), 0);
  p.add_buffer(0, 0, 5);
  p.add_buffer(7, 1, 2);
  EXPECT_EQ(p.arena_size(), 7);
  EXPECT_EQ(p.live_at(1), (std::vector<int>{1}));  // zero-size buffers are never live
  EXPECT_EQ(p.add_buffer(5, 2, 2), 2);             // invalidates the cached plan
  EXPECT_EQ(p.arena_size(), 12);
  EXPECT_EQ(p.buffer_count(), 3);
}

TEST(MemoryPlan, RejectsBadRequests) {
  MemoryPlanner p;
  EXPECT_THROW(p.add_buffer(-1, 0, 0), core::Error);
  EXPECT_THROW(p.add_buffer(4, -1, 0), core::Error);
  EXPECT_THROW(p.add_buffer(4, 3, 2), core::Error);
  EXPECT_EQ(p.buffer_count(), 0);
}

TEST(MemoryPlan, ConflictCheckerFindsOverlaps) {
  const std::vector<Buffer> b{{4, 0, 1}, {4, 1, 2}, {4, 2, 3}};
  EXPECT_EQ(cost::find_plan_conflict(b, {0, 4, 0}, 8), "");
  EXPECT_NE(cost::find_plan_conflict(b, {0, 2, 0}, 8).find("overlaps"), std::string::npos);
  EXPECT_NE(cost::find_plan_conflict(b, {0, 4, 0}, 7).find("outside the arena"), std::string::npos);
  EXPECT_NE(cost::find_plan_conflict(b, {0, 4}, 8), "");
}

TEST(MemoryPlan, RandomLifetimesGiveValidPlans) {
  std::mt19937 rng(5);
  int head_tail_wins = 0, greedy_wins = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const int n = 1 + int(rng() % 40), steps = 1 + int(rng() % 30);
    std::vector<Buffer> buffers;
    for (int i = 0; i < n; ++i) {
      const int first = int(rng() % unsigned(steps));
      const int last = first + int(rng() % 4);
      buffers.push_back({std::int64_t(rng() % 3 == 0 ? 0 : rng() % 1000), first, last});
    }
    auto p = planner_of(buffers);
    const auto greedy = cost::plan_greedy_by_size(buffers);
    const auto head_tail = cost::plan_head_tail(buffers);
    ASSERT_EQ(cost::find_plan_conflict(buffers, greedy.offsets, greedy.arena_size), "") << trial;
    ASSERT_EQ(cost::find_plan_conflict(buffers, head_tail.offsets, head_tail.arena_size), "")
        << trial;
    ASSERT_EQ(cost::find_plan_conflict(buffers, p.plan().offsets, p.arena_size()), "") << trial;
    EXPECT_EQ(p.arena_size(), std::min(greedy.arena_size, head_tail.arena_size));
    EXPECT_GE(p.arena_size(), p.lower_bound());
    // The lower bound is the live sum at its step.
    std::int64_t live = 0;
    for (int i : p.live_at(p.lower_bound_step())) live += buffers[size_t(i)].size;
    EXPECT_EQ(live, p.lower_bound());
    head_tail_wins += head_tail.arena_size < greedy.arena_size;
    greedy_wins += greedy.arena_size < head_tail.arena_size;
  }
  EXPECT_GT(head_tail_wins, 0);
  EXPECT_GT(greedy_wins, 0);
}

TEST(MemoryPlan, AlignedSizesGiveAlignedOffsets) {
  EXPECT_EQ(cost::align_up(0, 4), 0);
  EXPECT_EQ(cost::align_up(1, 4), 4);
  EXPECT_EQ(cost::align_up(4, 4), 4);
  EXPECT_EQ(cost::align_up(10, 4), 12);
  // What plan_graph_memory relies on: sizes that are multiples of 4 give offsets and
  // arenas that are multiples of 4, in both strategies.
  std::mt19937 rng(9);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + int(rng() % 30), steps = 1 + int(rng() % 20);
    std::vector<Buffer> buffers;
    for (int i = 0; i < n; ++i) {
      const int first = int(rng() % unsigned(steps));
      buffers.push_back({cost::align_up(std::int64_t(rng() % 500), cost::kArenaAlignment), first,
                         first + int(rng() % 5)});
    }
    for (const auto& p : {cost::plan_greedy_by_size(buffers), cost::plan_head_tail(buffers)}) {
      EXPECT_EQ(p.arena_size % 4, 0) << trial;
      for (auto o : p.offsets) EXPECT_EQ(o % 4, 0) << trial;
    }
  }
}
