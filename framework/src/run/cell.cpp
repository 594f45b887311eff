#include "run/cell.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>
#include <variant>

#include "engine/bootstrap.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "engine/resources.hpp"
#include "engine/selection.hpp"
#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "run/profile_threads.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

// The candidate table of a cell, from its profile on its deployment, its samples made into answers
// by its aggregator; what the engine says besides the table is appended to `notes`.
// `interrupt`, when not null, stops the engine instead of the work's own stop flag (which only a
// timeout raises, so it is used with a cell timeout alone).
CandidateTable evaluate(RunObjects& objects, const PluginInstance<ModelProfile>& profile,
                        const PluginInstance<Aggregator>& aggregator,
                        const PluginInstance<Scenario>& scenario, const Deployment& deployment,
                        const Manifest& m, const Cell& cell, int threads, WorkState& state,
                        const std::atomic<bool>* interrupt, std::vector<std::string>& notes) {
  const LoadedPlugin& plugin = profile.plugin();
  const std::string label = plugin.who();
  if (m.run.evaluator == Evaluator::exact) {
    // The message of a timeout names the profile's methods, as before aggregators; the
    // aggregator's exact_curve runs inside the same call.
    state.enter(&plugin, label + ", exact evaluation (expected_cost, accuracy_cdf, ...)");
    return exact_candidates(profile.checked(), aggregator.checked(), deployment, notes);
  }
  SimulationOptions sim;
  sim.trials = m.run.trials;
  sim.seed = *cell_seed(m, cell);
  sim.sampling = m.run.sampling;
  sim.threads = simulation_threads(plugin, aggregator.plugin(), threads);
  sim.stop = interrupt != nullptr ? interrupt : &state.stop_flag();
  state.enter(&scenario.plugin(), scenario.plugin().who() + ", required_columns");
  for (const auto& column : scenario.checked().required_columns()) {
    if (const auto q = parse_quantile_column(column))
      sim.quantile_levels.push_back(q->second);
  }
  // A per_thread plugin's copies for the other threads: borrowed like the first one.
  const auto profiles = plugin_objects(profile, sim.threads, [&] {
    return objects.profiles.lend(m.profiles[cell.profile], "profiles", state);
  });
  const auto aggregators = plugin_objects(aggregator, sim.threads, [&] {
    return objects.aggregators.lend(m.aggregators[cell.aggregator], "aggregators", state);
  });
  state.enter(&plugin, label + ", draw_path (Monte Carlo simulation, with " +
                           aggregator.plugin().who() + ", aggregate)");
  // The cell's identity leaves the aggregator out: aggregators compared on one cell see the same
  // samples.
  SimulationResult result = simulate(
      profiles.objects, aggregators.objects,
      cell_identity(plugin.name(), profile.params(), deployment, plugin.schema()), deployment, sim);
  notes.insert(notes.end(), result.notes.begin(), result.notes.end());
  return std::move(result.table);
}

