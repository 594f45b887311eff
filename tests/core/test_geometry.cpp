// Budget-normalised geometry shared by the rules.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "kcube/geometry.hpp"

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

TEST_CASE("budget_share: used / budget, 0 for an unbounded budget and for 0 of 0") {
  CHECK(kcube::budget_share(0.25, 0.5) == 0.5);
  CHECK(kcube::budget_share(3.0, kInf) == 0.0);
  CHECK(kcube::budget_share(0.0, 0.0) == 0.0);
}

TEST_CASE("utopia_distance is the Euclidean norm of (C/cost_max, T/latency_max, 1 - A)") {
  // (0.1/0.5, 10/50, 1 - 0.9) = (0.2, 0.2, 0.1): d = sqrt(0.04 + 0.04 + 0.01) = 0.3.
  const kcube::Candidate c{4, 0.1, 10.0, 0.9};
  CHECK(kcube::utopia_distance(c, {0.5, 50.0, 0.0}) == doctest::Approx(0.3).epsilon(1e-15));
  // Unbounded cost and latency: only 1 - A counts.
  CHECK(kcube::utopia_distance(c, {kInf, kInf, 0.0}) == doctest::Approx(0.1).epsilon(1e-15));
}

TEST_CASE("nearest_to_utopia keeps the smallest k among equal distances") {
  // Rows 1 and 2 are both at distance 0.1 with unbounded budgets; row 1 comes first.
  const std::vector<kcube::Candidate> rows = {
      {1, 0.1, 1.0, 0.8}, {2, 0.2, 2.0, 0.9}, {3, 0.3, 3.0, 0.9}, {4, 0.4, 4.0, 0.85}};
  const std::vector<std::size_t> subset = {0, 1, 2, 3};
  const auto pick = kcube::nearest_to_utopia(rows, subset, {kInf, kInf, 0.0});
  CHECK(pick.row == 1);
  CHECK(pick.distance == doctest::Approx(0.1));
}
