// The seven aggregator plugins, loaded from the build tree through the host. Every check runs
// on small synthetic paths and logs (random, from fixed seeds; few answer ids and few score
// values, so that ties are frequent), never on real data: aggregate() against a brute-force
// restatement of each plugin's README rule, recomputed from scratch for every prefix; the used[]
// contract; exact_curve() against the mean over every subset of a question's samples; the
// descriptors' needs(), stops_early(), has_exact() and iid_form().
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/math/special_functions/beta.hpp>

#include "builtin_registry.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/aggregator.hpp"

namespace {

using kcube::Aggregator;
using kcube::InferenceOutcome;
using Outcomes = std::vector<InferenceOutcome>;

kcube::PluginInstance<Aggregator> make(const std::string& spec) {
  return kcube::test::builtin_registry().create<Aggregator>(kcube::parse_spec(spec));
}

// ---- Synthetic paths --------------------------------------------------------------------------

// A request's path of n samples: answers in 0..answers (0 = none, one chance in five), each
// answer with its own accuracy (a fraction, or 0/1 when `logged`), scores among 4 values (so
// ties at the top happen) and distinct costs. Unanswered samples have accuracy 0 when `logged`,
// a fraction of their own otherwise (verifier-best reads it).
Outcomes random_path(std::mt19937_64& rng, std::size_t n, std::uint32_t answers, bool logged) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<std::uint32_t> answer(1, answers);
  std::uniform_int_distribution<int> score(0, 3);
  std::map<std::uint32_t, double> accuracy_of;
  for (std::uint32_t a = 1; a <= answers; ++a)
    accuracy_of[a] = logged ? (unit(rng) < 0.4 ? 1.0 : 0.0) : unit(rng);
  Outcomes path(n);
  for (std::size_t i = 0; i < n; ++i) {
    InferenceOutcome& o = path[i];
    o.cost = 1.0 + static_cast<double>(i);
    o.latency = 0.5;
    o.answer = unit(rng) < 0.2 ? 0 : answer(rng);
    o.accuracy = o.answer != 0 ? accuracy_of[o.answer] : (logged ? 0.0 : unit(rng));
    o.score = 0.5 * score(rng) - 0.5;  // -0.5, 0, 0.5, 1: negative totals too
  }
  return path;
}

// ---- Brute-force restatements of the READMEs, one prefix (or subset) at a time ---------------

// max-accuracy: A = max a_i.
double max_accuracy(const Outcomes& s) {
  double best = 0.0;
  for (const auto& o : s)
    best = std::max(best, o.accuracy);
  return best;
}

// pass-at-k: A = 1 - prod (1 - a_i).
double pass_at_k(const Outcomes& s) {
  double miss = 1.0;
  for (const auto& o : s)
    miss *= 1.0 - o.accuracy;
  return 1.0 - miss;
}

// The answers with the largest `weight` total (count for majority vote, score for weighted
// vote) share the win: the mean of their accuracies; 0 when no sample answered.
template <class Weight>
double plurality_by(const Outcomes& s, Weight weight) {
  std::map<std::uint32_t, double> total, accuracy;
  for (const auto& o : s) {
    if (o.answer == 0)
      continue;
    total[o.answer] += weight(o);
    accuracy[o.answer] = o.accuracy;
  }
  if (total.empty())
    return 0.0;
  double top = total.begin()->second;
  for (const auto& [answer, t] : total)
    top = std::max(top, t);
  double sum = 0.0;
  int leaders = 0;
  for (const auto& [answer, t] : total) {
    if (t == top) {
      sum += accuracy[answer];
      ++leaders;
    }
  }
  return sum / leaders;
}

double majority_vote(const Outcomes& s) {
  return plurality_by(s, [](const InferenceOutcome&) { return 1.0; });
}

double weighted_vote(const Outcomes& s) {
  return plurality_by(s, [](const InferenceOutcome& o) { return o.score; });
}

