// The accuracy of RandomStream's normals: SLEEF's log and sincos (the portable functions; the
// vectorized ones give the same bits, test_random_targets.cpp) and whole Box-Muller normals of
// every target, against long double std:: functions. The maxima measured here (log 0.73 ULP, sin
// 0.85, cos 0.87, a normal 2.29 on every target) are quoted in kcube/random.hpp.
#include <doctest/doctest.h>

#include <sleef.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <Random123/philox.h>

#include "kcube/random.hpp"

// sleef.h declares them only for an FMA target (random_portable.cpp says why).
extern "C" {
double Sleef_finz_logd1_u10purecfma(double);
Sleef_double_2 Sleef_finz_sincosd1_u10purecfma(double);
}

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

/// |value - exact| in units of the last place of the double nearest to `exact`.
double ulp_error(double value, long double exact) {
  const double nearest = static_cast<double>(exact);
  const double magnitude = std::fabs(nearest);
  const double ulp = magnitude == 0.0 ? std::numeric_limits<double>::denorm_min()
                                      : std::nextafter(magnitude, INFINITY) - magnitude;
  return static_cast<double>(std::fabs(static_cast<long double>(value) - exact) /
                             static_cast<long double>(ulp));
}

/// The uniforms of the test: 10^6 from a RandomStream (fixed seed) plus the extremes of
/// uniform_of_bits: the smallest and largest it can make, and powers of two in between.
std::vector<double> test_uniforms() {
  std::vector<double> u;
  kcube::RandomStream stream(2026, 18, 0);
  for (int i = 0; i < 1'000'000; ++i)
    u.push_back(stream.uniform());
  u.push_back(kcube::uniform_of_bits(0));
  u.push_back(kcube::uniform_of_bits(~0ULL));
  for (int e = 1; e <= 53; ++e)
    u.push_back(std::ldexp(1.0, -e));
  return u;
}

}  // namespace

TEST_CASE(
    "random: SLEEF log and sincos within 1 ULP of long double on the unit interval and one turn") {
  double log_max = 0.0, sin_max = 0.0, cos_max = 0.0;
  for (const double u : test_uniforms()) {
    log_max = std::max(
        log_max, ulp_error(Sleef_finz_logd1_u10purecfma(u), std::log(static_cast<long double>(u))));
    const double theta = kTwoPi * u;
    const Sleef_double_2 sin_cos = Sleef_finz_sincosd1_u10purecfma(theta);
    sin_max = std::max(sin_max, ulp_error(sin_cos.x, std::sin(static_cast<long double>(theta))));
    cos_max = std::max(cos_max, ulp_error(sin_cos.y, std::cos(static_cast<long double>(theta))));
  }
  MESSAGE("max ULP error: log " << log_max << ", sin " << sin_max << ", cos " << cos_max);
  // SLEEF's documented bound for the u10 functions (long double's own error is 2^-11 ULP of a
  // double, negligible here).
  CHECK(log_max <= 1.0);
  CHECK(sin_max <= 1.0);
  CHECK(cos_max <= 1.0);
}

TEST_CASE("random: every target gives Box-Muller of the stream uniforms within 4 ULP") {
  // The definition (kcube/random.hpp), recomputed in long double from the Philox words: normal
  // 4b + 2j + {0, 1} = sqrt(-2 ln u1) {cos, sin}(theta), u1, u2 the uniforms of words 2j, 2j + 1 of
  // block b of counter (trial, b, substream, 1), theta = 2 pi u2 rounded to a double as kcube does.
  // Error budget in ULP of the result: log 1 (halved by the sqrt), sqrt 0.5, sin/cos 1, product
  // 0.5, about 2.5; a ULP's width varies twice over a binade, so 4 bounds it.
  constexpr std::uint64_t kSeed = 99, kCell = 5, kTrial = 123, kSubstream = 2;
  constexpr std::size_t kCount = 400'000;
  std::vector<long double> exact(kCount);
  const r123::Philox4x64::key_type key = {{kSeed, kCell}};
  for (std::size_t b = 0; b < kCount / 4; ++b) {
    const r123::Philox4x64::ctr_type words = r123::Philox4x64()({{kTrial, b, kSubstream, 1}}, key);
    for (std::size_t j = 0; j < 2; ++j) {
      const long double u1 = kcube::uniform_of_bits(words[2 * j]);
      const double theta = kTwoPi * kcube::uniform_of_bits(words[2 * j + 1]);
      const long double r = std::sqrt(-2.0L * std::log(u1));
      exact[4 * b + 2 * j] = r * std::cos(static_cast<long double>(theta));
      exact[4 * b + 2 * j + 1] = r * std::sin(static_cast<long double>(theta));
    }
  }
  for (const kcube::SimdTarget target : kcube::supported_simd_targets()) {
    CAPTURE(kcube::to_string(target));
    std::vector<double> normals(kCount);
    kcube::fill_normals(target, kSeed, kCell, kTrial, kSubstream, 0, normals);
    double max_error = 0.0;
    for (std::size_t i = 0; i < kCount; ++i)
      max_error = std::max(max_error, ulp_error(normals[i], exact[i]));
    MESSAGE(kcube::to_string(target) << ": max ULP error of a normal " << max_error);
    CHECK(max_error <= 4.0);
  }
}
