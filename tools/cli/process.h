// What `tinynas launch` needs beyond core/process.h (children, exit statuses, signals): a
// free TCP port for the ranks' rendezvous.
#pragma once

#include <string>

namespace tinynas::cli {

/// A TCP port that was free on `addr` (numeric address or host name) a moment ago: binds
/// port 0 there, reads the port the kernel chose and closes the socket. Another process
/// may take it before it is used again. std::runtime_error when nothing can be bound.
int free_tcp_port(const std::string& addr);

}  // namespace tinynas::cli
