// The one-pass histogram quantiles (beyond SimulationOptions::exact_quantile_bytes) against the
// exact path: the trial values are a pure function of (seed, cell, trial), so both paths see the
// same draws, and every histogram quantile must be within its metric's quantile_resolution of
// the exact type-7 quantile, or equal to it where it falls among exactly kept values. All data
// here are synthetic: test-only profiles, or the gaussian plugin with made-up parameters.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "test_profiles.hpp"

using kcube::SimulationOptions;
using kcube::SimulationResult;

namespace {

using kcube::test::identical;

constexpr std::uint64_t kSeed = 2718;
constexpr std::uint64_t kCell = 31;
constexpr const char* kMetrics[] = {"cost", "latency", "accuracy"};

kcube::Deployment grid_to(int k_max, int k_step = 1) {
  kcube::Deployment d;
  d.parallelism = 2;
  d.k_max = k_max;
  d.k_step = k_step;
  d.latency_model = kcube::LatencyModel::max_wave;
  return d;
}

SimulationOptions options(std::int64_t trials, int threads) {
  SimulationOptions o;
  o.trials = trials;
  o.threads = threads;
  o.seed = kSeed;
  o.quantile_levels = {0.05, 0.5, 0.95, 0.995};
  return o;
}

// The same options on the histogram path: a block of at most one chunk of trials.
SimulationOptions histogram(SimulationOptions o) {
  o.exact_quantile_bytes = 1;
  return o;
}

// The trial a nested path belongs to, recovered from its stream: the first uniform of
// RandomStream(kSeed, kCell, t) is a pure function of t (53 random bits: no two of a few
// thousand trials share one). Profiles get no trial index, so test profiles that must change
// with the trial look it up here.
class TrialIndex {
 public:
  explicit TrialIndex(std::int64_t trials) {
    for (std::int64_t t = 0; t < trials; ++t) {
      kcube::RandomStream stream(kSeed, kCell, static_cast<std::uint64_t>(t));
      index_.emplace(stream.uniform(), t);
    }
  }
  std::int64_t of(const kcube::RandomStream& stream) const {
    kcube::RandomStream copy = stream;
    const auto it = index_.find(copy.uniform());
    if (it == index_.end())
      throw std::logic_error("a stream of another seed or cell");
    return it->second;
  }

 private:
  std::unordered_map<double, std::int64_t> index_;
};

// Synthetic: trials before `wide_from` are narrow (cost 5 + 0.1 u, latency 1 + 0.1 u), later
// ones wide (cost wide_low + 10 u, latency 2 u; with wide_low = 0 on both sides of the narrow
// ones); accuracy u throughout.
class PhasedProfile final : public kcube::ModelProfile {
 public:
  PhasedProfile(const TrialIndex& index, std::int64_t wide_from, double wide_low)
      : index_(index), wide_from_(wide_from), wide_low_(wide_low) {}
  std::string display_name() const override { return "phased"; }
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    const bool wide = index_.of(stream) >= wide_from_;
    for (auto& o : path) {
      const double u = stream.uniform();
      o = wide ? kcube::InferenceOutcome{wide_low_ + 10.0 * u, 2.0 * u, u}
               : kcube::InferenceOutcome{5.0 + 0.1 * u, 1.0 + 0.1 * u, u};
    }
  }

 private:
  const TrialIndex& index_;
  std::int64_t wide_from_;
  double wide_low_;
};

// Synthetic heavy tails and atoms: cost Pareto with tail index 1.1 (infinite variance in the
// limit, values up to about 1e10 here), latency exactly 2 s with probability 0.7 and
// exponential otherwise, accuracy 0 or 1 (correct with probability 0.3).
class HeavyAtomProfile final : public kcube::ModelProfile {
 public:
  std::string display_name() const override { return "heavy-atoms"; }
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path) {
      const double cost = std::pow(stream.uniform(), -1.0 / 1.1);
      const double v = stream.uniform();
      const double latency = v < 0.7 ? 2.0 : -std::log(stream.uniform());
      o = {cost, latency, stream.uniform() < 0.3 ? 1.0 : 0.0};
    }
  }
};

