// The `gaussian` model-profile plugin: descriptor, parameters, draws and exact expectations.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/error.hpp"
#include "kcube/random.hpp"
#include "loaded_profile.hpp"
#include "paper_profiles.hpp"
#include "reference.hpp"

namespace {

using namespace kcube::test;
using kcube::InferenceOutcome;
using kcube::ModelProfile;
using kcube::RandomStream;

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Sample mean and its standard error, s / sqrt(n) with s the sample standard deviation.
struct SampleMean {
  double mean = 0.0;
  double se = 0.0;
};

SampleMean sample_mean(const std::vector<double>& values) {
  // Welford's update: no cancellation in the variance.
  double mean = 0.0;
  double m2 = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double delta = values[i] - mean;
    mean += delta / static_cast<double>(i + 1);
    m2 += delta * (values[i] - mean);
  }
  const double n = static_cast<double>(values.size());
  return {mean, std::sqrt(m2 / (n - 1.0) / n)};
}

/// n inferences of one path of `profile`, from RandomStream(seed, 0, trial).
std::vector<InferenceOutcome> draw(const ModelProfile& profile, std::size_t n, std::uint64_t seed,
                                   std::uint64_t trial = 0) {
  RandomStream stream(seed, 0, trial);
  std::vector<InferenceOutcome> path(n);
  profile.draw_path(stream, path);
  return path;
}

/// A profile whose cost is L_in and latency is L_out (c_in = t_out = 1, c_out = t_in = 0), so
/// draws and expectations expose the token counts.
ParamValues token_probe(ParamValues values) {
  values.insert({{"c_in", "1"}, {"c_out", "0"}, {"t_in", "0"}, {"t_out", "1"}});
  values.insert({{"acc_mean", "0.5"}, {"acc_std", "0.1"}});
  return values;
}

struct ExpectedSpec {
  std::string_view key;
  kcube::ParamType type;
  const char* default_value;
  bool required;
  double min, max;
  bool max_exclusive;
  std::string_view unit;
};

TEST_CASE("gaussian exports its identity and parameter schema") {
  const ProfileLibrary library("gaussian");
  const kcube::PluginDescriptor& d = library.descriptor();
  CHECK(std::string_view(d.name) == "gaussian");
  CHECK(std::string_view(d.version) == "1.1.0");
  CHECK(d.thread_safety == kcube::ThreadSafety::shared);
  REQUIRE(d.summary != nullptr);
  CHECK_FALSE(std::string_view(d.summary).empty());
  CHECK(kcube::check_schema(library.schema()).empty());

  using kcube::ParamType;
  const ExpectedSpec expected[] = {
      {"c_in", ParamType::real, nullptr, true, 0, kInf, true, "USD/token"},
      {"c_out", ParamType::real, nullptr, true, 0, kInf, true, "USD/token"},
      {"t_in", ParamType::real, nullptr, true, 0, kInf, true, "s/token"},
      {"t_out", ParamType::real, nullptr, true, 0, kInf, true, "s/token"},
      {"mu_Lin", ParamType::real, "1024", false, 1, kInf, true, "tokens"},
      {"sigma_Lin", ParamType::real, "64", false, 0, kInf, true, "tokens"},
      {"mu_Lout", ParamType::real, "2048", false, 1, kInf, true, "tokens"},
      {"sigma_Lout", ParamType::real, "128", false, 0, kInf, true, "tokens"},
      {"acc_mean", ParamType::real, nullptr, true, 0, 1, false, ""},
      {"acc_std", ParamType::real, nullptr, true, 0, kInf, true, ""},
      {"display_name", ParamType::string, nullptr, false, -kInf, kInf, false, ""},
  };
  REQUIRE(d.param_count == std::size(expected));
  for (std::size_t i = 0; i < d.param_count; ++i) {
    const kcube::ParamSpec& spec = d.params[i];
    const ExpectedSpec& want = expected[i];
    INFO("parameter ", want.key);
    CHECK(std::string_view(spec.key) == want.key);
    CHECK(spec.type == want.type);
    CHECK(spec.required == want.required);
    CHECK((spec.default_value == nullptr) == (want.default_value == nullptr));
    if (spec.default_value != nullptr && want.default_value != nullptr)
      CHECK(std::string_view(spec.default_value) == want.default_value);
    CHECK(spec.min == want.min);
    CHECK(spec.max == want.max);
    CHECK_FALSE(spec.min_exclusive);
    CHECK(spec.max_exclusive == want.max_exclusive);
    CHECK(std::string_view(spec.unit) == want.unit);
    CHECK_FALSE(std::string_view(spec.doc).empty());
  }
}

