// kcube public SDK: the optimizer interface, a rule that picks k from a candidate table.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kcube/candidate.hpp"
#include "kcube/plugin.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// What a rule concluded.
enum class SelectionStatus {
  selected = 1,        ///< A k was picked by the rule itself.
  infeasible = 2,      ///< No candidate satisfies the budgets (only when F is empty); no k.
  fallback = 3,        ///< The rule could not apply and a documented fallback picked k.
  too_few_points = 4,  ///< The rule needs more points than there are and has no fallback; no k.
  error = 5,           ///< The plugin failed (set by the host only, never by a plugin).
};

/// "selected", "infeasible", "fallback", "too-few-points" or "error".
std::string_view to_string(SelectionStatus status) noexcept;

/// Everything a rule may look at. The host computes feasibility and the Pareto set once, so
/// every rule sees the same sets.
struct SelectionProblem {
  /// All candidates, strictly increasing k, with extra columns.
  const CandidateTable& table;
  /// The scenario's budgets.
  Budget budget;
  /// Row indices of the feasible candidates, increasing k.
  std::span<const std::size_t> feasible;
  /// Row indices of the Pareto set of the feasible candidates (minimise cost and latency,
  /// maximise accuracy; duplicates all kept), increasing k.
  std::span<const std::size_t> pareto;
};

/// A rule's answer. The host checks it and adds the candidate's values, |F| and the Pareto-set
/// size for the report. The contract: `selected` and `fallback` carry a k that is a feasible
/// candidate; `infeasible` only when problem.feasible is empty; `too-few-points` and
/// `infeasible` carry no k; a score, when given, is finite. A broken contract becomes status
/// `error` naming the plugin.
struct Selection {
  /// What happened.
  SelectionStatus status = SelectionStatus::infeasible;
  /// The picked k; empty for infeasible and too-few-points.
  std::optional<int> k;
  /// The rule's score of the pick (e.g. the cube volume); empty when there is no pick.
  std::optional<double> score;
  /// In words: why this k, or why none.
  std::string reason;
};

/// A rule for choosing k. Must not keep references into the problem after select() returns.
class BOOST_SYMBOL_VISIBLE Optimizer : public PluginObject {
 public:
  ~Optimizer() override;
  /// Picks k. Ties go to the smallest k.
  virtual Selection select(const SelectionProblem& problem) const = 0;
};

}  // namespace kcube
