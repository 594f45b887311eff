#include "engine/selection.hpp"

#include <algorithm>

#include "kcube/pareto.hpp"
#include "util/text.hpp"

namespace kcube {

AssessedTable assess(const PluginInstance<Scenario>& scenario, const CandidateTable& table) {
  const CheckedScenario calls = scenario.checked();
  AssessedTable out;
  const Deployment deployment = calls.deployment();
  out.k_step = deployment.k_step;
  out.k_max = deployment.k_max;
  out.budget = calls.budget();
  for (const auto& column : calls.required_columns()) {
    if (table.column(column) == nullptr) {
      throw Error(scenario.plugin().who() + " ('" + scenario.spec() + "') needs the column '" +
                  column +
                  "' in the candidate table, which has none; add it (for chance constraints: "
                  "the quantile of each metric at the scenario's confidence) or use "
                  "constraint_mode=mean");
    }
  }
  out.verdicts = calls.assess(table);
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const int k = table.rows[i].k;
    if (out.verdicts[i].feasible)
      out.feasible.push_back(i);
    else if (k % deployment.k_step != 0)
      out.off_step.push_back(k);
    else if (k > deployment.k_max)
      out.above_k_max.push_back(k);
  }
  out.pareto = pareto_set(table.rows, out.feasible);
  return out;
}

namespace {

// "1, 2, 3" or "1, 2, ..., 99 (40 values)": a table measured at every k can have hundreds off
// the grid.
std::string k_list(const std::vector<int>& ks) {
  constexpr std::size_t shown = 8;
  std::string out;
  for (std::size_t i = 0; i < ks.size() && i < shown; ++i)
    out += (i ? ", " : "") + std::to_string(ks[i]);
  if (ks.size() > shown)
    out += ", ..., " + std::to_string(ks.back()) + " (" + std::to_string(ks.size()) + " values)";
  return out;
}

}  // namespace

std::string grid_note(const AssessedTable& assessed) {
  std::vector<std::string> parts;
  if (!assessed.off_step.empty()) {
    const bool one = assessed.off_step.size() == 1;
    parts.push_back("measured k = " + k_list(assessed.off_step) +
                    (one ? " is not a multiple" : " are not multiples") + " of k_step " +
                    std::to_string(assessed.k_step) +
                    " (the scenario's k grid; the budget scenario's k_step defaults to "
                    "parallelism), so the scenario dropped " +
                    (one ? "it" : "them") + "; k_step=1 in the scenario keeps every k");
  }
  if (!assessed.above_k_max.empty()) {
    const bool one = assessed.above_k_max.size() == 1;
    parts.push_back("measured k = " + k_list(assessed.above_k_max) + (one ? " is" : " are") +
                    " above k_max " + std::to_string(assessed.k_max) +
                    ", so the scenario dropped " + (one ? "it" : "them") +
                    "; a larger k_max keeps " + (one ? "it" : "them"));
  }
  return text::join(parts, "; ");
}

SelectionRecord run_selection(const PluginInstance<Optimizer>& optimizer,
                              const CandidateTable& table, const AssessedTable& assessed) {
  SelectionRecord record;
  record.optimizer = std::string(optimizer.plugin().name());
  record.spec = optimizer.spec();
  record.canonical_spec = canonical_spec(optimizer.plugin().name(), optimizer.params());
  record.feasible = assessed.feasible.size();
  record.pareto = assessed.pareto.size();

  const SelectionProblem problem{table, assessed.budget, assessed.feasible, assessed.pareto};
  Selection selection;
  try {
    selection = optimizer.checked().select(problem, assessed.verdicts);
  } catch (const RuntimeFailure& e) {  // the plugin threw or broke the contract: status error
    record.reason = e.what();
    return record;
  }
  record.status = selection.status;
  record.k = selection.k;
  record.score = selection.score;
  record.reason = std::move(selection.reason);
  if (record.status == SelectionStatus::infeasible) {
    if (const std::string note = grid_note(assessed); !note.empty())
      record.reason += (record.reason.empty() ? "" : "; ") + note;
  }
  if (selection.k) {  // a candidate: checked
    const Candidate& c =
        *std::find_if(table.rows.begin(), table.rows.end(),
                      [k = *selection.k](const Candidate& row) { return row.k == k; });
    record.cost = c.cost;
    record.latency = c.latency;
    record.accuracy = c.accuracy;
  }
  return record;
}

}  // namespace kcube
