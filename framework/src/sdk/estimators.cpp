#include "kcube/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "kcube/error.hpp"

namespace kcube {

namespace {

[[noreturn]] void refuse(const char* function, const std::string& what) {
  throw Error(std::string(function) + ": " + what);
}

void check_sample_count(const char* function, std::int64_t n) {
  if (n > kMaxEstimatorSamples)
    refuse(function, "a question with " + std::to_string(n) + " samples is more than the " +
                         std::to_string(kMaxEstimatorSamples) +
                         " an exact estimate handles; split the log");
}

// k counts samples drawn without replacement from the question's n.
void check_draws(const char* function, const char* name, std::int64_t k, std::int64_t k_min,
                 std::int64_t n) {
  if (k < k_min)
    refuse(function, std::string(name) + " = " + std::to_string(k) + " is below " +
                         std::to_string(k_min) + "; give a number of samples from " +
                         std::to_string(k_min) + " to n");
  if (k > n)
    refuse(function, std::string(name) + " = " + std::to_string(k) + " exceeds the question's " +
                         std::to_string(n) +
                         " samples; an exact estimate draws k of the n logged samples without "
                         "replacement, so k <= n (lower k, or leave out questions with fewer "
                         "samples)");
}

void check_correct_count(const char* function, std::int64_t n, std::int64_t c) {
  if (n < 0)
    refuse(function, "n = " + std::to_string(n) + " samples is negative");
  if (c < 0 || c > n)
    refuse(function, "c = " + std::to_string(c) +
                         " correct samples is outside [0, n = " + std::to_string(n) + "]");
  check_sample_count(function, n);
}

double as_double(std::int64_t v) {
  return static_cast<double>(v);  // exact: every count is at most kMaxEstimatorSamples = 2^50
}

// A non-negative number mantissa * 2^exponent, for running products of probability ratios whose
// intermediate values may lie far below the smallest double while later ones do not.
class ScaledValue {
 public:
  explicit ScaledValue(double value) : mantissa_(value) {}

  void multiply(double factor) {
    mantissa_ *= factor;
    if (mantissa_ != 0.0 && (mantissa_ < 0x1p-256 || mantissa_ > 0x1p256)) {
      int shift = 0;
      mantissa_ = std::frexp(mantissa_, &shift);
      exponent_ += shift;
    }
  }

  double value() const {
    // The mantissa lies in [2^-256, 2^256]: below 2^-1400 the value is 0 in a double.
    if (exponent_ < -1400)
      return 0.0;
    return std::ldexp(mantissa_, static_cast<int>(std::min<std::int64_t>(exponent_, 1400)));
  }

 private:
  double mantissa_;
  std::int64_t exponent_ = 0;
};

// The hypergeometric probabilities h(y) = C(s, y) C(S, d - y) / C(S + s, d) that y of d samples
// drawn from S + s come from a group of s, walked along y by ratios from
// y_min = max(0, d - S). The first values, for d = 0..d_max:
//   d <= S: h(0) = C(S, d) / C(S + s, d), and start(d + 1) / start(d) = (S - d) / (S + s - d);
//   d >  S: h(d - S) = C(s, d - S) / C(S + s, d), and start(d + 1) / start(d) = (d + 1) / (d + 1 -
//   S).
std::vector<ScaledValue> hypergeometric_starts(std::int64_t others, std::int64_t size,
                                               std::int64_t d_max) {
  std::vector<ScaledValue> starts(static_cast<std::size_t>(d_max + 1), ScaledValue(1.0));
  ScaledValue start(1.0);
  for (std::int64_t d = 0; d < d_max; ++d) {
    if (d < others)
      start.multiply(as_double(others - d) / as_double(others + size - d));
    else
      start.multiply(as_double(d + 1) / as_double(d + 1 - others));
    starts[static_cast<std::size_t>(d + 1)] = start;
  }
  return starts;
}

// h(y) / h(y - 1) = (d - y + 1) / (S - d + y) * (s - y + 1) / y, for y > y_min.
double hypergeometric_step(std::int64_t others, std::int64_t size, std::int64_t d, std::int64_t y) {
  return as_double(d - y + 1) / as_double(others - d + y) * as_double(size - y + 1) / as_double(y);
}

// The majority-vote tables for one winning count x (estimators.hpp): p[d][t] and q[d][t] with d
// in 0..k_max and t in 0..t_max, row-major.
class WinnerTable {
 public:
  WinnerTable(std::int64_t x, std::int64_t k_max, std::int64_t t_max, std::int64_t pool)
      : x_(x),
        k_max_(k_max),
        width_(t_max + 1),
        drawn_from_(pool),
        p_(static_cast<std::size_t>((k_max + 1) * width_), 0.0),
        q_(p_.size(), 0.0),
        row_p_(static_cast<std::size_t>(width_)),
        row_q_(static_cast<std::size_t>(width_)) {
    // Only the pool so far: any d <= pool draws lie in it, and no group has reached x.
    for (std::int64_t d = 0; d <= std::min(pool, k_max); ++d)
      p_[index(d, 0)] = 1.0;
  }

