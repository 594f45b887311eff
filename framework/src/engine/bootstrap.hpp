// Private: confidence from the questions of a sample log (run.bootstrap: B). A pick made on 100
// questions is an estimate; resampling the questions with replacement (Miller 2024, "Adding Error
// Bars to Evals": the questions, not the samples, are the random draw) gives each candidate's
// 95 % percentile interval and, for each rule, how often each k would be picked.
//
// The steps, each a pure function of its inputs (counter-based streams keyed by the seed, the
// cell's identity and the index of the question, trial or resample), so that results do not
// depend on threads or ranks:
//   1. question curves: a Q x K matrix of each question's expected cost, latency and accuracy on
//      the deployment's k grid (exact: question_expectation(); Monte Carlo: trials of random
//      orders of the question's own samples, aggregated as simulate() aggregates a trial);
//   2. resamples: B draws of Q question indices with replacement; the resampled candidate at k
//      is the mean over the drawn questions;
//   3. intervals: the 2.5 % and 97.5 % percentiles of the B resampled values (type 7, numpy's
//      default), as the columns accuracy_lo, accuracy_hi, cost_lo, cost_hi, latency_lo,
//      latency_hi of the cell's candidate table;
//   4. pick frequencies: each resample's table (its cost, latency and accuracy; every other
//      column copied from the full table) assessed and selected as the full one, counted per
//      optimizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/checked.hpp"
#include "kcube/candidate.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// Each question's expected outcomes on a k grid, row-major: value[q * grid.size() + g].
struct QuestionCurves {
  /// The k grid (the deployment's), increasing.
  std::vector<int> grid;
  /// Number of questions Q.
  std::size_t questions = 0;
  /// Q x grid.size() values each: USD, seconds, and accuracy in [0, 1].
  std::vector<double> cost, latency, accuracy;
};

/// The exact question curves of a logged profile: for each question of exact_population(), the
/// aggregator's exact accuracy at each k of the grid, cost deployment.billing.request_cost(k, mean
/// input cost, mean sample cost) and latency (k / P) x mean sample latency, so that their
/// equal-weight mean is exact_candidates(). Errors as exact_candidates() (no exact form, max-wave,
/// short questions); the log's notes are not repeated (exact_candidates() gave them).
QuestionCurves exact_question_curves(const CheckedProfile& profile,
                                     const CheckedAggregator& aggregator,
                                     const Deployment& deployment);

/// The Monte Carlo question curves of a logged profile: for each question of
/// logged_population(), max(2, ceil(trials / Q)) trials, each a uniformly random order of k_max
/// of its samples (without replacement, as the samples profile draws), aggregated by
/// aggregate_path(); the question's values are the means over its trials. Trial t of question q
/// draws from RandomStream(seed, a key derived from `cell`, t, q).
QuestionCurves simulated_question_curves(const CheckedProfile& profile,
                                         const CheckedAggregator& aggregator,
                                         const Deployment& deployment, std::int64_t trials,
                                         std::uint64_t seed, std::uint64_t cell);

/// How often each of `questions` questions is drawn in resample `b`: `questions` indices drawn
/// uniformly with replacement from RandomStream(seed, a key derived from `cell`, b); the counts
/// sum to `questions`.
std::vector<std::uint32_t> resample_counts(std::size_t questions, std::uint64_t seed,
                                           std::uint64_t cell, std::int64_t b);

/// The q-quantile of `values` (not empty), q in [0, 1]: linear interpolation between the order
/// statistics around q (n - 1) (type 7, numpy's default).
double percentile(std::vector<double> values, double q);

/// The B resampled candidate values on the grid: value[b * grid size + g].
struct Resamples {
  /// B.
  std::size_t count = 0;
  /// Grid size K.
  std::size_t width = 0;
  /// B x K values each.
  std::vector<double> cost, latency, accuracy;
};

/// The B resamples of `curves`, resample b weighting question q by resample_counts(...)[q] / Q.
Resamples resample(const QuestionCurves& curves, std::int64_t count, std::uint64_t seed,
                   std::uint64_t cell);

/// Moves every resample by the difference between `full` (the cell's candidate table, rows on
/// the curves' grid in order) and the curves' own equal-weight mean, so that the resamples vary
/// around the table the picks were made on: resample b at k becomes full(k) + (resample b at k -
/// mean(k)), accuracy clamped to [0, 1], cost and latency to >= 0. The exact evaluator's table is
/// that mean (up to rounding), so it barely moves; a Monte Carlo table is another draw than the
/// per-question curves, and without this its pick would be compared with resamples of a
/// different draw: at a flat optimum (k = 12 and 13 within Monte Carlo noise) P(pick) would
/// measure the noise of two draws instead of the spread over questions. kcube::Error when the
/// table's rows are not the grid's (a bug).
void recenter(Resamples& resamples, const QuestionCurves& curves, const CandidateTable& full);
/// The interval columns of the bootstrap, in the order they are added.
inline const std::vector<std::string> kIntervalColumns = {
    "accuracy_lo", "accuracy_hi", "cost_lo", "cost_hi", "latency_lo", "latency_hi"};

/// Adds kIntervalColumns to `table` (rows on the resamples' grid, in order): the 2.5 % and
/// 97.5 % percentiles of each candidate's resampled values. kcube::Error when the table's rows
/// are not the grid's (a bug).
void add_intervals(CandidateTable& table, const Resamples& resamples);

/// `full` with the cost, latency and accuracy of resample `b`; every other column copied.
CandidateTable resampled_table(const CandidateTable& full, const Resamples& resamples,
                               std::size_t b);

/// How often one rule picked each k over the resamples.
struct PickTally {
  /// Resamples that picked k.
  std::map<int, std::int64_t> picks;
  /// Resamples that picked nothing (infeasible or an error).
  std::int64_t none = 0;
  /// All resamples counted.
  std::int64_t total = 0;
};

/// The share of resamples whose pick equals `full_pick` (the full table's pick; nullopt: the
/// share that picked nothing too). 0 when nothing was counted.
double pick_share(const PickTally& counts, std::optional<int> full_pick);

/// The distribution as a JSON object: keys the k as strings in increasing k, then "none" when
/// some resample picked nothing; values the shares, e.g. {"4":0.62,"8":0.38}.
std::string pick_distribution_json(const PickTally& counts);

/// The picks of `rules` rules on every resample: `pick(table)` returns each rule's pick on a
/// resampled table (nullopt: none), called once per resample, in order b = 0..B-1.
std::vector<PickTally> tally_picks(
    const CandidateTable& full, const Resamples& resamples, std::size_t rules,
    const std::function<std::vector<std::optional<int>>(const CandidateTable&)>& pick);

}  // namespace kcube
