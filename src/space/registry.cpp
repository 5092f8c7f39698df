#include "tinynas/space/registry.h"

#include <algorithm>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"

namespace tinynas::space {
namespace {

const Param& find_param(const BlockArgs& args, const std::string& name) {
  for (const auto& p : args.params)
    if (p.name == name) return p;
  throw core::Error(args.where + ": block '" + args.type + "' has no parameter '" + name + "'");
}

std::string kind_name(const Scalar& v) {
  if (std::holds_alternative<std::int64_t>(v)) return "an integer";
  if (std::holds_alternative<double>(v)) return "a number";
  if (std::holds_alternative<bool>(v)) return "true or false";
  return "a name";
}

}  // namespace

std::int64_t BlockArgs::get_int(const std::string& name) const {
  return std::get<std::int64_t>(find_param(*this, name).value);
}

double BlockArgs::get_real(const std::string& name) const {
  const Scalar& v = find_param(*this, name).value;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return double(*i);
  return std::get<double>(v);
}

bool BlockArgs::get_bool(const std::string& name) const {
  return std::get<bool>(find_param(*this, name).value);
}

std::string BlockArgs::get_text(const std::string& name) const {
  return std::get<std::string>(find_param(*this, name).value);
}

std::string BlockArgs::summary() const {
  std::vector<std::string> parts;
  for (const auto& p : params) parts.push_back(p.name + "=" + to_string(p.value));
  return type + (parts.empty() ? "" : "(" + core::join(parts, ", ") + ")");
}

void BlockRegistry::add(BlockType type) {
  if (contains(type.key)) throw core::Error("block type '" + type.key + "' registered twice");
  types_.push_back(std::move(type));
}

bool BlockRegistry::contains(const std::string& key) const {
  return std::any_of(types_.begin(), types_.end(), [&](const BlockType& t) { return t.key == key; });
}

std::vector<std::string> BlockRegistry::keys() const {
  std::vector<std::string> k;
  for (const auto& t : types_) k.push_back(t.key);
  return k;
}

const BlockType& BlockRegistry::at(const std::string& key, const std::string& where) const {
  for (const auto& t : types_)
    if (t.key == key) return t;
  throw core::Error((where.empty() ? "" : where + ": ") + "unknown block type '" + key + "'" +
                    core::did_you_mean(key, keys()) + "; valid types: " + core::join(keys(), ", "));
}

Scalar BlockRegistry::check_value(const ParamDef& def, Scalar v, const std::string& at_key) {
  // Integers are acceptable where a real number is expected, nothing else converts.
  if (std::holds_alternative<double>(def.default_value) && std::holds_alternative<std::int64_t>(v))
    v = double(std::get<std::int64_t>(v));
  if (v.index() != def.default_value.index())
    throw core::Error(at_key + ": expected " + kind_name(def.default_value) + ", got '" +
                      to_string(v) + "'");
  if (!def.allowed.empty() &&
      std::find(def.allowed.begin(), def.allowed.end(), std::get<std::string>(v)) ==
          def.allowed.end())
    throw core::Error(at_key + ": '" + to_string(v) + "' is not one of " +
                      core::join(def.allowed, ", ") +
                      core::did_you_mean(std::get<std::string>(v), def.allowed));
  if (const auto* i = std::get_if<std::int64_t>(&v); i && *i < 0)
    throw core::Error(at_key + ": must not be negative, got " + std::to_string(*i));
  return v;
}

BlockArgs BlockRegistry::resolve(const std::string& type, int in, int out,
                                 const std::vector<Param>& params,
                                 const std::string& where) const {
  const BlockType& bt = at(type, where);
  BlockArgs args;
  args.type = type;
  args.in = in;
  args.out = out;
  args.where = where;
  for (const auto& def : bt.params) {
    Scalar v = def.default_value;
    for (const auto& p : params)
      if (p.name == def.name) v = p.value;
    args.params.push_back({def.name, check_value(def, v, where + "." + def.name)});
  }
  for (const auto& p : params) {
    const bool known = std::any_of(bt.params.begin(), bt.params.end(),
                                   [&](const ParamDef& d) { return d.name == p.name; });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& d : bt.params) names.push_back(d.name);
      throw core::Error(where + ": block type '" + type + "' has no parameter '" + p.name + "'" +
                        core::did_you_mean(p.name, names));
    }
  }
  if (bt.same_channels && in != out)
    throw core::Error(where + ": block type '" + type + "' keeps its channels, but this block "
                      "goes from " + std::to_string(in) + " to " + std::to_string(out) +
                      " channels");
  return args;
}

}  // namespace tinynas::space
