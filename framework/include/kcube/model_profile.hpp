// kcube public SDK: the model-profile interface, an LLM's per-inference outcomes.
//
// A profile works on whole trial paths, never on single draws through a virtual call: the engine
// hands it a RandomStream and a buffer, and it fills the outcomes of consecutive inferences.
// How k outcomes become one request's accuracy (best-of-k, majority vote, ...) is the engine's
// aggregation step, not the profile's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/candidate.hpp"
#include "kcube/plugin.hpp"
#include "kcube/random.hpp"

namespace kcube {

/// The outcome of one inference (one of the k samples of a request).
///
/// Besides cost, latency and accuracy, a sample carries its answer id and an optional score, and
/// the part of its cost that pays for the input (the rest pays for the output; providers bill
/// the two differently).
struct InferenceOutcome {
  /// Cost of this inference, USD.
  double cost = 0.0;
  /// Latency of this inference on its own, seconds.
  double latency = 0.0;
  /// Probability that this inference's answer is correct, in [0, 1] (0 or 1 for a logged
  /// sample). Samples of one request with the same answer id have the same accuracy.
  double accuracy = 0.0;
  /// The part of `cost` that pays for the input (prompt), USD, in [0, cost].
  double input_cost = 0.0;
  /// A verifier's or reward model's score, higher is better; finite. Read only when the profile
  /// provides scores (ModelProfile::provides()).
  double score = 0.0;
  /// The final answer's id: equal ids are equal answers within one request; 0 = no answer. Read
  /// only when the profile provides answers.
  std::uint32_t answer = 0;
};

/// Which optional fields of InferenceOutcome a profile fills, and an aggregator reads.
struct SampleFields {
  /// `answer` (majority vote, early stopping on agreement).
  bool answers = false;
  /// `score` (verifier-best, weighted vote).
  bool scores = false;
  /// `input_cost`: the part of each cost that pays for the input, which billing other than per
  /// sample (per call, cached prompts; Deployment::billing) needs.
  bool input_cost = false;
};

/// One question of a logged profile as the engine sees it: its samples as outcomes, in the order
/// they were logged (kcube/sample_log.hpp has the log as read).
struct QuestionSamples {
  /// The log's question id.
  std::string id;
  /// Its n samples (accuracy 0 or 1).
  std::vector<InferenceOutcome> samples;
};

/// A profile drawn from a finite log of samples per question (the `samples` profile): what the
/// engine reads for exact evaluation and to check k against each question's sample count.
struct QuestionLog {
  /// Every question of the log, each with at least one sample; empty for other profiles.
  std::span<const QuestionSamples> questions;
  /// True when questions with fewer samples than the deployment's largest k are left out of a
  /// run (the run says how many); false when such a k is an error naming them.
  bool drop_short = false;
  /// What a run should tell the user about the log (ignored columns, a log without cost or
  /// latency whose samples count 0 of it), each one line; the engine passes them on.
  std::span<const std::string> notes;
};

/// How a request's k samples become its accuracy, as far as exact evaluation needs to know: the
/// form an aggregator declares (Aggregator::iid_form()) and a profile with its own exact
/// accuracy computes (ModelProfile::expected_accuracy()).
enum class AccuracyForm : std::uint32_t {
  none = 0,         ///< no closed form: use the Monte Carlo evaluator
  best_of_k = 1,    ///< the largest of the k accuracies; for i.i.d. samples with accuracy CDF F,
                    ///< E = integral_0^1 (1 - F(y)^k) dy
  any_correct = 2,  ///< P(some sample is correct); for i.i.d. samples 1 - (1 - E[accuracy])^k
  plurality = 3,    ///< the accuracy of the most frequent answer (samples without an answer do
                    ///< not vote), ties between the leading answers split uniformly
  best_score = 4,   ///< the accuracy of the sample with the highest score, ties split uniformly
};

/// "none", "best-of-k", "any-correct", "plurality" or "best-score".
std::string_view to_string(AccuracyForm form) noexcept;

/// A model profile: the distribution of one inference's cost, latency and accuracy.
class BOOST_SYMBOL_VISIBLE ModelProfile : public PluginObject {
 public:
  ~ModelProfile() override;
  /// Name shown in reports (e.g. "GPT-5 mini"); the plugin name when the profile has none.
  virtual std::string display_name() const = 0;
  /// Fills `path` with the outcomes of one request's path.size() inferences, drawing only from
  /// `stream`, in order, so that the first n outcomes of a longer path equal those of a path of
  /// n (the engine's nested sampling relies on it). The inferences are exchangeable; they are
  /// independent unless the profile draws a question first (a logged one, question_log(); or a
  /// question's difficulty, as `difficulty` does, whose exact evaluation then goes through
  /// expected_accuracy()). Outcomes must be finite, cost and latency >= 0, input_cost in
  /// [0, cost], accuracy in [0, 1]; the engine checks.
  virtual void draw_path(RandomStream& stream, std::span<InferenceOutcome> path) const = 0;
  /// The optional fields draw_path fills (none by default).
  virtual SampleFields provides() const { return {}; }
  /// For a profile drawn from a log: its questions. Its draw_path then draws one question
  /// uniformly among those with at least path.size() samples and a uniformly random order of
  /// path.size() of its samples without replacement (a request's samples are correlated through
  /// its question); the engine checks before a run that such a question exists. Empty (the
  /// default) for profiles whose samples are independent draws.
  virtual QuestionLog question_log() const { return {}; }

