#include "engine/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "engine/mix.hpp"
#include "kcube/error.hpp"
#include "kcube/random.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

// Tags that separate the bootstrap's streams from each other and from the cell's simulation
// (which keys its streams by the cell's identity itself).
constexpr std::uint64_t kQuestionTrialsTag = 0x626f6f742d717472ULL;  // "boot-qtr"
constexpr std::uint64_t kResampleTag = 0x626f6f742d726573ULL;        // "boot-res"

// The key of one of the bootstrap's streams: the cell's identity and a tag, mixed (SplitMix64's
// finaliser) so that nearby identities give unrelated keys.
std::uint64_t derived_key(std::uint64_t cell, std::uint64_t tag) {
  return mix64(cell ^ tag);
}

// A uniform index in [0, n), n >= 1.
std::size_t uniform_index(RandomStream& stream, std::size_t n) {
  const auto i = static_cast<std::size_t>(stream.uniform() * static_cast<double>(n));
  return std::min(i, n - 1);
}

}  // namespace

QuestionCurves exact_question_curves(const CheckedProfile& profile,
                                     const CheckedAggregator& aggregator,
                                     const Deployment& deployment) {
  const QuestionLog log = profile.question_log();
  std::vector<std::string> notes;  // exact_candidates() gave them already
  const std::vector<const QuestionSamples*> questions =
      exact_population(profile, aggregator, log, deployment, notes);
  QuestionCurves curves;
  curves.grid = deployment.k_grid();
  curves.questions = questions.size();
  const std::size_t width = curves.grid.size();
  curves.cost.resize(curves.questions * width);
  curves.latency.resize(curves.questions * width);
  curves.accuracy.resize(curves.questions * width);
  const double parallelism = static_cast<double>(deployment.parallelism);
  for (std::size_t q = 0; q < questions.size(); ++q) {
    const QuestionExpectation e =
        question_expectation(aggregator, *questions[q], curves.grid.back());
    for (std::size_t g = 0; g < width; ++g) {
      const int k = curves.grid[g];
      curves.accuracy[q * width + g] = e.accuracy[static_cast<std::size_t>(k - 1)];
      curves.cost[q * width + g] = deployment.billing.request_cost(k, e.input, e.cost);
      curves.latency[q * width + g] = static_cast<double>(k) / parallelism * e.latency;
    }
  }
  return curves;
}

QuestionCurves simulated_question_curves(const CheckedProfile& profile,
                                         const CheckedAggregator& aggregator,
                                         const Deployment& deployment, std::int64_t trials,
                                         std::uint64_t seed, std::uint64_t cell) {
  const QuestionLog log = profile.question_log();
  QuestionCurves curves;
  curves.grid = deployment.k_grid();
  const int k_max = curves.grid.back();
  std::vector<std::string> notes;  // the simulation gave them already
  const std::vector<const QuestionSamples*> questions =
      logged_population(profile, log, k_max, notes);
  curves.questions = questions.size();
  const std::size_t width = curves.grid.size();
  curves.cost.assign(curves.questions * width, 0.0);
  curves.latency.assign(curves.questions * width, 0.0);
  curves.accuracy.assign(curves.questions * width, 0.0);
  const auto count = static_cast<std::int64_t>(curves.questions);
  const std::int64_t per_question = std::max<std::int64_t>(2, (trials + count - 1) / count);
  const std::uint64_t key = derived_key(cell, kQuestionTrialsTag);
  std::vector<InferenceOutcome> path(static_cast<std::size_t>(k_max));
  std::vector<std::uint32_t> order;
  std::vector<double> values;
  for (std::size_t q = 0; q < questions.size(); ++q) {
    const std::vector<InferenceOutcome>& samples = questions[q]->samples;
    double* cost = &curves.cost[q * width];
    double* latency = &curves.latency[q * width];
    double* accuracy = &curves.accuracy[q * width];
    for (std::int64_t t = 0; t < per_question; ++t) {
      RandomStream stream(seed, key, static_cast<std::uint64_t>(t), q);
      order.resize(samples.size());
      std::iota(order.begin(), order.end(), std::uint32_t{0});
      for (std::size_t i = 0; i < path.size(); ++i) {
        std::swap(order[i], order[i + uniform_index(stream, order.size() - i)]);
        path[i] = samples[order[i]];
      }
      const std::size_t metrics =
          aggregate_path(aggregator, path, curves.grid, deployment, t, values);
      for (std::size_t g = 0; g < width; ++g) {
        cost[g] += values[metrics * g];
        latency[g] += values[metrics * g + 1];
        accuracy[g] += values[metrics * g + 2];
      }
    }
    const auto n = static_cast<double>(per_question);
    for (std::size_t g = 0; g < width; ++g) {
      cost[g] /= n;
      latency[g] /= n;
      accuracy[g] /= n;
      if (!std::isfinite(cost[g]) || !std::isfinite(latency[g])) {
        throw RuntimeFailure(profile.who() + ": the mean cost or latency of question '" +
                             questions[q]->id + "' at k = " + std::to_string(curves.grid[g]) +
                             " overflows; this is a bug in the profile plugin");
      }
    }
  }
  return curves;
}

