// accuracy-max: argmax A over F, score A.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "loaded_optimizer.hpp"
#include "problem_builder.hpp"

namespace {

using kcube::SelectionStatus;
using namespace kcube::test;

TEST_CASE("accuracy-max picks the most accurate feasible candidate, not the most accurate one") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  REQUIRE(p.feasible_ks() == std::vector<int>{2, 4, 8, 16});
  // A over F: 0.85, 0.95, 0.97, 0.98 -> k = 16. k = 32 (A = 0.985) is over budget.
  const auto s = accuracy_max().select(p.view());
  check_pick(s, SelectionStatus::selected, 16, 0.98);
  CHECK(s.reason.find("0.98") != std::string::npos);
  CHECK(s.reason.find("4 feasible") != std::string::npos);
}

TEST_CASE("accuracy-max breaks ties towards the smallest k") {
  // A = 0.8, 0.9, 0.9, 0.85: the maximum 0.9 is reached at k = 2 and k = 3 -> k = 2.
  const Problem p = make_problem(
      {{1, 0.1, 10.0, 0.8}, {2, 0.2, 20.0, 0.9}, {3, 0.3, 30.0, 0.9}, {4, 0.4, 40.0, 0.85}},
      {1.0, 100.0, 0.0});
  check_pick(accuracy_max().select(p.view()), SelectionStatus::selected, 2, 0.9);
}

TEST_CASE("accuracy-max reports infeasible when no candidate meets the budgets") {
  // Every row costs more than $0.01.
  const Problem p = make_problem(balanced_rows(), {0.01, 60.0, 0.8});
  REQUIRE(p.feasible.empty());
  const auto s = accuracy_max().select(p.view());
  check_no_pick(s, SelectionStatus::infeasible);
  CHECK(s.reason == "no candidate satisfies the budgets");
}

TEST_CASE("accuracy-max picks the only feasible candidate") {
  // Only k = 2 has A >= 0.8 and C <= $0.06.
  const Problem p = make_problem(balanced_rows(), {0.06, 60.0, 0.8});
  REQUIRE(p.feasible_ks() == std::vector<int>{2});
  check_pick(accuracy_max().select(p.view()), SelectionStatus::selected, 2, 0.85);
}

TEST_CASE("accuracy-max picks the smallest k among identical candidates") {
  const Problem p = make_problem({{3, 0.2, 20.0, 0.9}, {5, 0.2, 20.0, 0.9}, {7, 0.2, 20.0, 0.9}},
                                 {1.0, 100.0, 0.0});
  REQUIRE(p.pareto.size() == 3);
  check_pick(accuracy_max().select(p.view()), SelectionStatus::selected, 3, 0.9);
}

TEST_CASE("accuracy-max with unbounded budgets ranks every candidate") {
  // No cost or latency bound: k = 32 (A = 0.985) is feasible and wins.
  const Problem p = make_problem(balanced_rows(), {kUnbounded, kUnbounded, 0.0});
  REQUIRE(p.feasible.size() == 6);
  check_pick(accuracy_max().select(p.view()), SelectionStatus::selected, 32, 0.985);
}

}  // namespace
