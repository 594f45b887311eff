// kcube validate MANIFEST | kcube run MANIFEST: declarative experiments into the results store.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/team.hpp"
#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "engine/resources.hpp"
#include "engine/selection.hpp"
#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "manifest/manifest.hpp"
#include "manifest/overrides.hpp"
#include "run/builds.hpp"
#include "run/watchdog.hpp"
#include "store/store.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// ---- SIGINT and SIGTERM during kcube run ----
// The handler only records the first signal in lock-free atomics (async-signal-safe); the run
// looks at them between cells, and the Monte Carlo engine between chunks of trials (its stop
// flag, without --cell-timeout). A second signal ends the process at once by its default action.
std::atomic<int> interrupt_signal{0};
std::atomic<bool> interrupted{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

void on_interrupt(int signal) {
  int none = 0;
  if (!interrupt_signal.compare_exchange_strong(none, signal)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  interrupted.store(true);
}

// Handles SIGINT and SIGTERM with on_interrupt while it lives (SA_RESTART: system calls such as
// SQLite's writes go on), then restores the handlers it found. A signal ignored when kcube
// started stays ignored (a shell ignores SIGINT in the background jobs of a script, nohup
// SIGHUP): whoever started kcube asked for that.
class InterruptHandlers {
 public:
  InterruptHandlers() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, nullptr, &old_int_);
    ::sigaction(SIGTERM, nullptr, &old_term_);
    if (old_int_.sa_handler != SIG_IGN)
      ::sigaction(SIGINT, &action, nullptr);
    if (old_term_.sa_handler != SIG_IGN)
      ::sigaction(SIGTERM, &action, nullptr);
  }
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
  ~InterruptHandlers() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// `word` for a POSIX shell: as it is when it holds only characters no shell treats specially,
// else in single quotes.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./:=,+@%-") == std::string::npos;
  if (plain)
    return word;
  std::string quoted = "'";
  for (const char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Options shared by validate and run.
void add_manifest_options(po::options_description& options) {
  options.add_options()("set", po::value<std::vector<std::string>>()->value_name("PATH=VALUE"),
                        "override a manifest value by dotted path (repeatable), e.g. "
                        "run.trials=300 or scenarios.balanced.params.cost_max=1")(
      "max-cells", po::value<std::uint64_t>()->default_value(kDefaultMaxCells)->value_name("N"),
      "refuse manifests with more cells than this");
  add_plugin_path_option(options);
}

std::vector<std::string> overrides_of(const po::variables_map& vm) {
  return vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string manifest_argument(const po::variables_map& vm, const std::string& command) {
  if (vm.count("manifest") == 0) {
    throw Error("kcube " + command + ": which manifest? e.g. 'kcube " + command +
                " experiments/paper-2025.yaml'");
  }
  return vm["manifest"].as<std::string>();
}

// The plugins for manifest `file`: --plugin-path first, then the manifest's plugin_path, then
// KCUBE_PLUGIN_PATH and the built-in folder.
PluginRegistry discover_for_manifest(const po::variables_map& vm, const GlobalOptions& global,
                                     const std::string& file) {
  std::vector<std::string> paths = plugin_paths(vm, global);
  for (const fs::path& entry : read_plugin_path(file))
    paths.push_back(entry.string());
  return discover_plugins(paths);
}

// Seed of replication r: the manifest's seed for r = 0 (so one replication reproduces
// `kcube simulate --seed S`), a SplitMix64 derivation for the others.
std::uint64_t replication_seed(std::uint64_t seed, std::int64_t replication) {
  if (replication == 0)
    return seed;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(replication);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

PluginSpec spec_of(const PluginUse& use, const std::string& section) {
  return PluginSpec{section + "." + use.name + " (" + use.plugin + ")", use.plugin, use.params};
}

// One cell: profile x scenario at one sweep point and replication.
struct Cell {
  /// Index in the run's plan (the `cells` vector of cmd_run), stored as the cell's position.
  std::int64_t position = 0;
  std::int64_t replication = 0;
  std::size_t point = 0;
  std::size_t profile = 0;
  std::size_t scenario = 0;
  std::string key;
};

// --shard I/N: this process runs the cells whose plan position p has p % N == I - 1. Both 0 for
// a whole run.
struct Shard {
  int index = 0;
  int count = 0;

  bool whole() const { return count == 0; }
  bool has(std::int64_t position) const {
    return whole() || position % count == static_cast<std::int64_t>(index) - 1;
  }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// Parses --shard I/N, 1 <= I <= N.
Shard shard_of(const po::variables_map& vm) {
  if (vm.count("shard") == 0)
    return {};
  const std::string given = vm["shard"].as<std::string>();
  const auto slash = given.find('/');
  const auto number = [&](std::string_view digits) -> long {
    if (digits.empty() || digits.size() > 6 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
      return -1;
    return std::stol(std::string(digits));
  };
  const long i = slash == std::string::npos ? -1 : number(std::string_view(given).substr(0, slash));
  const long n =
      slash == std::string::npos ? -1 : number(std::string_view(given).substr(slash + 1));
  if (i < 0 || n < 1) {
    throw Error("kcube run: --shard '" + given +
                "' is not I/N with whole numbers, e.g. --shard 2/8 runs the second of 8 shares");
  }
  if (i < 1 || i > n) {
    throw Error("kcube run: --shard " + given + ": shards are numbered 1 to " + std::to_string(n) +
                (i == 0
                     ? "; with a 0-based job array (e.g. Slurm --array=0-" + std::to_string(n - 1) +
                           ") pass $((SLURM_ARRAY_TASK_ID + 1))/" + std::to_string(n)
                     : std::string()));
  }
  return {static_cast<int>(i), static_cast<int>(n)};
}

// Makes a plugin object of a cell, telling `state` which factory runs.
template <class T>
PluginInstance<T> make(const PluginRegistry& registry, const PluginUse& use,
                       const std::string& section, WorkState& state) {
  const auto plugin = registry.find(use.plugin);
  state.enter(plugin.get(), plugin->who() + ", its factory");
  return registry.create<T>(spec_of(use, section));
}

// Threads of a cell's simulation: a plugin that is not thread-safe runs on one thread.
int cell_threads(const LoadedPlugin& profile, int threads) {
  return profile.descriptor().thread_safety == ThreadSafety::shared ? threads : 1;
}

// The candidate table of a cell, from its profile on its deployment.
// `interrupt`, when not null, stops the engine instead of the work's own stop flag (which only a
// timeout raises, so it is used with --cell-timeout alone).
CandidateTable evaluate(const PluginInstance<ModelProfile>& profile,
                        const PluginInstance<Scenario>& scenario, const Deployment& deployment,
                        const Manifest& m, const Cell& cell, int threads, WorkState& state,
                        const std::atomic<bool>* interrupt) {
  const LoadedPlugin& plugin = profile.plugin();
  const std::string label = plugin.who();
  if (m.run.evaluator == "exact") {
    state.enter(&plugin, label + ", exact evaluation (expected_cost, accuracy_cdf, ...)");
    return exact_candidates(*profile, deployment, label);
  }
  SimulationOptions sim;
  sim.trials = m.run.trials;
  sim.seed = replication_seed(m.run.seed, cell.replication);
  sim.sampling = m.run.sampling;
  sim.threads = cell_threads(plugin, threads);
  sim.profile_label = label;
  sim.stop = interrupt != nullptr ? interrupt : &state.stop_flag();
  state.enter(&scenario.plugin(), scenario.plugin().who() + ", required_columns");
  for (const auto& column : checked_required_columns(scenario)) {
    if (const auto q = parse_quantile_column(column))
      sim.quantile_levels.push_back(q->second);
  }
  state.enter(&plugin, label + ", draw_path (Monte Carlo simulation)");
  return simulate(*profile, cell_identity(plugin.name(), profile.params(), deployment), deployment,
                  sim)
      .table;
}

// Runs one cell; plugin failures (whatever they throw) become a cell with status error.
CellResult run_cell(const PluginRegistry& registry, const Manifest& m, const Cell& cell,
                    const std::string& sweep_label, int threads, WorkState& state,
                    const std::atomic<bool>* interrupt) {
  CellResult result;
  result.replication = static_cast<int>(cell.replication);
  result.profile = m.profiles[cell.profile].name;
  result.scenario = m.scenarios[cell.scenario].name;
  result.sweep = sweep_label;
  result.position = cell.position;
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto profile = make<ModelProfile>(registry, m.profiles[cell.profile], "profiles", state);
    result.profile_spec = canonical_spec(profile.plugin().name(), profile.params());
    const auto scenario = make<Scenario>(registry, m.scenarios[cell.scenario], "scenarios", state);
    result.scenario_spec = canonical_spec(scenario.plugin().name(), scenario.params());
    state.enter(&scenario.plugin(), scenario.plugin().who() + ", deployment");
    const Deployment deployment = checked_deployment(scenario);
    CandidateTable table =
        evaluate(profile, scenario, deployment, m, cell, threads, state, interrupt);
    state.enter(&scenario.plugin(), scenario.plugin().who() + ", budget and assess");
    const AssessedTable assessed = assess(scenario, table);
    for (const auto& verdict : assessed.verdicts)
      result.feasible.push_back(verdict.feasible);
    for (const PluginUse& use : m.optimizers) {
      const auto optimizer = make<Optimizer>(registry, use, "optimizers", state);
      state.enter(&optimizer.plugin(), optimizer.plugin().who() + ", select");
      result.selections.push_back({use.name, run_selection(optimizer, table, assessed)});
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
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// A plugin's factory is its own check of its parameters (PluginFactory): validate and run call
// every one, for each profile, scenario and optimizer at each sweep point (once per distinct
// parameter set), before any store exists, so that a run never starts with cells that cannot
// be made. A kcube::Error from a factory is the user's mistake (exit 2); anything else it throws
// is a plugin bug (exit 1). Either way all of them are reported at once, and no store is made.
// The objects are destroyed at once: cells make their own.
void check_factories(const PluginRegistry& registry, const Manifest& m,
                     const std::vector<SweepPoint>& points,
                     const std::vector<Manifest>& point_manifests, WorkState& state) {
  std::vector<std::string> problems;
  bool bug = false;
  std::set<std::string> seen;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Manifest& pm = point_manifests[p];
    const auto check = [&]<class T>(const std::vector<PluginUse>& uses, const std::string& section,
                                    T*) {
      for (const PluginUse& use : uses) {
        std::string key = section + "." + use.name;
        for (const RawParam& param : use.params)
          key += "\n" + param.key + "=" + param.value;
        if (!seen.insert(key).second)
          continue;
        const std::string at =
            points[p].label.empty() ? "" : " (sweep point " + points[p].label + ")";
        const std::string defined = "; " + section + "." + use.name + " is defined at " + use.where;
        try {
          (void)make<T>(registry, use, section, state);
        } catch (const WorkAbandoned&) {
          throw;
        } catch (const Error& e) {
          problems.push_back(e.what() + at + defined);
        } catch (...) {
          problems.push_back(current_exception_text() + at + defined);
          bug = true;
        }
      }
    };
    check(pm.profiles, "profiles", static_cast<ModelProfile*>(nullptr));
    check(pm.scenarios, "scenarios", static_cast<Scenario*>(nullptr));
    check(pm.optimizers, "optimizers", static_cast<Optimizer*>(nullptr));
  }
  if (problems.empty())
    return;
  std::string message = "manifest '" + m.file.string() + "': " + std::to_string(problems.size()) +
                        " plugin object" + (problems.size() == 1 ? "" : "s") +
                        " could not be made (nothing was run):";
  for (const auto& problem : problems)
    message += "\n  " + problem;
  if (bug)
    throw RuntimeFailure(message);
  throw Error(message);
}

// The memory of the largest Monte Carlo cell (simulation_memory_bytes) against --memory-limit,
// before the store exists, over every scenario at every sweep point and every profile's thread
// count: a run that cannot fit stops here with exit 2 instead of being killed midway.
void check_memory(const PluginRegistry& registry, const std::vector<SweepPoint>& points,
                  const std::vector<Manifest>& point_manifests, int threads, std::uint64_t limit,
                  WorkState& state) {
  std::uint64_t most = 0;
  std::string largest;
  // Deployment and quantile levels by scenario parameters; nullopt when the plugin failed.
  std::map<std::string, std::optional<std::pair<Deployment, std::vector<double>>>> scenarios;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Manifest& pm = point_manifests[p];
    if (pm.run.evaluator == "exact")
      continue;  // a few values per k
    for (const PluginUse& use : pm.scenarios) {
      std::string key = use.name;
      for (const RawParam& param : use.params)
        key += "\n" + param.key + "=" + param.value;
      if (scenarios.count(key) == 0) {
        std::optional<std::pair<Deployment, std::vector<double>>> found;
        try {
          const auto scenario = make<Scenario>(registry, use, "scenarios", state);
          state.enter(&scenario.plugin(), scenario.plugin().who() + ", deployment");
          found.emplace(checked_deployment(scenario), std::vector<double>{});
          state.enter(&scenario.plugin(), scenario.plugin().who() + ", required_columns");
          for (const auto& column : checked_required_columns(scenario)) {
            if (const auto q = parse_quantile_column(column))
              found->second.push_back(q->second);
          }
        } catch (const WorkAbandoned&) {
          throw;
        } catch (...) {
          // A scenario that fails here fails in its cells too, which store why as errors.
          found.reset();
        }
        scenarios.emplace(key, found);
      }
      if (!scenarios.at(key))
        continue;
      const auto& [deployment, levels] = *scenarios.at(key);
      SimulationOptions sim;
      sim.trials = pm.run.trials;
      sim.sampling = pm.run.sampling;
      sim.quantile_levels = levels;
      for (const PluginUse& profile : pm.profiles) {
        sim.threads = cell_threads(*registry.find(profile.plugin), threads);
        const std::uint64_t bytes = simulation_memory_bytes(deployment, sim);
        if (bytes > most) {
          most = bytes;
          largest = "the cell of profile '" + profile.name + "' and scenario '" + use.name + "'" +
                    (points[p].label.empty() ? "" : " at sweep point " + points[p].label) + " (" +
                    std::to_string(sim.trials) + " trials, " + std::to_string(sim.threads) +
                    (sim.threads == 1 ? " thread)" : " threads)");
        }
      }
    }
  }
  check_memory_limit(most, limit, "kcube run: " + largest);
}

// Every plugin the manifest names, for the run's context.
std::vector<PluginRecord> plugins_used(const PluginRegistry& registry, const Manifest& m) {
  std::vector<PluginRecord> out;
  std::vector<std::string> seen;
  for (const auto* section : {&m.profiles, &m.scenarios, &m.optimizers}) {
    for (const PluginUse& use : *section) {
      if (std::find(seen.begin(), seen.end(), use.plugin) != seen.end())
        continue;
      seen.push_back(use.plugin);
      const auto plugin = registry.find(use.plugin);
      out.push_back({use.plugin, std::string(to_string(plugin->kind())),
                     plugin->descriptor().version, plugin->file().string(), plugin->file_sha256()});
    }
  }
  return out;
}

// Which cells print_summary() shows when the run has more than one per profile and scenario:
// " (sweep point 1 of 3, scenarios.s.params.cost_max=0.05; the first of 2 replications)".
std::string summary_scope(const Manifest& m, const std::vector<SweepPoint>& points) {
  std::vector<std::string> parts;
  if (!m.sweep.empty()) {
    parts.push_back("sweep point 1 of " + std::to_string(points.size()) + ", " +
                    text::printable(points.front().label));
  }
  if (m.run.replications > 1)
    parts.push_back("the first of " + std::to_string(m.run.replications) + " replications");
  return parts.empty() ? "" : " (" + text::join(parts, "; ") + ")";
}

// Per scenario: profiles x optimizers -> picked k, at the first sweep point and replication
// (`cells`); `kcube export` has them all.
void print_summary(const Manifest& m, const std::vector<SweepPoint>& points,
                   const std::vector<CellResult>& cells) {
  const std::string scope = summary_scope(m, points);
  for (const PluginUse& scenario : m.scenarios) {
    std::cout << "\nScenario " << scenario.name << ": k picked by each optimizer" << scope << "\n";
    std::vector<std::string> header = {"profile"};
    for (const PluginUse& o : m.optimizers)
      header.push_back(o.name);
    Table table(header);
    for (const PluginUse& profile : m.profiles) {
      std::vector<std::string> row = {profile.name};
      const CellResult* found = nullptr;
      for (const auto& c : cells) {
        if (c.profile == profile.name && c.scenario == scenario.name) {
          found = &c;
          break;
        }
      }
      for (std::size_t o = 0; o < m.optimizers.size(); ++o) {
        if (found == nullptr || found->status == CellStatus::error ||
            o >= found->selections.size()) {
          row.push_back(found != nullptr && found->status == CellStatus::error ? "error" : "-");
          continue;
        }
        const auto& record = found->selections[o].record;
        row.push_back(record.k ? std::to_string(*record.k) : std::string(to_string(record.status)));
      }
      table.add(row);
    }
    table.print(std::cout, "  ");
  }
}

std::vector<Manifest> point_manifests_of(const Manifest& m, const std::vector<SweepPoint>& points) {
  std::vector<Manifest> out;
  for (const auto& point : points)
    out.push_back(apply_sweep_point(m, point));
  return out;
}

// The cell of `cell` recorded as an error with `message`, without results.
CellResult error_cell(const Manifest& m, const Cell& cell, const std::string& sweep_label,
                      std::string message, double seconds) {
  CellResult result;
  result.replication = static_cast<int>(cell.replication);
  result.profile = m.profiles[cell.profile].name;
  result.scenario = m.scenarios[cell.scenario].name;
  result.sweep = sweep_label;
  result.position = cell.position;
  result.status = CellStatus::error;
  result.message = std::move(message);
  result.seconds = seconds;
  return result;
}

// Writes a cell. A cell whose results the store refuses (a value it cannot hold) is stored as an
// error saying why, so that one bad cell does not end the run; a store that cannot be written at
// all (disk full, I/O error) throws, and the run stops there: writing error cells into a full
// store would only lose more of the run.
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

// Ends the process at once, for a command that abandoned work to a thread that may still run
// plugin code: output flushed, but no destructors and no unloading of plugin libraries, which
// the abandoned thread may be executing. The caller has closed its files.
[[noreturn]] void leave_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

// Runs the cells of a run one at a time, each under the watchdog (on this thread when there is
// no --cell-timeout). Never throws for what a plugin does: a failure or a timeout is a cell with
// status error.
class CellRunner {
 public:
  CellRunner(const PluginRegistry& registry, Watchdog& watchdog, int threads)
      : registry_(registry), watchdog_(watchdog), threads_(threads) {}

  // Runs `cell` of `cm` (the manifest at the cell's sweep point). Everything the work refers to
  // lives until the process ends (cmd_run never returns once work was abandoned).
  CellResult run(const Manifest& cm, const Cell& cell, const std::string& sweep_label) {
    if (auto blocked = blocked_by_serial(cm, cell); !blocked.empty())
      return error_cell(cm, cell, sweep_label, blocked, 0.0);
    auto outcome = watchdog_.run(
        std::function<CellResult(WorkState&)>([this, &cm, &cell, &sweep_label](WorkState& state) {
          return run_cell(registry_, cm, cell, sweep_label, threads_, state,
                          watchdog_.timeout() ? nullptr : &interrupted);
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

 private:
  // Why the cell cannot run: a serial plugin it uses may still be inside an abandoned call.
  std::string blocked_by_serial(const Manifest& cm, const Cell& cell) const {
    for (const auto& [plugin, where] : busy_) {
      const auto is_it = [plugin = plugin](const PluginUse& u) {
        return u.plugin == plugin->name();
      };
      if (is_it(cm.profiles[cell.profile]) || is_it(cm.scenarios[cell.scenario]) ||
          std::any_of(cm.optimizers.begin(), cm.optimizers.end(), is_it)) {
        return "not run: the serial plugin " + plugin->label() +
               " may still be running the call abandoned in cell '" + where +
               "', and a serial plugin takes one call at a time; rerun with --resume";
      }
    }
    return {};
  }

  const PluginRegistry& registry_;
  Watchdog& watchdog_;
  int threads_;
  // Serial plugins whose call was abandoned, with the key of the cell it was abandoned in.
  std::map<const LoadedPlugin*, std::string> busy_;
};

// --cell-timeout: seconds > 0, or nullopt.
std::optional<double> cell_timeout_of(const po::variables_map& vm) {
  if (vm.count("cell-timeout") == 0)
    return std::nullopt;
  const double seconds = vm["cell-timeout"].as<double>();
  if (!(seconds > 0.0 && std::isfinite(seconds))) {
    throw Error("kcube run: --cell-timeout must be a positive number of seconds, got " +
                text::format_real(seconds));
  }
  return seconds;
}

// Everything a rank knows about a run before any cell runs: the same on every rank.
struct RunSetup {
  bool help = false;
  std::string help_text;
  PluginRegistry registry;
  Manifest manifest;
  /// --set overrides as given, and in canonical form (canonical_override_values), which the run
  /// records and --resume compares.
  std::vector<std::string> overrides, canonical_overrides;
  std::vector<SweepPoint> points;
  std::vector<Manifest> point_manifests;
  /// The whole plan; a shard runs the cells shard.has(position) of it.
  std::vector<Cell> cells;
  Shard shard;
  /// Cells of this shard (all cells for a whole run).
  std::size_t shard_cells = 0;
  int threads = 1;
  /// --memory-limit (bytes), or its default.
  std::uint64_t memory_limit = 0;
  std::string store_path;
  bool resume = false, fail_fast = false, quiet = false, allow_changed_plugins = false;
  std::optional<double> cell_timeout;
  /// What the ranks compare before running (Team::check_same), one fact per line.
  std::string description;
  /// This command with --resume, for a shell: what continues the run after an interruption.
  std::string resume_command;
};

std::string usage_of_run(const po::options_description& options) {
  return usage(
      "kcube run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] [--shard I/N] "
      "[--resume [--allow-changed-plugins]] [--fail-fast] [--cell-timeout SECONDS] "
      "[--memory-limit SIZE] [--quiet]\n"
      "       mpirun -np N kcube run MANIFEST [options]   (cells shared over N MPI ranks)",
      options);
}

// Parses the options, reads the manifest, discovers the plugins and plans the cells. Every rank
// does this itself; nothing is written.
RunSetup prepare_run(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("store", po::value<std::string>()->value_name("PATH"),
                        "results store (default: the manifest's store, or "
                        "results/<experiment>.sqlite)")(
      "threads", po::value<std::string>()->value_name("N"),
      "OpenMP threads per MPI rank, 'auto' or 1 to 1024 (default: the manifest's run.threads)")(
      "memory-limit", po::value<std::string>()->value_name("SIZE"),
      "refuse to start when a cell would need more memory than this, e.g. 4G or 512M (default: "
      "half of the physical memory, or of the cgroup's limit)")(
      "shard", po::value<std::string>()->value_name("I/N"),
      "run only shard I of N: the cells whose plan position p has p % N = I - 1 (for job "
      "arrays; 'kcube merge' combines the shards' stores)")(
      "resume",
      "continue the newest unfinished (interrupted, failed, or running but stopped) run of this "
      "manifest, overrides and shard, retrying its cells stored with an error; a finished one "
      "leaves nothing to do (exit 0)")(
      "allow-changed-plugins",
      "with --resume: go on even when kcube or a plugin is another build (version or file "
      "SHA-256) than the run used; the run records every build")(
      "fail-fast",
      "stop at the first cell that fails (the run is marked failed; --resume goes on)")(
      "cell-timeout", po::value<double>()->value_name("SECONDS"),
      "record a cell whose plugins take longer than this as an error and go on (default: no "
      "limit)")("quiet",
                "print only the store line 'store: PATH (run N)' on standard output and only "
                "errors on standard error (failed cells, an interruption, why kcube stopped)")(
      "help,h", "show this help");
  add_manifest_options(options);
  const auto vm = parse_positional(args, options, {"manifest"}, "run");
  RunSetup setup;
  if (vm.count("help") != 0) {
    setup.help = true;
    setup.help_text = usage_of_run(options);
    return setup;
  }
  const auto file = manifest_argument(vm, "run");
  setup.overrides = overrides_of(vm);
  setup.fail_fast = vm.count("fail-fast") != 0;
  setup.resume = vm.count("resume") != 0;
  setup.allow_changed_plugins = vm.count("allow-changed-plugins") != 0;
  if (setup.allow_changed_plugins && !setup.resume)
    throw Error("kcube run: --allow-changed-plugins goes with --resume (a new run uses one build)");
  setup.resume_command = "kcube";
  for (const auto& dir : global.plugin_paths)
    setup.resume_command += " --plugin-path " + shell_word(dir);
  setup.resume_command += " run";
  for (const auto& word : args)
    setup.resume_command += " " + shell_word(word);
  if (!setup.resume)
    setup.resume_command += " --resume";
  setup.quiet = vm.count("quiet") != 0;
  setup.cell_timeout = cell_timeout_of(vm);
  setup.shard = shard_of(vm);
  setup.registry = discover_for_manifest(vm, global, file);
  // Everything is validated before the store is touched: a bad manifest creates no store.
  setup.manifest =
      load_manifest(file, setup.overrides, setup.registry, vm["max-cells"].as<std::uint64_t>());
  const Manifest& m = setup.manifest;
  setup.canonical_overrides = canonical_override_values(m, setup.overrides, setup.registry);
  setup.threads = m.run.threads;
  if (vm.count("threads") != 0) {
    const ThreadCount count = parse_thread_count(vm["threads"].as<std::string>());
    if (!count.problem.empty())
      throw Error("kcube run: --threads " + count.problem);
    setup.threads = count.threads;
  }
  setup.threads = resolve_threads(setup.threads);
  check_threads_start(setup.threads, "lower --threads (or the manifest's run.threads)");
  setup.memory_limit =
      vm.count("memory-limit") != 0
          ? parse_memory_size(vm["memory-limit"].as<std::string>(), "kcube run: --memory-limit")
          : default_memory_limit();
  setup.store_path = vm.count("store") ? vm["store"].as<std::string>() : m.store.string();
  setup.points = expand_sweep(m);
  setup.point_manifests = point_manifests_of(m, setup.points);
  for (std::int64_t r = 0; r < m.run.replications; ++r) {
    for (std::size_t p = 0; p < setup.points.size(); ++p) {
      for (std::size_t i = 0; i < m.profiles.size(); ++i) {
        for (std::size_t s = 0; s < m.scenarios.size(); ++s) {
          setup.cells.push_back({static_cast<std::int64_t>(setup.cells.size()), r, p, i, s,
                                 cell_key(m.profiles[i].name, m.scenarios[s].name,
                                          setup.points[p].label, static_cast<int>(r))});
        }
      }
    }
  }
  setup.shard_cells = static_cast<std::size_t>(
      std::count_if(setup.cells.begin(), setup.cells.end(),
                    [&](const Cell& c) { return setup.shard.has(c.position); }));

  std::ostringstream d;
  d << "kcube " << KCUBE_VERSION << "\n"
    << "manifest sha256 " << m.sha256 << "\n"
    << "overrides " << canonical_overrides(setup.canonical_overrides) << "\n"
    << "shard " << (setup.shard.whole() ? std::string("none") : setup.shard.text()) << "\n"
    << "cells " << setup.cells.size() << "\n"
    << "options" << (setup.resume ? " --resume" : "") << (setup.fail_fast ? " --fail-fast" : "")
    << "\n";
  for (const PluginRecord& p : plugins_used(setup.registry, m))
    d << "plugin " << p.name << " " << p.kind << " version " << p.version << " sha256 " << p.sha256
      << "\n";
  setup.description = d.str();
  return setup;
}

// True when run `r` is one of this manifest, its overrides (the canonical ones; or, for runs
// stored before overrides were canonical, the same text) and shard.
bool same_plan(const RunSummary& r, const RunSetup& setup) {
  return r.manifest_sha256 == setup.manifest.sha256 &&
         (r.overrides == canonical_overrides(setup.canonical_overrides) ||
          r.overrides == canonical_overrides(setup.overrides)) &&
         r.shard_index == setup.shard.index && r.shard_count == setup.shard.count;
}

// What --resume found.
struct Resumed {
  std::int64_t run = 0;
  /// The newest run of the plan is finished and none is unfinished: nothing to do.
  bool finished = false;
};

// Rank 0, --resume: takes over the newest unfinished run of the plan (interrupted, failed, or
// running while its process is gone or on another host, e.g. a job requeued on another node),
// its finished cells into `done`. Refuses (kcube::Error) a run whose process still runs on this
// host, and one made with other builds unless --allow-changed-plugins (then the run records
// this build too).
Resumed resume_run(ResultStore& store, const RunSetup& setup, std::set<std::string>& done) {
  const Manifest& m = setup.manifest;
  const std::string where = "kcube run --resume: " + setup.store_path;
  // Another process may take the run between reading and taking it: then look again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto runs = store.runs();
    const RunSummary* unfinished = nullptr;
    const RunSummary* finished = nullptr;
    for (auto r = runs.rbegin(); r != runs.rend() && unfinished == nullptr; ++r) {
      if (!same_plan(*r, setup))
        continue;
      if (r->status != RunStatus::finished)
        unfinished = &*r;
      else if (finished == nullptr)
        finished = &*r;
    }
    if (unfinished == nullptr && finished != nullptr)
      return {finished->id, true};
    if (unfinished == nullptr) {
      throw Error(where + " holds no unfinished run of this manifest (sha256 " + m.sha256 + ")" +
                  (setup.shard.whole() ? "" : ", shard " + setup.shard.text() + ",") +
                  " with these --set overrides; run without --resume to start one");
    }
    const RunSummary& run = *unfinished;
    const std::string name = "run " + std::to_string(run.id);
    if (run.status == RunStatus::running && process_alive(run.writer)) {
      throw Error(where + ": " + name + " is being written by process " +
                  std::to_string(run.writer.pid) + " on this host (" + run.writer.host +
                  "); wait for it to end, or stop it (kill -INT " + std::to_string(run.writer.pid) +
                  " marks the run interrupted) and resume then; two processes never write one run");
    }
    const Builds recorded = latest_builds(store.load_run_cells(run.id).context);
    const Builds now{KCUBE_VERSION, plugins_used(setup.registry, m)};
    const auto differences = build_differences(recorded, now);
    if (!differences.empty() && !setup.allow_changed_plugins) {
      throw Error(where + ": " + name + " was made with other builds than this kcube has:" +
                  describe_differences(differences, name, "now") +
                  "\nResuming would mix Monte Carlo results of different builds in one run. Resume "
                  "with the builds the run used, start a new run (without --resume), or pass "
                  "--allow-changed-plugins to resume anyway (the run then records every build)");
    }
    const std::string change =
        differences.empty() ? "" : build_change_json(recorded, now, "kcube run --resume");
    if (store.take_over(run, this_process(), change)) {
      // A note, not an error: --allow-changed-plugins asked for it, and the run records it.
      if (!differences.empty() && !setup.quiet) {
        std::cerr << "kcube run: note: " << name << " goes on with other builds "
                  << "(--allow-changed-plugins), recorded with the run:"
                  << describe_differences(differences, name, "now") << "\n";
      }
      done = store.finished_cells(run.id);
      return {run.id, false};
    }
  }
  throw Error(where +
              ": other processes keep taking over the run being resumed; resume it from "
              "one process only");
}

// Rank 0: starts the run in the store, or finds the one --resume continues (its finished cells
// into `done`).
Resumed begin_or_resume(ResultStore& store, const RunSetup& setup, int ranks,
                        const std::vector<std::string>& hosts, std::set<std::string>& done) {
  const Manifest& m = setup.manifest;
  if (setup.resume)
    return resume_run(store, setup, done);
  RunContext context = capture_run_context(KCUBE_BUILD_TYPE);
  context.experiment = m.experiment;
  context.threads = setup.threads;
  context.seed = m.run.seed;
  context.manifest_text = stored_manifest_text(m);
  context.manifest_sha256 = m.sha256;
  context.overrides = setup.canonical_overrides;
  context.plugins = plugins_used(setup.registry, m);
  context.evaluator = m.run.evaluator;
  if (m.run.evaluator != "exact") {
    context.trials = m.run.trials;
    context.sampling = std::string(to_string(m.run.sampling));
  }
  context.replications = static_cast<int>(m.run.replications);
  context.cell_count = static_cast<std::int64_t>(setup.shard_cells);
  context.plan_cells = static_cast<std::int64_t>(setup.cells.size());
  context.shard_index = setup.shard.index;
  context.shard_count = setup.shard.count;
  context.ranks = ranks;
  if (hosts.size() > 1) {
    context.host.clear();
    for (const auto& h : hosts)
      context.host += (context.host.empty() ? "" : ",") + h;
  }
  return {store.begin_run(context), false};
}

// What rank 0 did besides running cells, for the scaling discussion in the README.
void print_share_stats(std::ostream& out, Team& team, const ShareStats& s) {
  const auto cells = s.cells_here + s.cells_elsewhere;
  const auto hosts = team.hosts();
  out << "mpi: " << team.size() << " ranks on " << hosts.size()
      << (hosts.size() == 1 ? " host" : " hosts") << "; rank 0 ran " << s.cells_here
      << " cells, the others " << s.cells_elsewhere << "; "
      << text::format_fixed(static_cast<double>(s.bytes_received) / 1e6, 3)
      << " MB of results received"
      << (s.cells_elsewhere > 0
              ? " (" + std::to_string(s.bytes_received / s.cells_elsewhere) + " bytes per cell)"
              : std::string())
      << "; rank 0 spent " << text::format_fixed(s.seconds_storing, 3) << " s decoding and storing"
      << (cells > 0
              ? " (" + text::format_fixed(s.seconds_storing / static_cast<double>(cells) * 1e3, 3) +
                    " ms per cell)"
              : std::string())
      << "\n";
}

}  // namespace

int cmd_validate(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  add_manifest_options(options);
  const auto vm = parse_positional(args, options, {"manifest"}, "validate");
  if (vm.count("help") != 0) {
    std::cout << usage("kcube validate MANIFEST [--set PATH=VALUE]...", options);
    return 0;
  }
  const auto file = manifest_argument(vm, "validate");
  const PluginRegistry registry = discover_for_manifest(vm, global, file);
  const Manifest m =
      load_manifest(file, overrides_of(vm), registry, vm["max-cells"].as<std::uint64_t>());
  const std::vector<SweepPoint> points = expand_sweep(m);
  WorkState state;
  check_factories(registry, m, points, point_manifests_of(m, points), state);
  std::cout << file << ": valid manifest '" << m.experiment << "': " << m.profiles.size()
            << " profiles x " << m.scenarios.size() << " scenarios x " << points.size()
            << " sweep points x " << m.run.replications << " replications = " << m.cell_count
            << " cells, " << m.optimizers.size() << " optimizers; " << m.run.evaluator
            << (m.run.evaluator == "exact" ? "" : ", " + std::to_string(m.run.trials) + " trials")
            << "; sha256 " << m.sha256 << "\n";
  return 0;
}

// How kcube run survives misbehaving plugins.
// - Every plugin call is guarded: whatever a plugin throws (std::exception, kcube::Error, or a
//   non-std type such as `throw 42`) and every output it breaks its contract with (NaN or
//   infinite outcomes, a budget or deployment that is no budget or deployment, a k that is not a
//   feasible candidate, a non-finite score, a contradictory status) becomes status `error` for
//   its cell or selection, with a message naming the plugin, its file, the method and what it
//   said. Inside the Monte Carlo engine each chunk of trials catches its own failure, so no
//   exception crosses an OpenMP region, whichever thread throws. The run goes on with the other
//   cells, is marked failed at the end, and kcube run exits 1; `--resume` retries its error
//   cells. `--fail-fast` stops at the first failed cell instead (stored as error, run failed,
//   exit 1, no later cell started).
// - Factories run before the store exists (check_factories): their kcube::Error is an input
//   error (exit 2), anything else a plugin bug (exit 1); nothing is stored either way.
// - --cell-timeout SECONDS runs each cell on a worker thread (Watchdog, watchdog.hpp) while this
//   thread waits with a deadline. A cell that misses it is stored as error "timed out after N s
//   in <plugin>, <method>" and the run goes on with a fresh worker; the abandoned thread is left
//   alone: it is asked to stop (no further plugin call once its current one returns; the
//   engine stops between chunks of trials) and its objects are never touched. As it may still
//   be running plugin code, the command then ends with std::_Exit(1) after marking the run,
//   printing its summary and closing the store, so that no plugin library is unloaded under it.
//   A serial plugin (ThreadSafety::serial) whose call was abandoned is not called again in that
//   process: the cells that need it are stored as errors saying so.
// Limits: nothing in-process protects against a plugin that crashes the process (a segfault,
// abort(), exit()), corrupts memory, or exhausts it; such a run stays `running` in the store
// with every cell finished before it kept, and `kcube run --resume` continues it (a cell that
// crashes every time has to be fixed or left out). An abandoned thread keeps its CPU and memory
// until the process ends, and in-process isolation cannot be stronger than that; a plugin that
// must be contained for sure needs a process per cell, which kcube does not do. The store
// records the process writing a run (host, process id, start time), so that `kcube runs` shows
// such a run as `stopped` once that process is gone, and --resume takes it over.
//
// Interrupted runs: SIGINT or SIGTERM (Ctrl-C, `kill`, a batch system ending a job) while cells
// run: the cell being written is committed whole (a write is one transaction, never cut), no
// further cell starts, a cell the signal stopped inside the engine is not stored, the run is
// marked `interrupted`, the exact command that continues it (this one with --resume) goes to
// stderr, and kcube ends by the same signal (exit status 130 or 143). A second signal ends the
// process at once; the run then stays `running` and is shown `stopped`. With --cell-timeout the
// engine is not stopped mid-cell: the signal takes effect when the cell ends (at the latest at
// its timeout). Under mpirun only rank 0 handles the signals (the run stops handing out cells,
// stores those that finish, and ends the other ranks normally); what mpirun itself does on a
// signal (it ends every rank) leaves the run `running`, and --resume continues it.
int cmd_run(const Args& args, const GlobalOptions& global) {
  // Under mpirun every rank runs this function; see team.hpp for how they share the work.
  const std::unique_ptr<Team> team = Team::join();
  std::optional<RunSetup> setup;
  std::exception_ptr failure;
  try {
    setup = prepare_run(args, global);
  } catch (...) {
    failure = std::current_exception();
  }
  team->settle(failure);
  if (setup->help) {
    if (team->leader())
      std::cout << setup->help_text;
    team->finish();
    return 0;
  }
  RunSetup& run_setup = *setup;
  const Manifest& m = run_setup.manifest;
  const std::vector<Cell>& cells = run_setup.cells;
  team->check_same(run_setup.description);
  Watchdog watchdog(run_setup.cell_timeout);

  // Rank 0 alone checks the factories and opens the store; nothing is stored when they fail.
  std::optional<ResultStore> store;
  std::int64_t run = 0;
  bool nothing_to_do = false;
  std::set<std::string> done;
  std::vector<std::size_t> pending;
  bool timed_out = false;
  // Rank 0 alone handles SIGINT and SIGTERM (see "Interrupted runs" above cmd_run).
  std::optional<InterruptHandlers> handlers;
  if (team->leader()) {
    handlers.emplace();
    try {
      const auto checked = watchdog.run(std::function<bool(WorkState&)>([&](WorkState& state) {
        check_factories(run_setup.registry, m, run_setup.points, run_setup.point_manifests, state);
        check_memory(run_setup.registry, run_setup.points, run_setup.point_manifests,
                     run_setup.threads, run_setup.memory_limit, state);
        return true;
      }));
      if (const auto* late = std::get_if<TimedOut>(&checked)) {
        timed_out = true;
        throw RuntimeFailure("kcube run: timed out after " +
                             text::format_real(*watchdog.timeout()) + " s in " + late->where +
                             " while checking the plugins' parameters; nothing was run");
      }
      store.emplace(ResultStore::open(run_setup.store_path));
      const Resumed begun = begin_or_resume(*store, run_setup, team->size(), team->hosts(), done);
      run = begun.run;
      nothing_to_do = begun.finished;
      for (std::size_t c = 0; c < cells.size() && !nothing_to_do; ++c) {
        if (run_setup.shard.has(cells[c].position) && done.count(cells[c].key) == 0)
          pending.push_back(c);
      }
    } catch (...) {
      failure = std::current_exception();
    }
  }
  // After a timed-out factory call, the abandoned call may still run plugin code: see leave_now.
  try {
    team->settle(failure);
  } catch (const TeamStop&) {
    if (!timed_out)
      throw;
    team->finish();  // rank 0 said why
    leave_now(1);
  } catch (...) {
    if (!timed_out)
      throw;
    std::cerr << "failure: " << text::printable(current_exception_text()) << "\n";
    team->finish();
    leave_now(1);
  }

  const bool progress = !run_setup.quiet && team->leader() && ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<CellResult> summary_cells;
  std::size_t failed = 0, ran = 0;
  CellRunner runner(run_setup.registry, watchdog, run_setup.threads);
  const auto run_one = [&](std::size_t c) {
    const Cell& cell = cells[c];
    return runner.run(run_setup.point_manifests[cell.point], cell,
                      run_setup.points[cell.point].label);
  };
  // Rank 0: stores a cell's results; false once --fail-fast or a signal should stop the run. A
  // cell that failed after a signal (the engine stops at it) is not stored: it did not fail.
  const auto store_one = [&](std::size_t c, CellResult&& result) {
    if (interrupted.load() && result.status == CellStatus::error)
      return false;
    store_cell(*store, run, result);
    ++ran;
    if (result.status == CellStatus::error) {
      ++failed;
      std::cerr << (progress ? "\n" : "") << "kcube run: cell '" << text::printable(cells[c].key)
                << "' failed: " << text::printable(result.message) << "\n";
    }
    if (cells[c].replication == 0 && cells[c].point == 0)
      summary_cells.push_back(std::move(result));
    if (progress) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double trials_per_second =
          m.run.evaluator == "exact"
              ? 0.0
              : static_cast<double>(ran) * static_cast<double>(m.run.trials) / seconds;
      const double eta =
          seconds / static_cast<double>(ran) * static_cast<double>(pending.size() - ran);
      std::cerr << "\r  cells " << (run_setup.shard_cells - pending.size() + ran) << "/"
                << run_setup.shard_cells << ", " << text::format_fixed(trials_per_second, 3)
                << " trials/s, ETA " << text::format_fixed(eta, 2) << " s   " << std::flush;
    }
    return !(run_setup.fail_fast && failed > 0) && !interrupted.load();
  };

  ShareStats shared;
  if (team->size() > 1) {
    shared = team->share_cells(pending, run_one, store_one);
    if (!team->leader()) {
      team->finish();
      if (watchdog.abandoned())
        leave_now(1);
      return 0;
    }
  } else {
    try {
      for (const std::size_t c : pending) {
        if (interrupted.load() || !store_one(c, run_one(c)))
          break;
      }
    } catch (...) {
      if (!watchdog.abandoned())
        throw;
      // The store stays as it is (the run `running`, so --resume continues it); see leave_now.
      std::cerr << "failure: " << text::printable(current_exception_text()) << "\n";
      store.reset();
      leave_now(1);
    }
  }
  if (progress)
    std::cerr << "\n";
  if (nothing_to_do) {
    if (!run_setup.quiet)
      std::cout << "run " << run << " is already finished; nothing to do\n";
    std::cout << "store: " << run_setup.store_path << " (run " << run << ")\n";
    store.reset();
    team->finish();
    return 0;
  }
  const int signal = interrupt_signal.load();
  store->finish_run(run, signal != 0   ? RunStatus::interrupted
                         : failed == 0 ? RunStatus::finished
                                       : RunStatus::failed);
  const std::size_t skipped = pending.size() - ran;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // --quiet: the store line alone; the failed cells and an interruption are on stderr.
  if (!run_setup.quiet) {
    print_summary(m, run_setup.points, summary_cells);
    std::cout << "\n"
              << (done.empty() ? "" : "resumed; ") << ran << " cells run"
              << (failed ? ", " + std::to_string(failed) + " with errors (see kcube export)" : "")
              << " in " << text::format_fixed(seconds, 3) << " s"
              << (run_setup.shard.whole() ? std::string()
                                          : " (shard " + run_setup.shard.text() + " of " +
                                                std::to_string(cells.size()) + " planned cells)")
              << "\n";
    if (team->size() > 1)
      print_share_stats(std::cout, *team, shared);
    if (skipped && signal == 0) {
      std::cout << "stopped at the first failed cell (--fail-fast): " << skipped
                << " cells not run; 'kcube run --resume' retries the failed cell and runs them\n";
    }
  }
  std::cout << "store: " << run_setup.store_path << " (run " << run << ")\n";
  if (signal != 0) {
    std::cout.flush();
    std::cerr << "kcube run: interrupted by " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
              << ": run " << run << " is marked interrupted with "
              << (run_setup.shard_cells - pending.size() + ran) << " of " << run_setup.shard_cells
              << " cells stored (" << skipped
              << " not run; a cell stopped by the signal is not stored). Continue it with:\n  "
              << run_setup.resume_command << "\n"
              << std::flush;
  }
  if (watchdog.abandoned()) {
    store.reset();  // closed (and checkpointed) before the process ends
    team->finish();
    leave_now(signal != 0 ? 128 + signal : 1);
  }
  store.reset();
  team->finish();
  if (signal != 0) {
    if (team->size() == 1) {
      // Ended by the signal itself, so that a shell running kcube in a loop stops too (a
      // shell goes on after a child that exits normally on SIGINT); the status is 128 + signal.
      handlers.reset();
      std::cout.flush();
      std::signal(signal, SIG_DFL);
      std::raise(signal);
    }
    return 128 + signal;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace kcube::cli
