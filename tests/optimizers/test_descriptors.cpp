// The descriptors the four optimizer libraries export: identity and parameter schemas.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "loaded_optimizer.hpp"

namespace {

using namespace kcube::test;

void check_identity(const kcube::PluginDescriptor& d, std::string_view name,
                    std::string_view version = "1.0.0") {
  CHECK(d.abi_version == kcube::kAbiVersion);
  CHECK(d.kind == kcube::PluginKind::optimizer);
  CHECK(std::string_view(d.name) == name);
  CHECK(std::string_view(d.version) == version);
  REQUIRE(d.summary != nullptr);
  CHECK_FALSE(std::string_view(d.summary).empty());
  CHECK(d.thread_safety == kcube::ThreadSafety::shared);
  const bool has_factory = d.create != nullptr;
  CHECK(has_factory);
}

// The schema entry `index` is the enumeration `key` with these choices and default, and its
// default is one of its choices (the host would reject a plugin whose default it cannot accept).
void check_enum(const kcube::PluginDescriptor& d, std::size_t index, std::string_view key,
                std::string_view choices, std::string_view default_value) {
  REQUIRE(index < d.param_count);
  const kcube::ParamSpec& spec = d.params[index];
  CHECK(std::string_view(spec.key) == key);
  CHECK(spec.type == kcube::ParamType::enumeration);
  CHECK_FALSE(spec.required);
  REQUIRE(spec.choices != nullptr);
  CHECK(std::string_view(spec.choices) == choices);
  REQUIRE(spec.default_value != nullptr);
  CHECK(std::string_view(spec.default_value) == default_value);
  // Appending rather than "|" + std::string(...): GCC 12 at -O3 warns falsely (-Wrestrict) on
  // operator+(const char*, std::string&&).
  std::string padded_choices(1, '|');
  padded_choices.append(choices).append(1, '|');
  std::string padded_default(1, '|');
  padded_default.append(default_value).append(1, '|');
  CHECK(padded_choices.find(padded_default) != std::string::npos);
  CHECK_FALSE(std::string_view(spec.doc).empty());
}

TEST_CASE(
    "accuracy-max exports its identity, the real tolerance below 1 and the rule enumeration") {
  const LoadedOptimizer accuracy = accuracy_max();
  const kcube::PluginDescriptor& d = accuracy.descriptor();
  check_identity(d, "accuracy-max", "1.1.0");
  REQUIRE(d.param_count == 2);
  const kcube::ParamSpec& tolerance = d.params[0];
  CHECK(std::string_view(tolerance.key) == "tolerance");
  CHECK(tolerance.type == kcube::ParamType::real);
  CHECK_FALSE(tolerance.required);
  REQUIRE(tolerance.default_value != nullptr);
  CHECK(std::string_view(tolerance.default_value) == "0");
  CHECK(tolerance.min == 0.0);
  CHECK_FALSE(tolerance.min_exclusive);
  CHECK(tolerance.max == 1.0);
  CHECK(tolerance.max_exclusive);
  CHECK_FALSE(std::string_view(tolerance.doc).empty());
  check_enum(d, 1, "rule", "best|one-se", "best");
}

TEST_CASE("utopia-closest exports its identity and takes no parameters") {
  const LoadedOptimizer utopia = utopia_closest();
  check_identity(utopia.descriptor(), "utopia-closest");
  CHECK(utopia.descriptor().param_count == 0);
}

TEST_CASE("cube-max exports its identity and the accuracy_term enumeration") {
  const LoadedOptimizer cube = cube_max();
  check_identity(cube.descriptor(), "cube-max");
  REQUIRE(cube.descriptor().param_count == 1);
  check_enum(cube.descriptor(), 0, "accuracy_term", "raw|normalized", "raw");
}

TEST_CASE("knee-point exports its identity and the method, normalize and fallback enumerations") {
  const LoadedOptimizer knee = knee_point();
  check_identity(knee.descriptor(), "knee-point");
  REQUIRE(knee.descriptor().param_count == 3);
  check_enum(knee.descriptor(), 0, "method", "chord|curvature|reference-2d", "chord");
  check_enum(knee.descriptor(), 1, "normalize", "budget|range", "budget");
  check_enum(knee.descriptor(), 2, "fallback", "utopia-closest|none", "utopia-closest");
}

}  // namespace