  // ---- Exact (noise-free) evaluation: optional. ----------------------------------------------
  // A profile that can describe one inference's distribution analytically lets the engine
  // compute expected values without Monte Carlo: E[total cost at k] = k E[c],
  // E[mean-wave latency] = (k / P) E[t], E[best-of-k accuracy] = integral_0^1 (1 - F(y)^k) dy.

  /// True when the three functions below are implemented.
  virtual bool has_exact() const { return false; }
  /// E[cost of one inference], USD.
  virtual double expected_cost() const;
  /// E[latency of one inference], seconds.
  virtual double expected_latency() const;
  /// E[input part of one inference's cost] (InferenceOutcome::input_cost), USD, in
  /// [0, expected_cost()]. Read by exact evaluation when the input is not billed per sample.
  /// The default throws kcube::Error saying the profile does not split its cost, so only
  /// per-sample billing works with it.
  virtual double expected_input_cost() const;
  /// F(y) = P(accuracy of one inference <= y) for y in [0, 1]: a CDF, right-continuous.
  virtual double accuracy_cdf(double y) const;
  /// Points of [0, 1] where F jumps or changes fastest (its mean, atoms), so quadrature of
  /// integrals of F can split its interval there. May be empty.
  virtual std::vector<double> accuracy_breakpoints() const { return {}; }

  // ---- Exact accuracy of correlated samples: optional. ---------------------------------------
  // A profile whose samples are not independent (they share a question's difficulty, say)
  // cannot be aggregated through accuracy_cdf(), which describes one sample alone. Such a profile
  // computes the expected accuracy of an aggregation itself. The engine then asks it instead of
  // integrating F (for every form, best_of_k included), and takes cost and latency from the
  // three functions above as for any exact profile (so has_exact() must be true too).

  /// True when expected_accuracy() is implemented.
  virtual bool has_exact_accuracy() const { return false; }
  /// The expected accuracy of one request aggregated by `form` (never none) at each k of `ks`
  /// (each >= 1, increasing) into `accuracy` (same size), each in [0, 1]. Throws kcube::Error
  /// when the profile cannot serve `form` as configured (e.g. best_score from a profile without
  /// scores), saying how to fix it. The default throws.
  virtual void expected_accuracy(AccuracyForm form, std::span<const int> ks,
                                 std::span<double> accuracy) const;

  // ---- A measured curve: optional. -----------------------------------------------------------
  // A profile whose outcomes are already expectations per k (a table of measured or published
  // per-k values, the `curve` profile) hands the engine those rows instead of one inference's
  // distribution. The exact evaluator then takes them as the candidate table as they are; the
  // Monte Carlo evaluator refuses such a profile (there is nothing to draw).

  /// True when expected_curve() is implemented. Such a profile need not implement draw_path
  /// beyond throwing, nor the three exact functions above (has_exact() may be false).
  virtual bool has_curve() const { return false; }
  /// The candidate rows the profile serves on `grid`, the deployment's k grid (k_step, 2 k_step,
  /// ..., k_max: increasing, every k >= 1): a subset of `grid`, in increasing k, at least one
  /// row. Each row is the expected outcome of one request at that k as measured: cost (USD per
  /// request), latency (s per request; measured, so the deployment's parallelism and latency
  /// model are not applied to it) and accuracy in [0, 1]. `columns` holds the spread columns the
  /// profile has (`<metric>_std`, `<metric>_se`, `<metric>_pNN`, `trials`; see
  /// kcube/candidate_csv.hpp), one finite value per row. Grid k the profile leaves out are named
  /// in one line appended to `notes`. Throws kcube::Error (a user's mistake the message explains:
  /// e.g. no k of the grid is served, listing the k the profile has and the grid).
  virtual CandidateTable expected_curve(std::span<const int> grid,
                                        std::vector<std::string>& notes) const;
};

}  // namespace kcube
