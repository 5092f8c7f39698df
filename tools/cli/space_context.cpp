// Shared by the space and supernas commands (space_context.h).
#include "space_context.h"

#include <optional>

#include "tinynas/config/load.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/data/dataset.h"

namespace tinynas::cli {
namespace {

// "28x28x1" → {c=1, h=28, w=28}.
space::Shape parse_input(const std::string& text) {
  const auto parts = core::split(text, 'x');
  int v[3] = {0, 0, 0};
  bool ok = parts.size() == 3;
  for (std::size_t i = 0; ok && i < 3; ++i) {
    try {
      std::size_t used = 0;
      v[i] = std::stoi(parts[i], &used);
      ok = used == parts[i].size() && v[i] > 0 && v[i] <= 4096;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) throw UsageError("--input: expected HxWxC such as 28x28x1, got '" + text + "'");
  return space::Shape{v[2], v[0], v[1]};
}

void resolve_input(SpaceContext& ctx, const ParsedArgs& a) {
  const auto& d = ctx.recipe.data;
  std::optional<space::Shape> shape;
  int classes = 0;
  if (d.dataset == "fashion-mnist" || d.dataset == "mnist") {
    shape = space::Shape{1, 28, 28};
    classes = 10;
  } else if (d.dataset == "cifar10" || d.dataset == "cifar100") {
    shape = space::Shape{3, 32, 32};
    classes = d.dataset == "cifar10" ? 10 : 100;
  }
  if (a.has("--input")) shape = parse_input(a.get("--input"));
  if (a.has("--classes")) classes = int(a.get_int("--classes", 10, 2, 100000));
  if (!shape || classes == 0) {
    const auto sets = data::open_datasets(d, ctx.recipe.source);
    if (!shape) shape = space::Shape{sets.train.channels, sets.train.height, sets.train.width};
    if (classes == 0) classes = sets.train.num_classes;
  }
  ctx.input = *shape;
  ctx.classes = classes;
}

}  // namespace

SpaceContext load_space_context(const ParsedArgs& a) { return load_space_context(a.positional[0], a); }

SpaceContext load_space_context(const std::string& recipe_path, const ParsedArgs& a) {
  SpaceContext ctx;
  ctx.recipe = config::load_recipe(recipe_path, a.all("--set"));
  const std::string file = core::resolve_relative_to(ctx.recipe.source, ctx.recipe.space.file);
  ctx.def = space::load_space(file);
  resolve_input(ctx, a);
  ctx.limits = cost::limits_of(ctx.recipe);
  return ctx;
}

}  // namespace tinynas::cli
