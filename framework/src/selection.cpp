#include "selection.hpp"

#include <cmath>

#include "kcube/pareto.hpp"
#include "text.hpp"

namespace kcube {

AssessedTable assess(const PluginInstance<Scenario>& scenario, const CandidateTable& table) {
  AssessedTable out;
  std::vector<std::string> columns;
  try {
    out.budget = scenario->budget();
    columns = scenario->required_columns();
    for (const auto& column : columns) {
      if (table.column(column) == nullptr) {
        throw Error("scenario " + scenario.plugin().label() + " ('" + scenario.spec() +
                    "') needs the column '" + column +
                    "' in the candidate table, which has none; add it (for chance constraints: "
                    "the quantile of each metric at the scenario's confidence) or use "
                    "constraint_mode=mean");
      }
    }
    out.verdicts = scenario->assess(table);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw RuntimeFailure("scenario " + scenario.plugin().label() + " failed: " + e.what());
  }
  if (out.verdicts.size() != table.rows.size()) {
    throw RuntimeFailure("scenario " + scenario.plugin().label() + " returned " +
                         std::to_string(out.verdicts.size()) + " verdicts for " +
                         std::to_string(table.rows.size()) + " candidates; fix the plugin");
  }
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    if (out.verdicts[i].feasible)
      out.feasible.push_back(i);
  }
  out.pareto = pareto_set(table.rows, out.feasible);
  return out;
}

namespace {

// Why a plugin's answer breaks the optimizer contract, or empty when it keeps it.
std::string contract_problem(const Selection& s, const CandidateTable& table,
                             const AssessedTable& assessed, std::optional<std::size_t>& row) {
  const bool wants_k =
      s.status == SelectionStatus::selected || s.status == SelectionStatus::fallback;
  const auto status_value = static_cast<int>(s.status);
  if (status_value < 1 || status_value > 4) {
    return "returned an unknown status (" + std::to_string(status_value) + ")";
  }
  if (wants_k && !s.k)
    return "returned status " + std::string(to_string(s.status)) + " without k";
  if (!wants_k && s.k) {
    return "returned status " + std::string(to_string(s.status)) +
           " with k = " + std::to_string(*s.k);
  }
  if (s.score && !std::isfinite(*s.score)) {
    return "returned a non-finite score (" + text::format_real(*s.score) + ")";
  }
  if (s.status == SelectionStatus::infeasible && !assessed.feasible.empty()) {
    return "returned infeasible although " + std::to_string(assessed.feasible.size()) +
           " candidates are feasible";
  }
  if (!s.k)
    return {};
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    if (table.rows[i].k == *s.k)
      row = i;
  }
  if (!row)
    return "returned k = " + std::to_string(*s.k) + ", which is not a candidate";
  if (!assessed.verdicts[*row].feasible) {
    return "returned k = " + std::to_string(*s.k) + ", which is not feasible (" +
           assessed.verdicts[*row].reason + ")";
  }
  return {};
}

}  // namespace

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
    selection = optimizer->select(problem);
  } catch (const std::exception& e) {
    record.reason = "optimizer " + optimizer.plugin().label() + " threw: " + e.what();
    return record;
  } catch (...) {
    record.reason = "optimizer " + optimizer.plugin().label() + " threw a non-standard exception";
    return record;
  }
  std::optional<std::size_t> row;
  if (auto problem_text = contract_problem(selection, table, assessed, row);
      !problem_text.empty()) {
    record.reason = "optimizer " + optimizer.plugin().label() + " " + problem_text +
                    "; this is a bug in the plugin";
    return record;
  }
  record.status = selection.status;
  record.k = selection.k;
  record.score = selection.score;
  record.reason = std::move(selection.reason);
  if (row) {
    const Candidate& c = table.rows[*row];
    record.cost = c.cost;
    record.latency = c.latency;
    record.accuracy = c.accuracy;
  }
  return record;
}

}  // namespace kcube
