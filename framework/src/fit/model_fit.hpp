// Private: maximum-likelihood fits of the difficulty model's distribution of p
// (kcube/difficulty.hpp) to per-question counts of correct samples.
//
// The likelihood of question q with c_q of n_q samples correct is P(c_q | n_q) =
// Distribution::log_probability(c_q, n_q) (beta-binomial with its p_zero atom, or the two-point
// mixture of binomials); the log-likelihood is their sum over questions. It is maximized in
// unconstrained coordinates (log alpha, log beta, logit of each probability) by Nelder-Mead from
// several starts, and the standard errors come from the observed information: the numerical
// Hessian of the negative log-likelihood in the natural parameters, inverted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/difficulty.hpp"

namespace kcube::fit {

/// One question's outcome: `correct` of `samples` samples were correct (0 <= correct <= samples,
/// samples >= 1).
struct QuestionCounts {
  int correct = 0;
  int samples = 0;
};

/// The candidate models of p.
enum class ModelKind {
  /// Beta(alpha, beta): 2 parameters.
  beta,
  /// Beta(alpha, beta) with a share p_zero of questions never solved: 3 parameters.
  beta_p_zero,
  /// p_easy with probability easy_share, else p_hard: 3 parameters.
  two_point,
};

/// "beta", "beta+p_zero", "two-point".
std::string_view to_string(ModelKind kind);

/// One fitted parameter.
struct ParameterEstimate {
  /// The difficulty profile's parameter name: alpha, beta, p_zero, p_easy, p_hard, easy_share.
  std::string name;
  double value = 0.0;
  /// From the inverted observed information; empty when it could not be computed (see
  /// CandidateFit::standard_error_note).
  std::optional<double> standard_error;
};

/// One candidate model fitted to the counts.
struct CandidateFit {
  ModelKind kind = ModelKind::beta;
  difficulty::Distribution distribution;
  std::vector<ParameterEstimate> parameters;
  /// The maximized log-likelihood (natural log) and AIC = 2 (parameters) - 2 log-likelihood.
  double log_likelihood = 0.0;
  double aic = 0.0;
  /// Why some or all standard errors are missing (a parameter at a boundary of its range, a
  /// singular information matrix); empty when every one is there.
  std::string standard_error_note;
  /// Whether the optimizer met its tolerances from the best start.
  bool converged = true;
};

/// Fits `kind` to `counts` (at least one question). Throws kcube::Error when `counts` is empty
/// or a count is out of range.
CandidateFit fit_candidate(ModelKind kind, std::span<const QuestionCounts> counts,
                           bool standard_errors = true);

/// The three candidates fitted to `counts`, in ModelKind order.
std::vector<CandidateFit> fit_candidates(std::span<const QuestionCounts> counts);

/// The index of the candidate with the smallest AIC (the first on a tie).
std::size_t best_by_aic(std::span<const CandidateFit> candidates);

}  // namespace kcube::fit