TEST_CASE("gaussian parameters are checked against the schema") {
  const ProfileLibrary library("gaussian");
  const ParamValues valid = gaussian_params(kPaperProfiles[0]);
  CHECK(library.check(valid).problems.empty());
  // Defaults fill the four token-length parameters (the paper's values).
  const kcube::Params filled = library.check(valid).params;
  CHECK(kcube::get_real(filled, "mu_Lin") == 1024);
  CHECK(kcube::get_real(filled, "sigma_Lin") == 64);
  CHECK(kcube::get_real(filled, "mu_Lout") == 2048);
  CHECK(kcube::get_real(filled, "sigma_Lout") == 128);

  const auto refused = [&](const std::string& key, const std::string& value) {
    ParamValues values = valid;
    values[key] = value;
    const kcube::ParamCheck checked = library.check(values);
    return checked.problems.size() == 1 && checked.problems[0].key == key;
  };
  CHECK(refused("c_in", "-1e-9"));
  CHECK(refused("c_out", "inf"));
  CHECK(refused("t_in", "-0.1"));
  CHECK(refused("t_out", "inf"));
  CHECK(refused("mu_Lin", "0.5"));
  CHECK(refused("sigma_Lin", "inf"));
  CHECK(refused("mu_Lout", "0"));
  CHECK(refused("sigma_Lout", "-1"));
  CHECK(refused("acc_mean", "1.5"));
  CHECK(refused("acc_std", "inf"));

  ParamValues missing = valid;
  missing.erase("acc_std");
  const kcube::ParamCheck checked = library.check(missing);
  REQUIRE(checked.problems.size() == 1);
  CHECK(checked.problems[0].key == "acc_std");

  // Within the schema but beyond double: 256 mu_Lin output tokens at 1 USD overflow.
  ParamValues huge = valid;
  huge["mu_Lin"] = "1e306";
  huge["c_out"] = "1";
  const kcube::ParamCheck huge_checked = library.check(huge);
  REQUIRE(huge_checked.problems.empty());
  CHECK_THROWS_AS(library.descriptor().create(huge_checked.params), kcube::Error);
}

TEST_CASE("gaussian display name defaults to its accuracy parameters") {
  ParamValues values = gaussian_params(kPaperProfiles[0]);
  CHECK(gaussian(values)->display_name() == "gpt5");
  values.erase("display_name");
  CHECK(gaussian(values)->display_name() == "gaussian(acc_mean=0.94, acc_std=0.02)");
}

TEST_CASE("gaussian draws z1 z2 z3 per inference in the documented order") {
  const LoadedProfile profile = gaussian({{"c_in", "0.5"},
                                          {"c_out", "0.25"},
                                          {"t_in", "0.125"},
                                          {"t_out", "2"},
                                          {"mu_Lin", "3"},
                                          {"sigma_Lin", "4"},
                                          {"mu_Lout", "50"},
                                          {"sigma_Lout", "40"},
                                          {"acc_mean", "0.8"},
                                          {"acc_std", "0.3"}});
  const std::vector<InferenceOutcome> path = draw(*profile, 1000, 11);
  RandomStream stream(11, 0, 0);
  for (std::size_t i = 0; i < path.size(); ++i) {
    const double z1 = stream.normal();
    const double z2 = stream.normal();
    const double z3 = stream.normal();
    const double l_in = std::clamp(3.0 + 4.0 * z1, 1.0, 48.0);
    const double l_out = std::clamp(50.0 + 40.0 * z2, 1.0, 16.0 * l_in);
    INFO("inference ", i);
    // Same formula; the tolerance only allows a contracted multiply-add in one of the two.
    CHECK(path[i].cost == doctest::Approx(0.5 * l_in + 0.25 * l_out).epsilon(1e-14));
    CHECK(path[i].latency == doctest::Approx(0.125 * l_in + 2.0 * l_out).epsilon(1e-14));
    CHECK(path[i].accuracy == doctest::Approx(std::clamp(0.8 + 0.3 * z3, 0.0, 1.0)).epsilon(1e-14));
  }
}

