// The exact evaluator: E[best-of-k] = integral_0^1 (1 - F(y)^k) dy and the exact candidate table.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "engine/exact.hpp"
#include "kcube/error.hpp"
#include "kcube/scenario.hpp"
#include "loaded_profile.hpp"
#include "paper_profiles.hpp"
#include "reference.hpp"
#include "toy_profiles.hpp"

namespace {

using namespace kcube::test;
using kcube::expected_best_of_k;

/// The evaluator's documented bound on its absolute error (exact.cpp), for k <= 18000.
constexpr double kBound = 1e-12;

/// A `gaussian` profile with zero cost and latency and the given accuracy.
LoadedProfile accuracy_only(double acc_mean, double acc_std) {
  return gaussian({{"c_in", "0"},
                   {"c_out", "0"},
                   {"t_in", "0"},
                   {"t_out", "0"},
                   {"acc_mean", param_text(acc_mean)},
                   {"acc_std", param_text(acc_std)}});
}

TEST_CASE("best-of-1 is the clipped mean of accuracy") {
  struct Case {
    double mean, std;
  };
  // Paper-like, clipped hard at 1, clipped hard at 0, and wider than [0, 1].
  for (const Case c : {Case{0.94, 0.02}, Case{0.95, 0.3}, Case{0.02, 0.1}, Case{0.5, 3.0}}) {
    const LoadedProfile profile = accuracy_only(c.mean, c.std);
    INFO("acc_mean ", c.mean, ", acc_std ", c.std);
    // The reference (Simpson, ~1e-14 relative) and the evaluator (< 1e-12) differ by < 1e-12.
    CHECK(std::abs(expected_best_of_k(*profile, 1) - ref_clipped_mean(c.mean, c.std, 0, 1)) <=
          kBound);
  }
}

TEST_CASE("a degenerate accuracy gives clip(acc_mean) for every k") {
  for (const double mean : {0.0, 0.3, 0.875, 1.0}) {
    const LoadedProfile profile = accuracy_only(mean, 0.0);
    for (const int k : {1, 2, 7, 1024, 1000000}) {
      INFO("acc_mean ", mean, ", k ", k);
      CHECK(std::abs(expected_best_of_k(*profile, k) - mean) <= kBound);
    }
  }
}

TEST_CASE("best-of-k of a uniform accuracy is k over k + 1") {
  const UniformAccuracy uniform;
  double worst = 0.0;
  for (int k = 1; k <= 1000; ++k) {
    const double exact = static_cast<double>(k) / static_cast<double>(k + 1);
    worst = std::max(worst, std::abs(expected_best_of_k(uniform, k) - exact));
  }
  INFO("largest error over k = 1..1000: ", worst);
  CHECK(worst <= kBound);
  // F(y) = y is exact in double, so even k = 10^6 has no rounding floor.
  for (const int k : {4096, 65536, 1000000}) {
    const double exact = static_cast<double>(k) / static_cast<double>(k + 1);
    CHECK(std::abs(expected_best_of_k(uniform, k) - exact) <= kBound);
  }
}

TEST_CASE("best-of-k of a point mass is its location with or without a breakpoint") {
  for (const bool hint : {true, false}) {
    for (const double at : {0.0, 0.37, 0.999, 1.0}) {
      const PointMassAccuracy point(at, hint);
      for (const int k : {1, 3, 1000, 1000000}) {
        INFO("at ", at, ", hint ", hint, ", k ", k);
        CHECK(std::abs(expected_best_of_k(point, k) - at) <= kBound);
      }
    }
  }
}

TEST_CASE("best-of-k is non-decreasing in k and at most 1") {
  for (const PaperProfile& paper : kPaperProfiles) {
    const LoadedProfile profile = gaussian(gaussian_params(paper));
    double previous = 0.0;
    bool monotone = true;
    bool bounded = true;
    for (int k = 1; k <= 1024; ++k) {
      const double value = expected_best_of_k(*profile, k);
      // E[max of k+1] >= E[max of k]; two evaluations each within kBound.
      monotone = monotone && value >= previous - 2.0 * kBound;
      bounded = bounded && value <= 1.0;
      previous = value;
    }
    INFO(std::string(paper.name));
    CHECK(monotone);
    CHECK(bounded);
    // Best-of-k gains: E[max of 1024] closes most of the gap between the mean and 1 (so a
    // constant would not pass).
    const double single = expected_best_of_k(*profile, 1);
    CHECK(previous > single + 0.9 * (1.0 - single));
  }
}

TEST_CASE("best-of-k matches a brute-force integral for the nine paper profiles" *
          doctest::test_suite("slow")) {
  for (const PaperProfile& paper : kPaperProfiles) {
    const LoadedProfile profile = gaussian(gaussian_params(paper));
    for (const int k : {1, 2, 3, 4, 8, 16, 64, 128, 256, 1024}) {
      const double kd = static_cast<double>(k);
      // Simpson over [0, 1] with 2^16 and 2^17 intervals; Richardson: the finer one errs by
      // about their difference / 15.
      const double coarse = ref_best_of_k(paper.acc_mean, paper.acc_std, kd, 0, 1, 1 << 16);
      const double fine = ref_best_of_k(paper.acc_mean, paper.acc_std, kd, 0, 1, 1 << 17);
      const double reference_error = std::abs(fine - coarse) / 15.0;
      const double exact = expected_best_of_k(*profile, k);
      INFO(std::string(paper.name), ", k ", k, ": ", exact, " vs ", fine, " (reference error ",
           reference_error, ")");
      REQUIRE(reference_error <= 1e-13);
      CHECK(std::abs(exact - fine) <= kBound + reference_error);
    }
  }
}

TEST_CASE("best-of-k stays accurate for a narrow accuracy up to k = 10^6") {
  // acc_std = 1e-4: the front of 1 - F^k is ~2e-5 wide. The reference integrates m +- 40 s
  // (below, F^k = 0 in double; above, F = 1) with 2^16 Simpson intervals: h = 6e-8, over 300
  // points per front width.
  for (const double mean : {0.5, 0.9999}) {
    const double s = 1e-4;
    const LoadedProfile profile = accuracy_only(mean, s);
    const double lo = mean - 40.0 * s;
    const double hi = std::min(1.0, mean + 40.0 * s);
    for (const int k : {1, 10, 1000, 100000, 1000000}) {
      const double kd = static_cast<double>(k);
      const double coarse = ref_best_of_k(mean, s, kd, lo, hi, 1 << 15);
      const double fine = ref_best_of_k(mean, s, kd, lo, hi, 1 << 16);
      const double reference_error = std::abs(fine - coarse) / 15.0;
      // F rounded to double near 1 limits the evaluator to k 2^-54 times the width where
      // 0 < F^k < 1 in double (~4 s here, exact.cpp): 2e-15 at k = 10^6.
      const double floor = kd * 0x1.0p-54 * 4.0 * s;
      const double exact = expected_best_of_k(*profile, k);
      INFO("acc_mean ", mean, ", k ", k, ": ", exact, " vs ", fine, " (reference error ",
           reference_error, ")");
      REQUIRE(reference_error <= 1e-13);
      CHECK(std::abs(exact - fine) <= kBound + floor + reference_error);
    }
  }
}

TEST_CASE("best-of-k of a wide accuracy up to k = 10^6 stays within the rounding floor") {
  // acc = 0.5 +- 0.05: at k = 10^6 the front sits at z = 4.9, and 0 < F^k < 1 in double up to
  // z = 8.3, about 4 acc_std: the floor k 2^-54 * 4 * 0.05 is 1.1e-11 there (exact.cpp). (The
  // paper's profiles reach E = 1 exactly long before k = 10^6: F(1-)^k underflows.)
  const double mean = 0.5;
  const double s = 0.05;
  const LoadedProfile profile = accuracy_only(mean, s);
  for (const int k : {16384, 1000000}) {
    const double kd = static_cast<double>(k);
    const double coarse = ref_best_of_k(mean, s, kd, 0, 1, 1 << 16);
    const double fine = ref_best_of_k(mean, s, kd, 0, 1, 1 << 17);
    const double reference_error = std::abs(fine - coarse) / 15.0;
    const double floor = kd * 0x1.0p-54 * 4.0 * s;
    const double exact = expected_best_of_k(*profile, k);
    INFO("k ", k, ": ", exact, " vs ", fine, " (reference error ", reference_error, ")");
    REQUIRE(reference_error <= 1e-13);
    CHECK(std::abs(exact - fine) <= kBound + floor + reference_error);
  }
}

TEST_CASE("exact candidates follow the k grid linearly") {
  const LoadedProfile profile = gaussian(gaussian_params(kPaperProfiles[1]));
  kcube::Deployment deployment;
  deployment.parallelism = 4;
  deployment.k_max = 66;
  deployment.k_step = 4;
  const kcube::CandidateTable table = kcube::exact_candidates(*profile, deployment);
  CHECK(table.columns.empty());
  REQUIRE(table.rows.size() == 16);  // 4, 8, ..., 64
  const double cost = profile->expected_cost();
  const double latency = profile->expected_latency();
  // E[c] of gpt5-mini: 2.5e-7 E[L_in] + 2e-6 E[L_out], E[L_in] = 1024 and E[L_out] = 2048 up
  // to clipping far in the tails.
  CHECK(cost == doctest::Approx(2.5e-7 * 1024 + 2e-6 * 2048).epsilon(1e-12));
  CHECK(latency == doctest::Approx(0.00025 * 1024 + 0.002 * 2048).epsilon(1e-12));
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const kcube::Candidate& row = table.rows[i];
    const int k = 4 * static_cast<int>(i + 1);
    INFO("row ", i);
    CHECK(row.k == k);
    CHECK(row.cost == doctest::Approx(k * cost).epsilon(1e-15));
    CHECK(row.latency == doctest::Approx(k / 4.0 * latency).epsilon(1e-15));
    CHECK(row.accuracy == expected_best_of_k(*profile, k));
  }
}

