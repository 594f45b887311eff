// accuracy-max: argmax A over F, score A; with a tolerance or the one-se rule, the smallest
// feasible k within the margin of it.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/selection.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "kcube/format.hpp"
#include "loaded_optimizer.hpp"
#include "problem_builder.hpp"

namespace {

using kcube::SelectionStatus;
using namespace kcube::test;

// The plugins of the build tree as the host finds them (parameter validation included).
kcube::PluginRegistry registry() {
  kcube::DiscoveryOptions options;
  options.plugin_paths = {KCUBE_TEST_PLUGIN_DIR};
  options.use_environment = false;
  options.use_builtin = false;
  return kcube::PluginRegistry::discover(options);
}

// The message of the kcube::Error that `make` throws, or "" when it throws none.
template <class F>
std::string error_text(F&& make) {
  try {
    std::forward<F>(make)();
  } catch (const kcube::Error& e) {
    return e.what();
  }
  return "";
}

// The host's record of `optimizer_spec` on `table` under a budget scenario: validation, the
// checked call and the status error a throwing rule becomes.
kcube::SelectionRecord host_selection(const std::string& optimizer_spec,
                                      const kcube::CandidateTable& table) {
  const kcube::PluginRegistry reg = registry();
  const auto scenario = reg.create<kcube::Scenario>(
      kcube::parse_spec("budget:cost_max=0.5,latency_max=60,accuracy_min=0.8,parallelism=1"));
  const auto optimizer = reg.create<kcube::Optimizer>(kcube::parse_spec(optimizer_spec));
  return kcube::run_selection(optimizer, table, kcube::assess(scenario, table));
}

// balanced_rows() with an accuracy_se column: F = {2, 4, 8, 16} under kBalanced, and the most
// accurate feasible row, k = 16 (0.98), has accuracy_se 0.011.
kcube::CandidateTable balanced_with_se() {
  kcube::CandidateTable table;
  table.rows = balanced_rows();
  table.columns["accuracy_se"] = {0.02, 0.02, 0.015, 0.012, 0.011, 0.01};
  return table;
}

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

TEST_CASE("accuracy-max with a tolerance picks the smallest feasible k within it of the best") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  // A over F = {2, 4, 8, 16}: 0.85, 0.95, 0.97, 0.98; the best is k = 16.
  check_pick(accuracy_max("0.005").select(p.view()), SelectionStatus::selected, 16, 0.98);
  // 0.98 - 0.97 is 0.010000000000000009 in binary: the rounding slack keeps k = 8 within 0.01.
  check_pick(accuracy_max("0.01").select(p.view()), SelectionStatus::selected, 8, 0.97);
  check_pick(accuracy_max("0.02").select(p.view()), SelectionStatus::selected, 8, 0.97);
  check_pick(accuracy_max("0.03").select(p.view()), SelectionStatus::selected, 4, 0.95);
  // Only feasible rows count: k = 1 (0.70) is within 0.5 of 0.98 but misses accuracy_min 0.8.
  check_pick(accuracy_max("0.5").select(p.view()), SelectionStatus::selected, 2, 0.85);
}

TEST_CASE("accuracy-max tolerance: the boundary is inclusive and ties go to the smallest k") {
  // Binary fractions, so that the differences are exact: 0.875 - 0.75 = 0.125.
  const Problem p = make_problem(
      {{1, 0.1, 10.0, 0.5}, {2, 0.2, 20.0, 0.75}, {3, 0.3, 30.0, 0.875}, {4, 0.4, 40.0, 0.875}},
      {1.0, 100.0, 0.0});
  check_pick(accuracy_max("0.125").select(p.view()), SelectionStatus::selected, 2, 0.75);
  // Within 0.0625 only the tied best rows k = 3 and 4: the smaller wins.
  const auto tied = accuracy_max("0.0625").select(p.view());
  check_pick(tied, SelectionStatus::selected, 3, 0.875);
  CHECK(tied.reason ==
        "highest expected accuracy 0.875 among 4 feasible candidates, at k = 3; no smaller "
        "feasible k is within the tolerance 0.0625 of it");
  // Decimal values on the boundary are within it: 0.8 - 0.7 is 0.10000000000000009 in binary.
  const Problem decimal =
      make_problem({{1, 0.1, 10.0, 0.7}, {2, 0.2, 20.0, 0.8}}, {1.0, 100.0, 0.0});
  check_pick(accuracy_max("0.1").select(decimal.view()), SelectionStatus::selected, 1, 0.7);
  check_pick(accuracy_max("0.0999").select(decimal.view()), SelectionStatus::selected, 2, 0.8);
}