  // Adds a group of `size` >= x samples to the samples drawn from.
  void add_group(std::int64_t size, bool correct) {
    ++groups_;
    const std::int64_t before = drawn_from_;
    const std::int64_t after = before + size;
    const std::int64_t d_max = std::min(k_max_, after);
    const std::vector<ScaledValue> starts = hypergeometric_starts(before, size, d_max);
    // Descending d: row d reads rows d - y (y >= 1) before they change, and itself (y = 0)
    // through the row buffers.
    for (std::int64_t d = d_max; d >= 0; --d) {
      const std::int64_t y_min = std::max<std::int64_t>(0, d - before);
      const std::int64_t y_max = std::min(x_, d);
      const std::int64_t t_top = std::min({groups_, width_ - 1, d / x_});
      std::fill(row_p_.begin(), row_p_.end(), 0.0);
      std::fill(row_q_.begin(), row_q_.end(), 0.0);
      ScaledValue h = starts[static_cast<std::size_t>(d)];
      for (std::int64_t y = y_min; y <= y_max; ++y) {
        if (y > y_min)
          h.multiply(hypergeometric_step(before, size, d, y));
        const double weight = h.value();
        if (weight == 0.0)
          continue;
        const std::int64_t from = d - y;
        if (y < x_) {
          // At most from / x groups can have x of the `from` samples.
          for (std::int64_t t = 0; t <= std::min(t_top, from / x_); ++t) {
            row_p_[static_cast<std::size_t>(t)] += weight * p_[index(from, t)];
            row_q_[static_cast<std::size_t>(t)] += weight * q_[index(from, t)];
          }
        } else {
          // The group reaches x: one more answer tied at the top, and a correct one among them.
          for (std::int64_t t = 1; t <= t_top; ++t) {
            const double p_from = p_[index(from, t - 1)];
            row_p_[static_cast<std::size_t>(t)] += weight * p_from;
            row_q_[static_cast<std::size_t>(t)] +=
                weight * (q_[index(from, t - 1)] + (correct ? p_from : 0.0));
          }
        }
      }
      std::copy(row_p_.begin(), row_p_.end(), p_.begin() + index(d, 0));
      std::copy(row_q_.begin(), row_q_.end(), q_.begin() + index(d, 0));
    }
    drawn_from_ = after;
  }

  // With every group added: P(the winning count is x and the winner is correct) at k draws,
  // sum_{t >= 1} q[k][t] / t.
  double correct_winner(std::int64_t k) const {
    double sum = 0.0;
    for (std::int64_t t = 1; t < width_; ++t)
      sum += q_[index(k, t)] / as_double(t);
    return sum;
  }

 private:
  std::ptrdiff_t index(std::int64_t d, std::int64_t t) const {
    return static_cast<std::ptrdiff_t>(d * width_ + t);
  }

