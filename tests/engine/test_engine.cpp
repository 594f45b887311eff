// The simulation engine: aggregation, determinism, statistics, failures.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "engine/engine.hpp"
#include "kcube/error.hpp"
#include "temp_dir.hpp"
#include "test_profiles.hpp"

using kcube::Deployment;
using kcube::LatencyModel;
using kcube::Sampling;
using kcube::SimulationOptions;

namespace {

using kcube::test::identical;

Deployment deployment(int parallelism, int k_max, int k_step, LatencyModel model) {
  Deployment d;
  d.parallelism = parallelism;
  d.k_max = k_max;
  d.k_step = k_step;
  d.latency_model = model;
  return d;
}

SimulationOptions options(std::int64_t trials, int threads, Sampling sampling = Sampling::nested) {
  SimulationOptions o;
  o.trials = trials;
  o.threads = threads;
  o.sampling = sampling;
  o.seed = 7;
  return o;
}

}  // namespace

TEST_CASE("best-of-k aggregation on a path of known values, mean-wave and max-wave") {
  const kcube::test::CountingProfile profile;
  // Path values 1, 2, 3, ... ; k = 5 with P = 2: cost 1+2+3+4+5 = 15, accuracy 0.05,
  // mean-wave (k/P) mean(t) = 15 / 2 = 7.5, max-wave waves {1,2} {3,4} {5}: 2 + 4 + 5 = 11.
  const auto mean_wave =
      kcube::simulate(profile, 1, deployment(2, 5, 1, LatencyModel::mean_wave), options(4, 1));
  const auto max_wave =
      kcube::simulate(profile, 1, deployment(2, 5, 1, LatencyModel::max_wave), options(4, 1));
  REQUIRE(mean_wave.table.rows.size() == 5);
  CHECK(mean_wave.table.rows[4].k == 5);
  CHECK(mean_wave.table.rows[4].cost == 15.0);
  CHECK(mean_wave.table.rows[4].accuracy == 0.05);
  CHECK(mean_wave.table.rows[4].latency == 7.5);
  CHECK(max_wave.table.rows[4].latency == 11.0);
  // k = 4: mean-wave 10 / 2 = 5; max-wave 2 + 4 = 6. k = 1: 0.5 and 1.
  CHECK(mean_wave.table.rows[3].latency == 5.0);
  CHECK(max_wave.table.rows[3].latency == 6.0);
  CHECK(mean_wave.table.rows[0].latency == 0.5);
  CHECK(max_wave.table.rows[0].latency == 1.0);
  // No randomness: zero spread, quantiles equal the value.
  CHECK(mean_wave.table.column("cost_std")->at(4) == 0.0);
  CHECK(mean_wave.table.column("cost_p975")->at(4) == 15.0);
  CHECK(mean_wave.table.column("trials")->at(0) == 4.0);
}

TEST_CASE("the grid is k_step, 2 k_step, ... and independent sampling aggregates each k alone") {
  const kcube::test::CountingProfile profile;
  const auto d = deployment(4, 10, 4, LatencyModel::max_wave);
  const auto nested = kcube::simulate(profile, 1, d, options(3, 1, Sampling::nested));
  const auto independent = kcube::simulate(profile, 1, d, options(3, 1, Sampling::independent));
  REQUIRE(nested.table.rows.size() == 2);
  CHECK(nested.table.rows[0].k == 4);
  CHECK(nested.table.rows[1].k == 8);
  // Deterministic paths: both schemes agree exactly. k = 8, P = 4: waves {1..4} {5..8}: 4 + 8.
  CHECK(identical(nested.table, independent.table));
  CHECK(nested.table.rows[1].latency == 12.0);
  CHECK(nested.inferences == 3 * 8);
  CHECK(independent.inferences == 3 * (4 + 8));
}

TEST_CASE(
    "P = 1 gives max-wave equal to mean-wave bit for bit, P > 1 max-wave >= mean-wave per trial") {
  const kcube::test::UniformProfile profile;
  const auto run = [&](int p, LatencyModel model) {
    SimulationOptions o = options(2000, 2);
    o.quantile_levels = {0.5};
    return kcube::simulate(profile, 99, deployment(p, 16, 1, model), o).table;
  };
  CHECK(identical(run(1, LatencyModel::mean_wave), run(1, LatencyModel::max_wave)));
  // Same cell id, so both models aggregate the same paths: every trial has max-wave >=
  // mean-wave, hence so do the mean and every quantile. Rounding of the two different sums
  // can differ by a few ulps, hence the relative 1e-12.
  const auto mean_wave = run(4, LatencyModel::mean_wave);
  const auto max_wave = run(4, LatencyModel::max_wave);
  for (std::size_t i = 0; i < mean_wave.rows.size(); ++i) {
    CHECK(max_wave.rows[i].latency >= mean_wave.rows[i].latency * (1 - 1e-12));
    for (const char* q : {"latency_p025", "latency_p50", "latency_p975"}) {
      CHECK(max_wave.column(q)->at(i) >= mean_wave.column(q)->at(i) * (1 - 1e-12));
    }
  }
  // With P = 4 and uniform latencies the slowest of a wave exceeds the wave's mean: at k = 16,
  // E[max-wave] = 4 E[max of 4 uniforms] = 4 * 4/5 = 3.2 against mean-wave 16/4 * 1/2 = 2.
  CHECK(max_wave.rows[15].latency == doctest::Approx(3.2).epsilon(0.02));
  CHECK(mean_wave.rows[15].latency == doctest::Approx(2.0).epsilon(0.02));
}

