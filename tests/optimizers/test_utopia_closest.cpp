// utopia-closest: argmin over the Pareto set of F of
// d = sqrt((C/cost_max)^2 + (T/latency_max)^2 + (1 - A)^2), score d.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "loaded_optimizer.hpp"
#include "problem_builder.hpp"

namespace {

using kcube::SelectionStatus;
using namespace kcube::test;

TEST_CASE("utopia-closest picks the Pareto point nearest ($0, 0 s, accuracy 1)") {
  // Budgets $1, 100 s:
  // d(1) = sqrt(0.1^2 + 0.1^2 + 0.5^2)  = sqrt(0.27)   = 0.5196
  // d(2) = sqrt(0.2^2 + 0.2^2 + 0.2^2)  = sqrt(0.12)   = 0.3464  <- smallest
  // d(3) = sqrt(0.3^2 + 0.3^2 + 0.1^2)  = sqrt(0.19)   = 0.4359
  // d(4) = sqrt(0.4^2 + 0.4^2 + 0.05^2) = sqrt(0.3225) = 0.5679
  const Problem p = make_problem(
      {{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.8}, {3, 0.3, 30.0, 0.9}, {4, 0.4, 40.0, 0.95}},
      {1.0, 100.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{1, 2, 3, 4});
  const auto s = utopia_closest().select(p.view());
  check_pick(s, SelectionStatus::selected, 2, std::sqrt(0.12));
  CHECK(s.reason.find("0.3464") != std::string::npos);
}

TEST_CASE("utopia-closest ranks only the Pareto set, so a dominated tie is never picked") {
  // Cost unbounded, so C drops out: d(1) = d(2) = sqrt(0.1^2 + 0.1^2) = 0.1414 and
  // d(3) = sqrt(0.3^2 + 0.05^2) = 0.3041. Over F the tie would go to k = 1, which k = 2
  // dominates (cheaper, same latency and accuracy); over the Pareto set {2, 3} it is k = 2.
  const Problem p = make_problem({{1, 0.2, 10.0, 0.9}, {2, 0.1, 10.0, 0.9}, {3, 0.3, 30.0, 0.95}},
                                 {kUnbounded, 100.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{2, 3});
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 2, std::hypot(0.1, 0.1));
}

TEST_CASE("utopia-closest breaks ties towards the smallest k") {
  // Latency unbounded; dyadic numbers, so the distances are exact:
  // d(1) = sqrt(0.125^2 + 0.875^2) = 0.8839, d(2) = sqrt(0.25^2 + 0.5^2) = 0.5590,
  // d(3) = sqrt(0.5^2 + 0.25^2) = 0.5590, d(4) = sqrt(0.875^2 + 0.125^2) = 0.8839.
  // k = 2 and k = 3 tie -> k = 2.
  const Problem p = make_problem({{1, 0.125, 10.0, 0.125},
                                  {2, 0.25, 10.0, 0.5},
                                  {3, 0.5, 10.0, 0.75},
                                  {4, 0.875, 10.0, 0.875}},
                                 {1.0, kUnbounded, 0.0});
  REQUIRE(p.pareto.size() == 4);
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 2, std::sqrt(0.3125));
}

TEST_CASE("utopia-closest reports infeasible when no candidate meets the budgets") {
  const Problem p = make_problem({{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.8}}, {1.0, 5.0, 0.0});
  REQUIRE(p.feasible.empty());
  const auto s = utopia_closest().select(p.view());
  check_no_pick(s, SelectionStatus::infeasible);
  CHECK(s.reason == "no candidate satisfies the budgets");
}

TEST_CASE("utopia-closest picks the only feasible candidate") {
  // F = {1}: d = sqrt(0.1^2 + (10/15)^2 + 0.5^2).
  const Problem p = make_problem({{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.8}}, {1.0, 15.0, 0.0});
  REQUIRE(p.feasible_ks() == std::vector<int>{1});
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 1,
             std::sqrt(0.1 * 0.1 + (10.0 / 15) * (10.0 / 15) + 0.5 * 0.5));
}

TEST_CASE("utopia-closest picks the smallest k among identical candidates") {
  const Problem p = make_problem({{3, 0.2, 20.0, 0.9}, {5, 0.2, 20.0, 0.9}, {7, 0.2, 20.0, 0.9}},
                                 {1.0, 100.0, 0.0});
  REQUIRE(p.pareto.size() == 3);
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 3,
             std::sqrt(0.2 * 0.2 + 0.2 * 0.2 + 0.1 * 0.1));
}

TEST_CASE("utopia-closest: a zero budget met at zero use contributes nothing") {
  // cost_max = $0 and every C = 0: C/cost_max is taken as 0, not 0/0. d(1) = |(0.1, 0.5)| =
  // 0.5099, d(2) = |(0.2, 0.2)| = 0.2828 <- smallest, d(3) = |(0.3, 0.1)| = 0.3162.
  const Problem p = make_problem({{1, 0.0, 10.0, 0.5}, {2, 0.0, 20.0, 0.8}, {3, 0.0, 30.0, 0.9}},
                                 {0.0, 100.0, 0.0});
  REQUIRE(p.pareto.size() == 3);
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 2, std::sqrt(0.08));
}

TEST_CASE("utopia-closest: unbounded budgets contribute nothing to the distance") {
  // d = 1 - A, so the most accurate Pareto point wins: k = 3, d = 0.05.
  const Problem p = make_problem(
      {{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.8}, {3, 0.3, 30.0, 0.95}, {4, 0.4, 40.0, 0.9}},
      {kUnbounded, kUnbounded, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{1, 2, 3});
  check_pick(utopia_closest().select(p.view()), SelectionStatus::selected, 3, 1.0 - 0.95);
}

}  // namespace
