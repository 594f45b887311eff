// The kcube command line, end to end: exit codes, tables, JSON, errors.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.hpp"

using kcube::test::run_cli;

namespace {

// P = 4 grid. With cost_max 0.5, latency_max 60, accuracy_min 0.88: k = 4, 8, 12 feasible,
// k = 16 costs 0.6 > 0.5. accuracy-max: k = 12 (0.97). cube-max:
// V(4) = (1 - 0.1/0.5)(1 - 10/60)(0.90) = 0.8 * 0.8333 * 0.90 = 0.600,
// V(8) = 0.6 * 0.6667 * 0.95 = 0.380, V(12) = 0.4 * 0.5 * 0.97 = 0.194  ->  k = 4.
constexpr const char* kCandidates =
    "k,cost,latency,accuracy\n"
    "4,0.1,10,0.90\n"
    "8,0.2,20,0.95\n"
    "12,0.3,30,0.97\n"
    "16,0.6,40,0.98\n";
constexpr const char* kScenario =
    "--scenario budget:cost_max=0.5,latency_max=60,accuracy_min=0.88,parallelism=4";

}  // namespace

TEST_CASE("--version and --help") {
  const auto version = run_cli("--version");
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("kcube 0.1.0") == 0);
  const auto help = run_cli("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("plugins list") != std::string::npos);
  CHECK(help.out.find("Exit codes") != std::string::npos);
  CHECK(run_cli("").exit_code == 2);
  CHECK(run_cli("select --help").exit_code == 0);
}

TEST_CASE("help: 'kcube help [COMMAND]' and --help / -h at every level") {
  const auto help = run_cli("help");
  CHECK(help.exit_code == 0);
  CHECK(help.out == run_cli("--help").out);
  CHECK(help.out.find("Commands:") != std::string::npos);
  for (const char* command :
       {"plugins list", "plugins describe", "select", "simulate", "fit", "validate", "run", "runs",
        "merge", "export", "report", "compare", "new-plugin"}) {
    INFO("command: " << command);
    const auto long_form = run_cli(std::string(command) + " --help");
    CHECK(long_form.exit_code == 0);
    CHECK(long_form.out.find("Usage: ") != std::string::npos);
    CHECK(long_form.err.empty());
    CHECK(run_cli(std::string(command) + " -h").out == long_form.out);
    CHECK(run_cli(std::string("help ") + command).out == long_form.out);
  }
  for (const char* plugins : {"plugins --help", "plugins -h", "help plugins"}) {
    INFO("command: " << plugins);
    const auto result = run_cli(plugins);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("kcube plugins describe NAME") != std::string::npos);
  }
  const auto unknown = run_cli("help selekt");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown command 'selekt' (did you mean 'select'?)") != std::string::npos);
  CHECK(run_cli("plugins lst").err.find("did you mean 'list'") != std::string::npos);
}

TEST_CASE("unknown commands and options exit 2 with a message") {
  const auto unknown = run_cli("frobnicate");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);
  const auto option = run_cli("plugins list --jsn");
  CHECK(option.exit_code == 2);
  CHECK(option.err.find("kcube plugins list") != std::string::npos);
}

TEST_CASE("plugins list shows the built-in scenario and rules") {
  const auto list = run_cli("plugins list");
  CHECK(list.exit_code == 0);
  for (const char* name : {"budget", "accuracy-max", "cube-max", "utopia-closest", "knee-point"}) {
    CHECK_MESSAGE(list.out.find(name) != std::string::npos, name);
  }
  CHECK(list.out.find("scenario plugins (1)") != std::string::npos);
  CHECK(list.out.find("optimizer plugins (4)") != std::string::npos);
  CHECK(list.out.find("Refused") == std::string::npos);
}

TEST_CASE("plugins list --json lists plugins and refused files with reasons") {
  const auto list = run_cli(
      "--plugin-path '" KCUBE_TEST_FIXTURE_DIR
      "/not-a-plugin' plugins list --json --plugin-path '" KCUBE_TEST_FIXTURE_DIR "/abi-mismatch'");
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("\"name\": \"knee-point\", \"kind\": \"optimizer\"") != std::string::npos);
  CHECK(list.out.find("\"refused\": [") != std::string::npos);
  CHECK(list.out.find("not-a-plugin.so") != std::string::npos);
  CHECK(list.out.find("not a kcube plugin") != std::string::npos);
  CHECK(list.out.find("abi-mismatch.so") != std::string::npos);
  CHECK(list.out.find("\"origin\": \"--plugin-path\"") != std::string::npos);
}

