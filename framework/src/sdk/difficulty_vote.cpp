// Majority vote under the difficulty model (kcube/difficulty.hpp):
//
//   MV(k) = sum_{x=1..k} P(X = x | k) H(x, k - x),
//
// where P(X = x | k) = E_p[Bin(x; k, p)] (CorrectCounts) and H(x, n) is the probability that x
// correct votes win the plurality against n wrong samples spread over the W wrong answers with
// shares w_j, ties between the leaders split uniformly:
//
//   H(x, n) = sum_t P(every wrong count <= x, exactly t of them = x) / (1 + t),  H(0, n) = 0.
//
// H does not depend on p, so no quadrature over p is needed at all. For W = 1, H is 1 when x > n,
// 1/2 when x = n, 0 when x < n; at odd k, MV(k) = E[I_p((k + 1) / 2, (k + 1) / 2)], with I the
// regularized incomplete beta function (Chen et al. 2024, "Are More LLM Calls All You Need?").
//
// For W > 1, H(x, n) for every n at once comes from a dynamic program over the wrong answers,
// run backwards: answer j takes c ~ Bin(r, q_j) of the r samples the answers before it left,
// q_j = w_j / (w_j + ... + w_W), and V_j(r) is the tie-weighted probability that answers j..W
// stay at or below x. The tie weight 1 / (1 + t) is the integral of u^t over [0, 1], so a
// sample count of exactly x multiplies by u, and Gauss-Legendre nodes in u (exact for the
// polynomial of degree t <= W) replace the count of ties in the state:
//
//   V_j(r; u) = sum_{c <= x} Bin(c; r, q_j) [c == x ? u : 1] V_{j+1}(r - c; u),
//   V_W(r; u) = [r < x] + u [r == x],   H(x, n) = sum_i weight_i V_1(n; u_i).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>
#include <vector>

#include "kcube/difficulty.hpp"
#include "sdk/difficulty_internal.hpp"

namespace kcube::difficulty {

namespace {

using detail::CorrectCounts;
using detail::LogFactorials;

// Binomial probabilities below this share of their row's largest are left out: the tail beyond
// decays faster than geometrically, so a row loses a few times 1e-24 of mass, each multiplied by
// a probability <= 1; over W steps and the sum over x, MV loses less than 1e-18.
constexpr double kNegligible = 1e-24;

// Exact majority vote sums over all counts of correct samples; beyond this many samples per
// request the work (quadratic in k for W = 1) is not worth it.
constexpr int kMaxVoteSamples = 1 << 17;

// Gauss-Legendre nodes and weights on [0, 1]: sum_i weight_i f(u_i) = integral of f over [0, 1]
// exactly for polynomials f of degree < 2 m.
struct LegendreRule {
  std::vector<double> node;
  std::vector<double> weight;
};

LegendreRule legendre_rule(int m) {
  LegendreRule rule;
  for (int i = 0; i < m; ++i) {
    // Newton's method on P_m from the usual asymptotic guess of its i-th root.
    double z = std::cos(std::numbers::pi * (i + 0.75) / (m + 0.5));
    double derivative = 1.0;
    for (int iteration = 0; iteration < 100; ++iteration) {
      double p_prev = 1.0;  // P_{l-1}(z)
      double p = z;         // P_l(z), l = 1
      for (int l = 2; l <= m; ++l) {
        const double next = ((2.0 * l - 1.0) * z * p - (l - 1.0) * p_prev) / l;
        p_prev = p;
        p = next;
      }
      derivative = m * (z * p - p_prev) / (z * z - 1.0);
      const double step = p / derivative;
      z -= step;
      if (std::abs(step) < 1e-16)
        break;
    }
    // From [-1, 1] to [0, 1]: u = (1 + z) / 2, and the weight 2 / ((1 - z^2) P_m'(z)^2) halves.
    rule.node.push_back(0.5 * (1.0 + z));
    rule.weight.push_back(1.0 / ((1.0 - z * z) * derivative * derivative));
  }
  return rule;
}

// The binomial probabilities Bin(c; r, q) for r = 0..r_max, each row kept only where it is at
// least kNegligible times its largest value (a window of about 20 standard deviations around
// the mode), stored from the highest c down so that the dynamic program's sums run forwards in
// memory through both the row and V_{j+1}.
class BinomialRows {
 public:
  BinomialRows(double q, int r_max, const LogFactorials& log_factorial)
      : low_(static_cast<std::size_t>(r_max) + 1), high_(low_.size()), offset_(low_.size() + 1) {
    std::vector<double> down;  // row values from the mode downwards
    std::vector<double> up;    // and upwards
    for (int r = 0; r <= r_max; ++r) {
      const auto ri = static_cast<std::size_t>(r);
      offset_[ri] = values_.size();
      if (q <= 0.0 || q >= 1.0) {  // one certain count: 0 or r
        low_[ri] = high_[ri] = q <= 0.0 ? 0 : r;
        values_.push_back(1.0);
        continue;
      }
      const int mode = std::min(r, static_cast<int>(std::floor((r + 1) * q)));
      const double peak = std::exp(detail::log_binomial(log_factorial, mode, r, q));
      const double odds = q / (1.0 - q);
      up.assign(1, peak);
      for (int c = mode; c < r && up.back() >= kNegligible * peak; ++c)
        up.push_back(up.back() * odds * (r - c) / (c + 1.0));  // Bin(c + 1) / Bin(c)
      down.assign(1, peak);
      for (int c = mode; c > 0 && down.back() >= kNegligible * peak; --c)
        down.push_back(down.back() / odds * c / (r - c + 1.0));  // Bin(c - 1) / Bin(c)
      high_[ri] = mode + static_cast<int>(up.size()) - 1;
      low_[ri] = mode - static_cast<int>(down.size()) + 1;
      values_.insert(values_.end(), up.rbegin(), up.rend());
      values_.insert(values_.end(), down.begin() + 1, down.end());
    }
    offset_.back() = values_.size();
  }

