// The Recommendation section on a hand-built store (issue 19): its numbers are the stored pick's,
// its confidence the stored bootstrap share, its sentence and its comparison worked out by hand
// from a three-candidate table; a failed cell reads as one; --recommend picks another rule, and
// a rule the run lacks is an error naming the run's rules.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "kcube/error.hpp"
#include "report/report.hpp"
#include "report_support.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::CandidateTable;
using kcube::CellResult;
using kcube::NamedSelection;
using kcube::SelectionRecord;
using kcube::test::read_csv;
using kcube::test::report_test_registry;

NamedSelection selection(const std::string& name, const CandidateTable& t, int k) {
  SelectionRecord r;
  r.optimizer = name;  // the manifest key is the plugin's name here
  r.spec = r.canonical_spec = name;
  r.status = kcube::SelectionStatus::selected;
  r.k = k;
  for (const auto& row : t.rows) {
    if (row.k == k) {
      r.cost = row.cost;
      r.latency = row.latency;
      r.accuracy = row.accuracy;
    }
  }
  return {name, r};
}

// A store of one run (synthetic numbers): profile "log" with a three-candidate table, knee-point
// picking k = 2 in 62.5 % of the bootstrap resamples and accuracy-max k = 4; profile "broken",
// whose cell failed.
std::filesystem::path make_store(const std::filesystem::path& folder) {
  CandidateTable t;
  t.rows = {{1, 0.1, 2, 0.60}, {2, 0.2, 4, 0.75}, {4, 0.4, 8, 0.85}};
  const auto path = folder / "s.sqlite";
  auto store = kcube::ResultStore::open(path.string());
  kcube::RunContext c = kcube::capture_run_context("Release");
  c.experiment = "hand-built";
  c.threads = 1;
  c.seed = 42;
  c.manifest_text = "kcube: 1\n";
  c.manifest_sha256 = "0123";
  c.evaluator = kcube::Evaluator::monte_carlo;
  c.trials = 1000;
  c.replications = 1;
  c.sampling = "nested";
  const auto run = store.begin_run(c);
  CellResult cell;
  cell.profile = "log";
  cell.scenario = "tight";
  cell.position = 0;
  cell.candidates = t;
  cell.feasible = {true, true, true};
  NamedSelection knee = selection("knee-point", t, 2);
  knee.pick_share = 0.625;
  knee.pick_distribution = R"({"2":0.625,"4":0.375})";
  cell.selections = {selection("accuracy-max", t, 4), knee};
  store.write_cell(run, cell);
  CellResult failed;
  failed.profile = "broken";
  failed.scenario = "tight";
  failed.position = 1;
  failed.status = kcube::CellStatus::error;
  failed.message = "the profile threw: synthetic failure";
  store.write_cell(run, failed);
  store.finish_run(run, kcube::RunStatus::finished);
  return path;
}

kcube::report::ReportOptions options(std::optional<std::string> recommend) {
  kcube::report::ReportOptions o;
  o.plot.enabled = false;
  o.recommend = std::move(recommend);
  return o;
}

}  // namespace

TEST_CASE("report recommendation: the knee-point pick, why, how sure, and the other rule") {
  kcube::test::TempDir dir;
  auto store = kcube::ResultStore::open(make_store(dir.path()).string());
  const auto out = dir.path() / "report";
  kcube::report::write_report(store, std::nullopt, out, report_test_registry(),
                              options(std::nullopt));
  const auto table = read_csv(out / "tables" / "recommendation-tight.csv");
  REQUIRE(table.size() == 3);
  CHECK(table[0] == std::vector<std::string>{"profile", "k", "E[accuracy]", "E[cost] (USD)",
                                             "E[latency] (s)", "P(pick)", "why",
                                             "the other rules"});
  const auto& log = table[1];
  CHECK(log[0] == "log");
  CHECK(log[1] == "2");
  CHECK(std::stod(log[2]) == 0.75);
  CHECK(std::stod(log[3]) == 0.2);
  CHECK(std::stod(log[4]) == 4.0);
  CHECK(std::stod(log[5]) == 0.625);  // the stored bootstrap share
  // Up to k = 2: ($0.2 - $0.1) / 15 points = $0.00667 a point; beyond it to k = 4:
  // ($0.4 - $0.2) / 10 points = $0.02, 3 times as much.
  CHECK(log[6] ==
        "the knee of the Pareto front: a percentage point of accuracy costs $0.00667 per request "
        "up to k = 2 and $0.02 beyond it (to k = 4, the most accurate within the budget), 3 "
        "times as much");
  CHECK(log[7] == "accuracy-max k = 4: +10.0 pp accuracy for 2x the cost and +4 s latency");
  const auto& broken = table[2];
  CHECK(broken[0] == "broken");
  CHECK(broken[1] == "");
  CHECK(broken[6] == "the cell failed: the profile threw: synthetic failure");

  std::ifstream md(out / "report.md");
  std::stringstream text;
  text << md.rdbuf();
  // The first section, right after the summary and the contents.
  const auto recommendation = text.str().find("\n## Recommendation\n");
  CHECK(recommendation != std::string::npos);
  CHECK(recommendation == text.str().find("\n## "));
  CHECK(text.str().find("The recommending rule is knee-point, the default") != std::string::npos);
  CHECK(text.str().find("| log | 2 | 0.7500 | 0.2 | 4 | 0.62 |") != std::string::npos);
  CHECK(text.str().find("\n## Provenance\n") > recommendation);
}

TEST_CASE(
    "report recommendation: --recommend chooses the rule, and one the run lacks is an error") {
  kcube::test::TempDir dir;
  auto store = kcube::ResultStore::open(make_store(dir.path()).string());
  const auto out = dir.path() / "report";
  kcube::report::write_report(store, std::nullopt, out, report_test_registry(),
                              options("accuracy-max"));
  const auto table = read_csv(out / "tables" / "recommendation-tight.csv");
  REQUIRE(table.size() == 3);
  CHECK(table[1][1] == "4");
  CHECK(table[1][5] == "");  // accuracy-max has no bootstrap share here
  CHECK(table[1][6] ==
        "the most accurate k within the budget, which is also the largest k the "
        "budget allows");
  CHECK(table[1][7] == "knee-point k = 2: -10.0 pp accuracy for 0.5x the cost and -4 s latency");

  try {
    kcube::report::write_report(store, std::nullopt, dir.path() / "other", report_test_registry(),
                                options("knee"));
    FAIL("an unknown --recommend rule was accepted");
  } catch (const kcube::Error& e) {
    const std::string message = e.what();
    CHECK(message.find("--recommend 'knee' is not an optimizer of this run") != std::string::npos);
    CHECK(message.find("its optimizers are: accuracy-max, knee-point") != std::string::npos);
  }
  CHECK(!std::filesystem::exists(dir.path() / "other"));  // nothing written
}
