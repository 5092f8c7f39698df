// The struct -> YAML visitor. Text is built by hand rather than with YAML::Emitter so
// that every field gets its doc as a trailing comment and numbers are written in their
// shortest exact form.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "tinynas/config/load.h"
#include "tree.h"

namespace tinynas::config {
namespace detail {

std::string format_double(double v) {
  char buf[64];
  if (v == 0) return "0";  // also folds -0
  if (std::fabs(v) < 1e15 && std::floor(v) == v) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, ec == std::errc() ? end : buf);
  }
  // Without a precision, to_chars writes the shortest text that reads back exactly.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

namespace {

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '/';
}

// Words that YAML 1.1 or 1.2 readers take as booleans or null when written plain.
bool is_reserved_word(const std::string& s) {
  static const char* const kWords[] = {
      "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no",  "No",
      "NO",   "on",   "On",   "ON",    "off",   "Off",   "OFF", "y",   "Y",   "n",   "N",
      "null", "Null", "NULL"};
  for (const char* word : kWords) {
    if (s == word) return true;
  }
  return false;
}

// Plain when unambiguous (starts with a letter, '_' or '/', so never a number, and is
// not a reserved word); double-quoted with escapes otherwise.
std::string quote(const std::string& s) {
  bool plain = !s.empty() && !is_reserved_word(s) &&
               ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' ||
                s[0] == '/');
  for (char c : s) plain = plain && is_plain_char(c);
  if (plain) return s;

  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\x%02x", u);
          out += esc;
        } else {
          out += c;  // UTF-8 passes through
        }
    }
  }
  return out + "\"";
}

template <class T, class Format>
std::string flow_list(const std::vector<T>& values, Format format) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += format(values[i]);
  }
  return out + "]";
}

class YamlWriter {
 public:
  void field(const std::string& key, bool& v, const std::string& doc) {
    line(key, v ? "true" : "false", doc);
  }
  void field(const std::string& key, int& v, const std::string& doc, const Range&) {
    line(key, std::to_string(v), doc);
  }
  void field(const std::string& key, std::int64_t& v, const std::string& doc, const Range&) {
    line(key, std::to_string(v), doc);
  }
  void field(const std::string& key, double& v, const std::string& doc, const Range&) {
    line(key, format_double(v), doc);
  }
  void field(const std::string& key, std::string& v, const std::string& doc) {
    line(key, quote(v), doc);
  }
  void field(const std::string& key, std::string& v, const std::string& doc, const Choices&) {
    line(key, quote(v), doc);
  }
  void field(const std::string& key, std::vector<int>& v, const std::string& doc, const Range&) {
    line(key, flow_list(v, [](int x) { return std::to_string(x); }), doc);
  }
  void field(const std::string& key, std::vector<double>& v, const std::string& doc,
             const Range&) {
    line(key, flow_list(v, [](double x) { return format_double(x); }), doc);
  }

  template <class Sub>
  void section(const std::string& key, Sub& sub, const std::string& doc) {
    if (depth_ == 0 && !out_.empty()) out_ += "\n";
    out_ += indent() + key + ":" + comment(doc) + "\n";
    prefix_.push_back(key);
    ++depth_;
    sub.visit(*this);
    --depth_;
    prefix_.pop_back();
  }

  std::string take() { return std::move(out_); }
  std::vector<std::pair<std::string, std::string>> take_flat() { return std::move(flat_); }

 private:
  void line(const std::string& key, const std::string& value, const std::string& doc) {
    out_ += indent() + key + ": " + value + comment(doc) + "\n";
    std::string path;
    for (const auto& p : prefix_) path += p + ".";
    flat_.emplace_back(path + key, value);
  }

  std::string indent() const { return std::string(2 * static_cast<std::size_t>(depth_), ' '); }

  static std::string comment(const std::string& doc) {
    if (doc.empty()) return "";
    std::string one_line = doc;
    for (char& c : one_line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return "  # " + one_line;
  }

  std::string out_;
  int depth_ = 0;
  std::vector<std::string> prefix_;
  std::vector<std::pair<std::string, std::string>> flat_;
};

}  // namespace
}  // namespace detail

std::string to_yaml(const Recipe& recipe) {
  Recipe copy = recipe;  // visit() takes fields by mutable reference
  detail::YamlWriter writer;
  copy.visit(writer);
  return writer.take();
}

std::vector<std::pair<std::string, std::string>> flat_values(const Recipe& recipe) {
  Recipe copy = recipe;
  detail::YamlWriter writer;
  copy.visit(writer);
  return writer.take_flat();
}

}  // namespace tinynas::config