// verifier-best: the mean accuracy of the samples with the top score.
double verifier_best(const Outcomes& s) {
  double top = s.front().score;
  for (const auto& o : s)
    top = std::max(top, o.score);
  double sum = 0.0;
  int tied = 0;
  for (const auto& o : s) {
    if (o.score == top) {
      sum += o.accuracy;
      ++tied;
    }
  }
  return sum / tied;
}

Outcomes prefix(const Outcomes& path, std::size_t j) {
  return {path.begin(), path.begin() + static_cast<std::ptrdiff_t>(j)};
}

// esc: the first full window (samples w m + 1 .. w (m + 1)) whose samples all give one non-empty
// answer ends at s; 0 when there is none within the path.
std::size_t esc_stop(const Outcomes& path, std::size_t window) {
  for (std::size_t end = window; end <= path.size(); end += window) {
    const std::uint32_t a = path[end - window].answer;
    bool agree = a != 0;
    for (std::size_t i = end - window; i < end; ++i)
      agree = agree && path[i].answer == a;
    if (agree)
      return end;
  }
  return 0;
}

// adaptive-consistency: the first j >= min_samples at which, with v1 >= v2 the two largest
// answer counts of the first j samples (v2 = v1 when two lead), 1 - I_1/2(v1 + 1, v2 + 1) >=
// threshold; 0 when there is none. Counts recomputed from scratch for every j.
std::size_t adaptive_stop(const Outcomes& path, std::size_t min_samples, double threshold) {
  for (std::size_t j = min_samples; j <= path.size(); ++j) {
    std::map<std::uint32_t, int> count;
    for (std::size_t i = 0; i < j; ++i) {
      if (path[i].answer != 0)
        ++count[path[i].answer];
    }
    if (count.empty())
      continue;
    std::vector<int> counts;
    for (const auto& [answer, c] : count)
      counts.push_back(c);
    std::sort(counts.rbegin(), counts.rend());
    const double v1 = counts[0], v2 = counts.size() > 1 ? counts[1] : 0;
    if (1.0 - boost::math::ibeta(v1 + 1.0, v2 + 1.0, 0.5) >= threshold)
      return j;
  }
  return 0;
}

struct Curve {
  std::vector<double> accuracy;
  std::vector<std::int32_t> used;
};

Curve aggregate(const kcube::PluginInstance<Aggregator>& aggregator, const Outcomes& path) {
  Curve c{std::vector<double>(path.size(), -1.0), std::vector<std::int32_t>(path.size(), -1)};
  aggregator.checked().aggregate(path, c.accuracy, c.used, 0);
  return c;
}

// The used[] contract of aggregator.hpp: used(j) in [1, j], non-decreasing, j unless the
// aggregator stops early.
void check_used(const Curve& c, bool stops_early) {
  for (std::size_t j = 1; j <= c.used.size(); ++j) {
    const auto u = c.used[j - 1];
    CHECK(u >= 1);
    CHECK(u <= static_cast<std::int32_t>(j));
    if (j > 1)
      CHECK(u >= c.used[j - 2]);
    if (!stops_early)
      CHECK(u == static_cast<std::int32_t>(j));
  }
}

// Every path of `count` random paths of 1..24 samples.
template <class Check>
void for_random_paths(std::uint64_t seed, int count, bool logged, Check check) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> length(1, 24);
  std::uniform_int_distribution<std::uint32_t> answers(1, 4);
  for (int p = 0; p < count; ++p)
    check(random_path(rng, length(rng), answers(rng), logged));
}

// A rule without stopping, compared to its restatement on every prefix, to 1e-14 (both sum the
// same <= 24 numbers of [0, 1], possibly in another order: a few ulps).
template <class Rule>
void check_rule(const std::string& spec, Rule rule) {
  const auto aggregator = make(spec);
  CAPTURE(spec);
  for_random_paths(7, 300, false, [&](const Outcomes& path) {
    const Curve c = aggregate(aggregator, path);
    check_used(c, false);
    for (std::size_t j = 1; j <= path.size(); ++j)
      CHECK(c.accuracy[j - 1] == doctest::Approx(rule(prefix(path, j))).epsilon(1e-14));
  });
}