TEST_CASE("output is bit-identical for 1, 2 and 4 threads") {
  const kcube::test::UniformProfile profile;
  const auto d = deployment(2, 40, 2, LatencyModel::max_wave);
  for (Sampling sampling : {Sampling::nested, Sampling::independent}) {
    for (std::size_t memory : {std::size_t{1} << 30, std::size_t{0}}) {  // exact, histogram
      CAPTURE(static_cast<int>(sampling));
      CAPTURE(memory);
      SimulationOptions o = options(3001, 1, sampling);  // not a multiple of the chunk size
      o.exact_quantile_bytes = memory;
      o.quantile_levels = {0.95, 0.05};
      const auto one = kcube::simulate(profile, 5, d, o);
      o.threads = 2;
      const auto two = kcube::simulate(profile, 5, d, o);
      o.threads = 4;
      const auto four = kcube::simulate(profile, 5, d, o);
      CHECK(identical(one.table, two.table));
      CHECK(identical(one.table, four.table));
      CHECK(one.exact_quantiles == (memory != 0));
    }
  }
}

TEST_CASE("statistics of uniform draws: mean, standard deviation, standard error, quantiles") {
  // Accuracy at k = 1 is one uniform: mean 1/2, sd sqrt(1/12) = 0.288675, p025 = 0.025.
  const kcube::test::UniformProfile profile;
  const std::int64_t n = 40000;
  const auto table =
      kcube::simulate(profile, 3, deployment(1, 1, 1, LatencyModel::mean_wave), options(n, 2))
          .table;
  const double sd = std::sqrt(1.0 / 12.0);
  const double se = sd / std::sqrt(static_cast<double>(n));  // 0.00144
  CHECK(std::abs(table.rows[0].accuracy - 0.5) < 4 * se);
  CHECK(table.column("accuracy_se")->at(0) == doctest::Approx(se).epsilon(0.02));
  // The sample sd of n uniforms has SE about sd / sqrt(2 n) * 0.8 (kurtosis 1.8): < 0.001.
  CHECK(std::abs(table.column("accuracy_std")->at(0) - sd) < 0.004);
  // The 2.5 % quantile of n uniforms has SE sqrt(q (1 - q) / n) = 0.00078.
  CHECK(std::abs(table.column("accuracy_p025")->at(0) - 0.025) < 4 * 0.00078);
  CHECK(std::abs(table.column("accuracy_p975")->at(0) - 0.975) < 4 * 0.00078);
  CHECK(std::abs(table.rows[0].cost - 1.5) < 4 * se);
}

TEST_CASE("histogram quantiles are within one bin of the exact ones and moments agree") {
  const kcube::test::UniformProfile profile;
  const auto d = deployment(4, 64, 4, LatencyModel::max_wave);
  SimulationOptions o = options(5000, 2);
  o.quantile_levels = {0.5, 0.95};
  const auto exact = kcube::simulate(profile, 11, d, o);
  o.exact_quantile_bytes = 0;
  const auto histogram = kcube::simulate(profile, 11, d, o);
  REQUIRE(exact.exact_quantiles);
  REQUIRE_FALSE(histogram.exact_quantiles);
  const char* metrics[] = {"cost", "latency", "accuracy"};
  for (std::size_t m = 0; m < 3; ++m) {
    const double bin = histogram.quantile_resolution[m];
    CHECK(bin > 0.0);
    for (const char* level : {"_p025", "_p50", "_p95", "_p975"}) {
      const std::string name = std::string(metrics[m]) + level;
      for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
        CHECK(std::abs(exact.table.column(name)->at(i) - histogram.table.column(name)->at(i)) <=
              bin);
      }
    }
  }
  for (std::size_t i = 0; i < exact.table.rows.size(); ++i) {
    // The same values summed in the same (trial) order; the standard deviation from shifted
    // one-pass sums, equal to rounding.
    CHECK(histogram.table.rows[i].cost == exact.table.rows[i].cost);
    CHECK(histogram.table.column("latency_std")->at(i) ==
          doctest::Approx(exact.table.column("latency_std")->at(i)).epsilon(1e-9));
  }
  CHECK(histogram.inferences == exact.inferences);  // one pass
}