TEST_CASE("accuracy-max tolerance 0 keeps the pick and the reason of the rule without one") {
  const std::vector<std::pair<Problem, int>> problems = {
      {make_problem(balanced_rows(), kBalanced), 16},
      {make_problem(balanced_rows(), {kUnbounded, kUnbounded, 0.0}), 32},
      {make_problem({{1, 0.1, 10.0, 0.8}, {2, 0.2, 20.0, 0.9}, {3, 0.3, 30.0, 0.9}},
                    {1.0, 100.0, 0.0}),
       2},
      // Accuracies 4e-9 apart: without a tolerance the larger k still wins.
      {make_problem({{80, 0.55, 3.1, 0.999999996}, {256, 1.0, 7.75, 1.0}}, {2.0, 10.0, 0.0}), 256},
  };
  for (const auto& [p, k] : problems) {
    const auto s = accuracy_max("0", "best").select(p.view());
    CHECK(s.k == std::optional<int>(k));
    const std::string expected = "highest expected accuracy " + kcube::format_number(*s.score, 4) +
                                 " among " + std::to_string(p.feasible.size()) +
                                 " feasible candidates";
    CHECK(s.reason == expected);
  }
}

TEST_CASE("accuracy-max tolerance: the reason names the best k and what the tolerance saved") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  const auto s = accuracy_max("0.02").select(p.view());
  check_pick(s, SelectionStatus::selected, 8, 0.97);
  // k = 8 against k = 16: $0.2 instead of $0.4, 20 s instead of 40 s.
  CHECK(s.reason ==
        "k = 8: accuracy 0.97, 0.01 below the best feasible, k = 16 (0.98), within the "
        "tolerance 0.02; saves $0.2 (-50 %) and 20 s (-50 %) per request");

  // The case: k = 80 is 4e-9 below k = 256 for 45 % less cost.
  const Problem tiny =
      make_problem({{80, 0.55, 3.1, 0.999999996}, {256, 1.0, 7.75, 1.0}}, {2.0, 10.0, 0.0});
  const auto t = accuracy_max("1e-6").select(tiny.view());
  check_pick(t, SelectionStatus::selected, 80, 0.999999996);
  CHECK(t.reason ==
        "k = 80: accuracy 0.999999996, 4e-09 below the best feasible, k = 256 (1), within the "
        "tolerance "
        "1e-06; saves $0.45 (-45 %) and 4.65 s (-60 %) per request");

  // A measured table need not grow in cost or latency with k: the reason says so.
  const Problem odd = make_problem({{1, 0.3, 10.0, 0.9}, {2, 0.2, 10.0, 0.91}}, {1.0, 100.0, 0.0});
  const auto o = accuracy_max("0.05").select(odd.view());
  check_pick(o, SelectionStatus::selected, 1, 0.9);
  CHECK(o.reason.find("; costs $0.1 more (+50 %) and the same latency per request") !=
        std::string::npos);
  const Problem free = make_problem({{1, 0.0, 1.0, 0.9}, {2, 0.0, 2.0, 0.91}}, {1.0, 100.0, 0.0});
  CHECK(accuracy_max("0.05")
            .select(free.view())
            .reason.find("; the same cost and saves 1 s (-50 %) per request") != std::string::npos);
}

TEST_CASE("accuracy-max with a tolerance reports infeasible as without one") {
  const Problem p = make_problem(balanced_rows(), {0.01, 60.0, 0.8});
  const auto s = accuracy_max("0.1").select(p.view());
  check_no_pick(s, SelectionStatus::infeasible);
  CHECK(s.reason == "no candidate satisfies the budgets");
}

TEST_CASE("accuracy-max one-se: the smallest feasible k within accuracy_se of the best") {
  Problem p = make_problem(balanced_rows(), kBalanced);
  p.table = balanced_with_se();
  // Best k = 16 (0.98, se 0.011): k = 8 (0.97) is within, k = 4 (0.95) is not.
  const auto s = accuracy_max("0", "one-se").select(p.view());
  check_pick(s, SelectionStatus::selected, 8, 0.97);
  CHECK(s.reason ==
        "k = 8: accuracy 0.97, 0.01 below the best feasible, k = 16 (0.98), within one "
        "standard error (0.011); saves $0.2 (-50 %) and 20 s (-50 %) per request");
  // The se of the best row is the margin, not that of the candidate: with se(16) = 0.005 and a
  // large se(8), k = 16 stays.
  p.table.columns["accuracy_se"] = {0.0, 0.0, 0.0, 0.5, 0.005, 0.0};
  const auto narrow = accuracy_max("0", "one-se").select(p.view());
  check_pick(narrow, SelectionStatus::selected, 16, 0.98);
  CHECK(narrow.reason.find("no smaller feasible k is within one standard error (0.005)") !=
        std::string::npos);
  // A standard error of 0 keeps exact ties only, like tolerance 0.
  p.table.columns["accuracy_se"] = std::vector<double>(6, 0.0);
  check_pick(accuracy_max("0", "one-se").select(p.view()), SelectionStatus::selected, 16, 0.98);
  // A negative standard error is refused.
  p.table.columns["accuracy_se"] = {0.0, 0.0, 0.0, 0.0, -0.01, 0.0};
  CHECK(error_text([&] {
          (void)accuracy_max("0", "one-se").select(p.view());
        }).find("the accuracy_se of k = 16 is -0.01") != std::string::npos);
}

