// kcube report and kcube compare on hand-built stores: the tables equal the stored numbers, the
// stability statistics and the cross-model tables equal answers worked out by hand, and the
// comparison matches picks across runs.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/exact.hpp"
#include "engine/selection.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/model_profile.hpp"
#include "report/document.hpp"
#include "report/report.hpp"
#include "report_support.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::CandidateTable;
using kcube::CellResult;
using kcube::NamedSelection;
using kcube::SelectionRecord;
using kcube::SelectionStatus;
using kcube::test::read_csv;
using kcube::test::report_test_registry;

kcube::RunContext context(int replications) {
  kcube::RunContext c = kcube::capture_run_context("Release");
  c.experiment = "hand-built";
  c.threads = 1;
  c.seed = 42;
  c.manifest_text = "kcube: 1\n";
  c.manifest_sha256 = "0123";
  c.evaluator = kcube::Evaluator::monte_carlo;
  c.trials = 1000;
  c.replications = replications;
  c.sampling = "nested";
  c.cell_count = 0;
  return c;
}

// The rows of `table` whose first columns equal `prefix`.
std::vector<std::string> find_row(const std::vector<std::vector<std::string>>& table,
                                  const std::vector<std::string>& prefix) {
  for (const auto& row : table) {
    if (row.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), row.begin()))
      return row;
  }
  FAIL("no row starting with " << prefix.front() << ", " << (prefix.size() > 1 ? prefix[1] : ""));
  return {};
}

double number(const std::string& text) {
  return std::stod(text);
}

NamedSelection pick(const std::string& name, const std::string& plugin, const CandidateTable& t,
                    std::optional<int> k) {
  SelectionRecord r;
  r.optimizer = plugin;
  r.spec = plugin;
  r.canonical_spec = plugin;
  r.status = k ? SelectionStatus::selected : SelectionStatus::infeasible;
  r.k = k;
  if (k) {
    for (const auto& row : t.rows) {
      if (row.k == *k) {
        r.cost = row.cost;
        r.latency = row.latency;
        r.accuracy = row.accuracy;
      }
    }
    r.score = 1.0;
  } else {
    r.reason = "no candidate satisfies the budgets";
  }
  return {name, r};
}

kcube::report::PlotOptions no_figures() {
  kcube::report::PlotOptions plot;
  plot.enabled = false;
  return plot;
}

}  // namespace

