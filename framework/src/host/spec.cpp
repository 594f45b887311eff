#include "host/spec.hpp"

#include <algorithm>
#include <utility>

#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

// Specs longer than this are shown cut short in each parameter's `where`: every parameter holds
// its own copy, so the whole text would make memory grow with the square of the spec's length.
constexpr std::size_t kShownSpec = 80;

// "spec 'TEXT'", TEXT cut after kShownSpec bytes (at a UTF-8 character boundary) and "...".
std::string spec_where(std::string_view text) {
  if (text.size() <= kShownSpec)
    return "spec '" + std::string(text) + "'";
  std::size_t cut = kShownSpec;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return "spec '" + std::string(text.substr(0, cut)) + "...'";
}

[[noreturn]] void fail(std::string_view spec, const std::string& what) {
  throw Error("plugin spec '" + std::string(spec) + "': " + what +
              "; write NAME or NAME:key=value,key=value (e.g. knee-point:method=curvature)");
}

}  // namespace

PluginSpec parse_spec(std::string_view text) {
  PluginSpec spec;
  spec.text = std::string(text);
  const std::string where = spec_where(text);
  const auto colon = text.find(':');
  spec.name = std::string(kcube::text::trim(text.substr(0, colon)));
  if (spec.name.empty())
    fail(text, "the plugin name is empty");
  if (colon == std::string_view::npos)
    return spec;

  std::string_view rest = text.substr(colon + 1);
  if (kcube::text::trim(rest).empty())
    fail(text, "nothing follows the ':'");
  std::size_t i = 0;
  while (i <= rest.size()) {
    // key: up to '='
    const auto eq = rest.find('=', i);
    const auto comma = rest.find(',', i);
    if (eq == std::string_view::npos || (comma != std::string_view::npos && comma < eq)) {
      const auto end = comma == std::string_view::npos ? rest.size() : comma;
      fail(text,
           "'" + std::string(kcube::text::trim(rest.substr(i, end - i))) + "' has no '=value'");
    }
    const std::string key(kcube::text::trim(rest.substr(i, eq - i)));
    if (key.empty())
      fail(text, "a parameter has an empty key");
    i = eq + 1;
    while (i < rest.size() && rest[i] == ' ')
      ++i;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      bool closed = false;
      while (i < rest.size()) {
        const char c = rest[i++];
        if (c == '\\' && i < rest.size()) {
          value += rest[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed)
        fail(text, "the quoted value of '" + key + "' has no closing '\"'");
      while (i < rest.size() && rest[i] == ' ')
        ++i;
      if (i < rest.size() && rest[i] != ',') {
        fail(text, "unexpected text after the quoted value of '" + key + "'");
      }
    } else {
      const auto end = rest.find(',', i);
      value = std::string(kcube::text::trim(
          rest.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end == std::string_view::npos ? rest.size() : end;
    }
    spec.params.push_back({key, value, where, {}});
    if (i >= rest.size())
      break;
    ++i;  // skip ','
    if (i >= rest.size())
      fail(text, "a ',' is followed by nothing");
  }
  return spec;
}

namespace {

// A value parse_spec() reads back verbatim: bare when it cannot be mistaken for syntax (parse_spec
// trims bare values and splits them at ','), double-quoted with \" and \\ escapes otherwise.
std::string spec_value(std::string_view value) {
  const bool bare =
      !value.empty() && value.find_first_of(",=\"\\ \t\n\r\f\v") == std::string_view::npos;
  if (bare)
    return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string canonical_spec(std::string_view plugin, const Params& params) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(params.size());
  for (const auto& [key, child] : params)
    pairs.emplace_back(key, child.data());
  std::sort(pairs.begin(), pairs.end());
  std::string out(plugin);
  for (std::size_t i = 0; i < pairs.size(); ++i)
    out += (i == 0 ? ":" : ",") + pairs[i].first + "=" + spec_value(pairs[i].second);
  return out;
}

}  // namespace kcube
