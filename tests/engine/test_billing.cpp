// Input billing (Deployment::billing): the closed forms of Billing, hand-computed per-call and
// cached bills in both evaluators, samples an early-stopping aggregator leaves undrawn cost
// nothing, per-sample billing keeps the numbers bit for bit, a profile without input costs is
// refused, the budget plugin's parameters, and the worked example of the README: the Game of 24
// chain-of-thought log billed per call of 20 at GPT-4's prices is the logged cost.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "builtin_registry.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "test_profiles.hpp"

using kcube::Billing;
using kcube::Deployment;
using kcube::InputBilling;

namespace {

Billing per_call(int call_size) {
  Billing b;
  b.input_billing = InputBilling::per_call;
  b.call_size = call_size;
  return b;
}

Billing cached(double write, double read) {
  Billing b;
  b.input_billing = InputBilling::cached;
  b.cache_write = write;
  b.cache_read = read;
  return b;
}

Deployment grid(int k_max, int k_step, const Billing& billing) {
  Deployment d;
  d.k_max = k_max;
  d.k_step = k_step;
  d.billing = billing;
  return d;
}

kcube::SimulationOptions options(std::int64_t trials, int threads) {
  kcube::SimulationOptions o;
  o.trials = trials;
  o.seed = 16;
  o.threads = threads;
  return o;
}

// Every inference costs 3 USD, 2 of them for the input, takes 1 s and has accuracy 1/2 with
// answer 7: a request's bill depends on the billing alone, so every value is known by hand.
class SplitProfile final : public kcube::ModelProfile {
 public:
  std::string display_name() const override { return "split"; }
  kcube::SampleFields provides() const override { return {.answers = true, .input_cost = true}; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path)
      o = {.cost = 3.0, .latency = 1.0, .accuracy = 0.5, .input_cost = 2.0, .answer = 7};
  }
  bool has_exact() const override { return true; }
  double expected_cost() const override { return 3.0; }
  double expected_input_cost() const override { return 2.0; }
  double expected_latency() const override { return 1.0; }
  double accuracy_cdf(double y) const override { return y < 0.5 ? 0.0 : 1.0; }
};

