#include "tree.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"

namespace tinynas::config::detail {
namespace {

using Kind = TreeNode::Kind;

// Where the nodes of one YAML text come from. Override values have no useful line.
struct Origin {
  std::string file;
  bool with_lines = true;
};

std::string where_of(const Origin& origin, const YAML::Mark& mark, const std::string& fallback) {
  if (!origin.with_lines) return origin.file;
  if (mark.line < 0) return fallback;
  return origin.file + ":" + std::to_string(mark.line + 1);
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// `path` is the dotted key path of `node`, for messages.
TreeNode from_yaml(const YAML::Node& node, const Origin& origin, const std::string& where,
                   const std::string& path) {
  TreeNode out;
  out.where = where;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      out.kind = Kind::kScalar;
      out.scalar = node.Scalar();
      break;
    case YAML::NodeType::Sequence: {
      out.kind = Kind::kSequence;
      std::size_t index = 0;
      for (const YAML::Node& item : node) {
        std::string item_path = path + "[" + std::to_string(index++) + "]";
        out.items.push_back(from_yaml(item, origin, where_of(origin, item.Mark(), where), item_path));
      }
      break;
    }
    case YAML::NodeType::Map:
      out.kind = Kind::kMap;
      for (auto it = node.begin(); it != node.end(); ++it) {
        // Copies: the iterator hands out a temporary pair, and Node copies are handles.
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        std::string key_where = where_of(origin, key.Mark(), where);
        if (!key.IsScalar()) {
          throw core::Error(key_where + ": " + (path.empty() ? "" : path + ": ") +
                            "keys must be plain names, got a " +
                            (key.IsMap() ? "map" : key.IsSequence() ? "list" : "null") + " as a key");
        }
        const std::string& name = key.Scalar();
        if (const TreeNode::Entry* first = out.find(name)) {
          throw core::Error(key_where + ": duplicate key '" + join_path(path, name) +
                            "' (first written at " + first->key_where + ")");
        }
        // yaml-cpp marks an empty value at the start of the next token, often the next
        // line; the key's line is the one the user wants to see.
        std::string value_where =
            value.IsNull() ? key_where : where_of(origin, value.Mark(), key_where);
        out.entries.push_back(
            {name, key_where, from_yaml(value, origin, value_where, join_path(path, name))});
      }
      break;
    default:
      out.kind = Kind::kNull;
      break;
  }
  return out;
}

YAML::Node parse_document(const std::string& text, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    std::string where = file;
    if (e.mark.line >= 0) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    throw core::Error(where + ": YAML syntax error: " + e.msg);
  }
  if (docs.size() > 1) {
    throw core::Error(where_of({file}, docs[1].Mark(), file) +
                      ": more than one YAML document; a recipe is a single map of sections");
  }
  return docs.empty() ? YAML::Node() : docs.front();
}

// Recipe values that name files. Relative ones mean "relative to the recipe file that
// wrote them", but consumers resolve them against the top-level recipe (Recipe::source).
const std::pair<const char*, const char*> kPathKeys[] = {{"space", "file"}, {"data", "root"}};

std::string directory_of(const std::string& file) {
  std::error_code ec;
  const auto dir = std::filesystem::path(file.empty() ? "x" : file).parent_path();
  auto canon = std::filesystem::weakly_canonical(dir.empty() ? "." : dir, ec);
  return ec ? dir.string() : canon.string();
}

// Makes the relative paths that `base_file` wrote absolute when `anchor` (the file that
// names the base) lives in another directory, so they keep pointing where base_file meant.
void rebase_paths(TreeNode& tree, const std::string& base_file, const std::string& anchor) {
  if (directory_of(base_file) == directory_of(anchor)) return;
  for (const auto& [section, key] : kPathKeys) {
    TreeNode::Entry* s = tree.find(section);
    if (!s) continue;
    TreeNode::Entry* e = s->value.find(key);
    if (!e || e->value.kind != Kind::kScalar || e->value.scalar.empty() ||
        std::filesystem::path(e->value.scalar).is_absolute())
      continue;
    e->value.scalar = std::filesystem::absolute(core::resolve_relative_to(base_file, e->value.scalar))
                          .lexically_normal()
                          .string();
  }
}

struct ChainLink {
  std::string name;       // as used in messages
  std::string canonical;  // identity for cycle detection
};

// Reads one file's text and, first, everything its `base:` names. `anchor` is the file
// that base paths are relative to ("" = the current directory).
TreeNode load_chain(const std::string& text, const std::string& file, const std::string& anchor,
                    std::vector<ChainLink>& chain) {
  YAML::Node doc = parse_document(text, file);
  const Origin origin{file};
  std::string top_where = where_of(origin, doc.Mark(), file + ":1");
  TreeNode tree;
  if (doc.IsMap()) {
    tree = from_yaml(doc, origin, top_where, "");
  } else if (doc.IsNull()) {
    tree.kind = Kind::kMap;  // an empty file: all defaults
    tree.where = file + ":1";
  } else {
    throw core::Error(top_where + ": expected a map of sections at the top level, got " +
                      describe(from_yaml(doc, origin, top_where, "")));
  }

  auto base_it = std::find_if(tree.entries.begin(), tree.entries.end(),
                              [](const TreeNode::Entry& e) { return e.key == "base"; });
  if (base_it == tree.entries.end()) return tree;
  TreeNode::Entry base = std::move(*base_it);
  tree.entries.erase(base_it);
  if (base.value.kind == Kind::kNull) return tree;
  if (base.value.kind != Kind::kScalar || base.value.scalar.empty()) {
    throw core::Error(base.value.where + ": base: expected the name of a recipe file, got " +
                      describe(base.value));
  }

  const std::string& named = base.value.scalar;
  std::string base_path = core::resolve_relative_to(anchor, named);
  if (std::filesystem::is_directory(base_path)) {
    throw core::Error(base.key_where + ": base '" + named + "' is a directory, not a recipe file" +
                      (base_path != named ? " (" + base_path + ")" : ""));
  }
  if (!core::is_regular_file(base_path)) {
    throw core::Error(base.key_where + ": base file '" + named + "' not found" +
                      (base_path != named ? " (looked for " + base_path + ")" : ""));
  }
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(base_path, ec).string();
  if (ec) canonical = base_path;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain[i].canonical != canonical) continue;
    std::vector<std::string> names;
    for (std::size_t j = i; j < chain.size(); ++j) names.push_back(chain[j].name);
    names.push_back(base_path);
    throw core::Error(base.key_where + ": base cycle: " + core::join(names, " -> "));
  }

  chain.push_back({base_path, canonical});
  TreeNode merged = load_chain(core::read_text_file(base_path), base_path, base_path, chain);
  chain.pop_back();
  rebase_paths(merged, base_path, anchor);
  merge_tree(merged, std::move(tree));
  return merged;
}

}  // namespace

