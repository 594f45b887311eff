// kcube fit's maximum-likelihood fits (framework/src/fit/): synthetic logs drawn here from known
// parameters with fixed seeds, and the four shipped logs of experiments/data/.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <omp.h>

#include "fit/fit_log.hpp"
#include "fit/model_fit.hpp"
#include "fit/wrong_answers.hpp"
#include "kcube/difficulty.hpp"
#include "kcube/error.hpp"
#include "kcube/estimators.hpp"
#include "kcube/random.hpp"

namespace {

using kcube::difficulty::Distribution;
using kcube::difficulty::WrongAnswers;
using namespace kcube::fit;

// A synthetic sample log: `questions` questions of `samples` samples, each question's p drawn
// from `d`, each sample correct with probability p; a wrong sample's answer is wrong answer j
// with probability wrong.shares()[j - 1] (answer id 1 is the correct answer, j + 1 wrong answer j).
kcube::SampleLog synthetic_log(const Distribution& d, const WrongAnswers& wrong, int questions,
                               int samples, std::uint64_t seed) {
  kcube::RandomStream stream(seed, 17, 0);
  const std::vector<double> shares = wrong.shares();
  kcube::SampleLog log;
  log.has_answers = true;
  for (int q = 0; q < questions; ++q) {
    kcube::LoggedQuestion question;
    question.id = "synthetic-" + std::to_string(q);
    const double p = d.draw(stream);
    for (int i = 0; i < samples; ++i) {
      kcube::LoggedSample s;
      s.correct = stream.uniform() < p;
      if (s.correct) {
        s.answer = 1;
      } else {
        double u = stream.uniform();
        std::size_t j = 0;
        while (j + 1 < shares.size() && u >= shares[j]) {
          u -= shares[j];
          ++j;
        }
        s.answer = static_cast<std::uint32_t>(j + 2);
      }
      question.samples.push_back(s);
    }
    log.questions.push_back(std::move(question));
  }
  return log;
}

std::vector<QuestionCounts> counts_of(const kcube::SampleLog& log) {
  std::vector<QuestionCounts> counts;
  for (const auto& q : log.questions) {
    QuestionCounts c;
    c.samples = static_cast<int>(q.samples.size());
    for (const auto& s : q.samples)
      c.correct += s.correct ? 1 : 0;
    counts.push_back(c);
  }
  return counts;
}

// Every parameter within 3 standard errors of the value the log was drawn with.
void check_recovered(const CandidateFit& fit, const std::vector<double>& truth) {
  REQUIRE(fit.parameters.size() == truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const ParameterEstimate& p = fit.parameters[i];
    CAPTURE(p.name);
    CAPTURE(p.value);
    CAPTURE(truth[i]);
    REQUIRE(p.standard_error.has_value());
    CAPTURE(*p.standard_error);
    CHECK(std::abs(p.value - truth[i]) <= 3.0 * *p.standard_error);
  }
}

}  // namespace

TEST_CASE("a beta fit recovers alpha and beta of a synthetic log within 3 standard errors") {
  Distribution d;
  d.alpha = 0.7;
  d.beta = 2.5;
  const auto log = synthetic_log(d, WrongAnswers{}, 1000, 20, 1);
  const CandidateFit fit = fit_candidate(ModelKind::beta, counts_of(log));
  CHECK(fit.converged);
  CHECK(fit.standard_error_note.empty());
  check_recovered(fit, {0.7, 2.5});
}

TEST_CASE("a beta fit with p_zero recovers alpha, beta and p_zero within 3 standard errors") {
  Distribution d;
  d.alpha = 1.5;
  d.beta = 3.0;
  d.p_zero = 0.25;
  const auto log = synthetic_log(d, WrongAnswers{}, 1000, 20, 2);
  const auto counts = counts_of(log);
  const CandidateFit fit = fit_candidate(ModelKind::beta_p_zero, counts);
  CHECK(fit.converged);
  check_recovered(fit, {1.5, 3.0, 0.25});
  // The data have a share of never-solved questions: AIC prefers the model that has one.
  const auto all = fit_candidates(counts);
  CHECK(all[best_by_aic(all)].kind == ModelKind::beta_p_zero);
}

