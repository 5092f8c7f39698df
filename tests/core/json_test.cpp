#include "tinynas/core/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tinynas/core/error.h"

using namespace tinynas::core;

namespace {

// The message of the core::Error thrown by `f`, or "" when it does not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { Json::parse(text, "m.json"); });
}

}  // namespace

TEST(Json, BuildAndDumpCompact) {
  Json j;
  EXPECT_TRUE(j.is_null());
  j["a"] = 1;
  j["b"].push_back(1);
  j["b"].push_back(2.5);
  j["c"] = "x";
  j["d"] = nullptr;
  j["e"] = true;
  j["f"] = Json::object();
  j["g"] = Json::array();
  EXPECT_TRUE(j.is_object());
  EXPECT_EQ(j.dump(), R"({"a":1,"b":[1,2.5],"c":"x","d":null,"e":true,"f":{},"g":[]})");
  // Insertion order is kept, and re-assigning a key keeps its place.
  j["a"] = 2;
  EXPECT_EQ(j.items().front().first, "a");
  EXPECT_EQ(j.at("a").as_int(), 2);
  EXPECT_EQ(j.size(), 7u);
  EXPECT_TRUE(j.erase("c"));
  EXPECT_FALSE(j.erase("c"));
  EXPECT_EQ(j.dump(), R"({"a":2,"b":[1,2.5],"d":null,"e":true,"f":{},"g":[]})");
  EXPECT_FALSE(j["b"].erase("x"));  // not an object
}

TEST(Json, RoundTrip) {
  const std::string text =
      R"({"name":"run","step":420,"loss":1.234,"neg":-17,"ok":false,"nil":null,)"
      R"("nested":{"list":[[],{},[1,[2,[3]]]],"s":"a\"b"}})";
  const Json j = Json::parse(text);
  EXPECT_EQ(j.dump(), text);
  EXPECT_EQ(Json::parse(j.dump()), j);
  EXPECT_EQ(Json::parse(j.dump_pretty()), j);
  EXPECT_EQ(j.at("nested").at("list")[2][1][1][0].as_int(), 3);
}

TEST(Json, PrettyDump) {
  Json j;
  j["a"] = 1;
  j["b"].push_back("x");
  j["c"] = Json::array();
  EXPECT_EQ(j.dump_pretty(), "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ],\n  \"c\": []\n}");
}

TEST(Json, Whitespace) {
  EXPECT_EQ(Json::parse(" \t\r\n[ 1 , { \"a\" : 2 } ]\n "), Json::parse("[1,{\"a\":2}]"));
  EXPECT_EQ(Json::parse("  7  ").as_int(), 7);
}

TEST(Json, BigAndNegativeInts) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(Json(max).dump(), "9223372036854775807");
  EXPECT_EQ(Json(min).dump(), "-9223372036854775808");
  EXPECT_EQ(Json::parse("9223372036854775807").as_int(), max);
  EXPECT_EQ(Json::parse("-9223372036854775808").as_int(), min);
  EXPECT_TRUE(Json::parse("-0").is_int());
  // One past the int64 range becomes a double.
  const Json big = Json::parse("9223372036854775808");
  EXPECT_TRUE(big.is_double());
  EXPECT_EQ(big.as_double(), 9223372036854775808.0);
  EXPECT_TRUE(Json::parse("-9223372036854775809").is_double());
  // Unsigned constructors: fine up to INT64_MAX, an error above.
  EXPECT_EQ(Json(static_cast<unsigned long long>(max)).as_int(), max);
  EXPECT_EQ(Json(4000000000u).as_int(), 4000000000);
  const std::string too_big =
      error_of([] { (void)Json(std::numeric_limits<std::uint64_t>::max()); });
  EXPECT_NE(too_big.find("from_uint64"), std::string::npos) << too_big;
}

TEST(Json, DoublesRoundTripExactly) {
  const double values[] = {0.1,
                           1.0 / 3.0,
                           2.5,
                           -1e-300,
                           1e300,
                           5e-324,  // smallest subnormal
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::min(),
                           123456789.123456789,
                           0.30000000000000004,
                           1e21,
                           -0.0};
  for (double v : values) {
    const std::string text = Json(v).dump();
    const Json back = Json::parse(text);
    ASSERT_TRUE(back.is_double()) << text;
    EXPECT_EQ(back.as_double(), v) << text;
    EXPECT_EQ(std::signbit(back.as_double()), std::signbit(v)) << text;
  }
  // Shortest form, always recognisable as a double.
  EXPECT_EQ(Json(0.1).dump(), "0.1");
  EXPECT_EQ(Json(1.0).dump(), "1.0");
  EXPECT_EQ(Json(-0.0).dump(), "-0.0");
  EXPECT_EQ(Json(100000.0).dump(), "100000.0");
  EXPECT_EQ(Json(1e20).dump(), "1e+20");
  EXPECT_EQ(Json(0.30000000000000004).dump(), "0.30000000000000004");
  EXPECT_TRUE(Json::parse("1.0").is_double());
  EXPECT_TRUE(Json::parse("1e2").is_double());
  EXPECT_EQ(Json::parse("1E-2").as_double(), 0.01);
}

