// Space files: the shipped ones load; mistakes are reported with file:line and key.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "support/error_of.h"
#include "tinynas/core/text.h"
#include "tinynas/space/describe.h"
#include "tinynas/space/registry.h"

using namespace tinynas;
using namespace tinynas::space;
using tinynas::testing::error_of;

namespace {

const char* kTiny = R"(id: t1
hyper:
  c: {choices: [8, 16], default: 16}
  n: {choices: [1, 2]}
stages:
  - name: s
    blocks:
      - {choice: conv, out: $c}
      - {choice: mb, repeat: $n}
  - name: p
    blocks: [{choice: pool}]
choices:
  conv:
    letter: D
    candidates:
      - {type: conv, kernel: [1, 3], stride: [1, 2]}
  mb:
    letter: M
    candidates:
      - {type: inverted_residual, expansion: [2, 4]}
      - {type: skip}
  pool:
    letter: P
    candidates: [{type: gap}]
)";

std::string with(const std::string& from, const std::string& to) {
  std::string s = kTiny;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_space(text, "x.yaml"); });
}

}  // namespace

TEST(SpaceReader, ShippedSpacesLoad) {
  for (const auto& f : tinynas::testing::shipped_spaces()) {
    SCOPED_TRACE(f);
    const SpaceDef s = load_space(f);
    EXPECT_FALSE(s.id.empty());
    EXPECT_FALSE(s.stages.empty());
  }
}

TEST(SpaceReader, ListsExpandToCandidatesFirstListSlowest) {
  const SpaceDef s = parse_space(kTiny, "x.yaml");
  EXPECT_EQ(s.id, "t1");
  const auto& conv = s.choice("conv").candidates;
  ASSERT_EQ(conv.size(), 4u);  // kernel {1,3} x stride {1,2}
  auto val = [](const BlockSpec& b, const char* k) {
    for (const auto& p : b.params)
      if (p.name == k) return std::get<std::int64_t>(p.value);
    return std::int64_t{-1};
  };
  EXPECT_EQ(val(conv[0], "kernel"), 1);
  EXPECT_EQ(val(conv[0], "stride"), 1);
  EXPECT_EQ(val(conv[1], "kernel"), 1);
  EXPECT_EQ(val(conv[1], "stride"), 2);
  EXPECT_EQ(val(conv[2], "kernel"), 3);
  EXPECT_EQ(s.choice("mb").candidates.size(), 3u);
  EXPECT_EQ(s.hyper_param("n").default_value, 1);  // first choice when no default
}

// What `tinynas run` fingerprints: comments, quoting and flow/block style do not count, values do.
TEST(SpaceReader, CanonicalTextIgnoresCommentsAndLayout) {
  auto edit = [](std::string text, const std::string& from, const std::string& to) {
    return text.replace(text.find(from), from.size(), to);
  };
  const std::string base = parse_space(kTiny, "x.yaml").canonical;
  std::string restyled = edit(std::string("# a comment\n") + kTiny, "letter: D", "letter:   'D'   # conv");
  restyled = edit(restyled, "candidates: [{type: gap}]", "candidates:\n      - type: gap");
  EXPECT_EQ(parse_space(restyled, "x.yaml").canonical, base);
  const std::string changed = edit(kTiny, "kernel: [1, 3]", "kernel: [1, 5]");
  EXPECT_NE(parse_space(changed, "x.yaml").canonical, base);
}

TEST(SpaceReader, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(parse_error(with("type: gap", "type: gapp")),
            "x.yaml:24 choices.pool.candidates[0]: unknown block type 'gapp' (did you mean "
            "'gap'?); valid types: " +
                core::join(builtin_blocks().keys(), ", "));
  EXPECT_NE(parse_error(with("expansion: [2, 4]", "expanson: [2, 4]"))
                .find("choices.mb.candidates[0].expanson: block type "
                      "'inverted_residual' has no parameter 'expanson' (did you mean "
                      "'expansion'?)"),
            std::string::npos);
  EXPECT_NE(parse_error(with("out: $c}", "out: $cc}")).find("unknown hyper-parameter '$cc'"),
            std::string::npos);
  EXPECT_EQ(parse_error(with("letter: M", "letter: D")),
            "x.yaml:18: choices.mb.letter: letter 'D' is already used");
  EXPECT_NE(parse_error(with("choice: mb,", "choice: mbb,")).find("did you mean 'mb'"),
            std::string::npos);
  EXPECT_EQ(parse_error(with("{choices: [8, 16], default: 16}", "{choices: [8, 16], default: 12}")),
            "x.yaml:3: hyper.c.default: not one of the choices");
  EXPECT_NE(parse_error(with("id: t1", "id: t1\nstagez: []")).find("unknown key (did you mean 'stages'?)"),
            std::string::npos);
  EXPECT_NE(parse_error("id: [").find("x.yaml:"), std::string::npos);
  EXPECT_NE(parse_error(with("candidates: [{type: gap}]", "candidates: [{type: gap, out: 3}]"))
                .find("set 'out' there"),
            std::string::npos);
}