// One record of a CSV file with a header, quoted fields allowed (commas, quotes doubled and
// newlines inside quotes): the test's own reader, independent of kcube's sample-log reader.
bool read_record(std::istream& in, std::vector<std::string>& fields) {
  fields.assign(1, "");
  bool quoted = false, any = false;
  char c = 0;
  while (in.get(c)) {
    any = true;
    if (quoted) {
      if (c == '"' && in.peek() == '"') {
        fields.back() += '"';
        in.get(c);
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      return true;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return any;
}

// The Game of 24 chain-of-thought log as it was billed: each question's 100 samples came in 5
// calls of 20, each call paying its prompt once (the input tokens of its first sample) at
// c_in, and every sample its output tokens at c_out. Returns the cost per question, USD.
std::map<std::string, double> logged_bills(const std::string& file, double c_in, double c_out) {
  std::ifstream in(file);
  REQUIRE(in);
  std::vector<std::string> fields;
  REQUIRE(read_record(in, fields));
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < fields.size(); ++i)
    column[fields[i]] = i;
  REQUIRE(column.count("input_tokens") == 1);
  REQUIRE(column.count("output_tokens") == 1);
  std::map<std::string, double> bills;
  std::map<std::string, int> seen;
  while (read_record(in, fields)) {
    if (fields.size() == 1 && fields[0].empty())
      continue;
    REQUIRE(fields.size() == column.size());
    const std::string& question = fields[column["question"]];
    const int index = seen[question]++;
    double bill = std::stod(fields[column["output_tokens"]]) * c_out;
    if (index % 20 == 0)
      bill += std::stod(fields[column["input_tokens"]]) * c_in;
    bills[question] += bill;
  }
  for (const auto& [question, count] : seen)
    REQUIRE(count == 100);
  return bills;
}

const std::string kGame24 =
    std::string(KCUBE_TEST_SOURCE_DIR) + "/experiments/data/game24-cot-gpt4.csv";

}  // namespace

TEST_CASE("Billing's factors and closed forms") {
  const Billing sample;
  CHECK(sample.input_billing == InputBilling::per_sample);
  CHECK(sample.factor(0) == 1.0);
  CHECK(sample.factor(9) == 1.0);
  CHECK(sample.inputs_billed(7) == 7.0);
  CHECK(sample.request_cost(7, 2.0, 3.0) == 21.0);

  const Billing call = per_call(3);
  CHECK(call.factor(0) == 1.0);
  CHECK(call.factor(1) == 0.0);
  CHECK(call.factor(2) == 0.0);
  CHECK(call.factor(3) == 1.0);
  CHECK(call.inputs_billed(1) == 1.0);
  CHECK(call.inputs_billed(3) == 1.0);
  CHECK(call.inputs_billed(4) == 2.0);
  CHECK(call.inputs_billed(7) == 3.0);
  CHECK(call.request_cost(7, 2.0, 3.0) == 2.0 * 3 + 7 * 1.0);  // 3 calls' prompts, 7 outputs

  const Billing cache = cached(1.25, 0.1);
  CHECK(cache.factor(0) == 1.25);
  CHECK(cache.factor(1) == 0.1);
  CHECK(cache.inputs_billed(1) == 1.25);
  CHECK(cache.inputs_billed(4) == doctest::Approx(1.55).epsilon(1e-15));
  CHECK(cache.request_cost(4, 2.0, 3.0) == doctest::Approx(2.0 * 1.55 + 4.0).epsilon(1e-15));

  // The closed forms are the sums of the factors.
  for (const Billing& b : {sample, call, per_call(20), cache, cached(2.0, 0.0)}) {
    double sum = 0.0;
    for (int k = 1; k <= 45; ++k) {
      sum += b.factor(k - 1);
      CHECK(b.inputs_billed(k) == doctest::Approx(sum).epsilon(1e-14));
    }
  }
}

TEST_CASE("per-call and cached bills by hand, Monte Carlo and exact") {
  const SplitProfile profile;
  // Sample i pays factor(i) x 2 USD of input and 1 USD of output.
  const auto expect = [](const Billing& b, int k) {
    double bill = 0.0;
    for (int i = 0; i < k; ++i)
      bill += b.factor(i) * 2.0 + 1.0;
    return bill;
  };
  // per-call, call_size 3: k = 1..7 cost 3, 4, 5, 8, 9, 10, 13 USD.
  const double per_call_3[] = {3, 4, 5, 8, 9, 10, 13};
  // cached 1.25 / 0.1: 2 (1.25 + 0.1 (k - 1)) + k = 3.5, 4.7, 5.9, 7.1, ...
  const double cached_default[] = {3.5, 4.7, 5.9, 7.1, 8.3, 9.5, 10.7};
  for (const auto& entry : {std::pair<Billing, const double*>{per_call(3), per_call_3},
                            {cached(1.25, 0.1), cached_default}}) {
    // Named copies, not structured bindings: clang 14 cannot capture those in CAPTURE's lambda.
    const Billing& billing = entry.first;
    const double* hand = entry.second;
    CAPTURE(kcube::to_string(billing.input_billing));
    const Deployment d = grid(7, 1, billing);
    const kcube::CandidateTable exact = kcube::exact_candidates(profile, d);
    const kcube::SimulationResult mc = kcube::simulate(profile, 5, d, options(40, 2));
    REQUIRE(exact.rows.size() == 7);
    REQUIRE(mc.table.rows.size() == 7);
    for (std::size_t j = 0; j < 7; ++j) {
      const int k = exact.rows[j].k;
      CAPTURE(k);
      CHECK(expect(billing, k) == doctest::Approx(hand[j]).epsilon(1e-14));
      CHECK(exact.rows[j].cost == doctest::Approx(hand[j]).epsilon(1e-14));
      CHECK(mc.table.rows[j].cost == doctest::Approx(hand[j]).epsilon(1e-14));
      CHECK(mc.table.column("cost_std")->at(j) == doctest::Approx(0.0).epsilon(1e-12));
      // Latency and accuracy do not depend on the billing.
      CHECK(exact.rows[j].latency == static_cast<double>(k));
      CHECK(mc.table.rows[j].latency == static_cast<double>(k));
    }
  }
}

TEST_CASE("an early-stopping aggregator's bill counts the samples it drew") {
  // Every sample answers 7, so esc with window 4 stops after 4 samples: a request allowed
  // k >= 4 draws 4. Per call of 3 they pay 2 prompts (samples 0 and 3) and 4 outputs: 8 USD.
  const SplitProfile profile;
  const auto esc =
      kcube::test::builtin_registry().create<kcube::Aggregator>(kcube::parse_spec("esc:window=4"));
  const kcube::SimulationResult r =
      kcube::simulate(profile, esc.checked(), 3, grid(9, 1, per_call(3)), options(10, 1));
  const double hand[] = {3, 4, 5, 8, 8, 8, 8, 8, 8};
  for (std::size_t j = 0; j < r.table.rows.size(); ++j) {
    CAPTURE(r.table.rows[j].k);
    CHECK(r.table.rows[j].cost == doctest::Approx(hand[j]).epsilon(1e-14));
  }
}

TEST_CASE("per-sample billing keeps the Monte Carlo numbers bit for bit") {
  const auto scenario = [](const std::string& spec) {
    return kcube::test::builtin_registry()
        .create<kcube::Scenario>(kcube::parse_spec(spec))
        .checked()
        .deployment();
  };
  const auto profile =
      kcube::test::builtin_registry().create<kcube::ModelProfile>(kcube::parse_spec(
          "gaussian:c_in=1.25e-6,c_out=1e-5,t_in=0.0005,t_out=0.005,acc_mean=0.6,acc_std=0.2"));
  const Deployment plain = scenario("budget:k_max=32,parallelism=4");
  const Deployment explicit_sample =
      scenario("budget:k_max=32,parallelism=4,input_billing=per-sample");
  CHECK(explicit_sample.billing.input_billing == InputBilling::per_sample);
  const auto a = kcube::simulate(profile.checked(), 11, plain, options(500, 2));
  const auto b = kcube::simulate(profile.checked(), 11, explicit_sample, options(500, 1));
  REQUIRE(a.table.rows.size() == b.table.rows.size());
  for (std::size_t j = 0; j < a.table.rows.size(); ++j) {
    CHECK(a.table.rows[j].cost == b.table.rows[j].cost);
    CHECK(a.table.rows[j].latency == b.table.rows[j].latency);
    CHECK(a.table.rows[j].accuracy == b.table.rows[j].accuracy);
  }
  CHECK(a.table.columns == b.table.columns);

  // Billings whose every factor is 1 (one sample per call; cache write and read at full price)
  // bill what per-sample bills, up to rounding of input + (cost - input).
  for (const Billing& same : {per_call(1), cached(1.0, 1.0)}) {
    Deployment d = plain;
    d.billing = same;
    const auto c = kcube::simulate(profile.checked(), 11, d, options(500, 2));
    for (std::size_t j = 0; j < a.table.rows.size(); ++j)
      CHECK(c.table.rows[j].cost == doctest::Approx(a.table.rows[j].cost).epsilon(1e-12));
  }

  // The gaussian profile's exact cost splits the same way: E[c] = c_in E[L_in] + c_out E[L_out].
  Deployment d = plain;
  d.billing = per_call(4);
  const auto exact = kcube::exact_candidates(profile.checked(), d);
  const auto sample = kcube::exact_candidates(profile.checked(), plain);
  const auto mc = kcube::simulate(profile.checked(), 11, d, options(4000, 2));
  const double input = profile.checked().expected_input_cost();
  CHECK(input > 0.0);
  CHECK(input < profile.checked().expected_cost());
  for (std::size_t j = 0; j < exact.rows.size(); ++j) {
    const int k = exact.rows[j].k;
    CAPTURE(k);
    const double calls = std::ceil(k / 4.0);
    CHECK(exact.rows[j].cost ==
          doctest::Approx(sample.rows[j].cost - (k - calls) * input).epsilon(1e-12));
    // Monte Carlo within 4 standard errors of the exact value.
    CHECK(std::abs(mc.table.rows[j].cost - exact.rows[j].cost) <=
          4.0 * mc.table.column("cost_se")->at(j));
  }
}

TEST_CASE("a profile without input costs is refused under per-call and cached billing") {
  const kcube::test::CountingProfile profile;
  for (const Billing& b : {per_call(2), cached(1.25, 0.1)}) {
    const std::string name(kcube::to_string(b.input_billing));
    CAPTURE(name);
    const Deployment d = grid(4, 1, b);
    CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, d, options(10, 1)),
                         doctest::Contains(("input_billing: " + name + " needs").c_str()),
                         kcube::Error);
    CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, d, options(10, 1)),
                         doctest::Contains("'counting'"), kcube::Error);
  }
  // Per sample it runs as before.
  CHECK(kcube::simulate(profile, 1, grid(4, 1, {}), options(10, 1)).table.rows.size() == 4);
}

