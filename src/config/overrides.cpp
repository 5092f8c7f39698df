// `--set a.b.c=value`: the value replaces whatever the recipe's base chain said.
#include <algorithm>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"
#include "tree.h"

namespace tinynas::config::detail {
namespace {

using Kind = TreeNode::Kind;

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

void apply_override(TreeNode& root, const std::string& assignment) {
  const std::string where = "--set " + assignment;
  std::size_t eq = assignment.find('=');
  if (eq == std::string::npos) {
    throw core::Error(where + ": expected key=value, e.g. --set train.epochs=5");
  }
  std::string key = core::trim(assignment.substr(0, eq));
  if (key.empty()) throw core::Error(where + ": no key before '='");

  SchemaKeys keys = schema_keys();
  if (!contains(keys.leaves, key)) {
    if (contains(keys.sections, key)) {
      auto first = std::find_if(keys.leaves.begin(), keys.leaves.end(), [&](const std::string& p) {
        return p.compare(0, key.size() + 1, key + ".") == 0;
      });
      throw core::Error(where + ": '" + key + "' is a section; set one of its keys, e.g. '" +
                        *first + "'");
    }
    throw core::Error(where + ": unknown key '" + key + "'" + suggest_key(key, keys.leaves));
  }

  TreeNode value = parse_value_text(assignment.substr(eq + 1), where, key);

  std::vector<std::string> parts = core::split(key, '.');
  TreeNode* node = &root;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    path += (i ? "." : "") + parts[i];
    TreeNode::Entry* entry = node->find(parts[i]);
    if (!entry) {
      TreeNode section;
      section.kind = Kind::kMap;
      section.where = where;
      node->entries.push_back({parts[i], where, std::move(section)});
      entry = &node->entries.back();
    } else if (entry->value.kind == Kind::kNull) {
      entry->value.kind = Kind::kMap;
      entry->value.where = where;
    } else if (entry->value.kind != Kind::kMap) {
      // Same message the reader would give for the recipe's own mistake.
      throw core::Error(entry->value.where + ": " + path +
                        ": expected a section (a map of keys), got " + describe(entry->value));
    }
    node = &entry->value;
  }
  if (TreeNode::Entry* entry = node->find(parts.back())) {
    entry->key_where = where;
    entry->value = std::move(value);
  } else {
    node->entries.push_back({parts.back(), where, std::move(value)});
  }
}

}  // namespace tinynas::config::detail
