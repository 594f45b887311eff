#include "kcube/difficulty.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <boost/math/special_functions/gamma.hpp>

#include "kcube/error.hpp"
#include "sdk/difficulty_internal.hpp"
#include "util/text.hpp"

namespace kcube::difficulty {

namespace detail {

void refuse(const std::string& what) {
  throw Error("difficulty model: " + what);
}

double log_gamma(double x) {
  return boost::math::lgamma(x);
}

void check_ks(const char* function, std::span<const int> ks, std::span<double> out) {
  if (ks.size() != out.size())
    refuse(std::string(function) + ": " + std::to_string(ks.size()) + " values of k but room for " +
           std::to_string(out.size()) + " results; give `out` the size of `ks`");
  for (const int k : ks)
    if (k < 1)
      refuse(std::string(function) + ": k = " + std::to_string(k) +
             " samples; every k must be at least 1");
}

// Rounding can push a sum of probabilities a few ulps past 1 (or a difference below 0); the
// results are clamped to [0, 1] only at those places.
double clamp_probability(double p) {
  return std::clamp(p, 0.0, 1.0);
}

LogFactorials::LogFactorials(int n_max) : table_(static_cast<std::size_t>(n_max) + 1) {
  for (std::size_t n = 0; n < table_.size(); ++n)
    table_[n] = log_gamma(static_cast<double>(n) + 1.0);
}

double log_binomial(const LogFactorials& log_factorial, int c, int n, double p) {
  if (p <= 0.0)
    return c == 0 ? 0.0 : -std::numeric_limits<double>::infinity();
  if (p >= 1.0)
    return c == n ? 0.0 : -std::numeric_limits<double>::infinity();
  return log_factorial.choose(n, c) + c * std::log(p) + (n - c) * std::log1p(-p);
}

CorrectCounts::CorrectCounts(const Distribution& d, int k_max) : d_(d), log_factorial_(k_max) {
  if (d.kind != Distribution::Kind::beta)
    return;
  // log Gamma(x + n) - log Gamma(x) = sum_{i < n} log(x + i), summed (with Neumaier's
  // compensation, so the rounding does not grow with n) rather than taken as a difference of
  // log-gammas, which loses eps * log Gamma(x + n): 3e-9 at x = 1e6.
  const auto size = static_cast<std::size_t>(k_max) + 1;
  const auto rising = [size](double x) {
    std::vector<double> table(size, 0.0);
    double sum = 0.0;
    double compensation = 0.0;
    for (std::size_t n = 1; n < size; ++n) {
      const double term = std::log(x + static_cast<double>(n - 1));
      const double next = sum + term;
      compensation += std::abs(sum) >= std::abs(term) ? (sum - next) + term : (term - next) + sum;
      sum = next;
      table[n] = sum + compensation;
    }
    return table;
  };
  log_rising_alpha_ = rising(d.alpha);
  log_rising_beta_ = rising(d.beta);
  log_rising_sum_ = rising(d.alpha + d.beta);
}

// log [C(k, x) B(alpha + x, beta + k - x) / B(alpha, beta)]
//   = log C(k, x) + log (alpha)_x + log (beta)_(k-x) - log (alpha + beta)_k.
double CorrectCounts::beta_binomial_log(int x, int k) const {
  const auto at = [](const std::vector<double>& table, int n) {
    return table[static_cast<std::size_t>(n)];
  };
  return log_factorial_.choose(k, x) + at(log_rising_alpha_, x) + at(log_rising_beta_, k - x) -
         at(log_rising_sum_, k);
}

double CorrectCounts::probability(int x, int k) const {
  if (d_.kind == Distribution::Kind::two_point)
    return d_.easy_share * std::exp(log_binomial(log_factorial_, x, k, d_.p_easy)) +
           (1.0 - d_.easy_share) * std::exp(log_binomial(log_factorial_, x, k, d_.p_hard));
  const double solvable = (1.0 - d_.p_zero) * std::exp(beta_binomial_log(x, k));
  return x == 0 ? d_.p_zero + solvable : solvable;
}

}  // namespace detail

namespace {

using detail::clamp_probability;
using detail::log_gamma;
using detail::refuse;

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr int kMaxWrongAnswers = 10000;

void require_in(const char* name, double value, double low, double high, bool low_open,
                bool high_open, const char* fix) {
  const bool below = low_open ? !(value > low) : !(value >= low);
  const bool above = high_open ? !(value < high) : !(value <= high);
  if (std::isnan(value) || below || above)
    refuse(std::string(name) + " = " + text::format_real(value) + " is outside " +
           (low_open ? "(" : "[") + text::format_real(low) + ", " +
           (high_open ? "inf" : text::format_real(high)) + (high_open ? ")" : "]") + "; " + fix);
}

double log_beta(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

// Up to this many samples the beta-binomial log-probability is a sum of logarithms of ratios;
// beyond, differences of log-gammas (cheaper, less accurate when alpha or beta is large).
constexpr int kSummedBetaBinomialLimit = 4096;

// log [C(n, c) B(c + a, n - c + b) / B(a, b)] as sums of logarithms of ratios near 1, each
// accurate to an ulp, where the difference of log-gammas would lose eps * log Gamma(b + n) (3e-9
// at b = 1e6, enough to disturb a likelihood's numerical derivatives):
//   B(c + a, n - c + b) / B(a, b) = prod_{i < n-c} (b + i) / (a + b + i)
//                                  * prod_{i < c} (a + i) / (a + b + n - c + i),
//   C(n, c) = prod_{i = 1..m} (n - m + i) / i,  m = min(c, n - c).
double summed_beta_binomial_log(int c, int n, double a, double b) {
  double sum = 0.0;
  for (int i = 0; i < n - c; ++i)
    sum += std::log1p(-a / (a + b + i));
  for (int i = 0; i < c; ++i)
    sum += std::log((a + i) / (a + b + (n - c) + i));
  const int m = std::min(c, n - c);
  for (int i = 1; i <= m; ++i)
    sum += std::log(static_cast<double>(n - m + i) / i);
  return sum;
}

// log C(n, c).
double log_choose(int n, int c) {
  return log_gamma(n + 1.0) - log_gamma(c + 1.0) - log_gamma(n - c + 1.0);
}

// log(exp(x) + exp(y)), exact when either is -inf.
double log_add(double x, double y) {
  const double high = std::max(x, y);
  if (high == -kInfinity)
    return -kInfinity;
  return high + std::log1p(std::exp(std::min(x, y) - high));
}

// log Bin(c; n, p), exact at p = 0 and p = 1 (where 0 * log 0 must count as 0).
double log_binomial(int c, int n, double p) {
  if (p <= 0.0)
    return c == 0 ? 0.0 : -kInfinity;
  if (p >= 1.0)
    return c == n ? 0.0 : -kInfinity;
  return log_choose(n, c) + c * std::log(p) + (n - c) * std::log1p(-p);
}

// A Gamma(shape, 1) variate as its logarithm, so that shapes far below 1 (whose variates
// underflow a double) still give a ratio X / (X + Y). Marsaglia and Tsang (2000) for shape >= 1;
// below 1, Gamma(shape) = Gamma(shape + 1) U^(1 / shape).
double log_gamma_variate(double shape, RandomStream& stream) {
  if (shape < 1.0) {
    const double boosted = log_gamma_variate(shape + 1.0, stream);
    return boosted + std::log(stream.uniform()) / shape;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = stream.normal();
    const double t = 1.0 + c * x;
    if (t <= 0.0)
      continue;
    const double v = t * t * t;
    const double u = stream.uniform();
    // The squeeze accepts most proposals without a logarithm.
    if (u < 1.0 - 0.0331 * (x * x) * (x * x) ||
        std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v)))
      return std::log(d) + std::log(v);
  }
}

// log(B(a, b + k) / B(a, b)) = sum_{i < k} log(1 - a / (a + b + i)) for each k of `ks`, summed
// term by term (as a running sum over the sorted ks) where k is moderate: the difference of
// log-gammas loses absolute accuracy eps * lgamma(b + k), which for large b swamps
// 1 - B(a, b + k) / B(a, b) ~ a k / b. Beyond kSummedLimit terms the log-gammas are used.
constexpr int kSummedLimit = 1 << 20;

std::vector<double> log_beta_ratios(double a, double b, std::span<const int> ks) {
  std::vector<std::size_t> order(ks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return ks[i] < ks[j]; });
  std::vector<double> log_ratio(ks.size());
  double sum = 0.0;
  int terms = 0;
  for (const std::size_t i : order) {
    const int k = ks[i];
    if (k > kSummedLimit) {
      log_ratio[i] = log_gamma(b + k) - log_gamma(a + b + k) - log_gamma(b) + log_gamma(a + b);
      continue;
    }
    for (; terms < k; ++terms)
      sum += std::log1p(-a / (a + b + terms));
    log_ratio[i] = sum;
  }
  return log_ratio;
}

}  // namespace

