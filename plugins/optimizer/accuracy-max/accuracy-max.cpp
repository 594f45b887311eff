// accuracy-max: the feasible k with the highest expected accuracy. See README.md.
#include <cstddef>
#include <string>

#include "kcube/kcube.hpp"

namespace {

/// Picks argmax A over the feasible candidates; score = A (dimensionless, in [0, 1]).
class AccuracyMax final : public kcube::Optimizer {
 public:
  /// The rule has no parameters.
  explicit AccuracyMax(const kcube::Params& /*params*/) {}

  /// The feasible candidate with the highest accuracy; ties go to the smallest k.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    if (problem.feasible.empty()) {
      return {kcube::SelectionStatus::infeasible, {}, {}, "no candidate satisfies the budgets"};
    }
    const auto& rows = problem.table.rows;
    // `feasible` runs in increasing k, so replacing only on a strictly higher accuracy keeps
    // the smallest k among ties.
    std::size_t best = problem.feasible.front();
    for (std::size_t row : problem.feasible) {
      if (rows[row].accuracy > rows[best].accuracy) {
        best = row;
      }
    }
    const double accuracy = rows[best].accuracy;
    return {kcube::SelectionStatus::selected, rows[best].k, accuracy,
            "highest expected accuracy " + kcube::format_number(accuracy, 4) + " among " +
                std::to_string(problem.feasible.size()) + " feasible candidates"};
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "accuracy-max",
    .version = "1.0.0",
    .summary = "the feasible k with the highest expected accuracy",
    .params = nullptr,
    .param_count = 0,
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<AccuracyMax>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
