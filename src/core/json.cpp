#include "tinynas/core/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <unordered_set>

#include "tinynas/core/error.h"

namespace tinynas::core {
namespace {

constexpr std::uint64_t kInt64Max =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

std::int64_t checked_int(unsigned long long v) {
  if (v > kInt64Max) {
    throw Error("JSON integer " + std::to_string(v) +
                " does not fit in int64 (store it with Json::from_uint64)");
  }
  return static_cast<std::int64_t>(v);
}

// Shortest %.Ng (N from 6) that reads back exactly; %.17g always does.
std::string format_double(double d) {
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void append_string(std::string& out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// indent < 0: compact. Otherwise one member/element per line.
void write(std::string& out, const Json& v, int indent, int level) {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(lvl), ' ');
  };
  switch (v.type()) {
    case Json::Type::Null: out += "null"; break;
    case Json::Type::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Json::Type::Int: out += std::to_string(v.as_int()); break;
    case Json::Type::Double: {
      const double d = v.as_double();
      out += std::isfinite(d) ? format_double(d) : "null";
      break;
    }
    case Json::Type::String: append_string(out, v.as_string()); break;
    case Json::Type::Array: {
      const auto& elements = v.elements();
      out += '[';
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        write(out, elements[i], indent, level + 1);
      }
      if (!elements.empty()) newline(level);
      out += ']';
      break;
    }
    case Json::Type::Object: {
      const auto& members = v.items();
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        append_string(out, members[i].first);
        out += indent < 0 ? ":" : ": ";
        write(out, members[i].second, indent, level + 1);
      }
      if (!members.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

// ---- Construction ----

Json::Json() = default;
Json::Json(std::nullptr_t) {}
Json::Json(bool b) : type_(Type::Bool), bool_(b) {}
Json::Json(int v) : type_(Type::Int), int_(v) {}
Json::Json(long v) : type_(Type::Int), int_(v) {}
Json::Json(long long v) : type_(Type::Int), int_(v) {}
Json::Json(unsigned v) : type_(Type::Int), int_(v) {}
Json::Json(unsigned long v) : type_(Type::Int), int_(checked_int(v)) {}
Json::Json(unsigned long long v) : type_(Type::Int), int_(checked_int(v)) {}
Json::Json(double v) : type_(Type::Double), double_(v) {}
Json::Json(const char* s) {
  if (s) {
    type_ = Type::String;
    string_ = s;
  }
}
Json::Json(std::string s) : type_(Type::String), string_(std::move(s)) {}

Json Json::array() {
  Json j;
  j.type_ = Type::Array;
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

Json Json::from_uint64(std::uint64_t v) { return Json(std::to_string(v)); }

const char* Json::type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::Double: return "double";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

void Json::type_error(const char* expected) const {
  throw Error(std::string("JSON value: expected ") + expected + ", got " + type_name(type_));
}

// ---- Object ----

Json& Json::operator[](const std::string& key) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error("object");
  if (const Json* v = find(key)) return const_cast<Json&>(*v);
  object_.emplace_back(key, Json());
  return object_.back().second;
}

const Json& Json::operator[](const std::string& key) const { return at(key); }

const Json& Json::at(const std::string& key) const {
  if (type_ != Type::Object) type_error("object");
  if (const Json* v = find(key)) return *v;
  throw Error("JSON object: missing key '" + key + "'");
}

Json& Json::at(const std::string& key) {
  return const_cast<Json&>(static_cast<const Json&>(*this).at(key));
}

const Json* Json::find(const std::string& key) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& m : object_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

bool Json::contains(const std::string& key) const { return find(key) != nullptr; }

bool Json::erase(const std::string& key) {
  if (type_ != Type::Object) return false;
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (it->first == key) {
      object_.erase(it);
      return true;
    }
  return false;
}

const Json::Members& Json::items() const {
  if (type_ != Type::Object) type_error("object");
  return object_;
}

// ---- Array ----

void Json::push_back(Json v) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ != Type::Array) type_error("array");
  array_.push_back(std::move(v));
}

std::size_t Json::size() const {
  switch (type_) {
    case Type::Null: return 0;
    case Type::Array: return array_.size();
    case Type::Object: return object_.size();
    default: type_error("array or object");
  }
}

const Json& Json::operator[](std::size_t i) const {
  if (type_ != Type::Array) type_error("array");
  if (i >= array_.size()) {
    throw Error("JSON array: index " + std::to_string(i) + " out of range (size " +
                std::to_string(array_.size()) + ")");
  }
  return array_[i];
}

Json& Json::operator[](std::size_t i) {
  return const_cast<Json&>(static_cast<const Json&>(*this)[i]);
}

const std::vector<Json>& Json::elements() const {
  if (type_ != Type::Array) type_error("array");
  return array_;
}

// ---- Typed access ----

bool Json::as_bool() const {
  if (type_ != Type::Bool) type_error("bool");
  return bool_;
}

std::int64_t Json::as_int() const {
  if (type_ == Type::Int) return int_;
  if (type_ != Type::Double) type_error("int");
  // 2^63 is exact as a double; the int64 range is [-2^63, 2^63).
  const double limit = 9223372036854775808.0;
  if (std::trunc(double_) != double_ || double_ < -limit || double_ >= limit) {
    throw Error("JSON value: expected int, got double " + format_double(double_));
  }
  return static_cast<std::int64_t>(double_);
}

double Json::as_double() const {
  if (type_ == Type::Int) return static_cast<double>(int_);
  if (type_ != Type::Double) type_error("double");
  return double_;
}

const std::string& Json::as_string() const {
  if (type_ != Type::String) type_error("string");
  return string_;
}

std::uint64_t Json::as_uint64() const {
  if (type_ == Type::Int) {
    if (int_ < 0) {
      throw Error("JSON value: expected uint64, got negative int " + std::to_string(int_));
    }
    return static_cast<std::uint64_t>(int_);
  }
  if (type_ != Type::String) type_error("uint64 (decimal string or int)");
  std::uint64_t v = 0;
  const char* first = string_.data();
  const char* last = first + string_.size();
  // Digits only: no sign, no spaces. from_chars then catches values above UINT64_MAX.
  const bool digits_only =
      !string_.empty() && string_.find_first_not_of("0123456789") == std::string::npos;
  const auto r = std::from_chars(first, last, v);
  if (!digits_only || r.ec != std::errc() || r.ptr != last) {
    throw Error("JSON value: expected uint64 as a decimal string, got \"" + string_ + "\"");
  }
  return v;
}

// ---- Text ----

std::string Json::dump() const {
  std::string out;
  write(out, *this, -1, 0);
  return out;
}

std::string Json::dump_pretty(int indent) const {
  std::string out;
  write(out, *this, indent < 0 ? 0 : indent, 0);
  return out;
}

bool Json::operator==(const Json& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == other.bool_;
    case Type::Int: return int_ == other.int_;
    case Type::Double: return double_ == other.double_;
    case Type::String: return string_ == other.string_;
    case Type::Array: return array_ == other.array_;
    case Type::Object: {
      if (object_.size() != other.object_.size()) return false;
      for (const auto& m : object_) {
        const Json* o = other.find(m.first);
        if (!o || !(*o == m.second)) return false;
      }
      return true;
    }
  }
  return false;
}

// ---- Parser ----

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  Json parse_document() {
    skip_whitespace();
    Json v = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) {
      fail(pos_, "expected end of input after the JSON value, got " + found());
    }
    return v;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    fail_at_offset(source_, at, what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // What sits at the current position, for "expected X, got Y" messages.
  std::string found() const {
    if (at_end()) return "end of input";
    const auto c = static_cast<unsigned char>(peek());
    if (c >= 0x20 && c < 0x7F) return std::string("'") + peek() + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
  }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  void expect_literal(const char* word, std::size_t length) {
    if (text_.compare(pos_, length, word) != 0) {
      fail(pos_, std::string("expected a JSON value (a misspelt '") + word + "'?)");
    }
    pos_ += length;
  }

  Json parse_value(int depth) {
    if (at_end()) fail(pos_, "expected a JSON value, got end of input");
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Json(parse_string());
      case 't': expect_literal("true", 4); return Json(true);
      case 'f': expect_literal("false", 5); return Json(false);
      case 'n': expect_literal("null", 4); return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail(pos_, "expected a JSON value, got " + found());
    }
  }

