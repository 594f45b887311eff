// The numbers of a comparative report: stability over replications, the cross-model pool, the
// cheaper-alternative table, summaries and the cube volume.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../optimizers/loaded_optimizer.hpp"
#include "kcube/error.hpp"
#include "kcube/random.hpp"
#include "report/analysis.hpp"

namespace {

using kcube::Candidate;
using kcube::CandidateTable;
using kcube::RuntimeFailure;
using kcube::SelectionStatus;
using kcube::report::ExactReference;
using kcube::report::PoolInput;
using kcube::report::ReferencePick;
using kcube::report::Stability;
using Picks = std::vector<std::optional<int>>;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr auto none = std::nullopt;

/// The exact table of the stability tests: k = 1, 2, 4, 8.
CandidateTable exact_table() {
  CandidateTable t;
  t.rows = {{1, 0.01, 1.0, 0.50}, {2, 0.02, 1.5, 0.60}, {4, 0.04, 2.0, 0.70}, {8, 0.08, 3.0, 0.75}};
  return t;
}

/// A table of `rows` with extra columns.
CandidateTable table_of(std::vector<Candidate> rows,
                        std::vector<std::pair<std::string, std::vector<double>>> columns = {}) {
  CandidateTable t;
  t.rows = std::move(rows);
  for (auto& [name, values] : columns)
    t.columns.emplace(name, std::move(values));
  return t;
}

/// (profile, profile k) of every pooled row, in pool order.
std::vector<std::pair<std::string, int>> origins(const kcube::report::Pool& p) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& o : p.origin)
    out.emplace_back(o.profile, o.k);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// stability

TEST_CASE("stability without a reference: modal k with ties to the smallest, range, no-picks") {
  // Counts: k=2 twice, k=4 twice, k=8 once, no pick twice. 2 and 4 tie; the smaller wins.
  const Picks picks = {4, 2, none, 4, 2, 8, none};
  const Stability s = kcube::report::stability(picks, nullptr);
  CHECK(s.replications == 7);
  CHECK(s.no_pick == 2);
  CHECK(s.modal_k == std::optional<int>(2));
  CHECK(s.modal_count == 2);
  CHECK(s.k_min == std::optional<int>(2));
  CHECK(s.k_max == std::optional<int>(8));
  CHECK_FALSE(s.exact_k.has_value());
  CHECK_FALSE(s.p_exact.has_value());
  CHECK_FALSE(s.regret_accuracy.has_value());
  CHECK_FALSE(s.regret_cost.has_value());
  CHECK_FALSE(s.regret_latency.has_value());
}

TEST_CASE("stability when no replication picks anything has no modal k and no range") {
  const Picks picks = {none, none, none};
  const Stability s = kcube::report::stability(picks, nullptr);
  CHECK(s.replications == 3);
  CHECK(s.no_pick == 3);
  CHECK_FALSE(s.modal_k.has_value());
  CHECK(s.modal_count == 0);
  CHECK_FALSE(s.k_min.has_value());
  CHECK_FALSE(s.k_max.has_value());
}

TEST_CASE("stability with a reference: p_exact and mean signed regrets on the exact table") {
  const CandidateTable t = exact_table();
  const ExactReference ref{&t, SelectionStatus::selected, 4};
  // Optimum k* = 4: (C, T, A) = (0.04, 2.0, 0.70).
  // Picks 4, 2, 8, none, 4: p_exact = 2 / 5 = 0.4. Regrets of the four picks:
  //   k=4: (A 0, C 0, T 0)
  //   k=2: A 0.70 - 0.60 = +0.10, C 0.02 - 0.04 = -0.02, T 1.5 - 2.0 = -0.5
  //   k=8: A 0.70 - 0.75 = -0.05, C 0.08 - 0.04 = +0.04, T 3.0 - 2.0 = +1.0
  //   k=4: (0, 0, 0)
  // Means over the 4 picks: A 0.05 / 4 = 0.0125, C 0.02 / 4 = 0.005, T 0.5 / 4 = 0.125.
  const Picks picks = {4, 2, 8, none, 4};
  const Stability s = kcube::report::stability(picks, &ref);
  CHECK(s.exact_k == std::optional<int>(4));
  REQUIRE(s.p_exact.has_value());
  CHECK(*s.p_exact == doctest::Approx(0.4));
  REQUIRE(s.regret_accuracy.has_value());
  REQUIRE(s.regret_cost.has_value());
  REQUIRE(s.regret_latency.has_value());
  CHECK(*s.regret_accuracy == doctest::Approx(0.0125));
  CHECK(*s.regret_cost == doctest::Approx(0.005));
  CHECK(*s.regret_latency == doctest::Approx(0.125));
  // The no-reference fields are unchanged by the reference.
  CHECK(s.modal_k == std::optional<int>(4));
  CHECK(s.modal_count == 2);
  CHECK(s.no_pick == 1);
}

