// kcube validate MANIFEST | kcube run MANIFEST: declarative experiments into the results store.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "commands.hpp"
#include "engine.hpp"
#include "exact.hpp"
#include "kcube/error.hpp"
#include "manifest.hpp"
#include "output.hpp"
#include "plugin_call.hpp"
#include "selection.hpp"
#include "store.hpp"
#include "text.hpp"
#include "watchdog.hpp"

namespace kcube::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

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

// "model profile 'gaussian' (/path/to/kcube-model-profile-gaussian.so)".
std::string who(const LoadedPlugin& plugin) {
  return (plugin.kind() == PluginKind::model_profile ? std::string("model profile")
                                                     : std::string(to_string(plugin.kind()))) +
         " " + plugin.label();
}

// Makes a plugin object of a cell, telling `state` which factory runs.
template <class T>
PluginInstance<T> make(const PluginRegistry& registry, const PluginUse& use,
                       const std::string& section, WorkState& state) {
  const auto plugin = registry.find(use.plugin);
  state.enter(plugin.get(), who(*plugin) + ", its factory");
  return registry.create<T>(spec_of(use, section));
}

// The candidate table of a cell, from its profile on its deployment.
CandidateTable evaluate(const PluginInstance<ModelProfile>& profile,
                        const PluginInstance<Scenario>& scenario, const Deployment& deployment,
                        const Manifest& m, const Cell& cell, int threads, WorkState& state) {
  const LoadedPlugin& plugin = profile.plugin();
  const std::string label = who(plugin);
  if (m.run.evaluator == "exact") {
    state.enter(&plugin, label + ", exact evaluation (expected_cost, accuracy_cdf, ...)");
    return exact_candidates(*profile, deployment, label);
  }
  SimulationOptions sim;
  sim.trials = m.run.trials;
  sim.seed = replication_seed(m.run.seed, cell.replication);
  sim.sampling = m.run.sampling;
  // A plugin that is not thread-safe runs on one thread.
  sim.threads = plugin.descriptor().thread_safety == ThreadSafety::shared ? threads : 1;
  sim.profile_label = label;
  sim.stop = &state.stop_flag();
  state.enter(&scenario.plugin(), who(scenario.plugin()) + ", required_columns");
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
                    const std::string& sweep_label, int threads, WorkState& state) {
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
    state.enter(&scenario.plugin(), who(scenario.plugin()) + ", deployment");
    const Deployment deployment = checked_deployment(scenario);
    CandidateTable table = evaluate(profile, scenario, deployment, m, cell, threads, state);
    state.enter(&scenario.plugin(), who(scenario.plugin()) + ", budget and assess");
    const AssessedTable assessed = assess(scenario, table);
    for (const auto& verdict : assessed.verdicts)
      result.feasible.push_back(verdict.feasible);
    for (const PluginUse& use : m.optimizers) {
      const auto optimizer = make<Optimizer>(registry, use, "optimizers", state);
      state.enter(&optimizer.plugin(), who(optimizer.plugin()) + ", select");
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
    result.message = current_exception_text();
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
                     plugin->descriptor().version, plugin->file().string()});
    }
  }
  return out;
}

std::string all_sources(const Manifest& m) {
  std::string text;
  for (std::size_t i = 0; i < m.sources.size(); ++i) {
    if (i > 0)
      text += "\n# ---- included: " + m.sources[i].name + " ----\n";
    text += m.sources[i].text;
  }
  return text;
}

