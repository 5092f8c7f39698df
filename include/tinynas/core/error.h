// Errors with context. Every error that reaches a user names what was being read or
// done (file, key path, byte offset, index), so the CLI can print it as one line.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tinynas::core {

/// The one exception type of the project. `what()` is the full, user-facing message.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Error about a file: "<path>: <message>".
[[noreturn]] void fail_file(const std::string& path, const std::string& message);

/// Error about a position inside a file: "<path>: byte offset <offset>: <message>".
[[noreturn]] void fail_at_offset(const std::string& path, std::uint64_t offset,
                                 const std::string& message);

/// Prefixes an error from a nested step with what the caller was doing:
/// "<context>: <inner message>". Use in catch blocks to add context while unwinding.
[[noreturn]] void rethrow_with_context(const std::string& context, const std::exception& inner);

/// The first line of `e.what()`: LibTorch's errors append a multi-line backtrace that
/// does not belong in a one-line message.
std::string first_line(const std::exception& e);

}  // namespace tinynas::core
