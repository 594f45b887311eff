// The kcube command line, end to end: exit codes, tables, JSON, errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

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
  CHECK(describe.out.find("budget 1.0.0  (scenario plugin)") == 0);
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
          R"({"optimizer": "accuracy-max", "spec": "accuracy-max", "status": "selected", "k": 12, "cost": 0.3, "latency": 30, "accuracy": 0.97, "score": 0.97, "feasible": 3, "pareto": 3, "reason": )") !=
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

TEST_CASE("select: chance mode without quantile columns is an input error") {
  const auto result = run_cli(
      "select - --scenario budget:constraint_mode=chance --optimizer accuracy-max", kCandidates);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("needs the column 'cost_p95'") != std::string::npos);
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
  const auto chance = run_cli(std::string("simulate ") + kGpt5 +
                              " --scenario budget:constraint_mode=chance --evaluator exact");
  CHECK(chance.exit_code == 2);
  CHECK(chance.err.find("quantiles") != std::string::npos);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --trials 1").exit_code == 2);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --threads x").exit_code ==
        2);
  CHECK(run_cli(std::string("simulate ") + kGpt5 + " --scenario budget --evaluator guess")
            .exit_code == 2);
  CHECK(run_cli("simulate --profile gaussian --scenario budget").exit_code == 2);  // required
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
