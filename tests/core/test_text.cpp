// Text helpers.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "text.hpp"

TEST_CASE("edit distance") {
  CHECK(kcube::text::edit_distance("", "") == 0);
  CHECK(kcube::text::edit_distance("kitten", "sitting") == 3);
  CHECK(kcube::text::edit_distance("abc", "") == 3);
}

TEST_CASE("did you mean picks a close name or nothing") {
  const std::vector<std::string> names = {"accuracy-max", "cube-max", "knee-point"};
  CHECK(kcube::text::did_you_mean("cube-mx", names) == " (did you mean 'cube-max'?)");
  CHECK(kcube::text::did_you_mean("totally-different", names).empty());
}

TEST_CASE("did you mean skips what cannot be close and words too long to be typos") {
  const std::vector<std::string> names = {"k", "cost_max", std::string(400, 'x')};
  CHECK(kcube::text::did_you_mean("cost_mx", names) == " (did you mean 'cost_max'?)");
  CHECK(kcube::text::did_you_mean(std::string(399, 'x'), names).empty());
  const std::vector<std::string> long_name = {std::string(251, 'x')};
  CHECK(kcube::text::did_you_mean(std::string(250, 'x') + "y", long_name) ==
        " (did you mean '" + long_name[0] + "'?)");
}

TEST_CASE("reals round-trip in their shortest form") {
  CHECK(kcube::text::format_real(0.1) == "0.1");
  CHECK(kcube::text::format_real(1e-6) == "1e-06");
  CHECK(kcube::text::format_real(0.1 + 0.2) == "0.30000000000000004");
  CHECK(kcube::text::format_real(std::numeric_limits<double>::infinity()) == "inf");
}

TEST_CASE("JSON strings are escaped") {
  CHECK(kcube::text::json_quote("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}

TEST_CASE("kebab-case") {
  CHECK(kcube::text::is_kebab_case("knee-point"));
  CHECK(kcube::text::is_kebab_case("reference-2d"));
  CHECK_FALSE(kcube::text::is_kebab_case("Knee"));
  CHECK_FALSE(kcube::text::is_kebab_case("knee--point"));
  CHECK_FALSE(kcube::text::is_kebab_case("-knee"));
  CHECK_FALSE(kcube::text::is_kebab_case("knee_point"));
  CHECK_FALSE(kcube::text::is_kebab_case(""));
}
