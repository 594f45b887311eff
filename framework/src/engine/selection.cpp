#include "engine/selection.hpp"

#include <cmath>
#include <limits>

#include "host/plugin_call.hpp"
#include "kcube/pareto.hpp"
#include "util/text.hpp"

namespace kcube {

namespace {

// Why a budget is no budget, or empty: NaN anywhere, a negative cap, an accuracy floor outside
// [0, 1] (+infinity is an unbounded cap).
std::string budget_problem(const Budget& b) {
  const auto cap = [](const char* name, double value) -> std::string {
    if (std::isnan(value) || value < 0.0)
      return std::string(name) + " = " + text::format_real(value) + " (must be >= 0 or +inf)";
    return {};
  };
  for (auto problem : {cap("cost_max", b.cost_max), cap("latency_max", b.latency_max)}) {
    if (!problem.empty())
      return problem;
  }
  if (!(b.accuracy_min >= 0.0 && b.accuracy_min <= 1.0))
    return "accuracy_min = " + text::format_real(b.accuracy_min) + " (must be in [0, 1])";
  return {};
}

}  // namespace

Deployment checked_deployment(const PluginInstance<Scenario>& scenario) {
  const std::string& who = scenario.plugin().who();
  const Deployment d = call_plugin(who, "deployment", [&] { return scenario->deployment(); });
  std::string problem;
  const auto model = static_cast<int>(d.latency_model);
  if (d.parallelism < 1) {
    problem = "parallelism " + std::to_string(d.parallelism) + " (must be >= 1)";
  } else if (d.k_step < 1) {
    problem = "k_step " + std::to_string(d.k_step) + " (must be >= 1)";
  } else if (d.k_max > std::numeric_limits<int>::max() - d.k_step) {
    // k_grid() steps past k_max before it stops: that step must not overflow.
    problem = "k_max " + std::to_string(d.k_max) + " (must be at most " +
              std::to_string(std::numeric_limits<int>::max() - d.k_step) + ")";
  } else if (d.k_max < d.k_step) {
    problem = "k_max " + std::to_string(d.k_max) + " below k_step " + std::to_string(d.k_step) +
              " (an empty k grid)";
  } else if (model != static_cast<int>(LatencyModel::mean_wave) &&
             model != static_cast<int>(LatencyModel::max_wave)) {
    problem = "an unknown latency model (" + std::to_string(model) + ")";
  }
  if (!problem.empty()) {
    throw RuntimeFailure(who + " returned a deployment with " + problem +
                         "; this is a bug in the plugin");
  }
  return d;
}

std::vector<std::string> checked_required_columns(const PluginInstance<Scenario>& scenario) {
  return call_plugin(scenario.plugin().who(), "required_columns",
                     [&] { return scenario->required_columns(); });
}

AssessedTable assess(const PluginInstance<Scenario>& scenario, const CandidateTable& table) {
  const std::string& who = scenario.plugin().who();
  AssessedTable out;
  const Deployment deployment = checked_deployment(scenario);
  out.k_step = deployment.k_step;
  out.k_max = deployment.k_max;
  out.budget = call_plugin(who, "budget", [&] { return scenario->budget(); });
  if (auto problem = budget_problem(out.budget); !problem.empty()) {
    throw RuntimeFailure(who + " returned a budget with " + problem +
                         "; this is a bug in the plugin");
  }
  for (const auto& column : checked_required_columns(scenario)) {
    if (table.column(column) == nullptr) {
      throw Error(scenario.plugin().who() + " ('" + scenario.spec() + "') needs the column '" +
                  column +
                  "' in the candidate table, which has none; add it (for chance constraints: "
                  "the quantile of each metric at the scenario's confidence) or use "
                  "constraint_mode=mean");
    }
  }
  out.verdicts = call_plugin(who, "assess", [&] { return scenario->assess(table); });
  if (out.verdicts.size() != table.rows.size()) {
    throw RuntimeFailure(who + " returned " + std::to_string(out.verdicts.size()) +
                         " verdicts for " + std::to_string(table.rows.size()) +
                         " candidates; fix the plugin");
  }
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

namespace {

// Why a plugin's answer breaks the optimizer contract, or empty when it keeps it.
std::string contract_problem(const Selection& s, const CandidateTable& table,
                             const AssessedTable& assessed, std::optional<std::size_t>& row) {
  const bool wants_k =
      s.status == SelectionStatus::selected || s.status == SelectionStatus::fallback;
  const auto status_value = static_cast<int>(s.status);
  if (s.status == SelectionStatus::error)
    return "returned status error, which only the host sets";
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
    const PluginCallGuard guard(optimizer.plugin().who(), "select");
    selection = optimizer->select(problem);
  } catch (const std::exception& e) {
    record.reason = optimizer.plugin().who() + " threw: " + e.what();
    return record;
  } catch (...) {
    record.reason = optimizer.plugin().who() + " threw something that is not a std::exception";
    return record;
  }
  std::optional<std::size_t> row;
  if (auto problem_text = contract_problem(selection, table, assessed, row);
      !problem_text.empty()) {
    record.reason = optimizer.plugin().who() + " " + problem_text + "; this is a bug in the plugin";
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
  if (row) {
    const Candidate& c = table.rows[*row];
    record.cost = c.cost;
    record.latency = c.latency;
    record.accuracy = c.accuracy;
  }
  return record;
}

}  // namespace kcube
