#include "fit/model_fit.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include "fit/nelder_mead.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::fit {

namespace {

using difficulty::Distribution;

// The box of the unconstrained coordinates: exp(+-15) spans 3e-7 to 3e6 for alpha and beta, and
// a logit of +-30 puts a probability within 1e-13 of 0 or 1, which is "at the boundary" for every
// count a log can have. Outside it the objective is +infinity.
constexpr double kLogBound = 15.0;
constexpr double kLogitBound = 30.0;
// A natural parameter this close to a boundary of its range has no standard error: the
// likelihood's maximum is on the boundary, where the information matrix says nothing.
constexpr double kBoundaryGap = 1e-6;

double logistic(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double logit(double p) {
  return std::log(p / (1.0 - p));
}

// The distinct (correct, samples) pairs with how many questions have each: the likelihood costs
// one log_probability per pair (21 pairs for 1,000 questions of 20 samples).
struct Pair {
  int correct;
  int samples;
  double questions;
};

std::vector<Pair> distinct_pairs(std::span<const QuestionCounts> counts) {
  if (counts.empty())
    throw Error("cannot fit the difficulty model: the log has no questions");
  std::map<std::pair<int, int>, double> tally;
  for (const QuestionCounts& q : counts) {
    if (q.samples < 1 || q.correct < 0 || q.correct > q.samples) {
      throw Error("cannot fit the difficulty model: a question has " + std::to_string(q.correct) +
                  " correct of " + std::to_string(q.samples) +
                  " samples; counts must satisfy 0 <= correct <= samples and samples >= 1");
    }
    tally[{q.correct, q.samples}] += 1.0;
  }
  std::vector<Pair> pairs;
  for (const auto& [key, questions] : tally)
    pairs.push_back({key.first, key.second, questions});
  return pairs;
}

double log_likelihood(const Distribution& d, const std::vector<Pair>& pairs) {
  double sum = 0.0;
  for (const Pair& p : pairs)
    sum += p.questions * d.log_probability(p.correct, p.samples);
  return sum;
}

// The natural parameters of each kind, in the order of ParameterEstimate.
std::vector<std::string> parameter_names(ModelKind kind) {
  switch (kind) {
    case ModelKind::beta:
      return {"alpha", "beta"};
    case ModelKind::beta_p_zero:
      return {"alpha", "beta", "p_zero"};
    case ModelKind::two_point:
      return {"p_easy", "p_hard", "easy_share"};
  }
  return {};
}

// Whether natural parameter i of `kind` is a probability (else a positive shape).
bool is_probability(ModelKind kind, std::size_t i) {
  return kind == ModelKind::two_point || (kind == ModelKind::beta_p_zero && i == 2);
}

Distribution from_natural(ModelKind kind, std::span<const double> theta) {
  Distribution d;
  if (kind == ModelKind::two_point) {
    d.kind = Distribution::Kind::two_point;
    d.p_easy = theta[0];
    d.p_hard = theta[1];
    d.easy_share = theta[2];
  } else {
    d.kind = Distribution::Kind::beta;
    d.alpha = theta[0];
    d.beta = theta[1];
    d.p_zero = kind == ModelKind::beta_p_zero ? theta[2] : 0.0;
  }
  return d;
}

std::vector<double> to_natural(ModelKind kind, std::span<const double> x) {
  std::vector<double> theta(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    theta[i] = is_probability(kind, i) ? logistic(x[i]) : std::exp(x[i]);
  return theta;
}

std::vector<double> to_unconstrained(ModelKind kind, std::span<const double> theta) {
  std::vector<double> x(theta.size());
  for (std::size_t i = 0; i < theta.size(); ++i) {
    x[i] = is_probability(kind, i) ? std::clamp(logit(std::clamp(theta[i], 1e-9, 1.0 - 1e-9)),
                                                -kLogitBound, kLogitBound)
                                   : std::clamp(std::log(theta[i]), -kLogBound, kLogBound);
  }
  return x;
}

// Starting points in natural parameters: the method of moments on the per-question proportions
// and a few shapes far from it, so that one bad basin does not decide the fit.
std::vector<std::vector<double>> starts(ModelKind kind, std::span<const QuestionCounts> counts) {
  double mean = 0.0;
  double zeros = 0.0;
  for (const QuestionCounts& q : counts) {
    mean += static_cast<double>(q.correct) / q.samples;
    zeros += q.correct == 0 ? 1.0 : 0.0;
  }
  const double questions = static_cast<double>(counts.size());
  mean /= questions;
  zeros /= questions;
  double variance = 0.0;
  for (const QuestionCounts& q : counts) {
    const double r = static_cast<double>(q.correct) / q.samples;
    variance += (r - mean) * (r - mean) / questions;
  }
  const double m = std::clamp(mean, 0.01, 0.99);
  // Beta moments: var = m (1 - m) / (a + b + 1).
  const double total =
      variance > 0.0 && variance < m * (1.0 - m) ? m * (1.0 - m) / variance - 1.0 : 2.0;
  const double a = std::clamp(m * total, 0.01, 100.0);
  const double b = std::clamp((1.0 - m) * total, 0.01, 100.0);
  switch (kind) {
    case ModelKind::beta:
      return {{a, b}, {0.5, 0.5}, {1.0, 1.0}, {0.2, 2.0}, {2.0, 0.2}};
    case ModelKind::beta_p_zero: {
      const double p0 = std::clamp(0.5 * zeros, 0.01, 0.9);
      return {{a, b, p0}, {0.5, 0.5, p0}, {1.0, 1.0, 0.05}, {2.0, 2.0, std::max(zeros, 0.01)}};
    }
    case ModelKind::two_point:
      return {{0.9, 0.1, 0.5}, {0.8, 0.3, m}, {0.95, 0.02, m}, {0.6, 0.05, 0.3}};
  }
  return {};
}

// The symmetric matrix `h` (n x n, row-major) inverted by Cholesky; empty when it is not
// positive definite (to a relative 1e-12 on the pivots).
std::vector<double> invert_positive_definite(std::vector<double> h, std::size_t n) {
  std::vector<double> l(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    double d = h[j * n + j];
    for (std::size_t k = 0; k < j; ++k)
      d -= l[j * n + k] * l[j * n + k];
    if (!(d > 1e-12 * std::abs(h[j * n + j])) || !std::isfinite(d))
      return {};
    l[j * n + j] = std::sqrt(d);
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = h[i * n + j];
      for (std::size_t k = 0; k < j; ++k)
        s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / l[j * n + j];
    }
  }
  // inverse = L^-T L^-1, column by column from L y = e_c, L^T x = y.
  std::vector<double> inverse(n * n, 0.0);
  for (std::size_t c = 0; c < n; ++c) {
    std::vector<double> y(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double s = i == c ? 1.0 : 0.0;
      for (std::size_t k = 0; k < i; ++k)
        s -= l[i * n + k] * y[k];
      y[i] = s / l[i * n + i];
    }
    for (std::size_t ii = n; ii-- > 0;) {
      double s = y[ii];
      for (std::size_t k = ii + 1; k < n; ++k)
        s -= l[k * n + ii] * inverse[k * n + c];
      inverse[ii * n + c] = s / l[ii * n + ii];
    }
  }
  return inverse;
}

// The central-difference Hessian of `f` at `theta` over the coordinates `free` (row-major,
// free.size() squared). Steps of 1e-4 relative (truncation error ~1e-8 relative, rounding
// ~1e-12 |f| / h^2), kept inside (0, 1) for probabilities.
std::vector<double> hessian(const std::function<double(const std::vector<double>&)>& f,
                            const std::vector<double>& theta, const std::vector<std::size_t>& free,
                            ModelKind kind) {
  std::vector<double> step(theta.size(), 0.0);
  for (std::size_t i : free) {
    double h = 1e-4 * std::max(std::abs(theta[i]), 1e-3);
    if (is_probability(kind, i))
      h = std::min(h, 0.5 * std::min(theta[i], 1.0 - theta[i]));
    step[i] = h;
  }
  const double f0 = f(theta);
  const std::size_t n = free.size();
  std::vector<double> h(n * n, 0.0);
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a; b < n; ++b) {
      const std::size_t i = free[a];
      const std::size_t j = free[b];
      auto at = [&](double si, double sj) {
        std::vector<double> t = theta;
        t[i] += si * step[i];
        t[j] += sj * step[j];
        return f(t);
      };
      // i == j: at(s, s) moves parameter i by 2 s steps, so +-1/2 is one step.
      const double value =
          i == j ? (at(0.5, 0.5) - 2.0 * f0 + at(-0.5, -0.5)) / (step[i] * step[i])
                 : (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * step[i] * step[j]);
      h[a * n + b] = value;
      h[b * n + a] = value;
    }
  }
  return h;
}

