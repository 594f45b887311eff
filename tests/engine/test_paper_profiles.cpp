// The engine on the paper's nine profiles: Monte Carlo against exact evaluation, both sampling
// schemes, and the edge cases of the gaussian profile on a deployment.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "paper_profiles.hpp"

namespace {

using kcube::Sampling;

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

kcube::PluginInstance<kcube::ModelProfile> gaussian(const kcube::test::PaperProfile& p,
                                                    const std::string& extra = "") {
  const std::string spec = "gaussian:c_in=" + number(p.c_in) + ",c_out=" + number(p.c_out) +
                           ",t_in=" + number(p.t_in) + ",t_out=" + number(p.t_out) +
                           ",acc_mean=" + number(p.acc_mean) + ",acc_std=" + number(p.acc_std) +
                           extra;
  return kcube::test::builtin_registry().create<kcube::ModelProfile>(kcube::parse_spec(spec));
}

// The paper's `balanced` deployment: P = 4, k = 4, 8, ..., 128, mean-wave.
kcube::Deployment balanced() {
  kcube::Deployment d;
  d.parallelism = 4;
  d.k_max = 128;
  d.k_step = 4;
  return d;
}

kcube::SimulationResult run(const kcube::PluginInstance<kcube::ModelProfile>& profile,
                            const kcube::Deployment& d, Sampling sampling, std::int64_t trials) {
  kcube::SimulationOptions o;
  o.trials = trials;
  o.seed = 20251018;
  o.sampling = sampling;
  const auto cell = kcube::cell_identity("gaussian", profile.params(), d);
  return kcube::simulate(profile.checked(), cell, d, o);
}

// The exact standard deviation of best-of-k accuracy M, from the profile's CDF F. With
// Z = 1 - M >= 0: E[Z] = int_0^1 F(y)^k dy and E[Z^2] = int_0^1 2 (1 - y) F(y)^k dy (Simpson,
// 20000 intervals; a few per cent of precision is plenty for a tolerance). The sample standard
// deviation cannot serve here: at large k almost every trial's best is exactly 1 (the clip), so
// the sample has no spread while the mean still sits 1e-6 below 1.
double exact_best_of_k_sd(const kcube::CheckedProfile& profile, int k) {
  const auto integrate = [&](auto weight) {
    const int n = 20000;
    const double h = 1.0 / n;
    double sum = 0.0;
    for (int i = 0; i <= n; ++i) {
      // F jumps at 1 (the clip's atom); the integrals need F(1-), not F(1) = 1.
      const double y = std::min(i * h, std::nextafter(1.0, 0.0));
      const double f = std::pow(profile.accuracy_cdf(y), k) * weight(i * h);
      sum += f * (i == 0 || i == n ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0));
    }
    return sum * h / 3.0;
  };
  const double mean_z = integrate([](double) { return 1.0; });
  const double mean_z2 = integrate([](double y) { return 2.0 * (1.0 - y); });
  return std::sqrt(std::max(0.0, mean_z2 - mean_z * mean_z));
}

// False-alarm probability of one comparison: that of a two-sided 4-sigma normal band.
constexpr double kFalseAlarm = 6.334e-5;

// A deviation bound for the mean of n i.i.d. values within `range` of their mean with standard
// deviation `sd`, by Bernstein's inequality P(|mean - mu| >= t) <= 2 exp(-n t^2 / (2 sd^2 +
// 2 range t / 3)) set to kFalseAlarm: t = (L range / 3 + sqrt((L range / 3)^2 + 2 n L sd^2)) / n
// with L = ln(2 / kFalseAlarm). Unlike "4 standard errors" it holds for skewed means too: at
// large k best-of-k accuracy is exactly 1 in almost every trial and rarely far below.
double bernstein_tolerance(double sd, double range, double n) {
  const double l = std::log(2.0 / kFalseAlarm);
  const double a = l * range / 3.0;
  return (a + std::sqrt(a * a + 2.0 * n * l * sd * sd)) / n;
}