// ---- Exact curves: the mean over every k-subset ----------------------------------------------

// For k = 1..n, the mean of `rule` over all C(n, k) subsets of the question's samples.
template <class Rule>
std::vector<double> subset_means(const Outcomes& samples, Rule rule) {
  const std::size_t n = samples.size();
  std::vector<double> sum(n, 0.0), count(n, 0.0);
  for (std::uint32_t mask = 1; mask < (std::uint32_t{1} << n); ++mask) {
    Outcomes subset;
    for (std::size_t i = 0; i < n; ++i) {
      if ((mask >> i & 1U) != 0)
        subset.push_back(samples[i]);
    }
    const auto k = static_cast<std::size_t>(std::popcount(mask));
    sum[k - 1] += rule(subset);
    count[k - 1] += 1.0;
  }
  for (std::size_t k = 0; k < n; ++k)
    sum[k] /= count[k];
  return sum;
}

template <class Rule>
void check_exact(const std::string& spec, Rule rule) {
  const auto aggregator = make(spec);
  CAPTURE(spec);
  REQUIRE(aggregator.checked().has_exact());
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::size_t> length(1, 10);
  std::uniform_int_distribution<std::uint32_t> answers(1, 4);
  for (int q = 0; q < 200; ++q) {
    const Outcomes samples = random_path(rng, length(rng), answers(rng), true);
    const std::vector<double> expected = subset_means(samples, rule);
    std::vector<double> curve(samples.size(), -1.0);
    aggregator.checked().exact_curve(samples, curve, "q" + std::to_string(q));
    for (std::size_t k = 0; k < samples.size(); ++k) {
      CAPTURE(k + 1);
      CHECK(std::abs(curve[k] - expected[k]) <= 1e-12);
    }
  }
}

}  // namespace

TEST_CASE("descriptors: needs, stopping, exact evaluation and i.i.d. forms of the seven") {
  struct Expected {
    const char* name;
    bool answers, scores, stops_early, has_exact;
    Aggregator::IidForm iid;
  };
  using F = Aggregator::IidForm;
  const Expected expected[] = {
      {"max-accuracy", false, false, false, true, F::best_of_k},
      {"pass-at-k", false, false, false, true, F::any_correct},
      {"majority-vote", true, false, false, true, F::plurality},
      {"verifier-best", false, true, false, true, F::best_score},
      {"weighted-vote", true, true, false, false, F::none},
      {"esc", true, false, true, false, F::none},
      {"adaptive-consistency", true, false, true, false, F::none},
  };
  for (const auto& e : expected) {
    CAPTURE(e.name);
    const auto aggregator = make(e.name);
    const kcube::CheckedAggregator checked = aggregator.checked();
    CHECK(aggregator.plugin().descriptor().kind == kcube::PluginKind::aggregator);
    CHECK(checked.needs().answers == e.answers);
    CHECK(checked.needs().scores == e.scores);
    CHECK(checked.stops_early() == e.stops_early);
    CHECK(checked.has_exact() == e.has_exact);
    CHECK(checked.iid_form() == e.iid);
  }
}

TEST_CASE("max-accuracy and pass-at-k: the max and 1 - prod(1 - a) of every prefix") {
  check_rule("max-accuracy", max_accuracy);
  check_rule("pass-at-k", pass_at_k);
}

TEST_CASE("majority-vote: the most frequent answer, ties split, no answer is wrong") {
  check_rule("majority-vote", majority_vote);
  // Hand-made: answers 1 (right), 2 (wrong), none.
  const Outcomes path = {{.accuracy = 0.0, .answer = 0},
                         {.accuracy = 1.0, .answer = 1},
                         {.accuracy = 0.0, .answer = 2},
                         {.accuracy = 0.0, .answer = 2}};
  const Curve c = aggregate(make("majority-vote"), path);
  CHECK(c.accuracy == std::vector<double>{0.0, 1.0, 0.5, 0.0});
}

