// kcube public SDK: exact (unbiased) estimates of a request's accuracy with k fresh samples, from
// one question's n logged samples. Each estimate is the average, over all C(n, k) subsets of k of
// the n samples (k drawn without replacement), of the accuracy of the answer the aggregation rule
// returns from that subset; ties between answers count as the expected value of a uniformly random
// tie-break. Averaging these per-question values over questions with equal weight gives the
// unbiased estimate for a benchmark (CONVENTIONS.md, "Estimates"). The inputs are per-question
// summaries (counts, answer groups, scores), independent of any log format.
//
// Accuracy: each function states a worst-case bound on its error (eps = 2^-53, G the number of
// answer groups or distinct scores); the errors measured against brute force and 50-digit
// references are of order 1e-15 (tests/estimators). No binomial coefficient is ever formed, only
// probabilities and ratios of them, so nothing overflows, or underflows harmfully, for any
// n <= kMaxEstimatorSamples (C(1000, 500) ~ 1e299 is already near a double's limit).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kcube/model_profile.hpp"

namespace kcube {

/// The largest sample count a question may have here (2^50: every count is exact in a double).
inline constexpr std::int64_t kMaxEstimatorSamples = std::int64_t{1} << 50;

/// pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1): the
/// probability that at least one of k samples drawn without replacement from n samples, c of them
/// correct, is correct:
///   pass@k = 1 - C(n - c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k / i)
///          = 1 - prod_{j=0}^{k-1} (1 - c / (n - j)),
/// evaluated as -expm1(sum log1p(-...)) over the shorter of the two products (min(c, k) factors),
/// so small values keep their relative accuracy. Exactly 0 for c = 0 and 1 when n - c < k. This
/// is also the exact `max-accuracy` of a log whose samples' accuracies are 0 or 1. Relative error
/// at most 4 (min(c, k) + 2) eps. Requires 0 <= c <= n <= kMaxEstimatorSamples and 1 <= k <= n;
/// otherwise kcube::Error.
double pass_at_k(std::int64_t n, std::int64_t c, std::int64_t k);

/// pass@k for every k = 1..k_max at once (element k - 1 is pass_at_k(n, c, k)), in O(k_max) time
/// from the second product form. Relative error at most 4 (k + 2) eps at k. Requires
/// 0 <= c <= n <= kMaxEstimatorSamples and 0 <= k_max <= n; otherwise kcube::Error.
std::vector<double> pass_at_k_curve(std::int64_t n, std::int64_t c, std::int64_t k_max);

/// The same for one logged question's samples (accuracy 1 = correct, 0 = wrong; a sample counts
/// as correct when its accuracy is above 1/2), written into `accuracy` for k = 1..accuracy.size()
/// (<= samples.size()): the exact curve of the max-accuracy and pass-at-k aggregators
/// (Aggregator::exact_curve), which agree on such samples.
void pass_at_k_curve(std::span<const InferenceOutcome> samples, std::span<double> accuracy);

/// The samples of one question that gave the same final answer: how many there are and whether
/// that answer is correct. Several groups of a question may be correct (different strings that
/// are both right, "4" and "4.0").
struct AnswerGroup {
  /// Samples with this answer (>= 1).
  std::int64_t size = 0;
  /// Whether this answer is correct.
  bool correct = false;
};

/// Exact majority-vote (self-consistency) accuracy for every k = 1..k_max (element k - 1 is k).
/// The question's n = sum(sizes) + `empty` samples are the answer groups plus `empty` samples that
/// gave no answer. Rule: of k samples drawn without replacement, the most frequent non-empty answer
/// wins; a correct answer tied at the top with t other answers counts 1 / (t + 1) (a uniform
/// tie-break); k samples all without an answer count as wrong. A sample without an answer is
/// wrong here even where its log marks it correct: it cannot be voted for.
///
/// Method (no enumeration of subsets): the accuracy at k is the sum over the winning count
/// x = 1..min(k, largest group) of E[(correct answers with count x) / (answers with count x) ;
/// no answer has more than x]. For one x, the groups smaller than x can never reach it: they join
/// the empty samples in a pool that only adds to the number drawn. The other groups are added one
/// at a time to a table P[d][t] = probability, given that d samples are drawn uniformly from the
/// samples added so far, that none of the groups added so far has more than x samples drawn and
/// exactly t of them have x (and Q[d][t]: the same, weighted by how many of those t are correct).
/// Adding a group of size s to S samples: P'[d][t] = sum_{y<x} h(y) P[d-y][t] + h(x) P[d-x][t-1],
/// with h(y) = C(s, y) C(S, d - y) / C(S + s, d) the hypergeometric probability that y of the d
/// come from the new group, computed by ratio recurrences with a separate binary exponent (no
/// binomial coefficient, no overflow or harmful underflow). After the last group S = n, so the
/// table holds the probabilities for every k = d at once, and the term of x is
/// sum_{t>=1} Q[k][t] / t. Only a correct group can win correctly, so x stops at the largest
/// correct group; and a correct group larger than every other (s_1 > s_2) wins outright for every
/// x > s_2, which adds P(X > s_2), X ~ Hypergeometric(n, s_1, k), without a table. Time
/// O(sum over x of G_x * k_max * (x + min(G_x, k_max / x))), G_x the groups of size >= x: 30 ms
/// for the 100 questions x 100 samples of a Game of 24 log with k_max = 100; for one question of
/// 1,000 samples with k_max = 1,000, 0.1 s (one dominant answer) to 2 s (1,000 different answers).
///
/// Absolute error at most 8 (G k_max + n) eps: every term is a non-negative product of the G_x
/// probabilities h, each to a relative 4 (k_max + x) eps, and G_x x <= n.
/// Requires every size >= 1, empty >= 0, n <= kMaxEstimatorSamples and 0 <= k_max <= n;
/// otherwise kcube::Error.
std::vector<double> majority_vote_curve(std::span<const AnswerGroup> groups, std::int64_t empty,
                                        std::int64_t k_max);

/// One sample as a verifier (or reward model) sees it: its score (higher is better) and whether
/// the sample's answer is correct.
struct ScoredOutcome {
  /// The verifier's score; any value but NaN (infinities order as usual).
  double score = 0.0;
  /// Whether this sample's answer is correct.
  bool correct = false;
};

/// Exact verifier-best (best-of-k by score) accuracy for every k = 1..k_max (element k - 1 is k).
/// Rule: of k samples drawn without replacement, the one with the highest score is returned; a tie
/// at the top score is broken uniformly at random, so a tie of m samples, c of them correct,
/// counts c / m. Closed form from the order statistics: group the samples by equal score; for the
/// group g with m_g samples, c_g correct and L_g samples scored strictly lower,
///   P(top score drawn is g's) = [C(L_g + m_g, k) - C(L_g, k)] / C(n, k)
///                             = C(L_g + m_g, k) / C(n, k) * (1 - C(L_g, k) / C(L_g + m_g, k)),
/// and the accuracy at k is sum_g c_g / m_g * P(top is g). Both ratios are running products over k
/// and the difference is -expm1 of a sum of log1p, so no cancellation: each term has a relative
/// error of at most 6 (k + 2) eps, the curve an absolute error of at most 8 (k + G) eps (G distinct
/// scores). Time O(n log n + G k_max).
/// Requires no NaN score, n <= kMaxEstimatorSamples and 0 <= k_max <= n; otherwise kcube::Error.
std::vector<double> verifier_best_curve(std::span<const ScoredOutcome> samples, std::int64_t k_max);

}  // namespace kcube
