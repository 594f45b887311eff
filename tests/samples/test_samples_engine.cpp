// The `samples` profile through the engine, end to end on the four shipped logs of
// experiments/data/: Monte Carlo best-of-k (max-accuracy, which on 0/1 samples is pass-at-k)
// agrees with the exact evaluation from the log at every k = 1..n, and the exact evaluation gives
// the published pass@k.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "kcube/aggregator.hpp"
#include "kcube/estimators.hpp"
#include "samples_profile.hpp"

namespace {

using kcube::test::LoadedProfile;
using kcube::test::ParamValues;

/// pass-at-k for tests: P(some sample is correct) = 1 - prod (1 - a_i); exactly,
/// kcube::pass_at_k_curve of the question's n samples, c of them correct.
class AnyCorrect final : public kcube::Aggregator {
 public:
  kcube::SampleFields needs() const override { return {}; }
  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double miss = 1.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      miss *= 1.0 - path[j].accuracy;
      accuracy[j] = 1.0 - miss;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
  bool has_exact() const override { return true; }
  void exact_curve(std::span<const kcube::InferenceOutcome> samples,
                   std::span<double> accuracy) const override {
    const auto correct =
        std::count_if(samples.begin(), samples.end(),
                      [](const kcube::InferenceOutcome& o) { return o.accuracy == 1.0; });
    const std::vector<double> curve =
        kcube::pass_at_k_curve(static_cast<std::int64_t>(samples.size()), correct,
                               static_cast<std::int64_t>(accuracy.size()));
    std::copy(curve.begin(), curve.end(), accuracy.begin());
  }
};

/// A shipped log, its samples per question, and the profile parameters it is read with.
struct Shipped {
  const char* file;
  int samples;
  ParamValues params;
};

/// The four shipped logs; the Game of 24 ones priced at GPT-4's 2023 prices (USD per token).
std::vector<Shipped> shipped() {
  const ParamValues gpt4 = {{"c_in", "3e-5"}, {"c_out", "6e-5"}};
  return {{"game24-cot-gpt4.csv", 100, gpt4},
          {"game24-io-gpt4.csv", 100, gpt4},
          {"cruxeval-input-codellama7b.csv", 10, {}},
          {"cruxeval-output-codellama7b.csv", 10, {}}};
}

LoadedProfile profile_of(const Shipped& log) {
  return kcube::test::samples_profile(kcube::test::shipped_logs() / log.file, log.params);
}

/// k = 1..n, one request's samples all at once (P = n), mean-wave latency.
kcube::Deployment every_k(int n) {
  return {.parallelism = n, .k_max = n, .k_step = 1};
}

/// The exact candidate table of pass-at-k.
kcube::CandidateTable exact_pass_at_k(const LoadedProfile& profile, int n,
                                      std::vector<std::string>& notes) {
  static const AnyCorrect any_correct;
  return kcube::exact_candidates(*profile, kcube::CheckedAggregator(any_correct), every_k(n),
                                 notes);
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
  return std::any_of(notes.begin(), notes.end(),
                     [&](const std::string& note) { return note.find(part) != std::string::npos; });
}

TEST_CASE(
    "engine: Monte Carlo pass-at-k on the shipped logs is within 4 standard errors of exact at "
    "every k") {
  for (const Shipped& log : shipped()) {
    CAPTURE(log.file);
    const LoadedProfile profile = profile_of(log);
    kcube::SimulationOptions options;
    options.trials = 10000;
    options.seed = 20240615;
    options.threads = 2;
    const kcube::SimulationResult mc = kcube::simulate(*profile, 1, every_k(log.samples), options);
    std::vector<std::string> notes;
    const kcube::CandidateTable exact = exact_pass_at_k(profile, log.samples, notes);
    REQUIRE(mc.table.rows.size() == static_cast<std::size_t>(log.samples));
    REQUIRE(exact.rows.size() == mc.table.rows.size());
    const std::vector<double>& accuracy_se = mc.table.columns.at("accuracy_se");
    const std::vector<double>& cost_se = mc.table.columns.at("cost_se");
    for (std::size_t g = 0; g < exact.rows.size(); ++g) {
      CAPTURE(exact.rows[g].k);
      REQUIRE(mc.table.rows[g].k == exact.rows[g].k);
      // The Monte Carlo mean's expectation is the exact value: a uniform question and a uniform
      // k-subset of its samples. 4 standard errors: |z| > 4 has probability 6e-5 per k.
      CHECK(std::abs(mc.table.rows[g].accuracy - exact.rows[g].accuracy) <=
            4.0 * accuracy_se[g] + 1e-12);
      CHECK(std::abs(mc.table.rows[g].cost - exact.rows[g].cost) <= 4.0 * cost_se[g] + 1e-15);
    }
    // The CRUXEval logs have no tokens: every sample costs 0, and both evaluations say so.
    const bool priced = !log.params.empty();
    CHECK(has_note(mc.notes, "every sample costs 0 USD") != priced);
    CHECK(has_note(notes, "every sample costs 0 USD") != priced);
    CHECK(has_note(notes, "every sample takes 0 s"));
  }
}

TEST_CASE("engine: exact pass-at-k of the shipped logs gives the published numbers") {
  // Yao et al. 2023, Table 2 (Game of 24, GPT-4, 100 questions x 100 samples): pass@1 is the
  // share of correct samples and pass@100 the share of questions with one, both exact here.
  // CRUXEval (CodeLlama-7B, T 0.2) publishes pass@1 and pass@5 in percent to two decimals.
  struct Published {
    const char* file;
    int n;
    int k;
    double value;
    double tolerance;
  };
  const std::vector<Shipped> logs = shipped();
  for (const Published& p : {Published{"game24-cot-gpt4.csv", 100, 1, 0.0403, 1e-12},
                             Published{"game24-cot-gpt4.csv", 100, 100, 0.49, 1e-12},
                             Published{"game24-io-gpt4.csv", 100, 1, 0.0734, 1e-12},
                             Published{"game24-io-gpt4.csv", 100, 100, 0.33, 1e-12},
                             Published{"cruxeval-input-codellama7b.csv", 10, 1, 0.3595, 5e-5},
                             Published{"cruxeval-input-codellama7b.csv", 10, 5, 0.4499, 5e-5},
                             Published{"cruxeval-output-codellama7b.csv", 10, 1, 0.3421, 5e-5},
                             Published{"cruxeval-output-codellama7b.csv", 10, 5, 0.4029, 5e-5}}) {
    CAPTURE(p.file);
    CAPTURE(p.k);
    const auto log = std::find_if(logs.begin(), logs.end(),
                                  [&](const Shipped& s) { return std::string(s.file) == p.file; });
    REQUIRE(log != logs.end());
    const LoadedProfile profile = profile_of(*log);
    std::vector<std::string> notes;
    const kcube::CandidateTable exact = exact_pass_at_k(profile, p.n, notes);
    CHECK(std::abs(exact.rows[static_cast<std::size_t>(p.k - 1)].accuracy - p.value) <=
          p.tolerance);
  }
}

}  // namespace
