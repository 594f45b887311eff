// The difficulty model's mathematics (kcube/difficulty.hpp): closed forms against quadrature over
// p and sums done by hand, sampling against the distribution's moments.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/binomial.hpp>

#include "kcube/difficulty.hpp"
#include "kcube/error.hpp"
#include "kcube/quadrature.hpp"
#include "kcube/random.hpp"

namespace {

using kcube::difficulty::Distribution;
using kcube::difficulty::WrongAnswers;

Distribution beta_distribution(double alpha, double beta, double p_zero = 0.0) {
  Distribution d;
  d.kind = Distribution::Kind::beta;
  d.alpha = alpha;
  d.beta = beta;
  d.p_zero = p_zero;
  return d;
}

Distribution two_point(double p_easy, double p_hard, double easy_share) {
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = p_easy;
  d.p_hard = p_hard;
  d.easy_share = easy_share;
  return d;
}

// E[f(p)] over p ~ Beta(a, b) (no p_zero atom) by adaptive quadrature. The substitution
// p = t^(1/a) turns p^(a-1) dp into dt / a, which removes the singularity at p = 0 when a < 1;
// the tests use b >= 1, where (1 - p)^(b-1) is bounded.
template <class F>
double beta_expectation(double a, double b, const F& f) {
  const auto integrand = [&](double t) {
    const double p = std::pow(t, 1.0 / a);
    return f(p) * std::pow(1.0 - p, b - 1.0) / a;
  };
  const std::array<double, 2> cuts{0.0, 1.0};
  const double integral =
      kcube::integrate_adaptive(integrand, cuts, kcube::QuadratureTolerance{0.0, 1e-13});
  return integral / boost::math::beta(a, b);
}

// The raw moments E[p^j], j = 0..4, of a distribution.
std::array<double, 5> raw_moments(const Distribution& d) {
  std::array<double, 5> m{};
  for (int j = 0; j <= 4; ++j) {
    if (d.kind == Distribution::Kind::two_point) {
      m[j] = d.easy_share * std::pow(d.p_easy, j) + (1.0 - d.easy_share) * std::pow(d.p_hard, j);
      continue;
    }
    // E[p^j] = prod_{i < j} (a + i) / (a + b + i) for Beta(a, b).
    double beta_moment = 1.0;
    for (int i = 0; i < j; ++i)
      beta_moment *= (d.alpha + i) / (d.alpha + d.beta + i);
    m[j] = j == 0 ? 1.0 : (1.0 - d.p_zero) * beta_moment;
  }
  return m;
}

}  // namespace

TEST_CASE("validate names each parameter out of its range") {
  const auto refused = [](const Distribution& d, const char* name) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(d.validate(), doctest::Contains(name), kcube::Error);
  };
  refused(beta_distribution(0.0, 1.0), "alpha");
  refused(beta_distribution(-1.0, 1.0), "alpha");
  refused(beta_distribution(std::nan(""), 1.0), "alpha");
  refused(beta_distribution(1.0, 0.0), "beta");
  refused(beta_distribution(1.0, INFINITY), "beta");
  refused(beta_distribution(1.0, 1.0, 1.0), "p_zero");
  refused(beta_distribution(1.0, 1.0, -0.1), "p_zero");
  refused(two_point(1.2, 0.4, 0.5), "p_easy");
  refused(two_point(0.8, -0.1, 0.5), "p_hard");
  refused(two_point(0.8, 0.4, 1.5), "easy_share");
  refused(two_point(0.8, 0.4, std::nan("")), "easy_share");
  CHECK_NOTHROW(beta_distribution(0.1, 30.0, 0.0).validate());
  CHECK_NOTHROW(beta_distribution(0.1, 30.0, 0.99).validate());
  CHECK_NOTHROW(two_point(1.0, 0.0, 0.0).validate());
  // The other kind's parameters are not looked at.
  Distribution beta = beta_distribution(2.0, 3.0);
  beta.p_easy = 7.0;
  CHECK_NOTHROW(beta.validate());

  WrongAnswers wrong;
  wrong.count = 0;
  CHECK_THROWS_WITH_AS(wrong.validate(), doctest::Contains("wrong_answers"), kcube::Error);
  wrong.count = 10001;
  CHECK_THROWS_WITH_AS(wrong.validate(), doctest::Contains("wrong_answers"), kcube::Error);
  wrong.count = 3;
  wrong.skew = -0.5;
  CHECK_THROWS_WITH_AS(wrong.validate(), doctest::Contains("wrong_skew"), kcube::Error);
  wrong.skew = 1.0;
  CHECK_NOTHROW(wrong.validate());
}