TEST_CASE("report stability over replications against the exact optimum") {
  const auto reg = report_test_registry();
  const auto profile = reg.create<kcube::ModelProfile>(kcube::parse_spec(
      "gaussian:c_in=1e-6,c_out=4e-6,t_in=1e-4,t_out=5e-3,acc_mean=0.6,acc_std=0.2"));
  const auto scenario = reg.create<kcube::Scenario>(kcube::parse_spec(
      "budget:cost_max=0.05,latency_max=200,accuracy_min=0.5,parallelism=1,k_max=8"));
  const auto accuracy_max = reg.create<kcube::Optimizer>(kcube::parse_spec("accuracy-max"));
  const std::string profile_spec = kcube::canonical_spec(profile.plugin().name(), profile.params());
  const std::string scenario_spec =
      kcube::canonical_spec(scenario.plugin().name(), scenario.params());

  // The exact table and the exact optimum, as the report must find them.
  const CandidateTable exact =
      kcube::exact_candidates(profile.checked(), scenario.checked().deployment());
  const auto assessed = kcube::assess(scenario, exact);
  const SelectionRecord best = kcube::run_selection(accuracy_max, exact, assessed);
  REQUIRE(best.k);
  const int k_star = *best.k;
  REQUIRE(k_star > 1);  // the budgets leave room below it
  auto row_of = [&](int k) {
    for (const auto& r : exact.rows)
      if (r.k == k)
        return r;
    FAIL("no k " << k);
    return kcube::Candidate{};
  };

  // Four replications with hand-chosen picks: k*, k*, k* - 1, none.
  const std::vector<std::optional<int>> picks = {k_star, k_star, k_star - 1, std::nullopt};
  kcube::test::TempDir dir;
  const auto store_path = dir.path() / "s.sqlite";
  {
    auto store = kcube::ResultStore::open(store_path.string());
    const auto run = store.begin_run(context(4));
    for (int r = 0; r < 4; ++r) {
      CellResult cell;
      cell.replication = r;
      cell.profile = "model";
      cell.scenario = "tight";
      cell.position = r;
      cell.profile_spec = profile_spec;
      cell.scenario_spec = scenario_spec;
      cell.candidates = exact;
      for (const auto& v : assessed.verdicts)
        cell.feasible.push_back(v.feasible);
      NamedSelection s = pick("acc", "accuracy-max", exact, picks[static_cast<std::size_t>(r)]);
      s.record.canonical_spec = kcube::canonical_spec("accuracy-max", accuracy_max.params());
      cell.selections.push_back(s);
      store.write_cell(run, cell);
    }
    store.finish_run(run, kcube::RunStatus::finished);
  }

  auto store = kcube::ResultStore::open(store_path.string());
  const auto out = dir.path() / "report";
  const auto files = kcube::report::write_report(store, std::nullopt, out, reg, no_figures());
  CHECK(files.warnings.empty());
  const auto stability = read_csv(out / "tables" / "stability-tight.csv");
  REQUIRE(stability.size() == 2);
  CHECK(stability[0] == std::vector<std::string>{"profile", "optimizer", "modal k", "share",
                                                 "range", "no pick", "exact k*", "P(k*)",
                                                 "regret accuracy", "regret cost (USD)",
                                                 "regret latency (s)"});
  const auto& row = stability[1];
  CHECK(row[2] == std::to_string(k_star));        // modal k
  CHECK(number(row[3]) == doctest::Approx(0.5));  // 2 of 4
  CHECK(row[4] == std::to_string(k_star - 1) + "-" + std::to_string(k_star));
  CHECK(row[5] == "1");                           // one replication picked none
  CHECK(row[6] == std::to_string(k_star));        // exact optimum
  CHECK(number(row[7]) == doctest::Approx(0.5));  // P(k*) = 2/4
  // Mean over the three picks: (0 + 0 + (A(k*) - A(k*-1))) / 3, and so on.
  const auto a = row_of(k_star), b = row_of(k_star - 1);
  CHECK(number(row[8]) == doctest::Approx((a.accuracy - b.accuracy) / 3.0).epsilon(1e-12));
  CHECK(number(row[9]) == doctest::Approx((b.cost - a.cost) / 3.0).epsilon(1e-12));
  CHECK(number(row[10]) == doctest::Approx((b.latency - a.latency) / 3.0).epsilon(1e-12));
  CHECK(number(row[8]) > 0.0);  // the smaller k is less accurate ...
  CHECK(number(row[9]) < 0.0);  // ... and cheaper

  // The picks table shows replication 0 with exactly the stored numbers.
  const auto table = read_csv(out / "tables" / "picks-tight.csv");
  const auto r0 = find_row(table, {"model", "acc"});
  CHECK(r0[2] == "selected");
  CHECK(r0[3] == std::to_string(k_star));
  CHECK(number(r0[4]) == a.accuracy);
  CHECK(number(r0[5]) == a.cost);
  CHECK(number(r0[6]) == a.latency);
  CHECK(r0[7] == "0.50");                  // P(pick): the modal k* in 2 of 4 replications
  CHECK(r0[8] == std::to_string(k_star));  // exact k

  // Markdown and HTML are written and name the run.
  std::ifstream md(files.markdown);
  std::stringstream text;
  text << md.rdbuf();
  CHECK(text.str().find("# kcube report: hand-built (run 1)") != std::string::npos);
  CHECK(std::filesystem::file_size(files.html) > 1000);
}

