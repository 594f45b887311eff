// Exact (noise-free) evaluation: expected cost, latency and best-of-k accuracy from a profile's
// analytic description of one inference.
//
// E[best-of-k accuracy]. Best-of-k keeps M = max of k i.i.d. accuracies A_i in [0, 1], and for a
// variable in [0, 1], E[M] = integral_0^1 P(M > y) dy with P(M > y) = 1 - F(y)^k, so
//   E[M] = integral_0^1 (1 - F(y)^k) dy.
// For large k or a narrow F the integrand is a steep front (width ~ acc_std / sqrt(2 ln k)), and
// F may jump (atoms; acc_std = 0). So [0, 1] is cut at the profile's breakpoints and at the
// points where F(y)^k crosses 1e-15, 1e-3, 0.5 and 0.999, found by bisection on F (monotone, so
// bisection is as sure at a jump as on a smooth stretch) to one ulp. The pieces are integrated by
// globally adaptive Gauss-Kronrod (G15/K31, as QUADPACK's QAG): the panel with the largest error
// estimate is halved until the estimates sum to at most 5e-13.
//
// Error bound, for any k:
//   quadrature   sum of |K31 - G15| <= 5e-13. |K - G| estimates the error of the 15-point Gauss
//                rule; the 31-point Kronrod value returned is far more accurate on smooth pieces.
//   jumps        a cut lands within one ulp (<= 1.1e-16) of a jump of F, and a panel narrower
//                than 2^-50 is not halved (reached only at a jump that no cut caught); as
//                0 <= 1 - F^k <= 1, each adds at most its width, <= 8.9e-16.
//   total        < 1e-12, unless refinement stops at kMaxSplits, which takes an F with hundreds
//                of jumps that neither the breakpoints nor the cuts locate.
// One floor lies outside the integrator: F(y) is a double, so near 1 it carries an absolute
// rounding error up to 2^-54, which F^k amplifies to a relative error up to k 2^-54. That adds at
// most k 2^-54 integral_0^1 F^k 1{F < 1} dy <= k 5.6e-17: below 1e-12 for k <= 18000 whatever F,
// and for a Gaussian about k 2^-54 4 acc_std (F < 1 in double over a few acc_std), e.g. 1.1e-11
// at k = 10^6, acc_std = 0.05 (measured: 5.6e-13). Only a survival function 1 - F from the
// profile could remove it.
//
// Verified in tests/profiles against k / (k + 1) (uniform F, k <= 10^6: errors ~1e-16), point
// masses with and without a breakpoint, and an independent Simpson integral of 1 - F^k formed as
// -expm1(k log1p(-Q)) (the nine paper profiles at k <= 1024: errors <= 2.2e-16). Cost: ~300
// evaluations of F per k (4 bisections of ~55 steps, a few panels of 31 nodes), 20-50 us.
#include "engine/exact.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "kcube/error.hpp"
#include "kcube/quadrature.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

/// Levels of F(y)^k at which [0, 1] is cut: the front of 1 - F^k from 1 down to 0.
constexpr double kCutLevels[] = {1e-15, 1e-3, 0.5, 0.999};
/// Largest sum of the panels' error estimates |K - G|.
constexpr double kTolerance = 5e-13;
/// Panels this narrow are not halved (only reached at a jump that no cut caught).
constexpr double kMinWidth = 0x1.0p-50;
/// Most halvings per integral: far beyond what a piecewise smooth F needs (tens).
constexpr int kMaxSplits = 4000;
/// Width to which a cut near 0 is located by bisection (elsewhere: one ulp).
constexpr double kCutWidth = 0x1.0p-60;

