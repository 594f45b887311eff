// Exact estimators of a request's accuracy from one question's logged samples
// (kcube/estimators.hpp): brute force over all subsets on small logs, closed forms on large ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include <boost/multiprecision/cpp_bin_float.hpp>

#include "kcube/error.hpp"
#include "kcube/estimators.hpp"

namespace {

using kcube::AnswerGroup;
using kcube::ScoredOutcome;

// One logged sample: its answer (0 = no answer), whether it is correct, its verifier score.
struct LoggedSample {
  int answer = 0;
  bool correct = false;
  double score = 0.0;
};

// A random question log of 1..10 samples: a few answers, each correct or not (several may be),
// some samples without an answer, scores from a small set so that ties are common.
std::vector<LoggedSample> random_log(std::mt19937_64& rng) {
  const int n = std::uniform_int_distribution<int>(1, 10)(rng);
  const int answers = std::uniform_int_distribution<int>(1, 4)(rng);
  std::vector<bool> answer_correct(static_cast<std::size_t>(answers) + 1, false);
  for (int a = 1; a <= answers; ++a)
    answer_correct[static_cast<std::size_t>(a)] = std::bernoulli_distribution(0.4)(rng);
  std::vector<LoggedSample> log;
  for (int i = 0; i < n; ++i) {
    LoggedSample s;
    s.answer = std::bernoulli_distribution(0.2)(rng)
                   ? 0
                   : std::uniform_int_distribution<int>(1, answers)(rng);
    s.correct = answer_correct[static_cast<std::size_t>(s.answer)];
    s.score = std::uniform_int_distribution<int>(0, 3)(rng) * 0.5;
    log.push_back(s);
  }
  return log;
}

// The accuracies of one subset (a bit mask over the log) under each rule.
struct SubsetAccuracy {
  double any_correct = 0.0;
  double majority = 0.0;
  double verifier = 0.0;
};

SubsetAccuracy subset_accuracy(const std::vector<LoggedSample>& log, std::uint32_t mask) {
  SubsetAccuracy result;
  std::map<int, int> counts;
  double top_score = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < log.size(); ++i) {
    if ((mask >> i & 1U) == 0)
      continue;
    if (log[i].correct)
      result.any_correct = 1.0;
    if (log[i].answer != 0)
      ++counts[log[i].answer];
    top_score = std::max(top_score, log[i].score);
  }
  int most = 0;
  for (const auto& [answer, count] : counts)
    most = std::max(most, count);
  if (most > 0) {
    int tied = 0;
    int tied_correct = 0;
    for (const auto& entry : counts) {
      if (entry.second != most)
        continue;
      ++tied;
      const auto answer = entry.first;  // not a structured binding: Clang 14 cannot capture one
      const auto it = std::find_if(log.begin(), log.end(),
                                   [&](const LoggedSample& s) { return s.answer == answer; });
      tied_correct += it->correct ? 1 : 0;
    }
    result.majority = static_cast<double>(tied_correct) / tied;
  }
  int top = 0;
  int top_correct = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    if ((mask >> i & 1U) != 0 && log[i].score == top_score) {
      ++top;
      top_correct += log[i].correct ? 1 : 0;
    }
  }
  result.verifier = static_cast<double>(top_correct) / top;
  return result;
}

// The average over all C(n, k) subsets of size k.
SubsetAccuracy brute_force(const std::vector<LoggedSample>& log, int k) {
  SubsetAccuracy sum;
  int subsets = 0;
  for (std::uint32_t mask = 0; mask < (1U << log.size()); ++mask) {
    if (std::popcount(mask) != k)
      continue;
    const SubsetAccuracy a = subset_accuracy(log, mask);
    sum.any_correct += a.any_correct;
    sum.majority += a.majority;
    sum.verifier += a.verifier;
    ++subsets;
  }
  return {sum.any_correct / subsets, sum.majority / subsets, sum.verifier / subsets};
}

struct Summary {
  std::vector<AnswerGroup> groups;
  std::int64_t empty = 0;
  std::int64_t correct = 0;
  std::vector<ScoredOutcome> scored;
};

Summary summarize(const std::vector<LoggedSample>& log) {
  Summary s;
  std::map<int, AnswerGroup> groups;
  for (const LoggedSample& sample : log) {
    s.correct += sample.correct ? 1 : 0;
    s.scored.push_back({sample.score, sample.correct});
    if (sample.answer == 0) {
      ++s.empty;
      continue;
    }
    AnswerGroup& g = groups[sample.answer];
    ++g.size;
    g.correct = sample.correct;
  }
  for (const auto& [answer, group] : groups)
    s.groups.push_back(group);
  return s;
}