TEST_CASE("wrong answers' shares are proportional to j^(-skew), decreasing, summing to 1") {
  WrongAnswers wrong;
  wrong.count = 3;
  wrong.skew = 1.0;
  const std::vector<double> shares = wrong.shares();
  REQUIRE(shares.size() == 3);
  const double total = 1.0 + 1.0 / 2.0 + 1.0 / 3.0;
  CHECK(shares[0] == doctest::Approx(1.0 / total).epsilon(1e-15));
  CHECK(shares[1] == doctest::Approx(0.5 / total).epsilon(1e-15));
  CHECK(shares[2] == doctest::Approx(1.0 / 3.0 / total).epsilon(1e-15));
  wrong.count = 4;
  wrong.skew = 0.0;
  for (const double s : wrong.shares())
    CHECK(s == 0.25);
}

TEST_CASE("mean is E[p]") {
  CHECK(beta_distribution(2.0, 6.0).mean() == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(beta_distribution(2.0, 6.0, 0.2).mean() == doctest::Approx(0.2).epsilon(1e-15));
  CHECK(two_point(0.8, 0.4, 0.25).mean() == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("pass@k of the beta kind equals quadrature of 1 - (1 - p)^k over the Beta density") {
  struct Case {
    double alpha, beta, p_zero;
  };
  for (const Case c :
       {Case{2.5, 4.0, 0.0}, Case{0.3, 2.0, 0.1}, Case{1.0, 1.0, 0.0}, Case{0.7, 12.0, 0.35}}) {
    const Distribution d = beta_distribution(c.alpha, c.beta, c.p_zero);
    const std::vector<int> ks{1, 2, 3, 10, 64, 1000};
    std::vector<double> out(ks.size());
    kcube::difficulty::pass_at_k(d, ks, out);
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const int k = ks[i];
      const double expected = (1.0 - c.p_zero) * beta_expectation(c.alpha, c.beta, [k](double p) {
                                return -std::expm1(k * std::log1p(-p));
                              });
      CAPTURE(c.alpha);
      CAPTURE(c.beta);
      CAPTURE(k);
      CHECK(out[i] == doctest::Approx(expected).epsilon(1e-10));
    }
    CHECK(out[0] == doctest::Approx(d.mean()).epsilon(1e-14));  // pass@1 = E[p]
  }
}

TEST_CASE("pass@1 of the beta kind keeps its relative accuracy when beta is large") {
  // 1 - B(a, b + 1) / B(a, b) = a / (a + b) ~ 5e-7: a difference of log-gammas near 1.3e7 would
  // lose about half the digits.
  const Distribution d = beta_distribution(0.5, 1e6);
  const std::vector<int> ks{1, 2};
  std::vector<double> out(2);
  kcube::difficulty::pass_at_k(d, ks, out);
  CHECK(out[0] == doctest::Approx(0.5 / (0.5 + 1e6)).epsilon(1e-13));
  // 1 - (b / (a + b)) ((b + 1) / (a + b + 1)).
  const double miss = (1e6 / (0.5 + 1e6)) * ((1e6 + 1.0) / (0.5 + 1e6 + 1.0));
  CHECK(out[1] == doctest::Approx(1.0 - miss).epsilon(1e-9));
}

TEST_CASE("pass@k of the two-point kind is 1 - [s (1 - pe)^k + (1 - s) (1 - ph)^k]") {
  const std::vector<int> ks{1, 2, 5, 30};
  std::vector<double> out(ks.size());
  kcube::difficulty::pass_at_k(two_point(0.8, 0.4, 0.5), ks, out);
  for (std::size_t i = 0; i < ks.size(); ++i)
    CHECK(out[i] == doctest::Approx(1.0 - 0.5 * std::pow(0.2, ks[i]) - 0.5 * std::pow(0.6, ks[i]))
                        .epsilon(1e-14));
  // Certain and impossible questions.
  kcube::difficulty::pass_at_k(two_point(1.0, 0.0, 0.3), ks, out);
  for (const double v : out)
    CHECK(v == doctest::Approx(0.3).epsilon(1e-15));
}

TEST_CASE("pass@k refuses k below 1 and an output of the wrong size") {
  const std::vector<int> ks{0};
  std::vector<double> out(1);
  CHECK_THROWS_WITH_AS(kcube::difficulty::pass_at_k(beta_distribution(1, 1), ks, out),
                       doctest::Contains("k = 0"), kcube::Error);
  std::vector<double> short_out;
  const std::vector<int> one{1};
  CHECK_THROWS_AS(kcube::difficulty::pass_at_k(beta_distribution(1, 1), one, short_out),
                  kcube::Error);
}

TEST_CASE("log_probability is a distribution over c = 0..n") {
  for (const Distribution& d :
       {beta_distribution(0.4, 2.2), beta_distribution(3.0, 0.6, 0.25), two_point(0.8, 0.4, 0.5),
        two_point(1.0, 0.0, 0.3), two_point(0.9, 0.0, 1.0)}) {
    for (const int n : {1, 7, 50, 400}) {
      double total = 0.0;
      for (int c = 0; c <= n; ++c)
        total += std::exp(d.log_probability(c, n));
      CAPTURE(n);
      CHECK(total == doctest::Approx(1.0).epsilon(1e-11));
    }
  }
}

TEST_CASE("log_probability: beta-binomial special cases and the p_zero atom") {
  // Beta(1, 1) = uniform p: every count is equally likely, 1 / (n + 1).
  const Distribution uniform = beta_distribution(1.0, 1.0);
  for (const int c : {0, 3, 9})
    CHECK(std::exp(uniform.log_probability(c, 9)) == doctest::Approx(0.1).epsilon(1e-13));
  // Beta(a, 1): P(n of n) = a / (a + n).
  CHECK(std::exp(beta_distribution(2.5, 1.0).log_probability(6, 6)) ==
        doctest::Approx(2.5 / 8.5).epsilon(1e-13));
  // With p_zero: P(0) = p_zero + (1 - p_zero) P_beta(0), P(c > 0) = (1 - p_zero) P_beta(c).
  const Distribution atom = beta_distribution(1.0, 1.0, 0.3);
  CHECK(std::exp(atom.log_probability(0, 4)) == doctest::Approx(0.3 + 0.7 * 0.2).epsilon(1e-13));
  CHECK(std::exp(atom.log_probability(2, 4)) == doctest::Approx(0.7 * 0.2).epsilon(1e-13));
  // A certain question: two_point(1, 0) has P(c) = s at c = n and 1 - s at c = 0 exactly.
  const Distribution sure = two_point(1.0, 0.0, 0.3);
  CHECK(std::exp(sure.log_probability(5, 5)) == doctest::Approx(0.3).epsilon(1e-15));
  CHECK(std::exp(sure.log_probability(0, 5)) == doctest::Approx(0.7).epsilon(1e-15));
  CHECK(sure.log_probability(2, 5) == -INFINITY);  // impossible, not NaN
  CHECK_THROWS_AS((void)sure.log_probability(6, 5), kcube::Error);
}

TEST_CASE("draw matches the distribution's mean, variance and p_zero share") {
  // 10^5 draws from a fixed seed; each tolerance is 4 standard errors of the statistic:
  // mean: sqrt(var / N); variance: sqrt((mu4 - var^2) / N); share of zeros:
  // sqrt(p_zero (1 - p_zero) / N).
  constexpr int kDraws = 100000;
  std::uint64_t cell = 0;
  for (const Distribution& d : {beta_distribution(0.4, 1.7, 0.2), beta_distribution(3.0, 5.0),
                                beta_distribution(0.05, 0.08), two_point(0.8, 0.4, 0.3)}) {
    kcube::RandomStream stream(20261202, cell++, 0);
    double sum = 0.0;
    double sum_sq = 0.0;
    int zeros = 0;
    int outside = 0;
    for (int i = 0; i < kDraws; ++i) {
      const double p = d.draw(stream);
      outside += p >= 0.0 && p <= 1.0 ? 0 : 1;  // also counts NaN
      sum += p;
      sum_sq += p * p;
      zeros += p == 0.0 ? 1 : 0;
    }
    const std::array<double, 5> m = raw_moments(d);
    const double mean = m[1];
    const double variance = m[2] - mean * mean;
    const double mu4 =
        m[4] - 4.0 * mean * m[3] + 6.0 * mean * mean * m[2] - 3.0 * mean * mean * mean * mean;
    const double n = kDraws;
    const double sample_mean = sum / n;
    const double sample_variance = (sum_sq - n * sample_mean * sample_mean) / (n - 1.0);
    CAPTURE(d.alpha);
    CAPTURE(d.beta);
    CHECK(outside == 0);
    CHECK(d.mean() == doctest::Approx(mean).epsilon(1e-14));
    CHECK(std::abs(sample_mean - mean) <= 4.0 * std::sqrt(variance / n));
    CHECK(std::abs(sample_variance - variance) <= 4.0 * std::sqrt((mu4 - variance * variance) / n));
    if (d.kind == Distribution::Kind::beta) {
      const double share = zeros / n;
      CHECK(std::abs(share - d.p_zero) <= 4.0 * std::sqrt(d.p_zero * (1.0 - d.p_zero) / n));
    }
  }
}

TEST_CASE("draw is a pure function of the stream") {
  const Distribution d = beta_distribution(0.3, 2.0, 0.1);
  kcube::RandomStream first(7, 1, 2);
  kcube::RandomStream second(7, 1, 2);
  for (int i = 0; i < 100; ++i)
    CHECK(d.draw(first) == d.draw(second));
}

namespace {

// P(x of k correct) for the tests' exact sums: E[p^x (1 - p)^(k - x)] C(k, x), from the Beta
// function's moments (boost::math::beta) or the two-point mixture.
double correct_count_probability(const Distribution& d, int x, int k) {
  const double choose =
      boost::math::binomial_coefficient<double>(static_cast<unsigned>(k), static_cast<unsigned>(x));
  if (d.kind == Distribution::Kind::two_point)
    return choose *
           (d.easy_share * std::pow(d.p_easy, x) * std::pow(1.0 - d.p_easy, k - x) +
            (1.0 - d.easy_share) * std::pow(d.p_hard, x) * std::pow(1.0 - d.p_hard, k - x));
  const double moment =
      boost::math::beta(d.alpha + x, d.beta + k - x) / boost::math::beta(d.alpha, d.beta);
  return (1.0 - d.p_zero) * choose * moment + (x == 0 ? d.p_zero : 0.0);
}

// Majority vote by enumerating every sequence of k answers (0 = correct, 1..W wrong): the
// sequence's probability given x correct is p^x (1 - p)^(k - x) prod_j w_j^(c_j), so summing over
// sequences with their tie-split win indicator and weighting by the exact moments gives MV(k).
double brute_force_majority_vote(const Distribution& d, const std::vector<double>& shares, int k) {
  const int answers = static_cast<int>(shares.size()) + 1;
  int sequences = 1;
  for (int i = 0; i < k; ++i)
    sequences *= answers;
  // One binomial coefficient is already in correct_count_probability: divide it back out.
  double total = 0.0;
  for (int code = 0; code < sequences; ++code) {
    std::vector<int> votes(static_cast<std::size_t>(answers), 0);
    for (int i = 0, rest = code; i < k; ++i, rest /= answers)
      ++votes[static_cast<std::size_t>(rest % answers)];
    const int x = votes[0];
    int leaders = 0;
    int most = 0;
    for (const int v : votes)
      most = std::max(most, v);
    for (const int v : votes)
      leaders += v == most ? 1 : 0;
    if (x != most)
      continue;
    double wrong_weight = 1.0;
    for (int j = 1; j < answers; ++j)
      wrong_weight *=
          std::pow(shares[static_cast<std::size_t>(j - 1)], votes[static_cast<std::size_t>(j)]);
    const double choose = boost::math::binomial_coefficient<double>(static_cast<unsigned>(k),
                                                                    static_cast<unsigned>(x));
    total += correct_count_probability(d, x, k) / choose * wrong_weight / leaders;
  }
  return total;
}

// H(x, n) by the plain dynamic program over the wrong answers with the number of ties in the
// state (no Gauss-Legendre nodes, no truncated binomial rows): the reference for large k.
double reference_win_probability(const std::vector<double>& shares, int x, int n) {
  if (x == 0)
    return 0.0;
  const auto answers = shares.size();
  // state[r][t]: probability that the answers so far left r samples, all at most x, t at x.
  std::vector<std::vector<double>> state(static_cast<std::size_t>(n) + 1,
                                         std::vector<double>(answers + 1, 0.0));
  state[static_cast<std::size_t>(n)][0] = 1.0;
  double tail = 1.0;
  for (std::size_t j = 0; j < answers; ++j) {
    const double q = j + 1 == answers ? 1.0 : shares[j] / tail;
    tail -= shares[j];
    std::vector<std::vector<double>> next(state.size(), std::vector<double>(answers + 1, 0.0));
    for (int r = 0; r <= n; ++r)
      for (std::size_t t = 0; t <= answers; ++t) {
        const double mass = state[static_cast<std::size_t>(r)][t];
        if (mass == 0.0)
          continue;
        for (int c = 0; c <= std::min(x, r); ++c) {
          const double pmf = boost::math::binomial_coefficient<double>(static_cast<unsigned>(r),
                                                                       static_cast<unsigned>(c)) *
                             std::pow(q, c) * std::pow(1.0 - q, r - c);
          next[static_cast<std::size_t>(r - c)][t + (c == x ? 1 : 0)] += mass * pmf;
        }
      }
    state = std::move(next);
  }
  double h = 0.0;
  for (std::size_t t = 0; t <= answers; ++t)
    h += state[0][t] / (1.0 + static_cast<double>(t));
  return h;
}

std::vector<double> majority_votes(const Distribution& d, int wrong_answers, double skew,
                                   const std::vector<int>& ks) {
  WrongAnswers wrong;
  wrong.count = wrong_answers;
  wrong.skew = skew;
  std::vector<double> out(ks.size());
  kcube::difficulty::majority_vote(d, wrong, ks, out);
  return out;
}

std::vector<int> one_to(int k_max) {
  std::vector<int> ks(static_cast<std::size_t>(k_max));
  for (int k = 1; k <= k_max; ++k)
    ks[static_cast<std::size_t>(k - 1)] = k;
  return ks;
}

}  // namespace

TEST_CASE(
    "two-point majority vote equals Chen et al.'s formula at odd k, a half-tie sum at even k") {
  // F(K) = a I_p1((K + 1) / 2, (K + 1) / 2) + (1 - a) I_p2((K + 1) / 2, (K + 1) / 2).
  const Distribution d = two_point(0.8, 0.4, 0.5);
  const std::vector<int> ks = one_to(201);
  const std::vector<double> mv = majority_votes(d, 1, 0.0, ks);
  for (const int k : ks) {
    CAPTURE(k);
    double expected = 0.0;
    if (k % 2 == 1) {
      const double half = (k + 1) / 2.0;
      expected =
          0.5 * boost::math::ibeta(half, half, 0.8) + 0.5 * boost::math::ibeta(half, half, 0.4);
    } else {
      for (int x = k / 2; x <= k; ++x)
        expected += (x == k / 2 ? 0.5 : 1.0) * correct_count_probability(d, x, k);
    }
    CHECK(std::abs(mv[static_cast<std::size_t>(k - 1)] - expected) <= 1e-10);
  }
}

TEST_CASE("two-point majority vote rises to its maximum at k = 5, then falls (the inverse U)") {
  // Chen et al.'s example: half the questions easy (p = 0.8), half hard (p = 0.4).
  const std::vector<double> mv = majority_votes(two_point(0.8, 0.4, 0.5), 1, 0.0, one_to(100));
  const auto at = [&](int k) { return mv[static_cast<std::size_t>(k - 1)]; };
  // The maximum is first reached at k = 5 (k = 6 repeats it exactly, below).
  const double peak = *std::max_element(mv.begin(), mv.end());
  CHECK(at(5) == peak);
  CHECK(std::find(mv.begin(), mv.end(), peak) - mv.begin() == 4);
  for (int k = 1; k < 5; ++k)
    CHECK(at(k) < at(5) - 1e-3);
  for (int k = 7; k <= 100; ++k)
    CHECK(at(k) < at(5) - 1e-4);
  // With one wrong answer a tie at even k counts one half, and MV(2m) = MV(2m - 1): the sixth
  // sample only turns a 3-2 lead into a 3-3 tie (half) or a 4-2 win as often as it turns a 2-3
  // loss into a tie (half) or a 2-4 loss, so k = 6 repeats the maximum without raising it.
  // Equal to the last bit, so that accuracy-max with tolerance 0 picks k = 5, not 6.
  for (int m = 1; m <= 50; ++m)
    CHECK(at(2 * m) == at(2 * m - 1));
  for (int k = 7; k <= 100; k += 2) {
    CAPTURE(k);
    CHECK(at(k) < at(k - 2));  // strictly falling at odd k from 5 on
  }
  CHECK(at(1) < at(3));
  CHECK(at(3) < at(5));
}

TEST_CASE("majority vote over several wrong answers equals brute-force enumeration") {
  // Every sequence of k <= 7 answers among the correct one and W = 3 wrong ones (skew 1:
  // shares 6/11, 3/11, 2/11), exact moments over p.
  WrongAnswers wrong;
  wrong.count = 3;
  wrong.skew = 1.0;
  const std::vector<double> shares = wrong.shares();
  const std::vector<int> ks = one_to(7);
  for (const Distribution& d :
       {two_point(0.8, 0.4, 0.5), two_point(0.35, 0.1, 0.7), two_point(1.0, 0.0, 0.5),
        beta_distribution(0.5, 1.5), beta_distribution(2.0, 3.0, 0.2)}) {
    const std::vector<double> mv = majority_votes(d, 3, 1.0, ks);
    for (const int k : ks) {
      CAPTURE(k);
      CAPTURE(d.p_easy);
      CAPTURE(d.alpha);
      CHECK(std::abs(mv[static_cast<std::size_t>(k - 1)] -
                     brute_force_majority_vote(d, shares, k)) <= 1e-12);
    }
  }
}

TEST_CASE("majority vote over several wrong answers at large k equals a plain dynamic program") {
  // The reference keeps the count of ties in its state and every binomial probability; the
  // library integrates the tie weight with Gauss-Legendre nodes and drops binomial tails below
  // 1e-24 of their row's peak.
  const Distribution d = beta_distribution(1.2, 0.8, 0.1);
  for (const int wrong_answers : {2, 5}) {
    WrongAnswers wrong;
    wrong.count = wrong_answers;
    wrong.skew = 0.7;
    const std::vector<double> shares = wrong.shares();
    const std::vector<int> ks{1, 2, 9, 40, 81, 120};
    const std::vector<double> mv = majority_votes(d, wrong_answers, 0.7, ks);
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const int k = ks[i];
      double expected = 0.0;
      for (int x = 1; x <= k; ++x)
        expected +=
            correct_count_probability(d, x, k) * reference_win_probability(shares, x, k - x);
      CAPTURE(wrong_answers);
      CAPTURE(k);
      CHECK(std::abs(mv[i] - expected) <= 1e-12);
    }
  }
}

TEST_CASE("beta majority vote with one wrong answer is E[I_p((k + 1) / 2, (k + 1) / 2)] at odd k") {
  for (const Distribution& d : {beta_distribution(0.6, 1.0), beta_distribution(2.5, 1.5, 0.3)}) {
    const std::vector<int> ks{1, 3, 7, 21, 101};
    const std::vector<double> mv = majority_votes(d, 1, 0.0, ks);
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const double half = (ks[i] + 1) / 2.0;
      const double expected =
          (1.0 - d.p_zero) * beta_expectation(d.alpha, d.beta, [half](double p) {
            return boost::math::ibeta(half, half, p);
          });
      CAPTURE(ks[i]);
      CHECK(mv[i] == doctest::Approx(expected).epsilon(1e-10));
    }
  }
}

