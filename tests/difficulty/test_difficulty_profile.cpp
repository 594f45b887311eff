// The `difficulty` model profile (plugins/model-profile/difficulty) and the engine's exact
// evaluation of correlated samples (ModelProfile::has_exact_accuracy()): its exact tables for
// pass-at-k, max-accuracy, majority-vote and verifier-best against Monte Carlo through the
// engine, for both distributions of p; the nested prefix property of its paths; its parameter
// errors; and the checked wrapper and engine dispatch of expected_accuracy() with stand-in
// profiles. All data are synthetic: drawn from the profile with fixed seeds.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/checked.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/aggregator.hpp"
#include "kcube/difficulty.hpp"
#include "kcube/error.hpp"
#include "kcube/model_profile.hpp"
#include "message_of.hpp"

namespace {

using kcube::AccuracyForm;
using kcube::CandidateTable;
using kcube::Deployment;
using kcube::PluginInstance;
using kcube::test::message_of;

/// Token costs and times of the tests' profiles (the README's manifest example), with spreads
/// wide enough that cost and latency vary from sample to sample.
const std::string kCosts =
    "c_in=1e-6,c_out=4e-6,t_in=1e-4,t_out=0.02,mu_Lin=500,sigma_Lin=100,mu_Lout=800,sigma_Lout="
    "300";

/// The two distributions of p the Monte Carlo comparisons cover.
const std::string kBeta = "p_distribution=beta,alpha=0.7,beta=1.3,p_zero=0.1";
const std::string kTwoPoint = "p_distribution=two-point,p_easy=0.8,p_hard=0.4,easy_share=0.5";

PluginInstance<kcube::ModelProfile> profile(const std::string& params) {
  return kcube::test::builtin_registry().create<kcube::ModelProfile>(
      kcube::parse_spec("difficulty:" + kCosts + "," + params));
}

PluginInstance<kcube::Aggregator> aggregator(const std::string& name) {
  return kcube::test::builtin_registry().create<kcube::Aggregator>(kcube::parse_spec(name));
}

Deployment grid(int parallelism, int k_max, int k_step) {
  Deployment d;
  d.parallelism = parallelism;
  d.k_max = k_max;
  d.k_step = k_step;
  return d;
}

/// The message of the kcube::Error that making profile `params` throws.
std::string creation_error(const std::string& params) {
  return message_of([&] { profile(params); });
}

/// Exact against Monte Carlo through the engine: accuracy, cost and latency at every k of the
/// grid within 4 standard errors of `trials` nested trials.
void check_against_monte_carlo(const std::string& params, const std::string& aggregator_name,
                               std::int64_t trials) {
  CAPTURE(params);
  CAPTURE(aggregator_name);
  const auto p = profile(params);
  const auto a = aggregator(aggregator_name);
  const Deployment d = grid(3, 12, 1);
  std::vector<std::string> notes;
  const CandidateTable exact = kcube::exact_candidates(p.checked(), a.checked(), d, notes);
  CHECK(notes.empty());
  kcube::SimulationOptions o;
  o.trials = trials;
  o.seed = 20251202;
  o.threads = 2;
  const auto cell = kcube::cell_identity("difficulty", p.params(), d);
  const kcube::SimulationResult mc = kcube::simulate(p.checked(), a.checked(), cell, d, o);
  REQUIRE(exact.rows.size() == mc.table.rows.size());
  const std::vector<double>& accuracy_se = *mc.table.column("accuracy_se");
  const std::vector<double>& cost_se = *mc.table.column("cost_se");
  const std::vector<double>& latency_se = *mc.table.column("latency_se");
  for (std::size_t i = 0; i < exact.rows.size(); ++i) {
    CAPTURE(exact.rows[i].k);
    CHECK(exact.rows[i].k == mc.table.rows[i].k);
    // The Monte Carlo mean is within 4 of its standard errors of its expectation (a two-sided
    // miss has probability 6e-5 per value); the seed is fixed, so the test is deterministic.
    CHECK(std::abs(mc.table.rows[i].accuracy - exact.rows[i].accuracy) <= 4.0 * accuracy_se[i]);
    CHECK(std::abs(mc.table.rows[i].cost - exact.rows[i].cost) <= 4.0 * cost_se[i]);
    CHECK(std::abs(mc.table.rows[i].latency - exact.rows[i].latency) <= 4.0 * latency_se[i]);
  }
}

/// A profile with answers and an exact (i.i.d.) description but no exact accuracy of its own:
/// every sample has accuracy 1/2, answer 1, cost 1, latency 1.
class IidAnswering final : public kcube::ModelProfile {
 public:
  std::string display_name() const override { return "iid-answering"; }
  kcube::SampleFields provides() const override { return {.answers = true, .scores = true}; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path)
      o = {.cost = 1.0, .latency = 1.0, .accuracy = 0.5, .answer = 1};
  }
  bool has_exact() const override { return true; }
  double expected_cost() const override { return 1.0; }
  double expected_latency() const override { return 1.0; }
  double accuracy_cdf(double y) const override { return y < 0.5 ? 0.0 : 1.0; }
};

