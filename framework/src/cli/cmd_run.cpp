// kcube validate MANIFEST | kcube run MANIFEST: declarative experiments into the results store.
// The run is run_experiment() (run/runner.hpp: failed cells, timeouts, the stop flag, MPI); this
// file parses the options and prints. kcube run exits 0 when every cell succeeded, 1 when a cell
// failed (stored as error; the run is marked failed, --resume retries it) or a plugin bug stopped
// it, 2 for a mistake in the manifest, the options or a plugin's parameters (nothing stored).
// SIGINT or SIGTERM (rank 0 alone handles them) stop it after the cell being written: the run is
// marked `interrupted`, the command that continues it (this one with --resume) goes to stderr,
// and kcube ends by the same signal (130 or 143); a second signal ends it at once. After a
// --cell-timeout abandoned work, kcube ends with std::_Exit once it printed its summary.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/output.hpp"
#include "cli/run_output.hpp"
#include "engine/resources.hpp"
#include "kcube/error.hpp"
#include "manifest/manifest.hpp"
#include "run/checks.hpp"
#include "run/runner.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

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

// The manifest, its overrides and where its plugins are (--plugin-path first, then the
// manifest's plugin_path, then KCUBE_PLUGIN_PATH and the built-in folder).
RunRequest manifest_request(const po::variables_map& vm, const GlobalOptions& global,
                            const std::string& command) {
  if (vm.count("manifest") == 0) {
    throw Error("kcube " + command + ": which manifest? e.g. 'kcube " + command +
                " experiments/paper-2025.yaml'");
  }
  RunRequest request;
  request.manifest = vm["manifest"].as<std::string>();
  if (vm.count("set") != 0)
    request.overrides = vm["set"].as<std::vector<std::string>>();
  request.plugin_paths = plugin_paths(vm, global);
  request.max_cells = vm["max-cells"].as<std::uint64_t>();
  return request;
}

po::options_description run_options() {
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
  return options;
}

// The options of kcube run as a request. Every rank parses them itself; nothing is read yet.
RunRequest run_request(const po::variables_map& vm, const GlobalOptions& global) {
  RunRequest request = manifest_request(vm, global, "run");
  request.fail_fast = vm.count("fail-fast") != 0;
  request.resume = vm.count("resume") != 0;
  request.allow_changed_plugins = vm.count("allow-changed-plugins") != 0;
  if (request.allow_changed_plugins && !request.resume)
    throw Error("kcube run: --allow-changed-plugins goes with --resume (a new run uses one build)");
  if (vm.count("cell-timeout") != 0) {
    const double seconds = vm["cell-timeout"].as<double>();
    if (!(seconds > 0.0 && std::isfinite(seconds))) {
      throw Error("kcube run: --cell-timeout must be a positive number of seconds, got " +
                  text::format_real(seconds));
    }
    request.cell_timeout = seconds;
  }
  if (vm.count("shard") != 0)
    request.shard = parse_shard(vm["shard"].as<std::string>());
  if (vm.count("threads") != 0) {
    const ThreadCount count = parse_thread_count(vm["threads"].as<std::string>());
    if (!count.problem.empty())
      throw Error("kcube run: --threads " + count.problem);
    request.threads = count.threads;
  }
  if (vm.count("memory-limit") != 0) {
    request.memory_limit =
        parse_memory_size(vm["memory-limit"].as<std::string>(), "kcube run: --memory-limit");
  }
  if (vm.count("store") != 0)
    request.store = vm["store"].as<std::string>();
  return request;
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
  const RunRequest request = manifest_request(vm, global, "validate");
  const std::string file = request.manifest.string();
  const PluginRegistry registry = discover_for_manifest(request);
  const Manifest m = load_manifest(file, request.overrides, registry, request.max_cells);
  const std::vector<SweepPoint> points = expand_sweep(m);
  WorkState state;
  RunObjects objects(registry);
  check_factories(objects, m, points, point_manifests_of(m, points), state);
  // Scenarios that name their profiles (profiles:) make fewer pairs than the full product.
  const std::uint64_t pairs = pair_count(m.profiles, m.scenarios);
  const std::string pairs_text = pairs == m.profiles.size() * m.scenarios.size()
                                     ? std::to_string(m.profiles.size()) + " profiles x " +
                                           std::to_string(m.scenarios.size()) + " scenarios"
                                     : std::to_string(pairs) + " (profile, scenario) pairs of " +
                                           std::to_string(m.profiles.size()) + " profiles and " +
                                           std::to_string(m.scenarios.size()) + " scenarios";
  std::cout << file << ": valid manifest '" << m.experiment << "': " << pairs_text << " x "
            << (m.aggregators.size() > 1 ? std::to_string(m.aggregators.size()) + " aggregators x "
                                         : std::string())
            << points.size() << " sweep points x " << m.run.replications
            << " replications = " << m.cell_count << " cells, " << m.optimizers.size()
            << " optimizers; " << to_string(m.run.evaluator)
            << (m.run.evaluator == Evaluator::exact
                    ? ""
                    : ", " + std::to_string(m.run.trials) + " trials")
            << "; sha256 " << m.sha256 << "\n";
  return 0;
}

