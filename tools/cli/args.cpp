#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tinynas/core/text.h"

namespace tinynas::cli {

std::string ParsedArgs::get(const std::string& opt, const std::string& fallback) const {
  auto it = values.find(opt);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

long long ParsedArgs::get_int(const std::string& opt, long long fallback, long long lo,
                              long long hi) const {
  if (!has(opt)) return fallback;
  const std::string v = get(opt);
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi)
    throw UsageError(opt + ": expected an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], got '" + v + "'");
  return n;
}

double ParsedArgs::get_double(const std::string& opt, double fallback, double lo, double hi) const {
  if (!has(opt)) return fallback;
  const std::string v = get(opt);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
    throw UsageError(opt + ": expected a number in " + range + ", got '" + v + "'");
  }
  return x;
}

const std::vector<std::string>& ParsedArgs::all(const std::string& opt) const {
  static const std::vector<std::string> kNone;
  auto it = values.find(opt);
  return it == values.end() ? kNone : it->second;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& spec,
                      std::size_t min_positional, std::size_t max_positional) {
  ParsedArgs out;
  std::vector<std::string> names;
  for (const auto& s : spec) names.push_back(s.name);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 1 && a[0] == '-') {
      std::string name = a, value;
      bool inline_value = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inline_value = true;
      }
      const OptionSpec* s = nullptr;
      for (const auto& o : spec)
        if (o.name == name) s = &o;
      if (!s) throw UsageError("unknown option '" + name + "'" + core::did_you_mean(name, names));
      if (s->takes_value && !inline_value) {
        if (i + 1 >= args.size()) throw UsageError(name + " needs a value");
        value = args[++i];
      } else if (!s->takes_value && inline_value) {
        throw UsageError(name + " takes no value");
      }
      auto& slot = out.values[name];
      if (!slot.empty() && !s->repeatable) throw UsageError(name + " given more than once");
      slot.push_back(value);
    } else {
      out.positional.push_back(a);
    }
  }
  if (out.positional.size() < min_positional)
    throw UsageError("missing argument" + std::string(min_positional - out.positional.size() > 1 ? "s" : ""));
  if (out.positional.size() > max_positional)
    throw UsageError("unexpected argument '" + out.positional[max_positional] + "'");
  return out;
}

}  // namespace tinynas::cli