/// A profile with its own exact accuracy that records what it was asked and misbehaves as
/// `mode` says: 0 answers k / 100, 1 returns 1.5, 2 throws kcube::Error, 3 throws
/// std::runtime_error.
class OwnAccuracy final : public kcube::ModelProfile {
 public:
  explicit OwnAccuracy(int mode) : mode_(mode) {}
  std::string display_name() const override { return "own-accuracy"; }
  kcube::SampleFields provides() const override { return {.answers = true}; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome>) const override {}
  bool has_exact() const override { return true; }
  double expected_cost() const override { return 2.0; }
  double expected_latency() const override { return 3.0; }
  double accuracy_cdf(double y) const override { return y < 1.0 ? 0.5 : 1.0; }
  bool has_exact_accuracy() const override { return true; }
  void expected_accuracy(AccuracyForm form, std::span<const int> ks,
                         std::span<double> accuracy) const override {
    ++calls;
    last_form = form;
    if (mode_ == 2)
      throw kcube::Error("cannot serve this form: set the parameter x");
    if (mode_ == 3)
      throw std::runtime_error("out of order");
    for (std::size_t i = 0; i < ks.size(); ++i)
      accuracy[i] = mode_ == 1 ? 1.5 : ks[i] / 100.0;
  }
  mutable int calls = 0;
  mutable AccuracyForm last_form = AccuracyForm::none;

 private:
  int mode_;
};

}  // namespace

TEST_CASE("difficulty: exact pass-at-k and max-accuracy within 4 SE of Monte Carlo") {
  for (const std::string& p : {kBeta, kTwoPoint}) {
    check_against_monte_carlo(p, "pass-at-k", 20000);
    check_against_monte_carlo(p, "max-accuracy", 20000);
  }
}

TEST_CASE(
    "difficulty: exact majority-vote within 4 SE of Monte Carlo, one and three wrong answers") {
  for (const std::string& p : {kBeta, kTwoPoint}) {
    check_against_monte_carlo(p, "majority-vote", 20000);
    check_against_monte_carlo(p + ",wrong_answers=3,wrong_skew=1", "majority-vote", 20000);
  }
}

TEST_CASE("difficulty: exact verifier-best within 4 SE of Monte Carlo") {
  for (const std::string& p : {kBeta, kTwoPoint}) {
    check_against_monte_carlo(p + ",score_correct=1,score_wrong=0", "verifier-best", 20000);
    check_against_monte_carlo(
        p + ",wrong_answers=3,wrong_skew=1,score_correct=0.5,score_wrong=-0.5", "verifier-best",
        20000);
  }
}

TEST_CASE("difficulty: the exact tables are the model's functions, cost and latency as gaussian") {
  const auto p = profile(kTwoPoint + ",wrong_answers=3,wrong_skew=1,score_correct=1,score_wrong=0");
  kcube::difficulty::Distribution d;
  d.kind = kcube::difficulty::Distribution::Kind::two_point;
  const kcube::difficulty::WrongAnswers wrong{.count = 3, .skew = 1.0};
  const Deployment deployment = grid(4, 16, 2);
  const std::vector<int> ks = deployment.k_grid();
  std::vector<double> pass(ks.size()), majority(ks.size()), best(ks.size());
  kcube::difficulty::pass_at_k(d, ks, pass);
  kcube::difficulty::majority_vote(d, wrong, ks, majority);
  kcube::difficulty::verifier_best(d, {.correct = 1.0, .wrong = 0.0}, ks, best);
  // The gaussian profile with the same token parameters: the same expected cost and latency.
  const auto gaussian = kcube::test::builtin_registry().create<kcube::ModelProfile>(
      kcube::parse_spec("gaussian:" + kCosts + ",acc_mean=0.5,acc_std=0.1"));
  const CandidateTable reference = kcube::exact_candidates(gaussian.checked(), deployment);
  const struct {
    const char* name;
    const std::vector<double>& accuracy;
  } cases[] = {{"pass-at-k", pass},
               {"max-accuracy", pass},
               {"majority-vote", majority},
               {"verifier-best", best}};
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::vector<std::string> notes;
    const CandidateTable t =
        kcube::exact_candidates(p.checked(), aggregator(c.name).checked(), deployment, notes);
    REQUIRE(t.rows.size() == ks.size());
    for (std::size_t i = 0; i < ks.size(); ++i) {
      CAPTURE(ks[i]);
      CHECK(t.rows[i].k == ks[i]);
      CHECK(t.rows[i].accuracy == c.accuracy[i]);
      CHECK(t.rows[i].cost == reference.rows[i].cost);
      CHECK(t.rows[i].latency == reference.rows[i].latency);
    }
  }
  // Without an aggregator (best of k) too: pass@k, not the i.i.d. 1 - (1 - E[p])^k of F alone.
  const CandidateTable plain = kcube::exact_candidates(p.checked(), deployment);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    CAPTURE(ks[i]);
    CHECK(plain.rows[i].accuracy == pass[i]);
    // Correlated samples miss together: below the independent value (by 0.04 at k = 2, 0.008 at
    // k = 8; beyond, both are within 2e-4 of 1).
    if (ks[i] <= 8)
      CHECK(plain.rows[i].accuracy < 1.0 - std::pow(1.0 - d.mean(), ks[i]) - 1e-3);
  }
}