// Synthetic: cost u DBL_MAX / 2, spread over nearly the whole double range.
class HugeCostProfile final : public kcube::ModelProfile {
 public:
  std::string display_name() const override { return "huge-cost"; }
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path)
      o = {stream.uniform() * 0.5 * std::numeric_limits<double>::max(), 1.0, 0.5};
  }
};

// Throws in draw_path for the trials listed.
class ThrowsAtTrials final : public kcube::ModelProfile {
 public:
  ThrowsAtTrials(const TrialIndex& index, std::vector<std::int64_t> trials)
      : index_(index), trials_(std::move(trials)) {}
  std::string display_name() const override { return "throws-at"; }
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    const std::int64_t trial = index_.of(stream);
    for (std::int64_t t : trials_) {
      if (t == trial)
        throw std::runtime_error("trial " + std::to_string(t) + " fails on purpose");
    }
    for (auto& o : path)
      o = {1.0, 1.0, stream.uniform()};
  }

 private:
  const TrialIndex& index_;
  std::vector<std::int64_t> trials_;
};

// Every quantile of `approx` within its metric's resolution of `exact`'s (plus 1e-9 of it and
// 1e-12 absolute for the rounding of bin boundaries); means identical; standard deviations equal
// to rounding (shifted one-pass sums against the exact path's two-pass ones). Returns the
// largest error seen per metric.
std::array<double, 3> check_against_exact(const SimulationResult& exact,
                                          const SimulationResult& approx,
                                          const std::vector<double>& levels) {
  REQUIRE(exact.exact_quantiles);
  REQUIRE_FALSE(approx.exact_quantiles);
  REQUIRE(exact.table.rows.size() == approx.table.rows.size());
  std::array<double, 3> largest{};
  for (std::size_t m = 0; m < 3; ++m) {
    const double bin = approx.quantile_resolution[m];
    for (double level : levels) {
      const std::string name = kcube::quantile_column(kMetrics[m], level);
      for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
        CAPTURE(name);
        CAPTURE(i);
        const double want = exact.table.column(name)->at(i);
        const double got = approx.table.column(name)->at(i);
        const double error = std::abs(got - want);
        CHECK(error <= bin * (1 + 1e-9) + 1e-12 * std::abs(want));
        largest[m] = std::max(largest[m], error);
      }
    }
    for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
      const std::string sd = std::string(kMetrics[m]) + "_std";
      CHECK(approx.table.column(sd)->at(i) ==
            doctest::Approx(exact.table.column(sd)->at(i)).epsilon(1e-10));
    }
  }
  for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
    // The same sum in the same (trial) order: the same bits.
    CHECK(approx.table.rows[i].cost == exact.table.rows[i].cost);
    CHECK(approx.table.rows[i].latency == exact.table.rows[i].latency);
    CHECK(approx.table.rows[i].accuracy == exact.table.rows[i].accuracy);
  }
  CHECK(approx.inferences == exact.inferences);  // one pass: every trial drawn once
  return largest;
}

const std::vector<double> kAllLevels = {0.025, 0.05, 0.5, 0.95, 0.975, 0.995};

}  // namespace

TEST_CASE("histogram quantiles of the gaussian profile are within one bin of the exact ones") {
  const auto profile = kcube::test::builtin_registry().create<kcube::ModelProfile>(
      kcube::parse_spec("gaussian:c_in=1e-6,c_out=4e-6,t_in=0.0005,t_out=0.004,acc_mean=0.9,"
                        "acc_std=0.05"));
  const auto d = grid_to(64, 2);
  const SimulationResult exact = kcube::simulate(profile.checked(), kCell, d, options(12000, 2));
  const SimulationResult one =
      kcube::simulate(profile.checked(), kCell, d, histogram(options(12000, 1)));
  const SimulationResult two =
      kcube::simulate(profile.checked(), kCell, d, histogram(options(12000, 2)));
  CHECK(identical(one.table, two.table));
  CHECK(one.quantile_resolution == two.quantile_resolution);
  for (std::size_t m = 0; m < 3; ++m)
    CHECK(two.quantile_resolution[m] > 0.0);  // 12,000 trials: more than a pilot's worth
  check_against_exact(exact, two, kAllLevels);
}

