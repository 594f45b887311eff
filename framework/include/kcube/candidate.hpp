// kcube public SDK: a candidate table, the points among which a rule picks k.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kcube {

/// Expected outcomes of running an LLM k times on one request and keeping the best answer.
struct Candidate {
  /// Number of samples drawn per request (>= 1).
  int k = 0;
  /// Expected total cost per request, USD.
  double cost = 0.0;
  /// Expected end-to-end latency per request, seconds.
  double latency = 0.0;
  /// Expected accuracy of the kept answer, in [0, 1].
  double accuracy = 0.0;
};

/// Candidates sorted by strictly increasing k, plus optional per-row columns such as
/// `cost_std`, `accuracy_se` or `cost_p95` (quantiles a chance-constrained scenario reads).
struct CandidateTable {
  /// One row per k, strictly increasing k.
  std::vector<Candidate> rows;
  /// Extra columns by name; each has rows.size() finite values.
  std::map<std::string, std::vector<double>, std::less<>> columns;

  /// The extra column `name`, or nullptr when the table has none.
  const std::vector<double>* column(std::string_view name) const {
    auto it = columns.find(name);
    return it == columns.end() ? nullptr : &it->second;
  }
};

/// Name of the column holding the q-quantile of `metric` ("cost", "latency", "accuracy"):
/// the digits of q after "0.", at least two: 0.95 -> "cost_p95", 0.05 -> "accuracy_p05",
/// 0.975 -> "cost_p975", 0.025 -> "accuracy_p025". q is rounded to 0.001 and must lie in (0, 1).
inline std::string quantile_column(std::string_view metric, double q) {
  const long permille = std::lround(q * 1000.0);
  char digits[24];
  if (permille % 10 == 0) {
    std::snprintf(digits, sizeof digits, "%02ld", permille / 10);
  } else {
    std::snprintf(digits, sizeof digits, "%03ld", permille);
  }
  return std::string(metric) + "_p" + digits;
}

/// The metric and level of a quantile column, the inverse of quantile_column():
/// "cost_p95" -> {"cost", 0.95}, "accuracy_p025" -> {"accuracy", 0.025}; nullopt for names of
/// another form.
inline std::optional<std::pair<std::string, double>> parse_quantile_column(std::string_view name) {
  const auto at = name.rfind("_p");
  if (at == std::string_view::npos || at == 0)
    return std::nullopt;
  const std::string_view digits = name.substr(at + 2);
  if (digits.size() < 2 || digits.size() > 3)
    return std::nullopt;
  double level = 0.0;
  double scale = 0.1;
  for (const char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    level += (c - '0') * scale;
    scale /= 10.0;
  }
  // Rounded to the 0.001 grid the names live on, so that 0.95 reads back as the double 0.95.
  level = static_cast<double>(std::lround(level * 1000.0)) / 1000.0;
  if (level <= 0.0)
    return std::nullopt;
  return std::make_pair(std::string(name.substr(0, at)), level);
}

}  // namespace kcube