const TreeNode::Entry* TreeNode::find(const std::string& key) const {
  for (const Entry& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

TreeNode::Entry* TreeNode::find(const std::string& key) {
  return const_cast<Entry*>(static_cast<const TreeNode*>(this)->find(key));
}

std::string describe(const TreeNode& node) {
  switch (node.kind) {
    case Kind::kScalar:
      return "'" + node.scalar + "'";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
    case Kind::kNull:
      break;
  }
  return "nothing";
}

TreeNode load_tree_file(const std::string& path) {
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) canonical = path;
  std::vector<ChainLink> chain{{path, canonical}};
  return load_chain(core::read_text_file(path), path, path, chain);
}

TreeNode load_tree_text(const std::string& text, const std::string& name) {
  std::vector<ChainLink> chain;
  return load_chain(text, name, "", chain);
}

TreeNode parse_value_text(const std::string& text, const std::string& where,
                          const std::string& path) {
  if (text.empty()) {
    TreeNode empty;
    empty.where = where;
    return empty;
  }
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw core::Error(where + ": YAML syntax error in the value: " + e.msg);
  }
  return from_yaml(node, Origin{where, false}, where, path);
}

void merge_tree(TreeNode& dst, TreeNode src) {
  if (dst.kind == Kind::kMap && src.kind == Kind::kMap) {
    for (TreeNode::Entry& entry : src.entries) {
      if (TreeNode::Entry* existing = dst.find(entry.key)) {
        existing->key_where = entry.key_where;
        merge_tree(existing->value, std::move(entry.value));
      } else {
        dst.entries.push_back(std::move(entry));
      }
    }
    return;
  }
  if (src.kind == Kind::kNull && dst.kind == Kind::kMap) return;
  dst = std::move(src);
}

}  // namespace tinynas::config::detail