using Float50 = boost::multiprecision::cpp_bin_float_50;

Float50 binomial(std::int64_t n, std::int64_t r) {
  Float50 value = 1;
  for (std::int64_t i = 0; i < r; ++i)
    value = value * Float50(n - i) / Float50(i + 1);
  return value;
}

// Majority vote between one correct answer (a samples) and one wrong answer (b samples), k drawn:
// the hypergeometric tail P(X > k / 2) + P(X = k / 2) / 2, X ~ Hypergeometric(a + b, a, k), in
// 50-digit arithmetic.
double two_answer_vote(std::int64_t a, std::int64_t b, std::int64_t k) {
  const std::int64_t x_min = std::max<std::int64_t>(0, k - b);
  const std::int64_t x_max = std::min(a, k);
  // P(X = x_min), then P(X = x + 1) / P(X = x) = (a - x)(k - x) / ((x + 1)(b - k + x + 1)).
  Float50 pmf = binomial(a, x_min) * binomial(b, k - x_min) / binomial(a + b, k);
  Float50 sum = 0;
  for (std::int64_t x = x_min; x <= x_max; ++x) {
    if (2 * x > k)
      sum += pmf;
    else if (2 * x == k)
      sum += pmf / 2;
    pmf *= Float50(a - x) * Float50(k - x) / (Float50(x + 1) * Float50(b - k + x + 1));
  }
  return static_cast<double>(sum);
}

}  // namespace

TEST_CASE("every estimator equals the average over all k-subsets on small random logs") {
  std::mt19937_64 rng(20240615);
  double worst = 0.0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::vector<LoggedSample> log = random_log(rng);
    const Summary s = summarize(log);
    const auto n = static_cast<std::int64_t>(log.size());
    const std::vector<double> vote = kcube::majority_vote_curve(s.groups, s.empty, n);
    const std::vector<double> verifier = kcube::verifier_best_curve(s.scored, n);
    const std::vector<double> pass = kcube::pass_at_k_curve(n, s.correct, n);
    REQUIRE(vote.size() == log.size());
    REQUIRE(verifier.size() == log.size());
    REQUIRE(pass.size() == log.size());
    // A shorter curve is the same curve cut short.
    const std::vector<double> short_vote = kcube::majority_vote_curve(s.groups, s.empty, n / 2);
    const std::vector<double> short_verifier = kcube::verifier_best_curve(s.scored, n / 2);
    CHECK(short_vote == std::vector<double>(vote.begin(), vote.begin() + n / 2));
    CHECK(short_verifier == std::vector<double>(verifier.begin(), verifier.begin() + n / 2));
    for (std::int64_t k = 1; k <= n; ++k) {
      CAPTURE(trial);
      CAPTURE(k);
      const SubsetAccuracy exact = brute_force(log, static_cast<int>(k));
      const auto i = static_cast<std::size_t>(k - 1);
      CHECK(std::abs(vote[i] - exact.majority) <= 1e-12);
      CHECK(std::abs(verifier[i] - exact.verifier) <= 1e-12);
      CHECK(std::abs(pass[i] - exact.any_correct) <= 1e-12);
      CHECK(std::abs(kcube::pass_at_k(n, s.correct, k) - exact.any_correct) <= 1e-12);
      worst = std::max(
          {worst, std::abs(vote[i] - exact.majority), std::abs(verifier[i] - exact.verifier)});
    }
  }
  MESSAGE("largest difference from brute force: " << worst);
}

TEST_CASE("pass_at_k: closed forms and extremes") {
  CHECK(kcube::pass_at_k(10, 0, 3) == 0.0);
  CHECK(kcube::pass_at_k(10, 10, 1) == 1.0);
  CHECK(kcube::pass_at_k(10, 1, 10) == 1.0);  // k = n draws every sample
  CHECK(kcube::pass_at_k(10, 7, 4) == 1.0);   // only 3 wrong samples: 4 draws hit a correct one
  // k = 1: c / n; k = 2: 1 - (n - c)(n - c - 1) / (n (n - 1)).
  CHECK(kcube::pass_at_k(100, 37, 1) == doctest::Approx(0.37).epsilon(1e-15));
  CHECK(kcube::pass_at_k(100, 37, 2) ==
        doctest::Approx(1.0 - 63.0 * 62.0 / (100.0 * 99.0)).epsilon(1e-15));
  // Chen et al.'s product, 1 - prod_{i=n-c+1}^{n} (1 - k/i), for a case where C(n, k) overflows.
  double product = 1.0;
  for (int i = 2000 - 5 + 1; i <= 2000; ++i)
    product *= 1.0 - 600.0 / i;
  CHECK(kcube::pass_at_k(2000, 5, 600) == doctest::Approx(1.0 - product).epsilon(1e-14));
  // Huge n keeps the relative accuracy of small values: 1 of 10^12 correct, k = 1000: k / n.
  CHECK(kcube::pass_at_k(1'000'000'000'000, 1, 1000) == doctest::Approx(1e-9).epsilon(1e-15));
  CHECK(kcube::pass_at_k(kcube::kMaxEstimatorSamples, kcube::kMaxEstimatorSamples / 2, 3) ==
        doctest::Approx(0.875).epsilon(1e-14));
}

