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
/// latency = (k / P) E[t] (s, mean-wave), accuracy = E[best-of-k]; no extra columns. Throws
/// kcube::Error naming the profile when it has no exact evaluation, when the deployment's
/// latency model is max-wave (no closed form: use the Monte Carlo evaluator), or from
/// require_billable(); kcube::RuntimeFailure naming
/// the profile when E[c] or E[t] is not finite and >= 0 (or k E[c], (k / P) E[t] overflow), F
/// is not a CDF on [0, 1], or one of its methods throws anything (a non-std type included).
/// Messages name the profile as CheckedProfile::who().
CandidateTable exact_candidates(const CheckedProfile& profile, const Deployment& deployment);

/// The exact candidate table with `aggregator` making each request's samples into its answer:
///   - a logged profile (question_log()): per question, the mean of the aggregator's accuracy
///     over all C(n, k) subsets of k of its n samples (Aggregator::exact_curve), averaged over the
///     questions (logged_population()) with equal weight; cost k and latency k / P times each
///     question's mean, averaged. kcube::Error "use monte-carlo" when the aggregator has no
///     exact evaluation (stopping policies, weighted-vote). With billing other than per
///     sample, a question's cost at k is inputs_billed(k) x its mean input cost + k x its mean
///     output cost.
///   - any other profile with exact evaluation, by the aggregator's iid_form(): best_of_k as
///     above; any_correct 1 - (1 - E[a])^k; none: kcube::Error "use monte-carlo".
/// Also require_compatible()'s Error, max-wave's Error, and the failures above. Notes (questions
/// left out) are appended to `notes`.
CandidateTable exact_candidates(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                                const Deployment& deployment, std::vector<std::string>& notes);

}  // namespace kcube
