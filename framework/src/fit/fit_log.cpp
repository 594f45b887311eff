#include "fit/fit_log.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <utility>

#include "engine/bootstrap.hpp"
#include "kcube/error.hpp"
#include "kcube/estimators.hpp"
#include "kcube/random.hpp"
#include "util/text.hpp"

namespace kcube::fit {

namespace {

// The cell of the bootstrap's random streams (RandomStream(seed, cell, resample)): a constant, so
// a resample's draws depend only on the seed and its index, never on threads.
constexpr std::uint64_t kBootstrapCell = 0x6b63756265666974;  // "kcubefit"

// A fitted majority vote counts as falling after its peak when it ends this much below it
// (well above the quadrature's 1e-10, well below any difference a user would care about).
constexpr double kFallTolerance = 1e-6;

// The samples fitted on: each question's first `first` samples, or all of them.
std::vector<std::span<const LoggedSample>> fitted_samples(const SampleLog& log,
                                                          const FitOptions& options) {
  std::vector<std::span<const LoggedSample>> out;
  for (const LoggedQuestion& q : log.questions) {
    std::span<const LoggedSample> samples(q.samples);
    if (options.first) {
      if (static_cast<std::size_t>(*options.first) > samples.size()) {
        throw Error("cannot fit on the first " + std::to_string(*options.first) +
                    " samples of each question: question '" + text::printable(q.id) +
                    "' has only " + std::to_string(samples.size()) +
                    "; give at most the smallest sample count of the log");
      }
      samples = samples.first(static_cast<std::size_t>(*options.first));
    }
    out.push_back(samples);
  }
  return out;
}

std::vector<QuestionCounts> question_counts(
    const std::vector<std::span<const LoggedSample>>& questions) {
  std::vector<QuestionCounts> counts;
  for (const auto& samples : questions) {
    QuestionCounts c;
    c.samples = static_cast<int>(samples.size());
    for (const LoggedSample& s : samples)
      c.correct += s.correct ? 1 : 0;
    counts.push_back(c);
  }
  return counts;
}

// Each question's answer groups (estimators.hpp) and its samples without an answer.
struct Answers {
  std::vector<AnswerGroup> groups;
  std::int64_t empty = 0;
};

Answers answers_of(std::span<const LoggedSample> samples) {
  std::map<std::uint32_t, AnswerGroup> by_id;
  Answers a;
  for (const LoggedSample& s : samples) {
    if (s.answer == 0) {
      ++a.empty;
      continue;
    }
    AnswerGroup& g = by_id[s.answer];
    ++g.size;
    g.correct = s.correct;  // one answer is never both (read_sample_log checks)
  }
  for (const auto& [id, g] : by_id)
    a.groups.push_back(g);
  return a;
}

double mean_of(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x)
    sum += v;
  return sum / static_cast<double>(x.size());
}

// The sample standard deviation (n - 1); 0 for one value.
double sd_of(const std::vector<double>& x, double mean) {
  if (x.size() < 2)
    return 0.0;
  double sum = 0.0;
  for (double v : x)
    sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(x.size() - 1));
}

TokenFit token_fit(const std::vector<std::span<const LoggedSample>>& questions) {
  std::vector<double> in;
  std::vector<double> out;
  for (const auto& samples : questions) {
    for (const LoggedSample& s : samples) {
      in.push_back(s.input_cost);
      out.push_back(s.output_cost);
    }
  }
  TokenFit t;
  t.mean_input = mean_of(in);
  t.sd_input = sd_of(in, t.mean_input);
  t.mean_output = mean_of(out);
  t.sd_output = sd_of(out, t.mean_output);
  return t;
}

