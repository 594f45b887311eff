#include "fit/wrong_answers.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace kcube::fit {

namespace {

// The largest skew searched: answer 2 then has 2^-50 of answer 1's probability, i.e. all wrong
// samples of a question agree.
constexpr double kMaxSkew = 50.0;

// log-likelihood(skew) = sum_r M_r (-skew log r) - M log H(W, skew), where M_r is the total count
// at rank r and M their sum, H(W, skew) = sum_{j<=W} j^(-skew).
double log_likelihood(const std::vector<double>& rank_totals, int w, double skew) {
  double h = 0.0;
  for (int j = 1; j <= w; ++j)
    h += std::pow(static_cast<double>(j), -skew);
  double sum = 0.0;
  double total = 0.0;
  for (std::size_t r = 0; r < rank_totals.size(); ++r) {
    sum -= rank_totals[r] * skew * std::log(static_cast<double>(r + 1));
    total += rank_totals[r];
  }
  return sum - total * std::log(h);
}

// The maximum of a concave function on [lo, hi] by golden-section search (the log-likelihood in
// skew is concave: -log H is concave, being minus a log-sum-exp of linear functions of skew).
double golden_max(const std::function<double(double)>& f, double lo, double hi) {
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = lo;
  double b = hi;
  double c = b - ratio * (b - a);
  double d = a + ratio * (b - a);
  double fc = f(c);
  double fd = f(d);
  while (b - a > 1e-10) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  const double x = (a + b) / 2.0;
  // The ends are candidates too: the maximum of a monotone function is at one of them.
  if (f(lo) >= f(x))
    return lo;
  return x;
}

}  // namespace

WrongAnswerFit fit_wrong_answers(std::span<const std::vector<std::int64_t>> ranked_counts) {
  WrongAnswerFit fit;
  std::vector<double> rank_totals;
  for (const auto& question : ranked_counts) {
    std::vector<std::int64_t> counts;
    for (std::int64_t c : question)
      if (c > 0)
        counts.push_back(c);
    if (counts.empty())
      continue;
    std::sort(counts.rbegin(), counts.rend());
    if (rank_totals.size() < counts.size())
      rank_totals.resize(counts.size(), 0.0);
    for (std::size_t r = 0; r < counts.size(); ++r) {
      rank_totals[r] += static_cast<double>(counts[r]);
      fit.wrong_samples += counts[r];
    }
    ++fit.questions;
  }
  if (rank_totals.size() <= 1) {
    // One rank (or none): W = 1, where skew has no effect.
    return fit;
  }
  const int w = static_cast<int>(rank_totals.size());
  auto f = [&](double skew) { return log_likelihood(rank_totals, w, skew); };
  const double skew = golden_max(f, 0.0, kMaxSkew);
  fit.wrong.count = w;
  fit.wrong.skew = skew;
  if (skew > 1e-6 && skew < kMaxSkew - 1e-6) {
    const double h = 1e-4 * std::max(skew, 1e-2);
    const double curvature = -(f(skew + h) - 2.0 * f(skew) + f(skew - h)) / (h * h);
    if (curvature > 0.0)
      fit.skew_standard_error = 1.0 / std::sqrt(curvature);
  }
  return fit;
}

}  // namespace kcube::fit