TEST_CASE("one object per thread gives the same numbers as one shared object") {
  const kcube::test::UniformProfile a, b;
  const kcube::CheckedProfile per_thread[] = {a, b};
  const auto d = deployment(2, 8, 2, LatencyModel::mean_wave);
  const auto shared = kcube::simulate(a, 4, d, options(1000, 2));
  const auto separate = kcube::simulate(per_thread, 4, d, options(1000, 2));
  CHECK(identical(shared.table, separate.table));
}

TEST_CASE("invalid outcomes and exceptions from a profile become one clear failure") {
  const kcube::test::NanProfile nan;
  const kcube::test::ThrowingProfile thrower;
  const auto d = deployment(1, 8, 1, LatencyModel::mean_wave);
  CHECK_THROWS_WITH_AS(kcube::simulate(nan, 1, d, options(1000, 2)),
                       doctest::Contains("model profile 'nan-maker' drew a non-finite value"),
                       kcube::RuntimeFailure);
  CHECK_THROWS_WITH_AS(kcube::simulate(thrower, 1, d, options(1000, 2)),
                       doctest::Contains("draw failed on purpose"), kcube::RuntimeFailure);
}

TEST_CASE("bad options are input errors") {
  const kcube::test::UniformProfile profile;
  const auto d = deployment(1, 8, 1, LatencyModel::mean_wave);
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, d, options(1, 1)),
                       doctest::Contains("at least 2"), kcube::Error);
  SimulationOptions o = options(10, 1);
  o.quantile_levels = {1.5};
  CHECK_THROWS_AS(kcube::simulate(profile, 1, d, o), kcube::Error);
  CHECK_THROWS_AS(
      kcube::simulate(profile, 1, deployment(1, 2, 4, LatencyModel::mean_wave), options(10, 1)),
      kcube::Error);
}

TEST_CASE("seeds and cells change the numbers and the same ones reproduce them") {
  const kcube::test::UniformProfile profile;
  const auto d = deployment(1, 4, 1, LatencyModel::mean_wave);
  const auto base = kcube::simulate(profile, 1, d, options(100, 1)).table;
  CHECK(identical(base, kcube::simulate(profile, 1, d, options(100, 2)).table));
  CHECK_FALSE(identical(base, kcube::simulate(profile, 2, d, options(100, 1)).table));
  SimulationOptions other = options(100, 1);
  other.seed = 8;
  CHECK_FALSE(identical(base, kcube::simulate(profile, 1, d, other).table));
}

TEST_CASE("cell identity counts a path parameter by its file's bytes, not by where it is") {
  // The same log in two checkouts draws the same numbers; another log draws other ones.
  const kcube::test::TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() / name) << text;
    return (dir.path() / name).string();
  };
  const std::string here = write("a.csv", "question,sample,correct\nq1,1,1\n");
  const std::string there = write("b.csv", "question,sample,correct\nq1,1,1\n");
  const std::string other = write("c.csv", "question,sample,correct\nq1,1,0\n");
  const kcube::ParamSpec schema[] = {{.key = "path", .type = kcube::ParamType::path}};
  const auto identity = [&](const std::string& path) {
    kcube::Params p;
    p.put("path", path);
    return kcube::cell_identity("samples", p, deployment(1, 8, 1, LatencyModel::mean_wave), schema);
  };
  CHECK(identity(here) == identity(there));
  CHECK(identity(here) != identity(other));
  // Without the schema the text counts, as for any other parameter.
  kcube::Params p;
  p.put("path", here);
  CHECK(kcube::cell_identity("samples", p, deployment(1, 8, 1, LatencyModel::mean_wave)) !=
        identity(here));
  CHECK_THROWS_WITH_AS(identity((dir.path() / "missing.csv").string()),
                       doctest::Contains("missing.csv"), kcube::Error);
}

TEST_CASE("cell identity depends on the profile and the deployment, not on key order") {
  kcube::Params a, b, c;
  a.put("acc_mean", "0.9");
  a.put("acc_std", "0.05");
  b.put("acc_std", "0.05");
  b.put("acc_mean", "0.9");
  c.put("acc_mean", "0.91");
  c.put("acc_std", "0.05");
  const auto d = deployment(4, 128, 4, LatencyModel::mean_wave);
  CHECK(kcube::cell_identity("gaussian", a, d) == kcube::cell_identity("gaussian", b, d));
  CHECK(kcube::cell_identity("gaussian", a, d) != kcube::cell_identity("gaussian", c, d));
  CHECK(kcube::cell_identity("gaussian", a, d) != kcube::cell_identity("other", a, d));
  CHECK(kcube::cell_identity("gaussian", a, d) !=
        kcube::cell_identity("gaussian", a, deployment(8, 128, 8, LatencyModel::mean_wave)));
}
