// The JSON writer: escaping, numbers, and the three layouts.
#include <doctest/doctest.h>

#include <limits>
#include <sstream>
#include <string>

#include "util/json.hpp"

namespace json = kcube::json;

TEST_CASE("JSON strings are escaped") {
  CHECK(json::quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
  // Backspace and form feed as \u escapes, bytes from U+0020 on (DEL, UTF-8, stray bytes) kept.
  CHECK(json::quote("\b\f\r\t\x7f\xc3\xa9\xff") == "\"\\u0008\\u000c\\r\\t\x7f\xc3\xa9\xff\"");
}

TEST_CASE("JSON numbers read back exactly, non-finite ones are null") {
  std::ostringstream out;
  json::Writer w(out);
  w.begin_array().real(1.0).real(0.1).real(1e-5).real(0.1 + 0.2).integer(-3);
  w.integer(18446744073709551615ull).real(std::numeric_limits<double>::infinity());
  w.real(std::numeric_limits<double>::quiet_NaN()).raw("1.50").end_array();
  CHECK(out.str() == "[1,0.1,1e-05,0.30000000000000004,-3,18446744073709551615,null,null,1.50]");
}

TEST_CASE("each container has its own layout") {
  std::ostringstream out;
  json::Writer w(out);
  w.begin_object(json::Layout::lines);
  w.key("rows").begin_array(json::Layout::lines);
  w.begin_object(json::Layout::spaced).key("a").integer(1).key("b").null().end_object();
  w.begin_object(json::Layout::spaced).key("c").begin_array(json::Layout::spaced);
  w.boolean(true).boolean(false).end_array().end_object();
  w.end_array();
  w.key("none").begin_array(json::Layout::lines).end_array();
  w.key("compact").begin_object().key("x").string("y").key("z").begin_array().end_array();
  w.end_object().end_object();
  CHECK(out.str() ==
        "{\n"
        "  \"rows\": [\n"
        "    {\"a\": 1, \"b\": null},\n"
        "    {\"c\": [true, false]}\n"
        "  ],\n"
        "  \"none\": [],\n"
        "  \"compact\": {\"x\":\"y\",\"z\":[]}\n"
        "}");
}

TEST_CASE("lines without indentation, and values held in memory") {
  std::ostringstream out;
  json::Writer w(out, 0);
  w.begin_array(json::Layout::lines).integer(1).integer(2).end_array();
  CHECK(out.str() == "[\n1,\n2\n]");

  std::ostringstream tree;
  json::Writer t(tree);
  const json::Value value = json::Value::Object{{"name", "x"},
                                                {"list", json::Value::Array{1, 2.5}},
                                                {"empty", json::Value::Object{}},
                                                {"none", json::Value()}};
  value.write(t, json::Layout::lines);
  CHECK(tree.str() ==
        "{\n  \"name\": \"x\",\n  \"list\": [\n    1,\n    2.5\n  ],\n"
        "  \"empty\": {},\n  \"none\": null\n}");
}