TEST(SpaceReader, LayoutErrorsNameTheCandidateAndMapSize) {
  const SpaceDef s = parse_space(with("candidates: [{type: gap}]",
                                      "candidates: [{type: avgpool_gap, kernel: 4}]"),
                                 "x.yaml");
  // 6x6 → conv stride 2 → 3x3: a 4x4 window does not fit.
  const std::string e = error_of([&] { make_layout(s, default_supernet(s), Shape{1, 6, 6}, 10); });
  EXPECT_NE(e.find("x.yaml:24 choices.pool.candidates[0] (in p.pool[0]): avgpool_gap(kernel=4) "
                   "cannot run on a 3x3 map (reached from a 6x6x1 input)"),
            std::string::npos)
      << e;
  EXPECT_NO_THROW(make_layout(s, default_supernet(s), Shape{1, 8, 8}, 10));
}

TEST(SpaceReader, ParameterTypesAndChannelRulesAreChecked) {
  EXPECT_NE(parse_error(with("expansion: [2, 4]", "expansion: two")).find("expected an integer"),
            std::string::npos);
  const SpaceDef bad_skip = parse_space(with("type: conv, kernel", "type: skip}\n      - {type: conv, kernel"),
                                        "x.yaml");
  EXPECT_NE(error_of([&] { make_layout(bad_skip, default_supernet(bad_skip), Shape{1, 8, 8}, 10); })
                .find("'skip' keeps its channels, but this block goes from 1 to 16 channels"),
            std::string::npos);
  const SpaceDef no_pool = parse_space(with("candidates: [{type: gap}]", "candidates: [{type: skip}]"),
                                       "x.yaml");
  EXPECT_NE(error_of([&] { make_layout(no_pool, default_supernet(no_pool), Shape{1, 8, 8}, 10); })
                .find("must end with a block that pools the map to a vector"),
            std::string::npos);
  EXPECT_NE(error_of([&] { builtin_blocks().resolve("vit", 8, 8, {{"attention", std::string("softmaxx")}}, "w"); })
                .find("w.attention: 'softmaxx' is not one of softmax, relu_linear (did you mean 'softmax'?)"),
            std::string::npos);
}

// Sizes from a file are bounded (space/bounds.h): a typo or a hostile file fails at once,
// naming the key, instead of overflowing shape arithmetic or building for hours.
TEST(SpaceReader, SizesAreBoundedAndTheKeyIsNamed) {
  auto expect_layout_error = [](const std::string& text, const std::string& message, int side = 8) {
    const SpaceDef s = parse_space(text, "x.yaml");
    const std::string e = error_of([&] { make_layout(s, default_supernet(s), Shape{1, side, side}, 10); });
    EXPECT_NE(e.find(message), std::string::npos) << e;
  };
  expect_layout_error(with("c: {choices: [8, 16], default: 16}", "c: {choices: [1000000], default: 1000000}"),
                      "x.yaml:8 stages[0].blocks[0].out: 1000000 channels (at most 4096)");
  expect_layout_error(with("n: {choices: [1, 2]}", "n: {choices: [100000]}"),
                      "x.yaml:9 stages[0].blocks[1].repeat: 100000 blocks (at most 64)");
  expect_layout_error(with("expansion: [2, 4]", "expansion: [2, 100000]"),
                      "x.yaml:20 choices.mb.candidates[0].expansion: 100000 is out of range (|value| <= 4096)");
  // Within each bound, but 16 channels expanded 4000 times on a 32x32 map are 65 M
  // values: the tensor bound names the op.
  expect_layout_error(with("expansion: [2, 4]", "expansion: [2, 4000]"), "expand: output", 64);
  const SpaceDef wide = parse_space(with("c: {choices: [8, 16], default: 16}", "c: {choices: [1024], default: 1024}"),
                                    "x.yaml");
  EXPECT_NO_THROW(make_layout(wide, default_supernet(wide), Shape{1, 8, 8}, 10));
}

