// kcube public SDK: the difficulty model of repeated sampling, shared by the `difficulty` model
// profile and `kcube fit`.
//
// A request asks one question; the question's difficulty is its probability p that one sample is
// correct, drawn once per request from a distribution over [0, 1]. Given p the request's samples
// are independent: each is correct with probability p, and a wrong one gives one of W wrong
// answers, answer j (1..W) with probability proportional to j^(-skew). Optionally a verifier
// scores each sample: N(score_correct, 1) when it is correct, N(score_wrong, 1) when it is wrong.
//
// Then (Brown et al. 2024; Schaeffer et al. 2025; Chen et al. 2024, "Are More LLM Calls All You
// Need?"):
//   pass@k            = 1 - E[(1 - p)^k]; for p ~ Beta(a, b) with a share p_zero of questions
//                       never solved: (1 - p_zero) (1 - B(a, b + k) / B(a, b)), and 1 - pass@k
//                       falls like k^(-a);
//   majority vote     = E[P(the correct answer has the most votes | p, k)] (ties: the expected
//                       value of a uniform tie-break); for one wrong answer and odd k,
//                       E[I_p((k + 1) / 2, (k + 1) / 2)], with I the regularized incomplete beta
//                       function. It rises then falls when easy (p > 1/2) and hard (p < 1/2)
//                       questions are mixed;
//   verifier-best     = E[P(the highest-scored of k samples is correct | p, k)].
// Every function below is exact up to floating point (closed forms, finite sums, and quadrature
// to a relative tolerance of 1e-10 where no finite form exists).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kcube/random.hpp"

namespace kcube::difficulty {

/// The distribution of a question's success probability p.
struct Distribution {
  enum class Kind : std::uint32_t {
    /// p = 0 with probability p_zero, else p ~ Beta(alpha, beta).
    beta = 0,
    /// p = p_easy with probability easy_share, else p = p_hard (Chen et al. 2024).
    two_point = 1,
  };
  Kind kind = Kind::beta;
  /// Beta(alpha, beta), both > 0.
  double alpha = 1.0;
  double beta = 1.0;
  /// The share of questions never solved, in [0, 1).
  double p_zero = 0.0;
  /// two_point: the two success probabilities, in [0, 1], and the share of easy questions, in
  /// [0, 1].
  double p_easy = 0.8;
  double p_hard = 0.4;
  double easy_share = 0.5;

  /// Throws kcube::Error naming the first parameter out of its range.
  void validate() const;
  /// E[p]: pass@1 and the expected accuracy of one sample.
  double mean() const;
  /// A draw of p from `stream`, a pure function of the stream's state: two-point with one
  /// uniform; beta with one uniform for the p_zero atom (when p_zero > 0), then X / (X + Y) for
  /// X ~ Gamma(alpha), Y ~ Gamma(beta) (Marsaglia-Tsang, boosted by U^(1/shape) for a shape
  /// below 1, in logs so that tiny shapes cannot give 0/0). The number of uniforms it takes
  /// varies with the values drawn. Does not validate (a per-draw path): validate() first.
  double draw(RandomStream& stream) const;
  /// log P(c of n samples correct): the beta-binomial log-probability with its p_zero atom, or
  /// the two-point mixture of binomials; -infinity for a count the distribution cannot give
  /// (two-point with p_easy and p_hard in {0, 1}). Throws kcube::Error unless 0 <= c <= n and
  /// n >= 1.
  double log_probability(int c, int n) const;
};

/// How wrong samples' answers are spread over W wrong answers.
struct WrongAnswers {
  /// W, from 1 to 10000.
  int count = 1;
  /// >= 0: answer j has probability proportional to j^(-skew) among the wrong ones.
  double skew = 0.0;

  /// Throws kcube::Error naming the parameter out of its range.
  void validate() const;
  /// The W probabilities, summing to 1, in decreasing order.
  std::vector<double> shares() const;
};

/// A verifier's scores: N(correct, 1) for a correct sample, N(wrong, 1) for a wrong one.
struct Scores {
  double correct = 1.0;
  double wrong = 0.0;
};

/// pass@k (any of k samples correct; also best-of-k, since a sample's accuracy is 0 or 1) at
/// each k of `ks` (each >= 1) into `out` (same size). Closed form, 1 - ratio computed as
/// -expm1(log ratio) so that small pass@k keep their relative accuracy. Every function below
/// validates its arguments and throws kcube::Error naming the one out of range.
void pass_at_k(const Distribution& d, std::span<const int> ks, std::span<double> out);

/// Majority vote at each k of `ks` into `out`: the probability that the correct answer has the
/// most votes, ties between the leading answers split uniformly (at even k with one wrong answer,
/// a tie counts one half). Exact: a finite sum over the number of correct samples, with a dynamic
/// program over the wrong answers when W > 1 (binomial tails below 1e-24 of their peak left
/// out: absolute error below 1e-18). Cost for all of k = 1..1024 in one call: milliseconds for
/// W = 1, about 0.1 s for W = 3, 0.5 s for W = 8, growing about linearly in W; k <= 131072.
void majority_vote(const Distribution& d, const WrongAnswers& wrong, std::span<const int> ks,
                   std::span<double> out);

/// Verifier-best at each k of `ks` into `out`: the probability that the sample with the highest
/// score is correct. By adaptive quadrature over the score (relative tolerance 1e-12); for the
/// beta kind E_p[p F_p(s)^(k-1)] is a finite sum of beta moments, so no quadrature over p.
/// About 0.3 s for all of k = 1..1024. Throws kcube::Error when a score mean is not finite.
void verifier_best(const Distribution& d, const Scores& scores, std::span<const int> ks,
                   std::span<double> out);

}  // namespace kcube::difficulty