  std::int64_t x_;
  std::int64_t k_max_;
  std::int64_t width_;
  std::int64_t drawn_from_;
  std::int64_t groups_ = 0;
  std::vector<double> p_;
  std::vector<double> q_;
  std::vector<double> row_p_;
  std::vector<double> row_q_;
};

// Adds P(X > threshold) to curve[k - 1] for k = 1..curve.size(), X the number of samples of a
// group of `size` among k drawn from n.
void add_upper_tail(std::int64_t n, std::int64_t size, std::int64_t threshold,
                    std::vector<double>& curve) {
  const auto k_max = static_cast<std::int64_t>(curve.size());
  const std::int64_t others = n - size;
  const std::vector<ScaledValue> starts = hypergeometric_starts(others, size, k_max);
  for (std::int64_t k = threshold + 1; k <= k_max; ++k) {
    const std::int64_t y_min = std::max<std::int64_t>(0, k - others);
    ScaledValue h = starts[static_cast<std::size_t>(k)];
    double tail = 0.0;
    for (std::int64_t y = y_min; y <= std::min(size, k); ++y) {
      if (y > y_min)
        h.multiply(hypergeometric_step(others, size, k, y));
      if (y > threshold)
        tail += h.value();
    }
    curve[static_cast<std::size_t>(k - 1)] += tail;
  }
}

}  // namespace

double pass_at_k(std::int64_t n, std::int64_t c, std::int64_t k) {
  check_correct_count("pass_at_k", n, c);
  check_draws("pass_at_k", "k", k, 1, n);
  if (c == 0)
    return 0.0;
  if (n - c < k)
    return 1.0;
  // 1 - prod = -expm1(sum log1p(-f)), over the shorter product.
  double log_miss = 0.0;
  if (c <= k) {
    for (std::int64_t i = n - c + 1; i <= n; ++i)
      log_miss += std::log1p(-as_double(k) / as_double(i));
  } else {
    for (std::int64_t j = 0; j < k; ++j)
      log_miss += std::log1p(-as_double(c) / as_double(n - j));
  }
  return -std::expm1(log_miss);
}

void pass_at_k_curve(std::span<const InferenceOutcome> samples, std::span<double> accuracy) {
  const auto correct = std::count_if(samples.begin(), samples.end(),
                                     [](const InferenceOutcome& s) { return s.accuracy > 0.5; });
  const std::vector<double> curve =
      pass_at_k_curve(static_cast<std::int64_t>(samples.size()), correct,
                      static_cast<std::int64_t>(accuracy.size()));
  std::copy(curve.begin(), curve.end(), accuracy.begin());
}

std::vector<double> pass_at_k_curve(std::int64_t n, std::int64_t c, std::int64_t k_max) {
  check_correct_count("pass_at_k_curve", n, c);
  check_draws("pass_at_k_curve", "k_max", k_max, 0, n);
  std::vector<double> curve(static_cast<std::size_t>(k_max), 0.0);
  double log_miss = 0.0;  // log C(n - c, k) / C(n, k) = sum_{j<k} log1p(-c / (n - j))
  for (std::int64_t k = 1; k <= k_max && c > 0; ++k) {
    const std::int64_t j = k - 1;
    log_miss += n - j <= c ? -HUGE_VAL : std::log1p(-as_double(c) / as_double(n - j));
    curve[static_cast<std::size_t>(j)] = -std::expm1(log_miss);
  }
  return curve;
}

std::vector<double> majority_vote_curve(std::span<const AnswerGroup> groups, std::int64_t empty,
                                        std::int64_t k_max) {
  const char* function = "majority_vote_curve";
  if (empty < 0)
    refuse(function, "empty = " + std::to_string(empty) +
                         " samples without an answer is negative; give a count >= 0");
  std::int64_t n = empty;
  std::int64_t largest_correct = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::int64_t size = groups[g].size;
    if (size < 1)
      refuse(function, "answer group " + std::to_string(g) + " has size " + std::to_string(size) +
                           "; every answer group holds at least one sample (leave empty groups "
                           "out)");
    if (size > kMaxEstimatorSamples - n)
      refuse(function, "the question's samples add up to more than the " +
                           std::to_string(kMaxEstimatorSamples) +
                           " an exact estimate handles; split the log");
    n += size;
    if (groups[g].correct)
      largest_correct = std::max(largest_correct, size);
  }
  check_sample_count(function, n);
  check_draws(function, "k_max", k_max, 0, n);