// run.bootstrap on a cell: resamples the questions of its profile's log, adds the intervals to
// `table` (after the selections, which saw the table without them) and each selection's pick
// frequencies; a profile without a log gets a note instead.
void bootstrap_cell(const PluginInstance<ModelProfile>& profile,
                    const PluginInstance<Aggregator>& aggregator,
                    const PluginInstance<Scenario>& scenario,
                    const std::vector<ObjectLease<Optimizer>>& optimizers,
                    const Deployment& deployment, const Manifest& m, const Cell& cell,
                    WorkState& state, CandidateTable& table, CellResult& result) {
  const LoadedPlugin& plugin = profile.plugin();
  state.enter(&plugin, plugin.who() + ", question_log");
  if (profile.checked().question_log().questions.empty()) {
    result.notes.push_back(
        "bootstrap resamples questions of a sample log; this profile has none: replications "
        "give P(pick)");
    return;
  }
  // The exact evaluator draws nothing and has no cell seed: its resamples use run.seed.
  const std::uint64_t seed = cell_seed(m, cell).value_or(m.run.seed);
  // Not keyed on the aggregator: every aggregator of the cell sees the same resamples.
  const std::uint64_t identity =
      cell_identity(plugin.name(), profile.params(), deployment, plugin.schema());
  state.enter(&aggregator.plugin(),
              aggregator.plugin().who() + ", per-question curves of the bootstrap");
  const QuestionCurves curves =
      m.run.evaluator == Evaluator::exact
          ? exact_question_curves(profile.checked(), aggregator.checked(), deployment)
          : simulated_question_curves(profile.checked(), aggregator.checked(), deployment,
                                      m.run.trials, seed, identity);
  Resamples resamples = resample(curves, m.run.bootstrap, seed, identity);
  recenter(resamples, curves, table);
  // Serially: plugin objects need not be thread-safe.
  const std::vector<PickTally> counts =
      tally_picks(table, resamples, optimizers.size(), [&](const CandidateTable& resampled) {
        state.enter(&scenario.plugin(), scenario.plugin().who() + ", assess (bootstrap)");
        const AssessedTable assessed = assess(scenario, resampled);
        std::vector<std::optional<int>> picks;
        for (const auto& optimizer : optimizers) {
          state.enter(&optimizer->plugin(), optimizer->plugin().who() + ", select (bootstrap)");
          const SelectionRecord record = run_selection(*optimizer, resampled, assessed);
          picks.push_back(record.status == SelectionStatus::error ? std::nullopt : record.k);
        }
        return picks;
      });
  for (std::size_t i = 0; i < result.selections.size() && i < counts.size(); ++i) {
    NamedSelection& s = result.selections[i];
    s.pick_share = pick_share(counts[i], s.record.k);
    s.pick_distribution = pick_distribution_json(counts[i]);
  }
  add_intervals(table, resamples);
}

// A cell's result without results yet: its names, position and seed.
CellResult empty_cell(const Manifest& m, const Cell& cell, const std::string& sweep_label) {
  CellResult result;
  result.replication = static_cast<int>(cell.replication);
  result.profile = m.profiles[cell.profile].name;
  result.scenario = m.scenarios[cell.scenario].name;
  result.aggregator = m.aggregators[cell.aggregator].name;
  result.sweep = sweep_label;
  result.position = cell.position;
  result.seed = cell_seed(m, cell);
  return result;
}