TEST_CASE("KCUBE_PLUGIN_PATH adds folders") {
  const auto list =
      run_cli("plugins list", "", "KCUBE_PLUGIN_PATH='" KCUBE_TEST_FIXTURE_DIR "/params'");
  CHECK(list.out.find("fixture-params") != std::string::npos);
  CHECK(list.out.find("KCUBE_PLUGIN_PATH") != std::string::npos);
}

TEST_CASE("plugins describe prints the parameter table") {
  const auto describe = run_cli("plugins describe budget");
  CHECK(describe.exit_code == 0);
  CHECK(describe.out.find("budget 1.1.0  (scenario plugin)") == 0);
  CHECK(describe.out.find("kcube-scenario-budget.so") != std::string::npos);
  CHECK(describe.out.find("cost_max") != std::string::npos);
  CHECK(describe.out.find("USD") != std::string::npos);
  CHECK(describe.out.find("one of mean-wave|max-wave") != std::string::npos);
  const auto missing = run_cli("plugins describe budgett");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("did you mean 'budget'") != std::string::npos);
}

TEST_CASE("select prints a table with every optimizer in the given order") {
  const auto result = run_cli(
      std::string("select - ") + kScenario + " --optimizer cube-max --optimizer accuracy-max",
      kCandidates);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("Candidates: 4 from <stdin>; feasible: 3") != std::string::npos);
  const auto cube = result.out.find("cube-max ");
  const auto accuracy = result.out.find("accuracy-max ");
  REQUIRE(cube != std::string::npos);
  REQUIRE(accuracy != std::string::npos);
  CHECK(cube < accuracy);
}

TEST_CASE("select --json answers as specified") {
  const auto result = run_cli(std::string("select - ") + kScenario +
                                  " --optimizer accuracy-max --optimizer cube-max --json",
                              kCandidates);
  REQUIRE(result.exit_code == 0);
  CHECK(
      result.out.find(
          R"({"optimizer": "accuracy-max", "spec": "accuracy-max", "status": "selected", "k": 12, "cost": 0.3, "latency": 30, "accuracy": 0.97, "score": 0.97, "feasible_count": 3, "pareto_count": 3, "reason": )") !=
      std::string::npos);
  CHECK(result.out.find(
            R"("optimizer": "cube-max", "spec": "cube-max", "status": "selected", "k": 4,)") !=
        std::string::npos);
}

TEST_CASE("select reports infeasible as a value, with k null, and exit 0") {
  const auto result = run_cli(
      "select - --scenario budget:cost_max=0.01 --optimizer accuracy-max --json", kCandidates);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(R"("status": "infeasible", "k": null, "cost": null)") != std::string::npos);
  const auto text =
      run_cli("select - --scenario budget:cost_max=0.01 --optimizer accuracy-max", kCandidates);
  CHECK(text.out.find("Why no candidate is feasible") != std::string::npos);
  CHECK(text.out.find("k 4: cost 0.1 > cost_max 0.01") != std::string::npos);
}

TEST_CASE("select reads a file and reports its CSV errors with line numbers, exit 2") {
  kcube::test::TempDir dir;
  const auto csv = dir.path() / "bad.csv";
  std::ofstream(csv) << "k,cost,latency,accuracy\n4,0.1,10,0.9\n8,abc,20,0.95\n";
  const auto result =
      run_cli("select '" + csv.string() + "' --scenario budget --optimizer accuracy-max");
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("bad.csv:3") != std::string::npos);
  CHECK(run_cli("select /nonexistent.csv --scenario budget --optimizer accuracy-max").exit_code ==
        2);
}