// Standard errors of the parameters not at a boundary, from the Hessian of the negative
// log-likelihood in the natural parameters (the others held at their estimates), inverted.
void add_standard_errors(CandidateFit& fit, const std::vector<Pair>& pairs) {
  std::vector<double> theta;
  for (const ParameterEstimate& p : fit.parameters)
    theta.push_back(p.value);
  std::vector<std::size_t> free;
  std::string at_boundary;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    const bool boundary =
        is_probability(fit.kind, i)
            ? theta[i] < kBoundaryGap || theta[i] > 1.0 - kBoundaryGap
            : theta[i] < std::exp(-kLogBound + 1.0) || theta[i] > std::exp(kLogBound - 1.0);
    if (!boundary)
      free.push_back(i);
    else
      at_boundary += (at_boundary.empty() ? "" : ", ") + fit.parameters[i].name + " = " +
                     text::format_real(fit.parameters[i].value);
  }
  std::string note;
  if (!at_boundary.empty()) {
    note = "at the boundary of its range (" + at_boundary +
           "): no standard error there, the likelihood's maximum is on the boundary";
    if (!free.empty())
      note += "; the others' are conditional on it";
  }
  fit.standard_error_note = note;
  if (free.empty())
    return;
  auto f = [&](const std::vector<double>& t) {
    return -log_likelihood(from_natural(fit.kind, t), pairs);
  };
  const std::size_t n = free.size();
  const std::vector<double> covariance =
      invert_positive_definite(hessian(f, theta, free, fit.kind), n);
  if (covariance.empty()) {
    fit.standard_error_note =
        (note.empty() ? "" : note + "; ") +
        "the observed information matrix is singular (or not positive definite) at the "
        "estimate: no standard errors (the data cannot tell some parameters apart)";
    return;
  }
  for (std::size_t a = 0; a < n; ++a)
    fit.parameters[free[a]].standard_error = std::sqrt(covariance[a * n + a]);
}

}  // namespace