TEST_CASE("gaussian paths are reproducible and nested") {
  const LoadedProfile profile = gaussian(gaussian_params(kPaperProfiles[3]));
  const auto same = [](const InferenceOutcome& a, const InferenceOutcome& b) {
    return a.cost == b.cost && a.latency == b.latency && a.accuracy == b.accuracy;
  };
  const std::vector<InferenceOutcome> path = draw(*profile, 100, 7, 3);
  const std::vector<InferenceOutcome> again = draw(*profile, 100, 7, 3);
  CHECK(std::equal(path.begin(), path.end(), again.begin(), same));
  // Prefixes: a path of n (odd or even, so the Box-Muller spare is split either way) is the
  // start of a longer path.
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}}) {
    const std::vector<InferenceOutcome> prefix = draw(*profile, n, 7, 3);
    CHECK(std::equal(prefix.begin(), prefix.end(), path.begin(), same));
  }
  // Another trial is another path.
  const std::vector<InferenceOutcome> other = draw(*profile, 100, 7, 4);
  CHECK(std::mismatch(path.begin(), path.end(), other.begin(), same).first == path.begin());
}

TEST_CASE("gaussian clipping bounds hold under huge spreads") {
  // L_in = clip(10 + 1e4 z1, 1, 160), L_out = clip(50 + 1e5 z2, 1, 16 L_in), A = clip(0.5 + 10 z3):
  // each bound is hit by about half the draws of its side.
  const LoadedProfile profile = gaussian(token_probe({{"mu_Lin", "10"},
                                                      {"sigma_Lin", "1e4"},
                                                      {"mu_Lout", "50"},
                                                      {"sigma_Lout", "1e5"},
                                                      {"acc_mean", "0.5"},
                                                      {"acc_std", "10"}}));
  const std::vector<InferenceOutcome> path = draw(*profile, 20000, 5);
  std::size_t in_low = 0, in_high = 0, out_low = 0, out_cap = 0, acc_low = 0, acc_high = 0;
  bool within = true;
  for (const InferenceOutcome& o : path) {
    const double l_in = o.cost;
    const double l_out = o.latency;
    within = within && l_in >= 1.0 && l_in <= 160.0 && l_out >= 1.0 && l_out <= 16.0 * l_in &&
             o.accuracy >= 0.0 && o.accuracy <= 1.0;
    in_low += l_in == 1.0;
    in_high += l_in == 160.0;
    out_low += l_out == 1.0;
    out_cap += l_out == 16.0 * l_in;
    acc_low += o.accuracy == 0.0;
    acc_high += o.accuracy == 1.0;
  }
  CHECK(within);
  // Every share is about 0.5 (in_high: P(z1 > 0.015) = 0.494); 8000 of 20000 = 0.4 is more
  // than 28 standard errors (sqrt(0.25 / 20000) = 0.0035) below.
  CHECK(in_low > 8000);
  CHECK(in_high > 8000);
  CHECK(out_low > 8000);
  CHECK(out_cap > 8000);
  CHECK(acc_low > 8000);
  CHECK(acc_high > 8000);
}