TEST(Json, NonFiniteDoublesWriteNull) {
  Json j = Json::array();
  j.push_back(std::nan(""));
  j.push_back(std::numeric_limits<double>::infinity());
  j.push_back(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(j.dump(), "[null,null,null]");
}

TEST(Json, StringEscapes) {
  const std::string raw = std::string("q\" b\\ s/ \b\f\n\r\t \x01\x1f ") + '\0' + " \x7f";
  const std::string text = Json(raw).dump();
  EXPECT_EQ(text, "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f \\u0000 \x7f\"");
  EXPECT_EQ(Json::parse(text).as_string(), raw);
  EXPECT_EQ(Json::parse(R"("\/")").as_string(), "/");
  // UTF-8 passes through unchanged in both directions.
  const std::string utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  EXPECT_EQ(Json(utf8).dump(), "\"" + utf8 + "\"");
  EXPECT_EQ(Json::parse("\"" + utf8 + "\"").as_string(), utf8);
  // \u escapes become UTF-8, surrogate pairs included.
  EXPECT_EQ(Json::parse(R"("\u0041\u00e9\u20AC\ud83d\ude00")").as_string(),
            "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(Json::parse(R"("\u0000")").as_string(), std::string(1, '\0'));
}

TEST(Json, Uint64) {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const Json j = Json::from_uint64(max);
  EXPECT_TRUE(j.is_string());
  EXPECT_EQ(j.dump(), "\"18446744073709551615\"");
  EXPECT_EQ(Json::parse(j.dump()).as_uint64(), max);
  EXPECT_EQ(Json::from_uint64(0).as_uint64(), 0u);
  EXPECT_EQ(Json(42).as_uint64(), 42u);
  EXPECT_NE(error_of([] { Json(-1).as_uint64(); }).find("negative"), std::string::npos);
  EXPECT_NE(error_of([] { Json("18446744073709551616").as_uint64(); }), "");
  EXPECT_NE(error_of([] { Json("-1").as_uint64(); }), "");
  EXPECT_NE(error_of([] { Json("+1").as_uint64(); }), "");
  EXPECT_NE(error_of([] { Json("").as_uint64(); }), "");
  EXPECT_NE(error_of([] { Json(" 1").as_uint64(); }), "");
  EXPECT_NE(error_of([] { Json(1.0).as_uint64(); }), "");
}

TEST(Json, TypedAccessErrors) {
  EXPECT_EQ(error_of([] { Json("x").as_int(); }), "JSON value: expected int, got string");
  EXPECT_EQ(error_of([] { Json(1).as_string(); }), "JSON value: expected string, got int");
  EXPECT_EQ(error_of([] { Json().as_bool(); }), "JSON value: expected bool, got null");
  EXPECT_EQ(error_of([] { Json(true).as_double(); }), "JSON value: expected double, got bool");
  EXPECT_EQ(error_of([] { Json(1.5).as_int(); }), "JSON value: expected int, got double 1.5");
  EXPECT_NE(error_of([] { Json(1e19).as_int(); }), "");
  // Ints read as doubles, integral doubles as ints.
  EXPECT_EQ(Json(3).as_double(), 3.0);
  EXPECT_EQ(Json(3.0).as_int(), 3);
  EXPECT_EQ(Json(-9223372036854775808.0).as_int(), std::numeric_limits<std::int64_t>::min());
}

TEST(Json, ObjectAndArrayAccess) {
  Json j = Json::parse(R"({"a":[10,20],"b":{"c":1}})");
  EXPECT_TRUE(j.contains("a"));
  EXPECT_FALSE(j.contains("z"));
  EXPECT_EQ(j.find("z"), nullptr);
  EXPECT_EQ(j.at("a").size(), 2u);
  EXPECT_EQ(j["a"][1].as_int(), 20);
  EXPECT_EQ(error_of([&] { j.at("zz"); }), "JSON object: missing key 'zz'");
  const Json& cj = j;
  EXPECT_EQ(error_of([&] { cj["zz"]; }), "JSON object: missing key 'zz'");
  EXPECT_EQ(error_of([&] { j["a"][2]; }), "JSON array: index 2 out of range (size 2)");
  EXPECT_EQ(error_of([&] { j["a"]["k"]; }), "JSON value: expected object, got array");
  EXPECT_EQ(error_of([&] { j["b"].push_back(1); }), "JSON value: expected array, got object");
  EXPECT_EQ(error_of([] { Json(1).size(); }), "JSON value: expected array or object, got int");
  EXPECT_FALSE(Json(1).contains("a"));
  EXPECT_EQ(Json().size(), 0u);
}

TEST(Json, Equality) {
  EXPECT_EQ(Json::parse(R"({"a":1,"b":2})"), Json::parse(R"({"b":2,"a":1})"));
  EXPECT_NE(Json::parse(R"({"a":1})"), Json::parse(R"({"a":1,"b":2})"));
  EXPECT_NE(Json::parse("[1,2]"), Json::parse("[2,1]"));
  EXPECT_NE(Json(1), Json(1.0));
  EXPECT_NE(Json("1"), Json(1));
  EXPECT_EQ(Json(), Json(nullptr));
}

TEST(Json, ParseErrorsCarryByteOffsets) {
  EXPECT_EQ(parse_error(""), "m.json: byte offset 0: expected a JSON value, got end of input");
  EXPECT_EQ(parse_error(R"({"a":1)"),
            "m.json: byte offset 6: expected ',' or '}' after an object member, got end of input");
  EXPECT_EQ(parse_error("[1,2"),
            "m.json: byte offset 4: expected ',' or ']' after an array element, got end of input");
  EXPECT_EQ(parse_error("[1,]"), "m.json: byte offset 3: expected a JSON value, got ']'");
  EXPECT_EQ(parse_error(R"("abc)"),
            "m.json: byte offset 4: unterminated string (opened at byte offset 0)");
  EXPECT_EQ(parse_error(R"(["a\qb"])"),
            "m.json: byte offset 3: invalid escape '\\q' (expected one of \\\" \\\\ \\/ \\b \\f "
            "\\n \\r \\t \\uXXXX)");
  EXPECT_EQ(parse_error(R"("\u12G4")"),
            "m.json: byte offset 5: expected 4 hex digits after \\u, got 'G'");
  EXPECT_EQ(parse_error(R"("\ud83d")"),
            "m.json: byte offset 7: expected a \\u low surrogate after the high surrogate at "
            "byte offset 1");
  EXPECT_EQ(parse_error(R"("\ude00")"),
            "m.json: byte offset 1: unpaired UTF-16 low surrogate in \\u escape");
  EXPECT_EQ(parse_error("{\"a\":1} x"),
            "m.json: byte offset 8: expected end of input after the JSON value, got 'x'");
  EXPECT_EQ(parse_error("1 2"),
            "m.json: byte offset 2: expected end of input after the JSON value, got '2'");
  EXPECT_EQ(parse_error("{\"a\":1,\"a\":2}"), "m.json: byte offset 7: duplicate key 'a'");
  EXPECT_EQ(parse_error("{a:1}"), "m.json: byte offset 1: expected a string key, got 'a'");
  EXPECT_EQ(parse_error("{\"a\" 1}"), "m.json: byte offset 5: expected ':' after key 'a', got '1'");
  EXPECT_EQ(parse_error("\"a\nb\""),
            "m.json: byte offset 2: control character byte 0x0A in a string must be escaped");
  EXPECT_EQ(parse_error("01"), "m.json: byte offset 1: leading zeros are not allowed in numbers");
  EXPECT_EQ(parse_error("-"),
            "m.json: byte offset 1: expected a digit after '-', got end of input");
  EXPECT_EQ(parse_error("1."),
            "m.json: byte offset 2: expected a digit after '.', got end of input");
  EXPECT_EQ(parse_error("1e+"),
            "m.json: byte offset 3: expected a digit in the exponent, got end of input");
  EXPECT_EQ(parse_error("1e999"), "m.json: byte offset 0: number 1e999 is out of the double range");
  EXPECT_EQ(parse_error("tru"),
            "m.json: byte offset 0: expected a JSON value (a misspelt 'true'?)");
  EXPECT_EQ(parse_error("NaN"), "m.json: byte offset 0: expected a JSON value, got 'N'");
  EXPECT_EQ(parse_error("+1"), "m.json: byte offset 0: expected a JSON value, got '+'");
  EXPECT_EQ(parse_error("\x01"), "m.json: byte offset 0: expected a JSON value, got byte 0x01");
  // The default source name.
  EXPECT_EQ(error_of([] { Json::parse("["); }),
            "<json>: byte offset 1: expected a JSON value, got end of input");
}

TEST(Json, DepthLimit) {
  const int limit = Json::kMaxDepth;
  const std::string ok = std::string(limit, '[') + std::string(limit, ']');
  EXPECT_EQ(Json::parse(ok).size(), 1u);
  const std::string too_deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
  EXPECT_EQ(parse_error(too_deep),
            "m.json: byte offset 512: nesting deeper than 512 arrays/objects");
  // Far deeper input fails the same way instead of overflowing the stack.
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  EXPECT_NE(parse_error(deep_objects).find("nesting deeper than 512"), std::string::npos);
}
