// Test support: selection problems built by hand, with the feasible and Pareto sets a host with
// a plain budget scenario would compute.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "kcube/candidate.hpp"
#include "kcube/optimizer.hpp"
#include "kcube/pareto.hpp"
#include "kcube/scenario.hpp"

namespace kcube::test {

/// +infinity: an unbounded budget.
inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

/// A candidate table with its budgets, F and the Pareto set of F. Owns what a SelectionProblem
/// only views.
struct Problem {
  /// Candidates, strictly increasing k.
  CandidateTable table;
  /// The budgets the rules score against.
  Budget budget;
  /// Row indices of F, increasing k.
  std::vector<std::size_t> feasible;
  /// Row indices of the Pareto set of F, increasing k.
  std::vector<std::size_t> pareto;

  /// The view an optimizer receives; valid while this Problem lives and is not moved.
  SelectionProblem view() const { return {table, budget, feasible, pareto}; }

  /// The k of every row of the Pareto set, for checks that the table means what the test says.
  std::vector<int> pareto_ks() const {
    std::vector<int> ks;
    for (std::size_t row : pareto) {
      ks.push_back(table.rows[row].k);
    }
    return ks;
  }
  /// The k of every feasible row.
  std::vector<int> feasible_ks() const {
    std::vector<int> ks;
    for (std::size_t row : feasible) {
      ks.push_back(table.rows[row].k);
    }
    return ks;
  }
};

/// F = rows with cost <= cost_max, latency <= latency_max, accuracy >= accuracy_min, and its
/// Pareto set from kcube::pareto_set. `rows` must have strictly increasing k.
inline Problem make_problem(std::vector<Candidate> rows, Budget budget) {
  Problem problem;
  problem.table.rows = std::move(rows);
  problem.budget = budget;
  for (std::size_t i = 0; i < problem.table.rows.size(); ++i) {
    const Candidate& c = problem.table.rows[i];
    if (i > 0) {
      REQUIRE(problem.table.rows[i - 1].k < c.k);
    }
    if (c.cost <= budget.cost_max && c.latency <= budget.latency_max &&
        c.accuracy >= budget.accuracy_min) {
      problem.feasible.push_back(i);
    }
  }
  problem.pareto = pareto_set(problem.table.rows, problem.feasible);
  return problem;
}

/// Checks that `s` is a pick of k with the given score (relative tolerance 1e-12: the expected
/// scores are the same arithmetic written out, so only rounding separates them).
inline void check_pick(const Selection& s, SelectionStatus status, int k, double score) {
  CHECK(s.status == status);
  CHECK(s.k == std::optional<int>(k));
  REQUIRE(s.score.has_value());
  CHECK(*s.score == doctest::Approx(score).epsilon(1e-12));
  CHECK_FALSE(s.reason.empty());
}

/// Checks that `s` picked nothing, with the given status.
inline void check_no_pick(const Selection& s, SelectionStatus status) {
  CHECK(s.status == status);
  CHECK_FALSE(s.k.has_value());
  CHECK_FALSE(s.score.has_value());
  CHECK_FALSE(s.reason.empty());
}

/// A six-row table shared by the rule tests. Under kBalanced ($0.5, 60 s, accuracy >= 0.8),
/// k = 1 misses the accuracy budget and k = 32 the cost and latency budgets: F = {2, 4, 8, 16}.
inline std::vector<Candidate> balanced_rows() {
  return {{1, 0.025, 2.5, 0.70}, {2, 0.05, 5.0, 0.85},  {4, 0.1, 10.0, 0.95},
          {8, 0.2, 20.0, 0.97},  {16, 0.4, 40.0, 0.98}, {32, 0.8, 80.0, 0.985}};
}
/// The budgets of balanced_rows().
inline constexpr Budget kBalanced{0.5, 60.0, 0.8};

}  // namespace kcube::test
