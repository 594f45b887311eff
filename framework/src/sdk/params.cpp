#include "kcube/params.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "kcube/error.hpp"

namespace kcube {
namespace {

const std::string& raw_value(const Params& params, std::string_view key) {
  auto it = params.find(std::string(key));
  if (it == params.not_found()) {
    throw Error("parameter '" + std::string(key) +
                "' is not set (the plugin read a key its schema does not default)");
  }
  return it->second.data();
}

[[noreturn]] void bad_value(std::string_view key, const std::string& text, std::string_view want) {
  throw Error("parameter '" + std::string(key) + "' holds '" + text + "', not " +
              std::string(want));
}

}  // namespace

std::string_view to_string(ParamType type) noexcept {
  switch (type) {
    case ParamType::integer:
      return "int";
    case ParamType::real:
      return "float";
    case ParamType::boolean:
      return "bool";
    case ParamType::string:
      return "string";
    case ParamType::enumeration:
      return "enum";
    case ParamType::path:
      return "path";
  }
  return "unknown";
}

bool has_param(const Params& params, std::string_view key) {
  return params.find(std::string(key)) != params.not_found();
}

std::int64_t get_int(const Params& params, std::string_view key) {
  const std::string& text = raw_value(params, key);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    bad_value(key, text, "an integer");
  return value;
}

double get_real(const Params& params, std::string_view key) {
  const std::string& text = raw_value(params, key);
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || std::isnan(value)) {
    bad_value(key, text, "a number");
  }
  return value;
}

bool get_bool(const Params& params, std::string_view key) {
  const std::string& text = raw_value(params, key);
  if (text == "true")
    return true;
  if (text == "false")
    return false;
  bad_value(key, text, "true or false");
}

std::string get_string(const Params& params, std::string_view key) {
  return raw_value(params, key);
}

}  // namespace kcube
