// kcube::pareto_set, the Pareto filter every rule sees through the host, against the definition.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kcube/candidate.hpp"
#include "kcube/pareto.hpp"

namespace {

using kcube::Candidate;
using Indices = std::vector<std::size_t>;

// The definition, O(n^2): members of `subset` that no member of `subset` dominates, sorted.
Indices brute_force_front(const std::vector<Candidate>& rows, const Indices& subset) {
  Indices front;
  for (std::size_t i : subset) {
    const bool dominated = std::any_of(subset.begin(), subset.end(), [&](std::size_t j) {
      return kcube::dominates(rows[j], rows[i]);
    });
    if (!dominated) {
      front.push_back(i);
    }
  }
  std::sort(front.begin(), front.end());
  return front;
}

Indices all_rows(std::size_t n) {
  Indices subset(n);
  std::iota(subset.begin(), subset.end(), std::size_t{0});
  return subset;
}

// Coordinates from a 4 x 4 x 4 grid: with many points, most share a coordinate with another
// and many are exact duplicates.
std::vector<Candidate> grid_points(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> level(0, 3);
  std::vector<Candidate> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] = {static_cast<int>(i) + 1, 0.25 * level(rng), 10.0 * level(rng), 0.25 * level(rng)};
  }
  return rows;
}

// Coordinates from continuous distributions: ties are unlikely, fronts are thin.
std::vector<Candidate> continuous_points(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Candidate> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] = {static_cast<int>(i) + 1, unit(rng), 100.0 * unit(rng), unit(rng)};
  }
  return rows;
}

void check_against_brute_force(const std::vector<Candidate>& rows, const Indices& subset) {
  const Indices front = kcube::pareto_set(rows, subset);
  CHECK(front == brute_force_front(rows, subset));
  CHECK(std::is_sorted(front.begin(), front.end()));
  // A non-empty set always has a non-dominated member.
  CHECK(front.empty() == subset.empty());
}

TEST_CASE("pareto_set equals the O(n^2) definition on random sets") {
  for (std::size_t n : {0u, 1u, 2u, 10u, 100u, 1000u, 10000u}) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      CAPTURE(n);
      CAPTURE(seed);
      check_against_brute_force(grid_points(n, seed), all_rows(n));
      check_against_brute_force(continuous_points(n, seed), all_rows(n));
    }
  }
}

TEST_CASE("pareto_set filters only the given subset, in any order") {
  for (std::size_t n : {10u, 100u, 1000u}) {
    CAPTURE(n);
    const std::vector<Candidate> rows = grid_points(n, 7);
    std::mt19937_64 rng(11);
    std::bernoulli_distribution keep(0.5);
    Indices subset;
    for (std::size_t i = 0; i < n; ++i) {
      if (keep(rng)) {
        subset.push_back(i);
      }
    }
    check_against_brute_force(rows, subset);
    // The host passes F in increasing k, but the result must not depend on it.
    Indices shuffled = subset;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    CHECK(kcube::pareto_set(rows, shuffled) == brute_force_front(rows, subset));
  }
}

TEST_CASE("pareto_set on hand cases") {
  const Candidate a{1, 0.2, 20.0, 0.8};
  SUBCASE("empty and single") {
    CHECK(kcube::pareto_set(std::vector<Candidate>{}, Indices{}).empty());
    CHECK(kcube::pareto_set(std::vector<Candidate>{a}, Indices{0}) == Indices{0});
  }
  SUBCASE("identical points do not dominate each other: all are kept") {
    const std::vector<Candidate> rows{a, {2, 0.2, 20.0, 0.8}, {3, 0.2, 20.0, 0.8}};
    CHECK_FALSE(kcube::dominates(rows[0], rows[1]));
    CHECK(kcube::pareto_set(rows, all_rows(3)) == Indices{0, 1, 2});
  }
  SUBCASE("being strictly better on one axis and equal on the others dominates") {
    const std::vector<Candidate> cheaper{a, {2, 0.1, 20.0, 0.8}};
    const std::vector<Candidate> faster{a, {2, 0.2, 10.0, 0.8}};
    const std::vector<Candidate> more_accurate{a, {2, 0.2, 20.0, 0.9}};
    CHECK(kcube::pareto_set(cheaper, all_rows(2)) == Indices{1});
    CHECK(kcube::pareto_set(faster, all_rows(2)) == Indices{1});
    CHECK(kcube::pareto_set(more_accurate, all_rows(2)) == Indices{1});
  }
  SUBCASE("trade-offs keep every point") {
    // Cheaper but slower, or more accurate but dearer: nobody dominates.
    const std::vector<Candidate> rows{a, {2, 0.1, 30.0, 0.8}, {3, 0.3, 20.0, 0.9}};
    CHECK(kcube::pareto_set(rows, all_rows(3)) == Indices{0, 1, 2});
  }
  SUBCASE("duplicates of a dominated point all go, duplicates of a front point all stay") {
    const std::vector<Candidate> rows{
        {1, 0.3, 30.0, 0.7}, a, {3, 0.3, 30.0, 0.7}, {4, 0.2, 20.0, 0.8}, {5, 0.3, 30.0, 0.7}};
    CHECK(kcube::pareto_set(rows, all_rows(5)) == Indices{1, 3});
  }
  SUBCASE("a point dominated only from outside the subset stays") {
    const std::vector<Candidate> rows{{1, 0.3, 30.0, 0.7}, a};
    CHECK(kcube::pareto_set(rows, Indices{0}) == Indices{0});
    CHECK(kcube::pareto_set(rows, Indices{0, 1}) == Indices{1});
  }
  SUBCASE("a staircase: each point is beaten only by a later one on one axis") {
    // Latency falls while accuracy rises with cost: all non-dominated; adding a point that is
    // no worse than (0.2, 20, 0.8) anywhere and better on latency removes exactly that point.
    std::vector<Candidate> rows{{1, 0.1, 40.0, 0.6}, a, {3, 0.3, 10.0, 0.9}, {4, 0.4, 5.0, 0.95}};
    CHECK(kcube::pareto_set(rows, all_rows(4)) == Indices{0, 1, 2, 3});
    rows.push_back({5, 0.2, 15.0, 0.8});
    CHECK(kcube::pareto_set(rows, all_rows(5)) == Indices{0, 2, 3, 4});
  }
}

}  // namespace