TEST_CASE("stability regret signs: a cheaper and faster but less accurate pick") {
  const CandidateTable t = exact_table();
  const ExactReference ref{&t, SelectionStatus::selected, 4};
  // Always k = 2 against k* = 4: accuracy worse (+0.10), cost and latency better (-0.02, -0.5).
  const Picks picks = {2, 2};
  const Stability s = kcube::report::stability(picks, &ref);
  CHECK(*s.p_exact == 0.0);
  CHECK(*s.regret_accuracy == doctest::Approx(0.10));
  CHECK(*s.regret_cost == doctest::Approx(-0.02));
  CHECK(*s.regret_latency == doctest::Approx(-0.5));
}

TEST_CASE("stability when the exact answer is no pick: p_exact counts no-picks, no regret") {
  const CandidateTable t = exact_table();
  const ExactReference ref{&t, SelectionStatus::infeasible, std::nullopt};
  // Three of four replications also picked nothing: p_exact = 3 / 4.
  const Picks picks = {none, 2, none, none};
  const Stability s = kcube::report::stability(picks, &ref);
  CHECK_FALSE(s.exact_k.has_value());
  REQUIRE(s.p_exact.has_value());
  CHECK(*s.p_exact == doctest::Approx(0.75));
  CHECK_FALSE(s.regret_accuracy.has_value());
  CHECK_FALSE(s.regret_cost.has_value());
  CHECK_FALSE(s.regret_latency.has_value());
}

TEST_CASE("stability with an exact k but no replication picking has p_exact 0 and no regret") {
  const CandidateTable t = exact_table();
  const ExactReference ref{&t, SelectionStatus::selected, 8};
  const Picks picks = {none, none};
  const Stability s = kcube::report::stability(picks, &ref);
  CHECK(s.exact_k == std::optional<int>(8));
  CHECK(s.p_exact == std::optional<double>(0.0));
  CHECK_FALSE(s.regret_accuracy.has_value());
}

TEST_CASE("stability of no replications has no p_exact even with a reference") {
  const CandidateTable t = exact_table();
  const ExactReference ref{&t, SelectionStatus::selected, 4};
  const Stability s = kcube::report::stability(Picks{}, &ref);
  CHECK(s.replications == 0);
  CHECK(s.exact_k == std::optional<int>(4));
  CHECK_FALSE(s.p_exact.has_value());
  CHECK_FALSE(s.regret_accuracy.has_value());
}

TEST_CASE("stability throws when a pick or the optimum is missing from the reference table") {
  const CandidateTable t = exact_table();
  const ExactReference with_k{&t, SelectionStatus::selected, 4};
  // k = 3 is not on the reference's grid {1, 2, 4, 8}.
  CHECK_THROWS_WITH_AS(kcube::report::stability(Picks{4, 3}, &with_k),
                       doctest::Contains("replication 1's pick is k = 3"), RuntimeFailure);
  // Also without an exact k: the grids still disagree.
  const ExactReference no_k{&t, SelectionStatus::infeasible, std::nullopt};
  CHECK_THROWS_AS(kcube::report::stability(Picks{16}, &no_k), RuntimeFailure);
  // An exact optimum off the table.
  const ExactReference bad_optimum{&t, SelectionStatus::selected, 16};
  CHECK_THROWS_WITH_AS(kcube::report::stability(Picks{none}, &bad_optimum),
                       doctest::Contains("exact optimum is k = 16"), RuntimeFailure);
  // Without a reference nothing is looked up.
  CHECK_NOTHROW(kcube::report::stability(Picks{3, 16}, nullptr));
}