  int low(int r) const { return low_[static_cast<std::size_t>(r)]; }
  int high(int r) const { return high_[static_cast<std::size_t>(r)]; }
  /// Bin(c; r, q) for low(r) <= c <= high(r).
  double at(int r, int c) const { return descending(r)[high(r) - c]; }
  /// The row from c = high(r) down to low(r).
  const double* descending(int r) const {
    return values_.data() + offset_[static_cast<std::size_t>(r)];
  }

 private:
  std::vector<int> low_;
  std::vector<int> high_;
  std::vector<std::size_t> offset_;
  std::vector<double> values_;
};

// sum_{i < length} a[i] b[i], four partial sums for instruction-level parallelism.
double dot(const double* a, const double* b, int length) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  int i = 0;
  for (; i + 4 <= length; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < length; ++i)
    s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// H(x, n) for n = 0..n_max with W > 1 wrong answers (the file comment's dynamic program).
class WinProbabilities {
 public:
  WinProbabilities(const std::vector<double>& shares, int n_max, const LogFactorials& log_factorial)
      : answers_(static_cast<int>(shares.size())) {
    // q_j = w_j / (w_j + ... + w_W) for j < W, the tails summed from the smallest share up.
    std::vector<double> tail(shares.size() + 1, 0.0);
    for (std::size_t j = shares.size(); j-- > 0;)
      tail[j] = tail[j + 1] + shares[j];
    for (std::size_t j = 0; j + 1 < shares.size(); ++j) {
      // A share that underflowed to 0 (a huge skew) leaves a tail of 0: that answer gets no vote.
      const double q = tail[j] > 0.0 ? std::min(1.0, shares[j] / tail[j]) : 0.0;
      rows_.emplace_back(q, n_max, log_factorial);
    }
  }