// score_correct/score_wrong = the class means over the pooled within-class SD: the model's scores
// have unit variance, and verifier-best depends only on the scores' order, so the scale is free.
std::optional<ScoreFit> score_fit(const std::vector<std::span<const LoggedSample>>& questions,
                                  std::vector<std::string>& notes) {
  std::vector<double> right;
  std::vector<double> wrong;
  for (const auto& samples : questions)
    for (const LoggedSample& s : samples)
      (s.correct ? right : wrong).push_back(s.score);
  if (right.empty() || wrong.empty() || right.size() + wrong.size() < 3) {
    notes.push_back(
        "the log has scores but not both correct and wrong samples: score_correct and "
        "score_wrong are not fitted");
    return std::nullopt;
  }
  const double mr = mean_of(right);
  const double mw = mean_of(wrong);
  double ss = 0.0;
  for (double v : right)
    ss += (v - mr) * (v - mr);
  for (double v : wrong)
    ss += (v - mw) * (v - mw);
  const double pooled = std::sqrt(ss / static_cast<double>(right.size() + wrong.size() - 2));
  if (!(pooled > 0.0)) {
    notes.push_back(
        "every correct sample has one score and every wrong one another: the scores separate "
        "the classes perfectly and have no spread to standardize by; score_correct and "
        "score_wrong are not fitted");
    return std::nullopt;
  }
  return ScoreFit{mr / pooled, mw / pooled, pooled};
}

// A model value that is not a probability is a defect of the difficulty model's code, reported
// as a failure at run time rather than passed on as a number.
void check_probabilities(const std::vector<double>& values, const std::vector<int>& ks,
                         const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= -1e-12 && values[i] <= 1.0 + 1e-12)) {
      throw RuntimeFailure(std::string("the difficulty model's ") + what + " at k = " +
                           std::to_string(ks[i]) + " is " + text::format_real(values[i]) +
                           ", not a probability (a defect of kcube/difficulty.hpp's code)");
    }
  }
}

std::vector<double> fitted_pass(const difficulty::Distribution& d, const std::vector<int>& ks) {
  std::vector<double> out(ks.size());
  difficulty::pass_at_k(d, ks, out);
  check_probabilities(out, ks, "pass@k");
  return out;
}

std::vector<double> fitted_majority(const difficulty::Distribution& d,
                                    const difficulty::WrongAnswers& w, const std::vector<int>& ks) {
  std::vector<double> out(ks.size());
  difficulty::majority_vote(d, w, ks, out);
  check_probabilities(out, ks, "majority vote");
  return out;
}

// The observed and fitted curves at k = 1..samples_min: every question has at least that many
// samples, so each k averages all questions with equal weight.
void add_curves(FitReport& report, const std::vector<std::span<const LoggedSample>>& questions,
                const std::vector<QuestionCounts>& counts, bool with_majority) {
  const int k_max = report.samples_min;
  std::vector<int> ks;
  for (int k = 1; k <= k_max; ++k)
    ks.push_back(k);
  std::vector<double> pass(ks.size(), 0.0);
  std::vector<double> majority(ks.size(), 0.0);
  const double weight = 1.0 / static_cast<double>(counts.size());
  for (std::size_t q = 0; q < counts.size(); ++q) {
    const auto curve = pass_at_k_curve(counts[q].samples, counts[q].correct, k_max);
    for (std::size_t i = 0; i < ks.size(); ++i)
      pass[i] += weight * curve[i];
    if (with_majority) {
      const Answers a = answers_of(questions[q]);
      const auto mv = majority_vote_curve(a.groups, a.empty, k_max);
      for (std::size_t i = 0; i < ks.size(); ++i)
        majority[i] += weight * mv[i];
    }
  }
  const CandidateFit& fit = report.chosen_fit();
  const std::vector<double> fp = fitted_pass(fit.distribution, ks);
  std::vector<double> fm;
  if (with_majority) {
    fm = fitted_majority(fit.distribution, report.wrong_answers->wrong, ks);
    report.majority_max_difference = 0.0;
  }
  for (std::size_t i = 0; i < ks.size(); ++i) {
    CurvePoint p;
    p.k = ks[i];
    p.observed_pass = pass[i];
    p.fitted_pass = fp[i];
    report.pass_max_difference = std::max(report.pass_max_difference, std::abs(pass[i] - fp[i]));
    if (with_majority) {
      p.observed_majority = majority[i];
      p.fitted_majority = fm[i];
      report.majority_max_difference =
          std::max(*report.majority_max_difference, std::abs(majority[i] - fm[i]));
    }
    report.curve.push_back(p);
  }
}

// The fitted majority vote at k = 1..k_last: its peak (the first k at its maximum) when the curve
// ends below it.
std::optional<MajorityPeak> majority_peak(const difficulty::Distribution& d,
                                          const difficulty::WrongAnswers& w, int k_last) {
  std::vector<int> ks;
  for (int k = 1; k <= k_last; ++k)
    ks.push_back(k);
  const std::vector<double> mv = fitted_majority(d, w, ks);
  const double top = *std::max_element(mv.begin(), mv.end());
  if (mv.back() >= top - kFallTolerance)
    return std::nullopt;
  std::size_t peak = 0;
  while (mv[peak] < top - 1e-12)
    ++peak;
  return MajorityPeak{ks[peak], mv[peak], k_last, mv.back()};
}

