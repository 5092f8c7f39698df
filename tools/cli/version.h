// The tinynas version, printed by --version and written into run reports: the CMake
// project's VERSION (the tinynas_version target defines TINYNAS_VERSION from it).
#pragma once

namespace tinynas::cli {

inline constexpr const char* kVersion = TINYNAS_VERSION;

}  // namespace tinynas::cli
