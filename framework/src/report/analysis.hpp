// Private: the numbers of a comparative report, as pure functions of stored results. No I/O, no
// plugins: the report module gathers the inputs (cells of a store, exact references it made with
// the plugins) and renders what these functions return.
//
// Conventions
// - Objectives: cost (USD, minimise), latency (s, minimise), accuracy (maximise).
// - Regret of a pick k against the exact optimum k* of the same rule, on exact expected values:
//   accuracy E[A](k*) - E[A](k), cost E[C](k) - E[C](k*), latency E[T](k) - E[T](k*). Positive
//   means the pick is worse than the exact optimum in that objective; a pick may be better in one
//   objective and worse in another, so each is reported signed.
// - Ties go to the smallest k, and to the earlier profile in manifest order, as everywhere else.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kcube/candidate.hpp"
#include "kcube/optimizer.hpp"

namespace kcube::report {

/// The exact (noise-free) answer of one rule on one (profile, scenario, sweep point).
struct ExactReference {
  /// Exact expected values for every k of the deployment, strictly increasing k.
  const CandidateTable* table = nullptr;
  /// The rule's status on the exact table.
  SelectionStatus status = SelectionStatus::infeasible;
  /// Its exact optimum; empty when the rule picks nothing on the exact table.
  std::optional<int> k;
};

/// How one rule's pick varies over the replications of one (profile, scenario, sweep point).
struct Stability {
  /// Replications considered.
  int replications = 0;
  /// Replications that picked no k (infeasible, too few points, error).
  int no_pick = 0;
  /// The most frequent picked k (ties: the smallest); empty when no replication picked one.
  std::optional<int> modal_k;
  /// How many replications picked modal_k.
  int modal_count = 0;
  /// Smallest and largest picked k; empty when none was picked.
  std::optional<int> k_min, k_max;
  /// The following need an exact reference; all empty without one.
  /// The exact optimum (empty when the rule picks nothing on the exact table).
  std::optional<int> exact_k;
  /// Fraction of replications whose pick equals the exact answer (for an exact answer of "no
  /// pick": the fraction that picked nothing). In [0, 1]; empty without replications.
  std::optional<double> p_exact;
  /// Mean regret per objective (see the conventions above) over the replications that picked a
  /// k, evaluated on the exact table; empty when the exact answer has no k or no replication
  /// picked one.
  std::optional<double> regret_accuracy, regret_cost, regret_latency;
};

/// Stability of `picks` (one per replication, empty for no pick). `reference` may be null.
/// Throws kcube::RuntimeFailure when a picked k, or the exact optimum, is missing from the
/// reference table (the run and the reference disagree on the deployment's k values).
Stability stability(std::span<const std::optional<int>> picks, const ExactReference* reference);

/// One profile's candidates in a cross-model pool.
struct PoolInput {
  /// The profile's name.
  std::string profile;
  /// Its candidates (strictly increasing k).
  const CandidateTable* table = nullptr;
  /// Feasibility of each row under the scenario (same size as table->rows), e.g. a stored
  /// cell's CellResult::feasible. A pointer, like `table`: a std::span cannot view the packed
  /// std::vector<bool> that the store and Pool use.
  const std::vector<bool>* feasible = nullptr;
};

/// Where a pooled row came from.
struct PoolOrigin {
  /// Index into the inputs (manifest order of profiles) and its name.
  std::size_t input = 0;
  std::string profile;
  /// The profile's k and its row in the profile's table.
  int k = 0;
  std::size_t row = 0;
};

/// Every (profile, k) of one scenario in one table, so that any rule can choose among models.
/// Rows are ordered by increasing cost, ties by input order then k; each row's `k` is its rank
/// 1..n in that order (the optimizer contract needs strictly increasing k, and "smallest k wins a
/// tie" then means "cheapest wins"). Extra columns present in every input are carried along;
/// others are dropped.
struct Pool {
  CandidateTable table;
  /// One per row: which profile and k it is.
  std::vector<PoolOrigin> origin;
  /// Feasibility of each row.
  std::vector<bool> feasible;
  /// Row indices of the feasible rows, increasing rank.
  std::vector<std::size_t> feasible_rows;
  /// Row indices of the Pareto set of the feasible rows across all models (minimise cost and
  /// latency, maximise accuracy; duplicates kept), increasing rank.
  std::vector<std::size_t> pareto;
};

/// Builds the pool. Throws kcube::RuntimeFailure, naming the profile (and k), when a feasibility
/// vector has the wrong size, an extra column has the wrong length, or a cost, latency or
/// accuracy is NaN (it could not be ordered).
Pool pool(std::span<const PoolInput> inputs);

/// A pick to be matched more cheaply by another model.
struct ReferencePick {
  /// Index into the pool's inputs, and the picked k (e.g. the profile's accuracy-max pick).
  std::size_t input = 0;
  int k = 0;
};

/// One row of the "smaller model" table.
struct CheaperAlternative {
  /// The reference pick and its expected values. In both `..._values`, `k` is the profile's k
  /// (as in the origin), not the pool rank.
  PoolOrigin reference;
  Candidate reference_values;
  /// The cheapest feasible (profile, k) of another profile whose accuracy is at least the
  /// reference's and whose cost is strictly lower (ties: lower latency, then input order, then
  /// k); empty when none. So cost_ratio < 1 whenever there is an alternative.
  std::optional<PoolOrigin> alternative;
  Candidate alternative_values;
  /// alternative cost / reference cost (< 1) and alternative latency / reference latency (any
  /// value: a cheaper model may be slower); empty without an alternative, and the latency ratio
  /// also when the reference latency is 0.
  std::optional<double> cost_ratio, latency_ratio;
};

/// For each reference pick, in the order given: the cheapest feasible candidate of another
/// profile that reaches at least its accuracy at a strictly lower cost. Throws
/// kcube::RuntimeFailure when a reference pick is not a row of the pool.
std::vector<CheaperAlternative> cheaper_alternatives(const Pool& pool,
                                                     std::span<const ReferencePick> picks);

/// One line of the nested-against-independent table: a rule's stability summarised over every
/// (profile, scenario, sweep point) of one run.
struct SamplingSummary {
  /// Cells (profile, scenario, sweep point) summarised.
  int groups = 0;
  /// Mean over groups of modal_count / replications.
  double mean_modal_share = 0.0;
  /// Mean over groups of the number of distinct picked k values (no pick counts as one value).
  double mean_distinct = 0.0;
  /// Mean of p_exact over the groups that have one, and of |regret_accuracy| over the groups
  /// that have one; each empty when no group has one (e.g. no exact reference).
  std::optional<double> mean_p_exact, mean_abs_regret_accuracy;
};

/// Summarises the stability of one rule over groups. `distinct[i]` is the number of distinct
/// outcomes of group i (see count_distinct()). Throws kcube::RuntimeFailure when `distinct` and
/// `groups` differ in size or a group has no replications (its modal share would be 0/0).
SamplingSummary summarise(std::span<const Stability> groups, std::span<const int> distinct);

/// The number of distinct outcomes among picks (no pick counts as one outcome).
int count_distinct(std::span<const std::optional<int>> picks);

/// Cube volume of a feasible candidate as cube-max scores it with the raw accuracy term:
/// max(0, 1 - C/cost_max) max(0, 1 - T/latency_max) A, with budget_share() handling unbounded
/// budgets (factor 1); the clamp at 0 is cube-max's, for quantile-admitted candidates whose
/// expected value exceeds the budget.
double cube_volume(const Candidate& c, const Budget& budget);

}  // namespace kcube::report
