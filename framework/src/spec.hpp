// Private: plugin spec strings, `name` or `name:key=value,key=value`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "param_validation.hpp"

namespace kcube {

/// A parsed spec string: which plugin, and the parameters written after the colon.
struct PluginSpec {
  /// The spec as written.
  std::string text;
  /// The plugin name before the colon.
  std::string name;
  /// key=value pairs in the order written (each with `where` naming the spec).
  std::vector<RawParam> params;
};

/// Parses `name[:key=value[,key=value]...]`. A value may be double-quoted to hold ',' or '='
/// ("a \"quoted\" value" with \" and \\ escapes). Throws kcube::Error saying what is wrong and
/// where, with the expected form, for an empty name, a pair without '=', an empty key, or an
/// unterminated quote.
PluginSpec parse_spec(std::string_view text);

}  // namespace kcube
