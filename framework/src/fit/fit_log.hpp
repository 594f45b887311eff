// Private: `kcube fit`'s library stage. Fits the difficulty model (kcube/difficulty.hpp) to a
// sample log: the distribution of p by maximum likelihood (three candidates, the best AIC
// chosen), the wrong answers' spread, token lengths, verifier scores; compares the observed
// pass@k and majority-vote curves with the fitted ones; predicts both at larger k with
// parametric-bootstrap intervals.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fit/model_fit.hpp"
#include "fit/wrong_answers.hpp"
#include "kcube/sample_log.hpp"

namespace kcube::fit {

/// A log read for fitting.
struct FitInput {
  SampleLog log;
  /// Whether LoggedSample::input_cost/output_cost hold the samples' token counts (the log has
  /// input_tokens/output_tokens and no cost column: it was read with unit prices).
  bool costs_are_tokens = false;
};

/// Reads `file` for fitting: costs and latencies are optional; a log with tokens and no cost
/// column is read with c_in = c_out = 1, so its costs are token counts. Throws what
/// read_sample_log() throws.
FitInput read_log_for_fit(const std::filesystem::path& file);

/// How fit_log() fits.
struct FitOptions {
  /// Fit on each question's first `first` samples only (>= 1, at most every question's count).
  std::optional<int> first;
  /// The k (each >= 1) to predict pass@k and majority vote at.
  std::vector<int> predict;
  /// Parametric-bootstrap resamples for the predictions' intervals (0: no intervals).
  int bootstrap = 200;
  /// The root seed of the resamples.
  std::uint64_t seed = 42;
};

/// Token lengths per sample: means and standard deviations.
struct TokenFit {
  double mean_input = 0.0;
  double sd_input = 0.0;
  double mean_output = 0.0;
  double sd_output = 0.0;
};

/// Verifier scores standardized by their pooled standard deviation.
struct ScoreFit {
  double score_correct = 0.0;
  double score_wrong = 0.0;
  /// The pooled within-class standard deviation in the log's units.
  double pooled_sd = 0.0;
};

/// One k of the observed-against-fitted table.
struct CurvePoint {
  int k = 1;
  /// The unbiased estimate from the log (estimators.hpp) and the fitted model's value.
  double observed_pass = 0.0;
  double fitted_pass = 0.0;
  /// Empty when the log has no answers.
  std::optional<double> observed_majority;
  std::optional<double> fitted_majority;
};

/// A prediction at one k with its 95 % parametric-bootstrap interval (empty without resamples).
struct Prediction {
  int k = 1;
  double pass = 0.0;
  std::optional<double> pass_lo, pass_hi;
  /// Empty when the log has no answers.
  std::optional<double> majority;
  std::optional<double> majority_lo, majority_hi;
};

/// Where the fitted majority vote peaks when it falls afterwards.
struct MajorityPeak {
  int k = 1;
  double value = 0.0;
  /// The last k looked at and the value there.
  int last_k = 1;
  double last_value = 0.0;
};

/// Everything fit_log() found.
struct FitReport {
  std::int64_t questions = 0;
  /// The smallest and largest number of samples per question fitted on.
  int samples_min = 0;
  int samples_max = 0;
  /// The three candidates (ModelKind order) and the chosen one's index (best AIC).
  std::vector<CandidateFit> candidates;
  std::size_t chosen = 0;
  /// Empty when the log has no answers.
  std::optional<WrongAnswerFit> wrong_answers;
  /// Samples without an answer (left out of the wrong-answer fit).
  std::int64_t samples_without_answer = 0;
  std::optional<TokenFit> tokens;
  std::optional<ScoreFit> scores;
  /// k = 1..samples_min.
  std::vector<CurvePoint> curve;
  /// The largest |observed - fitted| over the curve (majority: empty without answers).
  double pass_max_difference = 0.0;
  std::optional<double> majority_max_difference;
  /// Set when the fitted majority vote falls after a peak, for k up to max(samples_min, largest
  /// predicted k).
  std::optional<MajorityPeak> majority_peak;
  std::vector<Prediction> predictions;
  int bootstrap = 0;
  std::uint64_t seed = 0;
  /// What the user should know (warnings first: a non-monotone majority vote, a fit that did not
  /// converge), and notes (missing tokens, samples without answers).
  std::vector<std::string> warnings;
  std::vector<std::string> notes;

  const CandidateFit& chosen_fit() const { return candidates[chosen]; }
};

/// Fits `input` as described in the file comment. Throws kcube::Error for a log without
/// questions, options.first larger than a question's sample count (naming the question), a
/// predicted k < 1 or a negative bootstrap count.
FitReport fit_log(const FitInput& input, const FitOptions& options);

}  // namespace kcube::fit