// Runs one cell; plugin failures (whatever they throw) become a cell with status error.
CellResult run_cell(RunObjects& objects, const Manifest& m, const Cell& cell,
                    const std::string& sweep_label, int threads, WorkState& state,
                    const std::atomic<bool>* interrupt) {
  CellResult result = empty_cell(m, cell, sweep_label);
  const auto start = std::chrono::steady_clock::now();
  try {
    // The run's objects (run/objects.hpp): made by the first check or cell that used them.
    const auto profile_lease = objects.profiles.lend(m.profiles[cell.profile], "profiles", state);
    const PluginInstance<ModelProfile>& profile = *profile_lease;
    result.profile_spec = canonical_spec(profile.plugin().name(), profile.params());
    const auto scenario_lease =
        objects.scenarios.lend(m.scenarios[cell.scenario], "scenarios", state);
    const PluginInstance<Scenario>& scenario = *scenario_lease;
    result.scenario_spec = canonical_spec(scenario.plugin().name(), scenario.params());
    const auto aggregator_lease =
        objects.aggregators.lend(m.aggregators[cell.aggregator], "aggregators", state);
    const PluginInstance<Aggregator>& aggregator = *aggregator_lease;
    result.aggregator_spec = canonical_spec(aggregator.plugin().name(), aggregator.params());
    state.enter(&scenario.plugin(), scenario.plugin().who() + ", deployment");
    const Deployment deployment = scenario.checked().deployment();
    CandidateTable table = evaluate(objects, profile, aggregator, scenario, deployment, m, cell,
                                    threads, state, interrupt, result.notes);
    state.enter(&scenario.plugin(), scenario.plugin().who() + ", budget and assess");
    const AssessedTable assessed = assess(scenario, table);
    for (const auto& verdict : assessed.verdicts)
      result.feasible.push_back(verdict.feasible);
    std::vector<ObjectLease<Optimizer>> optimizers;
    optimizers.reserve(m.optimizers.size());
    for (const PluginUse& use : m.optimizers) {
      optimizers.push_back(objects.optimizers.lend(use, "optimizers", state));
      const PluginInstance<Optimizer>& optimizer = *optimizers.back();
      state.enter(&optimizer.plugin(), optimizer.plugin().who() + ", select");
      result.selections.push_back({use.name, run_selection(optimizer, table, assessed)});
    }
    if (m.run.bootstrap > 0) {
      bootstrap_cell(profile, aggregator, scenario, optimizers, deployment, m, cell, state, table,
                     result);
    }
    result.candidates = std::move(table);
    for (const auto& s : result.selections) {
      if (s.record.status == SelectionStatus::error) {
        result.status = CellStatus::error;
        result.message = s.name + ": " + s.record.reason;
      }
    }
  } catch (const WorkAbandoned&) {
    throw;  // nobody waits for this cell any more: no message, no further plugin call
  } catch (...) {
    // Nothing partial is kept: the cell is stored as an error with the message.
    result.status = CellStatus::error;
    const std::string where = state.current().first;
    result.message = failure_text("running " + (where.empty() ? "the cell" : where));
    result.candidates = {};
    result.feasible.clear();
    result.selections.clear();
    result.notes.clear();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// The cell of `cell` recorded as an error with `message`, without results.
CellResult error_cell(const Manifest& m, const Cell& cell, const std::string& sweep_label,
                      std::string message, double seconds) {
  CellResult result = empty_cell(m, cell, sweep_label);
  result.status = CellStatus::error;
  result.message = std::move(message);
  result.seconds = seconds;
  return result;
}

}  // namespace

std::optional<std::uint64_t> cell_seed(const Manifest& cm, const Cell& cell) {
  if (cm.run.evaluator == Evaluator::exact)
    return std::nullopt;
  return replication_seed(cm.run.seed, cell.replication);
}

void store_cell(ResultStore& store, std::int64_t run, CellResult& result) {
  try {
    store.write_cell(run, result);
  } catch (const UnstorableCell& e) {
    result.status = CellStatus::error;
    result.message = std::string("its results could not be stored: ") + e.what();
    result.candidates = {};
    result.feasible.clear();
    result.selections.clear();
    store.write_cell(run, result);
  }
}

CellResult CellRunner::run(const Manifest& cm, const Cell& cell, const std::string& sweep_label) {
  if (auto blocked = blocked_by_serial(cm, cell); !blocked.empty())
    return error_cell(cm, cell, sweep_label, blocked, 0.0);
  auto outcome = watchdog_.run(
      std::function<CellResult(WorkState&)>([this, &cm, &cell, &sweep_label](WorkState& state) {
        return run_cell(objects_, cm, cell, sweep_label, threads_, state,
                        watchdog_.timeout() ? nullptr : interrupt_);
      }));
  if (auto* result = std::get_if<CellResult>(&outcome))
    return std::move(*result);
  const TimedOut& late = std::get<TimedOut>(outcome);
  if (late.plugin != nullptr && late.plugin->descriptor().thread_safety == ThreadSafety::serial)
    busy_.emplace(late.plugin, cell.key);
  return error_cell(cm, cell, sweep_label,
                    "timed out after " + text::format_real(*watchdog_.timeout()) + " s in " +
                        late.where +
                        "; the call cannot be interrupted safely, so it was abandoned and may "
                        "still be running; raise --cell-timeout or fix the plugin",
                    *watchdog_.timeout());
}

// Why the cell cannot run: a serial plugin it uses may still be inside an abandoned call.
std::string CellRunner::blocked_by_serial(const Manifest& cm, const Cell& cell) const {
  for (const auto& [plugin, where] : busy_) {
    const auto is_it = [plugin = plugin](const PluginUse& u) { return u.plugin == plugin->name(); };
    if (is_it(cm.profiles[cell.profile]) || is_it(cm.scenarios[cell.scenario]) ||
        is_it(cm.aggregators[cell.aggregator]) ||
        std::any_of(cm.optimizers.begin(), cm.optimizers.end(), is_it)) {
      return "not run: the serial plugin " + plugin->label() +
             " may still be running the call abandoned in cell '" + where +
             "', and a serial plugin takes one call at a time; rerun with --resume";
    }
  }
  return {};
}

}  // namespace kcube
