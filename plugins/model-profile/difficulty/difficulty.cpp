// Model-profile plugin `difficulty`: each request asks a question whose difficulty p (the
// probability that one sample is correct) is drawn once; its samples are correct with
// probability p, wrong ones spread over a few wrong answers, optionally scored by a verifier.
// Cost and latency as in the `gaussian` profile. See README.md and kcube/difficulty.hpp.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/difficulty.hpp"
#include "kcube/kcube.hpp"
#include "kcube/token_cost.hpp"

namespace {

using kcube::AccuracyForm;
using kcube::ParamSpec;
using kcube::ParamType;
using kcube::difficulty::Distribution;

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The parameters of each kind of p_distribution: given with the other kind, they would be
/// silently ignored, so they are an error instead.
constexpr std::array<std::string_view, 3> kBetaParams = {"alpha", "beta", "p_zero"};
constexpr std::array<std::string_view, 3> kTwoPointParams = {"p_easy", "p_hard", "easy_share"};

/// The value of optional real parameter `key`, or `fallback` when it is absent.
double real_or(const kcube::Params& params, std::string_view key, double fallback) {
  return kcube::has_param(params, key) ? kcube::get_real(params, key) : fallback;
}

/// p's distribution from the parameters; kcube::Error for a parameter of the other kind.
Distribution distribution_of(const kcube::Params& params) {
  Distribution d;  // its defaults are the schema's documented defaults
  const bool two_point = kcube::get_string(params, "p_distribution") == "two-point";
  d.kind = two_point ? Distribution::Kind::two_point : Distribution::Kind::beta;
  for (const std::string_view key : two_point ? kBetaParams : kTwoPointParams) {
    if (kcube::has_param(params, key)) {
      throw kcube::Error(std::string(key) + " is a parameter of p_distribution: " +
                         (two_point ? "beta" : "two-point") + ", but p_distribution is " +
                         (two_point ? "two-point" : "beta") + ": remove " + std::string(key) +
                         " or change p_distribution");
    }
  }
  d.alpha = real_or(params, "alpha", d.alpha);
  d.beta = real_or(params, "beta", d.beta);
  d.p_zero = real_or(params, "p_zero", d.p_zero);
  d.p_easy = real_or(params, "p_easy", d.p_easy);
  d.p_hard = real_or(params, "p_hard", d.p_hard);
  d.easy_share = real_or(params, "easy_share", d.easy_share);
  d.validate();
  return d;
}

/// The verifier's score model, or none; kcube::Error when only one of its two means is given.
std::optional<kcube::difficulty::Scores> scores_of(const kcube::Params& params) {
  const bool correct = kcube::has_param(params, "score_correct");
  const bool wrong = kcube::has_param(params, "score_wrong");
  if (correct != wrong) {
    throw kcube::Error(
        std::string("the score model needs both score_correct and score_wrong, but ") +
        (correct ? "score_wrong" : "score_correct") +
        " is missing: give both (a verifier's mean score of a correct and of a "
        "wrong sample) or neither (no scores)");
  }
  if (!correct)
    return std::nullopt;
  return kcube::difficulty::Scores{.correct = kcube::get_real(params, "score_correct"),
                                   .wrong = kcube::get_real(params, "score_wrong")};
}

/// "difficulty(beta: alpha=0.5, beta=2)", "difficulty(two-point: p_easy=0.8, p_hard=0.4,
/// easy_share=0.5)": the default display name.
std::string default_name(const Distribution& d) {
  using kcube::format_number;
  if (d.kind == Distribution::Kind::two_point) {
    return "difficulty(two-point: p_easy=" + format_number(d.p_easy) +
           ", p_hard=" + format_number(d.p_hard) + ", easy_share=" + format_number(d.easy_share) +
           ")";
  }
  std::string name =
      "difficulty(beta: alpha=" + format_number(d.alpha) + ", beta=" + format_number(d.beta);
  if (d.p_zero > 0.0)
    name += ", p_zero=" + format_number(d.p_zero);
  return name + ")";
}

/// Correlated samples through the question's p; exact accuracy of every aggregation form.
class DifficultyProfile final : public kcube::ModelProfile {
 public:
  /// Reads the validated parameters; kcube::Error for combinations the schema cannot express.
  explicit DifficultyProfile(const kcube::Params& params)
      : tokens_(params), distribution_(distribution_of(params)), scores_(scores_of(params)) {
    wrong_.count = static_cast<int>(kcube::get_int(params, "wrong_answers"));
    wrong_.skew = kcube::get_real(params, "wrong_skew");
    wrong_.validate();
    // Cumulative shares: wrong answer j is the first whose cumulative share exceeds a uniform.
    double sum = 0.0;
    for (const double share : wrong_.shares()) {
      sum += share;
      cumulative_shares_.push_back(sum);
    }
    display_name_ = kcube::has_param(params, "display_name")
                        ? kcube::get_string(params, "display_name")
                        : std::string();
    if (display_name_.empty())
      display_name_ = default_name(distribution_);
  }

