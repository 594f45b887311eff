// Verifier-best under the difficulty model (kcube/difficulty.hpp): the probability that the
// highest-scored of k samples is correct, scores N(sc, 1) for correct samples and N(sw, 1) for
// wrong ones. Given p, the best sample is a correct one scoring s while the k - 1 others score
// below s:
//
//   V(p, k) = k integral p phi(s - sc) F_p(s)^(k-1) ds,  F_p(s) = p A(s) + (1 - p) B(s),
//   A(s) = Phi(s - sc), B(s) = Phi(s - sw).
//
// two-point: the mixture of V at p_easy and p_hard. beta: expanding F_p^(k-1) binomially,
//   E[p F_p(s)^(k-1)] = sum_j C(k-1, j) B(a + j + 1, b + k - 1 - j) / B(a, b) A^j B^(k-1-j)
//                     = E[p] sum_j c_j A^j B^(k-1-j),
// with c_j the beta-binomial probabilities of j of k - 1 under Beta(a + 1, b) (a finite sum of
// positive terms, a polynomial in A / B <= 1 or B / A <= 1), so only the integral
// over s is numerical; the p_zero atom contributes 0. The integrals are adaptive Gauss-Kronrod
// over [sc - 40, sc + 40] (outside, k phi(s - sc) is below the smallest double) to a relative
// tolerance of 1e-12.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "kcube/difficulty.hpp"
#include "kcube/quadrature.hpp"
#include "sdk/difficulty_internal.hpp"
#include "util/text.hpp"

namespace kcube::difficulty {

namespace {

constexpr double kRelativeTolerance = 1e-12;
constexpr double kReach = 40.0;  // phi(40) ~ 1e-348: nothing of the integrand lies beyond

double normal_density(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
}

// Phi(z) and log Phi(z), accurate in both tails.
double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}
double log_normal_cdf(double z) {
  if (z < 0.0)
    return std::log(normal_cdf(z));
  return std::log1p(-0.5 * std::erfc(z / std::numbers::sqrt2));  // Phi(z) = 1 - Phi(-z)
}
double normal_upper_tail(double z) {
  return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

template <class F>
double integrate_scores(const F& integrand, double score_correct) {
  const double c = score_correct;
  const std::array<double, 9> cuts{c - kReach, c - 8.0, c - 4.0, c - 2.0,   c,
                                   c + 2.0,    c + 4.0, c + 8.0, c + kReach};
  return integrate_adaptive(integrand, cuts, QuadratureTolerance{0.0, kRelativeTolerance});
}

// V(p, k) for one p.
double verifier_best_at(double p, const Scores& scores, int k) {
  if (p <= 0.0)
    return 0.0;
  if (p >= 1.0)
    return 1.0;  // every sample is correct
  if (k == 1)
    return p;  // (and F_p^0 = 1 even where F_p underflows to 0)
  const auto integrand = [&](double s) {
    // log F_p(s), through log1p of the upper tails where F_p is near 1.
    const double upper =
        p * normal_upper_tail(s - scores.correct) + (1.0 - p) * normal_upper_tail(s - scores.wrong);
    const double log_f = upper < 0.5 ? std::log1p(-upper)
                                     : std::log(p * normal_cdf(s - scores.correct) +
                                                (1.0 - p) * normal_cdf(s - scores.wrong));
    return k * p * normal_density(s - scores.correct) * std::exp((k - 1) * log_f);
  };
  return integrate_scores(integrand, scores.correct);
}

// sum_i c[i] x^i for x in [0, 1] and c >= 0 (no cancellation), by Horner's rule in x^4 on four
// interleaved chains: the chains are independent, so they run in parallel on the processor.
double polynomial(const std::vector<double>& c, double x) {
  const std::size_t n = c.size();
  const double x2 = x * x;
  const double x4 = x2 * x2;
  std::array<double, 4> chain{};
  std::size_t i = n;
  // The top n % 4 coefficients first, into the chains they belong to.
  while (i % 4 != 0) {
    --i;
    chain[i % 4] = c[i];
  }
  while (i >= 4) {
    i -= 4;
    chain[0] = chain[0] * x4 + c[i];
    chain[1] = chain[1] * x4 + c[i + 1];
    chain[2] = chain[2] * x4 + c[i + 2];
    chain[3] = chain[3] * x4 + c[i + 3];
  }
  return (chain[0] + x * chain[1]) + x2 * (chain[2] + x * chain[3]);
}

// sum_j c_j A^j B^(k-1-j), j = 0..k-1, for A, B in [0, 1] given as log A and log B: the larger
// of A and B to the power k - 1 (in logs) times a polynomial in their ratio <= 1.
// `ascending` holds c_0..c_{k-1}, `descending` the same reversed.
double mixed_powers(const std::vector<double>& ascending, const std::vector<double>& descending,
                    double log_a, double log_b) {
  const auto terms = ascending.size();
  if (terms == 1)
    return ascending[0];
  if (log_a == -INFINITY && log_b == -INFINITY)
    return 0.0;
  const double power = static_cast<double>(terms - 1);
  if (log_a <= log_b)  // B^(k-1) sum_j c_j (A / B)^j
    return std::exp(power * log_b) * polynomial(ascending, std::exp(log_a - log_b));
  // A^(k-1) sum_j c_j (B / A)^(k-1-j)
  return std::exp(power * log_a) * polynomial(descending, std::exp(log_b - log_a));
}

}  // namespace

void verifier_best(const Distribution& d, const Scores& scores, std::span<const int> ks,
                   std::span<double> out) {
  d.validate();
  detail::check_ks("verifier_best", ks, out);
  if (!std::isfinite(scores.correct) || !std::isfinite(scores.wrong))
    detail::refuse("verifier_best: the scores' means must be finite (score_correct = " +
                   text::format_real(scores.correct) +
                   ", score_wrong = " + text::format_real(scores.wrong) + ")");
  if (ks.empty())
    return;
  if (d.kind == Distribution::Kind::two_point) {
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const double easy = d.easy_share > 0.0 ? verifier_best_at(d.p_easy, scores, ks[i]) : 0.0;
      const double hard = d.easy_share < 1.0 ? verifier_best_at(d.p_hard, scores, ks[i]) : 0.0;
      // A weighted mean of two probabilities: rounding can push it a few ulps out of [0, 1].
      out[i] = detail::clamp_probability(d.easy_share * easy + (1.0 - d.easy_share) * hard);
    }
    return;
  }
  // c_j: the beta-binomial probabilities of j of k - 1 under Beta(alpha + 1, beta).
  Distribution tilted = d;
  tilted.alpha = d.alpha + 1.0;
  tilted.p_zero = 0.0;
  const int k_max = *std::max_element(ks.begin(), ks.end());
  const detail::CorrectCounts counts(tilted, k_max - 1);
  const double mean = d.mean();
  std::vector<double> ascending;
  std::vector<double> descending;
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const int k = ks[i];
    ascending.resize(static_cast<std::size_t>(k));
    for (int j = 0; j < k; ++j)
      ascending[static_cast<std::size_t>(j)] = counts.probability(j, k - 1);
    descending.assign(ascending.rbegin(), ascending.rend());
    const auto integrand = [&](double s) {
      return k * normal_density(s - scores.correct) *
             mixed_powers(ascending, descending, log_normal_cdf(s - scores.correct),
                          log_normal_cdf(s - scores.wrong));
    };
    // E[p] times an average of probabilities: rounding can push it a few ulps past 1.
    out[i] = detail::clamp_probability(mean * integrate_scores(integrand, scores.correct));
  }
}

}  // namespace kcube::difficulty
