// kcube validate MANIFEST | kcube run MANIFEST: declarative experiments into the results store.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

#include "commands.hpp"
#include "engine.hpp"
#include "exact.hpp"
#include "kcube/error.hpp"
#include "manifest.hpp"
#include "output.hpp"
#include "selection.hpp"
#include "store.hpp"
#include "text.hpp"

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

// Runs one cell; plugin failures become a cell with status error.
CellResult run_cell(const PluginRegistry& registry, const Manifest& m, const Cell& cell,
                    const std::string& sweep_label, int threads) {
  CellResult result;
  result.replication = static_cast<int>(cell.replication);
  result.profile = m.profiles[cell.profile].name;
  result.scenario = m.scenarios[cell.scenario].name;
  result.sweep = sweep_label;
  result.position = cell.position;
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto profile =
        registry.create<ModelProfile>(spec_of(m.profiles[cell.profile], "profiles"));
    result.profile_spec = canonical_spec(profile.plugin().name(), profile.params());
    const auto scenario =
        registry.create<Scenario>(spec_of(m.scenarios[cell.scenario], "scenarios"));
    result.scenario_spec = canonical_spec(scenario.plugin().name(), scenario.params());
    const Deployment deployment = scenario->deployment();
    CandidateTable table;
    if (m.run.evaluator == "exact") {
      table = exact_candidates(*profile, deployment);
    } else {
      SimulationOptions sim;
      sim.trials = m.run.trials;
      sim.seed = replication_seed(m.run.seed, cell.replication);
      sim.sampling = m.run.sampling;
      // A plugin that is not thread-safe runs on one thread.
      sim.threads =
          profile.plugin().descriptor().thread_safety == ThreadSafety::shared ? threads : 1;
      for (const auto& column : scenario->required_columns()) {
        if (const auto q = parse_quantile_column(column))
          sim.quantile_levels.push_back(q->second);
      }
      table =
          simulate(*profile, cell_identity(profile.plugin().name(), profile.params(), deployment),
                   deployment, sim)
              .table;
    }
    const AssessedTable assessed = assess(scenario, table);
    for (const auto& verdict : assessed.verdicts)
      result.feasible.push_back(verdict.feasible);
    for (const PluginUse& use : m.optimizers) {
      const auto optimizer = registry.create<Optimizer>(spec_of(use, "optimizers"));
      result.selections.push_back({use.name, run_selection(optimizer, table, assessed)});
    }
    result.candidates = std::move(table);
    for (const auto& s : result.selections) {
      if (s.record.status == SelectionStatus::error) {
        result.status = CellStatus::error;
        result.message = s.name + ": " + s.record.reason;
      }
    }
  } catch (const std::exception& e) {
    // Nothing partial is kept: the cell is stored as an error with the message.
    result.status = CellStatus::error;
    result.message = e.what();
    result.candidates = {};
    result.feasible.clear();
    result.selections.clear();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
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
  std::cout << file << ": valid manifest '" << m.experiment << "': " << m.profiles.size()
            << " profiles x " << m.scenarios.size() << " scenarios x " << expand_sweep(m).size()
            << " sweep points x " << m.run.replications << " replications = " << m.cell_count
            << " cells, " << m.optimizers.size() << " optimizers; " << m.run.evaluator
            << (m.run.evaluator == "exact" ? "" : ", " + std::to_string(m.run.trials) + " trials")
            << "; sha256 " << m.sha256 << "\n";
  return 0;
}

int cmd_run(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("store", po::value<std::string>()->value_name("PATH"),
                        "results store (default: the manifest's store, or "
                        "results/<experiment>.sqlite)")(
      "threads", po::value<int>()->value_name("N"), "OpenMP threads (default: the manifest's)")(
      "resume", "continue the newest unfinished run of this manifest and overrides")(
      "quiet", "no progress line")("help,h", "show this help");
  add_manifest_options(options);
  const auto vm = parse_positional(args, options, {"manifest"}, "run");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] "
        "[--resume] [--quiet]",
        options);
    return 0;
  }
  const auto file = manifest_argument(vm, "run");
  const std::vector<std::string> overrides = overrides_of(vm);
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
  std::vector<Manifest> point_manifests;
  for (const auto& point : points)
    point_manifests.push_back(apply_sweep_point(m, point));
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

  ResultStore store = ResultStore::open(store_path);
  std::int64_t run = 0;
  std::set<std::string> done;
  if (vm.count("resume") != 0) {
    const auto state = store.find_resumable(m.sha256, overrides);
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
    run = store.begin_run(context);
  }

  const bool progress = vm.count("quiet") == 0 && ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<CellResult> results;
  std::size_t failed = 0, ran = 0;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (done.count(cells[c].key) != 0)
      continue;
    const Manifest& cm = point_manifests[cells[c].point];
    CellResult result = run_cell(registry, cm, cells[c], points[cells[c].point].label, threads);
    store.write_cell(run, result);
    failed += result.status == CellStatus::error ? 1 : 0;
    ++ran;
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
  store.finish_run(run, failed == 0 ? RunStatus::finished : RunStatus::failed);
  print_summary(m, results);
  std::cout << "\n"
            << (done.empty() ? "" : "resumed; ") << ran << " cells run"
            << (failed ? ", " + std::to_string(failed) + " with errors (see kcube export)" : "")
            << " in "
            << text::format_fixed(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   3)
            << " s\nstore: " << store_path << " (run " << run << ")\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace kcube::cli
