// A supernet made concrete for one input shape and class count: every choice block
// with its channels and its resolved candidates. Arch encodings, the Supernet module,
// path descriptions and costs are all read against a layout.
#pragma once

#include <string>
#include <vector>

#include "tinynas/space/graph.h"
#include "tinynas/space/registry.h"
#include "tinynas/space/space.h"

namespace tinynas::space {

struct ChoiceBlock {
  std::string label;   ///< "dot1.mbv2[0]": stage name, choice type, index among its kind
  std::string choice;  ///< choice type name
  char letter = '?';
  int stage = 0;       ///< index into SupernetLayout::stages
  int flat = 0;        ///< index over all choice blocks, in execution order
  int in = 0;
  int out = 0;
  std::vector<BlockArgs> candidates;
};

struct SupernetLayout {
  std::string space_id;
  std::string space_source;
  SupernetConfig config;
  Shape input;
  int classes = 0;
  std::vector<BlockArgs> stem;
  std::vector<std::vector<ChoiceBlock>> stages;  ///< one per SpaceDef stage
  std::vector<std::string> stage_names;
  std::vector<BlockArgs> head;
  int features = 0;  ///< channels entering the classifier

  int num_choice_blocks() const;
  const ChoiceBlock& block(int flat) const;
  /// Number of single paths: product of candidate counts.
  double path_count() const;
};

/// Resolves `config` of `space` for images of `input` (c = channels) and `classes`
/// classes. Every candidate of every block is checked on every feature-map size that
/// can reach it, so any path of the result runs; an impossible combination (a window
/// larger than the map, channels a group size does not divide, ...) is an error naming
/// the candidate and the map size.
SupernetLayout make_layout(const SpaceDef& space, const SupernetConfig& config, Shape input,
                           int classes, const BlockRegistry& registry = builtin_blocks());

}  // namespace tinynas::space
