// Minimal argument parsing for the tinynas subcommands: declared options only, so a
// mistyped flag is an error with a suggestion instead of being silently ignored.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinynas::cli {

/// Wrong command-line usage; main() prints it with a pointer to --help and exits 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& m) : std::runtime_error(m) {}
};

struct OptionSpec {
  std::string name;         // "--set"
  bool takes_value = false;
  bool repeatable = false;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // option -> values ("" for flags)

  bool has(const std::string& opt) const { return values.count(opt) > 0; }
  /// The option's single value, or `fallback` when absent.
  std::string get(const std::string& opt, const std::string& fallback = "") const;
  /// The option's value as an integer in [lo, hi]; UsageError naming the option otherwise.
  long long get_int(const std::string& opt, long long fallback, long long lo, long long hi) const;
  /// The option's value as a finite number in [lo, hi]; UsageError naming the option otherwise.
  double get_double(const std::string& opt, double fallback, double lo, double hi) const;
  const std::vector<std::string>& all(const std::string& opt) const;
};

/// Parses `args` (without the subcommand words). Accepts "--opt value" and "--opt=value".
/// "-h"/"--help" must be handled by the caller before parsing.
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& spec,
                      std::size_t min_positional, std::size_t max_positional);

}  // namespace tinynas::cli
