#include "host/param_validation.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string_view>

#include "util/text.hpp"

namespace kcube {
namespace {

std::vector<std::string> split_choices(const char* choices) {
  std::vector<std::string> out;
  if (choices == nullptr)
    return out;
  std::string_view rest(choices);
  while (true) {
    const auto bar = rest.find('|');
    out.emplace_back(rest.substr(0, bar));
    if (bar == std::string_view::npos)
      break;
    rest.remove_prefix(bar + 1);
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Bounds check shared by integers and reals; returns an empty string when within bounds.
std::string bounds_problem(const ParamSpec& spec, double value) {
  const bool low = spec.min_exclusive ? value <= spec.min : value < spec.min;
  const bool high = spec.max_exclusive ? value >= spec.max : value > spec.max;
  if (low || high)
    return "must be " + describe_range(spec);
  return {};
}

// Converts `text` to the canonical form of `spec`'s type, or explains why it cannot.
struct Canonical {
  std::string value;
  std::string problem;
};

Canonical canonicalize(const ParamSpec& spec, std::string_view raw, const std::string& base) {
  const std::string_view text = kcube::text::trim(raw);
  switch (spec.type) {
    case ParamType::integer: {
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (!text.empty() && ec == std::errc::result_out_of_range &&
          end == text.data() + text.size()) {
        const std::string range = describe_range(spec);
        return {{},
                (range.empty() ? std::string("is outside the 64-bit integer range")
                               : "must be " + range) +
                    ", got " + std::string(text)};
      }
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return {{}, "expected an integer (int), got '" + std::string(text) + "'"};
      }
      if (auto p = bounds_problem(spec, static_cast<double>(value)); !p.empty()) {
        return {{}, p + ", got " + std::to_string(value)};
      }
      return {std::to_string(value), {}};
    }
    case ParamType::real: {
      double value = 0.0;
      const std::string low = lower(text);
      // YAML spells infinity and NaN with a leading dot (.inf, -.inf, .nan); from_chars does not.
      if (low == "inf" || low == "+inf" || low == "infinity" || low == ".inf" || low == "+.inf") {
        value = std::numeric_limits<double>::infinity();
      } else if (low == "-inf" || low == "-infinity" || low == "-.inf") {
        value = -std::numeric_limits<double>::infinity();
      } else if (low == ".nan" || low == "+.nan" || low == "-.nan") {
        return {{}, "NaN is not a valid value"};
      } else {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (!text.empty() && ec == std::errc::result_out_of_range &&
            end == text.data() + text.size()) {
          return {{},
                  "is outside the range of a double (magnitudes from about 4.9e-324 to "
                  "1.8e308, or 0), got '" +
                      std::string(text) + "'"};
        }
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
          return {{}, "expected a number (float), got '" + std::string(text) + "'"};
        }
        if (std::isnan(value))
          return {{}, "NaN is not a valid value"};
      }
      if (auto p = bounds_problem(spec, value); !p.empty()) {
        return {{}, p + ", got " + text::format_real(value)};
      }
      return {text::format_real(value), {}};
    }
    case ParamType::boolean: {
      const std::string low = lower(text);
      if (low == "true" || low == "yes" || low == "on" || low == "1")
        return {"true", {}};
      if (low == "false" || low == "no" || low == "off" || low == "0")
        return {"false", {}};
      return {{}, "expected true or false (bool), got '" + std::string(text) + "'"};
    }
    case ParamType::string:
      return {std::string(raw), {}};
    case ParamType::path: {
      if (text.empty())
        return {{}, "expects a file path, got an empty value"};
      std::filesystem::path path(text);
      if (path.is_relative()) {
        std::error_code ec;
        const std::filesystem::path folder =
            base.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(base);
        if (ec)
          return {{}, "is relative, and the working folder is unknown: " + ec.message()};
        path = folder / path;
      }
      return {path.lexically_normal().string(), {}};
    }
    case ParamType::enumeration: {
      const auto choices = split_choices(spec.choices);
      for (const auto& choice : choices) {
        if (choice == text)
          return {choice, {}};
      }
      return {{},
              "'" + std::string(text) + "' is not one of " + text::join(choices, ", ") +
                  text::did_you_mean(text, choices)};
    }
  }
  return {{}, "has an unknown parameter type"};
}

}  // namespace

std::string describe_range(const ParamSpec& spec) {
  if (spec.type == ParamType::enumeration) {
    return "one of " + text::join(split_choices(spec.choices), "|");
  }
  if (spec.type != ParamType::integer && spec.type != ParamType::real)
    return {};
  // An exclusive infinite bound still says something: "inf" itself is not allowed.
  const bool has_min = std::isfinite(spec.min) || spec.min_exclusive;
  const bool has_max = std::isfinite(spec.max) || spec.max_exclusive;
  const std::string lo = text::format_real(spec.min);
  const std::string hi = text::format_real(spec.max);
  if (has_min && has_max) {
    return std::string(spec.min_exclusive ? "in (" : "in [") + lo + ", " + hi +
           (spec.max_exclusive ? ")" : "]");
  }
  if (has_min)
    return (spec.min_exclusive ? "> " : ">= ") + lo;
  if (has_max)
    return (spec.max_exclusive ? "< " : "<= ") + hi;
  return {};
}

ParamCheck check_params(std::span<const ParamSpec> schema, std::span<const RawParam> raw) {
  ParamCheck check;
  std::vector<std::string> keys;
  for (const auto& spec : schema)
    keys.emplace_back(spec.key);

  std::set<std::string> seen;
  for (const auto& param : raw) {
    const ParamSpec* spec = nullptr;
    for (const auto& candidate : schema) {
      if (param.key == candidate.key)
        spec = &candidate;
    }
    if (spec == nullptr) {
      std::string message = "unknown parameter '" + param.key + "'" +
                            text::did_you_mean(param.key, keys) + "; this plugin takes " +
                            (keys.empty() ? std::string("no parameters") : text::join(keys, ", "));
      check.problems.push_back({param.key, param.where, std::move(message)});
      continue;
    }
    if (!seen.insert(param.key).second) {
      check.problems.push_back(
          {param.key, param.where, "parameter '" + param.key + "' is given twice; keep one"});
      continue;
    }
    Canonical canonical = canonicalize(*spec, param.value, param.base);
    if (!canonical.problem.empty()) {
      check.problems.push_back(
          {param.key, param.where, "parameter '" + param.key + "' " + canonical.problem});
      continue;
    }
    check.params.put(param.key, canonical.value);
  }

  for (const auto& spec : schema) {
    if (seen.count(spec.key) != 0)
      continue;
    if (spec.required) {
      check.problems.push_back({spec.key,
                                {},
                                "missing required parameter '" + std::string(spec.key) + "' (" +
                                    std::string(to_string(spec.type)) + ", " + spec.doc + ")"});
    } else if (spec.default_value != nullptr) {
      // Defaults were checked against the schema when the plugin loaded (check_schema).
      check.params.put(spec.key, canonicalize(spec, spec.default_value, {}).value);
    }
  }
  return check;
}

std::vector<std::string> check_schema(std::span<const ParamSpec> schema) {
  std::vector<std::string> problems;
  std::set<std::string> keys;
  for (std::size_t i = 0; i < schema.size(); ++i) {
    const ParamSpec& spec = schema[i];
    if (spec.key == nullptr || *spec.key == '\0') {
      problems.push_back("parameter #" + std::to_string(i + 1) + " has no key");
      continue;
    }
    const std::string key = spec.key;
    if (!keys.insert(key).second)
      problems.push_back("parameter '" + key + "' is declared twice");
    const auto type = static_cast<std::uint32_t>(spec.type);
    if (type < 1 || type > static_cast<std::uint32_t>(ParamType::path)) {
      problems.push_back("parameter '" + key + "' has an unknown type " + std::to_string(type));
      continue;
    }
    if (spec.type == ParamType::enumeration && (spec.choices == nullptr || *spec.choices == '\0')) {
      problems.push_back("enumeration parameter '" + key + "' declares no choices");
      continue;
    }
    if (spec.min > spec.max)
      problems.push_back("parameter '" + key + "' has min > max");
    if (spec.required && spec.default_value != nullptr) {
      problems.push_back("parameter '" + key + "' is required but also has a default");
    }
    if (spec.default_value != nullptr) {
      Canonical canonical = canonicalize(spec, spec.default_value, {});
      if (!canonical.problem.empty()) {
        problems.push_back("the default of parameter '" + key + "' " + canonical.problem);
      }
    }
    if (spec.doc == nullptr || spec.unit == nullptr) {
      problems.push_back("parameter '" + key + "' has a null doc or unit (use \"\")");
    }
  }
  return problems;
}

}  // namespace kcube