// One parametric-bootstrap resample: each question's count drawn from the fitted model with the
// question's own n, the chosen kind refitted, pass@k and majority vote at `ks` evaluated.
// The wrong answers' spread is held at its estimate (its uncertainty is not propagated).
void resample(const FitReport& report, const std::vector<QuestionCounts>& counts,
              const std::vector<int>& ks, std::uint64_t seed, std::int64_t b,
              std::vector<double>& pass, std::vector<double>& majority) {
  const CandidateFit& fit = report.chosen_fit();
  RandomStream stream(seed, kBootstrapCell, static_cast<std::uint64_t>(b));
  std::vector<QuestionCounts> drawn(counts.size());
  for (std::size_t q = 0; q < counts.size(); ++q) {
    const double p = fit.distribution.draw(stream);
    drawn[q].samples = counts[q].samples;
    for (int i = 0; i < counts[q].samples; ++i)
      drawn[q].correct += stream.uniform() < p ? 1 : 0;
  }
  const CandidateFit refit = fit_candidate(fit.kind, drawn, false);
  pass = fitted_pass(refit.distribution, ks);
  if (report.wrong_answers)
    majority = fitted_majority(refit.distribution, report.wrong_answers->wrong, ks);
}

void add_predictions(FitReport& report, const std::vector<QuestionCounts>& counts,
                     const FitOptions& options) {
  if (options.predict.empty())
    return;
  const std::vector<int>& ks = options.predict;
  const CandidateFit& fit = report.chosen_fit();
  const std::vector<double> pass = fitted_pass(fit.distribution, ks);
  std::vector<double> majority;
  if (report.wrong_answers)
    majority = fitted_majority(fit.distribution, report.wrong_answers->wrong, ks);
  const std::int64_t resamples = options.bootstrap;
  std::vector<std::vector<double>> boot_pass(static_cast<std::size_t>(resamples));
  std::vector<std::vector<double>> boot_majority(static_cast<std::size_t>(resamples));
  // Exceptions never leave the parallel region: the first resample's is rethrown after it.
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(resamples));
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t b = 0; b < resamples; ++b) {
    const auto i = static_cast<std::size_t>(b);
    try {
      resample(report, counts, ks, options.seed, b, boot_pass[i], boot_majority[i]);
    } catch (...) {
      failures[i] = std::current_exception();
    }
  }
  for (const auto& failure : failures)
    if (failure)
      std::rethrow_exception(failure);
  for (std::size_t j = 0; j < ks.size(); ++j) {
    Prediction p;
    p.k = ks[j];
    p.pass = pass[j];
    if (report.wrong_answers)
      p.majority = majority[j];
    if (resamples > 0) {
      std::vector<double> x;
      std::vector<double> y;
      for (std::size_t b = 0; b < boot_pass.size(); ++b) {
        x.push_back(boot_pass[b][j]);
        if (report.wrong_answers)
          y.push_back(boot_majority[b][j]);
      }
      // The percentile interval, with the quantile the engine's question bootstrap uses.
      p.pass_lo = percentile(x, 0.025);
      p.pass_hi = percentile(std::move(x), 0.975);
      if (report.wrong_answers) {
        p.majority_lo = percentile(y, 0.025);
        p.majority_hi = percentile(std::move(y), 0.975);
      }
    }
    report.predictions.push_back(p);
  }
}

}  // namespace

FitInput read_log_for_fit(const std::filesystem::path& file) {
  SampleLogOptions options;
  options.require_cost = false;
  options.require_latency = false;
  FitInput input{read_sample_log(file, options), false};
  if (!input.log.has_cost) {
    // Unit prices turn a log's tokens into its costs; a log without tokens still has no cost.
    options.c_in = 1.0;
    options.c_out = 1.0;
    SampleLog with_tokens = read_sample_log(file, options);
    if (with_tokens.has_cost) {
      input.log = std::move(with_tokens);
      input.costs_are_tokens = true;
    }
  }
  return input;
}

