// Reading, overriding, validating and writing recipes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tinynas/config/recipe.h"

namespace tinynas::config {

/// Loads a recipe file and everything it builds on:
///  - `base: other.yaml` (path relative to the file that names it) is loaded first and the
///    file's own keys are merged over it: maps merge key by key, scalars and lists replace.
///    Chains are followed; a cycle is an error naming the files. An empty section
///    (`train:` with nothing under it) sets nothing, so it leaves the base's section as is.
///  - `overrides` are "a.b.c=value" strings (from `--set`), applied after the base chain;
///    the value is parsed as YAML (so `--set sparsenas.block=[2,4]` works). Only leaf keys
///    can be set; an empty value is an empty string or an empty list.
///  - Validation: an unknown key is an error naming the key path, the file and line, and a
///    did-you-mean; a wrong type or out-of-range value is an error naming the key path, the
///    value and what was expected (with file and line, or "--set" for overrides).
/// Throws core::Error with the full message.
Recipe load_recipe(const std::string& path, const std::vector<std::string>& overrides = {});

/// Same, from YAML text; `name` stands in for the file name in messages and `base:` paths
/// resolve against the current directory.
Recipe parse_recipe(const std::string& yaml_text, const std::string& name = "<recipe>",
                    const std::vector<std::string>& overrides = {});

/// Cross-field checks that a single field's range cannot express (e.g. normalize.mean and
/// normalize.std of equal length). Called by load_recipe/parse_recipe. Every problem
/// found is reported in one core::Error, joined by "; ".
void validate(const Recipe& recipe);

/// The fully resolved recipe as YAML: every section and field, with each field's doc as a
/// comment, in schema order; no `base:`. Strings are quoted only when needed, numbers
/// written in their shortest exact form, lists in flow style. parse_recipe(to_yaml(r))
/// reproduces r exactly (except `source`).
std::string to_yaml(const Recipe& recipe);

/// Every field as (dotted key path, value written as in to_yaml), in schema order; used to
/// compare two recipes key by key (e.g. a checkpoint's recipe against the current one).
std::vector<std::pair<std::string, std::string>> flat_values(const Recipe& recipe);

/// Every valid dotted key path ("train.epochs", "data.augment.hflip", ...), in schema order.
std::vector<std::string> key_paths();

/// Keys added to the schema after runs already existed, each with the value (as
/// flat_values writes it) that does what runs did before the key was there: what a recipe
/// saved without the key meant. Used wherever an old record meets a new schema (a stage's
/// fingerprint, a resume's recipe check), so the two cannot disagree.
const std::vector<std::pair<std::string, std::string>>& added_keys();

}  // namespace tinynas::config