  std::string display_name() const override { return display_name_; }

  /// p first (Distribution::draw), then per inference, in this order: z1 and z2 for the tokens
  /// (as `gaussian`), a uniform u for correctness (correct when u < p), when wrong and W > 1 a
  /// uniform for which wrong answer, and with a score model a normal for the score. Answer 1 is
  /// the correct one, 2..W + 1 the wrong ones.
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    const double p = distribution_.draw(stream);
    for (kcube::InferenceOutcome& outcome : path) {
      tokens_.draw(stream, outcome);
      const bool correct = stream.uniform() < p;
      outcome.accuracy = correct ? 1.0 : 0.0;
      outcome.answer = correct ? 1U : 2U + wrong_answer(stream);
      if (scores_) {
        const double mean = correct ? scores_->correct : scores_->wrong;
        outcome.score = mean + stream.normal();
      }
    }
  }

  /// Answers and input costs always; scores with a score model.
  kcube::SampleFields provides() const override {
    return {.answers = true, .scores = scores_.has_value(), .input_cost = true};
  }

  bool has_exact() const override { return true; }
  double expected_cost() const override { return tokens_.expectations().cost; }
  double expected_input_cost() const override { return tokens_.expectations().input_cost; }
  double expected_latency() const override { return tokens_.expectations().latency; }

  /// One sample's accuracy is 1 with probability E[p], else 0: F(y) = 1 - E[p] on [0, 1).
  /// (The engine aggregates through expected_accuracy(), since the samples are correlated.)
  double accuracy_cdf(double y) const override {
    if (y < 0.0)
      return 0.0;
    return y >= 1.0 ? 1.0 : 1.0 - distribution_.mean();
  }

  bool has_exact_accuracy() const override { return true; }
  /// best_of_k and any_correct: pass@k (a sample's accuracy is 0 or 1, so the best of k is 1
  /// exactly when one is correct); plurality: majority vote; best_score: verifier-best.
  void expected_accuracy(AccuracyForm form, std::span<const int> ks,
                         std::span<double> accuracy) const override {
    switch (form) {
      case AccuracyForm::best_of_k:
      case AccuracyForm::any_correct:
        kcube::difficulty::pass_at_k(distribution_, ks, accuracy);
        return;
      case AccuracyForm::plurality:
        kcube::difficulty::majority_vote(distribution_, wrong_, ks, accuracy);
        return;
      case AccuracyForm::best_score:
        if (!scores_) {
          throw kcube::Error(
              "has no score model, so the highest-scored sample is undefined: set score_correct "
              "and score_wrong (a verifier's mean score of a correct and of a wrong sample)");
        }
        kcube::difficulty::verifier_best(distribution_, *scores_, ks, accuracy);
        return;
      case AccuracyForm::none:
        break;
    }
    throw kcube::RuntimeFailure("difficulty: no expected accuracy for the form '" +
                                std::string(kcube::to_string(form)) + "'");
  }

