// Private: exact (noise-free) evaluation of a model profile on a deployment's k grid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/checked.hpp"
#include "kcube/candidate.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// E[max of k i.i.d. accuracies] = integral_0^1 (1 - F(y)^k) dy, with F the profile's
/// accuracy CDF; k >= 1. Absolute error below 1e-12 for k <= 18000; beyond, F's own rounding
/// near 1 adds up to k 2^-54 (see exact.cpp). Throws kcube::Error when the profile has no exact
/// evaluation, kcube::RuntimeFailure naming the profile when F leaves [0, 1] or F(1) < 1, or
/// when one of its methods throws anything.
/// Thread-safe when the profile is.
double expected_best_of_k(const CheckedProfile& profile, int k);

/// The exact candidate table on the deployment's k grid: cost = k E[c] (USD; with billing other
/// than per sample, Billing::request_cost: inputs_billed(k) E[c_in] + k (E[c] - E[c_in])),
/// latency = (k / P) E[t] (s, mean-wave), accuracy = E[best-of-k] (from F for independent
/// samples; the profile's expected_accuracy(best_of_k) when it has its own exact accuracy,
/// has_exact_accuracy()); no extra columns. Throws
/// kcube::Error naming the profile when it has no exact evaluation, when the deployment's
/// latency model is max-wave (no closed form: use the Monte Carlo evaluator), or from
/// require_billable(); kcube::RuntimeFailure naming
/// the profile when E[c] or E[t] is not finite and >= 0 (or k E[c], (k / P) E[t] overflow), F
/// is not a CDF on [0, 1], or one of its methods throws anything (a non-std type included).
/// Messages name the profile as CheckedProfile::who().
CandidateTable exact_candidates(const CheckedProfile& profile, const Deployment& deployment);

/// kcube::Error naming both when `profile` serves a measured curve (has_curve()) and `aggregator`
/// is not one that keeps the best sample (iid_form() best_of_k, as max-accuracy): a measured
/// curve is already aggregated.
void require_curve_aggregator(const CheckedProfile& profile, const CheckedAggregator& aggregator);

/// The exact candidate table with `aggregator` making each request's samples into its answer:
///   - a profile with a measured curve (has_curve()): its expected_curve() on the deployment's
///     grid as it is (any latency model: the latency is measured); require_curve_aggregator()'s
///     Error for another aggregator, expected_curve()'s Error when the curve and the grid have no
///     k in common. Grid k the curve leaves out are named in `notes`.
///   - a logged profile (question_log()): per question, the mean of the aggregator's accuracy
///     over all C(n, k) subsets of k of its n samples (Aggregator::exact_curve), averaged over the
///     questions (logged_population()) with equal weight; cost k and latency k / P times each
///     question's mean, averaged. kcube::Error "use monte-carlo" when the aggregator has no
///     exact evaluation (stopping policies, weighted-vote). With billing other than per
///     sample, a question's cost at k is inputs_billed(k) x its mean input cost + k x its mean
///     output cost.
///   - a profile with its own exact accuracy (has_exact_accuracy(): correlated samples): its
///     expected_accuracy() for the aggregator's iid_form() on the whole grid in one call (its
///     kcube::Error, e.g. a form it cannot serve as configured, passes through), cost and
///     latency as below; iid_form() none: kcube::Error "use monte-carlo".
///   - any other profile with exact evaluation, by the aggregator's iid_form(): best_of_k as
///     above; any_correct 1 - (1 - E[a])^k; plurality, best_score (F says nothing of answers or
///     scores) and none: kcube::Error "use monte-carlo".
/// Also require_compatible()'s Error, max-wave's Error, and the failures above. Notes (questions
/// left out) are appended to `notes`.
CandidateTable exact_candidates(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                                const Deployment& deployment, std::vector<std::string>& notes);

/// What the exact evaluator knows of one logged question: the aggregator's expected accuracy at
/// k = 1..k_max (its mean over every k-subset of the question's samples), and the mean cost and
/// latency of one of its samples.
struct QuestionExpectation {
  /// accuracy[k - 1]: the expected accuracy with k samples.
  std::vector<double> accuracy;
  /// Mean input part of a sample's cost (USD; what Billing bills per call or from a cache).
  double input = 0.0;
  /// Mean cost (USD) and latency (s) of one sample of the question.
  double cost = 0.0, latency = 0.0;
};

/// The questions of a logged profile that the exact evaluator averages over for `deployment`
/// (logged_population() at its largest k), the log's notes appended to `notes` first.
/// kcube::Error "use monte-carlo" when the aggregator has no exact evaluation, and
/// logged_population()'s errors.
std::vector<const QuestionSamples*> exact_population(const CheckedProfile& profile,
                                                     const CheckedAggregator& aggregator,
                                                     const QuestionLog& log,
                                                     const Deployment& deployment,
                                                     std::vector<std::string>& notes);

/// The exact expectation of one question with `k_max` <= its sample count
/// (Aggregator::exact_curve and the means of its samples). The exact table of a logged profile
/// is the equal-weight mean of these over exact_population(); RuntimeFailure naming the
/// aggregator when it fails.
QuestionExpectation question_expectation(const CheckedAggregator& aggregator,
                                         const QuestionSamples& question, int k_max);

}  // namespace kcube
