// Private: fitting how wrong samples spread over wrong answers (difficulty::WrongAnswers: W
// answers, answer j with probability proportional to j^(-skew)) from a log's answers.
//
// Rank-frequency approximation. The log does not say which of a question's wrong answers is the
// model's answer 1, 2, ...: only how often each distinct wrong answer occurred. Each question's
// distinct wrong answers are ranked by count (m_1 >= m_2 >= ... >= m_D) and rank r is taken to be
// answer r, so the log-likelihood is
//   sum over questions and ranks of m_r log s_r(W, skew),  s_r = r^(-skew) / sum_{j<=W} j^(-skew).
// Biases: sorting the counts makes the top ranks look more frequent than their answers are
// (answers 2 and 3 swap places in a sample), so skew comes out too large when questions have
// few wrong samples and answers of similar probability; and this likelihood falls with W at
// every skew (each s_r shrinks as answers are added), so its maximum is the smallest W the log
// allows: the largest number of distinct wrong answers seen in one question, an underestimate
// when some answers are too rare to appear in n samples.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kcube/difficulty.hpp"

namespace kcube::fit {

/// The fitted spread of wrong answers.
struct WrongAnswerFit {
  difficulty::WrongAnswers wrong;
  /// The standard error of skew from the curvature of the log-likelihood at W fixed; empty when
  /// skew is at its boundary 0 or there is a single answer rank.
  std::optional<double> skew_standard_error;
  /// Questions with at least one wrong sample with an answer, and their wrong samples.
  std::int64_t questions = 0;
  std::int64_t wrong_samples = 0;
};

/// Fits (W, skew) to `ranked_counts`: for each question, its distinct wrong answers' counts (any
/// order; questions without wrong answers may be empty). W = 1 and skew = 0 when no question has
/// a wrong answer.
WrongAnswerFit fit_wrong_answers(std::span<const std::vector<std::int64_t>> ranked_counts);

}  // namespace kcube::fit