TEST_CASE("select: bad specs, unknown plugins and bad parameters exit 2 before any work") {
  const auto unknown = run_cli("select - --scenario budget --optimizer knee-piont", kCandidates);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean 'knee-point'") != std::string::npos);
  const auto wrong_kind =
      run_cli("select - --scenario knee-point --optimizer cube-max", kCandidates);
  CHECK(wrong_kind.exit_code == 2);
  CHECK(wrong_kind.err.find("is a optimizer plugin") == std::string::npos);
  CHECK(wrong_kind.err.find("is an optimizer plugin") != std::string::npos);
  const auto bad_param = run_cli(
      "select - --scenario budget:k_max=0 --optimizer knee-point:method=curvy", kCandidates);
  CHECK(bad_param.exit_code == 2);
  CHECK(bad_param.err.find("'k_max' must be in [1, 1048576], got 0") != std::string::npos);
  const auto bad_spec = run_cli("select - --scenario budget: --optimizer cube-max", kCandidates);
  CHECK(bad_spec.exit_code == 2);
  CHECK(run_cli("select - --optimizer cube-max", kCandidates).exit_code == 2);
  CHECK(run_cli("select - --scenario budget", kCandidates).exit_code == 2);
}

TEST_CASE("select: a failing optimizer is an error record and exit 1, the others still run") {
  const auto result = run_cli("--plugin-path '" KCUBE_TEST_FIXTURE_DIR
                              "/params' select - --scenario budget --optimizer "
                              "fixture-params:ratio=1,mode=c --optimizer accuracy-max --json",
                              kCandidates);
  CHECK(result.exit_code == 1);
  CHECK(result.out.find(R"("status": "error")") != std::string::npos);
  CHECK(result.out.find("select failed on purpose") != std::string::npos);
  CHECK(
      result.out.find(
          R"("optimizer": "accuracy-max", "spec": "accuracy-max", "status": "selected", "k": 16)") !=
      std::string::npos);
}

TEST_CASE("select: accuracy-max takes a tolerance or the one-se rule in its spec") {
  // A = 0.90, 0.95, 0.97 at k = 4, 8, 12 feasible: within 0.02 of 0.97 the smallest k is 8.
  const auto tolerance =
      run_cli(std::string("select - ") + kScenario +
                  " --optimizer accuracy-max --optimizer accuracy-max:tolerance=0.02 --json",
              kCandidates);
  CHECK(tolerance.exit_code == 0);
  CHECK(
      tolerance.out.find(
          R"({"optimizer": "accuracy-max", "spec": "accuracy-max", "status": "selected", "k": 12,)") !=
      std::string::npos);
  CHECK(
      tolerance.out.find(
          R"({"optimizer": "accuracy-max", "spec": "accuracy-max:tolerance=0.02", "status": "selected", "k": 8,)") !=
      std::string::npos);
  CHECK(tolerance.out.find("within the tolerance 0.02; saves $0.1 (-33.3 %) and 10 s (-33.3 %)") !=
        std::string::npos);
  // one-se reads accuracy_se: 0.015 at k = 12 puts k = 8 (0.02 below) outside, 0.025 inside.
  // The rows of kCandidates with accuracy_se, the last one's left to each case.
  const std::string with_se =
      "k,cost,latency,accuracy,accuracy_se\n"
      "4,0.1,10,0.90,0.01\n"
      "8,0.2,20,0.95,0.01\n"
      "12,0.3,30,0.97,";
  const auto narrow =
      run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max:rule=one-se --json",
              with_se + "0.015\n");
  CHECK(narrow.exit_code == 0);
  CHECK(narrow.out.find(R"("status": "selected", "k": 12,)") != std::string::npos);
  const auto wide =
      run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max:rule=one-se --json",
              with_se + "0.025\n");
  CHECK(wide.exit_code == 0);
  CHECK(wide.out.find(R"("status": "selected", "k": 8,)") != std::string::npos);
  // Without the column: an error record naming it, exit 1, the other rules still run.
  const auto missing = run_cli(std::string("select - ") + kScenario +
                                   " --optimizer accuracy-max:rule=one-se --optimizer cube-max "
                                   "--json",
                               kCandidates);
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find(R"("status": "error")") != std::string::npos);
  CHECK(missing.out.find("accuracy_se column") != std::string::npos);
  CHECK(missing.out.find(R"("spec": "cube-max", "status": "selected", "k": 4,)") !=
        std::string::npos);
  // Both margins at once, or a tolerance out of range: refused before any work, exit 2.
  const auto both = run_cli(
      std::string("select - ") + kScenario + " --optimizer accuracy-max:tolerance=0.01,rule=one-se",
      kCandidates);
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("give one of them") != std::string::npos);
  CHECK(run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max:tolerance=1",
                kCandidates)
            .exit_code == 2);
}

