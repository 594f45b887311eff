// knee-point: the knee of the Pareto front ordered by k (chord, curvature, reference-2d), its
// normalisations and its fallbacks.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "loaded_optimizer.hpp"
#include "problem_builder.hpp"

namespace {

using kcube::SelectionStatus;
using namespace kcube::test;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A front whose three knees differ. Cost is linear in k; latency jumps at k = 4 and k = 8 (waves
// of parallel inferences); accuracy rises by 0.24 per k up to k = 4 and then saturates.
// Budgets $1, 50 s: the budget-normalised points p(k) = (C, T/50, A) are
//   k:  1                 2                  3                  4
//       (0.1, 0.2, 0.21)  (0.2, 0.2, 0.45)   (0.3, 0.2, 0.69)   (0.4, 0.4, 0.91)
//   k:  6                 8
//       (0.6, 0.4, 0.92)  (0.8, 0.6, 0.93)
std::vector<kcube::Candidate> three_knee_rows() {
  return {{1, 0.1, 10.0, 0.21}, {2, 0.2, 10.0, 0.45}, {3, 0.3, 10.0, 0.69},
          {4, 0.4, 20.0, 0.91}, {6, 0.6, 20.0, 0.92}, {8, 0.8, 30.0, 0.93}};
}
constexpr kcube::Budget kThreeKneeBudget{1.0, 50.0, 0.0};

// Tolerance for scores computed independently (double precision, other operation order).
constexpr double kScoreEpsilon = 1e-9;

void check_knee(const kcube::Selection& s, int k, double score) {
  CHECK(s.status == SelectionStatus::selected);
  CHECK(s.k == std::optional<int>(k));
  REQUIRE(s.score.has_value());
  CHECK(*s.score == doctest::Approx(score).epsilon(kScoreEpsilon));
}

TEST_CASE("knee-point: chord, curvature and reference-2d find different knees on one front") {
  const Problem p = make_problem(three_knee_rows(), kThreeKneeBudget);
  REQUIRE(p.pareto_ks() == std::vector<int>{1, 2, 3, 4, 6, 8});

  SUBCASE("chord: farthest from the line through p(1) and p(8)") {
    // Chord u = p(8) - p(1) = (0.7, 0.4, 0.72); d(k) = |(p(k) - p(1)) x u| / |u|:
    // d(2) = 0.1309, d(3) = 0.2619, d(4) = 0.2836 <- largest, d(6) = 0.1895, d(1) = d(8) = 0.
    const auto s = knee_point("chord").select(p.view());
    check_knee(s, 4, 0.2835981939972114);
    CHECK(contains(s.reason, "0.2836"));
    CHECK(contains(s.reason, "chord between k = 1 and k = 8"));
  }
  SUBCASE("curvature: |p' x p''| / |p'|^3 over all three axes") {
    // At k = 6 (h1 = h2 = 2): p' = (p(8) - p(4)) / 4 = (0.1, 0.05, 0.005),
    // p'' = (p(8) - 2 p(6) + p(4)) / 4 = (0, 0.05, 0): kappa = 0.005006 / 0.1119^3 = 3.571.
    // kappa(2) = 0 (a straight stretch), kappa(3) = 2.644, kappa(4) = 1.764 -> k = 6.
    check_knee(knee_point("curvature").select(p.view()), 6, 3.5714583778214553);
  }
  SUBCASE("reference-2d: the (cost, latency) curvature only") {
    // At k = 3 (h1 = h2 = 1): x' = 0.1, y' = 0.1, x'' = 0, y'' = 0.2:
    // kappa = |0.1 * 0.2 - 0.1 * 0| / (0.1^2 + 0.1^2)^{3/2} = 1 / sqrt(0.02) = 7.071.
    // kappa(2) = 0, kappa(4) = 2.88, kappa(6) = 3.578 -> k = 3: the latency step, blind to the
    // accuracy plateau.
    const auto s = knee_point("reference-2d").select(p.view());
    check_knee(s, 3, 1.0 / std::sqrt(0.02));
    CHECK(contains(s.reason, "linear in k"));
  }
}

TEST_CASE("knee-point works on the Pareto set: dominated feasible candidates change nothing") {
  // k = 5 is dominated by k = 4 and k = 7 by k = 6. Were they part of the path, curvature would
  // pick k = 5 and reference-2d k = 6.
  std::vector<kcube::Candidate> rows = three_knee_rows();
  rows.insert(rows.begin() + 4, {5, 0.5, 25.0, 0.9});
  rows.insert(rows.begin() + 6, {7, 0.7, 30.0, 0.92});
  const Problem with_dominated = make_problem(rows, kThreeKneeBudget);
  REQUIRE(with_dominated.feasible.size() == 8);
  REQUIRE(with_dominated.pareto_ks() == std::vector<int>{1, 2, 3, 4, 6, 8});
  const Problem front_only = make_problem(three_knee_rows(), kThreeKneeBudget);
  for (const char* method : {"chord", "curvature", "reference-2d"}) {
    CAPTURE(method);
    const auto a = knee_point(method).select(with_dominated.view());
    const auto b = knee_point(method).select(front_only.view());
    CHECK(a.status == SelectionStatus::selected);
    CHECK(a.k == b.k);
    CHECK(a.score == b.score);
  }
}

TEST_CASE("knee-point's utopia-closest fallback ranks only the Pareto set") {
  // Cost unbounded: d(1) = d(2) = sqrt(0.1^2 + 0.1^2), but k = 2 dominates k = 1, so the
  // Pareto set is {2, 3} (too few points) and the fallback picks k = 2, not the dominated k = 1.
  const Problem p = make_problem({{1, 0.2, 10.0, 0.9}, {2, 0.1, 10.0, 0.9}, {3, 0.3, 30.0, 0.95}},
                                 {kUnbounded, 100.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{2, 3});
  check_pick(knee_point().select(p.view()), SelectionStatus::fallback, 2, std::hypot(0.1, 0.1));
}

TEST_CASE("knee-point: range normalisation can move the knee") {
  const Problem p = make_problem(three_knee_rows(), kThreeKneeBudget);
  // Range space: C -> (C - 0.1) / 0.7, T -> (T - 10) / 20, A -> (A - 0.21) / 0.72, so the chord
  // runs from (0, 0, 0) to (1, 1, 1): d(2) = 0.2365, d(3) = 0.4730 <- largest, d(4) = 0.4178,
  // d(6) = 0.3445. Budget space picks k = 4 (previous test).
  check_knee(knee_point("chord", "budget").select(p.view()), 4, 0.2835981939972114);
  const auto s = knee_point("chord", "range").select(p.view());
  check_knee(s, 3, 0.4730052198651218);
  CHECK(contains(s.reason, "range-normalised"));
}

TEST_CASE("knee-point: range normalisation maps a flat axis to 0") {
  // Every latency is 10 s: (T - min) / (max - min) would be 0/0; the axis maps to 0 instead, and
  // the knee is that of the (C, A) front: d(2) = 0.1347, d(3) = 0.2694, d(4) = 0.3844 <- largest,
  // d(6) = 0.1922.
  std::vector<kcube::Candidate> rows = three_knee_rows();
  for (auto& row : rows) {
    row.latency = 10.0;
  }
  const Problem p = make_problem(rows, kThreeKneeBudget);
  REQUIRE(p.pareto.size() == 6);
  check_knee(knee_point("chord", "range").select(p.view()), 4, 0.3844191627879246);
}

TEST_CASE("knee-point: an unbounded budget contributes a zero component") {
  std::vector<kcube::Candidate> zero_latency = three_knee_rows();
  for (auto& row : zero_latency) {
    row.latency = 0.0;
  }
  const Problem unbounded = make_problem(three_knee_rows(), {1.0, kUnbounded, 0.0});
  const Problem zero = make_problem(zero_latency, kThreeKneeBudget);

  SUBCASE("latency unbounded is the same as latency 0 everywhere") {
    for (const char* method : {"chord", "curvature"}) {
      CAPTURE(method);
      const auto a = knee_point(method).select(unbounded.view());
      const auto b = knee_point(method).select(zero.view());
      CHECK(a.k == b.k);
      CHECK(a.score == b.score);
    }
    // Without the latency step, curvature moves from k = 6 to the accuracy bend at k = 4:
    // p' = (0.1, 0, 0.1483), p'' = (0, 0, -0.1433): kappa = 2.504.
    check_knee(knee_point("curvature").select(unbounded.view()), 4, 2.5036042900881754);
    check_knee(knee_point("chord").select(unbounded.view()), 4, 0.27285639965993613);
  }
  SUBCASE("cost and latency unbounded: the front is a segment of the accuracy axis") {
    // p(k) = (0, 0, A): no knee for any method; utopia-closest then picks the largest A,
    // d = 1 - 0.93 at k = 8.
    const Problem p = make_problem(three_knee_rows(), {kUnbounded, kUnbounded, 0.0});
    for (const char* method : {"chord", "curvature", "reference-2d"}) {
      CAPTURE(method);
      const auto s = knee_point(method).select(p.view());
      check_pick(s, SelectionStatus::fallback, 8, 1.0 - 0.93);
    }
  }
}

TEST_CASE("knee-point: a zero budget met at zero use gives a zero component") {
  // cost_max = $0 and every C = 0: p = (0, 0.1, 0.5), (0, 0.2, 0.8), (0, 0.3, 0.9). Chord
  // u = (0, 0.2, 0.4); d(2) = |0.1 * 0.4 - 0.3 * 0.2| / |u| = 0.02 / sqrt(0.2) = 0.04472.
  const Problem p = make_problem({{1, 0.0, 10.0, 0.5}, {2, 0.0, 20.0, 0.8}, {3, 0.0, 30.0, 0.9}},
                                 {0.0, 100.0, 0.0});
  check_knee(knee_point("chord").select(p.view()), 2, 0.02 / std::sqrt(0.2));
}

TEST_CASE("knee-point breaks ties towards the smallest k") {
  SUBCASE("chord") {
    // Latency unbounded, budget space (C, A): chord from (0.25, 0.25) to (1, 1), so
    // d = |A - C| / sqrt(2): d(2) = 0.25 / sqrt(2), d(3) = 0.2 / sqrt(2), d(4) = 0.25 / sqrt(2).
    // k = 2 and k = 4 tie exactly (dyadic numbers) -> k = 2.
    const Problem p = make_problem({{1, 0.25, 10.0, 0.25},
                                    {2, 0.375, 10.0, 0.625},
                                    {3, 0.5, 10.0, 0.7},
                                    {4, 0.625, 10.0, 0.875},
                                    {5, 1.0, 10.0, 1.0}},
                                   {1.0, kUnbounded, 0.0});
    REQUIRE(p.pareto.size() == 5);
    check_knee(knee_point("chord").select(p.view()), 2, 0.25 / std::sqrt(2.0));
  }
  SUBCASE("curvature and reference-2d") {
    // A zigzag with steps alternating between two vectors, budget space, dyadic numbers:
    // p = (0.25, 0.125, 0.25), (0.5, 0.25, 0.5), (0.625, 0.5, 0.5625), (0.875, 0.625, 0.8125),
    // (1, 0.875, 0.875). Every interior point has p' = (0.1875, 0.1875, 0.15625) and
    // p'' = +-(-0.125, 0.125, -0.1875), so all three curvatures are exactly equal -> k = 2.
    // 3D: |p' x p''| = |(-0.0547, 0.0156, 0.0469)| = 0.07370, |p'| = 0.3078: kappa = 2.528.
    // 2D: |x' y'' - y' x''| = 0.046875, (x'^2 + y'^2)^{3/2} = 0.0703125^{3/2}: kappa = 2.514.
    const Problem p = make_problem({{1, 0.25, 10.0, 0.25},
                                    {2, 0.5, 20.0, 0.5},
                                    {3, 0.625, 40.0, 0.5625},
                                    {4, 0.875, 50.0, 0.8125},
                                    {5, 1.0, 70.0, 0.875}},
                                   {1.0, 80.0, 0.0});
    REQUIRE(p.pareto.size() == 5);
    check_knee(knee_point("curvature").select(p.view()), 2, 2.5280017324540287);
    check_knee(knee_point("reference-2d").select(p.view()), 2, 0.046875 / std::pow(0.0703125, 1.5));
  }
}

TEST_CASE("knee-point: curvature skips interior points where the front does not move along k") {
  // k = 3 repeats k = 1, so at k = 2 p' = (p(3) - p(1)) / 2 = 0 and the curvature is undefined.
  // At k = 3: p' = (p(4) - p(2)) / 2 = (0.125, 0.25, 0.1875), p'' = p(4) - 2 p(3) + p(2) =
  // (0.75, 0, 0.375): kappa = |(0.09375, 0.09375, -0.1875)| / |p'|^3 = 0.2296 / 0.3366^3 = 6.023.
  const Problem p = make_problem(
      {{1, 0.25, 40.0, 0.5}, {2, 0.5, 20.0, 0.5}, {3, 0.25, 40.0, 0.5}, {4, 0.75, 60.0, 0.875}},
      {1.0, 80.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{1, 2, 3, 4});
  check_knee(knee_point("curvature").select(p.view()), 3, 6.022958249675151);
}

TEST_CASE("knee-point falls back when there are fewer than 3 Pareto points") {
  // k = 3 and k = 4 are dominated by k = 2, so the Pareto set is {1, 2}.
  // utopia-closest: d(1) = sqrt(0.1^2 + 0.1^2 + 0.4^2) = 0.4243, d(2) = sqrt(0.2^2 + 0.2^2 +
  // 0.1^2) = 0.3 -> k = 2.
  const Problem p = make_problem(
      {{1, 0.1, 10.0, 0.6}, {2, 0.2, 20.0, 0.9}, {3, 0.3, 30.0, 0.85}, {4, 0.4, 40.0, 0.9}},
      {1.0, 100.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{1, 2});
  for (const char* method : {"chord", "curvature", "reference-2d"}) {
    CAPTURE(method);
    const auto fallback = knee_point(method, "budget", "utopia-closest").select(p.view());
    check_pick(fallback, SelectionStatus::fallback, 2, 0.3);
    CHECK(contains(fallback.reason, "only 2 Pareto points"));
    CHECK(contains(fallback.reason, "utopia-closest"));

    const auto none = knee_point(method, "budget", "none").select(p.view());
    check_no_pick(none, SelectionStatus::too_few_points);
    CHECK(contains(none.reason, "only 2 Pareto points"));
  }
}

TEST_CASE("knee-point falls back on a straight front") {
  // C = k/8, T/80 = k/8, A = 1/4 + k/8: all points on one line (exact in binary), in both
  // normalisations. utopia-closest: d(k)^2 = 2 (k/8)^2 + (3/4 - k/8)^2 = 0.4219, 0.375, 0.4219,
  // 0.5625, 0.7969 -> k = 2, d = sqrt(0.375).
  std::vector<kcube::Candidate> rows;
  for (int k = 1; k <= 5; ++k) {
    rows.push_back({k, 0.125 * k, 10.0 * k, 0.25 + 0.125 * k});
  }
  const Problem p = make_problem(rows, {1.0, 80.0, 0.0});
  REQUIRE(p.pareto.size() == 5);
  for (const char* method : {"chord", "curvature", "reference-2d"}) {
    for (const char* normalize : {"budget", "range"}) {
      CAPTURE(method);
      CAPTURE(normalize);
      const auto fallback = knee_point(method, normalize, "utopia-closest").select(p.view());
      check_pick(fallback, SelectionStatus::fallback, 2, std::sqrt(0.375));
      CHECK(contains(fallback.reason, "no knee"));
      check_no_pick(knee_point(method, normalize, "none").select(p.view()),
                    SelectionStatus::too_few_points);
    }
  }
  CHECK(contains(knee_point("chord").select(p.view()).reason, "straight line"));
}

TEST_CASE("knee-point: reference-2d ignores accuracy, so linear cost and latency give no knee") {
  // C and T are linear in k (exact in binary) while accuracy bends: chord and curvature see the
  // bend at k = 3 (d = 0.1172; kappa = 1.379), reference-2d sees a straight (cost, latency) path.
  const Problem p = make_problem({{1, 0.125, 10.0, 0.25},
                                  {2, 0.25, 20.0, 0.5},
                                  {3, 0.375, 30.0, 0.625},
                                  {4, 0.5, 40.0, 0.6875},
                                  {5, 0.625, 50.0, 0.71875}},
                                 {1.0, 80.0, 0.0});
  check_knee(knee_point("chord").select(p.view()), 3, 0.11720975874089024);
  check_knee(knee_point("curvature").select(p.view()), 3, 1.37904735000784);
  const auto s = knee_point("reference-2d").select(p.view());
  // utopia-closest: d(2) = sqrt(2 (0.25)^2 + 0.5^2) = sqrt(0.375) is the smallest.
  check_pick(s, SelectionStatus::fallback, 2, std::sqrt(0.375));
  CHECK(contains(s.reason, "linear in k"));
}

TEST_CASE("knee-point on identical candidates falls back to the smallest k") {
  // One point repeated at k = 3, 5, 7, 9: the Pareto set keeps all four duplicates. The chord has
  // zero length and p' = 0 everywhere; utopia-closest ties -> k = 3, d = sqrt(0.2^2 * 2 + 0.1^2).
  const Problem p = make_problem(
      {{3, 0.2, 20.0, 0.9}, {5, 0.2, 20.0, 0.9}, {7, 0.2, 20.0, 0.9}, {9, 0.2, 20.0, 0.9}},
      {1.0, 100.0, 0.0});
  REQUIRE(p.pareto.size() == 4);
  for (const char* method : {"chord", "curvature", "reference-2d"}) {
    CAPTURE(method);
    check_pick(knee_point(method).select(p.view()), SelectionStatus::fallback, 3,
               std::sqrt(0.2 * 0.2 + 0.2 * 0.2 + 0.1 * 0.1));
  }
  CHECK(contains(knee_point("chord").select(p.view()).reason, "coincide"));
  CHECK(contains(knee_point("curvature").select(p.view()).reason, "does not move"));
}

TEST_CASE("knee-point with one feasible candidate falls back or reports too few points") {
  const Problem p = make_problem({{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.8}}, {1.0, 15.0, 0.0});
  REQUIRE(p.pareto_ks() == std::vector<int>{1});
  // d = sqrt(0.1^2 + (10/15)^2 + 0.5^2).
  const auto s = knee_point().select(p.view());
  check_pick(s, SelectionStatus::fallback, 1,
             std::sqrt(0.1 * 0.1 + (10.0 / 15) * (10.0 / 15) + 0.5 * 0.5));
  CHECK(contains(s.reason, "only 1 Pareto point "));
  check_no_pick(knee_point("chord", "budget", "none").select(p.view()),
                SelectionStatus::too_few_points);
}

TEST_CASE("knee-point reports infeasible when no candidate meets the budgets, whatever fallback") {
  const Problem p = make_problem(three_knee_rows(), {0.05, 50.0, 0.0});
  REQUIRE(p.feasible.empty());
  for (const char* fallback : {"utopia-closest", "none"}) {
    CAPTURE(fallback);
    const auto s = knee_point("chord", "budget", fallback).select(p.view());
    check_no_pick(s, SelectionStatus::infeasible);
    CHECK(s.reason == "no candidate satisfies the budgets");
  }
}

}  // namespace