TEST_CASE("p_zero at its boundary 0 has no standard error, and the fit says why") {
  Distribution d;
  d.alpha = 5.0;
  d.beta = 2.0;
  const auto log = synthetic_log(d, WrongAnswers{}, 1000, 20, 3);
  const auto counts = counts_of(log);
  // Beta(5, 2) leaves a question unsolved in 20 samples with probability B(5, 22) / B(5, 2)
  // = 1.7e-5: this log has none, so the likelihood falls with p_zero and its maximum is at 0.
  for (const auto& c : counts)
    REQUIRE(c.correct > 0);
  const CandidateFit fit = fit_candidate(ModelKind::beta_p_zero, counts);
  CHECK(fit.parameters[2].value < 1e-6);
  CHECK_FALSE(fit.parameters[2].standard_error.has_value());
  CHECK(fit.standard_error_note.find("p_zero") != std::string::npos);
  CHECK(fit.standard_error_note.find("boundary") != std::string::npos);
  // alpha and beta keep theirs, conditional on p_zero = 0.
  check_recovered(
      CandidateFit{
          fit.kind, fit.distribution, {fit.parameters[0], fit.parameters[1]}, 0, 0, "", true},
      {5.0, 2.0});
}

TEST_CASE("a two-point fit recovers p_easy, p_hard and easy_share within 3 standard errors") {
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = 0.8;
  d.p_hard = 0.4;
  d.easy_share = 0.5;
  const auto log = synthetic_log(d, WrongAnswers{}, 1000, 20, 4);
  const CandidateFit fit = fit_candidate(ModelKind::two_point, counts_of(log));
  check_recovered(fit, {0.8, 0.4, 0.5});
}

TEST_CASE(
    "kcube fit on a log drawn from two-point 0.8/0.4/0.5 warns that majority vote peaks "
    "at k = 5") {
  // Chen et al. 2024: with one wrong answer, F(k) = 0.5 I_0.8 + 0.5 I_0.4 rises to 0.6298 at
  // k = 5 and falls after (0.5923 at k = 19).
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = 0.8;
  d.p_hard = 0.4;
  d.easy_share = 0.5;
  FitInput input{synthetic_log(d, WrongAnswers{}, 1000, 20, 5), false};
  FitOptions options;
  options.predict = {50};
  options.bootstrap = 0;
  const FitReport report = fit_log(input, options);
  CHECK(report.chosen_fit().kind == ModelKind::two_point);
  REQUIRE(report.wrong_answers.has_value());
  CHECK(report.wrong_answers->wrong.count == 1);
  REQUIRE(report.majority_peak.has_value());
  CHECK(report.majority_peak->k == 5);
  CHECK(report.majority_peak->last_k == 50);
  REQUIRE_FALSE(report.warnings.empty());
  CHECK(report.warnings.front().find("not monotone") != std::string::npos);
  CHECK(report.warnings.front().find("k = 5") != std::string::npos);
}

TEST_CASE("a beta log's fitted majority vote rises with k: no warning") {
  Distribution d;
  d.alpha = 3.0;
  d.beta = 1.0;  // mostly easy questions
  FitInput input{synthetic_log(d, WrongAnswers{3, 1.0}, 500, 10, 6), false};
  FitOptions options;
  options.bootstrap = 0;
  const FitReport report = fit_log(input, options);
  CHECK_FALSE(report.majority_peak.has_value());
  CHECK(report.warnings.empty());
}