  // Fills h[n] = H(x, n) for n = 0..h.size() - 1, x >= 1.
  void compute(int x, std::vector<double>& h) {
    const int n_max = static_cast<int>(h.size()) - 1;
    // With more than W x wrong samples some wrong answer has more than x votes.
    const int n_top = std::min(n_max, answers_ * x);
    std::fill(h.begin(), h.end(), 0.0);
    std::fill(h.begin(), h.begin() + std::min(x, n_max + 1), 1.0);  // n < x: the correct wins
    if (n_top < x)
      return;
    // At most n_top / x wrong answers can tie at x: the rule needs 2 m - 1 >= that degree.
    const int max_ties = std::min(answers_, n_top / x);
    const LegendreRule& rule = legendre(max_ties / 2 + 1);
    const auto nodes = rule.node.size();
    const auto stride = static_cast<std::size_t>(n_top) + 1;
    next_.assign(nodes * stride, 0.0);
    current_.assign(nodes * stride, 0.0);
    // The last answer takes every remaining sample: V_W(r; u) = [r < x] + u [r == x].
    for (std::size_t i = 0; i < nodes; ++i) {
      double* v = next_.data() + i * stride;
      std::fill(v, v + x, 1.0);
      v[x] = rule.node[i];
    }
    for (int j = answers_ - 2; j >= 0; --j) {
      const BinomialRows& row = rows_[static_cast<std::size_t>(j)];
      const int capacity_after = (answers_ - 1 - j) * x;  // answers j+1..W hold at most this
      const int r_high = std::min(n_top, capacity_after + x);
      for (std::size_t i = 0; i < nodes; ++i)
        std::fill(current_.data() + i * stride, current_.data() + i * stride + x, 1.0);
      for (int r = x; r <= r_high; ++r) {
        const int low = std::max(row.low(r), r - capacity_after);
        const int high = std::min(row.high(r), x);
        const int below = std::min(high, x - 1);  // counts c < x weigh 1, c = x weighs u
        for (std::size_t i = 0; i < nodes; ++i) {
          const double* v = next_.data() + i * stride;
          double sum = 0.0;
          if (below >= low)
            sum = dot(row.descending(r) + (row.high(r) - below), v + (r - below), below - low + 1);
          if (high == x && low <= x)
            sum += rule.node[i] * row.at(r, x) * v[r - x];
          current_[i * stride + static_cast<std::size_t>(r)] = sum;
        }
      }
      std::swap(current_, next_);
    }
    for (int n = x; n <= n_top; ++n) {
      double sum = 0.0;
      for (std::size_t i = 0; i < nodes; ++i)
        sum += rule.weight[i] * next_[i * stride + static_cast<std::size_t>(n)];
      h[static_cast<std::size_t>(n)] = sum;
    }
  }

 private:
  const LegendreRule& legendre(int m) {
    const auto index = static_cast<std::size_t>(m);
    if (rules_.size() <= index)
      rules_.resize(index + 1);
    if (rules_[index].node.empty())
      rules_[index] = legendre_rule(m);
    return rules_[index];
  }

  int answers_;
  std::vector<BinomialRows> rows_;  // answers 1..W-1; the last takes what is left
  std::vector<LegendreRule> rules_;
  std::vector<double> next_;     // V_{j+1}(r; u_i) at [i * stride + r]
  std::vector<double> current_;  // V_j
};

}  // namespace

void majority_vote(const Distribution& d, const WrongAnswers& wrong, std::span<const int> ks,
                   std::span<double> out) {
  d.validate();
  wrong.validate();
  detail::check_ks("majority_vote", ks, out);
  if (ks.empty())
    return;
  const int k_max = *std::max_element(ks.begin(), ks.end());
  if (k_max > kMaxVoteSamples)
    detail::refuse("majority_vote: k = " + std::to_string(k_max) + " is more than the " +
                   std::to_string(kMaxVoteSamples) +
                   " samples the exact sum over vote counts handles; ask for smaller k");
  const CorrectCounts counts(d, k_max);
  if (wrong.count == 1) {
    // H(x, k - x) = 1 for x > k / 2 and 1/2 for the tie x = k / 2 at even k. With ties split,
    // an even k = 2m gives exactly what k = 2m - 1 gives (the 2m-th vote breaks a 2m - 1 vote
    // result only into a tie, worth one half either way), so even k is evaluated at k - 1: the
    // two sums agree mathematically, but rounded separately they differed in the last bit, and
    // accuracy-max then picked the even k for nothing.
    for (std::size_t i = 0; i < ks.size(); ++i) {
      const int k = ks[i] % 2 == 0 ? ks[i] - 1 : ks[i];
      double sum = 0.0;
      for (int x = k / 2 + 1; x <= k; ++x)
        sum += counts.probability(x, k);
      out[i] = detail::clamp_probability(sum);  // a sum of probabilities can round past 1
    }
    return;
  }
  // One pass over x shares H(x, .) between every k.
  const LogFactorials log_factorial(k_max);
  WinProbabilities win(wrong.shares(), k_max, log_factorial);
  std::fill(out.begin(), out.end(), 0.0);
  std::vector<double> h;
  for (int x = 1; x <= k_max; ++x) {
    h.resize(static_cast<std::size_t>(k_max - x) + 1);
    win.compute(x, h);
    for (std::size_t i = 0; i < ks.size(); ++i)
      if (ks[i] >= x)
        out[i] += counts.probability(x, ks[i]) * h[static_cast<std::size_t>(ks[i] - x)];
  }
  for (double& v : out)
    v = detail::clamp_probability(v);  // a sum of probabilities can round past 1
}

}  // namespace kcube::difficulty