// ---------------------------------------------------------------------------------------------
// pool

namespace {

/// Three profiles for the pool tests. Pool order (cost, then input, then k):
///   rank 1 B k1 0.05 | at cost 0.10: rank 2 A k1, rank 3 B k2, rank 4 C k1, rank 5 C k2
///   (A before B although B is faster: input order, not latency) | rank 6 B k3 0.15 |
///   rank 7 A k2 0.20 | rank 8 C k3 0.30 | rank 9 A k4 0.40 (infeasible).
struct PoolCase {
  CandidateTable a =
      table_of({{1, 0.10, 2.0, 0.60}, {2, 0.20, 3.0, 0.70}, {4, 0.40, 5.0, 0.80}},
               {{"cost_p95", {0.12, 0.24, 0.48}}, {"accuracy_se", {0.01, 0.02, 0.03}}});
  CandidateTable b = table_of({{1, 0.05, 1.0, 0.55}, {2, 0.10, 1.5, 0.65}, {3, 0.15, 2.0, 0.72}},
                              {{"cost_p95", {0.06, 0.12, 0.18}}});
  // C k1 duplicates B k2; C k2 shares C k1's cost (a tie inside one profile, settled by k).
  CandidateTable c =
      table_of({{1, 0.10, 1.5, 0.65}, {2, 0.10, 2.5, 0.50}, {3, 0.30, 2.5, 0.70}},
               {{"cost_p95", {0.11, 0.13, 0.33}}, {"accuracy_se", {0.04, 0.05, 0.06}}});
  std::vector<bool> fa{true, true, false}, fb{true, true, true}, fc{true, true, true};
  std::vector<PoolInput> inputs() const { return {{"A", &a, &fa}, {"B", &b, &fb}, {"C", &c, &fc}}; }
};

}  // namespace

TEST_CASE("pool orders by cost, ties by input order then k, with ranks 1..n as k") {
  const PoolCase pc;
  const auto inputs = pc.inputs();
  const auto p = kcube::report::pool(inputs);
  const std::vector<std::pair<std::string, int>> expected = {
      {"B", 1}, {"A", 1}, {"B", 2}, {"C", 1}, {"C", 2}, {"B", 3}, {"A", 2}, {"C", 3}, {"A", 4}};
  CHECK(origins(p) == expected);
  REQUIRE(p.table.rows.size() == 9);
  for (std::size_t r = 0; r < p.table.rows.size(); ++r) {
    CHECK(p.table.rows[r].k == static_cast<int>(r + 1));
  }
  // Values come along unchanged: rank 7 is A k2 = (0.20, 3.0, 0.70), row 1 of A, input 0.
  CHECK(p.table.rows[6].cost == 0.20);
  CHECK(p.table.rows[6].latency == 3.0);
  CHECK(p.table.rows[6].accuracy == 0.70);
  CHECK(p.origin[6].input == 0);
  CHECK(p.origin[6].row == 1);
  CHECK(p.origin[4].input == 2);
  CHECK(p.origin[4].row == 1);
}

TEST_CASE("pool keeps only the extra columns every profile has, in pool order") {
  const PoolCase pc;
  const auto inputs = pc.inputs();
  const auto p = kcube::report::pool(inputs);
  // accuracy_se is missing from B: dropped. cost_p95 follows the rows B1 A1 B2 C1 C2 B3 A2 C3 A4.
  REQUIRE(p.table.columns.size() == 1);
  const auto* p95 = p.table.column("cost_p95");
  REQUIRE(p95 != nullptr);
  CHECK(*p95 == std::vector<double>{0.06, 0.12, 0.12, 0.11, 0.13, 0.18, 0.24, 0.33, 0.48});
}