std::vector<std::uint32_t> resample_counts(std::size_t questions, std::uint64_t seed,
                                           std::uint64_t cell, std::int64_t b) {
  std::vector<std::uint32_t> counts(questions, 0);
  RandomStream stream(seed, derived_key(cell, kResampleTag), static_cast<std::uint64_t>(b));
  for (std::size_t i = 0; i < questions; ++i)
    ++counts[uniform_index(stream, questions)];
  return counts;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty())
    throw Error("a percentile of no values");
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= values.size())
    return values.back();
  return values[lo] + (h - static_cast<double>(lo)) * (values[lo + 1] - values[lo]);
}

Resamples resample(const QuestionCurves& curves, std::int64_t count, std::uint64_t seed,
                   std::uint64_t cell) {
  Resamples r;
  r.count = static_cast<std::size_t>(count);
  r.width = curves.grid.size();
  r.cost.assign(r.count * r.width, 0.0);
  r.latency.assign(r.count * r.width, 0.0);
  r.accuracy.assign(r.count * r.width, 0.0);
  const auto q_count = static_cast<double>(curves.questions);
  for (std::size_t b = 0; b < r.count; ++b) {
    const std::vector<std::uint32_t> counts =
        resample_counts(curves.questions, seed, cell, static_cast<std::int64_t>(b));
    double* cost = &r.cost[b * r.width];
    double* latency = &r.latency[b * r.width];
    double* accuracy = &r.accuracy[b * r.width];
    for (std::size_t q = 0; q < curves.questions; ++q) {
      if (counts[q] == 0)
        continue;
      const auto weight = static_cast<double>(counts[q]);
      for (std::size_t g = 0; g < r.width; ++g) {
        cost[g] += weight * curves.cost[q * r.width + g];
        latency[g] += weight * curves.latency[q * r.width + g];
        accuracy[g] += weight * curves.accuracy[q * r.width + g];
      }
    }
    for (std::size_t g = 0; g < r.width; ++g) {
      cost[g] /= q_count;
      latency[g] /= q_count;
      // A mean of values in [0, 1] may round a hair outside it.
      accuracy[g] = std::clamp(accuracy[g] / q_count, 0.0, 1.0);
    }
  }
  return r;
}

