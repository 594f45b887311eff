// Parameter validation against a schema, and schema self-checks.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "host/param_validation.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

constexpr ParamSpec kSchema[] = {
    {.key = "k_max", .type = ParamType::integer, .default_value = "128", .min = 1, .doc = "k"},
    {.key = "cost_max",
     .type = ParamType::real,
     .default_value = "inf",
     .min = 0,
     .unit = "USD",
     .doc = "budget",
     .min_exclusive = true},
    {.key = "flag", .type = ParamType::boolean, .default_value = "false", .doc = "flag"},
    {.key = "method",
     .type = ParamType::enumeration,
     .default_value = "chord",
     .choices = "chord|curvature|reference-2d",
     .doc = "method"},
    {.key = "name", .type = ParamType::string, .required = true, .doc = "a name"},
};

kcube::ParamCheck check(std::vector<kcube::RawParam> raw) {
  for (auto& p : raw)
    p.where = "test";
  return kcube::check_params(kSchema, raw);
}

}  // namespace

TEST_CASE("defaults are filled in canonical form") {
  const auto result = check({{"name", "x", "", ""}});
  REQUIRE(result.problems.empty());
  CHECK(result.params.get<std::string>("k_max") == "128");
  CHECK(result.params.get<std::string>("cost_max") == "inf");
  CHECK(kcube::get_real(result.params, "cost_max") == std::numeric_limits<double>::infinity());
  CHECK(result.params.get<std::string>("flag") == "false");
  CHECK(result.params.get<std::string>("method") == "chord");
}

TEST_CASE("values are canonicalised: shortest round-trip reals, trimmed integers, booleans") {
  const auto result = check({{"name", " keep spaces ", "", ""},
                             {"k_max", " 64 ", "", ""},
                             {"cost_max", "5e-1", "", ""},
                             {"flag", "On", "", ""}});
  REQUIRE(result.problems.empty());
  CHECK(kcube::get_int(result.params, "k_max") == 64);
  CHECK(kcube::get_string(result.params, "cost_max") == "0.5");
  CHECK(kcube::get_bool(result.params, "flag"));
  CHECK(kcube::get_string(result.params, "name") == " keep spaces ");
}

TEST_CASE("every problem is reported, each with its key") {
  const auto result = check({{"k_max", "1.5", "", ""},
                             {"cost_max", "-1", "", ""},
                             {"methd", "chord", "", ""},
                             {"method", "curvture", "", ""},
                             {"flag", "maybe", "", ""},
                             {"k_max", "3", "", ""}});
  std::vector<std::string> messages;
  for (const auto& p : result.problems)
    messages.push_back(p.message);
  REQUIRE(messages.size() == 7);
  CHECK(messages[0] == "parameter 'k_max' expected an integer (int), got '1.5'");
  CHECK(messages[1] == "parameter 'cost_max' must be > 0, got -1");
  CHECK(messages[2].find("unknown parameter 'methd' (did you mean 'method'?)") == 0);
  CHECK(messages[3].find("did you mean 'curvature'?") != std::string::npos);
  CHECK(messages[4] == "parameter 'flag' expected true or false (bool), got 'maybe'");
  CHECK(messages[5] == "parameter 'k_max' is given twice; keep one");
  // "name" is required and missing: reported after the given keys.
  CHECK(messages[6].find("missing required parameter 'name'") == 0);
}

TEST_CASE("a missing required key is reported") {
  const auto result = check({});
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].message.find("missing required parameter 'name'") == 0);
}

TEST_CASE("NaN is never a valid real, infinities are") {
  CHECK_FALSE(check({{"name", "x", "", ""}, {"cost_max", "nan", "", ""}}).problems.empty());
  CHECK(check({{"name", "x", "", ""}, {"cost_max", "Infinity", "", ""}}).problems.empty());
}

TEST_CASE("integer bounds and out-of-range integers") {
  CHECK_FALSE(check({{"name", "x", "", ""}, {"k_max", "0", "", ""}}).problems.empty());
  CHECK_FALSE(
      check({{"name", "x", "", ""}, {"k_max", "99999999999999999999", "", ""}}).problems.empty());
  CHECK_FALSE(check({{"name", "x", "", ""}, {"k_max", "", "", ""}}).problems.empty());
}

TEST_CASE("check_schema finds a plugin's own schema mistakes") {
  constexpr ParamSpec bad[] = {
      {.key = "a", .type = ParamType::integer, .default_value = "x", .doc = ""},
      {.key = "a", .type = ParamType::real, .doc = ""},
      {.key = "e", .type = ParamType::enumeration, .doc = ""},
      {.key = "r", .type = ParamType::real, .default_value = "1", .required = true, .doc = ""},
      {.key = "m", .type = ParamType::real, .min = 2, .max = 1, .doc = ""},
      {.key = "d",
       .type = ParamType::enumeration,
       .default_value = "z",
       .choices = "x|y",
       .doc = ""},
  };
  const auto problems = kcube::check_schema(bad);
  REQUIRE(problems.size() == 6);
  CHECK(problems[0].find("default of parameter 'a'") != std::string::npos);
  CHECK(problems[1] == "parameter 'a' is declared twice");
  CHECK(problems[2] == "enumeration parameter 'e' declares no choices");
  CHECK(problems[3] == "parameter 'r' is required but also has a default");
  CHECK(problems[4] == "parameter 'm' has min > max");
  CHECK(problems[5].find("default of parameter 'd'") != std::string::npos);
  CHECK(kcube::check_schema(kSchema).empty());
}

TEST_CASE("describe_range") {
  CHECK(kcube::describe_range(kSchema[0]) == ">= 1");
  CHECK(kcube::describe_range(kSchema[1]) == "> 0");
  CHECK(kcube::describe_range(kSchema[3]) == "one of chord|curvature|reference-2d");
  CHECK(kcube::describe_range(kSchema[4]).empty());
}

TEST_CASE("an exclusive infinite bound keeps infinity out and says so") {
  constexpr ParamSpec finite[] = {
      {.key = "std",
       .type = ParamType::real,
       .default_value = "0",
       .min = 0,
       .max = std::numeric_limits<double>::infinity(),
       .doc = "",
       .max_exclusive = true},
  };
  CHECK(kcube::describe_range(finite[0]) == "in [0, inf)");
  const std::vector<kcube::RawParam> inf = {{"std", "inf", "test", ""}};
  const auto result = kcube::check_params(finite, inf);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].message == "parameter 'std' must be in [0, inf), got inf");
}
