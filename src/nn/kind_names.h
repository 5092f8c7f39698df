// Shared by the enum <-> string functions of the nn layer.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace tinynas::nn::detail {

/// The kind in `kinds` whose to_string is `name`; otherwise throws std::invalid_argument
/// "unknown <what> '<name>' (valid: a, b, c)".
template <class Kind, std::size_t N>
Kind kind_from_string(const std::string& name, const char* what, const Kind (&kinds)[N]) {
  std::string valid;
  for (Kind kind : kinds) {
    if (name == to_string(kind)) return kind;
    valid += (valid.empty() ? "" : ", ") + std::string(to_string(kind));
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + name + "' (valid: " + valid +
                              ")");
}

}  // namespace tinynas::nn::detail
