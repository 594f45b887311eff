// cube-max: the feasible k that leaves the largest feasible-cube volume. See README.md.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>

#include "kcube/kcube.hpp"

namespace {

/// How the accuracy side of the cube is measured.
enum class AccuracyTerm {
  raw,         ///< a = A.
  normalized,  ///< a = (A - accuracy_min) / (1 - accuracy_min).
};

/// Parameter schema: one enumeration, defaulted.
constexpr kcube::ParamSpec cube_max_params[] = {
    {.key = "accuracy_term",
     .type = kcube::ParamType::enumeration,
     .default_value = "raw",
     .choices = "raw|normalized",
     .doc = "accuracy side of the cube: A itself, or the share of [accuracy_min, 1] above the "
            "accuracy budget"},
};

/// The share of a budget left unused, 1 - used / budget, in [0, 1]. An unbounded budget leaves
/// all of it (kcube::budget_share is 0), so that axis contributes a factor 1. Clamped at 0: a
/// scenario that admits candidates by a quantile may admit one whose expected value exceeds the
/// budget, and two negative slacks must not multiply into a positive volume.
double slack(double used, double budget) {
  return std::max(0.0, 1.0 - kcube::budget_share(used, budget));
}

/// Picks argmax over F of V = (1 - C/cost_max)(1 - T/latency_max) a; score = V (dimensionless).
class CubeMax final : public kcube::Optimizer {
 public:
  /// Reads `accuracy_term` (validated by the host).
  explicit CubeMax(const kcube::Params& params)
      : accuracy_term_(kcube::get_string(params, "accuracy_term") == "normalized"
                           ? AccuracyTerm::normalized
                           : AccuracyTerm::raw) {}

  /// The feasible candidate with the largest volume; ties go to the smallest k.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    if (problem.feasible.empty()) {
      return {kcube::SelectionStatus::infeasible, {}, {}, "no candidate satisfies the budgets"};
    }
    const auto& rows = problem.table.rows;
    // `feasible` runs in increasing k, so replacing only on a strictly larger volume keeps the
    // smallest k among ties.
    std::size_t best = problem.feasible.front();
    double best_volume = volume(rows[best], problem.budget);
    for (std::size_t row : problem.feasible) {
      const double v = volume(rows[row], problem.budget);
      if (v > best_volume) {
        best = row;
        best_volume = v;
      }
    }
    const char* term = accuracy_term_ == AccuracyTerm::raw ? "raw" : "normalized";
    return {kcube::SelectionStatus::selected, rows[best].k, best_volume,
            "largest feasible-cube volume " + kcube::format_number(best_volume, 4) +
                " (cost slack times latency slack times " + term + " accuracy) among " +
                std::to_string(problem.feasible.size()) + " feasible candidates"};
  }

 private:
  /// The accuracy side a of the cube, in [0, 1].
  double accuracy_side(double accuracy, double accuracy_min) const {
    if (accuracy_term_ == AccuracyTerm::raw) {
      return accuracy;
    }
    // With accuracy_min = 1 every feasible A is 1 and the interval [accuracy_min, 1] is empty:
    // the whole (empty) accuracy budget is met, a = 1.
    if (accuracy_min >= 1.0) {
      return 1.0;
    }
    // a = (A - a_min) / (1 - a_min); clamped like slack() for quantile-based scenarios.
    return std::max(0.0, (accuracy - accuracy_min) / (1.0 - accuracy_min));
  }

  /// V = (1 - C/cost_max)(1 - T/latency_max) a.
  double volume(const kcube::Candidate& candidate, const kcube::Budget& budget) const {
    return slack(candidate.cost, budget.cost_max) * slack(candidate.latency, budget.latency_max) *
           accuracy_side(candidate.accuracy, budget.accuracy_min);
  }

  AccuracyTerm accuracy_term_;
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "cube-max",
    .version = "1.0.0",
    .summary = "the feasible k maximising the feasible-cube volume (1 - C/C_max)(1 - T/T_max) A",
    .params = cube_max_params,
    .param_count = std::size(cube_max_params),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<CubeMax>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