// Cost and latency are sums of k clipped normals, so their means are normal to a very good
// approximation and each comparison gets the 4-standard-error band. There are 288 rows (nine
// profiles x 32 k) per test, so the expected number outside the band is 0.04 and one is
// allowed; none may leave 5 standard errors (Bonferroni: family-wise false alarm below 1e-3).
// Cost and latency of one row are almost perfectly correlated (both follow the token lengths),
// so a row counts once, by the larger of its two z-scores.
struct ZTally {
  int beyond_4 = 0;
  double largest = 0.0;
  static double z(double deviation, double se) {
    return se > 0.0 ? std::abs(deviation) / se : (deviation == 0.0 ? 0.0 : 1e300);
  }
  void add(double cost_deviation, double cost_se, double latency_deviation, double latency_se) {
    const double worst = std::max(z(cost_deviation, cost_se), z(latency_deviation, latency_se));
    beyond_4 += worst > 4.0 ? 1 : 0;
    largest = std::max(largest, worst);
  }
  void check() const {
    CHECK(beyond_4 <= 1);
    CHECK(largest <= 5.0);
  }
};

// Monte Carlo against exact: cost and latency by the tally above, accuracy by Bernstein with the
// exact standard deviation (range 1: accuracies lie in [0, 1]).
void check_against_exact(const kcube::CandidateTable& mc, const kcube::CandidateTable& exact,
                         const kcube::CheckedProfile& profile, ZTally& tally) {
  REQUIRE(mc.rows.size() == exact.rows.size());
  const double n = mc.column("trials")->at(0);
  for (std::size_t i = 0; i < mc.rows.size(); ++i) {
    CAPTURE(mc.rows[i].k);
    tally.add(mc.rows[i].cost - exact.rows[i].cost, mc.column("cost_se")->at(i),
              mc.rows[i].latency - exact.rows[i].latency, mc.column("latency_se")->at(i));
    const double sd = exact_best_of_k_sd(profile, mc.rows[i].k);
    CHECK(std::abs(mc.rows[i].accuracy - exact.rows[i].accuracy) <=
          bernstein_tolerance(sd, 1.0, n));
  }
}

}  // namespace

TEST_CASE("nested Monte Carlo is within 4 SE of exact for the nine profiles at every k" *
          doctest::test_suite("slow")) {
  ZTally tally;
  for (const auto& p : kcube::test::kPaperProfiles) {
    CAPTURE(std::string(p.name));
    const auto profile = gaussian(p);
    const auto exact = kcube::exact_candidates(profile.checked(), balanced());
    check_against_exact(run(profile, balanced(), Sampling::nested, 20000).table, exact,
                        profile.checked(), tally);
  }
  tally.check();
}

TEST_CASE("independent Monte Carlo is within 4 SE of exact for the nine profiles at every k" *
          doctest::test_suite("slow")) {
  ZTally tally;
  for (const auto& p : kcube::test::kPaperProfiles) {
    CAPTURE(std::string(p.name));
    const auto profile = gaussian(p);
    const auto exact = kcube::exact_candidates(profile.checked(), balanced());
    check_against_exact(run(profile, balanced(), Sampling::independent, 4000).table, exact,
                        profile.checked(), tally);
  }
  tally.check();
}

TEST_CASE("nested and independent sampling agree statistically" * doctest::test_suite("slow")) {
  // Independent runs of the same cell: the difference of the two means has standard error
  // sqrt(se_a^2 + se_b^2) for cost and latency (ZTally); for accuracy the difference of two
  // means of n values each is bounded by Bernstein with sd sqrt(2) sd_M and range 2.
  ZTally tally;
  const double n = 4000;
  for (const auto& p : kcube::test::kPaperProfiles) {
    CAPTURE(std::string(p.name));
    const auto profile = gaussian(p);
    const auto a = run(profile, balanced(), Sampling::nested, 4000).table;
    const auto b = run(profile, balanced(), Sampling::independent, 4000).table;
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
      CAPTURE(a.rows[i].k);
      tally.add(a.rows[i].cost - b.rows[i].cost,
                std::hypot(a.column("cost_se")->at(i), b.column("cost_se")->at(i)),
                a.rows[i].latency - b.rows[i].latency,
                std::hypot(a.column("latency_se")->at(i), b.column("latency_se")->at(i)));
      const double sd = exact_best_of_k_sd(profile.checked(), a.rows[i].k);
      CHECK(std::abs(a.rows[i].accuracy - b.rows[i].accuracy) <=
            bernstein_tolerance(std::sqrt(2.0) * sd, 2.0, n));
    }
  }
  tally.check();
}

