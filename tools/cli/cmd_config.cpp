// tinynas config show RECIPE [--set KEY=VALUE]...
#include <iostream>

#include "args.h"
#include "command.h"
#include "tinynas/config/load.h"

namespace tinynas::cli {

Command config_show_command() {
  Command c;
  c.words = {"config", "show"};
  c.synopsis = "RECIPE [--set KEY=VALUE]...";
  c.summary = "print the fully resolved recipe (base files, defaults and overrides applied)";
  c.help =
      "Loads RECIPE and the chain of files it names with 'base:', applies the overrides and\n"
      "prints every key of every section, commented. The output is itself a valid recipe.\n\n"
      "options:\n"
      "  --set KEY=VALUE   override a key, e.g. --set train.epochs=3 or\n"
      "                    --set sparsenas.block=[2,4] (repeatable; applied in order)\n";
  c.run = [](const std::vector<std::string>& args) {
    auto a = parse_args(args, {{"--set", true, true}}, 1, 1);
    auto recipe = config::load_recipe(a.positional[0], a.all("--set"));
    std::cout << config::to_yaml(recipe);
    return 0;
  };
  return c;
}

}  // namespace tinynas::cli
