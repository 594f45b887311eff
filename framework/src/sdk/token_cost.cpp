// The token-length model's expectations (kcube/token_cost.hpp; formulas in the gaussian profile's
// README).
#include "kcube/token_cost.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>

#include "kcube/error.hpp"
#include "kcube/format.hpp"
#include "kcube/quadrature.hpp"

namespace kcube {
namespace {

// No promotion of double to long double inside erfc: the result is as accurate (Boost's double
// rational approximations are accurate to a few ulp) and several times faster.
using FastPolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

/// 1 - Phi(x), accurate in the upper tail.
double normal_sf(double x) {
  return normal_cdf(-x);
}

/// phi(x), the standard normal density.
double normal_pdf(double x) {
  return std::exp(-0.5 * x * x) * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
}

/// E[clip(X, a, b)] for X ~ N(mu, sigma^2), a <= b, in the units of X:
///   a Phi(alpha) + b (1 - Phi(beta)) + mu (Phi(beta) - Phi(alpha))
///     + sigma (phi(alpha) - phi(beta)),   alpha = (a - mu) / sigma, beta = (b - mu) / sigma;
/// clip(mu, a, b) when sigma = 0.
double clipped_normal_mean(double mu, double sigma, double a, double b) {
  if (sigma == 0.0)
    return std::clamp(mu, a, b);
  const double alpha = (a - mu) / sigma;
  const double beta = (b - mu) / sigma;
  // P(a < X < b) from the side of the smaller tail, so neither difference cancels to noise.
  const double inside = alpha >= 0.0  ? normal_sf(alpha) - normal_sf(beta)
                        : beta <= 0.0 ? normal_cdf(beta) - normal_cdf(alpha)
                                      : 1.0 - normal_cdf(alpha) - normal_sf(beta);
  // phi(alpha) - phi(beta) = -phi(alpha) expm1((alpha^2 - beta^2) / 2) when |alpha| <= |beta|
  // (else the mirror form): no cancellation when sigma is huge and alpha, beta are both near 0,
  // and a non-positive exponent, so no overflow when sigma is tiny.
  const double half_gap = 0.5 * (alpha - beta) * (alpha + beta);  // (alpha^2 - beta^2) / 2
  const double pdf_gap = std::abs(alpha) <= std::abs(beta)
                             ? -normal_pdf(alpha) * std::expm1(half_gap)
                             : normal_pdf(beta) * std::expm1(-half_gap);
  return a * normal_cdf(alpha) + b * normal_sf(beta) + mu * inside + sigma * pdf_gap;
}

}  // namespace

double normal_cdf(double x) {
  if (std::isinf(x))
    return x > 0 ? 1.0 : 0.0;
  return 0.5 * boost::math::erfc(-x / std::numbers::sqrt2, FastPolicy());
}

TokenCostModel::TokenCostModel(const Params& params)
    : c_in_(get_real(params, "c_in")),
      c_out_(get_real(params, "c_out")),
      t_in_(get_real(params, "t_in")),
      t_out_(get_real(params, "t_out")),
      mu_in_(get_real(params, "mu_Lin")),
      sigma_in_(get_real(params, "sigma_Lin")),
      mu_out_(get_real(params, "mu_Lout")),
      sigma_out_(get_real(params, "sigma_Lout")) {
  // Every draw is bounded by L_in <= 16 mu_Lin and L_out <= 16 L_in <= 256 mu_Lin; when those
  // bounds overflow, a draw could be +inf, which the schema's finite bounds cannot exclude.
  const double most_in = kCapRatio * mu_in_;
  const double most_out = kCapRatio * most_in;
  const double most_cost = c_in_ * most_in + c_out_ * most_out;
  const double most_latency = t_in_ * most_in + t_out_ * most_out;
  if (!std::isfinite(most_cost) || !std::isfinite(most_latency)) {
    throw Error("the largest possible cost (" + format_number(most_cost) + " USD) or latency (" +
                format_number(most_latency) +
                " s) of one inference overflows: lower mu_Lin or the per-token prices and times");
  }
  const double in_tokens = expected_input_tokens();
  const double out_tokens = expected_output_tokens();
  expected_.input_cost = c_in_ * in_tokens;
  expected_.cost = expected_.input_cost + c_out_ * out_tokens;
  expected_.latency = t_in_ * in_tokens + t_out_ * out_tokens;
}

/// E[L_in] = E[clip(X_in, 1, 16 mu_Lin)], X_in ~ N(mu_Lin, sigma_Lin^2), tokens.
double TokenCostModel::expected_input_tokens() const {
  return clipped_normal_mean(mu_in_, sigma_in_, 1.0, kCapRatio * mu_in_);
}

/// m(l) = E[L_out | L_in = l] = E[clip(X_out, 1, 16 l)], tokens.
double TokenCostModel::conditional_output_tokens(double l_in) const {
  return clipped_normal_mean(mu_out_, sigma_out_, 1.0, kCapRatio * l_in);
}

/// E[L_out] = E[m(L_in)], tokens. L_in has atoms P(L_in = 1) = Phi(alpha) and
/// P(L_in = 16 mu_Lin) = 1 - Phi(beta) and the density phi(z) in z = (l - mu_Lin) / sigma_Lin
/// on (alpha, beta), so
///   E[L_out] = Phi(alpha) m(1) + (1 - Phi(beta)) m(16 mu_Lin)
///              + integral_alpha^beta m(mu_Lin + sigma_Lin z) phi(z) dz.
double TokenCostModel::expected_output_tokens() const {
  const double in_cap = kCapRatio * mu_in_;
  if (sigma_in_ == 0.0)
    return conditional_output_tokens(mu_in_);  // mu_Lin >= 1 is inside [1, 16 mu_Lin]
  if (sigma_out_ == 0.0) {
    // L_out = min(mu_Lout, 16 L_in) (mu_Lout >= 1, 16 L_in >= 16), so with c = mu_Lout / 16,
    // E[L_out] = 16 E[min(c, L_in)] = 16 E[clip(X_in, 1, min(16 mu_Lin, c))] when c >= 1,
    // and mu_Lout when c < 1 (then L_in >= 1 > c always).
    const double c = mu_out_ / kCapRatio;
    return c < 1.0 ? mu_out_
                   : kCapRatio * clipped_normal_mean(mu_in_, sigma_in_, 1.0, std::min(in_cap, c));
  }
  const double alpha = (1.0 - mu_in_) / sigma_in_;
  const double beta = (in_cap - mu_in_) / sigma_in_;
  double total = normal_cdf(alpha) * conditional_output_tokens(1.0) +
                 normal_sf(beta) * conditional_output_tokens(in_cap);

  // Beyond |z| = 38, phi(z) < 1e-314: the density part there is below double's resolution.
  const double lo = std::max(alpha, -38.0);
  const double hi = std::min(beta, 38.0);
  if (!(lo < hi))
    return total;
  // m changes fastest where the cap 16 l crosses mu_Lout, l = mu_Lout / 16, over a width of
  // about sigma_Lout / 16 tokens: split there and around the normal's bulk.
  const double z_cap = (mu_out_ / kCapRatio - mu_in_) / sigma_in_;
  const double z_width = sigma_out_ / kCapRatio / sigma_in_;
  std::vector<double> cuts{lo, hi, 0.0, -2.0, 2.0, -6.0, 6.0, -12.0, 12.0, z_cap};
  for (const double m : {1.0, 4.0, 16.0}) {
    cuts.push_back(z_cap - m * z_width);
    cuts.push_back(z_cap + m * z_width);
  }
  std::erase_if(cuts, [&](double z) { return !(z >= lo && z <= hi); });
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  const auto integrand = [&](double z) {
    return conditional_output_tokens(mu_in_ + sigma_in_ * z) * normal_pdf(z);
  };
  // The panels' estimates |K - G| sum to at most 1e-14 of the integral: 2e-11 tokens for the
  // paper's 2048, a few times double's rounding of the sum itself.
  total += integrate_adaptive(integrand, cuts, {.relative = 1e-14, .max_splits = 2000});
  return total;
}

}  // namespace kcube
