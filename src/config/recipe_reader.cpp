// The YAML -> struct visitor: applies the schema to a merged tree.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"
#include "tree.h"

namespace tinynas::config::detail {
namespace {

using Kind = TreeNode::Kind;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw core::Error(where + ": " + message);
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

bool is_bounded(const Range& range) {
  return range.lo > -std::numeric_limits<double>::max() ||
         range.hi < std::numeric_limits<double>::max();
}

std::string range_text(double lo, double hi) {
  return "[" + format_double(lo) + ", " + format_double(hi) + "]";
}

// Decimal or scientific notation, optional sign, nothing else. std::from_chars, unlike
// strtod, ignores the locale and does not skip whitespace.
std::optional<double> parse_number(const std::string& text) {
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  double value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Exact for integer text; also takes integral numbers written as decimals ("1e4", "3.0").
// Fails on anything with a fraction. Sets `too_big` for integral values beyond int64.
std::optional<long long> parse_integer(const std::string& text, bool& too_big) {
  too_big = false;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  long long value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec == std::errc() && end == last) return value;
  std::optional<double> number = parse_number(text);
  if (!number || std::floor(*number) != *number) return std::nullopt;
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (std::fabs(*number) >= 9223372036854775808.0) {
    too_big = true;
    return std::nullopt;
  }
  return static_cast<long long>(*number);
}

template <class Int>
Int read_integer(const TreeNode& node, const std::string& path, const Range& range) {
  double lo = std::max(range.lo, static_cast<double>(std::numeric_limits<Int>::min()));
  double hi = std::min(range.hi, static_cast<double>(std::numeric_limits<Int>::max()));
  std::string expected = "expected an integer in " + range_text(lo, hi);
  if (node.kind != Kind::kScalar) fail(node.where, path + ": " + expected + ", got " + describe(node));
  bool too_big = false;
  std::optional<long long> value = parse_integer(node.scalar, too_big);
  if (!value && !too_big) fail(node.where, path + ": " + expected + ", got " + describe(node));
  if (too_big || static_cast<double>(*value) < lo || static_cast<double>(*value) > hi) {
    fail(node.where, path + ": " + node.scalar + " is out of range " + range_text(lo, hi));
  }
  return static_cast<Int>(*value);
}

double read_double(const TreeNode& node, const std::string& path, const Range& range) {
  std::string expected = "expected a number";
  if (is_bounded(range)) expected += " in " + range_text(range.lo, range.hi);
  if (node.kind != Kind::kScalar) fail(node.where, path + ": " + expected + ", got " + describe(node));
  std::optional<double> value = parse_number(node.scalar);
  if (!value) fail(node.where, path + ": " + expected + ", got " + describe(node));
  if (*value < range.lo || *value > range.hi) {
    fail(node.where, path + ": " + node.scalar + " is out of range " + range_text(range.lo, range.hi));
  }
  return *value;
}

// Lists: an empty value is an empty list; a scalar is not promoted to a one-element
// list, so a typo like `block: 2 4` cannot pass as something else.
template <class T, class ReadElement>
std::vector<T> read_list(const TreeNode& node, const std::string& path, ReadElement read) {
  if (node.kind == Kind::kNull) return {};
  if (node.kind != Kind::kSequence) {
    fail(node.where, path + ": expected a list such as [1, 2], got " + describe(node));
  }
  std::vector<T> out;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    out.push_back(read(node.items[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

// Names (fields and sections) directly inside one section, for the unknown-key check.
class ChildNames {
 public:
  template <class T, class... Constraint>
  void field(const std::string& key, T&, const std::string&, const Constraint&...) {
    names.push_back(key);
  }
  template <class Sub>
  void section(const std::string& key, Sub&, const std::string&) {
    names.push_back(key);
  }
  std::vector<std::string> names;
};

template <class Section>
void check_known_keys(const TreeNode& map, const std::string& prefix, Section& section) {
  ChildNames known;
  section.visit(known);
  for (const TreeNode::Entry& entry : map.entries) {
    if (std::find(known.names.begin(), known.names.end(), entry.key) != known.names.end()) {
      continue;
    }
    std::vector<std::string> siblings;
    for (const std::string& name : known.names) siblings.push_back(join_path(prefix, name));
    std::string path = join_path(prefix, entry.key);
    fail(entry.key_where, "unknown key '" + path + "'" + suggest_key(path, siblings));
  }
}

// Visits one section's fields; `map_` is the section's map, or nullptr when the recipe
// does not mention the section (every field keeps its default).
class TreeReader {
 public:
  TreeReader(const TreeNode* map, std::string prefix) : map_(map), prefix_(std::move(prefix)) {}

  void field(const std::string& key, bool& out, const std::string&) {
    const TreeNode* node = value_of(key);
    if (!node) return;
    const std::string& s = node->scalar;
    if (node->kind == Kind::kScalar && (s == "true" || s == "True" || s == "TRUE")) {
      out = true;
    } else if (node->kind == Kind::kScalar && (s == "false" || s == "False" || s == "FALSE")) {
      out = false;
    } else {
      fail(node->where, path(key) + ": expected true or false, got " + describe(*node));
    }
  }

  void field(const std::string& key, int& out, const std::string&, const Range& range) {
    if (const TreeNode* node = value_of(key)) out = read_integer<int>(*node, path(key), range);
  }

  void field(const std::string& key, std::int64_t& out, const std::string&, const Range& range) {
    if (const TreeNode* node = value_of(key)) {
      out = read_integer<std::int64_t>(*node, path(key), range);
    }
  }

  void field(const std::string& key, double& out, const std::string&, const Range& range) {
    if (const TreeNode* node = value_of(key)) out = read_double(*node, path(key), range);
  }

  void field(const std::string& key, std::string& out, const std::string&) {
    if (const TreeNode* node = value_of(key)) out = read_string(*node, path(key));
  }

  void field(const std::string& key, std::string& out, const std::string&,
             const Choices& choices) {
    const TreeNode* node = value_of(key);
    if (!node) return;
    std::string value = read_string(*node, path(key));
    const auto& allowed = choices.values;
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      fail(node->where, path(key) + ": '" + value + "' is not one of " + core::join(allowed, ", ") +
                            core::did_you_mean(value, allowed));
    }
    out = value;
  }

  void field(const std::string& key, std::vector<int>& out, const std::string&,
             const Range& range) {
    if (const TreeNode* node = value_of(key)) {
      out = read_list<int>(*node, path(key), [&](const TreeNode& item, const std::string& p) {
        return read_integer<int>(item, p, range);
      });
    }
  }

  void field(const std::string& key, std::vector<double>& out, const std::string&,
             const Range& range) {
    if (const TreeNode* node = value_of(key)) {
      out = read_list<double>(*node, path(key), [&](const TreeNode& item, const std::string& p) {
        return read_double(item, p, range);
      });
    }
  }

  template <class Sub>
  void section(const std::string& key, Sub& sub, const std::string&) {
    const TreeNode* node = value_of(key);
    if (!node || node->kind == Kind::kNull) return;  // an empty section sets nothing
    if (node->kind != Kind::kMap) {
      fail(node->where, path(key) + ": expected a section (a map of keys), got " + describe(*node));
    }
    check_known_keys(*node, path(key), sub);
    TreeReader inner(node, path(key));
    sub.visit(inner);
  }

 private:
  const TreeNode* value_of(const std::string& key) const {
    if (!map_) return nullptr;
    const TreeNode::Entry* entry = map_->find(key);
    return entry ? &entry->value : nullptr;
  }

  std::string path(const std::string& key) const { return join_path(prefix_, key); }

  static std::string read_string(const TreeNode& node, const std::string& path) {
    if (node.kind == Kind::kNull) return "";
    if (node.kind != Kind::kScalar) fail(node.where, path + ": expected a string, got " + describe(node));
    return node.scalar;
  }

  const TreeNode* map_;
  std::string prefix_;
};

}  // namespace

void read_recipe_tree(const TreeNode& root, Recipe& out) {
  check_known_keys(root, "", out);
  TreeReader reader(&root, "");
  out.visit(reader);
}

}  // namespace tinynas::config::detail