TEST_CASE("verifier-best: the top-scored sample, ties at the top split") {
  check_rule("verifier-best", verifier_best);
  const Outcomes path = {{.accuracy = 1.0, .score = 2.0},
                         {.accuracy = 0.0, .score = 2.0},
                         {.accuracy = 0.0, .score = 3.0}};
  CHECK(aggregate(make("verifier-best"), path).accuracy == std::vector<double>{1.0, 0.5, 0.0});
}

TEST_CASE("weighted-vote: the answer with the largest score total, ties split") {
  check_rule("weighted-vote", weighted_vote);
  // A negative score lowers its answer's total: answer 1 leads, ties, then falls behind.
  const Outcomes path = {{.accuracy = 1.0, .score = 1.0, .answer = 1},
                         {.accuracy = 0.0, .score = 1.0, .answer = 2},
                         {.accuracy = 1.0, .score = -0.5, .answer = 1}};
  CHECK(aggregate(make("weighted-vote"), path).accuracy == std::vector<double>{1.0, 0.5, 0.0});
}

TEST_CASE("esc: stops after the first agreeing full window, answers with the plurality drawn") {
  for (const std::size_t window : {1, 2, 3, 5}) {
    const auto esc = make("esc:window=" + std::to_string(window));
    CAPTURE(window);
    for_random_paths(13, 300, false, [&](const Outcomes& path) {
      const Curve c = aggregate(esc, path);
      check_used(c, true);
      const std::size_t stop = esc_stop(path, window);
      for (std::size_t j = 1; j <= path.size(); ++j) {
        const std::size_t drawn = stop != 0 && stop <= j ? stop : j;
        CHECK(c.used[j - 1] == static_cast<std::int32_t>(drawn));
        CHECK(c.accuracy[j - 1] ==
              doctest::Approx(majority_vote(prefix(path, drawn))).epsilon(1e-14));
      }
    });
  }
  // A window holding an unanswered sample never agrees, even when the rest do.
  const Outcomes silent(6, InferenceOutcome{.accuracy = 0.0, .answer = 0});
  CHECK(aggregate(make("esc:window=2"), silent).used ==
        std::vector<std::int32_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("adaptive-consistency: stops once P(X > 1/2) reaches the threshold, X ~ Beta") {
  struct Setting {
    std::size_t min_samples;
    double threshold;
  };
  for (const Setting s : {Setting{3, 0.95}, Setting{1, 0.6}, Setting{5, 0.99}, Setting{2, 0.8}}) {
    const auto adaptive = make("adaptive-consistency:min_samples=" + std::to_string(s.min_samples) +
                               ",threshold=" + std::to_string(s.threshold));
    CAPTURE(s.min_samples);
    CAPTURE(s.threshold);
    for_random_paths(17, 300, false, [&](const Outcomes& path) {
      const Curve c = aggregate(adaptive, path);
      check_used(c, true);
      const std::size_t stop = adaptive_stop(path, s.min_samples, s.threshold);
      for (std::size_t j = 1; j <= path.size(); ++j) {
        const std::size_t drawn = stop != 0 && stop <= j ? stop : j;
        CHECK(c.used[j - 1] == static_cast<std::int32_t>(drawn));
        CHECK(c.accuracy[j - 1] ==
              doctest::Approx(majority_vote(prefix(path, drawn))).epsilon(1e-14));
      }
    });
  }
  // The README's edge case: with the defaults, four agreeing samples stop it (1 - 2^-5 >= 0.95)
  // and three do not (1 - 2^-4 < 0.95).
  const Outcomes agree(6, InferenceOutcome{.accuracy = 1.0, .answer = 9});
  CHECK(aggregate(make("adaptive-consistency"), agree).used ==
        std::vector<std::int32_t>{1, 2, 3, 4, 4, 4});
}

TEST_CASE("exact curves equal the mean over every subset of small logged questions") {
  check_exact("max-accuracy", max_accuracy);
  check_exact("pass-at-k", pass_at_k);
  check_exact("majority-vote", majority_vote);
  check_exact("verifier-best", verifier_best);
}
