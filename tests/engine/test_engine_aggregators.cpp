// The engine with an aggregator plugin: max-accuracy keeps the best-of-k engine's numbers bit for
// bit, a stopping aggregator bills only the samples it drew, pass-at-k's exact form agrees with
// Monte Carlo, and an aggregator needing answers is refused with a profile that has none.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"

using kcube::Deployment;
using kcube::LatencyModel;
using kcube::Sampling;

namespace {

kcube::PluginInstance<kcube::ModelProfile> gaussian(double acc_mean, double acc_std) {
  return kcube::test::builtin_registry().create<kcube::ModelProfile>(
      kcube::parse_spec("gaussian:c_in=1.25e-6,c_out=1e-5,t_in=0.0005,t_out=0.005,acc_mean=" +
                        std::to_string(acc_mean) + ",acc_std=" + std::to_string(acc_std)));
}

kcube::PluginInstance<kcube::Aggregator> aggregator(const std::string& spec) {
  return kcube::test::builtin_registry().create<kcube::Aggregator>(kcube::parse_spec(spec));
}

Deployment deployment(int parallelism, int k_max, int k_step, LatencyModel model) {
  Deployment d;
  d.parallelism = parallelism;
  d.k_max = k_max;
  d.k_step = k_step;
  d.latency_model = model;
  return d;
}

kcube::SimulationOptions options(std::int64_t trials, Sampling sampling) {
  kcube::SimulationOptions o;
  o.trials = trials;
  o.sampling = sampling;
  o.seed = 20251018;
  o.threads = 2;
  return o;
}

// Sample i (from 0) costs i + 1 USD, takes 1 s, is correct and gives answer 7: esc with window w
// stops after w samples, so a request allowed k draws min(k, w), costs 1 + ... + min(k, w) USD
// and (mean-wave, P = 1) takes min(k, w) s.
class AgreeingProfile final : public kcube::ModelProfile {
 public:
  std::string display_name() const override { return "agreeing"; }
  kcube::SampleFields provides() const override { return {.answers = true}; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome> path) const override {
    for (std::size_t i = 0; i < path.size(); ++i) {
      path[i] = {.cost = static_cast<double>(i + 1),
                 .latency = 1.0,
                 .accuracy = 1.0,
                 .input_cost = 0.0,
                 .score = 0.0,
                 .answer = 7};
    }
  }
};

}  // namespace

TEST_CASE("max-accuracy gives the best-of-k engine's tables bit for bit") {
  const auto profile = gaussian(0.6, 0.2);
  const auto max_accuracy = aggregator("max-accuracy");
  for (const Sampling sampling : {Sampling::nested, Sampling::independent}) {
    for (const LatencyModel model : {LatencyModel::mean_wave, LatencyModel::max_wave}) {
      CAPTURE(to_string(sampling));
      CAPTURE(static_cast<int>(model));
      const Deployment d = deployment(3, 24, 4, model);
      const auto o = options(500, sampling);
      const auto cell = kcube::cell_identity("gaussian", profile.params(), d);
      const kcube::SimulationResult plain = kcube::simulate(profile.checked(), cell, d, o);
      const kcube::SimulationResult with =
          kcube::simulate(profile.checked(), max_accuracy.checked(), cell, d, o);
      REQUIRE(with.table.rows.size() == plain.table.rows.size());
      for (std::size_t i = 0; i < plain.table.rows.size(); ++i) {
        CHECK(with.table.rows[i].k == plain.table.rows[i].k);
        CHECK(with.table.rows[i].cost == plain.table.rows[i].cost);
        CHECK(with.table.rows[i].latency == plain.table.rows[i].latency);
        CHECK(with.table.rows[i].accuracy == plain.table.rows[i].accuracy);
      }
      CHECK(with.table.columns == plain.table.columns);
      CHECK(with.table.column("samples_used") == nullptr);
      CHECK(with.notes.empty());
    }
  }
}