TEST_CASE("select: chance mode without quantile columns is an input error") {
  const auto result = run_cli(
      "select - --scenario budget:cost_max=0.5,constraint_mode=chance --optimizer accuracy-max",
      kCandidates);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("needs the column 'cost_p95'") != std::string::npos);
}

TEST_CASE("select: chance mode needs only the quantiles of the budgets that are set") {
  // cost_max alone: cost_p95 is read, latency_p95 and accuracy_p05 are not needed.
  const std::string candidates =
      "k,cost,latency,accuracy,cost_p95\n"
      "4,0.1,10,0.90,0.2\n"
      "8,0.2,20,0.95,0.6\n";
  const auto result = run_cli(
      "select - --scenario budget:cost_max=0.5,parallelism=4,constraint_mode=chance "
      "--optimizer accuracy-max --json",
      candidates);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(R"("status": "selected", "k": 4,)") != std::string::npos);
  // accuracy_min set too: now accuracy_p05 is needed.
  const auto accuracy = run_cli(
      "select - --scenario budget:cost_max=0.5,accuracy_min=0.5,constraint_mode=chance "
      "--optimizer accuracy-max",
      candidates);
  CHECK(accuracy.exit_code == 2);
  CHECK(accuracy.err.find("needs the column 'accuracy_p05'") != std::string::npos);
}

TEST_CASE("select: extra columns are ignored with a note, a TSV file is read, units are named") {
  const auto extra = run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max",
                             "model,k,cost,latency,accuracy,notes\n"
                             "a,4,0.1,10,0.90,first\n"
                             "a,8,0.2,20,0.95,\n");
  CHECK(extra.exit_code == 0);
  CHECK(extra.err.find("kcube select: note: <stdin>:1: ignoring the columns 'model', 'notes'") !=
        std::string::npos);
  const auto tsv =
      run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max --json",
              "k\tcost\tlatency\taccuracy\n4\t0.1\t10\t0.90\n8\t0.2\t20\t0.95\n");
  CHECK(tsv.exit_code == 0);
  CHECK(tsv.out.find(R"("status": "selected", "k": 8,)") != std::string::npos);
  const auto units = run_cli(std::string("select - ") + kScenario + " --optimizer accuracy-max",
                             "k,cost_usd,latency_s,accuracy\n4,0.1,10,0.90\n");
  CHECK(units.exit_code == 2);
  CHECK(units.err.find("'cost_usd' (did you mean 'cost'?") != std::string::npos);
  CHECK(units.err.find("'latency_s' (did you mean 'latency'?") != std::string::npos);
  CHECK(units.err.find("cost_std") == std::string::npos);
}

namespace {
// Measured at k = 1, 2, 4, 8: with P = 4 the budget scenario's grid is 4, 8, 12, ...
constexpr const char* kMeasured =
    "k,cost,latency,accuracy\n"
    "1,0.025,10,0.80\n"
    "2,0.05,10,0.85\n"
    "4,0.1,10,0.90\n"
    "8,0.2,20,0.95\n";
}  // namespace