/// Monte Carlo means of cost, latency and accuracy against the exact expectations.
void check_moments(const ParamValues& values, double acc_mean, double acc_std, std::uint64_t seed) {
  const LoadedProfile profile = gaussian(values);
  constexpr std::size_t n = 200000;
  const std::vector<InferenceOutcome> path = draw(*profile, n, seed);
  std::vector<double> cost(n), latency(n), accuracy(n);
  for (std::size_t i = 0; i < n; ++i) {
    cost[i] = path[i].cost;
    latency[i] = path[i].latency;
    accuracy[i] = path[i].accuracy;
  }
  const SampleMean c = sample_mean(cost);
  const SampleMean t = sample_mean(latency);
  const SampleMean a = sample_mean(accuracy);
  const double exact_accuracy = ref_clipped_mean(acc_mean, acc_std, 0.0, 1.0);
  INFO(profile->display_name(), ": cost ", c.mean, " vs ", profile->expected_cost(), ", latency ",
       t.mean, " vs ", profile->expected_latency(), ", accuracy ", a.mean, " vs ", exact_accuracy);
  // n = 200000 i.i.d. draws: the sample mean's standard error is SE = s / sqrt(n), s the sample
  // standard deviation; 4 SE is exceeded with probability 6e-5 (and the seed is fixed).
  CHECK(std::abs(c.mean - profile->expected_cost()) <= 4.0 * c.se);
  CHECK(std::abs(t.mean - profile->expected_latency()) <= 4.0 * t.se);
  CHECK(std::abs(a.mean - exact_accuracy) <= 4.0 * a.se);
}

TEST_CASE("gaussian Monte Carlo means match its exact expectations") {
  SUBCASE("gpt5") {
    check_moments(gaussian_params(kPaperProfiles[0]), 0.94, 0.02, 101);
  }
  SUBCASE("nvidia-nemotron-nano-9b-v2") {
    check_moments(gaussian_params(kPaperProfiles[5]), 0.91, 0.07, 102);
  }
  SUBCASE("heavily clipped tokens and accuracy") {
    check_moments({{"c_in", "1"},
                   {"c_out", "0.5"},
                   {"t_in", "0.25"},
                   {"t_out", "2"},
                   {"mu_Lin", "2"},
                   {"sigma_Lin", "5"},
                   {"mu_Lout", "40"},
                   {"acc_mean", "0.9"},
                   {"acc_std", "0.2"}},
                  0.9, 0.2, 103);
  }
}

TEST_CASE("gaussian clipped-normal mean agrees with direct numerical integration") {
  // E[L_in] = E[clip(N(mu_Lin, sigma_Lin^2), 1, 16 mu_Lin)] is the expected cost of the probe.
  struct Case {
    double mu, sigma;
  };
  const Case cases[] = {{1024, 64}, {1, 1},    {2, 50},    {3, 1e-3},
                        {1, 1e6},   {40, 300}, {1.5, 0.2}, {1e6, 4e6}};
  for (const Case& c : cases) {
    const LoadedProfile profile =
        gaussian(token_probe({{"mu_Lin", param_text(c.mu)}, {"sigma_Lin", param_text(c.sigma)}}));
    const double reference = ref_clipped_mean(c.mu, c.sigma, 1.0, 16.0 * c.mu);
    INFO("mu_Lin ", c.mu, ", sigma_Lin ", c.sigma, ": ", profile->expected_cost(), " vs ",
         reference);
    // The reference's Simpson error is ~1e-14 relative (reference.hpp); both are sums of terms
    // of size <= 16 mu, so allow 1e-12 relative to that.
    CHECK(std::abs(profile->expected_cost() - reference) <= 1e-12 * 16.0 * c.mu);
  }
  // sigma = 0: no spread, L_in = mu_Lin.
  const LoadedProfile fixed = gaussian(token_probe({{"mu_Lin", "37"}, {"sigma_Lin", "0"}}));
  CHECK(fixed->expected_cost() == 37.0);
}

