// Plugin spec strings: NAME or NAME:key=value,key=value.
#include <doctest/doctest.h>

#include "kcube/error.hpp"
#include "spec.hpp"

TEST_CASE("a bare name has no parameters") {
  const auto spec = kcube::parse_spec("accuracy-max");
  CHECK(spec.name == "accuracy-max");
  CHECK(spec.params.empty());
  CHECK(spec.text == "accuracy-max");
}

TEST_CASE("key=value pairs keep their order, spaces around them are trimmed") {
  const auto spec = kcube::parse_spec("knee-point: method = curvature ,normalize=range");
  CHECK(spec.name == "knee-point");
  REQUIRE(spec.params.size() == 2);
  CHECK(spec.params[0].key == "method");
  CHECK(spec.params[0].value == "curvature");
  CHECK(spec.params[1].key == "normalize");
  CHECK(spec.params[1].value == "range");
  CHECK(spec.params[0].where == "spec 'knee-point: method = curvature ,normalize=range'");
}

TEST_CASE("quoted values may hold commas, equals signs and escaped quotes") {
  const auto spec =
      kcube::parse_spec(R"(gaussian:display_name="GPT-5, \"mini\"=small",acc_std=0.02)");
  REQUIRE(spec.params.size() == 2);
  CHECK(spec.params[0].value == R"(GPT-5, "mini"=small)");
  CHECK(spec.params[1].value == "0.02");
}

TEST_CASE("an empty value is kept for the schema to judge") {
  const auto spec = kcube::parse_spec("budget:cost_max=");
  REQUIRE(spec.params.size() == 1);
  CHECK(spec.params[0].value.empty());
}

TEST_CASE("malformed specs are errors that show the expected form") {
  const auto error = [](const char* text) {
    try {
      kcube::parse_spec(text);
    } catch (const kcube::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error("").find("the plugin name is empty") != std::string::npos);
  CHECK(error(":a=1").find("the plugin name is empty") != std::string::npos);
  CHECK(error("budget:").find("nothing follows the ':'") != std::string::npos);
  CHECK(error("budget:cost_max").find("'cost_max' has no '=value'") != std::string::npos);
  CHECK(error("budget:a=1,b").find("'b' has no '=value'") != std::string::npos);
  CHECK(error("budget:=1").find("empty key") != std::string::npos);
  CHECK(error("budget:a=1,").find("followed by nothing") != std::string::npos);
  CHECK(error(R"(budget:a="x)").find("no closing") != std::string::npos);
  CHECK(error(R"(budget:a="x"y)").find("unexpected text after") != std::string::npos);
  CHECK(error("budget:cost_max").find("NAME:key=value") != std::string::npos);
}