TEST_CASE("the 2.5 % and 97.5 % quantiles bracket the mean and the spread is positive") {
  const auto profile = gaussian(kcube::test::kPaperProfiles[0]);
  const auto table = run(profile, balanced(), Sampling::nested, 2000).table;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    CHECK(table.column("cost_p025")->at(i) < table.rows[i].cost);
    CHECK(table.rows[i].cost < table.column("cost_p975")->at(i));
    CHECK(table.column("latency_std")->at(i) > 0.0);
    CHECK(table.column("accuracy_p975")->at(i) <= 1.0);
  }
}

TEST_CASE("edge cases: zero sigmas, P above k_max, k_max = 1") {
  const auto& gpt5 = kcube::test::kPaperProfiles[0];
  SUBCASE("all sigmas 0: every trial is the same; Monte Carlo equals exact") {
    auto flat = gpt5;
    flat.acc_std = 0.0;
    const auto profile = gaussian(flat, ",sigma_Lin=0,sigma_Lout=0");
    const auto mc = run(profile, balanced(), Sampling::nested, 10).table;
    const auto exact = kcube::exact_candidates(profile.checked(), balanced());
    // cost(k) = k (1024 c_in + 2048 c_out) = k * 0.02176 USD; accuracy 0.94 at every k.
    for (std::size_t i = 0; i < mc.rows.size(); ++i) {
      const double k = mc.rows[i].k;
      CHECK(mc.rows[i].cost == doctest::Approx(k * 0.02176).epsilon(1e-12));
      CHECK(exact.rows[i].cost == doctest::Approx(k * 0.02176).epsilon(1e-12));
      CHECK(mc.rows[i].accuracy == doctest::Approx(0.94).epsilon(1e-15));  // sum / n rounding
      CHECK(exact.rows[i].accuracy == doctest::Approx(0.94).epsilon(1e-12));
      CHECK(mc.column("cost_std")->at(i) <= 1e-15 * mc.rows[i].cost);
    }
  }
  SUBCASE("P larger than k_max: all k run in one wave, mean-wave latency k E[t] / P") {
    kcube::Deployment d;
    d.parallelism = 16;
    d.k_max = 8;
    d.k_step = 1;
    const auto profile = gaussian(gpt5, ",sigma_Lin=0,sigma_Lout=0");
    const auto table = run(profile, d, Sampling::nested, 10).table;
    // t = 1024 * 0.0005 + 2048 * 0.005 = 10.752 s per inference; k = 8: 8 * 10.752 / 16.
    CHECK(table.rows.back().latency == doctest::Approx(8 * 10.752 / 16).epsilon(1e-12));
    d.latency_model = kcube::LatencyModel::max_wave;  // one partial wave: the slowest, 10.752
    CHECK(run(profile, d, Sampling::nested, 10).table.rows.back().latency ==
          doctest::Approx(10.752).epsilon(1e-12));
  }
  SUBCASE("k_max = 1: one row, best-of-1 is the clipped mean") {
    kcube::Deployment d;
    d.k_max = 1;
    const auto profile = gaussian(gpt5);
    const auto mc = run(profile, d, Sampling::nested, 20000).table;
    const auto exact = kcube::exact_candidates(profile.checked(), d);
    REQUIRE(mc.rows.size() == 1);
    ZTally tally;
    check_against_exact(mc, exact, profile.checked(), tally);
    CHECK(tally.beyond_4 == 0);
  }
  SUBCASE("acc_mean outside [0, 1] and negative sigmas are refused by the schema") {
    CHECK_THROWS_AS(gaussian({"x", 1e-6, 1e-6, 1e-3, 1e-3, 1.2, 0.1}), kcube::Error);
    CHECK_THROWS_AS(gaussian(gpt5, ",sigma_Lin=-1"), kcube::Error);
  }
  SUBCASE("max-wave has no exact evaluation: a clear error suggesting Monte Carlo") {
    kcube::Deployment d = balanced();
    d.latency_model = kcube::LatencyModel::max_wave;
    CHECK_THROWS_WITH_AS(kcube::exact_candidates(gaussian(gpt5).checked(), d),
                         doctest::Contains("Monte Carlo"), kcube::Error);
  }
}
