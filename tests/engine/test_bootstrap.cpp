// The bootstrap over questions (engine/bootstrap.hpp): its resamples, percentiles, intervals and
// pick frequencies, on small cases whose answers are known.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <vector>

#include "engine/bootstrap.hpp"
#include "kcube/error.hpp"

using kcube::CandidateTable;
using kcube::PickTally;
using kcube::QuestionCurves;
using kcube::Resamples;

namespace {

// Q questions on the grid {1, 2}: question q has accuracy acc(q, g), cost g + 1, latency 0.
template <class Accuracy>
QuestionCurves curves(std::size_t questions, Accuracy&& acc) {
  QuestionCurves c;
  c.grid = {1, 2};
  c.questions = questions;
  for (std::size_t q = 0; q < questions; ++q) {
    for (std::size_t g = 0; g < 2; ++g) {
      c.accuracy.push_back(acc(q, g));
      c.cost.push_back(static_cast<double>(g + 1));
      c.latency.push_back(0.0);
    }
  }
  return c;
}

CandidateTable table_on_grid() {
  CandidateTable t;
  t.rows = {{1, 1.0, 0.0, 0.5}, {2, 2.0, 0.0, 0.6}};
  t.columns["accuracy_se"] = {0.01, 0.02};
  return t;
}

}  // namespace

TEST_CASE("resample_counts: reproducible, Q draws, other resamples other draws") {
  for (const std::size_t q : {1U, 7U, 100U}) {
    const auto a = kcube::resample_counts(q, 42, 9, 3);
    CHECK(a == kcube::resample_counts(q, 42, 9, 3));
    CHECK(a.size() == q);
    CHECK(std::accumulate(a.begin(), a.end(), std::uint64_t{0}) == q);
  }
  // Another resample, seed or cell draws otherwise (100 questions: equal counts by chance are
  // out of the question).
  const auto base = kcube::resample_counts(100, 42, 9, 3);
  CHECK(base != kcube::resample_counts(100, 42, 9, 4));
  CHECK(base != kcube::resample_counts(100, 43, 9, 3));
  CHECK(base != kcube::resample_counts(100, 42, 10, 3));
  // Uniform: over 2000 resamples of 10 questions each question is drawn about 2000 times.
  std::vector<std::uint64_t> total(10, 0);
  for (int b = 0; b < 2000; ++b) {
    const auto c = kcube::resample_counts(10, 1, 2, b);
    for (std::size_t i = 0; i < 10; ++i)
      total[i] += c[i];
  }
  for (const auto t : total) {
    CHECK(t > 1800);  // mean 2000, sd about 42
    CHECK(t < 2200);
  }
}

TEST_CASE("percentile: type 7 (numpy's default)") {
  CHECK(kcube::percentile({3.0, 1.0, 4.0, 2.0}, 0.25) == doctest::Approx(1.75));
  CHECK(kcube::percentile({3.0, 1.0, 4.0, 2.0}, 0.0) == 1.0);
  CHECK(kcube::percentile({3.0, 1.0, 4.0, 2.0}, 1.0) == 4.0);
  CHECK(kcube::percentile({5.0, 1.0, 2.0, 4.0, 3.0}, 0.975) == doctest::Approx(4.9));
  CHECK(kcube::percentile({5.0, 1.0, 2.0, 4.0, 3.0}, 0.025) == doctest::Approx(1.1));
  CHECK(kcube::percentile({2.5}, 0.975) == 2.5);
  std::vector<double> hundred(101);
  std::iota(hundred.begin(), hundred.end(), 0.0);
  CHECK(kcube::percentile(hundred, 0.025) == doctest::Approx(2.5));
  CHECK(kcube::percentile(hundred, 0.975) == doctest::Approx(97.5));
}

TEST_CASE(
    "resample: equal questions give intervals of zero width, and means are weighted by counts") {
  const QuestionCurves same =
      curves(20, [](std::size_t, std::size_t g) { return 0.3 + 0.1 * static_cast<double>(g); });
  const Resamples r = kcube::resample(same, 50, 1, 2);
  CandidateTable t = table_on_grid();
  kcube::add_intervals(t, r);
  CHECK(t.column("accuracy_lo")->at(0) == doctest::Approx(0.3));
  CHECK(t.column("accuracy_hi")->at(0) == doctest::Approx(0.3));
  CHECK(t.column("accuracy_hi")->at(1) == doctest::Approx(0.4));
  CHECK(t.column("cost_lo")->at(1) == doctest::Approx(2.0));
  CHECK(t.column("latency_hi")->at(1) == 0.0);

  // Questions 0/1 accuracy: each resample's mean is the share of drawn questions that are 1.
  const QuestionCurves split =
      curves(10, [](std::size_t q, std::size_t) { return q < 5 ? 1.0 : 0.0; });
  const Resamples s = kcube::resample(split, 5, 3, 4);
  for (std::size_t b = 0; b < 5; ++b) {
    const auto counts = kcube::resample_counts(10, 3, 4, static_cast<std::int64_t>(b));
    const double ones = std::accumulate(counts.begin(), counts.begin() + 5, 0.0);
    CHECK(s.accuracy[b * 2] == doctest::Approx(ones / 10.0));
  }
}