TEST_CASE("select says which measured k the grid dropped, and that k_step=1 keeps them") {
  const auto p4 =
      run_cli("select - --scenario budget:parallelism=4 --optimizer accuracy-max", kMeasured);
  CHECK(p4.exit_code == 0);
  CHECK(p4.out.find("Candidates: 4 from <stdin>; feasible: 2") != std::string::npos);
  CHECK(p4.err.find("kcube select: note: measured k = 1, 2 are not multiples of k_step 4") !=
        std::string::npos);
  CHECK(p4.err.find("k_step=1 in the scenario keeps every k") != std::string::npos);
  // P = 3: nothing is on the grid; the selection's reason says why, in --json too.
  const auto p3 =
      run_cli("select - --scenario budget:parallelism=3,k_max=8 --optimizer accuracy-max --json",
              kMeasured);
  CHECK(p3.exit_code == 0);
  CHECK(p3.out.find(R"("status": "infeasible")") != std::string::npos);
  CHECK(p3.out.find("measured k = 1, 2, 4, 8 are not multiples of k_step 3") != std::string::npos);
  CHECK(p3.out.find("k_step=1 in the scenario keeps every k") != std::string::npos);
  const auto above =
      run_cli("select - --scenario budget:k_max=4 --optimizer accuracy-max", kMeasured);
  CHECK(above.err.find("measured k = 8 is above k_max 4") != std::string::npos);
  // k_step=1 keeps them all, and says nothing.
  const auto kept = run_cli(
      "select - --scenario budget:parallelism=4,k_step=1 --optimizer accuracy-max", kMeasured);
  CHECK(kept.out.find("feasible: 4") != std::string::npos);
  CHECK(kept.err.empty());
}

namespace {
constexpr const char* kGpt5 =
    "--profile gaussian:c_in=1.25e-6,c_out=1e-5,t_in=0.0005,t_out=0.005,acc_mean=0.94,acc_std=0.02";
constexpr const char* kHeader =
    "k,cost,latency,accuracy,cost_std,latency_std,accuracy_std,cost_se,latency_se,accuracy_se,"
    "cost_p025,cost_p975,latency_p025,latency_p975,accuracy_p025,accuracy_p975";

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}
}  // namespace

TEST_CASE("simulate writes the candidate table as CSV, one row per k of the grid") {
  const auto result = run_cli(std::string("simulate ") + kGpt5 +
                              " --scenario budget:parallelism=4,k_max=16 --trials 500");
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find(std::string(kHeader) + ",trials\n4,") == 0);
  CHECK(lines(result.out) == 5);  // header + k = 4, 8, 12, 16
  CHECK(result.out.find(",500\n") != std::string::npos);
  CHECK(result.err.find("500 trials, nested sampling, exact quantiles") != std::string::npos);
}

TEST_CASE("simulate output is identical for 1 and 2 threads, and differs with the seed") {
  const std::string base =
      std::string("simulate ") + kGpt5 + " --scenario budget:parallelism=2,k_max=32 --trials 3000";
  const auto one = run_cli(base + " --threads 1");
  const auto two = run_cli(base + " --threads 2");
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == two.out);
  CHECK(one.out != run_cli(base + " --seed 43").out);
  CHECK(run_cli(base + " --sampling independent --threads 1").out ==
        run_cli(base + " --sampling independent --threads 2").out);
}

TEST_CASE("simulate --evaluator exact leaves the spread empty and trials 0") {
  const auto result = run_cli(std::string("simulate ") + kGpt5 +
                              " --scenario budget:parallelism=4,k_max=8 --evaluator exact");
  REQUIRE(result.exit_code == 0);
  // k = 4: cost 4 (1024 * 1.25e-6 + 2048 * 1e-5) = 4 * 0.02176 = 0.08704 USD (clipping of the
  // token lengths at 1 and 16 mu is 16 sigma away and changes nothing at this precision).
  CHECK(result.out.find("\n4,0.08704") != std::string::npos);
  CHECK(result.out.find(",,,,,,,,,,,,0\n") != std::string::npos);
}

TEST_CASE("simulate refuses what it cannot compute, exit 2") {
  const auto max_wave = run_cli(std::string("simulate ") + kGpt5 +
                                " --scenario budget:latency_model=max-wave --evaluator exact");
  CHECK(max_wave.exit_code == 2);
  CHECK(max_wave.err.find("Monte Carlo") != std::string::npos);
  const auto chance =
      run_cli(std::string("simulate ") + kGpt5 +
              " --scenario budget:cost_max=1,constraint_mode=chance --evaluator exact");
  CHECK(chance.exit_code == 2);
  CHECK(chance.err.find("quantiles") != std::string::npos);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --trials 1").exit_code == 2);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --threads x").exit_code ==
        2);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --evaluator guess")
            .exit_code == 2);
  CHECK(run_cli("simulate --profile gaussian --scenario budget").exit_code == 2);  // required
}