TEST_CASE("heavy tails and atoms: histogram quantiles within one bin, constant columns exact") {
  const HeavyAtomProfile profile;
  const auto d = grid_to(48, 3);
  const SimulationResult exact = kcube::simulate(profile, kCell, d, options(10000, 2));
  const SimulationResult one = kcube::simulate(profile, kCell, d, histogram(options(10000, 1)));
  const SimulationResult three = kcube::simulate(profile, kCell, d, histogram(options(10000, 3)));
  CHECK(identical(one.table, three.table));
  check_against_exact(exact, three, kAllLevels);
  // Best-of-k accuracy is 0 or 1: where every trial has a correct sample (large k) the column
  // is constant and kept exactly, whatever the resolution says for the metric.
  const std::vector<double>& accuracy_p025 = *three.table.column("accuracy_p025");
  CHECK(accuracy_p025.back() == 1.0);
  CHECK(exact.table.column("accuracy_p025")->back() == 1.0);
}

TEST_CASE("deterministic columns stay exact on the histogram path: zero resolution") {
  const kcube::test::CountingProfile profile;  // every trial the same path
  const auto d = grid_to(20);
  const SimulationResult exact = kcube::simulate(profile, kCell, d, options(5000, 2));
  const SimulationResult approx = kcube::simulate(profile, kCell, d, histogram(options(5000, 2)));
  const auto largest = check_against_exact(exact, approx, kAllLevels);
  for (std::size_t m = 0; m < 3; ++m) {
    CHECK(approx.quantile_resolution[m] == 0.0);
    CHECK(largest[m] == 0.0);
  }
}

TEST_CASE("values beyond the pilot's range widen the bins, on both sides, in one pass") {
  // The first 3,000 trials are narrow, so each column's bins are laid over a narrow range
  // (cost at k = 1 5..5.1: bins of 0.15 / 4096); trials 3,000 to 19,999 spread on both sides
  // (cost at k = 1 from 0 to 10, at k = 4 from 0 to 40).
  const std::int64_t trials = 20000;
  const TrialIndex index(trials);
  const PhasedProfile profile(index, 3000, 0.0);
  const auto d = grid_to(4);
  const SimulationResult exact = kcube::simulate(profile, kCell, d, options(trials, 2));
  const SimulationResult one = kcube::simulate(profile, kCell, d, histogram(options(trials, 1)));
  const SimulationResult two = kcube::simulate(profile, kCell, d, histogram(options(trials, 2)));
  CHECK(identical(one.table, two.table));
  check_against_exact(exact, two, kAllLevels);
  // The cost bins widened from the pilot's 0.15 USD (at k = 1) to most of the wide trials'
  // range: at k = 1 17,000 costs uniform on 0..10, of which fewer than 2,048 may stay outside
  // (at least 8.8 USD covered); at k = 4 the range is 0..40, and doubling overshoots at most 4
  // times on either side.
  CHECK(two.quantile_resolution[0] >= 8.8 / kcube::kHistogramBins);
  CHECK(two.quantile_resolution[0] <= 8 * 40.0 / kcube::kHistogramBins);
}

TEST_CASE("a few values beyond the bins are kept: quantiles among them are exact") {
  // 150 wide trials at the end, fewer than a column keeps: the bins stay narrow and the 99.5 %
  // quantile (order statistics 14,924 and 14,925 of 15,000) lies among the wide trials' costs
  // (6 to 16 USD per sample, above every narrow trial's 5 to 5.1).
  const std::int64_t trials = 15000;
  const TrialIndex index(trials);
  const PhasedProfile profile(index, trials - 150, 6.0);
  const auto d = grid_to(4);
  const SimulationResult exact = kcube::simulate(profile, kCell, d, options(trials, 2));
  const SimulationResult approx = kcube::simulate(profile, kCell, d, histogram(options(trials, 2)));
  check_against_exact(exact, approx, kAllLevels);
  // Never widened: at most the bins of k = 4's narrow cost range 20..20.4.
  CHECK(approx.quantile_resolution[0] < 1.0 / kcube::kHistogramBins);
  const std::string p995 = kcube::quantile_column("cost", 0.995);
  for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
    CAPTURE(i);
    CHECK(exact.table.column(p995)->at(i) > 5.1 * exact.table.rows[i].k);
    CHECK(approx.table.column(p995)->at(i) == exact.table.column(p995)->at(i));
  }
}

