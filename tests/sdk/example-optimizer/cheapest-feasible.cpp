// Optimizer plugin `cheapest-feasible`, built out of tree against an installed kcube.
//
// Among the feasible candidates F, those whose expected accuracy reaches accuracy_floor, the one
// of lowest expected cost:
//   k* = argmin { cost(k) : k in F, accuracy(k) >= accuracy_floor },  ties to the smallest k.
// F empty: `infeasible`. F not empty but below the floor: `fallback` to the most accurate member
// of F (the host treats `infeasible` with a non-empty F as a plugin bug).
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <kcube/optimizer.hpp>

namespace {

constexpr std::array<kcube::ParamSpec, 1> kParams{{
    {.key = "accuracy_floor",
     .type = kcube::ParamType::real,
     .default_value = "0",
     .min = 0.0,
     .max = 1.0,
     .doc = "smallest expected accuracy accepted, on top of the scenario's accuracy_min"},
}};

/// The feasible candidate of lowest expected cost whose accuracy is >= accuracy_floor.
class CheapestFeasible final : public kcube::Optimizer {
 public:
  /// Reads validated parameters: the schema guarantees accuracy_floor is in [0, 1].
  explicit CheapestFeasible(const kcube::Params& params)
      : accuracy_floor_(kcube::get_real(params, "accuracy_floor")) {}

  /// The cheapest candidate that reaches the floor, else the fallback, else `infeasible`.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    kcube::Selection selection;
    if (problem.feasible.empty()) {
      selection.reason = "no candidate satisfies the scenario's budgets";
      return selection;
    }
    const std::vector<kcube::Candidate>& rows = problem.table.rows;
    std::optional<std::size_t> best;
    for (const std::size_t row : problem.feasible) {
      if (rows[row].accuracy < accuracy_floor_)
        continue;
      // Strict '<' over F in increasing k: the first of equal costs, the smallest k, stays.
      if (!best || rows[row].cost < rows[*best].cost)
        best = row;
    }
    if (!best)
      return most_accurate(problem);

    selection.status = kcube::SelectionStatus::selected;
    selection.k = rows[*best].k;
    selection.score = rows[*best].cost;
    selection.reason = "cheapest feasible candidate (" + kcube::format_number(rows[*best].cost) +
                       " USD) with accuracy >= " + kcube::format_number(accuracy_floor_);
    return selection;
  }

 private:
  /// The fallback below the floor: the most accurate member of F, the closest to the floor.
  kcube::Selection most_accurate(const kcube::SelectionProblem& problem) const {
    const std::vector<kcube::Candidate>& rows = problem.table.rows;
    std::size_t pick = problem.feasible.front();
    for (const std::size_t row : problem.feasible) {
      const bool more_accurate = rows[row].accuracy > rows[pick].accuracy;
      const bool as_accurate_cheaper =
          rows[row].accuracy == rows[pick].accuracy && rows[row].cost < rows[pick].cost;
      if (more_accurate || as_accurate_cheaper)
        pick = row;
    }
    kcube::Selection selection;
    selection.status = kcube::SelectionStatus::fallback;
    selection.k = rows[pick].k;
    selection.score = rows[pick].cost;
    selection.reason = "no feasible candidate reaches accuracy_floor " +
                       kcube::format_number(accuracy_floor_) + "; took the most accurate (" +
                       kcube::format_number(rows[pick].accuracy) + ")";
    return selection;
  }

  /// Smallest accepted expected accuracy, in [0, 1].
  double accuracy_floor_;
};

constexpr kcube::PluginDescriptor kDescriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "cheapest-feasible",
    .version = "1.0.0",
    .summary = "The feasible candidate of lowest expected cost, with an optional accuracy floor",
    .params = kParams.data(),
    .param_count = kParams.size(),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<CheapestFeasible>,
};

}  // namespace

// At global scope: the exported entry point needs external linkage.
KCUBE_EXPORT_PLUGIN(kDescriptor)
