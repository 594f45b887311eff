// kcube public SDK: the budget-normalised geometry the paper's rules share.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>
#include <span>

#include "kcube/candidate.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// The share of a budget that `used` takes, used / budget (dimensionless). An unbounded budget
/// (+inf) gives 0, so that axis contributes nothing to a rule's score; using nothing of a zero
/// budget gives 0 rather than 0/0.
inline double budget_share(double used, double budget) noexcept {
  return used == 0.0 ? 0.0 : used / budget;
}

/// Distance from a candidate to the utopia point ($0, 0 s, accuracy 1) in budget-normalised
/// space: d = ||(C / cost_max, T / latency_max, 1 - A)||_2 (dimensionless).
inline double utopia_distance(const Candidate& c, const Budget& budget) noexcept {
  return std::hypot(budget_share(c.cost, budget.cost_max),
                    budget_share(c.latency, budget.latency_max), 1.0 - c.accuracy);
}

/// A row of a candidate table and its distance to the utopia point.
struct UtopiaPick {
  /// Index into the table's rows.
  std::size_t row = 0;
  /// utopia_distance of that row.
  double distance = 0.0;
};

/// The member of `subset` (row indices of `rows` in increasing k, not empty) nearest the utopia
/// point; ties go to the first, i.e. the smallest k.
inline UtopiaPick nearest_to_utopia(std::span<const Candidate> rows,
                                    std::span<const std::size_t> subset, const Budget& budget) {
  assert(!subset.empty() && "callers handle an empty set (status infeasible) first");
  UtopiaPick best{subset.front(), utopia_distance(rows[subset.front()], budget)};
  for (std::size_t row : subset) {
    const double d = utopia_distance(rows[row], budget);
    if (d < best.distance)
      best = {row, d};
  }
  return best;
}

}  // namespace kcube
