// utopia-closest: the Pareto-optimal k nearest the utopia point ($0, 0 s, accuracy 1). See
// README.md.
#include <cmath>
#include <cstddef>
#include <string>

#include "kcube/kcube.hpp"

namespace {

/// Picks argmin d over the Pareto set of F; score = d (smaller is better).
class UtopiaClosest final : public kcube::Optimizer {
 public:
  /// The rule has no parameters.
  explicit UtopiaClosest(const kcube::Params& /*params*/) {}

  /// The Pareto point nearest the utopia point; ties go to the smallest k.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    // The Pareto set of a finite set is empty only when the set is.
    if (problem.pareto.empty()) {
      return {kcube::SelectionStatus::infeasible, {}, {}, "no candidate satisfies the budgets"};
    }
    const auto& rows = problem.table.rows;
    // The Pareto set, not F: with an unbounded axis a dominated point of smaller k can tie with
    // the point dominating it, and the tie rule must not hand the pick to the dominated one.
    // `pareto` runs in increasing k, so replacing only on a strictly smaller distance keeps the
    // smallest k among ties.
    const kcube::UtopiaPick best = kcube::nearest_to_utopia(rows, problem.pareto, problem.budget);
    return {kcube::SelectionStatus::selected, rows[best.row].k, best.distance,
            "nearest to the utopia point ($0, 0 s, accuracy 1) at budget-normalised distance " +
                kcube::format_number(best.distance, 4) + " among " +
                std::to_string(problem.pareto.size()) + " Pareto-optimal feasible candidates"};
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "utopia-closest",
    .version = "1.0.0",
    .summary = "the Pareto-optimal feasible k nearest the utopia point ($0, 0 s, accuracy 1)",
    .params = nullptr,
    .param_count = 0,
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<UtopiaClosest>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