TEST_CASE("report: P(pick) from run.bootstrap and the accuracy's interval next to each pick") {
  CandidateTable t;
  t.rows = {{1, 0.1, 2, 0.60}, {2, 0.2, 4, 0.75}, {4, 0.4, 8, 0.85}};
  t.columns["accuracy_lo"] = {0.5, 0.7, 0.8};
  t.columns["accuracy_hi"] = {0.7, 0.8, 0.9};
  kcube::test::TempDir dir;
  const auto store_path = dir.path() / "s.sqlite";
  {
    auto store = kcube::ResultStore::open(store_path.string());
    const auto run = store.begin_run(context(1));
    CellResult cell;
    cell.profile = "log";
    cell.scenario = "tight";
    cell.position = 0;
    cell.candidates = t;
    cell.feasible = {true, true, true};
    NamedSelection s = pick("acc", "accuracy-max", t, 4);
    s.pick_share = 0.625;
    s.pick_distribution = R"({"2":0.375,"4":0.625})";
    cell.selections.push_back(s);
    store.write_cell(run, cell);
    store.finish_run(run, kcube::RunStatus::finished);
  }
  auto store = kcube::ResultStore::open(store_path.string());
  const auto out = dir.path() / "report";
  const auto files =
      kcube::report::write_report(store, std::nullopt, out, report_test_registry(), no_figures());
  const auto picks = read_csv(out / "tables" / "picks-tight.csv");
  REQUIRE(picks.size() == 2);
  REQUIRE(picks[0].size() > 7);
  CHECK(picks[0][7] == "P(pick)");
  CHECK(picks[1][3] == "4");
  CHECK(number(picks[1][4]) == 0.85);  // the CSV keeps the number alone
  CHECK(number(picks[1][7]) == 0.625);
  std::ifstream md(files.markdown);
  std::stringstream text;
  text << md.rdbuf();
  INFO(text.str());
  // Markdown escapes the brackets.
  CHECK(text.str().find("| 4 | 0.85000 \\[0.80000, 0.90000\\] |") != std::string::npos);
  CHECK(text.str().find("| 0.62 |") != std::string::npos);
  CHECK(text.str().find("| log | 4 (P(pick) 0.62) |") != std::string::npos);  // k picked
  // The cross-model Pareto set (a candidate table) shows the intervals too.
  CHECK(text.str().find("| log | 2 | 0.75000 \\[0.70000, 0.80000\\] |") != std::string::npos);
}