TEST_CASE("a stopping aggregator adds samples_used columns and bills only the samples drawn") {
  const AgreeingProfile profile;
  const auto esc = aggregator("esc:window=3");
  const Deployment d = deployment(1, 8, 1, LatencyModel::mean_wave);
  const kcube::SimulationResult result =
      kcube::simulate(profile, esc.checked(), 99, d, options(10, Sampling::nested));
  const auto& table = result.table;
  for (const char* column : {"samples_used", "samples_used_std", "samples_used_se",
                             "samples_used_p025", "samples_used_p975"}) {
    CAPTURE(column);
    REQUIRE(table.column(column) != nullptr);
  }
  REQUIRE(table.rows.size() == 8);
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const int k = table.rows[i].k;
    const int drawn = std::min(k, 3);
    CAPTURE(k);
    CHECK((*table.column("samples_used"))[i] == drawn);
    CHECK((*table.column("samples_used_std"))[i] == 0.0);
    CHECK(table.rows[i].cost == drawn * (drawn + 1) / 2);  // 1 + 2 + ... + drawn USD
    CHECK(table.rows[i].latency == drawn);                 // drawn s on one lane
    CHECK(table.rows[i].accuracy == 1.0);
  }
}

TEST_CASE("exact pass-at-k on the gaussian profile, 1 - (1 - E[a])^k, within 4 SE of Monte Carlo") {
  const auto profile = gaussian(0.3, 0.2);
  const auto pass_at_k = aggregator("pass-at-k");
  const Deployment d = deployment(2, 8, 1, LatencyModel::mean_wave);
  std::vector<std::string> notes;
  const kcube::CandidateTable exact =
      kcube::exact_candidates(profile.checked(), pass_at_k.checked(), d, notes);
  CHECK(notes.empty());
  const double mean = kcube::expected_best_of_k(profile.checked(), 1);
  const auto cell = kcube::cell_identity("gaussian", profile.params(), d);
  const kcube::SimulationResult mc = kcube::simulate(profile.checked(), pass_at_k.checked(), cell,
                                                     d, options(20000, Sampling::nested));
  REQUIRE(exact.rows.size() == mc.table.rows.size());
  const std::vector<double>& se = *mc.table.column("accuracy_se");
  for (std::size_t i = 0; i < exact.rows.size(); ++i) {
    const int k = exact.rows[i].k;
    CAPTURE(k);
    CHECK(exact.rows[i].accuracy == doctest::Approx(1.0 - std::pow(1.0 - mean, k)).epsilon(1e-12));
    // The Monte Carlo mean of 20,000 trials is within 4 standard errors of its expectation
    // (a two-sided miss has probability 6e-5 per k); the seed is fixed, so the test is
    // deterministic. Cost (k E[c]) and latency ((k / P) E[t]) the same way.
    CHECK(std::abs(mc.table.rows[i].accuracy - exact.rows[i].accuracy) <= 4.0 * se[i]);
    CHECK(std::abs(mc.table.rows[i].cost - exact.rows[i].cost) <=
          4.0 * (*mc.table.column("cost_se"))[i]);
    CHECK(std::abs(mc.table.rows[i].latency - exact.rows[i].latency) <=
          4.0 * (*mc.table.column("latency_se"))[i]);
  }
}

TEST_CASE("majority-vote is refused with the gaussian profile, naming both plugins") {
  const auto profile = gaussian(0.6, 0.2);
  const auto majority = aggregator("majority-vote");
  std::string message;
  try {
    kcube::require_compatible(profile.checked(), majority.checked());
  } catch (const kcube::Error& e) {
    message = e.what();
  }
  CAPTURE(message);
  CHECK(message.find("majority-vote") != std::string::npos);
  CHECK(message.find("gaussian") != std::string::npos);
  CHECK(message.find("answers") != std::string::npos);
  // simulate() refuses the same pair before drawing anything.
  const Deployment d = deployment(1, 4, 1, LatencyModel::mean_wave);
  CHECK_THROWS_AS(
      kcube::simulate(profile.checked(), majority.checked(), 1, d, options(10, Sampling::nested)),
      kcube::Error);
}