TEST_CASE("majority vote with one sample is E[p], and certain questions always win") {
  const Distribution d = beta_distribution(0.9, 2.0, 0.15);
  for (const int wrong_answers : {1, 4}) {
    const std::vector<double> mv = majority_votes(d, wrong_answers, 0.5, {1});
    CHECK(mv[0] == doctest::Approx(d.mean()).epsilon(1e-13));
  }
  // p = 1 always wins and p = 0 never does, at every k and for any W.
  const std::vector<double> mv = majority_votes(two_point(1.0, 0.0, 0.3), 6, 2.0, one_to(60));
  for (const double v : mv)
    CHECK(v == doctest::Approx(0.3).epsilon(1e-13));
}

namespace {

std::vector<double> verifier_bests(const Distribution& d, kcube::difficulty::Scores scores,
                                   const std::vector<int>& ks) {
  std::vector<double> out(ks.size());
  kcube::difficulty::verifier_best(d, scores, ks, out);
  return out;
}

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

// V(p, k) = k integral p phi(s - sc) F_p(s)^(k-1) ds, F_p = p Phi(s - sc) + (1 - p) Phi(s - sw),
// by plain adaptive quadrature of the formula as written.
double verifier_best_given(double p, kcube::difficulty::Scores scores, int k) {
  const auto integrand = [&](double s) {
    const double f = p * normal_cdf(s - scores.correct) + (1.0 - p) * normal_cdf(s - scores.wrong);
    return k * p * std::exp(-0.5 * (s - scores.correct) * (s - scores.correct)) /
           std::sqrt(2.0 * std::numbers::pi) * std::pow(f, k - 1);
  };
  const std::array<double, 6> cuts{scores.correct - 40.0, scores.correct - 5.0,
                                   scores.correct,        scores.correct + 3.0,
                                   scores.correct + 6.0,  scores.correct + 40.0};
  return kcube::integrate_adaptive(integrand, cuts, kcube::QuadratureTolerance{0.0, 1e-13});
}

}  // namespace