TEST_CASE("pool feasibility and the cross-model Pareto set keep duplicates") {
  const PoolCase pc;
  const auto inputs = pc.inputs();
  const auto p = kcube::report::pool(inputs);
  // Only A k4 (rank 9, row 8) is infeasible.
  CHECK(p.feasible == std::vector<bool>{true, true, true, true, true, true, true, true, false});
  CHECK(p.feasible_rows == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7});
  // Pareto set of the feasible rows (min C, min T, max A):
  //   row 0 B k1 (0.05, 1.0, 0.55): cheapest and fastest           -> kept
  //   row 1 A k1 (0.10, 2.0, 0.60): dominated by B k2 (0.10, 1.5, 0.65)
  //   row 2 B k2 (0.10, 1.5, 0.65): nothing no worse and better     -> kept
  //   row 3 C k1 (0.10, 1.5, 0.65): identical to B k2, not dominated -> kept
  //   row 4 C k2 (0.10, 2.5, 0.50): dominated by B k2
  //   row 5 B k3 (0.15, 2.0, 0.72): most accurate feasible          -> kept
  //   row 6 A k2 (0.20, 3.0, 0.70), row 7 C k3 (0.30, 2.5, 0.70): dominated by B k3
  //   row 8 A k4 (0.40, 5.0, 0.80) would be kept, but is infeasible.
  CHECK(p.pareto == std::vector<std::size_t>{0, 2, 3, 5});
}

TEST_CASE("pool throws naming the profile for a feasibility vector of the wrong size") {
  PoolCase pc;
  pc.fb = {true, true};
  const auto inputs = pc.inputs();
  CHECK_THROWS_WITH_AS(kcube::report::pool(inputs),
                       doctest::Contains("profile 'B' has 2 feasibility flags for 3 candidates"),
                       RuntimeFailure);
}

TEST_CASE("pool throws naming the profile and k for a NaN value") {
  PoolCase pc;
  pc.c.rows[2].latency = std::nan("");
  const auto inputs = pc.inputs();
  CHECK_THROWS_WITH_AS(kcube::report::pool(inputs),
                       doctest::Contains("profile 'C', k = 3: the latency is NaN"), RuntimeFailure);
}

TEST_CASE("pool of no profiles is empty") {
  const auto p = kcube::report::pool(std::span<const PoolInput>{});
  CHECK(p.table.rows.empty());
  CHECK(p.origin.empty());
  CHECK(p.feasible_rows.empty());
  CHECK(p.pareto.empty());
}

namespace {

/// Brute-force dominance, written out independently of kcube::dominates.
bool beats(const Candidate& a, const Candidate& b) {
  if (a.cost > b.cost || a.latency > b.latency || a.accuracy < b.accuracy)
    return false;
  return a.cost < b.cost || a.latency < b.latency || a.accuracy > b.accuracy;
}

/// A value from a small grid, so that ties and duplicates are frequent: lo + step * {0..levels-1}.
double grid_value(kcube::RandomStream& rng, double lo, double step, int levels) {
  return lo + step * std::floor(rng.uniform() * levels);
}

}  // namespace

TEST_CASE("pool Pareto set equals a brute-force dominance filter on random feasible sets") {
  // 300 random pools of 1..4 profiles with 0..11 rows each, values on coarse grids (ties and
  // cross-model duplicates are common), ~70% feasible. Deterministic: fixed seed.
  for (std::uint64_t trial = 0; trial < 300; ++trial) {
    kcube::RandomStream rng(20240611, 7, trial);
    const int profiles = 1 + static_cast<int>(rng.uniform() * 4);
    std::vector<CandidateTable> tables(static_cast<std::size_t>(profiles));
    std::vector<std::vector<bool>> flags(tables.size());
    std::vector<PoolInput> inputs;
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const int rows = static_cast<int>(rng.uniform() * 12);
      int k = 0;
      for (int r = 0; r < rows; ++r) {
        k += 1 + static_cast<int>(rng.uniform() * 3);
        tables[i].rows.push_back({k, grid_value(rng, 0.01, 0.01, 6), grid_value(rng, 1.0, 0.5, 5),
                                  grid_value(rng, 0.5, 0.1, 5)});
        flags[i].push_back(rng.uniform() < 0.7);
      }
    }
    for (std::size_t i = 0; i < tables.size(); ++i)
      inputs.push_back({"p" + std::to_string(i), &tables[i], &flags[i]});

    const auto p = kcube::report::pool(inputs);
    CAPTURE(trial);
    std::vector<std::size_t> feasible, front;
    for (std::size_t r = 0; r < p.table.rows.size(); ++r) {
      if (r > 0) {
        // Pool order: cost, then input, then the profile's k.
        const auto& prev = p.table.rows[r - 1];
        const auto& cur = p.table.rows[r];
        const bool ordered =
            prev.cost < cur.cost ||
            (prev.cost == cur.cost &&
             (p.origin[r - 1].input < p.origin[r].input ||
              (p.origin[r - 1].input == p.origin[r].input && p.origin[r - 1].k < p.origin[r].k)));
        CHECK(ordered);
      }
      const auto& o = p.origin[r];
      CHECK(flags[o.input][o.row] == p.feasible[r]);
      if (p.feasible[r])
        feasible.push_back(r);
    }
    for (std::size_t i : feasible) {
      bool dominated = false;
      for (std::size_t j : feasible)
        dominated = dominated || beats(p.table.rows[j], p.table.rows[i]);
      if (!dominated)
        front.push_back(i);
    }
    CHECK(p.feasible_rows == feasible);
    CHECK(p.pareto == front);
  }
}