TEST_CASE("pass_at_k_curve equals pass_at_k at every k, on long logs too") {
  for (const auto& question : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {100, 4}, {100, 49}, {10'000, 3}, {10'000, 9'990}, {10'000, 0}, {1, 1}}) {
    // Named copies, not a structured binding: Clang 14 cannot capture one in CAPTURE's lambda.
    const std::int64_t n = question.first, c = question.second;
    const auto k_max = std::min<std::int64_t>(n, 2000);
    const std::vector<double> curve = kcube::pass_at_k_curve(n, c, k_max);
    REQUIRE(curve.size() == static_cast<std::size_t>(k_max));
    for (std::int64_t k = 1; k <= k_max; ++k) {
      CAPTURE(n);
      CAPTURE(c);
      CAPTURE(k);
      CHECK(curve[static_cast<std::size_t>(k - 1)] ==
            doctest::Approx(kcube::pass_at_k(n, c, k)).epsilon(1e-12));
    }
  }
  CHECK(kcube::pass_at_k_curve(5, 2, 0).empty());
}

TEST_CASE("majority vote between one correct and one wrong answer is the hypergeometric tail") {
  // C(2000, 1000) ~ 1e600: binomial coefficients overflow a double here.
  for (const auto& sizes : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {1100, 900}, {900, 1100}, {7, 3}, {5200, 4800}}) {
    const std::int64_t a = sizes.first, b = sizes.second;  // CAPTURE cannot take a binding
    const std::int64_t k_max = std::min<std::int64_t>(a + b, 120);
    const std::vector<AnswerGroup> groups = {{a, true}, {b, false}};
    const std::vector<double> curve = kcube::majority_vote_curve(groups, 0, k_max);
    for (std::int64_t k = 1; k <= k_max; ++k) {
      CAPTURE(a);
      CAPTURE(k);
      CHECK(std::abs(curve[static_cast<std::size_t>(k - 1)] - two_answer_vote(a, b, k)) <= 1e-13);
    }
  }
  // Equal groups: 1/2 at every k by symmetry.
  const std::vector<AnswerGroup> even = {{1000, false}, {1000, true}};
  for (const double value : kcube::majority_vote_curve(even, 0, 200))
    CHECK(std::abs(value - 0.5) <= 1e-13);
}