TEST_CASE("the budget plugin reads the billing parameters and refuses stray ones") {
  const auto deployment = [](const std::string& spec) {
    return kcube::test::builtin_registry()
        .create<kcube::Scenario>(kcube::parse_spec(spec))
        .checked()
        .deployment();
  };
  const Billing plain = deployment("budget").billing;
  CHECK(plain.input_billing == InputBilling::per_sample);
  CHECK(plain.call_size == 1);
  CHECK(plain.cache_write == 1.25);
  CHECK(plain.cache_read == 0.1);
  const Billing call = deployment("budget:input_billing=per-call,call_size=20").billing;
  CHECK(call.input_billing == InputBilling::per_call);
  CHECK(call.call_size == 20);
  const Billing cache = deployment("budget:input_billing=cached,cache_read=0.5").billing;
  CHECK(cache.input_billing == InputBilling::cached);
  CHECK(cache.cache_write == 1.25);
  CHECK(cache.cache_read == 0.5);

  CHECK_THROWS_WITH_AS(deployment("budget:call_size=20"),
                       doctest::Contains("parameter 'call_size' applies to input_billing: "
                                         "per-call, but input_billing is per-sample"),
                       kcube::Error);
  CHECK_THROWS_WITH_AS(deployment("budget:input_billing=per-call,cache_write=2"),
                       doctest::Contains("parameter 'cache_write' applies to input_billing: "
                                         "cached, but input_billing is per-call"),
                       kcube::Error);
  CHECK_THROWS_WITH_AS(deployment("budget:input_billing=cached,call_size=4"),
                       doctest::Contains("'call_size' applies to input_billing: per-call"),
                       kcube::Error);
  CHECK_THROWS_AS(deployment("budget:input_billing=per-token"), kcube::Error);
  CHECK_THROWS_AS(deployment("budget:input_billing=per-call,call_size=0"), kcube::Error);
  CHECK_THROWS_AS(deployment("budget:input_billing=cached,cache_read=-0.1"), kcube::Error);
}

