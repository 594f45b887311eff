// Private: applying a scenario and optimizers to a candidate table, with every plugin output
// checked in one place.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "kcube/candidate.hpp"
#include "kcube/optimizer.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// A candidate table judged by a scenario: feasibility of each row, F and its Pareto set.
struct AssessedTable {
  /// The scenario's budgets.
  Budget budget;
  /// One verdict per row.
  std::vector<Feasibility> verdicts;
  /// Row indices of F, increasing k.
  std::vector<std::size_t> feasible;
  /// Row indices of the Pareto set of F, increasing k.
  std::vector<std::size_t> pareto;
  /// The deployment's k grid: multiples of k_step up to k_max.
  int k_step = 1, k_max = 0;
  /// k of the rows the scenario judged infeasible that are off that grid, increasing: not a
  /// multiple of k_step (k = 1, 2, 3 measured, P = 4), or above k_max.
  std::vector<int> off_step, above_k_max;
};

/// What the grid took away, for people: "measured k = 1, 2, 3 are not multiples of k_step 4
/// ...; k_step=1 keeps them", or "" when every row is on the grid.
std::string grid_note(const AssessedTable& assessed);

/// Applies `scenario` to `table` (through its checked calls, host/checked.hpp). Throws kcube::Error
/// when the table lacks a column the scenario needs (naming the column, the scenario and how to get
/// it), kcube::RuntimeFailure naming the scenario when one of its methods throws anything
/// (kcube::Error and non-std types included: only factories report input errors), its budget has a
/// NaN, a negative cap or an accuracy floor outside [0, 1], or it returns the wrong number of
/// verdicts.
AssessedTable assess(const PluginInstance<Scenario>& scenario, const CandidateTable& table);

/// One optimizer's pick, with the candidate's values, as reported to users.
struct SelectionRecord {
  /// The optimizer plugin's name.
  std::string optimizer;
  /// The spec string it was made from.
  std::string spec;
  /// canonical_spec() of the optimizer: its plugin and every validated parameter, enough to make
  /// the same optimizer again.
  std::string canonical_spec;
  /// What happened; `error` when the plugin threw or broke its contract.
  SelectionStatus status = SelectionStatus::error;
  /// The picked k, if any.
  std::optional<int> k;
  /// The picked candidate's expected cost (USD), latency (s) and accuracy.
  std::optional<double> cost, latency, accuracy;
  /// The rule's score of the pick.
  std::optional<double> score;
  /// |F|.
  std::size_t feasible = 0;
  /// Size of the Pareto set of F.
  std::size_t pareto = 0;
  /// Why, in words (for errors: the plugin's name, file and message).
  std::string reason;
};

/// Runs `optimizer` on the assessed table. When nothing is feasible and rows are off the grid, the
/// reason ends with grid_note(). Never throws for plugin failures: a plugin that
/// throws, returns a k that is not a feasible candidate, a non-finite score, or a status that
/// contradicts its k gives a record with status `error` and a reason naming the plugin.
SelectionRecord run_selection(const PluginInstance<Optimizer>& optimizer,
                              const CandidateTable& table, const AssessedTable& assessed);

}  // namespace kcube
