// Arch and sparse-config encodings: round trips, clear errors, sampling operators.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "support/error_of.h"
#include "tinynas/space/arch.h"

using namespace tinynas;
using namespace tinynas::space;
using tinynas::testing::error_of;

namespace {

SupernetLayout tinyformer() {
  static const SpaceDef s = load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml");
  return tinynas::testing::default_layout(s);
}

const SparseChoices kChoices{{0, 30, 50, 70, 90}, {2, 4}};

}  // namespace

TEST(ArchEncoding, DefaultTinyFormerShapeAndExample) {
  const SupernetLayout l = tinyformer();
  // Default supernet: n1 = 2, m1 = 1, n2 = 2, m2 = 1.
  const Arch a = parse_arch("tf1:D0.M2.M1.T0|D1.M0.M2.T2|P0", l);
  EXPECT_EQ(a.choices, (std::vector<std::vector<int>>{{0, 2, 1, 0}, {1, 0, 2, 2}, {0}}));
  EXPECT_EQ(to_string(a, l), "tf1:D0.M2.M1.T0|D1.M0.M2.T2|P0");
  EXPECT_EQ(a.flat(), (std::vector<int>{0, 2, 1, 0, 1, 0, 2, 2, 0}));
}

TEST(ArchEncoding, SampledArchsAndSparseConfigsRoundTrip) {
  core::Rng rng(7);
  for (const auto& f : tinynas::testing::shipped_spaces()) {
    const SpaceDef s = load_space(f);
    for (int k = 0; k < 5; ++k) {
      const SupernetLayout l = make_layout(s, sample_supernet(s, rng), Shape{1, 28, 28}, 10);
      EXPECT_EQ(parse_supernet(to_string(l.config, s), s), l.config);
      for (int i = 0; i < 50; ++i) {
        const Arch a = sample_arch(l, rng);
        EXPECT_EQ(parse_arch(to_string(a, l), l), a);
        const SparseConfig sp = sample_sparse(l, kChoices, rng);
        EXPECT_EQ(parse_sparse(to_string(sp, l), l), sp);
      }
    }
  }
}

TEST(ArchEncoding, BadArchsNameThePosition) {
  const SupernetLayout l = tinyformer();
  auto err = [&](const std::string& t) { return error_of([&] { parse_arch(t, l); }); };
  EXPECT_EQ(err("tf1:D0.M2.X1.T0|D1.M0.M2.T2|P0"),
            "arch 'tf1:D0.M2.X1.T0|D1.M0.M2.T2|P0': position 11: expected 'M' "
            "(dot1.mbv2[1]), found 'X'");
  EXPECT_EQ(err("tf1:D0.M7.M1.T0|D1.M0.M2.T2|P0"),
            "arch 'tf1:D0.M7.M1.T0|D1.M0.M2.T2|P0': position 9: candidate 7 of dot1.mbv2[0] is "
            "out of range: it has 3 (0-2)");
  EXPECT_EQ(err("tf1:D0.M2.T0|D1.M0.M2.T2|P0"),
            "arch 'tf1:D0.M2.T0|D1.M0.M2.T2|P0': position 11: expected 'M' (dot1.mbv2[1]), found 'T'");
  EXPECT_EQ(err("tf1:D0.M2.M1.T0|D1.M0.M2.T2"),
            "arch 'tf1:D0.M2.M1.T0|D1.M0.M2.T2': position 28: expected '|' after stage dot2, "
            "found the end");
  EXPECT_EQ(err("tf1:D0.M2.M1.T0.T1|D1.M0.M2.T2|P0"),
            "arch 'tf1:D0.M2.M1.T0.T1|D1.M0.M2.T2|P0': position 16: stage dot1 has 4 choice "
            "blocks in this supernet, found more");
  EXPECT_EQ(err("tf1:D0.M2.M1.T0|D1.M0.M2.T2|P0x"),
            "arch 'tf1:D0.M2.M1.T0|D1.M0.M2.T2|P0x': position 31: unexpected 'x' after the last stage");
  EXPECT_EQ(err("tf2:D0"), "arch 'tf2:D0': position 1: space 'tf2', but the supernet is of space 'tf1'");
  EXPECT_EQ(err("D0.M2"), "arch 'D0.M2': position 1: expected 'tf1:' at the start");
  EXPECT_EQ(err("tf1:D.M2"), "arch 'tf1:D.M2': position 6: expected a number (candidate index of "
                             "dot1.downsample[0]), found '.'");
}

