// Private: plugin spec strings, `name` or `name:key=value,key=value`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/param_validation.hpp"

namespace kcube {

/// A parsed spec string: which plugin, and the parameters written after the colon.
struct PluginSpec {
  /// The spec as written.
  std::string text;
  /// The plugin name before the colon.
  std::string name;
  /// key=value pairs in the order written (each with `where` naming the spec: "spec 'TEXT'",
  /// TEXT cut short with "..." after 80 bytes).
  std::vector<RawParam> params;
};

/// Parses `name[:key=value[,key=value]...]`. A value may be double-quoted to hold ',' or '='
/// ("a \"quoted\" value" with \" and \\ escapes). Throws kcube::Error saying what is wrong and
/// where, with the expected form, for an empty name, a pair without '=', an empty key, or an
/// unterminated quote.
PluginSpec parse_spec(std::string_view text);

/// The canonical spec string of a plugin made with validated parameters `params` (their
/// canonical values, as the factory received them): "name" when there are none, otherwise
/// "name:key=value,..." with keys in increasing byte order. A value is double-quoted, with
/// the escapes \" and \\ inside, when it is empty or holds ',', '=', '"', '\\' or white
/// space. parse_spec() of the result gives back the same keys and values, so the same plugin
/// object can be made again, e.g. canonical_spec("knee-point", {method: "chord", normalize:
/// "range"}) is "knee-point:method=chord,normalize=range".
std::string canonical_spec(std::string_view plugin, const Params& params);

}  // namespace kcube
