// The budget scenario and the host's checked selection wrapper.
#include <doctest/doctest.h>

#include "engine/selection.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"

namespace {

const kcube::PluginRegistry& registry() {
  static const kcube::PluginRegistry instance = [] {
    kcube::DiscoveryOptions options;
    options.plugin_paths = {std::filesystem::path(KCUBE_TEST_FIXTURE_DIR) / "params"};
    options.use_environment = false;
    return kcube::PluginRegistry::discover(options);
  }();
  return instance;
}

kcube::PluginInstance<kcube::Scenario> scenario(const std::string& spec) {
  return registry().create<kcube::Scenario>(kcube::parse_spec(spec));
}

// k = 1..4: cost 0.1 k USD, latency 10 k s, accuracy 0.80, 0.90, 0.95, 0.97.
kcube::CandidateTable four_rows() {
  kcube::CandidateTable table;
  table.rows = {{1, 0.1, 10, 0.80}, {2, 0.2, 20, 0.90}, {3, 0.3, 30, 0.95}, {4, 0.4, 40, 0.97}};
  return table;
}

}  // namespace

TEST_CASE("budget: mean constraints give feasibility with reasons naming the numbers") {
  const auto s = scenario("budget:cost_max=0.35,latency_max=100,accuracy_min=0.85");
  const auto assessed = kcube::assess(s, four_rows());
  // k=1: accuracy 0.80 < 0.85; k=2, 3 feasible; k=4: cost 0.4 > 0.35.
  CHECK(assessed.feasible == std::vector<std::size_t>{1, 2});
  CHECK(assessed.verdicts[0].reason == "accuracy 0.8 < accuracy_min 0.85");
  CHECK(assessed.verdicts[3].reason == "cost 0.4 > cost_max 0.35");
  CHECK(assessed.pareto == std::vector<std::size_t>{1, 2});
  CHECK(assessed.budget.cost_max == 0.35);
}

TEST_CASE("budget: a candidate may break several constraints at once") {
  const auto s = scenario("budget:cost_max=0.05,latency_max=5,accuracy_min=0.99");
  const auto assessed = kcube::assess(s, four_rows());
  CHECK(assessed.feasible.empty());
  CHECK(assessed.verdicts[0].reason ==
        "cost 0.1 > cost_max 0.05; latency 10 > latency_max 5; accuracy 0.8 < accuracy_min 0.99");
}

TEST_CASE("budget: k runs over multiples of k_step (default P) up to k_max") {
  const auto s = scenario("budget:parallelism=2,k_max=3");
  const auto d = s.checked().deployment();
  CHECK(d.k_step == 2);
  CHECK(d.k_grid() == std::vector<int>{2});
  const auto assessed = kcube::assess(s, four_rows());
  CHECK(assessed.feasible == std::vector<std::size_t>{1});
  CHECK(assessed.verdicts[0].reason == "k 1 is not on the grid (multiples of 2 up to k_max 3)");
  CHECK(assessed.verdicts[3].reason == "k 4 is not on the grid (multiples of 2 up to k_max 3)");
  CHECK(scenario("budget:parallelism=4,k_step=1").checked().deployment().k_grid().size() == 128);
}

TEST_CASE("budget: an empty grid and a confidence with too many decimals are refused") {
  CHECK_THROWS_WITH_AS(scenario("budget:parallelism=8,k_max=4"),
                       doctest::Contains("k_step 8 exceeds k_max 4"), kcube::Error);
  CHECK_THROWS_WITH_AS(scenario("budget:confidence=0.9555"),
                       doctest::Contains("more than three decimals"), kcube::Error);
  CHECK_THROWS_AS(scenario("budget:cost_max=0"), kcube::Error);        // must be > 0
  CHECK_THROWS_AS(scenario("budget:accuracy_min=1.5"), kcube::Error);  // must be in [0, 1]
  CHECK_THROWS_AS(scenario("budget:parallelism=0"), kcube::Error);
  CHECK_THROWS_AS(scenario("budget:confidence=1"), kcube::Error);  // must be < 1
}

TEST_CASE("budget: chance mode bounds the confidence quantiles, not the means") {
  auto table = four_rows();
  // Means all within cost_max 0.5; the P95 of cost of k=4 is not.
  table.columns["cost_p95"] = {0.15, 0.3, 0.45, 0.55};
  table.columns["latency_p95"] = {12, 24, 36, 48};
  table.columns["accuracy_p05"] = {0.70, 0.86, 0.91, 0.94};
  const auto mean = scenario("budget:cost_max=0.5,accuracy_min=0.85");
  CHECK(kcube::assess(mean, table).feasible == std::vector<std::size_t>{1, 2, 3});
  const auto chance = scenario("budget:cost_max=0.5,accuracy_min=0.85,constraint_mode=chance");
  // latency_max is not set: its quantile is not read.
  CHECK(chance.checked().required_columns() ==
        std::vector<std::string>{"cost_p95", "accuracy_p05"});
  const auto assessed = kcube::assess(chance, table);
  CHECK(assessed.feasible == std::vector<std::size_t>{1, 2});
  CHECK(assessed.verdicts[3].reason == "cost_p95 0.55 > cost_max 0.5");
  CHECK(assessed.verdicts[0].reason == "accuracy_p05 0.7 < accuracy_min 0.85");
}