void recenter(Resamples& resamples, const QuestionCurves& curves, const CandidateTable& full) {
  const std::size_t width = resamples.width;
  if (full.rows.size() != width || curves.grid.size() != width) {
    throw Error("the bootstrap's grid has " + std::to_string(width) +
                " values of k but the candidate table has " + std::to_string(full.rows.size()) +
                " rows");
  }
  const auto q_count = static_cast<double>(curves.questions);
  for (std::size_t g = 0; g < width; ++g) {
    double cost = 0.0, latency = 0.0, accuracy = 0.0;
    for (std::size_t q = 0; q < curves.questions; ++q) {
      cost += curves.cost[q * width + g];
      latency += curves.latency[q * width + g];
      accuracy += curves.accuracy[q * width + g];
    }
    const Candidate& row = full.rows[g];
    const double shift_cost = row.cost - cost / q_count;
    const double shift_latency = row.latency - latency / q_count;
    const double shift_accuracy = row.accuracy - accuracy / q_count;
    for (std::size_t b = 0; b < resamples.count; ++b) {
      const std::size_t i = b * width + g;
      resamples.cost[i] = std::max(0.0, resamples.cost[i] + shift_cost);
      resamples.latency[i] = std::max(0.0, resamples.latency[i] + shift_latency);
      resamples.accuracy[i] = std::clamp(resamples.accuracy[i] + shift_accuracy, 0.0, 1.0);
    }
  }
}

void add_intervals(CandidateTable& table, const Resamples& resamples) {
  if (table.rows.size() != resamples.width) {
    throw Error("the bootstrap's grid has " + std::to_string(resamples.width) +
                " values of k but the candidate table has " + std::to_string(table.rows.size()) +
                " rows");
  }
  const std::vector<const std::vector<double>*> metrics = {&resamples.accuracy, &resamples.cost,
                                                           &resamples.latency};
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    std::vector<double>& lo = table.columns[kIntervalColumns[2 * m]];
    std::vector<double>& hi = table.columns[kIntervalColumns[2 * m + 1]];
    lo.assign(resamples.width, 0.0);
    hi.assign(resamples.width, 0.0);
    std::vector<double> values(resamples.count);
    for (std::size_t g = 0; g < resamples.width; ++g) {
      for (std::size_t b = 0; b < resamples.count; ++b)
        values[b] = (*metrics[m])[b * resamples.width + g];
      lo[g] = percentile(values, 0.025);
      hi[g] = percentile(values, 0.975);
    }
  }
}

CandidateTable resampled_table(const CandidateTable& full, const Resamples& resamples,
                               std::size_t b) {
  CandidateTable table = full;
  for (std::size_t g = 0; g < table.rows.size() && g < resamples.width; ++g) {
    Candidate& row = table.rows[g];
    row.cost = resamples.cost[b * resamples.width + g];
    row.latency = resamples.latency[b * resamples.width + g];
    row.accuracy = resamples.accuracy[b * resamples.width + g];
  }
  return table;
}

double pick_share(const PickTally& counts, std::optional<int> full_pick) {
  if (counts.total == 0)
    return 0.0;
  std::int64_t same = counts.none;
  if (full_pick) {
    const auto it = counts.picks.find(*full_pick);
    same = it == counts.picks.end() ? 0 : it->second;
  }
  return static_cast<double>(same) / static_cast<double>(counts.total);
}

std::string pick_distribution_json(const PickTally& counts) {
  std::ostringstream out;
  json::Writer w(out);
  w.begin_object();
  const auto total = static_cast<double>(std::max<std::int64_t>(1, counts.total));
  for (const auto& [k, n] : counts.picks)
    w.key(std::to_string(k)).real(static_cast<double>(n) / total);
  if (counts.none > 0)
    w.key("none").real(static_cast<double>(counts.none) / total);
  w.end_object();
  return out.str();
}

std::vector<PickTally> tally_picks(
    const CandidateTable& full, const Resamples& resamples, std::size_t rules,
    const std::function<std::vector<std::optional<int>>(const CandidateTable&)>& pick) {
  std::vector<PickTally> counts(rules);
  for (std::size_t b = 0; b < resamples.count; ++b) {
    const std::vector<std::optional<int>> picks = pick(resampled_table(full, resamples, b));
    for (std::size_t r = 0; r < rules; ++r) {
      PickTally& c = counts[r];
      ++c.total;
      if (r < picks.size() && picks[r])
        ++c.picks[*picks[r]];
      else
        ++c.none;
    }
  }
  return counts;
}

}  // namespace kcube
