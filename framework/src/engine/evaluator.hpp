// The evaluator: how a cell's candidates are computed. Text enters once (manifest run.evaluator,
// `kcube simulate --evaluator`, the store's runs.evaluator column) and is parsed here; everything
// else holds the enum.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kcube {

/// How a cell's candidates are evaluated.
enum class Evaluator {
  /// run.trials simulated trials per cell (engine.hpp), with means, spreads and quantiles.
  monte_carlo,
  /// Closed-form expected values from the profile's exact hooks (exact.hpp); draws nothing.
  exact,
};

/// Every evaluator and its name, as manifests, options, the store and messages spell it.
inline constexpr std::array<std::pair<Evaluator, std::string_view>, 2> kEvaluatorNames = {{
    {Evaluator::monte_carlo, "monte-carlo"},
    {Evaluator::exact, "exact"},
}};

/// The evaluator's name: "monte-carlo" or "exact".
constexpr std::string_view to_string(Evaluator evaluator) noexcept {
  for (const auto& [value, name] : kEvaluatorNames) {
    if (value == evaluator)
      return name;
  }
  return "?";
}

/// The evaluator named `name` exactly; nullopt for any other text.
constexpr std::optional<Evaluator> parse_evaluator(std::string_view name) noexcept {
  for (const auto& [value, spelled] : kEvaluatorNames) {
    if (spelled == name)
      return value;
  }
  return std::nullopt;
}

/// The names in kEvaluatorNames' order, for "is not one of" and "did you mean".
inline std::vector<std::string> evaluator_names() {
  std::vector<std::string> names;
  for (const auto& entry : kEvaluatorNames)
    names.emplace_back(entry.second);
  return names;
}

}  // namespace kcube
