// Private: checking what a user wrote for a plugin's parameters against the plugin's schema.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "kcube/params.hpp"

namespace kcube {

/// One value a user wrote for a plugin parameter, as text, and where it was written
/// ("spec 'knee-point:method=chord'", "paper.yaml:12:7").
struct RawParam {
  std::string key;
  std::string value;
  std::string where;
  /// The folder a relative value of a ParamType::path parameter is relative to: the folder of
  /// the manifest file that wrote it; empty: the working folder (the command line).
  std::string base;
};

/// One thing wrong with the parameters, with where it was written (empty for missing keys).
struct ParamProblem {
  std::string key;
  std::string where;
  std::string message;
};

/// Canonical parameters, or the list of everything wrong with them.
struct ParamCheck {
  /// Every given, defaulted key in canonical text form (see ParamType). Valid when
  /// `problems` is empty.
  Params params;
  /// Every problem found: unknown key (with "did you mean"), duplicate key, wrong type, out of
  /// bounds, not one of the choices, missing required key.
  std::vector<ParamProblem> problems;
};

/// Validates `raw` against `schema` and fills in defaults.
ParamCheck check_params(std::span<const ParamSpec> schema, std::span<const RawParam> raw);

/// Problems with a plugin's own schema (duplicate or empty keys, enumerations without choices,
/// defaults that do not satisfy their own type, bounds or choices, required keys with
/// defaults, min > max). Empty when the schema is sound.
std::vector<std::string> check_schema(std::span<const ParamSpec> schema);

/// "[0, 1]", "> 0", "one of chord|curvature": the admissible values of `spec` for tables.
std::string describe_range(const ParamSpec& spec);

}  // namespace kcube