// ---------------------------------------------------------------------------------------------
// cheaper_alternatives

namespace {

/// Three profiles for the cheaper-alternative tests (input order large, medium, small):
///   large:  k1 (0.40,  4.0, 0.80) F   k2 (0.80,  8.0, 0.90) F
///   medium: k1 (0.10,  3.0, 0.70) F   k2 (0.20,  6.0, 0.82) F   k4 (0.40, 12.0, 0.88) infeasible
///   small:  k1 (0.05,  1.0, 0.60) F   k4 (0.20,  4.0, 0.85) F   k8 (0.40,  8.0, 0.92) infeasible
struct AlternativeCase {
  CandidateTable large = table_of({{1, 0.40, 4.0, 0.80}, {2, 0.80, 8.0, 0.90}});
  CandidateTable medium =
      table_of({{1, 0.10, 3.0, 0.70}, {2, 0.20, 6.0, 0.82}, {4, 0.40, 12.0, 0.88}});
  CandidateTable small =
      table_of({{1, 0.05, 1.0, 0.60}, {4, 0.20, 4.0, 0.85}, {8, 0.40, 8.0, 0.92}});
  std::vector<bool> fl{true, true}, fm{true, true, false}, fs{true, true, false};
  std::vector<PoolInput> inputs() const {
    return {{"large", &large, &fl}, {"medium", &medium, &fm}, {"small", &small, &fs}};
  }
};

}  // namespace

TEST_CASE("cheaper_alternatives: cheapest other profile at least as accurate, ties by latency") {
  const AlternativeCase ac;
  const auto inputs = ac.inputs();
  const auto p = kcube::report::pool(inputs);
  const std::vector<ReferencePick> picks = {{0, 1}, {0, 2}, {1, 1}};
  const auto lines = kcube::report::cheaper_alternatives(p, picks);
  REQUIRE(lines.size() == 3);

  // large k1 (0.40, 4.0, 0.80): feasible others with A >= 0.80 are medium k2 (0.20, 6.0, 0.82)
  // and small k4 (0.20, 4.0, 0.85). Equal cost; small is faster, so it wins although medium
  // comes first in input order. Ratios: cost 0.20 / 0.40 = 0.5, latency 4.0 / 4.0 = 1.
  const auto& l0 = lines[0];
  CHECK(l0.reference.profile == "large");
  CHECK(l0.reference.k == 1);
  CHECK(l0.reference_values.k == 1);  // the profile's k, not the pool rank
  CHECK(l0.reference_values.cost == 0.40);
  REQUIRE(l0.alternative.has_value());
  CHECK(l0.alternative->profile == "small");
  CHECK(l0.alternative->input == 2);
  CHECK(l0.alternative->k == 4);
  CHECK(l0.alternative_values.k == 4);
  CHECK(l0.alternative_values.accuracy == 0.85);
  CHECK(l0.cost_ratio == std::optional<double>(0.5));
  CHECK(l0.latency_ratio == std::optional<double>(1.0));

  // large k2 (0.80, 8.0, 0.90): A >= 0.90 elsewhere only at small k8 (0.92), infeasible -> none.
  const auto& l1 = lines[1];
  CHECK(l1.reference.k == 2);
  CHECK_FALSE(l1.alternative.has_value());
  CHECK_FALSE(l1.cost_ratio.has_value());
  CHECK_FALSE(l1.latency_ratio.has_value());

  // medium k1 (0.10, 3.0, 0.70): the cheapest row with A >= 0.70 is medium k1 itself, but its own
  // profile is excluded; among the others, small k4 (0.20, 4.0, 0.85) reaches the accuracy but
  // costs twice as much, and small k1 (0.05) is cheaper but not accurate enough (0.60): none.
  // (Issue 13: listing small k4 here, with a cost ratio of 2, called a dearer model "cheaper".)
  const auto& l2 = lines[2];
  CHECK(l2.reference.profile == "medium");
  CHECK_FALSE(l2.alternative.has_value());
  CHECK_FALSE(l2.cost_ratio.has_value());
  CHECK_FALSE(l2.latency_ratio.has_value());
}

