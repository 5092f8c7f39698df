#include <cctype>
#include <cmath>
#include <sstream>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"
#include "tinynas/space/space.h"

namespace tinynas::space {

std::string to_string(const Scalar& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  std::ostringstream os;
  os << std::get<double>(v);
  return os.str();
}

std::int64_t SupernetConfig::value(const SpaceDef& space, const std::string& name) const {
  for (std::size_t i = 0; i < space.hyper.size(); ++i)
    if (space.hyper[i].name == name) return values.at(i);
  throw core::Error(space.source + ": unknown hyper-parameter '" + name + "'");
}

SupernetConfig default_supernet(const SpaceDef& space) {
  SupernetConfig c{space.id, {}};
  for (const auto& h : space.hyper) c.values.push_back(h.default_value);
  return c;
}

std::string to_string(const SupernetConfig& config, const SpaceDef& space) {
  std::string s = space.id + "{";
  for (std::size_t i = 0; i < space.hyper.size(); ++i) {
    if (i) s += ",";
    s += space.hyper[i].name + "=" + std::to_string(config.values.at(i));
  }
  return s + "}";
}

SupernetConfig parse_supernet(const std::string& text, const SpaceDef& space) {
  auto fail = [&](std::size_t pos, const std::string& msg) -> void {
    throw core::Error("supernet '" + text + "': position " + std::to_string(pos + 1) + ": " +
                      msg);
  };
  SupernetConfig c = default_supernet(space);
  std::size_t pos = 0;
  std::size_t end = text.size();
  const std::size_t brace = text.find('{');
  if (brace != std::string::npos) {
    const std::string id = text.substr(0, brace);
    if (id != space.id) fail(0, "space id '" + id + "', but the space is '" + space.id + "'");
    if (text.empty() || text.back() != '}') fail(text.size() - 1, "expected '}' at the end");
    pos = brace + 1;
    end = text.size() - 1;
  }
  std::vector<std::string> names;
  for (const auto& h : space.hyper) names.push_back(h.name);
  std::vector<bool> seen(space.hyper.size(), false);
  while (pos < end) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string::npos || comma > end) comma = end;
    const std::string item = text.substr(pos, comma - pos);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) fail(pos, "expected name=value, got '" + item + "'");
    const std::string name = core::trim(item.substr(0, eq));
    const std::string value = core::trim(item.substr(eq + 1));
    std::size_t idx = space.hyper.size();
    for (std::size_t i = 0; i < space.hyper.size(); ++i)
      if (space.hyper[i].name == name) idx = i;
    if (idx == space.hyper.size())
      fail(pos, "unknown hyper-parameter '" + name + "'" + core::did_you_mean(name, names) +
                    "; the space has: " + core::join(names, ", "));
    if (seen[idx]) fail(pos, "'" + name + "' given twice");
    seen[idx] = true;
    std::int64_t v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      fail(pos + eq + 1, "'" + value + "' is not an integer");
    }
    const auto& ch = space.hyper[idx].choices;
    if (std::find(ch.begin(), ch.end(), v) == ch.end()) {
      std::vector<std::string> vs;
      for (auto x : ch) vs.push_back(std::to_string(x));
      fail(pos + eq + 1, name + "=" + value + " is not one of its choices {" +
                             core::join(vs, ", ") + "}");
    }
    c.values[idx] = v;
    pos = comma + 1;
  }
  return c;
}

double supernet_count(const SpaceDef& space) {
  double n = 1;
  for (const auto& h : space.hyper) n *= double(h.choices.size());
  return n;
}

}  // namespace tinynas::space
