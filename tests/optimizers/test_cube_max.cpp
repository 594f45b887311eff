// cube-max: argmax over F of V = (1 - C/cost_max)(1 - T/latency_max) a, score V.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "loaded_optimizer.hpp"
#include "problem_builder.hpp"

namespace {

using kcube::SelectionStatus;
using namespace kcube::test;

TEST_CASE("cube-max with the raw accuracy term maximises the feasible-cube volume") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  REQUIRE(p.feasible_ks() == std::vector<int>{2, 4, 8, 16});
  // V(2)  = (1 - 0.05/0.5)(1 - 5/60)(0.85)  = 0.9 * 0.9167 * 0.85 = 0.7013  <- largest
  // V(4)  = (1 - 0.1/0.5)(1 - 10/60)(0.95)  = 0.8 * 0.8333 * 0.95 = 0.6333
  // V(8)  = (1 - 0.2/0.5)(1 - 20/60)(0.97)  = 0.6 * 0.6667 * 0.97 = 0.3880
  // V(16) = (1 - 0.4/0.5)(1 - 40/60)(0.98)  = 0.2 * 0.3333 * 0.98 = 0.0653
  const auto s = cube_max("raw").select(p.view());
  check_pick(s, SelectionStatus::selected, 2, (1 - 0.05 / 0.5) * (1 - 5.0 / 60) * 0.85);
  CHECK(s.reason.find("0.701") != std::string::npos);
}

TEST_CASE("cube-max with the normalized accuracy term rewards accuracy above the budget") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  // a = (A - 0.8) / (1 - 0.8):
  // V(2)  = 0.9 * 0.9167 * 0.25 = 0.2063
  // V(4)  = 0.8 * 0.8333 * 0.75 = 0.5000  <- largest
  // V(8)  = 0.6 * 0.6667 * 0.85 = 0.3400
  // V(16) = 0.2 * 0.3333 * 0.90 = 0.0600
  check_pick(cube_max("normalized").select(p.view()), SelectionStatus::selected, 4,
             (1 - 0.1 / 0.5) * (1 - 10.0 / 60) * (0.95 - 0.8) / (1 - 0.8));
}

TEST_CASE("cube-max with the normalized accuracy term and accuracy_min = 1 uses a = 1") {
  // Only A = 1 is feasible; the accuracy side is then defined as 1 instead of 0/0.
  // V(2) = (1 - 0.2)(1 - 20/100) = 0.64  <- largest;  V(3) = 0.7 * 0.7 = 0.49.
  const Problem p = make_problem({{1, 0.1, 10.0, 0.9}, {2, 0.2, 20.0, 1.0}, {3, 0.3, 30.0, 1.0}},
                                 {1.0, 100.0, 1.0});
  REQUIRE(p.feasible_ks() == std::vector<int>{2, 3});
  check_pick(cube_max("normalized").select(p.view()), SelectionStatus::selected, 2,
             (1 - 0.2) * (1 - 20.0 / 100));
}

TEST_CASE("cube-max breaks ties towards the smallest k") {
  // Latency unbounded, so V = (1 - C) A with dyadic numbers (exact in binary):
  // V(1) = 0.25 * 0.75 = 0.1875, V(2) = 0.5 * 0.75 = 0.375, V(3) = 0.75 * 0.5 = 0.375,
  // V(4) = 0.125 * 1 = 0.125: k = 2 and k = 3 tie -> k = 2.
  const Problem p = make_problem(
      {{1, 0.75, 10.0, 0.75}, {2, 0.5, 10.0, 0.75}, {3, 0.25, 10.0, 0.5}, {4, 0.875, 10.0, 1.0}},
      {1.0, kUnbounded, 0.0});
  check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 2, 0.375);
}

TEST_CASE("cube-max reports infeasible when no candidate meets the budgets") {
  const Problem p = make_problem(balanced_rows(), {0.5, 60.0, 0.99});
  REQUIRE(p.feasible.empty());
  for (const char* term : {"raw", "normalized"}) {
    const auto s = cube_max(term).select(p.view());
    check_no_pick(s, SelectionStatus::infeasible);
    CHECK(s.reason == "no candidate satisfies the budgets");
  }
}

TEST_CASE("cube-max picks the only feasible candidate") {
  // F = {16}: V = (1 - 0.4/0.5)(1 - 40/60)(0.98).
  const Problem p = make_problem(balanced_rows(), {0.5, 60.0, 0.975});
  REQUIRE(p.feasible_ks() == std::vector<int>{16});
  check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 16,
             (1 - 0.4 / 0.5) * (1 - 40.0 / 60) * 0.98);
}

TEST_CASE("cube-max picks the smallest k among identical candidates") {
  const Problem p = make_problem({{3, 0.2, 20.0, 0.9}, {5, 0.2, 20.0, 0.9}, {7, 0.2, 20.0, 0.9}},
                                 {1.0, 100.0, 0.0});
  check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 3, 0.8 * 0.8 * 0.9);
}

TEST_CASE("cube-max: an unbounded budget contributes a factor 1") {
  SUBCASE("cost and latency unbounded: V = A, the most accurate candidate wins") {
    const Problem p = make_problem(balanced_rows(), {kUnbounded, kUnbounded, 0.0});
    check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 32, 0.985);
  }
  SUBCASE("cost unbounded: V = (1 - T/60) A, and k = 4 beats the k = 2 of the bounded case") {
    // V(2) = 0.9167 * 0.85 = 0.7792, V(4) = 0.8333 * 0.95 = 0.7917 <- largest,
    // V(8) = 0.6667 * 0.97 = 0.6467, V(16) = 0.3333 * 0.98 = 0.3267.
    const Problem p = make_problem(balanced_rows(), {kUnbounded, 60.0, 0.8});
    check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 4,
               (1 - 10.0 / 60) * 0.95);
  }
}

TEST_CASE("cube-max: a zero budget that every candidate meets at zero use leaves a factor 1") {
  // cost_max = $0 and every C = 0: C/cost_max is taken as 0, not 0/0, so V = (1 - T/100) A:
  // V(1) = 0.9 * 0.5 = 0.45, V(2) = 0.8 * 0.8 = 0.64 <- largest, V(3) = 0.7 * 0.9 = 0.63.
  const Problem p = make_problem({{1, 0.0, 10.0, 0.5}, {2, 0.0, 20.0, 0.8}, {3, 0.0, 30.0, 0.9}},
                                 {0.0, 100.0, 0.0});
  REQUIRE(p.feasible.size() == 3);
  check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 2, 0.8 * 0.8);
}

TEST_CASE("cube-max gives no volume to a candidate over two budgets that a scenario admitted") {
  // A quantile-based scenario may admit a row whose expected cost and latency exceed the budgets.
  // Unclamped, V(1) = (1 - 0.6/0.5)(1 - 70/60)(0.9) = (-0.2)(-0.1667)(0.9) = 0.03 would beat
  // V(2) = (1 - 0.45/0.5)(1 - 55/60)(0.5) = 0.1 * 0.0833 * 0.5 = 0.0042; clamped, V(1) = 0.
  Problem p = make_problem({{1, 0.6, 70.0, 0.9}, {2, 0.45, 55.0, 0.5}}, {0.5, 60.0, 0.0});
  p.feasible = {0, 1};
  p.pareto = kcube::pareto_set(p.table.rows, p.feasible);
  check_pick(cube_max("raw").select(p.view()), SelectionStatus::selected, 2,
             (1 - 0.45 / 0.5) * (1 - 55.0 / 60) * 0.5);
}

}  // namespace