TEST(ArchEncoding, BadSparseConfigsNameThePosition) {
  const SupernetLayout l = tinyformer();
  auto err = [&](const std::string& t) { return error_of([&] { parse_sparse(t, l); }); };
  const std::string ok = "tf1:D50/4.M70/2.M0/2.T90/4|D50/4.M0/2.M0/2.T0/2|P0/2";
  EXPECT_EQ(to_string(parse_sparse(ok, l), l), ok);
  EXPECT_EQ(err("tf1:D150/4.M70/2.M0/2.T90/4|D50/4.M0/2.M0/2.T0/2|P0/2"),
            "sparse config 'tf1:D150/4.M70/2.M0/2.T90/4|D50/4.M0/2.M0/2.T0/2|P0/2': position 6: "
            "sparsity 150% of dot1.downsample[0] is over 99%");
  EXPECT_NE(err("tf1:D50.M70/2").find("position 8: expected '/' between sparsity and block size"),
            std::string::npos);
  EXPECT_NE(err("tf1:D50/0.M70/2").find("position 9: block size 0 of dot1.downsample[0] is not in 1-16"),
            std::string::npos);
}

TEST(ArchEncoding, SupernetTextForms) {
  const SpaceDef s = load_space(tinynas::testing::source_dir() + "/recipes/spaces/tinyformer.yaml");
  const SupernetConfig c = parse_supernet("c1=32,d=64", s);
  EXPECT_EQ(to_string(c, s), "tf1{c1=32,c2=48,n1=2,m1=1,n2=2,m2=1,d=64}");
  EXPECT_EQ(parse_supernet(to_string(c, s), s), c);
  EXPECT_EQ(parse_supernet("", s), default_supernet(s));
  EXPECT_EQ(error_of([&] { parse_supernet("c1=33", s); }),
            "supernet 'c1=33': position 4: c1=33 is not one of its choices {16, 24, 32}");
  EXPECT_EQ(error_of([&] { parse_supernet("c1=16,dd=3", s); }),
            "supernet 'c1=16,dd=3': position 7: unknown hyper-parameter 'dd' (did you mean 'd'?); "
            "the space has: c1, c2, n1, m1, n2, m2, d");
}

TEST(ArchOperators, SamplingIsUniformPerBlock) {
  const SupernetLayout l = tinyformer();
  core::Rng rng(11);
  std::vector<int> counts(3, 0);
  const int n = 30000;
  for (int i = 0; i < n; ++i) ++counts[std::size_t(sample_arch(l, rng).at(0))];
  for (int c : counts) EXPECT_NEAR(double(c) / n, 1.0 / 3, 0.015);
  // Same seed, same draws.
  core::Rng a(5), b(5);
  EXPECT_EQ(sample_arch(l, a), sample_arch(l, b));
}

TEST(ArchOperators, MutationChangesAtLeastOneBlockAndStaysInSpace) {
  const SupernetLayout l = tinyformer();
  core::Rng rng(12);
  for (int i = 0; i < 500; ++i) {
    const Arch a = sample_arch(l, rng);
    const Arch m = mutate(a, l, 0.0, rng);  // prob 0: exactly one forced change
    EXPECT_NO_THROW(check_arch(m, l));
    int diff = 0;
    for (int f = 0; f < l.num_choice_blocks(); ++f) diff += a.at(f) != m.at(f);
    EXPECT_EQ(diff, 1);
    const Arch all = mutate(a, l, 1.0, rng);
    for (int f = 0; f < l.num_choice_blocks(); ++f)
      if (l.block(f).candidates.size() > 1) {
        EXPECT_NE(all.at(f), a.at(f));
      }
    const SparseConfig s = sample_sparse(l, kChoices, rng);
    const SparseConfig ms = mutate(s, l, kChoices, 0.0, rng);
    int sd = 0;
    for (int f = 0; f < l.num_choice_blocks(); ++f) sd += !(s.at(f) == ms.at(f));
    EXPECT_EQ(sd, 1);
  }
}

TEST(ArchOperators, CrossoverTakesEachBlockFromAParent) {
  const SupernetLayout l = tinyformer();
  core::Rng rng(13);
  int from_a = 0, total = 0;
  for (int i = 0; i < 300; ++i) {
    const Arch a = sample_arch(l, rng), b = sample_arch(l, rng);
    const Arch c = crossover(a, b, rng);
    for (int f = 0; f < l.num_choice_blocks(); ++f) {
      EXPECT_TRUE(c.at(f) == a.at(f) || c.at(f) == b.at(f));
      if (a.at(f) != b.at(f)) {
        ++total;
        from_a += c.at(f) == a.at(f);
      }
    }
  }
  EXPECT_NEAR(double(from_a) / total, 0.5, 0.05);
}

TEST(ArchOperators, SparseChoicesMustBeWholePercents) {
  EXPECT_EQ(error_of([] { sparse_choices({0.5, 0.625}, {2}); }),
            "sparsenas.sparsity[1]: 0.625000 is not a whole percent in [0, 0.99]");
  EXPECT_EQ(sparse_choices({0.5, 0.7}, {2, 4}).percents, (std::vector<int>{50, 70}));
}