TEST_CASE("Game of 24 billed per call of 20 at GPT-4 prices is the logged cost") {
  constexpr double c_in = 3e-5, c_out = 6e-5;  // USD per token, GPT-4 (8K) in 2023
  const std::map<std::string, double> bills = logged_bills(kGame24, c_in, c_out);
  REQUIRE(bills.size() == 100);
  // The log's README: question 900 cost 5 x 437 input + 6960 output tokens = $0.48315.
  CHECK(bills.at("900") == doctest::Approx(0.48315).epsilon(1e-12));
  double logged = 0.0;
  for (const auto& [question, bill] : bills)
    logged += bill;
  logged /= static_cast<double>(bills.size());

  const auto profile = kcube::test::builtin_registry().create<kcube::ModelProfile>(
      kcube::parse_spec("samples:path=" + kGame24 + ",c_in=3e-5,c_out=6e-5"));
  CHECK(profile.checked().provides().input_cost);
  const auto best =
      kcube::test::builtin_registry().create<kcube::Aggregator>(kcube::parse_spec("max-accuracy"));
  std::vector<std::string> notes;
  const Deployment call = grid(100, 100, per_call(20));
  const kcube::CandidateTable exact =
      kcube::exact_candidates(profile.checked(), best.checked(), call, notes);
  REQUIRE(exact.rows.size() == 1);
  CHECK(exact.rows[0].k == 100);
  CHECK(std::abs(exact.rows[0].cost - logged) <= 1e-9 * logged);

  // Per sample, every one of the 100 samples pays the prompt: 100 prompts instead of 5.
  const kcube::CandidateTable sample =
      kcube::exact_candidates(profile.checked(), best.checked(), grid(100, 100, {}), notes);
  double prompts = 0.0;  // mean prompt cost per question
  {
    std::ifstream in(kGame24);
    std::vector<std::string> fields;
    read_record(in, fields);
    std::map<std::string, double> prompt;
    while (read_record(in, fields)) {
      if (fields.size() > 4)
        prompt[fields[0]] = std::stod(fields[4]) * c_in;
    }
    for (const auto& [question, p] : prompt)
      prompts += p;
    prompts /= static_cast<double>(prompt.size());
  }
  CHECK(sample.rows[0].cost == doctest::Approx(logged + 95.0 * prompts).epsilon(1e-9));
  MESSAGE("Game of 24 CoT at k = 100: per-call (20) $" << exact.rows[0].cost << ", per-sample $"
                                                       << sample.rows[0].cost);

  // Monte Carlo: a trial at k = 100 bills all 100 samples of the question it drew, in a random
  // order, so each trial's cost is one question's bill (the five prompts of a question are
  // equal); the mean over 2,000 trials lies within 4 standard errors of the mean over questions.
  const auto mc = kcube::simulate(profile.checked(), best.checked(), 7, call, options(2000, 2));
  REQUIRE(mc.table.rows.size() == 1);
  const double se = mc.table.column("cost_se")->at(0);
  CHECK(se > 0.0);
  CHECK(std::abs(mc.table.rows[0].cost - logged) <= 4.0 * se);
  // Every trial's cost is one of the questions' bills: the extremes are bills.
  double lowest = bills.begin()->second, highest = lowest;
  for (const auto& [question, bill] : bills) {
    lowest = std::min(lowest, bill);
    highest = std::max(highest, bill);
  }
  CHECK(mc.table.column("cost_p025")->at(0) >= lowest - 1e-12);
  CHECK(mc.table.column("cost_p975")->at(0) <= highest + 1e-12);
}