void Distribution::validate() const {
  switch (kind) {
    case Kind::beta:
      require_in("alpha", alpha, 0.0, kInfinity, true, true,
                 "the Beta distribution's first shape must be positive and finite");
      require_in("beta", beta, 0.0, kInfinity, true, true,
                 "the Beta distribution's second shape must be positive and finite");
      require_in("p_zero", p_zero, 0.0, 1.0, false, true,
                 "the share of questions never solved must be at least 0 and below 1");
      return;
    case Kind::two_point:
      require_in("p_easy", p_easy, 0.0, 1.0, false, false,
                 "the easy questions' success probability must lie in [0, 1]");
      require_in("p_hard", p_hard, 0.0, 1.0, false, false,
                 "the hard questions' success probability must lie in [0, 1]");
      require_in("easy_share", easy_share, 0.0, 1.0, false, false,
                 "the share of easy questions must lie in [0, 1]");
      return;
  }
  refuse("p_distribution has the unknown kind " + std::to_string(static_cast<std::uint32_t>(kind)) +
         "; use beta or two-point");
}

double Distribution::mean() const {
  if (kind == Kind::two_point)
    return easy_share * p_easy + (1.0 - easy_share) * p_hard;
  return (1.0 - p_zero) * alpha / (alpha + beta);
}