TEST_CASE("plugins list and describe show the aggregators with needs, stopping and exactness") {
  const auto list = run_cli("plugins list");
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("aggregator plugins (7)") != std::string::npos);
  const auto section = list.out.substr(list.out.find("aggregator plugins"));
  CHECK(section.find("needs") != std::string::npos);
  CHECK(section.find("stops early") != std::string::npos);
  CHECK(section.find("answers and scores") != std::string::npos);  // weighted-vote
  const auto json = run_cli("plugins list --json");
  CHECK(json.out.find("\"name\": \"esc\", \"kind\": \"aggregator\"") != std::string::npos);
  CHECK(json.out.find("\"needs\": [\"answers\"], \"stops_early\": true, \"has_exact\": false, "
                      "\"iid_form\": null") != std::string::npos);
  CHECK(json.out.find("\"needs\": [], \"stops_early\": false, \"has_exact\": true, "
                      "\"iid_form\": \"any-correct\"") != std::string::npos);

  const auto esc = run_cli("plugins describe esc");
  REQUIRE(esc.exit_code == 0);
  CHECK(esc.out.find("esc 1.0.0  (aggregator plugin)") == 0);
  CHECK(esc.out.find("needs: answers\n") != std::string::npos);
  CHECK(esc.out.find("stops early: yes\n") != std::string::npos);
  CHECK(esc.out.find("exact evaluation: no (monte-carlo only)\n") != std::string::npos);
  CHECK(esc.out.find("window") != std::string::npos);
  const auto pass = run_cli("plugins describe pass-at-k");
  CHECK(pass.out.find("needs: accuracy only\n") != std::string::npos);
  CHECK(pass.out.find("stops early: no\n") != std::string::npos);
  CHECK(pass.out.find("exact evaluation: sample logs, analytic profiles (1 - (1 - E[a])^k), "
                      "profiles with their own exact accuracy (any-correct)\n") !=
        std::string::npos);
  // Majority vote and verifier-best: exact on logs and on profiles whose samples are correlated
  // (difficulty), never through an i.i.d. accuracy CDF.
  CHECK(json.out.find("\"needs\": [\"answers\"], \"stops_early\": false, \"has_exact\": true, "
                      "\"iid_form\": \"plurality\"") != std::string::npos);
  CHECK(json.out.find("\"needs\": [\"scores\"], \"stops_early\": false, \"has_exact\": true, "
                      "\"iid_form\": \"best-score\"") != std::string::npos);
  const auto vote = run_cli("plugins describe majority-vote");
  CHECK(vote.out.find("exact evaluation: sample logs, profiles with their own exact accuracy "
                      "(plurality)\n") != std::string::npos);
  const auto verifier = run_cli("plugins describe verifier-best");
  CHECK(verifier.out.find("exact evaluation: sample logs, profiles with their own exact accuracy "
                          "(best-score)\n") != std::string::npos);
}

namespace {
constexpr const char* kAnswering =
    "--plugin-path '" KCUBE_TEST_ANSWERING_DIR "' simulate --profile answering";
constexpr const char* kSamplesUsedHeader =
    "samples_used,samples_used_std,samples_used_se,samples_used_p025,samples_used_p975";
}  // namespace

TEST_CASE("simulate --aggregator: max-accuracy is the default, others change accuracy") {
  const std::string base =
      std::string("simulate ") + kGpt5 + " --scenario budget:parallelism=2,k_max=8 --trials 500";
  const auto plain = run_cli(base);
  const auto max_accuracy = run_cli(base + " --aggregator max-accuracy");
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out == max_accuracy.out);
  CHECK(plain.err.find("aggregator max-accuracy") != std::string::npos);
  const auto pass = run_cli(base + " --aggregator pass-at-k");
  REQUIRE(pass.exit_code == 0);
  CHECK(pass.out.find(std::string(kHeader) + ",trials\n") == 0);  // same columns
  CHECK(pass.out != plain.out);
  // Exact pass-at-k on an analytic profile: 1 - (1 - E[a])^k.
  const auto exact = run_cli(std::string("simulate ") + kGpt5 +
                             " --scenario budget:parallelism=4,k_max=8 --evaluator exact "
                             "--aggregator pass-at-k");
  CHECK(exact.exit_code == 0);
  CHECK(exact.out.find(",,,,,,,,,,,,0\n") != std::string::npos);
}