std::string_view to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::beta:
      return "beta";
    case ModelKind::beta_p_zero:
      return "beta+p_zero";
    case ModelKind::two_point:
      return "two-point";
  }
  return "";
}

CandidateFit fit_candidate(ModelKind kind, std::span<const QuestionCounts> counts,
                           bool standard_errors) {
  const std::vector<Pair> pairs = distinct_pairs(counts);
  auto objective = [&](std::span<const double> x) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double bound = is_probability(kind, i) ? kLogitBound : kLogBound;
      if (!(std::abs(x[i]) <= bound))
        return std::numeric_limits<double>::infinity();
    }
    const double ll = log_likelihood(from_natural(kind, to_natural(kind, x)), pairs);
    return std::isnan(ll) ? std::numeric_limits<double>::infinity() : -ll;
  };
  NelderMeadResult best;
  best.value = std::numeric_limits<double>::infinity();
  for (const auto& start : starts(kind, counts)) {
    NelderMeadResult r = minimize(objective, to_unconstrained(kind, start));
    if (r.value < best.value)
      best = std::move(r);
  }
  std::vector<double> theta = to_natural(kind, best.x);
  // Two-point: name the larger probability p_easy (the likelihood is symmetric under the swap).
  if (kind == ModelKind::two_point && theta[0] < theta[1]) {
    std::swap(theta[0], theta[1]);
    theta[2] = 1.0 - theta[2];
  }
  CandidateFit fit;
  fit.kind = kind;
  fit.distribution = from_natural(kind, theta);
  const std::vector<std::string> names = parameter_names(kind);
  for (std::size_t i = 0; i < names.size(); ++i)
    fit.parameters.push_back({names[i], theta[i], std::nullopt});
  fit.log_likelihood = -best.value;
  fit.aic = 2.0 * static_cast<double>(names.size()) + 2.0 * best.value;
  fit.converged = best.converged;
  if (standard_errors)
    add_standard_errors(fit, pairs);
  return fit;
}

std::vector<CandidateFit> fit_candidates(std::span<const QuestionCounts> counts) {
  return {fit_candidate(ModelKind::beta, counts), fit_candidate(ModelKind::beta_p_zero, counts),
          fit_candidate(ModelKind::two_point, counts)};
}

std::size_t best_by_aic(std::span<const CandidateFit> candidates) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < candidates.size(); ++i)
    if (candidates[i].aic < candidates[best].aic)
      best = i;
  return best;
}

}  // namespace kcube::fit