FitReport fit_log(const FitInput& input, const FitOptions& options) {
  const SampleLog& log = input.log;
  if (log.questions.empty())
    throw Error("cannot fit the difficulty model: the log has no questions");
  if (options.first && *options.first < 1) {
    throw Error("cannot fit on the first " + std::to_string(*options.first) +
                " samples of each question: give at least 1");
  }
  for (int k : options.predict) {
    if (k < 1)
      throw Error("cannot predict at k = " + std::to_string(k) + ": every k must be at least 1");
  }
  if (options.bootstrap < 0) {
    throw Error("the number of bootstrap resamples must be 0 (no intervals) or more, got " +
                std::to_string(options.bootstrap));
  }
  const auto questions = fitted_samples(log, options);
  const std::vector<QuestionCounts> counts = question_counts(questions);

  FitReport report;
  report.questions = static_cast<std::int64_t>(counts.size());
  report.samples_min = report.samples_max = counts.front().samples;
  for (const QuestionCounts& c : counts) {
    report.samples_min = std::min(report.samples_min, c.samples);
    report.samples_max = std::max(report.samples_max, c.samples);
  }
  report.bootstrap = options.bootstrap;
  report.seed = options.seed;
  report.candidates = fit_candidates(counts);
  report.chosen = best_by_aic(report.candidates);
  const bool any_mixed = std::any_of(counts.begin(), counts.end(), [](const QuestionCounts& c) {
    return c.correct > 0 && c.correct < c.samples;
  });
  if (!any_mixed) {
    report.warnings.push_back(
        "no question has both correct and wrong samples: the likelihood cannot tell how p "
        "spreads between 0 and 1, so the estimates run towards the ends of their ranges and "
        "their standard errors mean little; log more samples per question");
  }
  if (!report.chosen_fit().converged) {
    report.warnings.push_back("the optimizer did not meet its tolerances for the " +
                              std::string(to_string(report.chosen_fit().kind)) +
                              " model: its estimates may be off");
  }

  if (log.has_answers) {
    std::vector<std::vector<std::int64_t>> wrong_counts;
    for (const auto& samples : questions) {
      const Answers a = answers_of(samples);
      report.samples_without_answer += a.empty;
      std::vector<std::int64_t> wrong;
      for (const AnswerGroup& g : a.groups)
        if (!g.correct)
          wrong.push_back(g.size);
      wrong_counts.push_back(std::move(wrong));
    }
    report.wrong_answers = fit_wrong_answers(wrong_counts);
    if (report.samples_without_answer > 0) {
      report.notes.push_back(
          std::to_string(report.samples_without_answer) +
          " samples have no answer: they count as wrong in the fit of p and are left out of the "
          "wrong answers' fit; the model gives every wrong sample an answer, so its majority "
          "vote lets them vote, where the log's cannot");
    }
  } else {
    report.notes.push_back(
        "the log has no answers: wrong_answers and wrong_skew are not fitted, and there is no "
        "majority vote to compare or predict");
  }
  if (input.costs_are_tokens) {
    report.tokens = token_fit(questions);
  } else {
    report.notes.push_back(
        log.has_cost ? "the log has a cost column, not tokens: mu_Lin, sigma_Lin, mu_Lout and "
                       "sigma_Lout are not fitted"
                     : "the log has no input_tokens/output_tokens: mu_Lin, sigma_Lin, mu_Lout and "
                       "sigma_Lout are not fitted");
  }
  if (log.has_scores)
    report.scores = score_fit(questions, report.notes);

  add_curves(report, questions, counts, report.wrong_answers.has_value());
  if (report.wrong_answers) {
    int k_last = report.samples_min;
    for (int k : options.predict)
      k_last = std::max(k_last, k);
    report.majority_peak =
        majority_peak(report.chosen_fit().distribution, report.wrong_answers->wrong, k_last);
    if (report.majority_peak) {
      const MajorityPeak& p = *report.majority_peak;
      report.warnings.insert(
          report.warnings.begin(),
          "the fitted majority vote is not monotone in k: it peaks at k = " + std::to_string(p.k) +
              " (" + text::format_fixed(p.value, 6) + ") and falls to " +
              text::format_fixed(p.last_value, 6) + " at k = " + std::to_string(p.last_k) +
              ": more samples make majority vote worse beyond the peak");
    }
  }
  add_predictions(report, counts, options);
  return report;
}

}  // namespace kcube::fit