  std::vector<double> curve(static_cast<std::size_t>(k_max), 0.0);
  // Largest groups first, so the groups of size >= x are a prefix for every x.
  std::vector<AnswerGroup> sorted(groups.begin(), groups.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const AnswerGroup& a, const AnswerGroup& b) { return a.size > b.size; });
  // Only a correct group can win correctly, so x runs up to the largest correct group.
  std::int64_t x_max = std::min(k_max, largest_correct);
  // A group larger than every other wins outright with more samples drawn than the runner-up
  // has in all: those winning counts need no table.
  const std::int64_t runner_up = sorted.size() > 1 ? sorted[1].size : 0;
  if (!sorted.empty() && sorted[0].correct && sorted[0].size > runner_up) {
    add_upper_tail(n, sorted[0].size, runner_up, curve);
    x_max = std::min(x_max, runner_up);
  }
  for (std::int64_t x = 1; x <= x_max; ++x) {
    std::int64_t reaching = 0;
    while (reaching < static_cast<std::int64_t>(sorted.size()) &&
           sorted[static_cast<std::size_t>(reaching)].size >= x)
      ++reaching;
    std::int64_t pool = empty;
    for (std::size_t g = static_cast<std::size_t>(reaching); g < sorted.size(); ++g)
      pool += sorted[g].size;
    WinnerTable table(x, k_max, std::min(reaching, k_max / x), pool);
    for (std::int64_t g = 0; g < reaching; ++g)
      table.add_group(sorted[static_cast<std::size_t>(g)].size,
                      sorted[static_cast<std::size_t>(g)].correct);
    for (std::int64_t k = x; k <= k_max; ++k)
      curve[static_cast<std::size_t>(k - 1)] += table.correct_winner(k);
  }
  // A probability: the rounding of the sum (within the stated bound) may pass 1 by an ulp, which
  // the host would refuse from an aggregator (tests/aggregators found 1 + 2^-52 at n = 10).
  for (double& a : curve)
    a = std::min(a, 1.0);
  return curve;
}

std::vector<double> verifier_best_curve(std::span<const ScoredOutcome> samples,
                                        std::int64_t k_max) {
  const char* function = "verifier_best_curve";
  const auto n = static_cast<std::int64_t>(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (std::isnan(samples[i].score))
      refuse(function, "sample " + std::to_string(i) +
                           " has a NaN score; give every sample a number (higher is better)");
  }
  check_sample_count(function, n);
  check_draws(function, "k_max", k_max, 0, n);

  std::vector<ScoredOutcome> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const ScoredOutcome& a, const ScoredOutcome& b) { return a.score < b.score; });
  std::vector<double> curve(static_cast<std::size_t>(k_max), 0.0);
  std::int64_t lower = 0;  // L_g: samples scored strictly below the group
  while (lower < n) {
    std::int64_t end = lower;
    std::int64_t correct = 0;
    while (end < n && sorted[static_cast<std::size_t>(end)].score ==
                          sorted[static_cast<std::size_t>(lower)].score) {
      correct += sorted[static_cast<std::size_t>(end)].correct ? 1 : 0;
      ++end;
    }
    const std::int64_t tied = end - lower;
    if (correct > 0) {
      const double share = as_double(correct) / as_double(tied);
      double at_or_below = 1.0;  // C(L + m, k) / C(n, k) = prod_{j<k} (L + m - j) / (n - j)
      double log_none = 0.0;     // log C(L, k) / C(L + m, k) = sum_{j<k} log1p(-m / (L + m - j))
      for (std::int64_t k = 1; k <= std::min(k_max, end); ++k) {
        const std::int64_t j = k - 1;
        at_or_below *= as_double(end - j) / as_double(n - j);
        if (at_or_below == 0.0)
          break;  // every later term is smaller still
        log_none += end - j <= tied ? -HUGE_VAL : std::log1p(-as_double(tied) / as_double(end - j));
        curve[static_cast<std::size_t>(j)] += share * at_or_below * -std::expm1(log_none);
      }
    }
    lower = end;
  }
  return curve;
}

}  // namespace kcube
