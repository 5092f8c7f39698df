// Key listing: the schema's dotted paths, for overrides, did-you-mean and key_paths().
#include "tinynas/config/load.h"
#include "tinynas/core/text.h"
#include "tree.h"

namespace tinynas::config {
namespace detail {
namespace {

class KeyLister {
 public:
  KeyLister(SchemaKeys& keys, std::string prefix) : keys_(keys), prefix_(std::move(prefix)) {}

  template <class T, class... Constraint>
  void field(const std::string& key, T&, const std::string&, const Constraint&...) {
    keys_.leaves.push_back(prefix_ + key);
  }

  template <class Sub>
  void section(const std::string& key, Sub& sub, const std::string&) {
    keys_.sections.push_back(prefix_ + key);
    KeyLister inner(keys_, prefix_ + key + ".");
    sub.visit(inner);
  }

 private:
  SchemaKeys& keys_;
  std::string prefix_;
};

std::string last_component(const std::string& path) {
  std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

}  // namespace

SchemaKeys schema_keys() {
  SchemaKeys keys;
  Recipe recipe;
  KeyLister lister(keys, "");
  recipe.visit(lister);
  return keys;
}

std::string suggest_key(const std::string& path, const std::vector<std::string>& siblings) {
  std::string hint = core::did_you_mean(path, siblings);
  if (!hint.empty()) return hint;

  // The right name in the wrong place, e.g. `hflip` under train instead of data.augment.
  const std::string name = last_component(path);
  SchemaKeys keys = schema_keys();
  std::vector<std::string> same_name;
  for (const auto* list : {&keys.leaves, &keys.sections}) {
    for (const std::string& candidate : *list) {
      if (candidate != path && last_component(candidate) == name) {
        same_name.push_back("'" + candidate + "'");
      }
    }
  }
  if (same_name.empty()) return "";
  return " (did you mean " + core::join(same_name, " or ") + "?)";
}

}  // namespace detail

std::vector<std::string> key_paths() { return detail::schema_keys().leaves; }

}  // namespace tinynas::config