TEST_CASE("exact candidates refuse the max-wave latency model") {
  const LoadedProfile profile = gaussian(gaussian_params(kPaperProfiles[0]));
  kcube::Deployment deployment;
  deployment.latency_model = kcube::LatencyModel::max_wave;
  CHECK_THROWS_WITH_AS(kcube::exact_candidates(*profile, deployment),
                       doctest::Contains("max-wave latency model"), kcube::Error);
}

TEST_CASE("exact evaluation refuses a profile without it") {
  const SimulationOnly profile;
  CHECK_THROWS_WITH_AS(kcube::exact_candidates(profile, kcube::Deployment{}),
                       "model profile 'simulation-only' has no exact evaluation; use the Monte "
                       "Carlo evaluator (evaluator: monte-carlo)",
                       kcube::Error);
  CHECK_THROWS_AS(expected_best_of_k(profile, 4), kcube::Error);
}

TEST_CASE("exact candidates reject invalid outputs of a profile") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const kcube::Deployment deployment;
  const auto fails = [&](const BrokenExact& profile, const char* what) {
    CHECK_THROWS_WITH_AS(kcube::exact_candidates(profile, deployment), doctest::Contains(what),
                         kcube::RuntimeFailure);
  };
  fails(BrokenExact(nan, 1, 1), "'broken-exact' returned expected_cost() = nan");
  fails(BrokenExact(inf, 1, 1), "'broken-exact' returned expected_cost() = inf");
  fails(BrokenExact(1, -1, 1), "'broken-exact' returned expected_latency() = -1");
  fails(BrokenExact(1, 1, 1.5), "'broken-exact' returned accuracy_cdf(");
  fails(BrokenExact(1, 1, 0.5), "'broken-exact' returned accuracy_cdf(1) = 0.5");
  // The same profile with valid outputs passes: the failures above are the outputs' doing.
  CHECK(kcube::exact_candidates(BrokenExact(1, 1, 1), deployment).rows.size() == 128);
}

}  // namespace
