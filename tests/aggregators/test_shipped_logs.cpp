// The aggregator plugins on the four public logs of experiments/data/, through the `samples`
// profile and the engine: for every aggregator with an exact form (pass-at-k, majority-vote),
// the Monte Carlo estimate (a uniform question and a uniform order of its samples) is within 4
// standard errors of the exact value (the mean over every k-subset of each question's samples)
// at every k = 1..n; the stopping policies (esc, adaptive-consistency) draw fewer samples than
// allowed on the Game of 24 logs and are refused by the exact evaluator with "use monte-carlo".
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"

namespace {

template <class T>
kcube::PluginInstance<T> make(const std::string& spec) {
  return kcube::test::builtin_registry().create<T>(kcube::parse_spec(spec));
}

struct Shipped {
  std::string file;
  int samples;
};

const std::vector<Shipped> kShipped = {{"game24-cot-gpt4.csv", 100},
                                       {"game24-io-gpt4.csv", 100},
                                       {"cruxeval-input-codellama7b.csv", 10},
                                       {"cruxeval-output-codellama7b.csv", 10}};

std::string profile_spec(const Shipped& log) {
  const auto path =
      std::filesystem::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "data" / log.file;
  return "samples:path=" + path.string();
}

kcube::Deployment every_k(int n) {
  return {.parallelism = 1, .k_max = n, .k_step = 1};
}

}  // namespace

TEST_CASE(
    "shipped logs: Monte Carlo within 4 standard errors of exact, pass-at-k and majority "
    "vote, every k") {
  for (const Shipped& log : kShipped) {
    const auto profile = make<kcube::ModelProfile>(profile_spec(log));
    for (const std::string aggregator_name : {"pass-at-k", "majority-vote"}) {
      CAPTURE(log.file);
      CAPTURE(aggregator_name);
      const auto aggregator = make<kcube::Aggregator>(aggregator_name);
      kcube::SimulationOptions options;
      options.trials = 20000;
      options.seed = 7;
      options.threads = 2;
      const kcube::SimulationResult mc = kcube::simulate(profile.checked(), aggregator.checked(),
                                                         11, every_k(log.samples), options);
      std::vector<std::string> notes;
      const kcube::CandidateTable exact = kcube::exact_candidates(
          profile.checked(), aggregator.checked(), every_k(log.samples), notes);
      REQUIRE(exact.rows.size() == mc.table.rows.size());
      const std::vector<double>& se = mc.table.columns.at("accuracy_se");
      int outside_two = 0;
      for (std::size_t g = 0; g < exact.rows.size(); ++g) {
        CAPTURE(exact.rows[g].k);
        const double gap = std::abs(mc.table.rows[g].accuracy - exact.rows[g].accuracy);
        CHECK(gap <= 4.0 * se[g] + 1e-12);
        outside_two += gap > 2.0 * se[g] ? 1 : 0;
      }
      // Nested paths make the k correlated, but not all outside 2 SE: a biased estimator would.
      CHECK(outside_two < static_cast<int>(exact.rows.size()) / 2 + 1);
    }
  }
}

TEST_CASE(
    "shipped logs: majority vote differs from pass@k, and the stopping policies save "
    "samples") {
  const Shipped& io = kShipped[1];
  // Priced at GPT-4's 2023 prices (USD per token), so that cost counts the samples drawn.
  const auto profile = make<kcube::ModelProfile>(profile_spec(io) + ",c_in=3e-5,c_out=6e-5");
  std::vector<std::string> notes;
  const auto majority = make<kcube::Aggregator>("majority-vote");
  const kcube::CandidateTable vote =
      kcube::exact_candidates(profile.checked(), majority.checked(), every_k(100), notes);
  // Game of 24 input-output: pass@100 is 33 %; majority vote stays under 10 % (most wrong
  // answers agree on nothing, but the right one is rare per question).
  CHECK(vote.rows.back().accuracy < 0.10);
  CHECK(vote.rows.back().accuracy > 0.08);
  for (const char* policy : {"esc", "adaptive-consistency"}) {
    CAPTURE(policy);
    const auto stopping = make<kcube::Aggregator>(policy);
    kcube::SimulationOptions options;
    options.trials = 4000;
    options.seed = 7;
    const kcube::SimulationResult mc =
        kcube::simulate(profile.checked(), stopping.checked(), 11, every_k(100), options);
    const std::vector<double>& used = mc.table.columns.at("samples_used");
    CHECK(used.back() < 80.0);  // allowed 100
    // At equal k, within a point of majority vote's accuracy.
    CHECK(std::abs(mc.table.rows.back().accuracy - vote.rows.back().accuracy) < 0.01);
    // Cost counts the samples drawn only.
    REQUIRE(vote.rows.back().cost > 0.0);
    CHECK(mc.table.rows.back().cost < 0.8 * vote.rows.back().cost);
    CHECK_THROWS_WITH_AS(
        kcube::exact_candidates(profile.checked(), stopping.checked(), every_k(100), notes),
        doctest::Contains("use monte-carlo"), kcube::Error);
  }
}