 private:
  /// The index (0..W - 1) of a wrong sample's answer; takes a uniform only when W > 1.
  std::uint32_t wrong_answer(kcube::RandomStream& stream) const {
    if (cumulative_shares_.size() == 1)
      return 0;
    const double u = stream.uniform();
    const auto at = std::upper_bound(cumulative_shares_.begin(), cumulative_shares_.end(), u);
    // The last cumulative share may round below 1: a u above it is the last answer.
    const auto index = std::min(static_cast<std::size_t>(at - cumulative_shares_.begin()),
                                cumulative_shares_.size() - 1);
    return static_cast<std::uint32_t>(index);
  }

  kcube::TokenCostModel tokens_;
  Distribution distribution_;
  kcube::difficulty::WrongAnswers wrong_;
  std::optional<kcube::difficulty::Scores> scores_;
  std::vector<double> cumulative_shares_;
  std::string display_name_;
};

/// The token model's eight parameters, then the difficulty model's.
constexpr auto kParams = kcube::join_params(
    kcube::kTokenCostParams,
    std::array<ParamSpec, 12>{{
        {.key = "p_distribution",
         .type = ParamType::enumeration,
         .default_value = "beta",
         .choices = "beta|two-point",
         .doc = "the distribution of a question's success probability p"},
        {.key = "alpha",
         .type = ParamType::real,
         .min = 0,
         .max = kInf,
         .doc = "beta: p ~ Beta(alpha, beta) (default 1); 1 - pass@k falls like k^-alpha",
         .min_exclusive = true,
         .max_exclusive = true},
        {.key = "beta",
         .type = ParamType::real,
         .min = 0,
         .max = kInf,
         .doc = "beta: p ~ Beta(alpha, beta) (default 1)",
         .min_exclusive = true,
         .max_exclusive = true},
        {.key = "p_zero",
         .type = ParamType::real,
         .min = 0,
         .max = 1,
         .doc = "beta: the share of questions never solved, p = 0 (default 0)",
         .max_exclusive = true},
        {.key = "p_easy",
         .type = ParamType::real,
         .min = 0,
         .max = 1,
         .doc = "two-point: p of an easy question (default 0.8)"},
        {.key = "p_hard",
         .type = ParamType::real,
         .min = 0,
         .max = 1,
         .doc = "two-point: p of a hard question (default 0.4)"},
        {.key = "easy_share",
         .type = ParamType::real,
         .min = 0,
         .max = 1,
         .doc = "two-point: the share of easy questions (default 0.5)"},
        {.key = "wrong_answers",
         .type = ParamType::integer,
         .default_value = "1",
         .min = 1,
         .max = 10000,  // WrongAnswers::validate()'s bound
         .doc = "how many distinct wrong answers a wrong sample chooses among"},
        {.key = "wrong_skew",
         .type = ParamType::real,
         .default_value = "0",
         .min = 0,
         .max = kInf,
         .doc = "wrong answer j has probability proportional to j^-wrong_skew (0: uniform)",
         .max_exclusive = true},
        {.key = "score_correct",
         .type = ParamType::real,
         .min = -kInf,
         .max = kInf,
         .doc =
             "a correct sample's verifier score ~ N(score_correct, 1) (with score_wrong; default: "
             "no scores)",
         .min_exclusive = true,
         .max_exclusive = true},
        {.key = "score_wrong",
         .type = ParamType::real,
         .min = -kInf,
         .max = kInf,
         .doc = "a wrong sample's verifier score ~ N(score_wrong, 1) (with score_correct)",
         .min_exclusive = true,
         .max_exclusive = true},
        {.key = "display_name",
         .type = ParamType::string,
         .doc = "name shown in reports (default: difficulty(beta: alpha=..., beta=...) or "
                "difficulty(two-point: ...))"},
    }});

}  // namespace

extern const kcube::PluginDescriptor kcube_difficulty_descriptor;
const kcube::PluginDescriptor kcube_difficulty_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = "difficulty",
    .version = "1.0.0",
    .summary =
        "per-question difficulty p: correlated samples, exact pass@k, majority vote and "
        "verifier-best; gaussian cost and latency",
    .params = kParams.data(),
    .param_count = kParams.size(),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<DifficultyProfile>,
};
KCUBE_EXPORT_PLUGIN(kcube_difficulty_descriptor)