TEST_CASE("histogram path: the first failing trial is reported and a stop ends it") {
  const std::int64_t trials = 6000;
  const TrialIndex index(trials);
  const auto d = grid_to(4);
  // Chunks of 93 trials (chunk 22 has trial 2100, chunk 43 trial 4000), 65 of them; blocks of
  // one chunk, or of 64 (93 trials x 12 values x 8 bytes = 8,928 bytes a chunk) so that both
  // failures are in one block and a second thread may reach trial 4000 first.
  const ThrowsAtTrials profile(index, {4000, 2100});
  for (std::size_t block_bytes : {std::size_t{1}, std::size_t{64 * 8928}}) {
    for (int threads : {1, 2}) {
      CAPTURE(block_bytes);
      CAPTURE(threads);
      SimulationOptions o = options(trials, threads);
      o.exact_quantile_bytes = block_bytes;
      CHECK_THROWS_WITH_AS(kcube::simulate(profile, kCell, d, o),
                           doctest::Contains("trial 2100 fails on purpose"), kcube::RuntimeFailure);
    }
  }
  const ThrowsAtTrials fine(index, {});
  std::atomic<bool> stop{true};
  SimulationOptions o = histogram(options(trials, 2));
  o.stop = &stop;
  CHECK_THROWS_WITH_AS(kcube::simulate(fine, kCell, d, o), doctest::Contains("stopped"),
                       kcube::RuntimeFailure);
  stop = false;
  CHECK(kcube::simulate(fine, kCell, d, o).table.rows.size() == 4);
}

TEST_CASE("values too spread for bins fail the cell as too large, without a crash or a hang") {
  // 3,000 costs up to DBL_MAX / 2: the pilot's span times 1.5 overflows, so no bins can be laid;
  // the column saturates, and the sum of the costs overflows: the statistics check says so.
  const HugeCostProfile profile;
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, kCell, grid_to(1), histogram(options(3000, 2))),
                       doctest::Contains("the simulated mean cost at k = 1 is inf"),
                       kcube::RuntimeFailure);
}

TEST_CASE("histogram path, independent sampling: within one bin, bit-identical across threads") {
  const kcube::test::UniformProfile profile;
  const auto d = grid_to(12, 4);
  SimulationOptions o = options(7000, 1);
  o.sampling = kcube::Sampling::independent;
  const SimulationResult exact = kcube::simulate(profile, kCell, d, o);
  const SimulationResult one = kcube::simulate(profile, kCell, d, histogram(o));
  o.threads = 2;
  const SimulationResult two = kcube::simulate(profile, kCell, d, histogram(o));
  CHECK(identical(one.table, two.table));
  check_against_exact(exact, two, kAllLevels);
}

TEST_CASE("the histogram path's memory estimate does not grow with threads beyond small buffers") {
  // k = 1..1024: 3,072 columns, 10^6 trials (the big cell).
  const auto d = grid_to(1024);
  SimulationOptions o = options(1'000'000, 1);
  const std::uint64_t one = kcube::simulation_memory_bytes(d, o);
  o.threads = 2;
  const std::uint64_t two = kcube::simulation_memory_bytes(d, o);
  o.threads = 64;
  const std::uint64_t many = kcube::simulation_memory_bytes(d, o);
  // Per column: 4096 counts of 4 bytes, 2048 kept values of 8 bytes, and the column's part of
  // a block of 8 chunks of 256 trials (8 bytes each, rows padded by a cache line): 48 KiB.
  CHECK(one >= 3072ULL * (4096 * 4 + 2048 * 8 + 2048 * 8));
  CHECK(one < 200ULL << 20);
  // An extra thread: a path of 1,024 outcomes with its prefixes and one trial's values.
  constexpr std::uint64_t path = 1024 * (sizeof(kcube::InferenceOutcome) + 3 * 8 + 4);
  CHECK(two - one == path + 3072 * 8);
  CHECK(many - one == 63 * (path + 3072 * 8));
}
