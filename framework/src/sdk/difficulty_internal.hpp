// Helpers shared by the difficulty model's translation units (difficulty.cpp: the distribution
// and pass@k; difficulty_vote.cpp: majority vote; difficulty_verifier.cpp: verifier-best).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "kcube/difficulty.hpp"

namespace kcube::difficulty::detail {

/// Throws kcube::Error("difficulty model: " + what).
[[noreturn]] void refuse(const std::string& what);

/// Checks that `out` has the size of `ks` and every k is at least 1; `function` names the caller.
void check_ks(const char* function, std::span<const int> ks, std::span<double> out);

/// log Gamma(x) for x > 0; thread-safe (std::lgamma writes the global signgam in glibc).
double log_gamma(double x);

/// `p` clamped to [0, 1], for the places where rounding can push a probability a few ulps out.
double clamp_probability(double p);

/// log(n!) for n = 0..n_max, from one table.
class LogFactorials {
 public:
  explicit LogFactorials(int n_max);
  double operator()(int n) const { return table_[static_cast<std::size_t>(n)]; }
  /// log C(n, c), 0 <= c <= n <= n_max.
  double choose(int n, int c) const { return (*this)(n) - (*this)(c) - (*this)(n - c); }

 private:
  std::vector<double> table_;
};

/// P(X = x | k): the probability that x of k samples are correct, with p drawn from the
/// distribution (beta-binomial with the p_zero atom at x = 0, or the two-point mixture of
/// binomials), for 0 <= x <= k <= k_max. The log-gamma values it needs are tabulated once.
/// Relative accuracy about k_max * 1e-16 * log(k_max + alpha + beta).
class CorrectCounts {
 public:
  CorrectCounts(const Distribution& d, int k_max);
  double probability(int x, int k) const;

 private:
  double beta_binomial_log(int x, int k) const;

  Distribution d_;
  LogFactorials log_factorial_;
  // beta: the log rising factorials log (x)_n = log Gamma(x + n) - log Gamma(x), n = 0..k_max,
  // of x = alpha, beta and alpha + beta.
  std::vector<double> log_rising_alpha_;
  std::vector<double> log_rising_beta_;
  std::vector<double> log_rising_sum_;
};

/// log Bin(c; n, p) = log C(n, c) + c log p + (n - c) log(1 - p), exact at p = 0 and p = 1 (where
/// 0 log 0 counts as 0): -infinity for an impossible count.
double log_binomial(const LogFactorials& log_factorial, int c, int n, double p);

}  // namespace kcube::difficulty::detail