/// The smallest y in [0, 1] with F(y) >= target, to within one ulp of y or kCutWidth, whichever
/// is larger (F(1) = 1 >= target). Bisection needs only monotonicity, so it is as sure at a jump
/// as on a smooth stretch.
double smallest_reaching(const CheckedProfile& profile, double target) {
  const auto cdf = [&profile](double y) { return profile.accuracy_cdf(y); };
  if (cdf(0.0) >= target)
    return 0.0;
  double lo = 0.0;  // F(lo) < target
  double hi = 1.0;  // F(hi) >= target
  // Until lo and hi are neighbours in double (or within kCutWidth near 0): at most ~60 steps.
  while (true) {
    const double mid = lo + 0.5 * (hi - lo);
    if (!(mid > lo && mid < hi) || hi - lo <= kCutWidth)
      break;
    (cdf(mid) >= target ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

double expected_best_of_k(const CheckedProfile& profile, int k) {
  assert(k >= 1 && "k counts samples; the k grid starts at k_step >= 1");
  profile.require_exact();
  const auto cdf = [&profile](double y) { return profile.accuracy_cdf(y); };
  // Every accuracy is <= 1, so F(1) = 1; a profile that rounds it to 1 - 1e-16 is forgiven.
  if (const double top = cdf(1.0); top < 1.0 - 1e-12) {
    throw RuntimeFailure(profile.who() + " returned accuracy_cdf(1) = " + text::format_real(top) +
                         ", but accuracies are at most 1, so it must be 1");
  }

  const double power = static_cast<double>(k);
  std::vector<double> cuts{0.0, 1.0};
  // Breakpoints are hints: anything outside [0, 1] (or NaN) is of no use and is dropped.
  for (const double y : profile.accuracy_breakpoints()) {
    if (y > 0.0 && y < 1.0)
      cuts.push_back(y);
  }
  // F(y)^k >= level  <=>  F(y) >= level^(1/k).
  for (const double level : kCutLevels)
    cuts.push_back(smallest_reaching(profile, std::pow(level, 1.0 / power)));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  const auto tail = [&](double y) { return 1.0 - std::pow(cdf(y), power); };  // P(M > y)
  const double sum = integrate_adaptive(
      tail, cuts,
      {.absolute = kTolerance, .relative = 0.0, .max_splits = kMaxSplits, .min_width = kMinWidth});
  // The true value lies in [0, 1]; the quadrature may overshoot by rounding (e.g. 1 + 1e-16).
  return std::clamp(sum, 0.0, 1.0);
}

namespace {

// Refuses the max-wave latency model, which has no closed form.
void require_mean_wave(const Deployment& deployment) {
  if (deployment.latency_model == LatencyModel::max_wave) {
    throw Error(
        "the max-wave latency model (the slowest inference of each wave) has no closed form "
        "here; use the Monte Carlo evaluator (evaluator: monte-carlo) or latency_model: "
        "mean-wave");
  }
  assert(deployment.parallelism >= 1 && "the scenario's schema keeps parallelism >= 1");
}

// The table on the deployment's grid with cost billed as deployment.billing.request_cost(k,
// input, cost) (k c per sample; inputs_billed(k) c_in + k (c - c_in) otherwise, c_in = `input`
// the input part of c), latency (k / P) t and accuracy(k); `label` names the profile when the
// cost or (k / P) t overflow.
template <class Accuracy>
CandidateTable table_of(const std::string& label, double input, double cost, double latency,
                        const Deployment& deployment, Accuracy&& accuracy) {
  const double parallelism = static_cast<double>(deployment.parallelism);
  CandidateTable table;
  const std::vector<int> grid = deployment.k_grid();
  table.rows.reserve(grid.size());
  for (const int k : grid) {
    const double samples = static_cast<double>(k);
    const Candidate row{k, deployment.billing.request_cost(k, input, cost),
                        samples / parallelism * latency, accuracy(k)};
    if (!std::isfinite(row.cost) || !std::isfinite(row.latency)) {
      throw RuntimeFailure(
          label + ": the expected " + (std::isfinite(row.cost) ? "latency" : "cost") +
          " at k = " + std::to_string(k) + " overflows (" + text::format_real(cost) + " USD and " +
          text::format_real(latency) + " s per inference); this is a bug in the profile plugin");
    }
    table.rows.push_back(row);
  }
  return table;
}

// A logged profile: per question, the aggregator's mean over every k-subset of its samples
// (question_expectation()); then the mean over the questions, each with weight 1. Cost and
// latency: k times each question's mean, averaged the same way; with billing other than per
// sample, a question's cost at k is inputs_billed(k) x its mean input cost + k x its mean output
// cost, which is linear in the means, so it is billed once from their averages.
CandidateTable logged_candidates(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                                 const QuestionLog& log, const Deployment& deployment,
                                 std::vector<std::string>& notes) {
  const std::vector<const QuestionSamples*> questions =
      exact_population(profile, aggregator, log, deployment, notes);
  const int k_max = deployment.k_grid().back();
  const auto width = static_cast<std::size_t>(k_max);
  QuestionExpectation mean{std::vector<double>(width, 0.0)};
  for (const QuestionSamples* q : questions) {
    const QuestionExpectation e = question_expectation(aggregator, *q, k_max);
    for (std::size_t j = 0; j < width; ++j)
      mean.accuracy[j] += e.accuracy[j];
    mean.input += e.input;
    mean.cost += e.cost;
    mean.latency += e.latency;
  }
  const auto count = static_cast<double>(questions.size());
  return table_of(profile.who(), mean.input / count, mean.cost / count, mean.latency / count,
                  deployment,
                  [&](int k) { return mean.accuracy[static_cast<std::size_t>(k - 1)] / count; });
}

// A measured curve: the profile's own rows on the grid, as they are.
CandidateTable curve_candidates(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                                const Deployment& deployment, std::vector<std::string>& notes) {
  require_curve_aggregator(profile, aggregator);
  if (deployment.billing.input_billing != InputBilling::per_sample) {
    throw Error(profile.who() +
                " serves a measured curve, whose costs are billed as they were "
                "measured; input_billing: " +
                std::string(to_string(deployment.billing.input_billing)) +
                " cannot bill them again: use input_billing: per-sample (the default) with a "
                "curve, or measure the curve under the billing you want");
  }
  const std::vector<int> grid = deployment.k_grid();
  return profile.expected_curve(grid, notes);
}

// E[input part of one inference's cost], read only when the input is not billed per sample.
double expected_input(const CheckedProfile& profile, const Deployment& deployment) {
  require_billable(profile, deployment);
  return deployment.billing.input_billing == InputBilling::per_sample
             ? 0.0
             : profile.expected_input_cost();
}

// A profile with its own exact accuracy (correlated samples): its expected_accuracy() on the
// whole grid in one call, cost and latency as for any exact profile.
CandidateTable profile_accuracy_candidates(const CheckedProfile& profile, AccuracyForm form,
                                           const Deployment& deployment) {
  const std::vector<int> grid = deployment.k_grid();
  std::vector<double> accuracy(grid.size());
  profile.expected_accuracy(form, grid, accuracy);
  return table_of(profile.who(), expected_input(profile, deployment), profile.expected_cost(),
                  profile.expected_latency(), deployment, [&](int k) {
                    // table_of walks the same grid: k's position in it.
                    const auto at = std::lower_bound(grid.begin(), grid.end(), k);
                    assert(at != grid.end() && *at == k && "table_of asks only grid k");
                    return accuracy[static_cast<std::size_t>(at - grid.begin())];
                  });
}

}  // namespace

std::vector<const QuestionSamples*> exact_population(const CheckedProfile& profile,
                                                     const CheckedAggregator& aggregator,
                                                     const QuestionLog& log,
                                                     const Deployment& deployment,
                                                     std::vector<std::string>& notes) {
  if (!aggregator.has_exact()) {
    throw Error(aggregator.who() +
                " has no exact evaluation on a sample log (its answer depends on the order of "
                "the samples, or has no closed form over their subsets); use monte-carlo "
                "(run.evaluator: monte-carlo)");
  }
  notes.insert(notes.end(), log.notes.begin(), log.notes.end());
  return logged_population(profile, log, deployment.k_grid().back(), notes);
}

QuestionExpectation question_expectation(const CheckedAggregator& aggregator,
                                         const QuestionSamples& question, int k_max) {
  QuestionExpectation e{std::vector<double>(static_cast<std::size_t>(k_max))};
  aggregator.exact_curve(question.samples, e.accuracy, question.id);
  double input = 0.0, cost = 0.0, latency = 0.0;
  for (const InferenceOutcome& o : question.samples) {
    input += o.input_cost;
    cost += o.cost;
    latency += o.latency;
  }
  const auto n = static_cast<double>(question.samples.size());
  e.input = input / n;
  e.cost = cost / n;
  e.latency = latency / n;
  return e;
}

void require_curve_aggregator(const CheckedProfile& profile, const CheckedAggregator& aggregator) {
  if (aggregator.iid_form() != AccuracyForm::best_of_k) {
    throw Error(profile.who() + " serves a measured curve, which is already aggregated; " +
                aggregator.who() +
                " cannot aggregate it again: leave the aggregators out of the manifest (the "
                "implicit max-accuracy takes the curve as it is), or use a sample log (the "
                "samples profile) to compare aggregators");
  }
}

CandidateTable exact_candidates(const CheckedProfile& profile, const Deployment& deployment) {
  profile.require_exact();
  require_mean_wave(deployment);
  // A profile whose samples are correlated knows E[best of k]; F alone would treat them as
  // independent.
  if (profile.has_exact_accuracy())
    return profile_accuracy_candidates(profile, AccuracyForm::best_of_k, deployment);
  return table_of(profile.who(), expected_input(profile, deployment), profile.expected_cost(),
                  profile.expected_latency(), deployment,
                  [&](int k) { return expected_best_of_k(profile, k); });
}

CandidateTable exact_candidates(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                                const Deployment& deployment, std::vector<std::string>& notes) {
  // Before require_compatible: a curve provides no answers, but the fix is not another log.
  if (profile.has_curve())
    return curve_candidates(profile, aggregator, deployment, notes);
  require_compatible(profile, aggregator);
  require_billable(profile, deployment);
  require_mean_wave(deployment);
  if (const QuestionLog log = profile.question_log(); !log.questions.empty())
    return logged_candidates(profile, aggregator, log, deployment, notes);
  const AccuracyForm form = aggregator.iid_form();
  if (form != AccuracyForm::none && profile.has_exact_accuracy()) {
    profile.require_exact();  // cost and latency
    return profile_accuracy_candidates(profile, form, deployment);
  }
  switch (form) {
    case AccuracyForm::best_of_k:
      return exact_candidates(profile, deployment);
    case AccuracyForm::any_correct: {
      profile.require_exact();
      // P(some sample is correct) = 1 - prod (1 - a_i), averaged over independent a_i:
      // 1 - (1 - E[a])^k = -expm1(k log1p(-E[a])), with E[a] = E[best of 1].
      const double mean = expected_best_of_k(profile, 1);
      return table_of(profile.who(), expected_input(profile, deployment), profile.expected_cost(),
                      profile.expected_latency(), deployment, [&](int k) {
                        return std::clamp(-std::expm1(static_cast<double>(k) * std::log1p(-mean)),
                                          0.0, 1.0);
                      });
    }
    case AccuracyForm::plurality:
    case AccuracyForm::best_score:
      // Over independent samples whose answers F does not describe: no form to compute.
    case AccuracyForm::none:
      break;
  }
  throw Error(aggregator.who() + " has no exact form for " + profile.who() +
              "; use monte-carlo (run.evaluator: monte-carlo)");
}

}  // namespace kcube