/// E[L_out] = E[m(L_in)], m(l) = E[clip(N(mu_Lout, sigma_Lout^2), 1, 16 l)]: the atoms of L_in
/// at 1 and 16 mu_Lin plus Simpson over its density on the at most 80 sigma_Lin between (2^14
/// intervals on each side of l = mu_Lout / 16, where m has a kink when sigma_Lout = 0; m from
/// the reference closed form, which takes another route than the plugin's).
double ref_output_tokens(double mu_in, double sigma_in, double mu_out, double sigma_out) {
  const auto m = [&](double l) {
    return sigma_out == 0.0 ? std::clamp(mu_out, 1.0, 16.0 * l)
                            : ref_clipped_mean_closed(mu_out, sigma_out, 1.0, 16.0 * l);
  };
  const auto density_part = [&](double l) {
    return m(l) * ref_normal_pdf((l - mu_in) / sigma_in) / sigma_in;
  };
  const double cap = 16.0 * mu_in;
  const double lo = std::max(1.0, mu_in - 40.0 * sigma_in);
  const double hi = std::min(cap, mu_in + 40.0 * sigma_in);
  const double kink = std::clamp(mu_out / 16.0, lo, hi);
  constexpr std::size_t intervals = std::size_t{1} << 14;
  return ref_normal_cdf((1.0 - mu_in) / sigma_in) * m(1.0) +
         ref_normal_cdf((mu_in - cap) / sigma_in) * m(cap) +
         (lo < kink ? simpson(density_part, lo, kink, intervals) : 0.0) +
         (kink < hi ? simpson(density_part, kink, hi, intervals) : 0.0);
}

/// The probe of E[L_out] with mu_Lin = 2, sigma_Lin = 5, mu_Lout = 40: L_in = 1 for 42% of
/// draws, where L_out is capped at 16 although mu_Lout = 40.
ParamValues cap_binding(const std::string& sigma_out, const std::string& sigma_in = "5") {
  return token_probe(
      {{"mu_Lin", "2"}, {"sigma_Lin", sigma_in}, {"mu_Lout", "40"}, {"sigma_Lout", sigma_out}});
}

TEST_CASE("gaussian E[L_out] follows L_in where the 16 L_in cap binds") {
  // sigma_Lout = 128 (the default) spreads L_out across the cap.
  const LoadedProfile profile = gaussian(cap_binding("128"));
  const double exact = profile->expected_latency();
  const double reference = ref_output_tokens(2, 5, 40, 128);
  // Simpson on 2 x 2^14 intervals of a smooth integrand errs by ~1e-15 tokens (2^12 intervals
  // differ from it by 1e-12, so the h^4 error at 2^14 is 256 times smaller); the plugin targets
  // 1e-14 relative. The check allows 1e-12 relative, 3e-11 tokens.
  CHECK(exact == doctest::Approx(reference).epsilon(1e-12));
  // Without the cap, E[clip(N(40, 128^2), 1, inf)] = 73.9 tokens: the cap matters here.
  const double uncapped = ref_clipped_mean(40, 128, 1, 1e9);
  CHECK(uncapped - exact > 20.0);

  constexpr std::size_t n = 200000;
  const std::vector<InferenceOutcome> path = draw(*profile, n, 202);
  std::vector<double> l_out(n);
  std::size_t capped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    l_out[i] = path[i].latency;
    capped += path[i].latency == 16.0 * path[i].cost;
  }
  // The cap binds in about 46% of draws; 35% is 100 standard errors (0.0011) below.
  CHECK(static_cast<double>(capped) > 0.35 * n);
  const SampleMean mc = sample_mean(l_out);
  // SE = s / sqrt(n) of the sample mean of L_out.
  CHECK(std::abs(mc.mean - exact) <= 4.0 * mc.se);
}

