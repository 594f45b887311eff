// kcube simulate --profile SPEC --scenario SPEC [--aggregator SPEC]
//                [--evaluator monte-carlo|exact] [--trials N] [--seed S]
//                [--sampling nested|independent] [--threads N] [--bootstrap B] [-o FILE]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "engine/bootstrap.hpp"
#include "engine/engine.hpp"
#include "engine/evaluator.hpp"
#include "engine/exact.hpp"
#include "engine/resources.hpp"
#include "engine/selection.hpp"
#include "host/spec.hpp"
#include "kcube/candidate_csv.hpp"
#include "kcube/error.hpp"
#include "run/profile_threads.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

// The spread columns of `kcube simulate`, in order; quantile columns a chance-constrained
// scenario needs come after them, then `trials`.
const std::vector<std::string> kSpreadColumns = {
    "cost_std",  "latency_std", "accuracy_std", "cost_se",      "latency_se",    "accuracy_se",
    "cost_p025", "cost_p975",   "latency_p025", "latency_p975", "accuracy_p025", "accuracy_p975"};

// The columns an aggregator that stops early adds (the engine's names), after the spread ones.
const std::vector<std::string> kSamplesUsedColumns = {"samples_used", "samples_used_std",
                                                      "samples_used_se", "samples_used_p025",
                                                      "samples_used_p975"};

// The default aggregator: the paper's best-of-k.
constexpr const char* kDefaultAggregator = "max-accuracy";

Sampling parse_sampling(const std::string& text) {
  if (text == "nested")
    return Sampling::nested;
  if (text == "independent")
    return Sampling::independent;
  throw Error("kcube simulate: --sampling must be nested or independent, got '" + text + "'");
}

// --threads, resolved ("auto": OpenMP's default); the rule is run.threads' (resources.hpp).
int parse_threads(const std::string& text) {
  const ThreadCount count = parse_thread_count(text);
  if (!count.problem.empty())
    throw Error("kcube simulate: --threads " + count.problem);
  return resolve_threads(count.threads);
}

}  // namespace