TEST_CASE("verifier-best equals a two-dimensional quadrature over p and the score") {
  // The library expands E[p F_p^(k-1)] in the beta moments and integrates only over the score;
  // the reference integrates V(p, k) over the Beta density numerically.
  const std::vector<int> ks{2, 3, 8, 50};
  for (const kcube::difficulty::Scores scores :
       {kcube::difficulty::Scores{1.0, 0.0}, kcube::difficulty::Scores{-0.5, 0.7}}) {
    for (const Distribution& d : {beta_distribution(0.5, 2.0, 0.2), beta_distribution(2.0, 3.0)}) {
      const std::vector<double> v = verifier_bests(d, scores, ks);
      for (std::size_t i = 0; i < ks.size(); ++i) {
        const int k = ks[i];
        const double expected = (1.0 - d.p_zero) * beta_expectation(d.alpha, d.beta, [&](double p) {
                                  return verifier_best_given(p, scores, k);
                                });
        CAPTURE(scores.correct);
        CAPTURE(d.alpha);
        CAPTURE(k);
        CHECK(v[i] == doctest::Approx(expected).epsilon(1e-10));
      }
    }
    const Distribution mixture = two_point(0.8, 0.3, 0.4);
    const std::vector<double> v = verifier_bests(mixture, scores, ks);
    for (std::size_t i = 0; i < ks.size(); ++i)
      CHECK(v[i] == doctest::Approx(0.4 * verifier_best_given(0.8, scores, ks[i]) +
                                    0.6 * verifier_best_given(0.3, scores, ks[i]))
                        .epsilon(1e-10));
  }
}

