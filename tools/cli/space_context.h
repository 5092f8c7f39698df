// What the commands that work on a recipe's search space without training share: the
// recipe, its space file, the input shape and class count, and the MCU limits.
#pragma once
#include <string>

#include "args.h"
#include "tinynas/config/recipe.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/space/graph.h"
#include "tinynas/space/space.h"

namespace tinynas::cli {

struct SpaceContext {
  config::Recipe recipe;
  space::SpaceDef def;
  space::Shape input;
  int classes = 0;
  cost::Limits limits;
};

/// Loads positional[0] as the recipe (with --set overrides) and its space file. The input
/// shape and class count come from --input HxWxC / --classes K when given, else are known
/// for the built-in datasets, else (image folders) are read from the dataset itself.
SpaceContext load_space_context(const ParsedArgs& a);
/// The same for the recipe at `recipe_path` (commands that take several).
SpaceContext load_space_context(const std::string& recipe_path, const ParsedArgs& a);

}  // namespace tinynas::cli