// recipes/spaces/hytnas.yaml is HyT-NAS Table I (hyt-nas.txt III-A) as documented in its
// header: 3 first-block expansions, 3 more + skip (1-4 blocks), 3 down expansions, 27
// attention blocks (channel ratio x heads x feed-forward ratio), out channels 8-32.
TEST(SpaceReader, HytnasHasTableIsCandidates) {
  const SpaceDef s = load_space(tinynas::testing::source_dir() + "/recipes/spaces/hytnas.yaml");
  EXPECT_EQ(s.id, "hyt");
  EXPECT_EQ(s.choice("mv2_first").candidates.size(), 3u);
  EXPECT_EQ(s.choice("mv2").candidates.size(), 4u);
  EXPECT_EQ(s.choice("down").candidates.size(), 3u);
  EXPECT_EQ(s.choice("vit").candidates.size(), 27u);
  ASSERT_EQ(s.hyper.size(), 4u);
  for (const auto& h : s.hyper) EXPECT_EQ(h.choices, (std::vector<std::int64_t>{8, 16, 24, 32})) << h.name;
  EXPECT_EQ(supernet_count(s), 256);

  const SupernetLayout layout = tinynas::testing::default_layout(s);
  EXPECT_EQ(to_string(layout.config, s), "hyt{c1=16,c2=24,c3=24,c4=32}");
  EXPECT_DOUBLE_EQ(layout.path_count(), 192.0 * 192 * 3 * 3 * 27 * 27);

  // Real ratios resolve to rounded widths: V13 = 1.5x channels, 2 heads, 1.5x feed-forward
  // on 24 channels -> 36 and 54; V26 = 2x, 4 heads, 2x on 32 -> 64 and 128.
  const Graph g = describe_path(layout, parse_arch("hyt:A0.M3.M3.M3|D0.V13|A2.M1.M3.M0|D2.V26", layout));
  std::vector<int> tokens, hidden, heads;
  for (const auto& op : g.ops) {
    const std::string& n = op.name;
    if (n.size() > 10 && n.compare(n.size() - 10, 10, ".to_tokens") == 0) tokens.push_back(g.shape(op.output).c);
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".fc1") == 0) hidden.push_back(g.shape(op.output).c);
    if (op.kind == OpKind::attention_softmax) heads.push_back(op.heads);
  }
  EXPECT_EQ(tokens, (std::vector<int>{36, 64}));
  EXPECT_EQ(hidden, (std::vector<int>{54, 128}));
  EXPECT_EQ(heads, (std::vector<int>{2, 4}));
}

TEST(SpaceReader, HytVitHeadsThatDoNotDivideNameTheCandidate) {
  // 16 channels x 1.5 = 24 encoder channels: 5 heads do not divide them.
  const SpaceDef s = parse_space(with("- {type: skip}", "- {type: hyt_vit, dim_ratio: 1.5, heads: 5}"),
                                 "x.yaml");
  const std::string e = error_of([&] { make_layout(s, default_supernet(s), Shape{1, 8, 8}, 10); });
  EXPECT_NE(e.find("x.yaml:21 choices.mb.candidates[1] (in s.mb[0]): hyt_vit(dim_ratio=1.5, heads=5, "), std::string::npos) << e;
  EXPECT_NE(e.find("5 heads do not divide 24 channels"), std::string::npos) << e;
  const BlockArgs negative = builtin_blocks().resolve("hyt_vit", 8, 8, {{"dim_ratio", -1.0}}, "w");
  Graph g;
  GraphBuilder b(g);
  const int x = g.add_tensor("x", Shape{8, 4, 4});
  EXPECT_EQ(error_of([&] { builtin_blocks().at("hyt_vit").describe(negative, b, x); }),
            "w.dim_ratio: must be in (0, 4096], got -1");
  const BlockArgs ok = builtin_blocks().resolve("hyt_vit", 8, 8, {{"dim_ratio", std::int64_t{2}}}, "w");
  EXPECT_EQ(ok.get_real("dim_ratio"), 2.0);  // integers widen to reals
}