TEST_CASE("verifier-best in closed form: k = 1 is E[p], k = 2 and an uninformative verifier") {
  const kcube::difficulty::Scores scores{1.3, 0.2};
  for (const Distribution& d : {beta_distribution(0.4, 1.5, 0.1), two_point(0.9, 0.2, 0.35)}) {
    const std::vector<double> v = verifier_bests(d, scores, {1, 2});
    CHECK(v[0] == doctest::Approx(d.mean()).epsilon(1e-12));
    // Two samples: both correct (p^2), or one of each with the correct one scoring higher:
    // P(N(sc, 1) > N(sw, 1)) = Phi((sc - sw) / sqrt(2)).
    const std::array<double, 5> m = raw_moments(d);
    const double expected =
        m[2] + 2.0 * (m[1] - m[2]) * normal_cdf((scores.correct - scores.wrong) / std::sqrt(2.0));
    CHECK(v[1] == doctest::Approx(expected).epsilon(1e-10));
    // When correct and wrong samples score alike, the best-scored one is a uniform pick: E[p].
    for (const double x : verifier_bests(d, kcube::difficulty::Scores{0.5, 0.5}, {3, 17, 400}))
      CHECK(x == doctest::Approx(d.mean()).epsilon(1e-10));
  }
}

TEST_CASE("log_probability keeps its relative accuracy when beta is large") {
  // Reference: boost::math::beta, which forms the ratio of gamma functions without log-gamma
  // differences. A difference of log-gammas near 1.3e7 would be off by about 3e-9.
  const Distribution d = beta_distribution(0.5, 1e6);
  for (const int c : {0, 1, 3, 20}) {
    const double expected =
        boost::math::binomial_coefficient<double>(20, static_cast<unsigned>(c)) *
        boost::math::beta(0.5 + c, 1e6 + 20 - c) / boost::math::beta(0.5, 1e6);
    CAPTURE(c);
    CHECK(std::exp(d.log_probability(c, 20)) == doctest::Approx(expected).epsilon(1e-12));
  }
}
