// Private: exact (noise-free) evaluation of a model profile on a deployment's k grid.
#pragma once

#include <string_view>

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

/// The exact candidate table on the deployment's k grid: cost = k E[c] (USD), latency =
/// (k / P) E[t] (s, mean-wave), accuracy = E[best-of-k]; no extra columns. Throws kcube::Error
/// naming the profile when it has no exact evaluation, or when the deployment's latency model
/// is max-wave (no closed form: use the Monte Carlo evaluator); kcube::RuntimeFailure naming
/// the profile when E[c] or E[t] is not finite and >= 0 (or k E[c], (k / P) E[t] overflow), F
/// is not a CDF on [0, 1], or one of its methods throws anything (a non-std type included).
/// Messages name the profile as CheckedProfile::who().
CandidateTable exact_candidates(const CheckedProfile& profile, const Deployment& deployment);

}  // namespace kcube