// Per scenario: profiles x optimizers -> picked k.
void print_summary(const Manifest& m, const std::vector<CellResult>& cells) {
  for (const PluginUse& scenario : m.scenarios) {
    std::cout << "\nScenario " << scenario.name << ": k picked by each optimizer"
              << (m.sweep.empty() && m.run.replications == 1
                      ? ""
                      : " (first replication and sweep point)")
              << "\n";
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

// The run `--resume` continues: the newest run of this manifest and overrides that is running
// (killed) or failed (a cell error, --fail-fast, a timeout); a failed one is reopened so that
// its error cells are retried and its missing cells run.
std::optional<ResumeState> resumable_run(ResultStore& store, const Manifest& m,
                                         const std::vector<std::string>& overrides) {
  const std::string wanted = canonical_overrides(overrides);
  const auto runs = store.runs();
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->manifest_sha256 != m.sha256 || r->overrides != wanted)
      continue;
    if (r->status == RunStatus::failed) {
      store.finish_run(r->id, RunStatus::running);
      break;
    }
    if (r->status == RunStatus::running)
      break;
  }
  return store.find_resumable(m.sha256, overrides);
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
          return run_cell(registry_, cm, cell, sweep_label, threads_, state);
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
  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
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
// must be contained for sure needs a process per cell, which kcube does not do.
int cmd_run(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("store", po::value<std::string>()->value_name("PATH"),
                        "results store (default: the manifest's store, or "
                        "results/<experiment>.sqlite)")(
      "threads", po::value<int>()->value_name("N"), "OpenMP threads (default: the manifest's)")(
      "resume",
      "continue the newest unfinished (running or failed) run of this manifest and overrides, "
      "retrying its cells stored with an error")(
      "fail-fast",
      "stop at the first cell that fails (the run is marked failed; --resume goes on)")(
      "cell-timeout", po::value<double>()->value_name("SECONDS"),
      "record a cell whose plugins take longer than this as an error and go on (default: no "
      "limit)")("quiet", "no progress line")("help,h", "show this help");
  add_manifest_options(options);
  const auto vm = parse_positional(args, options, {"manifest"}, "run");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] "
        "[--resume] [--fail-fast] [--cell-timeout SECONDS] [--quiet]",
        options);
    return 0;
  }
  const auto file = manifest_argument(vm, "run");
  const std::vector<std::string> overrides = overrides_of(vm);
  const bool fail_fast = vm.count("fail-fast") != 0;
  Watchdog watchdog(cell_timeout_of(vm));
  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
  // Everything is validated before the store is touched: a bad manifest creates no store.
  const Manifest m = load_manifest(file, overrides, registry, vm["max-cells"].as<std::uint64_t>());
  int threads = vm.count("threads") ? vm["threads"].as<int>() : m.run.threads;
  if (threads < 0)
    throw Error("kcube run: --threads must be at least 1");
  if (threads == 0)
    threads = default_threads();
  const std::string store_path =
      vm.count("store") ? vm["store"].as<std::string>() : m.store.string();

  const std::vector<SweepPoint> points = expand_sweep(m);
  const std::vector<Manifest> point_manifests = point_manifests_of(m, points);
  std::vector<Cell> cells;
  for (std::int64_t r = 0; r < m.run.replications; ++r) {
    for (std::size_t p = 0; p < points.size(); ++p) {
      for (std::size_t i = 0; i < m.profiles.size(); ++i) {
        for (std::size_t s = 0; s < m.scenarios.size(); ++s) {
          cells.push_back({static_cast<std::int64_t>(cells.size()), r, p, i, s,
                           cell_key(m.profiles[i].name, m.scenarios[s].name, points[p].label,
                                    static_cast<int>(r))});
        }
      }
    }
  }
  {
    const auto checked = watchdog.run(std::function<bool(WorkState&)>([&](WorkState& state) {
      check_factories(registry, m, points, point_manifests, state);
      return true;
    }));
    if (const auto* late = std::get_if<TimedOut>(&checked)) {
      std::cerr << "failure: kcube run: timed out after " << text::format_real(*watchdog.timeout())
                << " s in " << late->where
                << " while checking the plugins' parameters; nothing was run\n";
      leave_now(1);
    }
  }

  std::optional<ResultStore> store(ResultStore::open(store_path));
  std::int64_t run = 0;
  std::set<std::string> done;
  if (vm.count("resume") != 0) {
    const auto state = resumable_run(*store, m, overrides);
    if (!state) {
      throw Error("kcube run --resume: " + store_path +
                  " holds no unfinished run of this manifest (sha256 " + m.sha256 +
                  ") with these --set overrides; run without --resume to start one");
    }
    run = state->run;
    done = state->finished_cells;
  } else {
    RunContext context = capture_run_context(KCUBE_BUILD_TYPE);
    context.experiment = m.experiment;
    context.threads = threads;
    context.seed = m.run.seed;
    context.manifest_text = all_sources(m);
    context.manifest_sha256 = m.sha256;
    context.overrides = overrides;
    context.plugins = plugins_used(registry, m);
    context.evaluator = m.run.evaluator;
    if (m.run.evaluator != "exact") {
      context.trials = m.run.trials;
      context.sampling = std::string(to_string(m.run.sampling));
    }
    context.replications = static_cast<int>(m.run.replications);
    context.cell_count = static_cast<std::int64_t>(cells.size());
    run = store->begin_run(context);
  }

  const bool progress = vm.count("quiet") == 0 && ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<CellResult> results;
  std::size_t failed = 0, ran = 0, skipped = 0;
  CellRunner runner(registry, watchdog, threads);
  try {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (done.count(cells[c].key) != 0)
        continue;
      if (fail_fast && failed > 0) {
        ++skipped;
        continue;
      }
      const Manifest& cm = point_manifests[cells[c].point];
      CellResult result = runner.run(cm, cells[c], points[cells[c].point].label);
      store_cell(*store, run, result);
      ++ran;
      if (result.status == CellStatus::error) {
        ++failed;
        std::cerr << (progress ? "\n" : "") << "kcube run: cell '" << cells[c].key
                  << "' failed: " << result.message << "\n";
      }
      if (cells[c].replication == 0 && cells[c].point == 0)
        results.push_back(std::move(result));
      if (progress) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double trials_per_second =
            m.run.evaluator == "exact" ? 0.0 : static_cast<double>(ran * m.run.trials) / seconds;
        const double eta = seconds / static_cast<double>(ran) *
                           static_cast<double>(cells.size() - done.size() - ran);
        std::cerr << "\r  cells " << (done.size() + ran) << "/" << cells.size() << ", "
                  << text::format_fixed(trials_per_second, 3) << " trials/s, ETA "
                  << text::format_fixed(eta, 2) << " s   " << std::flush;
      }
    }
    if (progress)
      std::cerr << "\n";
    store->finish_run(run, failed == 0 ? RunStatus::finished : RunStatus::failed);
  } catch (...) {
    if (!watchdog.abandoned())
      throw;
    // The store stays as it is (the run `running`, so --resume continues it); see leave_now.
    std::cerr << "failure: " << current_exception_text() << "\n";
    store.reset();
    leave_now(1);
  }
  print_summary(m, results);
  std::cout << "\n"
            << (done.empty() ? "" : "resumed; ") << ran << " cells run"
            << (failed ? ", " + std::to_string(failed) + " with errors (see kcube export)" : "")
            << " in "
            << text::format_fixed(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   3)
            << " s\n"
            << (skipped
                    ? "stopped at the first failed cell (--fail-fast): " + std::to_string(skipped) +
                          " cells not run; 'kcube run --resume' retries the failed cell and "
                          "runs them\n"
                    : "")
            << "store: " << store_path << " (run " << run << ")\n";
  if (watchdog.abandoned()) {
    store.reset();  // closed (and checkpointed) before the process ends
    leave_now(1);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace kcube::cli
