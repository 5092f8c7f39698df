// A small JSON value with a compact writer and a strict RFC 8259 parser. Used for
// metrics.jsonl lines and checkpoint sidecars: documents are small, so objects keep their
// members in a plain vector (insertion order, linear lookup) and the writer output is
// stable byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tinynas::core {

class JsonParser;

/// One JSON value: null, bool, int (int64), double, string, array or object.
///
/// Ints and doubles are distinct types: 1 and 1.0 are different values, and dump()
/// writes doubles so that they parse back as doubles (1.0, 1e+20). Unsigned 64-bit
/// values such as RNG states do not fit an int64 and lose bits as a double; store them
/// with from_uint64() (a decimal string) and read them with as_uint64().
///
/// Numbers are written and read in the "C" locale's format; tinynas never calls
/// setlocale, so LC_NUMERIC stays "C".
class Json {
 public:
  enum class Type { Null, Bool, Int, Double, String, Array, Object };
  using Members = std::vector<std::pair<std::string, Json>>;

  /// Null.
  Json();
  Json(std::nullptr_t);
  Json(bool b);
  /// Int. Unsigned values above INT64_MAX throw core::Error (use from_uint64 for those).
  Json(int v);
  Json(long v);
  Json(long long v);
  Json(unsigned v);
  Json(unsigned long v);
  Json(unsigned long long v);
  /// Double. NaN and infinities are kept in memory but written as null.
  Json(double v);
  /// String (UTF-8 expected, not checked). A null `const char*` gives a null value.
  Json(const char* s);
  Json(std::string s);

  /// An empty array / object (a default Json is null, not empty).
  static Json array();
  static Json object();

  /// An unsigned 64-bit value stored losslessly as its decimal string, e.g.
  /// "18446744073709551615". The value is a String: as_uint64() reads it back, and it
  /// survives dump()/parse() exactly.
  static Json from_uint64(std::uint64_t v);

  /// "null", "bool", "int", "double", "string", "array", "object".
  static const char* type_name(Type t);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_double() const { return type_ == Type::Double; }
  /// Int or Double.
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // ---- Object ----

  /// The member named `key`, appended as null when missing. A null value first turns
  /// into an empty object; any other non-object throws core::Error.
  Json& operator[](const std::string& key);
  /// Same as at(key): a const value never grows.
  const Json& operator[](const std::string& key) const;
  /// The member named `key`; throws core::Error "missing key 'key'" when absent, or a
  /// type error when this is not an object.
  const Json& at(const std::string& key) const;
  Json& at(const std::string& key);
  /// The member named `key`, or nullptr when absent or when this is not an object.
  const Json* find(const std::string& key) const;
  /// True when this is an object with a member named `key`.
  bool contains(const std::string& key) const;
  /// Removes the member named `key`; true when there was one (false for non-objects).
  bool erase(const std::string& key);
  /// Object members in insertion order. Throws core::Error when not an object.
  const Members& items() const;

  // ---- Array ----

  /// Appends `v`. A null value first turns into an empty array; any other non-array
  /// throws core::Error.
  void push_back(Json v);
  /// Number of array elements or object members; 0 for null; core::Error otherwise.
  std::size_t size() const;
  /// Element `i` of an array. Bounds-checked: throws core::Error when out of range or
  /// when this is not an array (arrays never grow through operator[]).
  const Json& operator[](std::size_t i) const;
  Json& operator[](std::size_t i);
  /// Array elements in order. Throws core::Error when not an array.
  const std::vector<Json>& elements() const;

  // ---- Typed access: core::Error "expected <type>, got <type> ..." on mismatch ----

  bool as_bool() const;
  /// Int, or a Double with an integral value inside the int64 range.
  std::int64_t as_int() const;
  /// Double, or an Int (converted).
  double as_double() const;
  const std::string& as_string() const;
  /// A String of decimal digits within the uint64 range (the from_uint64 form), or a
  /// non-negative Int. Anything else throws core::Error.
  std::uint64_t as_uint64() const;

  // ---- Text ----

  /// Compact one-line JSON: {"a":1,"b":[1,2.5],"c":"x"}. Object members in insertion
  /// order. Doubles use the shortest of %.6g..%.17g that reads back to the same value
  /// and always look like doubles (1.0 not 1); NaN/Inf become null. Strings escape '"',
  /// '\\' and control characters (\n, \t, ... or \u00XX); other bytes, UTF-8 included,
  /// pass through unchanged.
  std::string dump() const;
  /// Multi-line form for files people read: `indent` spaces per level, "key": value.
  /// Same number and string formatting as dump().
  std::string dump_pretty(int indent = 2) const;

  /// Parses one JSON text (RFC 8259), surrounded by optional whitespace. Numbers without
  /// fraction or exponent that fit an int64 become Int, all others Double (a number too
  /// large for a double is an error). \uXXXX escapes, surrogate pairs included, become
  /// UTF-8; raw bytes >= 0x80 pass through unchecked. Duplicate object keys and nesting
  /// deeper than 512 arrays/objects are errors. Errors are core::Error
  /// "<source>: byte offset N: <what was expected>" with a 0-based offset into `text`.
  static Json parse(const std::string& text, const std::string& source = "<json>");

  /// Deep equality. Types must match (Int 1 != Double 1.0); objects compare as sets of
  /// members (order ignored); doubles compare with ==, so NaN != NaN.
  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

  /// Nesting limit of parse().
  static constexpr int kMaxDepth = 512;

 private:
  friend class JsonParser;

  [[noreturn]] void type_error(const char* expected) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  std::vector<Json> array_;
  Members object_;
};

}  // namespace tinynas::core
