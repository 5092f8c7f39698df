// Small string helpers shared by config parsing and the CLI.
#pragma once

#include <string>
#include <vector>

namespace tinynas::core {

/// Levenshtein distance (insert/delete/substitute, each cost 1).
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is plausibly a typo of it (distance at most
/// max(2, |word|/3)), else "". Used for "did you mean ...?" hints.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" when a close candidate exists, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// `s` without leading and trailing spaces, tabs, CR and LF.
std::string trim(const std::string& s);

/// Joins with a separator: join({"a","b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// Splits on a single character; keeps empty fields.
std::vector<std::string> split(const std::string& s, char sep);

/// Human-readable count: 1234567 -> "1.23M".
std::string human_count(double n);

/// One number through a printf format with a single double conversion:
/// format_number("%.1f%%", 12.34) == "12.3%". Output longer than 63 characters is cut.
std::string format_number(const char* format, double v);

}  // namespace tinynas::core