TEST_CASE("gaussian E[L_out] with a tiny sigma_Lout resolves the step of m at mu_Lout / 16") {
  // With sigma = sigma_Lout small, m(l) = E[min(X_out, 16 l)] (the clip at 1 is 39 / sigma
  // standard deviations away) differs from min(mu_Lout, 16 l) by -sigma psi((16 l - mu_Lout) /
  // sigma), psi(d) = phi(d) - |d| (1 - Phi(|d|)), integral of psi = 1/2, only within a few
  // sigma / 16 of l* = mu_Lout / 16 = 2.5. Integrating against L_in's density f(l*) =
  // phi(0.1) / 5: E[L_out](sigma) - E[L_out](0) = -sigma^2 / 32 f(l*) + O(sigma^4).
  const double e0 = gaussian(cap_binding("0"))->expected_latency();
  const double density = ref_normal_pdf((2.5 - 2.0) / 5.0) / 5.0;
  for (const double sigma : {1e-2, 1e-3, 1e-4}) {
    const double e = gaussian(cap_binding(param_text(sigma)))->expected_latency();
    const double predicted = -sigma * sigma / 32.0 * density;  // -2.5e-9 at sigma = 1e-3
    INFO("sigma_Lout ", sigma, ": shift ", e - e0, " vs ", predicted);
    // The O(sigma^4) term is < 1e-12 at sigma = 1e-2; the plugin's quadrature targets 1e-14
    // relative (3e-13 tokens here).
    CHECK(std::abs((e - e0) - predicted) <= 1e-12);
  }
}

TEST_CASE("gaussian E[L_out] with sigma_Lout = 0 or sigma_Lin = 0") {
  // sigma_Lout = 0: the plugin's closed form 16 E[clip(X_in, 1, min(16 mu_Lin, mu_Lout / 16))]
  // against the reference's integral of min(40, 16 l) (split at its kink, so Simpson keeps its
  // h^4 error, ~1e-15 tokens); 1e-12 relative is 3e-11 tokens.
  const LoadedProfile no_out_spread = gaussian(cap_binding("0"));
  CHECK(no_out_spread->expected_latency() ==
        doctest::Approx(ref_output_tokens(2, 5, 40, 0)).epsilon(1e-12));
  // sigma_Lin = 0: L_in = mu_Lin, E[L_out] = m(mu_Lin).
  const LoadedProfile no_in_spread = gaussian(cap_binding("128", "0"));
  CHECK(no_in_spread->expected_latency() ==
        doctest::Approx(ref_clipped_mean(40, 128, 1, 32)).epsilon(1e-12));
}

TEST_CASE("gaussian accuracy CDF and breakpoints follow the clipped normal") {
  const LoadedProfile profile = gaussian(gaussian_params(kPaperProfiles[4]));  // 0.92 +- 0.06
  CHECK(profile->has_exact());
  CHECK(profile->accuracy_cdf(-0.1) == 0.0);
  CHECK(profile->accuracy_cdf(1.0) == 1.0);
  CHECK(profile->accuracy_cdf(2.0) == 1.0);
  for (const double y : {0.0, 0.5, 0.8, 0.92, 0.97, 0.999}) {
    CHECK(profile->accuracy_cdf(y) ==
          doctest::Approx(ref_normal_cdf((y - 0.92) / 0.06)).epsilon(1e-14));
  }
  const std::vector<double> points = profile->accuracy_breakpoints();
  CHECK(std::is_sorted(points.begin(), points.end()));
  CHECK(std::find(points.begin(), points.end(), 0.92) != points.end());
  CHECK(std::find(points.begin(), points.end(), 1.0) != points.end());  // 0.92 + 2 * 0.06 clipped
  CHECK(std::all_of(points.begin(), points.end(), [](double y) { return y >= 0 && y <= 1; }));

  const LoadedProfile step = gaussian({{"c_in", "0"},
                                       {"c_out", "0"},
                                       {"t_in", "0"},
                                       {"t_out", "0"},
                                       {"acc_mean", "0.3"},
                                       {"acc_std", "0"}});
  CHECK(step->accuracy_cdf(std::nextafter(0.3, 0.0)) == 0.0);
  CHECK(step->accuracy_cdf(0.3) == 1.0);
  CHECK(step->accuracy_breakpoints() == std::vector<double>{0.3});
}

}  // namespace