int cmd_run(const Args& args, const GlobalOptions& global) {
  // Under mpirun every rank runs this function; see run/team.hpp for how they share the work.
  const std::unique_ptr<Team> team = Team::join();
  const po::options_description options = run_options();
  std::optional<po::variables_map> vm;
  std::optional<RunRequest> request;
  std::exception_ptr failure;
  try {
    vm = parse_positional(args, options, {"manifest"}, "run");
    if (vm->count("help") == 0)
      request = run_request(*vm, global);
  } catch (...) {
    failure = std::current_exception();
  }
  team->settle(failure);
  if (!request) {
    if (team->leader()) {
      std::cout << usage(
          "kcube run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] [--shard I/N] "
          "[--resume [--allow-changed-plugins]] [--fail-fast] [--cell-timeout SECONDS] "
          "[--memory-limit SIZE] [--quiet]\n"
          "       mpirun -np N kcube run MANIFEST [options]   (cells shared over N MPI ranks)",
          options);
    }
    team->finish();
    return 0;
  }
  const bool quiet = vm->count("quiet") != 0;
  const bool progress = !quiet && team->leader() && ::isatty(STDERR_FILENO) != 0;
  std::optional<InterruptHandlers> handlers;  // rank 0 alone handles SIGINT and SIGTERM
  const Manifest* manifest = nullptr;
  RunCallbacks callbacks;
  callbacks.team = team.get();
  callbacks.stop = &interrupted();
  callbacks.on_planned = [&](const Plan& plan) {
    handlers.emplace();
    manifest = &plan.manifest;
  };
  std::set<std::string> notes_shown;
  callbacks.on_cell = [&](const CellProgress& p) {
    if (p.result.status == CellStatus::error) {
      std::cerr << (progress ? "\n" : "") << "kcube run: cell '" << text::printable(p.cell.key)
                << "' failed: " << text::printable(p.result.message) << "\n";
    }
    // What the evaluation said besides the table (questions of a log left out, a log without
    // cost, ...): each note once, with the first cell that said it (the aggregators of one log
    // all say the same); the store keeps every cell's notes.
    std::vector<std::string> fresh;
    for (const std::string& note : p.result.notes) {
      if (notes_shown.insert(note).second)
        fresh.push_back(note);
    }
    if (!quiet && !fresh.empty()) {
      std::cerr << (progress ? "\n" : "") << "kcube run: cell '" << text::printable(p.cell.key)
                << "'" << (fresh.size() < p.result.notes.size() ? " (and notes said before)" : "")
                << ":";
      for (const std::string& note : fresh)
        std::cerr << "\n  note: " << text::printable(note);
      std::cerr << "\n";
    }
    if (progress)
      print_progress(std::cerr, *manifest, p);
  };
  callbacks.on_note = [&](const std::string& note) {
    if (!quiet)
      std::cerr << "kcube run: note: " << note << "\n";
  };
  callbacks.leave = [](int code, const std::string& why) {
    if (!why.empty())
      std::cerr << "failure: " << text::printable(why) << "\n";
    leave_process(code);
  };
  const RunReport report = run_experiment(*request, callbacks);
  if (!report.leader)
    return 0;
  if (progress)
    std::cerr << "\n";
  const std::string store_line =
      "store: " + report.store_path + " (run " + std::to_string(report.run) + ")\n";
  if (report.nothing_to_do) {
    if (!quiet)
      std::cout << "run " << report.run << " is already finished; nothing to do\n";
    std::cout << store_line;
    return 0;
  }
  const int signal = report.interrupted ? interrupt_signal() : 0;
  // --quiet: the store line alone; the failed cells and an interruption are on stderr.
  if (!quiet) {
    print_summary(std::cout, report);
    print_totals(std::cout, report, signal != 0);
  }
  std::cout << store_line;
  if (signal != 0) {
    std::cout.flush();
    print_interruption(std::cerr, report, signal, resume_command(args, global, request->resume));
  }
  if (report.abandoned)
    leave_process(signal != 0 ? 128 + signal : 1);
  if (signal != 0) {
    if (report.ranks == 1) {
      // Ended by the signal itself, so that a shell running kcube in a loop stops too (a
      // shell goes on after a child that exits normally on SIGINT); the status is 128 + signal.
      handlers.reset();
      std::cout.flush();
      std::signal(signal, SIG_DFL);
      std::raise(signal);
    }
    return 128 + signal;
  }
  return report.failed == 0 ? 0 : 1;
}

}  // namespace kcube::cli
