// A search space as written in recipes/spaces/*.yaml, and the supernets it spans.
//
// File format (see recipes/spaces/README.md for the annotated version):
//
//   id: tf1                      # short id; every encoding starts with it
//   name: TinyFormer
//   hyper:                       # supernet hyper-parameters (what SuperNAS samples)
//     c1: {choices: [16, 24, 32], default: 24}
//   stem: [{type: conv, out: 16, kernel: 3, stride: 2}]     # fixed blocks (optional)
//   stages:                      # one arch-encoding segment per stage
//     - name: dot1
//       blocks:
//         - {choice: downsample, out: $c1}                  # one choice block
//         - {choice: mbv2, repeat: $n1}                      # $n1 choice blocks
//   head: []                     # fixed blocks after the stages (optional)
//   choices:                     # choice-block types and their candidates
//     downsample:
//       letter: D
//       candidates:
//         - {type: conv, kernel: 3, stride: [1, 2]}         # a list expands: 2 candidates
//
// A candidate is a block-registry type key plus its parameters. A parameter written as a
// list expands into one candidate per value (several lists: their cartesian product, the
// first list varying slowest), in file order. `$name` stands for a hyper-parameter's value
// in the supernet being built. A logits classifier (linear) always follows the head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tinynas::space {

/// One parameter value from a space file: integer, real, boolean or text ("$c1" before
/// resolution, "relu_linear", ...).
using Scalar = std::variant<std::int64_t, double, bool, std::string>;
std::string to_string(const Scalar& v);

struct Param {
  std::string name;
  Scalar value;
};

/// A block as written: a registry type key and its parameters. `where` locates it in
/// its file ("spaces/x.yaml:12 choices.mbv2.candidates[1]") for error messages.
struct BlockSpec {
  std::string type;
  std::vector<Param> params;
  std::optional<Scalar> out;  ///< output channels (int or "$hyper"); none = same as input
  std::string where;
};

struct Hyper {
  std::string name;
  std::vector<std::int64_t> choices;
  std::int64_t default_value = 0;
};

struct ChoiceType {
  std::string name;
  char letter = '?';  ///< its letter in arch encodings, unique in the space
  std::vector<BlockSpec> candidates;  ///< after list expansion
  std::string where;
};

/// `repeat` consecutive choice blocks of one type.
struct BlockSlot {
  std::string choice;
  std::optional<Scalar> out;  ///< output channels of the first of them; none = input's
  Scalar repeat = std::int64_t{1};
  std::string where;
};

struct StageDef {
  std::string name;
  std::vector<BlockSlot> blocks;
};

struct SpaceDef {
  std::string id;
  std::string name;
  std::string source;  ///< file it was read from
  /// The file's data in one fixed notation: edits of comments, spacing, quoting or
  /// flow/block style give the same text, any changed value (the name too) another. What
  /// a fingerprint of the space hashes.
  std::string canonical;
  std::vector<Hyper> hyper;
  std::vector<BlockSpec> stem;
  std::vector<StageDef> stages;
  std::vector<BlockSpec> head;
  std::vector<ChoiceType> choices;

  const ChoiceType& choice(const std::string& name) const;
  const Hyper& hyper_param(const std::string& name) const;
};

/// Reads and checks a space file: structure, registry type keys and their parameter
/// names, `$` references, letters. Errors name the file, line and key.
SpaceDef load_space(const std::string& path);
SpaceDef parse_space(const std::string& yaml_text, const std::string& source);

/// One supernet of a space: a value for every hyper-parameter, in SpaceDef::hyper order.
struct SupernetConfig {
  std::string space_id;
  std::vector<std::int64_t> values;

  bool operator==(const SupernetConfig& o) const {
    return space_id == o.space_id && values == o.values;
  }
  std::int64_t value(const SpaceDef& space, const std::string& name) const;
};

SupernetConfig default_supernet(const SpaceDef& space);

/// "tf1{c1=24,c2=48,d=64}" (all hyper-parameters, file order).
std::string to_string(const SupernetConfig& config, const SpaceDef& space);

/// Accepts the full form above, or "c1=32,d=48" (the rest default), or "" (all default).
/// Unknown names, values outside a hyper-parameter's choices and a wrong space id are
/// errors naming the character position.
SupernetConfig parse_supernet(const std::string& text, const SpaceDef& space);

/// Number of distinct supernets (product of the hyper-parameters' choice counts).
double supernet_count(const SpaceDef& space);

}  // namespace tinynas::space