TEST_CASE("the wrong answers' fit recovers W and skew on a synthetic log") {
  // 2,000 questions whose samples are all wrong (p = 0), 40 samples each, spread over W = 3
  // answers with skew 2 (shares 0.735, 0.184, 0.082).
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = 0.0;
  d.p_hard = 0.0;
  const WrongAnswers truth{3, 2.0};
  const auto log = synthetic_log(d, truth, 2000, 40, 7);
  std::vector<std::vector<std::int64_t>> counts;
  for (const auto& q : log.questions) {
    std::vector<std::int64_t> c(3, 0);
    for (const auto& s : q.samples)
      ++c[s.answer - 2];
    counts.push_back(c);
  }
  const WrongAnswerFit fit = fit_wrong_answers(counts);
  CHECK(fit.wrong.count == 3);
  CHECK(fit.questions == 2000);
  CHECK(fit.wrong_samples == 80000);
  REQUIRE(fit.skew_standard_error.has_value());
  CAPTURE(fit.wrong.skew);
  CAPTURE(*fit.skew_standard_error);
  // Ranking by count swaps answers 2 and 3 when answer 3 comes up at least as often (13 % of
  // questions here), which inflates the skew (wrong_answers.hpp): by +0.006 at these counts (the
  // rank totals' expectation, simulated with 20,000 questions). 3 standard errors plus an
  // allowance of 0.05 for that bias (this log gives 2.0068 with a standard error of 0.0095).
  CHECK(std::abs(fit.wrong.skew - truth.skew) <= 3.0 * *fit.skew_standard_error + 0.05);
}

TEST_CASE("the wrong answers' fit of a log with one wrong answer per question is W = 1") {
  const std::vector<std::vector<std::int64_t>> counts = {{5}, {3}, {}, {7}};
  const WrongAnswerFit fit = fit_wrong_answers(counts);
  CHECK(fit.wrong.count == 1);
  CHECK(fit.wrong.skew == 0.0);
  CHECK(fit.questions == 3);
  CHECK(fit.wrong_samples == 15);
}

TEST_CASE("fit_log refuses --first beyond a question's samples, naming the question") {
  Distribution d;
  FitInput input{synthetic_log(d, WrongAnswers{}, 5, 4, 8), false};
  input.log.questions[3].samples.pop_back();
  FitOptions options;
  options.first = 4;
  options.bootstrap = 0;
  CHECK_THROWS_WITH_AS(fit_log(input, options),
                       doctest::Contains("question 'synthetic-3' has only 3"), kcube::Error);
  options.first = 3;
  const FitReport report = fit_log(input, options);
  CHECK(report.samples_min == 3);
  CHECK(report.samples_max == 3);
}

TEST_CASE(
    "the parametric bootstrap's intervals cover the point prediction and do not depend on "
    "threads") {
  const int threads = omp_get_max_threads();
  Distribution d;
  d.alpha = 0.5;
  d.beta = 2.0;
  FitInput input{synthetic_log(d, WrongAnswers{2, 1.0}, 200, 10, 9), false};
  FitOptions options;
  options.predict = {10, 40};
  options.bootstrap = 40;
  options.seed = 11;
  const FitReport a = fit_log(input, options);
  REQUIRE(a.predictions.size() == 2);
  for (const auto& p : a.predictions) {
    CAPTURE(p.k);
    CHECK(*p.pass_lo <= p.pass);
    CHECK(p.pass <= *p.pass_hi);
    CHECK(*p.pass_lo < *p.pass_hi);
    CHECK(*p.majority_lo <= *p.majority_hi);
  }
  CHECK(a.predictions[0].pass < a.predictions[1].pass);
  // Each resample's stream is a function of (seed, its index): one thread or three, the same
  // intervals to the last bit.
  omp_set_num_threads(1);
  const FitReport b = fit_log(input, options);
  omp_set_num_threads(3);
  const FitReport c = fit_log(input, options);
  omp_set_num_threads(threads);
  for (const FitReport* other : {&b, &c}) {
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(*a.predictions[i].pass_lo == *other->predictions[i].pass_lo);
      CHECK(*a.predictions[i].pass_hi == *other->predictions[i].pass_hi);
      CHECK(*a.predictions[i].majority_lo == *other->predictions[i].majority_lo);
      CHECK(*a.predictions[i].majority_hi == *other->predictions[i].majority_hi);
    }
  }
  // Another seed, other resamples.
  options.seed = 12;
  const FitReport other_seed = fit_log(input, options);
  CHECK(*a.predictions[1].pass_lo != *other_seed.predictions[1].pass_lo);
}