  void check_depth(int depth) const {
    if (depth > Json::kMaxDepth) {
      fail(pos_, "nesting deeper than " + std::to_string(Json::kMaxDepth) + " arrays/objects");
    }
  }

  Json parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Json result = Json::array();
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return result;
    }
    for (;;) {
      skip_whitespace();
      result.array_.push_back(parse_value(depth));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
      } else if (!at_end() && peek() == ']') {
        ++pos_;
        return result;
      } else {
        fail(pos_, "expected ',' or ']' after an array element, got " + found());
      }
    }
  }

  Json parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Json result = Json::object();
    std::unordered_set<std::string> keys;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return result;
    }
    for (;;) {
      skip_whitespace();
      if (at_end() || peek() != '"') fail(pos_, "expected a string key, got " + found());
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) fail(key_pos, "duplicate key '" + key + "'");
      skip_whitespace();
      if (at_end() || peek() != ':') {
        fail(pos_, "expected ':' after key '" + key + "', got " + found());
      }
      ++pos_;
      skip_whitespace();
      Json value = parse_value(depth);
      result.object_.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
      } else if (!at_end() && peek() == '}') {
        ++pos_;
        return result;
      } else {
        fail(pos_, "expected ',' or '}' after an object member, got " + found());
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void digits(const char* after) {
    if (at_end() || !is_digit(peek())) {
      fail(pos_, std::string("expected a digit ") + after + ", got " + found());
    }
    while (!at_end() && is_digit(peek())) ++pos_;
  }

  Json parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!at_end() && peek() == '0') {
      ++pos_;
      if (!at_end() && is_digit(peek())) fail(pos_, "leading zeros are not allowed in numbers");
    } else {
      digits("after '-'");  // without a '-' the first digit is already known to be there
    }
    bool integral = true;
    if (!at_end() && peek() == '.') {
      ++pos_;
      digits("after '.'");
      integral = false;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      digits("in the exponent");
      integral = false;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t v = 0;
      const auto r = std::from_chars(first, last, v);
      if (r.ec == std::errc() && r.ptr == last) return Json(v);
    }
    // A copy, so strtod sees exactly the validated text (it would read "0x1" as hex).
    const std::string number(first, last);
    const double d = std::strtod(number.c_str(), nullptr);
    if (!std::isfinite(d)) fail(start, "number " + number + " is out of the double range");
    return Json(d);
  }

  unsigned hex4() {
    if (text_.size() - pos_ < 4) fail(pos_, "expected 4 hex digits after \\u, got end of input");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = peek();
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else fail(pos_, "expected 4 hex digits after \\u, got " + found());
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // At a '\\' + 'u': one code point, joining a UTF-16 surrogate pair.
  unsigned unicode_escape() {
    const std::size_t escape_pos = pos_;
    pos_ += 2;
    const unsigned unit = hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      fail(escape_pos, "unpaired UTF-16 low surrogate in \\u escape");
    }
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (text_.compare(pos_, 2, "\\u") != 0) {
      fail(pos_, "expected a \\u low surrogate after the high surrogate at byte offset " +
                     std::to_string(escape_pos));
    }
    const std::size_t low_pos = pos_;
    pos_ += 2;
    const unsigned low = hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail(low_pos, "expected a \\u low surrogate (DC00-DFFF)");
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  std::string parse_string() {
    const std::size_t open = pos_;
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (at_end()) {
        fail(pos_, "unterminated string (opened at byte offset " + std::to_string(open) + ")");
      }
      const char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail(pos_, "control character " + found() + " in a string must be escaped");
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) {
        fail(pos_ + 1, "expected an escape character, got end of input");
      }
      const char e = text_[pos_ + 1];
      if (e == 'u') {
        append_utf8(out, unicode_escape());
        continue;
      }
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        default:
          fail(pos_, "invalid escape '\\" + std::string(1, e) +
                         "' (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      pos_ += 2;
    }
  }

  const std::string& text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

Json Json::parse(const std::string& text, const std::string& source) {
  return JsonParser(text, source).parse_document();
}

}  // namespace tinynas::core