TEST_CASE("difficulty: majority vote on 0.8/0.4/0.5 rises to its peak at k = 5, then falls") {
  const auto p = profile(kTwoPoint);
  std::vector<std::string> notes;
  const CandidateTable t = kcube::exact_candidates(
      p.checked(), aggregator("majority-vote").checked(), grid(1, 15, 1), notes);
  std::vector<double> a;
  for (const auto& row : t.rows)
    a.push_back(row.accuracy);
  // Chen et al.'s F(K) at odd K, from the binomial sums (0.5 I_0.8 + 0.5 I_0.4): 0.6, 0.624,
  // 0.62976, 0.628224; at even k a tie counts one half, which gives the value at k - 1.
  CHECK(a[0] == doctest::Approx(0.6).epsilon(1e-12));
  CHECK(a[2] == doctest::Approx(0.624).epsilon(1e-12));
  CHECK(a[4] == doctest::Approx(0.62976).epsilon(1e-12));
  CHECK(a[6] == doctest::Approx(0.628224).epsilon(1e-12));
  for (std::size_t odd = 0; odd + 1 < a.size(); odd += 2)
    CHECK(a[odd + 1] == doctest::Approx(a[odd]).epsilon(1e-12));
  CHECK(a[2] > a[0]);
  CHECK(a[4] > a[2]);
  for (std::size_t k = 7; k <= 15; k += 2)
    CHECK(a[k - 1] < a[k - 3]);  // falls from k = 5 on
}

TEST_CASE("difficulty: the first n outcomes of a longer path equal a path of n") {
  for (const std::string& params :
       {kBeta, kTwoPoint + ",wrong_answers=3,wrong_skew=1,score_correct=1,score_wrong=0",
        kBeta + ",wrong_answers=5,score_correct=2,score_wrong=1"}) {
    CAPTURE(params);
    const auto p = profile(params);
    for (std::uint64_t trial = 0; trial < 50; ++trial) {
      std::vector<kcube::InferenceOutcome> long_path(40), short_path(13);
      kcube::RandomStream a(7, 11, trial), b(7, 11, trial);
      p.checked().draw_path(a, long_path, static_cast<std::int64_t>(trial));
      p.checked().draw_path(b, short_path, static_cast<std::int64_t>(trial));
      for (std::size_t i = 0; i < short_path.size(); ++i) {
        CAPTURE(i);
        CHECK(long_path[i].cost == short_path[i].cost);
        CHECK(long_path[i].latency == short_path[i].latency);
        CHECK(long_path[i].input_cost == short_path[i].input_cost);
        CHECK(long_path[i].accuracy == short_path[i].accuracy);
        CHECK(long_path[i].answer == short_path[i].answer);
        CHECK(long_path[i].score == short_path[i].score);
      }
    }
  }
}