TEST_CASE("accuracy-max one-se without an accuracy_se column is an error naming the column") {
  const Problem p = make_problem(balanced_rows(), kBalanced);
  const std::string message =
      error_text([&] { (void)accuracy_max("0", "one-se").select(p.view()); });
  CHECK(message.find("rule=one-se reads the candidate table's accuracy_se column") !=
        std::string::npos);
  CHECK(message.find("monte-carlo evaluator") != std::string::npos);
  // Also when nothing is feasible: the rule cannot apply to this table at all.
  const Problem none = make_problem(balanced_rows(), {0.01, 60.0, 0.8});
  CHECK_FALSE(error_text([&] { (void)accuracy_max("0", "one-se").select(none.view()); }).empty());

  // Through the host: status error, the plugin named, the other rules unaffected.
  kcube::CandidateTable table;
  table.rows = balanced_rows();
  const kcube::SelectionRecord r = host_selection("accuracy-max:rule=one-se", table);
  CHECK(r.status == SelectionStatus::error);
  CHECK_FALSE(r.k.has_value());
  CHECK(r.reason.find("accuracy-max") != std::string::npos);
  CHECK(r.reason.find("accuracy_se") != std::string::npos);
  const kcube::SelectionRecord with_se =
      host_selection("accuracy-max:rule=one-se", balanced_with_se());
  CHECK(with_se.status == SelectionStatus::selected);
  CHECK(with_se.k == std::optional<int>(8));
  CHECK(with_se.canonical_spec == "accuracy-max:rule=one-se,tolerance=0");
}

TEST_CASE("accuracy-max refuses a tolerance together with rule=one-se") {
  const std::string message = error_text([] { (void)accuracy_max("0.01", "one-se"); });
  CHECK(message.find("tolerance=0.01 and rule=one-se") != std::string::npos);
  CHECK(message.find("give one of them") != std::string::npos);
  const kcube::PluginRegistry reg = registry();
  CHECK(error_text([&] {
          (void)reg.create<kcube::Optimizer>(
              kcube::parse_spec("accuracy-max:tolerance=0.01,rule=one-se"));
        }).find("give one of them") != std::string::npos);
  // tolerance=0 written out is the default, not a second margin.
  CHECK(error_text([&] {
          (void)reg.create<kcube::Optimizer>(
              kcube::parse_spec("accuracy-max:tolerance=0,rule=one-se"));
        }).empty());
}

TEST_CASE(
    "accuracy-max refuses negative, NaN or infinite tolerances, those of 1 or more, and unknown "
    "rules") {
  const kcube::PluginRegistry reg = registry();
  for (const char* bad : {"-0.01", "1", "1.5", "nan", "inf", "-inf", "abc"}) {
    INFO("tolerance=" << bad);
    const std::string message = error_text([&] {
      (void)reg.create<kcube::Optimizer>(
          kcube::parse_spec(std::string("accuracy-max:tolerance=") + bad));
    });
    CHECK(message.find("tolerance") != std::string::npos);
  }
  CHECK(error_text([&] {
          (void)reg.create<kcube::Optimizer>(kcube::parse_spec("accuracy-max:rule=two-se"));
        }).find("one-se") != std::string::npos);
  // The factory checks the bounds itself when called without the host's validation.
  for (const char* bad : {"-0.01", "1"}) {
    INFO("tolerance=" << bad);
    CHECK(error_text([&] { (void)accuracy_max(bad); }).find("[0, 1)") != std::string::npos);
  }
  // The defaults and the largest tolerances below 1 are accepted.
  const auto plain = reg.create<kcube::Optimizer>(kcube::parse_spec("accuracy-max"));
  CHECK(kcube::canonical_spec("accuracy-max", plain.params()) ==
        "accuracy-max:rule=best,tolerance=0");
  CHECK(error_text([&] {
          (void)reg.create<kcube::Optimizer>(kcube::parse_spec("accuracy-max:tolerance=0.999"));
        }).empty());
}

}  // namespace