TEST_CASE("report cross-model view on a small case computed by hand") {
  // Three profiles on budgets cost <= 2.5 USD, latency <= 100 s, accuracy >= 0.5. Rows are
  // (k, cost, latency, accuracy); big k = 3 breaks the cost budget, everything else is feasible.
  auto table = [](std::vector<kcube::Candidate> rows) {
    CandidateTable t;
    t.rows = std::move(rows);
    return t;
  };
  const CandidateTable big = table({{1, 1.0, 10, 0.80}, {2, 2.0, 20, 0.90}, {3, 3.0, 30, 0.95}});
  const CandidateTable small =
      table({{1, 0.1, 2, 0.60}, {2, 0.2, 4, 0.75}, {4, 0.4, 8, 0.85}, {8, 0.8, 16, 0.92}});
  const CandidateTable mid = table({{1, 0.5, 3, 0.70}, {2, 1.6, 12, 0.82}});
  // accuracy-max picks: big 2 (0.90), small 8 (0.92), mid 2 (0.82).
  struct P {
    std::string name;
    const CandidateTable* t;
    std::vector<bool> feasible;
    int k;
  };
  const std::vector<P> profiles = {{"big", &big, {true, true, false}, 2},
                                   {"small", &small, {true, true, true, true}, 8},
                                   {"mid", &mid, {true, true}, 2}};
  kcube::test::TempDir dir;
  const auto store_path = dir.path() / "s.sqlite";
  {
    auto store = kcube::ResultStore::open(store_path.string());
    const auto run = store.begin_run(context(1));
    std::int64_t position = 0;
    for (const P& p : profiles) {
      CellResult cell;
      cell.profile = p.name;
      cell.scenario = "hand";
      cell.position = position++;
      cell.scenario_spec = "budget:accuracy_min=0.5,cost_max=2.5,latency_max=100";
      cell.candidates = *p.t;
      cell.feasible = p.feasible;
      cell.selections.push_back(pick("acc", "accuracy-max", *p.t, p.k));
      store.write_cell(run, cell);
    }
    store.finish_run(run, kcube::RunStatus::finished);
  }
  auto store = kcube::ResultStore::open(store_path.string());
  const auto out = dir.path() / "report";
  kcube::report::write_report(store, std::nullopt, out, report_test_registry(), no_figures());

  // Cheaper alternatives, most expensive reference first:
  //  big 2 (0.90, $2.0, 20 s): others reaching 0.90 within budget: small 8 ($0.8, 16 s)
  //     -> cost ratio 0.8 / 2.0 = 0.4, latency ratio 16 / 20 = 0.8.
  //  mid 2 (0.82, $1.6, 12 s): big 2 ($2.0), small 4 ($0.4, 8 s), small 8 ($0.8) -> small 4,
  //     cost ratio 0.4 / 1.6 = 0.25, latency ratio 8 / 12 = 2/3.
  //  small 8 (0.92, $0.8): only big 3 (0.95) reaches it, and it breaks the cost budget -> none.
  const auto alt = read_csv(out / "tables" / "cheaper-alternatives-hand.csv");
  REQUIRE(alt.size() == 4);
  CHECK(alt[1][0] == "big");
  CHECK(alt[1][1] == "2");
  CHECK(alt[1][5] == "small");
  CHECK(alt[1][6] == "8");
  CHECK(number(alt[1][10]) == doctest::Approx(0.4));
  CHECK(number(alt[1][11]) == doctest::Approx(0.8));
  CHECK(alt[2][0] == "mid");
  CHECK(alt[2][5] == "small");
  CHECK(alt[2][6] == "4");
  CHECK(number(alt[2][10]) == doctest::Approx(0.25));
  CHECK(number(alt[2][11]) == doctest::Approx(2.0 / 3.0));
  CHECK(alt[3][0] == "small");
  CHECK(alt[3][5].empty());

  // The cross-model Pareto set: big 1 is dominated by small 4 (cheaper, faster, more accurate),
  // big 2 by small 8, mid 2 by small 4; mid 1 ($0.5, 3 s, 0.70) survives, since small 2 is
  // slower (4 s) and small 1 less accurate. Cheapest first.
  const auto front = read_csv(out / "tables" / "cross-model-pareto-hand.csv");
  REQUIRE(front.size() == 6);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"small", "1"}, {"small", "2"}, {"small", "4"}, {"mid", "1"}, {"small", "8"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(front[i + 1][0] == expected[i].first);
    CHECK(front[i + 1][1] == expected[i].second);
  }

  // accuracy-max on the pool: the most accurate feasible candidate of any model is small 8.
  const auto rules = read_csv(out / "tables" / "cross-model-rules-hand.csv");
  const auto acc = find_row(rules, {"acc"});
  CHECK(acc[1] == "selected");
  CHECK(acc[2] == "small");
  CHECK(acc[3] == "8");
  CHECK(number(acc[4]) == 0.92);
}