TEST_CASE("on each shipped log the fitted pass@n is within 0.01 of the log's own") {
  for (const char* name : {"game24-cot-gpt4.csv", "game24-io-gpt4.csv",
                           "cruxeval-input-codellama7b.csv", "cruxeval-output-codellama7b.csv"}) {
    CAPTURE(name);
    const FitInput input = read_log_for_fit(std::filesystem::path(KCUBE_TEST_SOURCE_DIR) /
                                            "experiments" / "data" / name);
    FitOptions options;
    options.bootstrap = 0;
    const FitReport report = fit_log(input, options);
    const CurvePoint& last = report.curve.back();
    CHECK(last.k == report.samples_min);
    CAPTURE(last.observed_pass);
    CAPTURE(last.fitted_pass);
    CHECK(std::abs(last.fitted_pass - last.observed_pass) <= 0.01);
    // The Game of 24 logs have tokens, the CRUXEval logs none.
    CHECK(report.tokens.has_value() == (std::string(name).rfind("game24", 0) == 0));
  }
}

TEST_CASE("a log whose questions are all right or all wrong gets a warning, and finite numbers") {
  // Synthetic: p is 1 or 0 (two-point 1/0/0.5), so no question mixes correct and wrong samples.
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = 1.0;
  d.p_hard = 0.0;
  d.easy_share = 0.5;
  FitInput input{synthetic_log(d, WrongAnswers{}, 50, 5, 10), false};
  FitOptions options;
  options.predict = {20};
  options.bootstrap = 10;
  const FitReport report = fit_log(input, options);
  REQUIRE_FALSE(report.warnings.empty());
  CHECK(report.warnings.back().find("no question has both correct and wrong samples") !=
        std::string::npos);
  for (const auto& c : report.candidates) {
    CHECK(std::isfinite(c.log_likelihood));
    for (const auto& p : c.parameters)
      CHECK(std::isfinite(p.value));
  }
  const Prediction& p = report.predictions.front();
  CHECK(std::isfinite(p.pass));
  CHECK(*p.pass_lo <= *p.pass_hi);
}

TEST_CASE("scores are standardized by the pooled within-class standard deviation") {
  // Synthetic scores: correct samples N(3, 2^2), wrong ones N(1, 2^2): standardized means 1.5
  // and 0.5. With 10,000 samples the standardized means have standard errors of about
  // 1 / sqrt(5,000) = 0.014 per class: 4 of them is 0.06.
  Distribution d;
  d.kind = Distribution::Kind::two_point;
  d.p_easy = 0.5;
  d.p_hard = 0.5;
  FitInput input{synthetic_log(d, WrongAnswers{}, 1000, 10, 12), false};
  input.log.has_scores = true;
  kcube::RandomStream stream(12, 18, 0);
  for (auto& q : input.log.questions)
    for (auto& s : q.samples)
      s.score = (s.correct ? 3.0 : 1.0) + 2.0 * stream.normal();
  FitOptions options;
  options.bootstrap = 0;
  const FitReport report = fit_log(input, options);
  REQUIRE(report.scores.has_value());
  CHECK(report.scores->score_correct == doctest::Approx(1.5).epsilon(0.06 / 1.5));
  CHECK(report.scores->score_wrong == doctest::Approx(0.5).epsilon(0.06 / 0.5));
  CHECK(report.scores->pooled_sd == doctest::Approx(2.0).epsilon(0.03));
}