TEST_CASE("majority vote with one answer and samples without one is pass@k of that answer") {
  for (const auto& question : std::vector<std::tuple<std::int64_t, std::int64_t, bool>>{
           {10'000, 3, true}, {10'000, 2'000, true}, {10'000, 9'999, true}, {500, 40, false}}) {
    const auto [n, size, correct] = question;
    const std::int64_t c = size;  // CAPTURE cannot take a structured binding
    const std::vector<AnswerGroup> groups = {{c, correct}};
    const std::vector<double> curve = kcube::majority_vote_curve(groups, n - c, 100);
    for (std::int64_t k = 1; k <= 100; ++k) {
      CAPTURE(c);
      CAPTURE(k);
      const double expected = correct ? kcube::pass_at_k(n, c, k) : 0.0;
      CHECK(std::abs(curve[static_cast<std::size_t>(k - 1)] - expected) <= 1e-13);
    }
  }
  // One answer only: it always wins.
  const std::vector<AnswerGroup> alone = {{50, true}};
  for (const double value : kcube::majority_vote_curve(alone, 0, 50))
    CHECK(value == doctest::Approx(1.0).epsilon(1e-14));
  // No answers at all: every draw is wrong.
  CHECK(kcube::majority_vote_curve({}, 7, 7) == std::vector<double>(7, 0.0));
}

TEST_CASE("majority vote of many equal answers splits ties uniformly") {
  // 40 answers of 1 sample each, 10 correct: every k-subset ties all its k answers, so the
  // accuracy is the expected share of correct answers among them, 10/40.
  std::vector<AnswerGroup> singletons(40, AnswerGroup{1, false});
  for (std::size_t i = 0; i < 10; ++i)
    singletons[i].correct = true;
  for (const double value : kcube::majority_vote_curve(singletons, 0, 40))
    CHECK(value == doctest::Approx(0.25).epsilon(1e-13));
}

TEST_CASE("verifier-best: closed forms on long logs") {
  const std::int64_t n = 10'000;
  const std::int64_t c = 25;
  std::vector<ScoredOutcome> top_correct;
  std::vector<ScoredOutcome> bottom_correct;
  std::vector<ScoredOutcome> all_tied;
  for (std::int64_t i = 0; i < n; ++i) {
    top_correct.push_back({static_cast<double>(i), i >= n - c});
    bottom_correct.push_back({static_cast<double>(i), i < c});
    all_tied.push_back({1.5, i < c});
  }
  const std::vector<double> top = kcube::verifier_best_curve(top_correct, 200);
  const std::vector<double> bottom = kcube::verifier_best_curve(bottom_correct, 200);
  const std::vector<double> tied = kcube::verifier_best_curve(all_tied, 200);
  double all_correct = 1.0;  // C(c, k) / C(n, k): the top is correct only if every draw is
  for (std::int64_t k = 1; k <= 200; ++k) {
    CAPTURE(k);
    const auto i = static_cast<std::size_t>(k - 1);
    // The correct samples score highest: the top is correct when any correct one is drawn.
    CHECK(top[i] == doctest::Approx(kcube::pass_at_k(n, c, k)).epsilon(1e-12));
    all_correct *=
        std::max<double>(0.0, static_cast<double>(c - k + 1)) / static_cast<double>(n - k + 1);
    CHECK(std::abs(bottom[i] - all_correct) <= 1e-15);
    CHECK(tied[i] == doctest::Approx(0.0025).epsilon(1e-13));
  }
  // Infinite scores order as usual.
  const std::vector<ScoredOutcome> infinite = {{std::numeric_limits<double>::infinity(), true},
                                               {-std::numeric_limits<double>::infinity(), false}};
  CHECK(kcube::verifier_best_curve(infinite, 2) == std::vector<double>{0.5, 1.0});
}

TEST_CASE("out-of-range inputs are refused with what, where and how to fix") {
  using doctest::Contains;
  CHECK_THROWS_WITH_AS(kcube::pass_at_k(10, 3, 11),
                       Contains("pass_at_k: k = 11 exceeds the question's 10 samples"),
                       kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::pass_at_k(10, 3, 0), Contains("pass_at_k: k = 0 is below 1"),
                       kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::pass_at_k(10, 11, 1),
                       Contains("c = 11 correct samples is outside [0, n = 10]"), kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::pass_at_k(-1, 0, 1), Contains("n = -1 samples is negative"),
                       kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::pass_at_k(kcube::kMaxEstimatorSamples + 1, 0, 1),
                       Contains("more than the"), kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::pass_at_k_curve(4, 1, 5),
                       Contains("pass_at_k_curve: k_max = 5 exceeds the question's 4 samples"),
                       kcube::Error);
  const std::vector<AnswerGroup> groups = {{3, true}, {-2, false}};
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(groups, 0, 1),
                       Contains("majority_vote_curve: answer group 1 has size -2"), kcube::Error);
  const std::vector<AnswerGroup> zero = {{0, true}};
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(zero, 1, 1),
                       Contains("answer group 0 has size 0"), kcube::Error);
  const std::vector<AnswerGroup> three = {{3, true}};
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(three, -1, 1),
                       Contains("empty = -1 samples without an answer is negative"), kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(three, 2, 6),
                       Contains("k_max = 6 exceeds the question's 5 samples"), kcube::Error);
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(three, 0, -1), Contains("k_max = -1 is below 0"),
                       kcube::Error);
  const std::vector<AnswerGroup> huge = {{kcube::kMaxEstimatorSamples, true}, {1, false}};
  CHECK_THROWS_WITH_AS(kcube::majority_vote_curve(huge, 0, 1), Contains("more than the"),
                       kcube::Error);
  const std::vector<ScoredOutcome> nan = {{0.5, true}, {std::nan(""), false}};
  CHECK_THROWS_WITH_AS(kcube::verifier_best_curve(nan, 1),
                       Contains("verifier_best_curve: sample 1 has a NaN score"), kcube::Error);
  const std::vector<ScoredOutcome> two = {{0.5, true}, {0.1, false}};
  CHECK_THROWS_WITH_AS(kcube::verifier_best_curve(two, 3),
                       Contains("k_max = 3 exceeds the question's 2 samples"), kcube::Error);
}