TEST_CASE("budget: chance mode at 0.975 reads p975 and p025 columns") {
  const auto chance = scenario(
      "budget:cost_max=1,latency_max=60,accuracy_min=0.5,constraint_mode=chance,confidence=0.975");
  CHECK(chance.checked().required_columns() ==
        std::vector<std::string>{"cost_p975", "latency_p975", "accuracy_p025"});
  // Without budgets, chance mode has nothing to read.
  CHECK(scenario("budget:constraint_mode=chance").checked().required_columns().empty());
}

TEST_CASE("chance mode without the quantile columns is a clear error") {
  const auto chance = scenario("budget:cost_max=1,constraint_mode=chance");
  CHECK_THROWS_WITH_AS(kcube::assess(chance, four_rows()),
                       doctest::Contains("needs the column 'cost_p95'"), kcube::Error);
}

TEST_CASE("quantile column names") {
  CHECK(kcube::quantile_column("cost", 0.95) == "cost_p95");
  CHECK(kcube::quantile_column("accuracy", 0.05) == "accuracy_p05");
  CHECK(kcube::quantile_column("accuracy", 1.0 - 0.95) == "accuracy_p05");
  CHECK(kcube::quantile_column("cost", 0.975) == "cost_p975");
  CHECK(kcube::quantile_column("latency", 0.025) == "latency_p025");
  CHECK(kcube::quantile_column("cost", 0.5) == "cost_p50");
}

TEST_CASE("run_selection adds the candidate's values, |F| and the Pareto size") {
  const auto s = scenario("budget:cost_max=0.35,accuracy_min=0.85");
  const auto table = four_rows();
  const auto assessed = kcube::assess(s, table);
  const auto optimizer =
      registry().create<kcube::Optimizer>(kcube::parse_spec("fixture-params:ratio=1,count=7"));
  const auto record = kcube::run_selection(optimizer, table, assessed);
  CHECK(record.status == kcube::SelectionStatus::selected);
  CHECK(record.k == 2);
  CHECK(record.cost == 0.2);
  CHECK(record.latency == 20);
  CHECK(record.accuracy == 0.9);
  CHECK(record.score == 7);
  CHECK(record.feasible == 2);
  CHECK(record.pareto == 2);
  CHECK(record.optimizer == "fixture-params");
  CHECK(record.spec == "fixture-params:ratio=1,count=7");
}

TEST_CASE("run_selection turns a k outside the candidates into an error record") {
  const auto table = four_rows();
  const auto assessed = kcube::assess(scenario("budget"), table);
  const auto optimizer =
      registry().create<kcube::Optimizer>(kcube::parse_spec("fixture-params:ratio=1,mode=b"));
  const auto record = kcube::run_selection(optimizer, table, assessed);
  CHECK(record.status == kcube::SelectionStatus::error);
  CHECK_FALSE(record.k);
  CHECK(record.reason.find("k = 100000, which is not a candidate") != std::string::npos);
  CHECK(record.reason.find("params.so") != std::string::npos);
}

TEST_CASE("run_selection turns an exception from select() into an error record") {
  const auto table = four_rows();
  const auto assessed = kcube::assess(scenario("budget"), table);
  const auto optimizer =
      registry().create<kcube::Optimizer>(kcube::parse_spec("fixture-params:ratio=1,mode=c"));
  const auto record = kcube::run_selection(optimizer, table, assessed);
  CHECK(record.status == kcube::SelectionStatus::error);
  CHECK(record.reason.find("threw: select failed on purpose") != std::string::npos);
}

TEST_CASE("run_selection refuses an infeasible pick") {
  // Only k = 2 is feasible (cost <= 0.2, accuracy >= 0.85); a rule answering k = 1 is caught.
  const auto table = four_rows();
  auto assessed = kcube::assess(scenario("budget:cost_max=0.2,accuracy_min=0.85"), table);
  REQUIRE(assessed.feasible == std::vector<std::size_t>{1});
  // The fixture picks the first feasible row: pretend row 0 is feasible to the rule only.
  assessed.feasible = {0};
  const auto optimizer =
      registry().create<kcube::Optimizer>(kcube::parse_spec("fixture-params:ratio=1"));
  const auto record = kcube::run_selection(optimizer, table, assessed);
  CHECK(record.status == kcube::SelectionStatus::error);
  CHECK(record.reason.find("k = 1, which is not feasible (accuracy 0.8 < accuracy_min 0.85)") !=
        std::string::npos);
}