TEST_CASE("difficulty: draws give answer 1 exactly when correct, wrong answers by their shares") {
  const auto p = profile(kTwoPoint + ",wrong_answers=3,wrong_skew=1");
  const std::vector<double> shares =
      kcube::difficulty::WrongAnswers{.count = 3, .skew = 1.0}.shares();
  std::vector<double> wrong_counts(3, 0.0);
  double wrong = 0.0, correct = 0.0, samples = 0.0;
  for (std::uint64_t trial = 0; trial < 4000; ++trial) {
    std::vector<kcube::InferenceOutcome> path(10);
    kcube::RandomStream stream(3, 5, trial);
    p.checked().draw_path(stream, path, static_cast<std::int64_t>(trial));
    for (const auto& o : path) {
      samples += 1.0;
      CHECK((o.accuracy == 1.0) == (o.answer == 1));
      REQUIRE(o.answer >= 1);
      REQUIRE(o.answer <= 4);
      CHECK(o.input_cost <= o.cost);
      if (o.answer == 1) {
        correct += 1.0;
      } else {
        wrong += 1.0;
        wrong_counts[o.answer - 2] += 1.0;
      }
    }
  }
  // E[p] = 0.6 over 4,000 questions of 10 samples: a question's share of correct samples has
  // variance Var(p) + E[p (1 - p)] / 10 = 0.04 + 0.02, so the mean's standard error is
  // sqrt(0.06 / 4000) = 0.0039; 4 SE = 0.0155.
  CHECK(std::abs(correct / samples - 0.6) <= 0.0155);
  // Each wrong answer's share among ~16,000 wrong samples: binomial SE <= 0.004, 4 SE = 0.016
  // (the samples of one question are independent given p, and the shares do not depend on p).
  for (std::size_t j = 0; j < 3; ++j) {
    CAPTURE(j);
    CHECK(std::abs(wrong_counts[j] / wrong - shares[j]) <= 0.016);
  }
}

TEST_CASE("difficulty: provides answers and input costs, scores only with a score model") {
  const kcube::SampleFields plain = profile(kBeta).checked().provides();
  CHECK(plain.answers);
  CHECK(plain.input_cost);
  CHECK_FALSE(plain.scores);
  CHECK(profile(kBeta + ",score_correct=1,score_wrong=0").checked().provides().scores);
}

TEST_CASE("difficulty: the accuracy CDF is one sample's marginal, 1 - E[p] below 1") {
  const auto p = profile(kBeta);
  const kcube::CheckedProfile c = p.checked();
  // E[p] = (1 - p_zero) alpha / (alpha + beta) = 0.9 x 0.35 = 0.315.
  CHECK(c.accuracy_cdf(-0.1) == 0.0);
  CHECK(c.accuracy_cdf(0.0) == doctest::Approx(1.0 - 0.315).epsilon(1e-12));
  CHECK(c.accuracy_cdf(0.99) == doctest::Approx(1.0 - 0.315).epsilon(1e-12));
  CHECK(c.accuracy_cdf(1.0) == 1.0);
  CHECK(kcube::expected_best_of_k(c, 1) == doctest::Approx(0.315).epsilon(1e-10));
}

TEST_CASE("difficulty: display names say the distribution, or the user's name") {
  CHECK(profile(kBeta).checked().display_name() ==
        "difficulty(beta: alpha=0.7, beta=1.3, p_zero=0.1)");
  CHECK(profile(kTwoPoint).checked().display_name() ==
        "difficulty(two-point: p_easy=0.8, p_hard=0.4, easy_share=0.5)");
  CHECK(profile("display_name=Hard set").checked().display_name() == "Hard set");
}

TEST_CASE("difficulty: parameter mistakes are refused saying how to fix them") {
  const std::string one_score = creation_error("score_correct=1");
  CHECK(one_score.find("score_wrong is missing") != std::string::npos);
  CHECK(one_score.find("give both") != std::string::npos);
  CHECK(creation_error("score_wrong=0").find("score_correct is missing") != std::string::npos);
  CHECK(creation_error("p_zero=1").find("p_zero") != std::string::npos);
  CHECK(creation_error("alpha=0").find("alpha") != std::string::npos);
  CHECK(creation_error("wrong_answers=0").find("wrong_answers") != std::string::npos);
  CHECK(creation_error("wrong_skew=-1").find("wrong_skew") != std::string::npos);
  CHECK(creation_error("p_distribution=uniform").find("p_distribution") != std::string::npos);
  const std::string mixed = creation_error("p_distribution=two-point,alpha=2");
  CHECK(mixed.find("alpha is a parameter of p_distribution: beta") != std::string::npos);
  CHECK(creation_error("p_easy=0.9").find("p_easy is a parameter of p_distribution: two-point") !=
        std::string::npos);
  const std::string overflow = message_of([] {
    kcube::test::builtin_registry().create<kcube::ModelProfile>(
        kcube::parse_spec("difficulty:c_in=1e306,c_out=1,t_in=0,t_out=0"));
  });
  CHECK(overflow.find("overflows") != std::string::npos);
}

