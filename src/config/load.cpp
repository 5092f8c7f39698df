#include "tinynas/config/load.h"

#include "tinynas/core/error.h"
#include "tree.h"

namespace tinynas::config {
namespace {

// Overrides, then the schema, then the cross-field checks. `name` prefixes validation
// messages (field errors carry their own file and line).
Recipe finish(detail::TreeNode tree, const std::vector<std::string>& overrides,
              const std::string& name) {
  for (const std::string& assignment : overrides) detail::apply_override(tree, assignment);
  Recipe recipe;
  detail::read_recipe_tree(tree, recipe);
  try {
    validate(recipe);
  } catch (const core::Error& e) {
    core::rethrow_with_context(name, e);
  }
  return recipe;
}

}  // namespace

Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  Recipe recipe = finish(detail::load_tree_file(path), overrides, path);
  recipe.source = path;
  return recipe;
}

Recipe parse_recipe(const std::string& yaml_text, const std::string& name,
                    const std::vector<std::string>& overrides) {
  return finish(detail::load_tree_text(yaml_text, name), overrides, name);
}

}  // namespace tinynas::config
