// Plugin spec strings: NAME or NAME:key=value,key=value.
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "host/spec.hpp"
#include "kcube/error.hpp"

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

TEST_CASE("a long spec is cut short where each parameter names it") {
  // Every parameter keeps its own copy: the whole text would grow with the square of its length.
  std::string text = "budget:";
  for (int i = 0; i < 1000; ++i)
    text += "k_max=1,";
  text += "cost_max=1";
  const auto spec = kcube::parse_spec(text);
  REQUIRE(spec.params.size() == 1001);
  CHECK(spec.params[0].where == "spec '" + text.substr(0, 80) + "...'");
  CHECK(spec.params[1000].where == spec.params[0].where);
  // Never inside a UTF-8 character: "é" (2 bytes) at bytes 79 and 80 is left out whole.
  const std::string accented = "budget:label=" + std::string(66, 'a') + "\xC3\xA9" + "bc";
  CHECK(kcube::parse_spec(accented).params[0].where == "spec '" + accented.substr(0, 79) + "...'");
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

namespace {

kcube::Params params_of(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  kcube::Params params;
  for (const auto& [key, value] : pairs)
    params.put(key, value);
  return params;
}

// parse_spec(canonical_spec(...)) as key -> value pairs, in the order parsed.
std::vector<std::pair<std::string, std::string>> parsed_back(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : kcube::parse_spec(text).params)
    out.emplace_back(p.key, p.value);
  return out;
}

}  // namespace

TEST_CASE("a canonical spec without parameters is the plugin name") {
  const std::string text = kcube::canonical_spec("accuracy-max", kcube::Params{});
  CHECK(text == "accuracy-max");
  const auto spec = kcube::parse_spec(text);
  CHECK(spec.name == "accuracy-max");
  CHECK(spec.params.empty());
}

TEST_CASE("a canonical spec lists keys in increasing order whatever the order given") {
  const auto params = params_of(
      {{"parallelism", "4"}, {"cost_max", "0.5"}, {"k_max", "32"}, {"accuracy_min", "0.9"}});
  const std::string text = kcube::canonical_spec("budget", params);
  CHECK(text == "budget:accuracy_min=0.9,cost_max=0.5,k_max=32,parallelism=4");
  CHECK(kcube::parse_spec(text).name == "budget");
  CHECK(parsed_back(text) ==
        std::vector<std::pair<std::string, std::string>>{
            {"accuracy_min", "0.9"}, {"cost_max", "0.5"}, {"k_max", "32"}, {"parallelism", "4"}});
  // The same parameters given in another order give the same text.
  CHECK(kcube::canonical_spec("budget", params_of({{"k_max", "32"},
                                                   {"accuracy_min", "0.9"},
                                                   {"parallelism", "4"},
                                                   {"cost_max", "0.5"}})) == text);
}

TEST_CASE("canonical spec values that look like syntax are quoted and parse back verbatim") {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"plain", "chord"},
      {"comma", "a,b"},
      {"equals", "x=1"},
      {"quote", R"(say "hi")"},
      {"backslash", R"(C:\models\gpt)"},
      {"trailing_backslash", R"(end\)"},
      {"spaces", " padded value "},
      {"tab", "a\tb"},
      {"newline", "line one\nline two"},
      {"empty", ""},
      {"only_quote", "\""},
      {"colon", "http://host:8080/x"},
      {"real", "-inf"},
      {"everything", R"( ,="\ ,, == \\ "")"},
  };
  kcube::Params params;
  for (const auto& [key, value] : values)
    params.put(key, value);
  const std::string text = kcube::canonical_spec("gaussian", params);
  INFO("canonical spec: " << text);
  auto expected = values;
  std::sort(expected.begin(), expected.end());
  CHECK(parsed_back(text) == expected);
  // Values that cannot be mistaken for syntax stay bare; the others are quoted.
  CHECK(text.find(",plain=chord,") != std::string::npos);
  CHECK(text.find(",real=-inf,") != std::string::npos);
  CHECK(text.find(",colon=http://host:8080/x,") != std::string::npos);
  CHECK(text.find(R"(backslash="C:\\models\\gpt",)") != std::string::npos);
  CHECK(text.find(R"(comma="a,b",)") != std::string::npos);
  CHECK(text.find(R"(empty="",)") != std::string::npos);
  CHECK(text.find(R"(quote="say \"hi\"")") != std::string::npos);
  // Canonical: making the spec from what it parses back to gives the same text.
  kcube::Params again;
  for (const auto& [key, value] : parsed_back(text))
    again.put(key, value);
  CHECK(kcube::canonical_spec("gaussian", again) == text);
}

TEST_CASE("a single empty or quoted value makes a valid spec") {
  CHECK(kcube::canonical_spec("budget", params_of({{"label", ""}})) == R"(budget:label="")");
  CHECK(parsed_back(kcube::canonical_spec("budget", params_of({{"label", ""}}))) ==
        std::vector<std::pair<std::string, std::string>>{{"label", ""}});
  CHECK(parsed_back(kcube::canonical_spec("budget", params_of({{"label", "\\"}}))) ==
        std::vector<std::pair<std::string, std::string>>{{"label", "\\"}});
}
