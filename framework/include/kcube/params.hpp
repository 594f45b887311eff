// kcube public SDK: plugin parameter schemas and typed access to validated parameters.
//
// A plugin declares its parameters as a constexpr array of ParamSpec. The host validates what the
// user wrote against that schema (unknown keys, types, bounds, choices, required keys) before the
// plugin's factory runs, fills in defaults, and hands the factory a ptree whose values are in
// canonical text form. Plugins read them with the get_* helpers below and never re-validate.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/property_tree/ptree.hpp>

namespace kcube {

/// Validated parameters, one canonical string per key (see ParamType for each form).
using Params = boost::property_tree::ptree;

/// The type of a plugin parameter and the canonical text the host stores for it.
enum class ParamType : std::uint32_t {
  integer = 1,      ///< 64-bit signed integer, decimal text ("128").
  real = 2,         ///< double, shortest round-trip text; "inf" and "-inf" allowed, NaN never.
  boolean = 3,      ///< "true" or "false" (the user may also write yes/no, on/off, 1/0).
  string = 4,       ///< free text.
  enumeration = 5,  ///< one of ParamSpec::choices.
  path = 6,         ///< a file path, made absolute by the host: relative to the manifest file
                    ///< that wrote it, or to the working folder on the command line.
};

/// The schema of one parameter. Designed for constexpr arrays in plugin sources:
///   {.key = "k_max", .type = ParamType::integer, .default_value = "128", .min = 1, .unit = "",
///    .doc = "largest k considered"}
struct ParamSpec {
  /// The key users write (snake_case).
  const char* key = nullptr;
  /// What kind of value it holds.
  ParamType type = ParamType::real;
  /// Default in text form; nullptr when there is none.
  const char* default_value = nullptr;
  /// True when the user must give a value. A key that is neither required nor defaulted is
  /// optional: absent from the validated Params unless the user wrote it.
  bool required = false;
  /// Inclusive lower bound for integer and real parameters.
  double min = -std::numeric_limits<double>::infinity();
  /// Inclusive upper bound for integer and real parameters.
  double max = std::numeric_limits<double>::infinity();
  /// For enumerations: the allowed values separated by '|', e.g. "chord|curvature".
  const char* choices = nullptr;
  /// Unit of the value ("USD", "s", "tokens"), empty when dimensionless.
  const char* unit = "";
  /// One line saying what the parameter means.
  const char* doc = "";
  /// True when `min` itself is not allowed (e.g. a budget must be > 0).
  bool min_exclusive = false;
  /// True when `max` itself is not allowed.
  bool max_exclusive = false;
};

/// Text of a ParamType as shown to users ("int", "float", "bool", "string", "enum").
std::string_view to_string(ParamType type) noexcept;

/// True when validated parameters contain `key` (always true for required and defaulted keys).
bool has_param(const Params& params, std::string_view key);

/// The value of an integer parameter. Throws kcube::Error when absent or not an integer.
std::int64_t get_int(const Params& params, std::string_view key);

/// The value of a real parameter ("inf" is +infinity). Throws kcube::Error when absent.
double get_real(const Params& params, std::string_view key);

/// The value of a boolean parameter. Throws kcube::Error when absent.
bool get_bool(const Params& params, std::string_view key);

/// The value of a string or enumeration parameter. Throws kcube::Error when absent.
std::string get_string(const Params& params, std::string_view key);

}  // namespace kcube