TEST_CASE("cheaper_alternatives lists only strictly cheaper candidates, so every cost ratio < 1") {
  // ref k1 (0.30, 3.0, 0.9). same: equal cost and more accurate, not cheaper. dear: more
  // accurate and faster but dearer. cheap k2 (0.29, 9.0, 0.9): cheaper (and slower) -> listed.
  const CandidateTable ref = table_of({{1, 0.30, 3.0, 0.9}});
  const CandidateTable same = table_of({{1, 0.30, 1.0, 0.99}});
  const CandidateTable dear = table_of({{1, 0.60, 1.0, 1.0}});
  const CandidateTable cheap = table_of({{1, 0.10, 3.0, 0.8}, {2, 0.29, 9.0, 0.9}});
  const std::vector<bool> one{true}, two{true, true};
  std::vector<PoolInput> inputs = {
      {"ref", &ref, &one}, {"same", &same, &one}, {"dear", &dear, &one}};
  const std::vector<ReferencePick> picks = {{0, 1}};
  {
    const auto p = kcube::report::pool(inputs);
    const auto lines = kcube::report::cheaper_alternatives(p, picks);
    REQUIRE(lines.size() == 1);
    CHECK_FALSE(lines[0].alternative.has_value());
  }
  inputs.push_back({"cheap", &cheap, &two});
  const auto p = kcube::report::pool(inputs);
  const auto lines = kcube::report::cheaper_alternatives(p, picks);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0].alternative.has_value());
  CHECK(lines[0].alternative->profile == "cheap");
  CHECK(lines[0].alternative->k == 2);
  CHECK(*lines[0].cost_ratio == doctest::Approx(0.29 / 0.30));
  CHECK(*lines[0].cost_ratio < 1.0);
  CHECK(*lines[0].latency_ratio == doctest::Approx(3.0));  // cheaper, but slower
}

TEST_CASE(
    "cheaper_alternatives: a free reference has none, and a zero latency leaves its ratio empty") {
  const CandidateTable free_table = table_of({{1, 0.0, 1.0, 0.5}});
  const CandidateTable instant = table_of({{1, 0.2, 0.0, 0.6}});
  const CandidateTable paid_table = table_of({{1, 0.1, 2.0, 0.6}});
  const std::vector<bool> yes{true};
  const std::vector<PoolInput> inputs = {
      {"free", &free_table, &yes}, {"instant", &instant, &yes}, {"paid", &paid_table, &yes}};
  const auto p = kcube::report::pool(inputs);
  const std::vector<ReferencePick> picks = {{0, 1}, {1, 1}};
  const auto lines = kcube::report::cheaper_alternatives(p, picks);
  REQUIRE(lines.size() == 2);
  CHECK_FALSE(lines[0].alternative.has_value());  // nothing costs less than 0
  REQUIRE(lines[1].alternative.has_value());
  CHECK(lines[1].alternative->profile == "paid");
  CHECK(lines[1].cost_ratio == std::optional<double>(0.5));  // 0.1 / 0.2
  CHECK_FALSE(lines[1].latency_ratio.has_value());           // 2.0 / 0
}