TEST_CASE("simulate --aggregator with a stopping rule prints samples_used and its spread") {
  const auto esc = run_cli(std::string(kAnswering) +
                           " --scenario budget:parallelism=1,k_max=6 --trials 400 "
                           "--aggregator esc:window=2");
  REQUIRE(esc.exit_code == 0);
  CHECK(esc.out.find(std::string(kHeader) + "," + kSamplesUsedHeader + ",trials\n") == 0);
  CHECK(lines(esc.out) == 7);
  // k = 1 draws one sample: samples_used 1 with no spread, cost 1 USD, latency 1 s.
  CHECK(esc.out.find("\n1,1,1,") != std::string::npos);
  const auto majority = run_cli(std::string(kAnswering) +
                                " --scenario budget:parallelism=1,k_max=6 --trials 400 "
                                "--aggregator majority-vote");
  REQUIRE(majority.exit_code == 0);
  CHECK(majority.out.find("samples_used") == std::string::npos);
}

TEST_CASE("simulate --aggregator refuses incompatible or inexact choices, exit 2") {
  const auto refused = run_cli(std::string("simulate ") + kGpt5 +
                               " --scenario budget:k_max=8 --aggregator majority-vote");
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("majority-vote") != std::string::npos);
  CHECK(refused.err.find("gaussian") != std::string::npos);
  CHECK(refused.out.empty());
  const auto inexact = run_cli(std::string(kAnswering) +
                               " --scenario budget:k_max=8 --evaluator exact --aggregator esc");
  CHECK(inexact.exit_code == 2);
  CHECK(inexact.err.find("use monte-carlo") != std::string::npos);
  const auto typo = run_cli(std::string("simulate ") + kGpt5 +
                            " --scenario budget:k_max=8 --aggregator majority-vot");
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("did you mean 'majority-vote'") != std::string::npos);
}

TEST_CASE("simulate feeds select: chance quantile columns included, file round trip") {
  kcube::test::TempDir dir;
  const auto csv = dir.path() / "candidates.csv";
  const std::string scenario =
      "--scenario budget:cost_max=0.5,latency_max=60,accuracy_min=0.88,parallelism=4,"
      "constraint_mode=chance";
  const auto simulated = run_cli(std::string("simulate ") + kGpt5 + " " + scenario +
                                 " --trials 2000 -o '" + csv.string() + "'");
  REQUIRE(simulated.exit_code == 0);
  std::stringstream content;
  content << std::ifstream(csv).rdbuf();
  CHECK(content.str().find(std::string(kHeader) + ",cost_p95,latency_p95,accuracy_p05,trials") ==
        0);
  const auto selected =
      run_cli("select '" + csv.string() + "' " + scenario + " --optimizer accuracy-max --json");
  CHECK(selected.exit_code == 0);
  CHECK(selected.out.find("\"status\": \"selected\"") != std::string::npos);
}

namespace {

// Runs `kcube ARGS` (shell text) with standard output on a pseudo-terminal, as in a terminal
// window; `env` is prepended (e.g. "COLUMNS=80"). Returns stdout with the terminal's CR LF line
// ends as LF.
std::string run_on_terminal(const std::string& args, const std::string& input,
                            const std::string& env) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string slave = ::ptsname(master);
  // Held open here so that the output stays readable after kcube closed its end.
  const int held = ::open(slave.c_str(), O_RDWR | O_NOCTTY);
  REQUIRE(held >= 0);
  kcube::test::TempDir dir;
  const auto in = dir.path() / "stdin";
  std::ofstream(in) << input;
  const std::string command = "env -u KCUBE_PLUGIN_PATH " + env + " '" KCUBE_TEST_CLI "' " + args +
                              " <'" + in.string() + "' >'" + slave + "' 2>/dev/null";
  CHECK(std::system(command.c_str()) == 0);
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(master, buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(held);
  ::close(master);
  std::erase(out, '\r');
  return out;
}

std::size_t longest_line(const std::string& text) {
  std::size_t longest = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    longest = std::max(longest, line.size());
  return longest;
}

}  // namespace

