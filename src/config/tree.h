// Private to the config layer: a recipe's YAML as a tree in which every value remembers
// where it was written. yaml-cpp nodes know their line but not their file, and merging a
// base chain with --set overrides mixes files, so recipes are read into this first and
// the schema is applied to the merged tree.
#pragma once

#include <string>
#include <vector>

#include "tinynas/config/recipe.h"

namespace tinynas::config::detail {

struct TreeNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  struct Entry;

  Kind kind = Kind::kNull;
  std::string scalar;           // kScalar: the text with quotes and escapes resolved
  std::vector<TreeNode> items;  // kSequence
  std::vector<Entry> entries;   // kMap, in the order written (base keys first)
  std::string where;            // message prefix: "file:line" or "--set a.b=c"

  /// The entry for `key`, or nullptr (also when this is not a map).
  const Entry* find(const std::string& key) const;
  Entry* find(const std::string& key);
};

struct TreeNode::Entry {
  std::string key;
  std::string key_where;  // where the key itself was written (unknown-key messages)
  TreeNode value;
};

/// For messages: "'text'" for a scalar, else "a list", "a map" or "nothing".
std::string describe(const TreeNode& node);

/// Reads a recipe file and its `base:` chain into one merged top-level map (the `base`
/// key removed). Throws core::Error for syntax errors, a top level that is not a map,
/// duplicate keys, a missing base file or a base cycle.
TreeNode load_tree_file(const std::string& path);

/// Same for YAML text; `name` is the file name used in messages, and a `base:` path is
/// resolved against the current directory.
TreeNode load_tree_text(const std::string& text, const std::string& name);

/// Merges `src` over `dst`: maps key by key (recursively), anything else replaces,
/// except that an empty value over a map leaves the map as it is (an empty section sets
/// nothing).
void merge_tree(TreeNode& dst, TreeNode src);

/// Parses an override's value text as YAML; every node gets `where` ("--set ...").
/// Empty text is an empty value (an empty string or list, depending on the field).
TreeNode parse_value_text(const std::string& text, const std::string& where,
                          const std::string& path);

/// Applies one "a.b.c=value" override to a top-level map. The key must be a schema leaf.
void apply_override(TreeNode& root, const std::string& assignment);

/// " (did you mean ...?)" for an unknown dotted `path`: the closest of `siblings` (full
/// paths) if one is close, else every schema key or section whose last component is
/// the same name (e.g. 'hflip' written under train), else "".
std::string suggest_key(const std::string& path, const std::vector<std::string>& siblings);

/// Leaf key paths and section paths of the schema, each in schema order.
struct SchemaKeys {
  std::vector<std::string> leaves;
  std::vector<std::string> sections;
};
SchemaKeys schema_keys();

/// Applies the schema to a merged top-level map and fills `out` (which holds the
/// defaults): every key must be known, every value of the right type and in range;
/// fields the tree does not mention keep their values. Throws core::Error naming the
/// source location and key path of the first bad key or value.
void read_recipe_tree(const TreeNode& root, Recipe& out);

/// Shortest text that parses back to exactly `v`; integral values below 1e15 without an
/// exponent. Locale-independent.
std::string format_double(double v);

}  // namespace tinynas::config::detail
