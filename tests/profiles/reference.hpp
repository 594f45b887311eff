// Test support: independent reference numerics for the `gaussian` profile and the exact
// evaluator. Written from the formulas with the C library's erfc and composite Simpson rules,
// sharing no code with the plugin (Boost.Math erfc, Gauss-Kronrod) or exact.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace kcube::test {

/// Phi(x), the standard normal CDF.
inline double ref_normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

/// phi(x), the standard normal density.
inline double ref_normal_pdf(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
}

/// Composite Simpson rule for f on [a, b] with `intervals` (even) subintervals, summed in long
/// double. Its error is about (S(n) - S(n/2)) / 15 (Richardson), which the tests check.
template <class F>
double simpson(const F& f, double a, double b, std::size_t intervals) {
  const double h = (b - a) / static_cast<double>(intervals);
  long double sum = static_cast<long double>(f(a)) + static_cast<long double>(f(b));
  for (std::size_t i = 1; i < intervals; ++i) {
    const double x = a + h * static_cast<double>(i);
    sum += static_cast<long double>((i % 2 == 1 ? 4.0 : 2.0) * f(x));
  }
  return static_cast<double>(sum * static_cast<long double>(h) / 3.0L);
}

/// E[clip(X, a, b)], X ~ N(mu, sigma^2), sigma > 0, by its definition: the atoms a P(X <= a) and
/// b P(X >= b) plus integral_a^b x phi((x - mu) / sigma) / sigma dx, the integral by Simpson over
/// [a, b] cut to mu +- 40 sigma (outside, the density is below 1e-347). Simpson with 2^16
/// intervals over at most 80 sigma resolves the density to h <= 0.0013 sigma: error ~ 1e-14
/// relative.
inline double ref_clipped_mean(double mu, double sigma, double a, double b) {
  const double lo = std::max(a, mu - 40.0 * sigma);
  const double hi = std::min(b, mu + 40.0 * sigma);
  double mean = a * ref_normal_cdf((a - mu) / sigma) + b * ref_normal_cdf((mu - b) / sigma);
  if (lo < hi) {
    mean += simpson([&](double x) { return x * ref_normal_pdf((x - mu) / sigma) / sigma; }, lo, hi,
                    std::size_t{1} << 16);
  }
  return mean;
}

/// E[clip(X, a, b)], X ~ N(mu, sigma^2), sigma > 0, in closed form by another route than the
/// plugin's: clip(X, a, b) = X + (a - X)^+ - (X - b)^+, and E[(c - Z)^+] = h(c) = c Phi(c) +
/// phi(c) for Z standard normal, so E[clip(X, a, b)] = mu + sigma (h(alpha) - h(-beta)).
inline double ref_clipped_mean_closed(double mu, double sigma, double a, double b) {
  const auto h = [](double c) { return c * ref_normal_cdf(c) + ref_normal_pdf(c); };
  return mu + sigma * (h((a - mu) / sigma) - h((mu - b) / sigma));
}

/// E[max of k clipped normals N(m, s^2) clipped to [0, 1]] = integral_0^1 (1 - F(y)^k) dy with
/// F(y) = Phi((y - m) / s) on [0, 1), by Simpson on [lo, hi] with `intervals` subintervals, plus
/// lo (the caller guarantees F^k = 0 in double below lo, and that hi = 1 or F^k = 1 above hi).
/// The integrand is analytic on [0, 1] once y = 1 takes its left limit, so Simpson converges as
/// h^4. F^k is formed as exp(k log1p(-Q)), Q = 1 - F from erfc, so it has no k * 2^-54 floor.
inline double ref_best_of_k(double m, double s, double k, double lo, double hi,
                            std::size_t intervals) {
  const auto tail = [&](double y) {
    const double z = (y - m) / s;
    const double log_f = z > 0.0 ? std::log1p(-0.5 * std::erfc(z / std::numbers::sqrt2))
                                 : std::log(ref_normal_cdf(z));
    return -std::expm1(k * log_f);  // 1 - F^k
  };
  return lo + simpson(tail, lo, hi, intervals);
}

}  // namespace kcube::test