TEST_CASE("select wraps the reason column on a terminal, and keeps lines whole elsewhere") {
  // cube-max explains its pick in a long reason.
  const std::string args = std::string("select - ") + kScenario +
                           " --optimizer cube-max --optimizer accuracy-max --optimizer knee-point";
  const auto piped = run_cli(args, kCandidates);
  REQUIRE(piped.exit_code == 0);
  REQUIRE(longest_line(piped.out) > 120);
  // The same words, only broken over lines: nothing is cut (the header's "reason" may read
  // "(reason below)").
  const auto words = [](const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;) {
      const bool rule = word.find_first_not_of('-') == std::string::npos;
      if (!rule && word != "reason" && word != "(reason" && word != "below)")
        out.push_back(word);
    }
    return out;
  };
  // The table's lines, without the scenario line above it (that one is not a table).
  const auto table = [](const std::string& text) { return text.substr(text.find("optimizer")); };
  // 100 columns: the reason wraps beside the other columns, under its own column.
  const std::string wide = run_on_terminal(args, kCandidates, "COLUMNS=100");
  CHECK(longest_line(table(wide)) <= 100);
  CHECK(words(wide) == words(piped.out));
  const std::size_t column = table(wide).find("reason");
  const std::string continued = "\n" + std::string(column, ' ');
  const std::size_t at = table(wide).find(continued);
  REQUIRE(at != std::string::npos);
  CHECK(table(wide)[at + continued.size()] != ' ');
  // 60 columns: too narrow beside them, so the reason goes under its row.
  const std::string narrow = run_on_terminal(args, kCandidates, "COLUMNS=60");
  CHECK(narrow.find("(reason below)") != std::string::npos);
  std::size_t below = 0;
  std::istringstream lines(narrow);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("    ")) {
      ++below;
      CHECK(line.size() <= 60);
    }
  }
  CHECK(below >= 3);  // one reason under each of the three rows
  CHECK(words(narrow) == words(piped.out));
  // COLUMNS unset or nonsense: the kernel's width (0 for a fresh pseudo-terminal), else 100.
  CHECK(longest_line(table(run_on_terminal(args, kCandidates, "COLUMNS=wide"))) <= 100);
}

TEST_CASE("run --quiet prints the store line alone, and errors alone on stderr") {
  kcube::test::TempDir dir;
  const auto manifest = dir.path() / "m.yaml";
  std::ofstream(manifest) << "kcube: 1\n"
                             "experiment: quiet\n"
                             "profiles:\n"
                             "  p:\n"
                             "    plugin: gaussian\n"
                             "    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, "
                             "acc_mean: 0.5, acc_std: 0.1}\n"
                             "scenarios:\n"
                             "  s: {plugin: budget, params: {cost_max: 1, k_max: 8}}\n"
                             "optimizers:\n"
                             "  a: {plugin: accuracy-max}\n"
                             "run:\n"
                             "  trials: 20\n";
  const std::string store = (dir.path() / "s.sqlite").string();
  const std::string run = "run '" + manifest.string() + "' --store '" + store + "'";
  const auto quiet = run_cli(run + " --quiet");
  REQUIRE(quiet.exit_code == 0);
  CHECK(quiet.out == "store: " + store + " (run 1)\n");
  CHECK(quiet.err.empty());
  // --resume of the finished run: nothing to do, and nothing said but where the run is.
  const auto again = run_cli(run + " --resume --quiet");
  CHECK(again.exit_code == 0);
  CHECK(again.out == "store: " + store + " (run 1)\n");
  CHECK(again.err.empty());
  const auto loud = run_cli(run);
  REQUIRE(loud.exit_code == 0);
  CHECK(loud.out.find("k picked by each optimizer") != std::string::npos);
  CHECK(loud.out.find("\n1 cells run in ") != std::string::npos);
  CHECK(loud.out.ends_with(" s\nstore: " + store + " (run 2)\n"));
  // An error still reaches stderr, and the exit code says it.
  const auto missing = run_cli("run '" + (dir.path() / "missing.yaml").string() + "' --store '" +
                               store + "' --quiet");
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("missing.yaml") != std::string::npos);
}