TEST_CASE("cheaper_alternatives settles equal cost and latency by input order") {
  // x k1 is the reference; y k2 and z k1 are identical (0.2, 2.0, 0.95): y comes first. y k1 is
  // cheaper but not accurate enough (0.85 < 0.9).
  const CandidateTable x = table_of({{1, 0.5, 5.0, 0.9}});
  const CandidateTable y = table_of({{1, 0.1, 1.0, 0.85}, {2, 0.2, 2.0, 0.95}});
  const CandidateTable z = table_of({{1, 0.2, 2.0, 0.95}});
  const std::vector<bool> one{true}, two{true, true};
  const std::vector<PoolInput> inputs = {{"x", &x, &one}, {"y", &y, &two}, {"z", &z, &one}};
  const auto p = kcube::report::pool(inputs);
  const std::vector<ReferencePick> picks = {{0, 1}};
  const auto lines = kcube::report::cheaper_alternatives(p, picks);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0].alternative.has_value());
  CHECK(lines[0].alternative->profile == "y");
  CHECK(lines[0].alternative->k == 2);
  CHECK(*lines[0].cost_ratio == doctest::Approx(0.4));     // 0.2 / 0.5
  CHECK(*lines[0].latency_ratio == doctest::Approx(0.4));  // 2.0 / 5.0
}

TEST_CASE("cheaper_alternatives throws when a reference pick is not a row of the pool") {
  const AlternativeCase ac;
  const auto inputs = ac.inputs();
  const auto p = kcube::report::pool(inputs);
  const std::vector<ReferencePick> missing_k = {{0, 3}};
  CHECK_THROWS_WITH_AS(kcube::report::cheaper_alternatives(p, missing_k),
                       doctest::Contains("k = 3 of profile 'large'"), RuntimeFailure);
  const std::vector<ReferencePick> missing_input = {{5, 1}};
  CHECK_THROWS_WITH_AS(kcube::report::cheaper_alternatives(p, missing_input),
                       doctest::Contains("input 5"), RuntimeFailure);
}

// ---------------------------------------------------------------------------------------------
// summarise and count_distinct

TEST_CASE("count_distinct counts each k once and no pick as one more outcome") {
  CHECK(kcube::report::count_distinct(Picks{}) == 0);
  CHECK(kcube::report::count_distinct(Picks{none, none}) == 1);
  CHECK(kcube::report::count_distinct(Picks{1, 2, 3}) == 3);
  CHECK(kcube::report::count_distinct(Picks{2, none, 2, 4, none}) == 3);
}

TEST_CASE(
    "summarise averages modal share and distinct outcomes, p_exact and abs regret where present") {
  std::vector<Stability> groups(4);
  // g0: 3 of 4 modal, reference: p_exact 0.5, regret -0.02
  groups[0].replications = 4;
  groups[0].modal_count = 3;
  groups[0].p_exact = 0.5;
  groups[0].regret_accuracy = -0.02;
  // g1: 5 of 5 modal, no reference
  groups[1].replications = 5;
  groups[1].modal_count = 5;
  // g2: 1 of 2 modal, reference whose exact answer is no pick: p_exact 1, no regret
  groups[2].replications = 2;
  groups[2].modal_count = 1;
  groups[2].p_exact = 1.0;
  // g3: 2 of 4 modal, p_exact 0.25, regret +0.04
  groups[3].replications = 4;
  groups[3].modal_count = 2;
  groups[3].p_exact = 0.25;
  groups[3].regret_accuracy = 0.04;
  const std::vector<int> distinct = {2, 1, 2, 3};
  const auto s = kcube::report::summarise(groups, distinct);
  CHECK(s.groups == 4);
  // (0.75 + 1 + 0.5 + 0.5) / 4 = 0.6875
  CHECK(s.mean_modal_share == doctest::Approx(0.6875));
  // (2 + 1 + 2 + 3) / 4 = 2
  CHECK(s.mean_distinct == doctest::Approx(2.0));
  // (0.5 + 1 + 0.25) / 3 groups with a p_exact
  REQUIRE(s.mean_p_exact.has_value());
  CHECK(*s.mean_p_exact == doctest::Approx(1.75 / 3.0));
  // (|-0.02| + |0.04|) / 2 groups with a regret = 0.03 (signed it would be 0.01)
  REQUIRE(s.mean_abs_regret_accuracy.has_value());
  CHECK(*s.mean_abs_regret_accuracy == doctest::Approx(0.03));
}

