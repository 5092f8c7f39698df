#include "tinynas/core/error.h"

namespace tinynas::core {

void fail_file(const std::string& path, const std::string& message) {
  throw Error(path + ": " + message);
}

void fail_at_offset(const std::string& path, std::uint64_t offset, const std::string& message) {
  throw Error(path + ": byte offset " + std::to_string(offset) + ": " + message);
}

void rethrow_with_context(const std::string& context, const std::exception& inner) {
  throw Error(context + ": " + inner.what());
}

std::string first_line(const std::exception& e) {
  std::string msg = e.what();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace tinynas::core
