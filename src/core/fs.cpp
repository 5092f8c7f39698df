#include "tinynas/core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tinynas/core/error.h"

namespace tinynas::core {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes everything or throws; retries short writes and EINTR.
void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail_file(path, "cannot write: " + errno_text());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

std::vector<unsigned char> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_file(path, std::string("cannot open: ") + errno_text());
  std::vector<unsigned char> bytes;
  try {
    struct stat st{};
    if (::fstat(fd, &st) != 0) fail_file(path, "cannot stat: " + errno_text());
    if (S_ISDIR(st.st_mode)) fail_file(path, "is a directory, expected a file");
    // One sized read for regular files (datasets are hundreds of MB); grow as needed for
    // pipes and files that change size under us.
    // +1 so the read that reports end-of-file needs no extra growth.
    bytes.resize(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : 0);
    std::size_t used = 0;
    for (;;) {
      if (used == bytes.size()) bytes.resize(bytes.empty() ? 65536 : bytes.size() * 2);
      ssize_t r = ::read(fd, bytes.data() + used, bytes.size() - used);
      if (r < 0) {
        if (errno == EINTR) continue;
        fail_file(path, "read error: " + errno_text());
      }
      if (r == 0) break;
      used += static_cast<std::size_t>(r);
    }
    bytes.resize(used);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return bytes;
}

std::string read_text_file(const std::string& path) {
  auto bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) fail_file(path, "cannot create temporary file: " + errno_text());
  std::string tmp(name.data());
  try {
    write_all(fd, static_cast<const char*>(data), size, tmp);
    if (::fsync(fd) != 0) fail_file(tmp, "fsync failed: " + errno_text());
    // mkstemp creates 0600; results are ordinary user files.
    ::fchmod(fd, 0644);
    if (::close(fd) != 0) {
      fd = -1;
      fail_file(tmp, "close failed: " + errno_text());
    }
    fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      fail_file(path, "cannot rename temporary file into place: " + errno_text());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);  // makes the rename durable; best effort on filesystems that refuse
    ::close(dfd);
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

bool is_atomic_temporary(const std::string& name) {
  const std::string mid = ".tmp.";
  const std::size_t suffix = mid.size() + 6;
  // "." + at least one character of the target's name + ".tmp.XXXXXX"
  if (name.size() < 2 + suffix || name[0] != '.') return false;
  if (name.compare(name.size() - suffix, mid.size(), mid) != 0) return false;
  for (std::size_t i = name.size() - 6; i < name.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

std::vector<std::string> remove_atomic_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!is_atomic_temporary(e.path().filename().string()) || !e.is_regular_file(ec)) continue;
    if (fs::remove(e.path(), ec)) removed.push_back(e.path().string());
  }
  return removed;
}

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::string resolve_relative_to(const std::string& file, const std::string& relative) {
  std::filesystem::path rel(relative);
  if (rel.is_absolute() || relative.empty()) return relative;
  std::filesystem::path base = std::filesystem::path(file).parent_path();
  return (base / rel).lexically_normal().string();
}

}  // namespace tinynas::core
