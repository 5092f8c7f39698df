// Captures the message of the core::Error a callable throws, for message assertions.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tinynas/core/error.h"

namespace tinynas::testing {

/// The what() of the core::Error `f` throws; records a test failure and returns "" if it
/// throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a core::Error";
  return "";
}

}  // namespace tinynas::testing
