// kcube public SDK: the aggregator interface, how a request's k samples become its one answer.
//
// A real deployment returns one answer per request, chosen by a rule: the paper's perfect
// selector (max-accuracy), a perfect verifier (pass-at-k), majority vote, a verifier or reward
// model's best sample, a score-weighted vote, or a policy that stops sampling early once the
// answers agree (esc, adaptive-consistency). The engine hands an aggregator one request's path
// of samples (a profile's draw_path: answers, scores, cost and latency per sample, prefixes
// nested) and asks, for every prefix length j, what the request's accuracy would be with those
// j samples and, for a stopping policy, how many it would actually draw when allowed j. Cost
// and latency of a request then count only the samples drawn.
//
// Design notes (issue 15), for the engine side:
//   - one call per trial path, all prefixes at once: majority vote keeps running counts, so
//     the whole curve costs O(k_max), like the draw itself;
//   - ties between answers count as the expected value of a uniformly random tie-break, so an
//     aggregator's value is a number in [0, 1], never a coin flip (no extra random stream, and
//     Monte Carlo variance is lower);
//   - `needs()` lets the host refuse, before a run, an aggregator that needs answers or scores
//     from a profile that has none (majority-vote with the gaussian profile), naming both;
//   - exact evaluation is optional: on a logged question (a sample log's n samples) through
//     exact_curve(), and for profiles with an analytic accuracy distribution through a closed
//     form the engine knows, or the profile computes (iid_form(), an AccuracyForm).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

#include "kcube/model_profile.hpp"
#include "kcube/plugin.hpp"

namespace kcube {

/// How a request's samples become its one answer, and optionally when to stop sampling.
class BOOST_SYMBOL_VISIBLE Aggregator : public PluginObject {
 public:
  ~Aggregator() override;

  /// The optional sample fields it reads (answers, scores): the host refuses it, before a run,
  /// with a profile that does not provide them.
  virtual SampleFields needs() const = 0;

  /// True when aggregate() may report drawing fewer samples than allowed.
  virtual bool stops_early() const { return false; }

  /// On one request's `path` (its samples in draw order), for every j = 1..path.size():
  ///   accuracy[j - 1]  the probability that the request's answer is correct when it may draw
  ///                    at most j samples (ties: expected value of a uniform tie-break), in
  ///                    [0, 1];
  ///   used[j - 1]      the samples it draws when allowed j: j unless stops_early(), never more
  ///                    than j, and non-decreasing in j.
  /// `accuracy` and `used` have path.size() entries. Must depend only on `path` (no state
  /// between calls): the engine calls it from several threads when the plugin is `shared`.
  virtual void aggregate(std::span<const InferenceOutcome> path, std::span<double> accuracy,
                         std::span<std::int32_t> used) const = 0;

  // ---- Exact evaluation: optional. ------------------------------------------------------------

  /// True when exact_curve() is implemented: the aggregator's accuracy averaged over every
  /// subset of a logged question's samples has a closed form. Stopping policies depend on the
  /// order of the samples and have none.
  virtual bool has_exact() const { return false; }
  /// For one logged question's n samples and k = 1..accuracy.size() (<= n): the mean, over all
  /// C(n, k) subsets of k of the samples, of the request's accuracy with that subset (the
  /// unbiased estimate of its accuracy with k fresh samples). kcube/estimators.hpp has the
  /// curves of pass@k, majority vote and verifier-best.
  virtual void exact_curve(std::span<const InferenceOutcome> samples,
                           std::span<double> accuracy) const;

  /// How the request's accuracy follows from its samples, for exact evaluation on a profile
  /// with an analytic description (ModelProfile::has_exact()): best_of_k and any_correct have
  /// closed forms over k independent samples whose accuracy has the distribution function F;
  /// every form, plurality and best_score included, is computed by a profile with its own exact
  /// accuracy (ModelProfile::has_exact_accuracy()). none: Monte Carlo only.
  using IidForm = AccuracyForm;
  virtual IidForm iid_form() const { return IidForm::none; }
};

/// The running plurality of one request's answers, one sample at a time: what majority vote and
/// the early-stopping policies share. Samples without an answer (id 0) count for nothing. O(1)
/// per sample (a hash map of the answers seen).
class PluralityTally {
 public:
  /// Forgets every sample (keeps the memory).
  void clear() {
    answers_.clear();
    top_ = second_ = 0;
    tied_ = 0;
    tied_accuracy_ = 0.0;
  }
  /// Counts `sample`'s answer.
  void add(const InferenceOutcome& sample) {
    if (sample.answer == 0)
      return;
    auto [it, fresh] = answers_.try_emplace(sample.answer, Answer{0, sample.accuracy});
    const std::int32_t count = ++it->second.count;
    if (count > top_) {  // the answer was one of the leaders, or the first answer
      if (tied_ > 1)
        second_ = top_;
      top_ = count;
      tied_ = 1;
      tied_accuracy_ = it->second.accuracy;
    } else if (count == top_) {
      // While two or more lead, second_ is not read; it is set again when one pulls ahead.
      ++tied_;
      tied_accuracy_ += it->second.accuracy;
    } else if (tied_ == 1 && count > second_) {
      second_ = count;
    }
  }
  /// The probability that the plurality answer is correct, ties between the leading answers
  /// split uniformly; 0 while no sample has an answer.
  double accuracy() const { return tied_ == 0 ? 0.0 : tied_accuracy_ / tied_; }
  /// The largest answer count, and the second largest (equal to it when two answers lead).
  std::int32_t leader_count() const { return top_; }
  std::int32_t runner_up_count() const { return tied_ > 1 ? top_ : second_; }

 private:
  struct Answer {
    std::int32_t count;
    double accuracy;  // of the samples giving it (equal within a request)
  };
  std::unordered_map<std::uint32_t, Answer> answers_;
  std::int32_t top_ = 0, second_ = 0;  // second_: the largest count below top_ (when tied_ == 1)
  std::int32_t tied_ = 0;              // answers at top_
  double tied_accuracy_ = 0.0;         // the sum of their accuracies
};

}  // namespace kcube