double Distribution::draw(RandomStream& stream) const {
  if (kind == Kind::two_point)
    return stream.uniform() < easy_share ? p_easy : p_hard;
  if (p_zero > 0.0 && stream.uniform() < p_zero)
    return 0.0;
  // p = X / (X + Y) = 1 / (1 + Y / X) for X ~ Gamma(alpha), Y ~ Gamma(beta), in logs.
  const double log_x = log_gamma_variate(alpha, stream);
  const double log_y = log_gamma_variate(beta, stream);
  return 1.0 / (1.0 + std::exp(log_y - log_x));
}

double Distribution::log_probability(int c, int n) const {
  if (n < 1 || c < 0 || c > n)
    refuse("log_probability: c = " + std::to_string(c) + " correct of n = " + std::to_string(n) +
           " samples; need n >= 1 and 0 <= c <= n");
  if (kind == Kind::two_point)
    return log_add(std::log(easy_share) + log_binomial(c, n, p_easy),
                   std::log1p(-easy_share) + log_binomial(c, n, p_hard));
  // Beta-binomial: C(n, c) B(c + a, n - c + b) / B(a, b).
  const double beta_binomial =
      n <= kSummedBetaBinomialLimit
          ? summed_beta_binomial_log(c, n, alpha, beta)
          : log_choose(n, c) + log_beta(c + alpha, n - c + beta) - log_beta(alpha, beta);
  if (p_zero == 0.0)
    return beta_binomial;
  const double solvable = std::log1p(-p_zero) + beta_binomial;
  return c == 0 ? log_add(std::log(p_zero), solvable) : solvable;
}

void WrongAnswers::validate() const {
  if (count < 1)
    refuse("wrong_answers = " + std::to_string(count) +
           " is below 1; a wrong sample needs at least one wrong answer to give");
  // Majority vote's work grows linearly in W; past this many, answers with tiny shares change
  // nothing but the time.
  if (count > kMaxWrongAnswers)
    refuse("wrong_answers = " + std::to_string(count) + " is more than " +
           std::to_string(kMaxWrongAnswers) + "; lump the rarest wrong answers together");
  require_in("wrong_skew", skew, 0.0, kInfinity, false, true,
             "the wrong answers' skew must be at least 0 (0: uniform) and finite");
}

std::vector<double> WrongAnswers::shares() const {
  std::vector<double> share(static_cast<std::size_t>(count));
  double total = 0.0;
  for (int j = 0; j < count; ++j) {
    share[static_cast<std::size_t>(j)] = std::pow(j + 1.0, -skew);
    total += share[static_cast<std::size_t>(j)];
  }
  for (double& s : share)
    s /= total;
  return share;
}

void pass_at_k(const Distribution& d, std::span<const int> ks, std::span<double> out) {
  d.validate();
  detail::check_ks("pass_at_k", ks, out);
  if (d.kind == Distribution::Kind::two_point) {
    // 1 - [s (1 - pe)^k + (1 - s) (1 - ph)^k], each 1 - (1 - p)^k as -expm1(k log1p(-p)); the
    // weighted sum can round past 1.
    const double log_miss_easy = std::log1p(-d.p_easy);
    const double log_miss_hard = std::log1p(-d.p_hard);
    for (std::size_t i = 0; i < ks.size(); ++i)
      out[i] = clamp_probability(d.easy_share * -std::expm1(ks[i] * log_miss_easy) +
                                 (1.0 - d.easy_share) * -std::expm1(ks[i] * log_miss_hard));
    return;
  }
  // (1 - p_zero) (1 - B(a, b + k) / B(a, b)).
  const std::vector<double> log_ratio = log_beta_ratios(d.alpha, d.beta, ks);
  for (std::size_t i = 0; i < ks.size(); ++i)
    out[i] = (1.0 - d.p_zero) * -std::expm1(log_ratio[i]);  // in [0, 1]: log_ratio <= 0
}

}  // namespace kcube::difficulty
