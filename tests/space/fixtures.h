// Shared helpers of the space tests: the shipped space files and small layouts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"

namespace tinynas::testing {

inline std::string source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

/// Every space file under recipes/spaces/, sorted.
inline std::vector<std::string> shipped_spaces() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/recipes/spaces"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline space::SupernetLayout default_layout(const space::SpaceDef& s,
                                            space::Shape input = {1, 28, 28}, int classes = 10) {
  return space::make_layout(s, space::default_supernet(s), input, classes);
}

}  // namespace tinynas::testing