TEST_CASE("report shows profiles by display name, and the CSV tables keep the manifest key") {
  // gpt5 has display_name "GPT-5 (test)"; a and b share "Twin", so each gets its key too; mine
  // has none and is shown by its key.
  const auto reg = report_test_registry();
  const auto scenario = reg.create<kcube::Scenario>(kcube::parse_spec(
      "budget:cost_max=0.05,latency_max=200,accuracy_min=0.5,parallelism=1,k_max=8"));
  const auto accuracy_max = reg.create<kcube::Optimizer>(kcube::parse_spec("accuracy-max"));
  const std::string scenario_spec =
      kcube::canonical_spec(scenario.plugin().name(), scenario.params());
  const std::string base = "gaussian:c_in=1e-6,c_out=4e-6,t_in=1e-4,t_out=5e-3,acc_std=0.2";
  const std::vector<std::pair<std::string, std::string>> profiles = {
      {"gpt5", base + ",acc_mean=0.6,display_name=\"GPT-5 (test)\""},
      {"a", base + ",acc_mean=0.5,display_name=Twin"},
      {"b", base + ",acc_mean=0.55,display_name=Twin"},
      {"mine", base + ",acc_mean=0.65"}};
  kcube::test::TempDir dir;
  const auto store_path = dir.path() / "s.sqlite";
  {
    auto store = kcube::ResultStore::open(store_path.string());
    const auto run = store.begin_run(context(1));
    std::int64_t position = 0;
    for (const auto& [key, spec] : profiles) {
      const auto profile = reg.create<kcube::ModelProfile>(kcube::parse_spec(spec));
      CellResult cell;
      cell.profile = key;
      cell.scenario = "tight";
      cell.position = position++;
      cell.profile_spec = kcube::canonical_spec(profile.plugin().name(), profile.params());
      cell.scenario_spec = scenario_spec;
      cell.candidates = kcube::exact_candidates(profile.checked(), scenario.checked().deployment());
      const auto assessed = kcube::assess(scenario, cell.candidates);
      for (const auto& v : assessed.verdicts)
        cell.feasible.push_back(v.feasible);
      NamedSelection s{"acc", kcube::run_selection(accuracy_max, cell.candidates, assessed)};
      s.record.canonical_spec = kcube::canonical_spec("accuracy-max", accuracy_max.params());
      cell.selections.push_back(s);
      store.write_cell(run, cell);
    }
    store.finish_run(run, kcube::RunStatus::finished);
  }
  auto store = kcube::ResultStore::open(store_path.string());
  const auto out = dir.path() / "report";
  const auto files = kcube::report::write_report(store, std::nullopt, out, reg, no_figures());
  CHECK(files.warnings.empty());
  std::ifstream md(files.markdown);
  std::stringstream text;
  text << md.rdbuf();
  const std::string report = text.str();
  for (const char* row : {"\n| GPT-5 (test) | acc | ", "\n| Twin (a) | acc | ",
                          "\n| Twin (b) | acc | ", "\n| mine | acc | "}) {
    INFO("report.md lacks a picks row starting '" << row + 1 << "'");
    CHECK(report.find(row) != std::string::npos);
  }
  CHECK(report.find("\n| gpt5 |") == std::string::npos);
  CHECK(report.find("\n| Twin | acc") == std::string::npos);

  const auto picks = read_csv(out / "tables" / "picks-tight.csv");
  REQUIRE(picks.size() == 5);
  CHECK(picks[1][0] == "gpt5");
  CHECK(picks[2][0] == "a");
  CHECK(picks[3][0] == "b");
  CHECK(picks[4][0] == "mine");
  for (const auto& entry : std::filesystem::directory_iterator(out / "tables")) {
    std::ifstream csv(entry.path());
    std::stringstream content;
    content << csv.rdbuf();
    INFO(entry.path());
    CHECK(content.str().find("GPT-5") == std::string::npos);
    CHECK(content.str().find("Twin") == std::string::npos);
  }
}

TEST_CASE("report of a store without runs or of an unknown run is an input error") {
  kcube::test::TempDir dir;
  auto store = kcube::ResultStore::open((dir.path() / "empty.sqlite").string());
  CHECK_THROWS_AS(kcube::report::write_report(store, std::nullopt, dir.path() / "r",
                                              report_test_registry(), no_figures()),
                  kcube::Error);
  CHECK_THROWS_AS(
      kcube::report::write_report(store, 7, dir.path() / "r", report_test_registry(), no_figures()),
      kcube::Error);
}

TEST_CASE("compare matches picks by scenario, sweep, profile, replication and optimizer") {
  CandidateTable t;
  t.rows = {{1, 1.0, 1.0, 0.5}, {2, 2.0, 2.0, 0.7}, {4, 4.0, 4.0, 0.8}};
  auto cell = [&](const std::string& profile, std::optional<int> k1, std::optional<int> k2) {
    CellResult c;
    c.profile = profile;
    c.scenario = "s";
    c.candidates = t;
    c.selections = {pick("one", "accuracy-max", t, k1), pick("two", "cube-max", t, k2)};
    return c;
  };
  kcube::StoredRun a, b;
  a.cells = {cell("p", 2, 4), cell("q", 1, 1)};
  b.cells = {cell("p", 2, 2), cell("r", 1, 1)};
  const auto diff = kcube::report::compare_runs(a, b);
  REQUIRE(diff.size() == 6);
  CHECK(diff[0].key.profile == "p");
  CHECK(diff[0].same);
  CHECK(diff[1].key.optimizer == "two");
  CHECK_FALSE(diff[1].same);
  CHECK(diff[1].a->k == 4);
  CHECK(diff[1].b->k == 2);
  CHECK(diff[2].key.profile == "q");
  CHECK_FALSE(diff[2].b.has_value());
  CHECK(diff[4].key.profile == "r");
  CHECK_FALSE(diff[4].a.has_value());

  std::ostringstream out;
  kcube::report::print_comparison(out, a, "A.sqlite", b, "B.sqlite", diff, false);
  const std::string text = out.str();
  CHECK(text.find("2 picks in both runs: 1 the same, 1 different (50.0 %)") != std::string::npos);
  CHECK(text.find("2 only in A, 2 only in B") != std::string::npos);
  // The differing pick: accuracy 0.7 - 0.8, cost (2 - 4) / 4 = -50 %.
  CHECK(text.find("-0.1") != std::string::npos);
  CHECK(text.find("-50.0 %") != std::string::npos);
}

