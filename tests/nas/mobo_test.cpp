// MOBO's sampling and batch selection (nas/mobo.h) and the genome codec
// (nas/genome_codec.h), against counts and brute force.
#include "tinynas/nas/mobo.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tinynas/core/error.h"
#include "tinynas/nas/genome_codec.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::nas {
namespace {

TEST(LatinHypercube, EveryGeneStratified) {
  const std::vector<int> cards = {1, 2, 3, 7, 27, 40};
  for (int n : {1, 5, 12, 40, 81}) {
    core::Rng rng(static_cast<std::uint64_t>(n));
    const auto pts = latin_hypercube(cards, n, rng);
    ASSERT_EQ(pts.size(), std::size_t(n));
    for (std::size_t k = 0; k < cards.size(); ++k) {
      std::map<int, int> count;
      for (const auto& p : pts) {
        ASSERT_EQ(p.size(), cards.size());
        ASSERT_GE(p[k], 0);
        ASSERT_LT(p[k], cards[k]);
        ++count[p[k]];
      }
      for (int v = 0; v < cards[k]; ++v) {
        const int c = count.count(v) ? count[v] : 0;
        EXPECT_GE(c, n / cards[k] - 1) << "gene " << k << " value " << v << " n " << n;
        EXPECT_LE(c, (n + cards[k] - 1) / cards[k] + 1) << "gene " << k << " value " << v;
        if (n >= 2 * cards[k]) {
          EXPECT_GE(c, 1) << "gene " << k << " value " << v << " n " << n;
        }
      }
    }
  }
}

TEST(LatinHypercube, DeterministicAndRejectsBadInput) {
  core::Rng a(5), b(5);
  EXPECT_EQ(latin_hypercube({3, 4}, 10, a), latin_hypercube({3, 4}, 10, b));
  core::Rng r(1);
  EXPECT_THROW(latin_hypercube({3, 0}, 4, r), core::Error);
  EXPECT_THROW(latin_hypercube({3}, 0, r), core::Error);
}

// The greedy reference: the same steps written from the definition, over every
// candidate of fronts 0 and 1.
TEST(SelectByHvi, FirstTwoFrontsGreedyImprovement) {
  const std::vector<double> ref = {0, 10};
  // minimised: (-accuracy, latency)
  const Points observed = {{-0.5, 5}};
  const Points cand = {
      {-0.9, 9},  // 0 front 0: far right, big gain
      {-0.7, 3},  // 1 front 0
      {-0.6, 6},  // 2 front 1 (dominated by 1), adds volume on its own
      {-0.4, 8},  // 3 front 2 or worse: never chosen
      {-0.3, 9},  // 4 worse still
      {-0.7, 3},  // 5 duplicate of 1: front 0, adds nothing once 1 is in
  };
  const auto chosen = select_by_hvi(cand, observed, ref, 10);
  ASSERT_FALSE(chosen.empty());
  for (auto i : chosen) EXPECT_TRUE(i != 3 && i != 4) << i;
  // Step 1: the largest gain. HV(observed) = 0.5 * 5 = 2.5.
  //  +0 -> {(-.9,9),(-.5,5)}: .9*1 + .5*4 = 2.9;  +1 -> .7*7 = 4.9;  +2 -> .6*4 + .5*1 = 2.9
  EXPECT_EQ(chosen[0], 1u);
  // Step 2 from {(-.5,5),(-.7,3)} (4.9): +0 -> .9*1 + .7*6 = 5.1; +2 -> 4.9 (nothing).
  ASSERT_GE(chosen.size(), 2u);
  EXPECT_EQ(chosen[1], 0u);
  // Then nothing adds volume: 2 and 5 are dominated by chosen points.
  EXPECT_EQ(chosen.size(), 2u);
  EXPECT_EQ(select_by_hvi(cand, observed, ref, 1), std::vector<std::size_t>{1});
  EXPECT_TRUE(select_by_hvi(cand, observed, ref, 0).empty());
  // Nothing observed yet: the volumes start from 0.
  const auto first = select_by_hvi(cand, {}, ref, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0], 1u);  // .7 * 7 = 4.9 beats .9 * 1 and .6 * 4
}

space::SupernetLayout codec_layout() {
  const auto def = space::parse_space(R"(
id: tiny
name: codec test
hyper:
  c: {choices: [4], default: 4}
stages:
  - name: a
    blocks:
      - {choice: conv, out: $c, repeat: 2}
  - name: b
    blocks:
      - {choice: one, out: $c}
head:
  - {type: gap}
choices:
  conv:
    letter: C
    candidates:
      - {type: conv, kernel: [1, 3, 5], stride: 1}
  one:
    letter: O
    candidates:
      - {type: conv, kernel: 3, stride: 1}
)",
                                      "tiny.yaml");
  return space::make_layout(def, space::default_supernet(def), {1, 8, 8}, 2);
}

TEST(GenomeCodec, RoundTripsEveryGenomeAndNamesBadGenes) {
  const auto layout = codec_layout();
  const auto choices = space::sparse_choices({0, 0.5, 0.9}, {2, 4});
  const GenomeCodec codec(layout, choices);
  EXPECT_EQ(codec.cards(), (std::vector<int>{3, 6, 3, 6, 1, 6}));
  core::Rng rng(3);
  std::set<std::vector<int>> seen;
  for (int i = 0; i < 300; ++i) {
    Genome g;
    g.arch = space::sample_arch(layout, rng);
    g.sparse = space::sample_sparse(layout, choices, rng);
    const auto genes = codec.encode(g);
    EXPECT_TRUE(codec.decode(genes) == g);
    seen.insert(genes);
  }
  EXPECT_GT(seen.size(), 200u);
  try {
    codec.decode({0, 0, 3, 0, 0, 0});
    FAIL() << "no error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gene 2 is 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(codec.decode({0, 0}), core::Error);
  Genome g = codec.decode({0, 0, 0, 0, 0, 0});
  g.sparse.blocks[0][0] = {70, 2};
  EXPECT_THROW(codec.encode(g), core::Error);
}

}  // namespace
}  // namespace tinynas::nas