TEST_CASE("difficulty: verifier-best without a score model is refused, naming the parameters") {
  const auto p = profile(kBeta);
  std::vector<std::string> notes;
  // The engine refuses the pair before asking for the accuracy (the aggregator needs scores).
  const std::string engine = message_of([&] {
    kcube::exact_candidates(p.checked(), aggregator("verifier-best").checked(), grid(1, 4, 1),
                            notes);
  });
  CHECK(engine.find("verifier-best") != std::string::npos);
  CHECK(engine.find("scores") != std::string::npos);
  CHECK(engine.find("difficulty, with score_correct and score_wrong") != std::string::npos);
  // Asked directly, the profile says which parameters give it scores.
  const std::vector<int> ks{1, 2};
  std::vector<double> out(2);
  const std::string direct =
      message_of([&] { p.checked().expected_accuracy(AccuracyForm::best_score, ks, out); });
  CHECK(direct.find("model profile 'difficulty'") != std::string::npos);
  CHECK(direct.find("score_correct and score_wrong") != std::string::npos);
}

TEST_CASE("engine: a profile with its own exact accuracy is asked once for the whole grid") {
  const OwnAccuracy own(0);
  const IidAnswering iid;
  class Plurality final : public kcube::Aggregator {
   public:
    kcube::SampleFields needs() const override { return {.answers = true}; }
    void aggregate(std::span<const kcube::InferenceOutcome>, std::span<double>,
                   std::span<std::int32_t>) const override {}
    IidForm iid_form() const override { return IidForm::plurality; }
  } plurality;
  std::vector<std::string> notes;
  const CandidateTable t = kcube::exact_candidates(own, plurality, grid(2, 12, 3), notes);
  CHECK(own.calls == 1);
  CHECK(own.last_form == AccuracyForm::plurality);
  REQUIRE(t.rows.size() == 4);
  for (const auto& row : t.rows) {
    CAPTURE(row.k);
    CHECK(row.accuracy == row.k / 100.0);
    CHECK(row.cost == 2.0 * row.k);
    CHECK(row.latency == 3.0 * row.k / 2.0);
  }
  // Without an aggregator, best of k is asked of the profile too.
  const CandidateTable best = kcube::exact_candidates(own, grid(1, 4, 1));
  CHECK(own.last_form == AccuracyForm::best_of_k);
  CHECK(best.rows.back().accuracy == 0.04);
  // An i.i.d. analytic profile has no plurality form: use Monte Carlo.
  CHECK(message_of([&] {
          kcube::exact_candidates(iid, plurality, grid(1, 4, 1), notes);
        }).find("use monte-carlo") != std::string::npos);
}

TEST_CASE("checked expected_accuracy: values in [0, 1], the plugin's Error passed on, named") {
  const std::vector<int> ks{1, 2, 3};
  std::vector<double> out(3);
  const OwnAccuracy too_high(1);
  const kcube::CheckedProfile above(too_high, "model profile 'x' (x.so)");
  const std::string bad = message_of<kcube::RuntimeFailure>(
      [&] { above.expected_accuracy(AccuracyForm::plurality, ks, out); });
  CHECK(bad.find("model profile 'x' (x.so) returned an expected plurality accuracy of 1.5 at k "
                 "= 1") != std::string::npos);
  CHECK(bad.find("bug in the profile plugin") != std::string::npos);
  const OwnAccuracy refusing(2);
  const kcube::CheckedProfile user(refusing, "model profile 'x' (x.so)");
  CHECK(message_of([&] { user.expected_accuracy(AccuracyForm::best_score, ks, out); }) ==
        "model profile 'x' (x.so): cannot serve this form: set the parameter x");
  const OwnAccuracy failing(3);
  const kcube::CheckedProfile broken(failing, "model profile 'x' (x.so)");
  CHECK(message_of<kcube::RuntimeFailure>([&] {
          broken.expected_accuracy(AccuracyForm::any_correct, ks, out);
        }) == "model profile 'x' (x.so) failed in expected_accuracy (any-correct): out of order");
  CHECK(kcube::CheckedProfile(refusing).has_exact_accuracy());
  CHECK_FALSE(kcube::CheckedProfile(IidAnswering()).has_exact_accuracy());
}

TEST_CASE("AccuracyForm names") {
  CHECK(kcube::to_string(AccuracyForm::none) == "none");
  CHECK(kcube::to_string(AccuracyForm::best_of_k) == "best-of-k");
  CHECK(kcube::to_string(AccuracyForm::any_correct) == "any-correct");
  CHECK(kcube::to_string(AccuracyForm::plurality) == "plurality");
  CHECK(kcube::to_string(AccuracyForm::best_score) == "best-score");
}