TEST_CASE("summarise without references leaves p_exact and regret empty") {
  std::vector<Stability> groups(2);
  groups[0].replications = 2;
  groups[0].modal_count = 2;
  groups[1].replications = 4;
  groups[1].modal_count = 1;
  const std::vector<int> distinct = {1, 4};
  const auto s = kcube::report::summarise(groups, distinct);
  CHECK(s.groups == 2);
  CHECK(s.mean_modal_share == doctest::Approx((1.0 + 0.25) / 2));
  CHECK(s.mean_distinct == doctest::Approx(2.5));
  CHECK_FALSE(s.mean_p_exact.has_value());
  CHECK_FALSE(s.mean_abs_regret_accuracy.has_value());

  const auto empty = kcube::report::summarise({}, {});
  CHECK(empty.groups == 0);
  CHECK_FALSE(empty.mean_p_exact.has_value());
}

TEST_CASE("summarise throws on mismatched sizes and on a group without replications") {
  std::vector<Stability> groups(2);
  groups[0].replications = 3;
  groups[1].replications = 0;
  const std::vector<int> one = {1};
  CHECK_THROWS_WITH_AS(kcube::report::summarise(groups, one),
                       doctest::Contains("1 distinct-outcome counts for 2 groups"), RuntimeFailure);
  const std::vector<int> two = {1, 0};
  CHECK_THROWS_WITH_AS(kcube::report::summarise(groups, two),
                       doctest::Contains("group 1 has no replications"), RuntimeFailure);
}

// ---------------------------------------------------------------------------------------------
// cube_volume

TEST_CASE("cube_volume is (1 - C/cost_max)(1 - T/latency_max) A, unbounded axes give 1") {
  const Candidate c{4, 0.1, 4.0, 0.8};
  // (1 - 0.1/0.5)(1 - 4/10) 0.8 = 0.8 * 0.6 * 0.8 = 0.384
  CHECK(kcube::report::cube_volume(c, {0.5, 10.0, 0.0}) == doctest::Approx(0.384));
  // Unbounded cost: 1 * 0.6 * 0.8 = 0.48; both unbounded: A = 0.8 exactly.
  CHECK(kcube::report::cube_volume(c, {kInf, 10.0, 0.0}) == doctest::Approx(0.48));
  CHECK(kcube::report::cube_volume(c, {kInf, kInf, 0.0}) == 0.8);
  // Over both budgets (admitted by a quantile): slacks clamp at 0, not (-0.2)(-0.2) 0.8 > 0.
  const Candidate over{8, 0.6, 12.0, 0.9};
  CHECK(kcube::report::cube_volume(over, {0.5, 10.0, 0.0}) == 0.0);
}

TEST_CASE("cube_volume equals the cube-max plugin's raw score bit for bit") {
  const kcube::test::LoadedOptimizer cube_max("cube-max", {{"accuracy_term", "raw"}});
  const std::vector<Candidate> candidates = {
      {1, 0.1, 4.0, 0.8}, {2, 0.037, 7.3, 0.913}, {3, 0.6, 12.0, 0.9}, {4, 0.0, 0.0, 0.55}};
  const std::vector<kcube::Budget> budgets = {
      {0.5, 10.0, 0.0}, {kInf, 10.0, 0.3}, {0.3, kInf, 0.0}, {kInf, kInf, 0.0}, {0.0, 10.0, 0.0}};
  for (const auto& budget : budgets) {
    for (const auto& c : candidates) {
      // One feasible row: cube-max's score is that row's volume.
      const CandidateTable table = table_of({c});
      const std::vector<std::size_t> only = {0};
      const kcube::SelectionProblem problem{table, budget, only, only};
      const auto selection = cube_max.select(problem);
      REQUIRE(selection.score.has_value());
      CAPTURE(c.k);
      CAPTURE(budget.cost_max);
      CAPTURE(budget.latency_max);
      CHECK(kcube::report::cube_volume(c, budget) == *selection.score);
    }
  }
}