int cmd_simulate(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("profile", po::value<std::string>()->value_name("SPEC"),
                        "the model profile, e.g. gaussian:c_in=1.25e-6,...")(
      "scenario", po::value<std::string>()->value_name("SPEC"),
      "the scenario: its deployment (P, k grid, latency model) and, in chance mode, the "
      "quantiles to compute")(
      "evaluator",
      po::value<std::string>()
          ->default_value(std::string(to_string(Evaluator::monte_carlo)))
          ->value_name("NAME"),
      "monte-carlo or exact (noise-free expected values, where the profile supports it)")(
      "trials", po::value<std::int64_t>()->default_value(1000)->value_name("N"),
      "Monte Carlo trials (>= 2)")(
      "seed", po::value<std::uint64_t>()->default_value(42)->value_name("S"), "root seed")(
      "sampling", po::value<std::string>()->default_value("nested")->value_name("SCHEME"),
      "nested (one path per trial serves every k) or independent (fresh draws per k)")(
      "threads", po::value<std::string>()->default_value("auto")->value_name("N"),
      "OpenMP threads, 'auto' or 1 to 1024; results do not depend on it")(
      "memory-limit", po::value<std::string>()->value_name("SIZE"),
      "refuse to simulate when it would need more memory than this, e.g. 4G or 512M (default: "
      "half of the physical memory, or of the cgroup's limit)")(
      "output,o", po::value<std::string>()->value_name("FILE"), "write the CSV here, not stdout")(
      "aggregator", po::value<std::string>()->default_value(kDefaultAggregator)->value_name("SPEC"),
      "how a request's k samples become its answer, e.g. majority-vote or esc:window=5")(
      "bootstrap", po::value<std::int64_t>()->default_value(0)->value_name("B"),
      "resample the questions of a sample log B times and add each candidate's 95 % interval "
      "(accuracy_lo, accuracy_hi, cost_lo, cost_hi, latency_lo, latency_hi); 0 = off")(
      "help,h", "show this help");
  add_plugin_path_option(options);
  const auto vm = parse(args, options, {}, "simulate");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube simulate --profile SPEC --scenario SPEC [--aggregator SPEC] "
        "[--evaluator monte-carlo|exact] [--trials N] [--seed S] "
        "[--sampling nested|independent] [--threads N] [--memory-limit SIZE] [--bootstrap B] "
        "[-o FILE]\n\n"
        "Writes the candidate table as CSV: k,cost,latency,accuracy, the spread columns\n"
        "(<metric>_std, _se, _p025, _p975; empty for exact), with an aggregator that stops\n"
        "early samples_used and its spread columns, the quantiles a chance-constrained\n"
        "scenario needs, and trials (0 for exact); with --bootstrap, the intervals after them. It\n"
        "feeds 'kcube select -'. Notes (questions of a log left out, ...) go to standard error.",
        options);
    return 0;
  }
  if (vm.count("profile") == 0)
    throw Error("kcube simulate: no --profile; e.g. --profile gaussian:...");
  if (vm.count("scenario") == 0)
    throw Error("kcube simulate: no --scenario; e.g. --scenario budget:parallelism=4");
  const std::string evaluator_name = vm["evaluator"].as<std::string>();
  const std::optional<Evaluator> evaluator = parse_evaluator(evaluator_name);
  if (!evaluator) {
    throw Error("kcube simulate: --evaluator must be " + text::join(evaluator_names(), " or ") +
                ", got '" + evaluator_name + "'");
  }
  SimulationOptions sim;
  sim.trials = vm["trials"].as<std::int64_t>();
  sim.seed = vm["seed"].as<std::uint64_t>();
  sim.sampling = parse_sampling(vm["sampling"].as<std::string>());
  sim.threads = parse_threads(vm["threads"].as<std::string>());
  if (evaluator == Evaluator::monte_carlo && sim.trials < 2) {
    throw Error("kcube simulate: --trials must be at least 2, got " + std::to_string(sim.trials));
  }
  const std::int64_t bootstrap = vm["bootstrap"].as<std::int64_t>();
  if (bootstrap < 0) {
    throw Error(
        "kcube simulate: --bootstrap must be 0 (off) or a number of resamples, e.g. "
        "2000; got " +
        std::to_string(bootstrap));
  }
  const std::uint64_t memory_limit = vm.count("memory-limit") != 0
                                         ? parse_memory_size(vm["memory-limit"].as<std::string>(),
                                                             "kcube simulate: --memory-limit")
                                         : default_memory_limit();

  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
  const PluginSpec profile_spec = parse_spec(vm["profile"].as<std::string>());
  const PluginSpec aggregator_spec = parse_spec(vm["aggregator"].as<std::string>());
  const auto scenario = registry.create<Scenario>(parse_spec(vm["scenario"].as<std::string>()));
  const auto profile = registry.create<ModelProfile>(profile_spec);
  const auto aggregator = registry.create<Aggregator>(aggregator_spec);
  // An aggregator reading answers or scores the profile has none of: refused before any work.
  require_compatible(profile.checked(), aggregator.checked());
  const Deployment deployment = scenario.checked().deployment();
  const std::string display_name = profile.checked().display_name();
  const bool stops_early = aggregator.checked().stops_early();

  std::vector<std::string> columns = kSpreadColumns;
  if (stops_early)
    columns.insert(columns.end(), kSamplesUsedColumns.begin(), kSamplesUsedColumns.end());
  for (const auto& column : scenario.checked().required_columns()) {
    if (std::find(columns.begin(), columns.end(), column) != columns.end())
      continue;
    const auto quantile = parse_quantile_column(column);
    if (!quantile) {
      throw Error("scenario '" + scenario.spec() + "' needs the column '" + column +
                  "', which kcube simulate cannot compute");
    }
    columns.push_back(column);
    sim.quantile_levels.push_back(quantile->second);
  }
  columns.push_back("trials");

  const auto start = std::chrono::steady_clock::now();
  CandidateTable table;
  std::vector<std::string> notes;
  std::string how;
  if (evaluator == Evaluator::exact) {
    // A measured curve brings its own quantile columns, if it has them (the scenario says if not).
    if (!sim.quantile_levels.empty() && !profile.checked().has_curve()) {
      throw Error("scenario '" + scenario.spec() +
                  "' has chance constraints, which need quantiles; the exact evaluator gives "
                  "expected values only: use --evaluator monte-carlo");
    }
    table = exact_candidates(profile.checked(), aggregator.checked(), deployment, notes);
    if (table.column("trials") == nullptr)  // a measured curve may say how it was measured
      table.columns["trials"] = std::vector<double>(table.rows.size(), 0.0);
    how = "exact evaluation";
  } else {
    // The thread-safety policy of kcube run too (run/profile_threads.hpp).
    sim.threads = simulation_threads(profile.plugin(), aggregator.plugin(), sim.threads);
    check_memory_limit(simulation_memory_bytes(deployment, sim, stops_early), memory_limit,
                       "kcube simulate: " + std::to_string(sim.trials) + " trials on " +
                           std::to_string(sim.threads) +
                           (sim.threads == 1 ? " thread" : " threads"));
    check_threads_start(sim.threads, "lower --threads");
    const ProfileObjects profiles = plugin_objects(
        profile, sim.threads, [&] { return registry.create<ModelProfile>(profile_spec); });
    const PluginObjects<Aggregator> aggregators = plugin_objects(
        aggregator, sim.threads, [&] { return registry.create<Aggregator>(aggregator_spec); });
    const std::uint64_t cell = cell_identity(profile.plugin().name(), profile.params(), deployment,
                                             profile.plugin().schema());
    const SimulationResult result =
        simulate(profiles.objects, aggregators.objects, cell, deployment, sim);
    table = result.table;
    notes = result.notes;
    how =
        std::to_string(sim.trials) + " trials, " + std::string(to_string(sim.sampling)) +
        " sampling, " +
        (result.exact_quantiles
             ? std::string("exact quantiles")
             : "histogram quantiles (cost within " +
                   text::format_fixed(result.quantile_resolution[0], 3) + " USD, latency within " +
                   text::format_fixed(result.quantile_resolution[1], 3) + " s, accuracy within " +
                   text::format_fixed(result.quantile_resolution[2], 3) + ")");
  }
  if (bootstrap > 0) {
    // As a manifest's run.bootstrap on replication 0: the same resamples, the same intervals.
    if (profile.checked().question_log().questions.empty()) {
      notes.push_back(
          "--bootstrap resamples questions of a sample log; this profile has none, so the "
          "table has no intervals");
    } else {
      const std::uint64_t cell = cell_identity(profile.plugin().name(), profile.params(),
                                               deployment, profile.plugin().schema());
      const QuestionCurves curves =
          evaluator == Evaluator::exact
              ? exact_question_curves(profile.checked(), aggregator.checked(), deployment)
              : simulated_question_curves(profile.checked(), aggregator.checked(), deployment,
                                          sim.trials, sim.seed, cell);
      Resamples resamples = resample(curves, bootstrap, sim.seed, cell);
      recenter(resamples, curves, table);
      add_intervals(table, resamples);
      columns.insert(columns.end(), kIntervalColumns.begin(), kIntervalColumns.end());
      how += ", " + std::to_string(bootstrap) + " resamples of the questions";
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (vm.count("output") != 0) {
    OutputFile out(vm["output"].as<std::string>(), "kcube simulate");
    write_candidate_csv(out.stream(), table, columns);
    out.close();
  } else {
    write_candidate_csv(std::cout, table, columns);
  }
  for (const auto& note : notes)
    std::cerr << "kcube simulate: note: " << text::printable(note) << '\n';
  std::cerr << "kcube simulate: " << text::printable(display_name) << ", aggregator "
            << text::printable(aggregator.spec()) << ", " << table.rows.size() << " values of k ("
            << deployment.k_step << " to " << table.rows.back().k << "), " << how << ", "
            << text::format_fixed(seconds, 3) << " s\n";
  return 0;
}

}  // namespace kcube::cli