TEST_CASE("resampled_table: new means, every other column kept") {
  const QuestionCurves c =
      curves(4, [](std::size_t q, std::size_t) { return 0.25 * static_cast<double>(q); });
  const Resamples r = kcube::resample(c, 3, 5, 6);
  const CandidateTable t = kcube::resampled_table(table_on_grid(), r, 2);
  CHECK(t.rows[0].accuracy == r.accuracy[4]);
  CHECK(t.rows[1].cost == r.cost[5]);
  CHECK(*t.column("accuracy_se") == std::vector<double>{0.01, 0.02});
}

TEST_CASE("pick frequencies: a k every resample picks has share 1, and known shares") {
  // k = 2 is more accurate on every question: a most-accurate rule picks it on every resample.
  const QuestionCurves c = curves(30, [](std::size_t q, std::size_t g) {
    return 0.01 * static_cast<double>(q) + (g == 1 ? 0.2 : 0.0);
  });
  const Resamples r = kcube::resample(c, 200, 7, 8);
  const auto most_accurate = [](const CandidateTable& t) {
    const auto best =
        std::max_element(t.rows.begin(), t.rows.end(),
                         [](const auto& a, const auto& b) { return a.accuracy < b.accuracy; });
    // The second rule picks nothing (an infeasible table).
    return std::vector<std::optional<int>>{best->k, std::nullopt};
  };
  const std::vector<PickTally> counts = kcube::tally_picks(table_on_grid(), r, 2, most_accurate);
  REQUIRE(counts.size() == 2);
  CHECK(counts[0].total == 200);
  CHECK(counts[0].picks.at(2) == 200);
  CHECK(kcube::pick_share(counts[0], 2) == 1.0);
  CHECK(kcube::pick_share(counts[0], 1) == 0.0);
  CHECK(kcube::pick_distribution_json(counts[0]) == "{\"2\":1}");
  CHECK(kcube::pick_share(counts[1], std::nullopt) == 1.0);
  CHECK(kcube::pick_distribution_json(counts[1]) == "{\"none\":1}");

  PickTally mixed;
  mixed.picks = {{8, 1}, {4, 2}};
  mixed.none = 1;
  mixed.total = 4;
  CHECK(kcube::pick_share(mixed, 4) == 0.5);
  CHECK(kcube::pick_share(mixed, std::nullopt) == 0.25);
  CHECK(kcube::pick_distribution_json(mixed) == "{\"4\":0.5,\"8\":0.25,\"none\":0.25}");
}

TEST_CASE("add_intervals refuses a table of another grid") {
  const Resamples r =
      kcube::resample(curves(3, [](std::size_t, std::size_t) { return 0.5; }), 2, 1, 1);
  CandidateTable t;
  t.rows = {{1, 1.0, 0.0, 0.5}};
  CHECK_THROWS_AS(kcube::add_intervals(t, r), kcube::Error);
}

TEST_CASE("recenter: the resamples vary around the table the picks were made on") {
  // Questions q = 0..3 with accuracy 0.25 q at both k: the curves' mean is 0.375, cost 1 and 2.
  const QuestionCurves c =
      curves(4, [](std::size_t q, std::size_t) { return 0.25 * static_cast<double>(q); });
  const Resamples before = kcube::resample(c, 50, 5, 6);
  Resamples after = before;
  // A table 0.1 more accurate and 0.5 USD dearer than the curves' mean (another Monte Carlo
  // draw): every resample moves by the same difference.
  CandidateTable full;
  full.rows = {{1, 1.5, 0.0, 0.475}, {2, 2.5, 0.0, 0.475}};
  kcube::recenter(after, c, full);
  for (std::size_t i = 0; i < after.accuracy.size(); ++i) {
    CHECK(after.accuracy[i] == doctest::Approx(std::clamp(before.accuracy[i] + 0.1, 0.0, 1.0)));
    CHECK(after.cost[i] == doctest::Approx(before.cost[i] + 0.5));
  }
  // The curves' own mean moves nothing; a shift beyond [0, 1] is clamped.
  Resamples same = before;
  CandidateTable mean;
  mean.rows = {{1, 1.0, 0.0, 0.375}, {2, 2.0, 0.0, 0.375}};
  kcube::recenter(same, c, mean);
  for (std::size_t i = 0; i < same.accuracy.size(); ++i)
    CHECK(same.accuracy[i] == doctest::Approx(before.accuracy[i]));
  Resamples high = before;
  CandidateTable top;
  top.rows = {{1, 1.0, 0.0, 1.0}, {2, 2.0, 0.0, 1.0}};
  kcube::recenter(high, c, top);
  CHECK(*std::max_element(high.accuracy.begin(), high.accuracy.end()) <= 1.0);
  CandidateTable short_table;
  short_table.rows = {{1, 1.0, 0.0, 0.5}};
  CHECK_THROWS_AS(kcube::recenter(same, c, short_table), kcube::Error);
}