TEST_CASE("report documents escape HTML and Markdown and embed figures as data URIs") {
  kcube::test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "figures");
  {
    std::ofstream f(dir.path() / "figures" / "a.png", std::ios::binary);
    f << "\x89PNG\r\n\x1a\nabc";
  }
  kcube::report::Document doc;
  doc.heading(1, "A <b> & c");
  kcube::report::DocTable t;
  t.name = "t";
  t.header = {"x|y", "n"};
  t.rows = {{"<i>", "1"}};
  t.numeric = {false, true};
  doc.table(t);
  doc.figures("", {{"figures/a.png", "cap"}});
  const std::string html = doc.html("T", dir.path());
  CHECK(html.find("A &lt;b&gt; &amp; c") != std::string::npos);
  CHECK(html.find("&lt;i&gt;") != std::string::npos);
  CHECK(html.find("src=\"data:image/png;base64,iVBORw0KGgphYmM=\"") != std::string::npos);
  const std::string md = doc.markdown();
  CHECK(md.find("| x\\|y | n |") != std::string::npos);
  CHECK(md.find("|---|---:|") != std::string::npos);
  CHECK(md.find("![cap](figures/a.png)") != std::string::npos);
  CHECK(kcube::report::base64("") == "");
  CHECK(kcube::report::base64("f") == "Zg==");
  CHECK(kcube::report::base64("fo") == "Zm8=");
  CHECK(kcube::report::base64("foo") == "Zm9v");
  CHECK(kcube::report::slug("balanced at scenarios.x.params.parallelism=4") ==
        "balanced-at-scenarios.x.params.parallelism-4");
  doc.write_tables(dir.path());
  std::ifstream csv(dir.path() / "t.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "x|y,n");
}

TEST_CASE(
    "report.md carries text from users and plugins as text, and fences code it cannot close") {
  // A plugin's message, a manifest name and a manifest whose string holds a line of backticks.
  kcube::report::Document doc;
  doc.heading(2, "Scenario [x](javascript:alert(1))");
  doc.paragraph("<script>alert(1)</script> *done*");
  doc.bullets({"cell 'p|s' failed: <img src=x onerror=alert(1)> \x1b]0;title\x07"});
  kcube::report::DocTable t;
  t.header = {"plugin", "message"};
  t.rows = {{"p", "[x](javascript:alert(1))"}};
  doc.table(t);
  const std::string manifest = "kcube: 1\ndescription: |\n  ```\n  <script>\n  ```\n";
  doc.code("Manifest <b>", manifest);
  const std::string md = doc.markdown();
  CAPTURE(md);
  // Raw HTML only inside the fenced manifest, where it is shown, not run.
  CHECK(md.find("<script>alert") == std::string::npos);
  CHECK(md.find("<img") == std::string::npos);
  CHECK(md.find("<b>") == std::string::npos);
  CHECK(md.find("[x](javascript:") == std::string::npos);
  CHECK(md.find('\x1b') == std::string::npos);
  CHECK(md.find("## Scenario \\[x\\](javascript:alert(1))") != std::string::npos);
  CHECK(md.find("&lt;script&gt;alert(1)&lt;/script&gt; \\*done\\*") != std::string::npos);
  CHECK(md.find("\\\\x1b\\]0;title\\\\x07") != std::string::npos);
  // The manifest's own ``` lines stay inside: the fence is four backticks, the text verbatim.
  CHECK(md.find("<summary>Manifest &lt;b&gt;</summary>\n\n````\n" + manifest + "````\n") !=
        std::string::npos);
}
