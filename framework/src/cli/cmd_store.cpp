// kcube runs / export / report / compare: reading the results store.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "host/plugin_records.hpp"
#include "kcube/error.hpp"
#include "report/comparison.hpp"
#include "report/report.hpp"
#include "run/builds.hpp"
#include "store/store.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

// Opens an existing store for reading; reading commands never create one. A store this user may
// write is opened as `kcube run` opens it (an older schema is migrated in place, as documented);
// one they may not (a colleague's, a read-only folder or file system) is read without writing.
ResultStore open_for_reading(const std::string& path) {
  return store_writable(path) ? ResultStore::open(path) : ResultStore::open_read_only(path);
}

ResultStore open_existing(const po::variables_map& vm, const std::string& command) {
  if (vm.count("store") == 0) {
    throw Error("kcube " + command + ": which store? e.g. 'kcube " + command +
                " results/paper-2025.sqlite'");
  }
  const std::string path = vm["store"].as<std::string>();
  // Anything else that exists (a folder, a device, a FIFO) is refused by the store, saying what.
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error("kcube " + command + ": no results store at '" + path +
                "'; 'kcube run MANIFEST' creates one (see its last line for the path)");
  }
  return open_for_reading(path);
}

// A run's status as `kcube runs` shows it: as stored, but `stopped` for a running run whose
// process is gone (it was killed, or its machine restarted); --resume takes it over.
std::string shown_status(const RunSummary& r) {
  if (r.status == RunStatus::running && process_gone(r.writer))
    return "stopped";
  return std::string(to_string(r.status));
}

}  // namespace

namespace {

// The lines saying which builds the cells of run `r` come from, when more than one.
std::vector<std::string> build_lines(ResultStore& store, const RunSummary& r) {
  if (!r.mixed_builds)
    return {};
  return build_change_lines(store.load_run_cells(r.id).context.build_changes);
}

// kcube runs --json: an array with an object per run (README, "kcube runs --json").
void print_runs_json(ResultStore& store, const std::vector<RunSummary>& runs) {
  json::Writer w(std::cout);
  w.begin_array(json::Layout::lines);
  for (const RunSummary& r : runs) {
    w.begin_object(json::Layout::spaced).key("run").integer(r.id);
    w.key("experiment").string(r.experiment).key("status").string(shown_status(r));
    w.key("started").string(r.started_at).key("finished").string_or_null(r.finished_at);
    w.key("cells").integer(r.cell_count).key("cells_finished").integer(r.cells_finished);
    w.key("cells_failed").integer(r.cells_failed).key("shard");
    if (r.shard_count > 0) {
      w.begin_object(json::Layout::spaced).key("index").integer(r.shard_index);
      w.key("count").integer(r.shard_count).end_object();
    } else {
      w.null();
    }
    w.key("merged").boolean(r.merged).key("ranks").integer(r.ranks);
    w.key("overrides").begin_array(json::Layout::spaced);
    for (std::size_t from = 0; from < r.overrides.size();) {
      const std::size_t end = std::min(r.overrides.find('\n', from), r.overrides.size());
      w.string(std::string_view(r.overrides).substr(from, end - from));
      from = end + 1;
    }
    w.end_array().key("manifest_sha256").string(r.manifest_sha256);
    w.key("build_changes").begin_array(json::Layout::spaced);
    for (const std::string& line : build_lines(store, r))
      w.string(line);
    w.end_array().key("engine_version").integer(r.engine_version).end_object();
  }
  w.end_array();
  std::cout << '\n';
}

}  // namespace

int cmd_runs(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("json", "print a JSON array, one object per run")("help,h",
                                                                          "show this help");
  const auto vm = parse_positional(args, options, {"store"}, "runs");
  if (vm.count("help") != 0) {
    std::cout << usage("kcube runs STORE [--json]", options);
    return 0;
  }
  ResultStore store = open_existing(vm, "runs");
  const std::vector<RunSummary> runs = store.runs();
  if (vm.count("json") != 0) {
    print_runs_json(store, runs);
    return 0;
  }
  // shard: "2/4" for `kcube run --shard 2/4`, "merged" for a run of `kcube merge`, "-" for a
  // whole run; ranks: MPI processes; engine: the engine version of its Monte Carlo numbers.
  Table table({"run", "experiment", "status", "started", "finished", "cells", "errors", "shard",
               "ranks", "overrides", "manifest sha256", "engine"});
  for (const RunSummary& r : runs) {
    std::string overrides = r.overrides;
    std::replace(overrides.begin(), overrides.end(), '\n', ' ');
    const std::string shard =
        r.shard_count > 0 ? std::to_string(r.shard_index) + "/" + std::to_string(r.shard_count)
                          : (r.merged ? "merged" : "-");
    table.add({std::to_string(r.id), r.experiment, shown_status(r), r.started_at,
               r.finished_at.empty() ? "-" : r.finished_at,
               std::to_string(r.cells_finished) + "/" + std::to_string(r.cell_count),
               std::to_string(r.cells_failed), shard, std::to_string(r.ranks),
               overrides.empty() ? "-" : overrides, r.manifest_sha256.substr(0, 12),
               std::to_string(r.engine_version)});
  }
  table.print(std::cout);
  // What each engine version of the store's runs changed: why their Monte Carlo numbers differ.
  std::set<int> versions;
  for (const RunSummary& r : runs)
    versions.insert(r.engine_version);
  if (versions.size() > 1) {
    const auto known = store.engine_versions();
    std::cout << "The runs were made by " << versions.size()
              << " engine versions; Monte Carlo numbers differ between them:\n";
    for (const int v : versions)
      std::cout << "  engine " << v << ": " << text::printable(engine_version_summary(v, known))
                << "\n";
  }
  // Runs whose cells come from more than one build (--resume or merge with
  // --allow-changed-plugins): which builds from when.
  for (const RunSummary& r : runs) {
    if (!r.mixed_builds)
      continue;
    const RunContext context = store.load_run_cells(r.id).context;
    std::cout << "run " << r.id << " mixes builds: it began with kcube " << context.kcube_version
              << " and the plugins `kcube report` lists, then went on";
    for (const std::string& line : build_change_lines(context.build_changes))
      std::cout << "\n  " << line;
    std::cout << "\n";
  }
  return 0;
}

namespace {

// A run that did not finish exports what it has: says so on stderr, so that nobody takes the
// export for the whole study. Unknown runs are left to export_table's message.
void warn_if_incomplete(ResultStore& store, std::optional<std::int64_t> run) {
  const auto runs = store.runs();
  if (runs.empty())
    return;
  const auto it = run ? std::find_if(runs.begin(), runs.end(),
                                     [&](const RunSummary& r) { return r.id == *run; })
                      : runs.end() - 1;
  if (it == runs.end() || it->status == RunStatus::finished)
    return;
  std::cerr << "kcube export: warning: run " << it->id << " is " << shown_status(*it) << ": "
            << it->cells_finished << " of its " << it->cell_count << " cells are stored finished"
            << (it->cells_failed > 0 ? ", " + std::to_string(it->cells_failed) + " with an error"
                                     : std::string())
            << "; the export holds only those ("
            << (it->status == RunStatus::running && !process_gone(it->writer)
                    ? "it may still be running"
                    : "`kcube run MANIFEST --resume` with the run's --set options completes it")
            << ")\n";
}

}  // namespace

int cmd_export(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("table", po::value<std::string>()->value_name("NAME"),
                        "candidates or selections")(
      "run", po::value<std::int64_t>()->value_name("ID"), "which run (default: the newest)")(
      "format", po::value<std::string>()->default_value("csv")->value_name("FORMAT"),
      "csv or json")("output,o", po::value<std::string>()->value_name("FILE"),
                     "write here, not to stdout")("help,h", "show this help");
  const auto vm = parse_positional(args, options, {"store"}, "export");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube export STORE --table candidates|selections [--run ID] "
        "[--format csv|json] [-o FILE]",
        options);
    return 0;
  }
  const std::string table_name = vm.count("table") ? vm["table"].as<std::string>() : "";
  if (table_name != "candidates" && table_name != "selections") {
    throw Error("kcube export: --table must be candidates or selections");
  }
  const std::string format_name = vm["format"].as<std::string>();
  if (format_name != "csv" && format_name != "json") {
    throw Error("kcube export: --format must be csv or json, got '" + format_name + "'");
  }
  ResultStore store = open_existing(vm, "export");
  const auto table =
      table_name == "candidates" ? kcube::Table::candidates : kcube::Table::selections;
  const auto format = format_name == "csv" ? Format::csv : Format::json;
  const std::optional<std::int64_t> run =
      vm.count("run") ? std::optional<std::int64_t>(vm["run"].as<std::int64_t>()) : std::nullopt;
  warn_if_incomplete(store, run);
  std::vector<std::string> notes;
  if (vm.count("output") != 0) {
    OutputFile out(vm["output"].as<std::string>(), "kcube export");
    notes = store.export_table(out.stream(), table, run, format);
    out.close();
  } else {
    notes = store.export_table(std::cout, table, run, format);
  }
  for (const std::string& note : notes)
    std::cerr << "kcube export: warning: " << text::printable(note) << "\n";
  return 0;
}

}  // namespace kcube::cli

namespace kcube::cli {

int cmd_report(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("run", po::value<std::int64_t>()->value_name("ID"),
                        "which run (default: the newest)")(
      "out,o", po::value<std::string>()->value_name("DIR"),
      "report folder (default: the store's path without .sqlite, plus -report)")(
      "no-figures", "tables only; do not call the plotting tool")(
      "figures", po::value<std::string>()->default_value("all")->value_name("KINDS"),
      "the kinds of figure to draw, comma-separated: space, efficiency, accuracy, fronts, "
      "sweep, aggregators, fit; or all, or none (= --no-figures)")(
      "format", po::value<std::string>()->default_value("png")->value_name("png|svg"),
      "figure file format")("dpi", po::value<int>()->default_value(90)->value_name("N"),
                            "resolution of PNG figures (90: at most 648 px wide)")(
      "jobs", po::value<int>()->default_value(0)->value_name("N"),
      "figures drawn in parallel (default: the plotting tool's)")(
      "recommend", po::value<std::string>()->value_name("RULE"),
      "the optimizer (manifest key) whose picks the Recommendation section recommends "
      "(default: knee-point)")("help,h", "show this help");
  add_plugin_path_option(options);
  const auto vm = parse_positional(args, options, {"store"}, "report");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube report STORE [--run ID] [--out DIR] [--no-figures | --figures KINDS]\n"
        "                   [--format png|svg] [--recommend RULE]\n"
        "\nWrites DIR/report.md, a self-contained DIR/report.html, DIR/tables/*.csv and\n"
        "DIR/figures/. Figures are drawn by tools/kcube_plot.py with matplotlib\n"
        "(KCUBE_PYTHON selects the interpreter).",
        options);
    return 0;
  }
  ResultStore store = open_existing(vm, "report");
  std::filesystem::path out;
  if (vm.count("out") != 0) {
    out = vm["out"].as<std::string>();
  } else {
    std::filesystem::path stem = vm["store"].as<std::string>();
    out = stem.replace_extension().string() + "-report";
  }
  report::ReportOptions report_options;
  if (vm.count("recommend") != 0)
    report_options.recommend = vm["recommend"].as<std::string>();
  report::PlotOptions& plot = report_options.plot;
  plot.kinds = report::parse_figure_kinds(vm["figures"].as<std::string>());
  plot.enabled = vm.count("no-figures") == 0 && !plot.kinds.empty();
  plot.format = vm["format"].as<std::string>();
  plot.dpi = vm["dpi"].as<int>();
  plot.jobs = vm["jobs"].as<int>();
  if (plot.dpi < 30 || plot.dpi > 600)
    throw Error("kcube report: --dpi must be between 30 and 600, got " + std::to_string(plot.dpi));
  if (plot.jobs < 0)
    throw Error("kcube report: --jobs must be at least 1 (or 0 for the default)");
  const std::optional<std::int64_t> run =
      vm.count("run") ? std::optional<std::int64_t>(vm["run"].as<std::int64_t>()) : std::nullopt;
  // The run's plugins come from the library files it recorded, searched after --plugin-path:
  // a plugin that is still where the run found it needs no --plugin-path.
  const std::vector<PluginRecord> recorded = store.load_run_cells(run).context.plugins;
  std::vector<std::string> paths = plugin_paths(vm, global);
  for (const auto& file : recorded_plugin_files(recorded))
    paths.push_back(file.string());
  const PluginRegistry registry = discover_plugins(paths);
  const report::ReportFiles files = report::write_report(store, run, out, registry, report_options);
  for (const auto& w : recorded_plugin_problems(recorded, registry))
    std::cerr << "kcube report: warning: " << text::printable(w) << "\n";
  for (const auto& w : files.warnings)
    std::cerr << "kcube report: note: " << text::printable(w) << "\n";
  std::cout << "report:  " << files.markdown.string() << "\n"
            << "html:    " << files.html.string() << "\n"
            << "tables:  " << files.tables << " CSV files in " << (out / "tables").string() << "\n"
            << "figures: ";
  if (!files.figures.empty())
    std::cout << files.figures.size() << " files in " << (out / "figures").string() << "\n";
  else
    std::cout << (plot.enabled                  ? "none (" + files.figures_note + ")"
                  : vm.count("no-figures") != 0 ? std::string("none (--no-figures)")
                                                : std::string("none (--figures none)"))
              << "\n";
  return files.figures_failed ? 1 : 0;
}

namespace {

// Runs that ran different things are still compared, but first standard error says how they
// differ: otherwise the table of a comparison of two experiments is all "(absent)" rows.
void warn_of_differences(const StoredRun& a, const StoredRun& b,
                         const report::RunDifferences& differences) {
  const std::vector<std::string> lines = report::describe_differences(a, b, differences);
  if (lines.empty())
    return;
  if (differences.unmatched())
    std::cerr << "kcube compare: warning: runs A (" << a.summary.id << ") and B (" << b.summary.id
              << ") ran different things; picks of one without a match in the other are listed "
                 "as absent:\n";
  else if (differences.manifest)
    std::cerr << "kcube compare: note: runs A (" << a.summary.id << ") and B (" << b.summary.id
              << ") come from different manifests with the same cells:\n";
  else
    std::cerr << "kcube compare: note: runs A (" << a.summary.id << ") and B (" << b.summary.id
              << ") ran the same cells with different engines:\n";
  for (const std::string& line : lines)
    std::cerr << "  " << line << "\n";
}

}  // namespace

int cmd_compare(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("run", po::value<std::vector<std::int64_t>>()->value_name("ID"),
                        "a run to compare (give it twice for one store; default: the two "
                        "newest runs, or each store's newest)")("all",
                                                                "list the picks that agree too")(
      "json", "print one JSON object: both runs, how they differ, the picks and the counts")(
      "help,h", "show this help");
  const auto vm = parse_positional(args, options, {"store", "store-b"}, "compare");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube compare STORE --run A --run B | kcube compare STORE_A STORE_B [--run A --run B] "
        "[--all] [--json]\n"
        "\nRuns of different experiments, manifests, profiles, scenarios, optimizers, sweep\n"
        "points or replication counts are still compared; standard error says first how they\n"
        "differ (their unmatched picks are listed as absent).",
        options);
    return 0;
  }
  ResultStore a_store = open_existing(vm, "compare");
  std::optional<ResultStore> b_store;
  if (vm.count("store-b") != 0) {
    const std::string path = vm["store-b"].as<std::string>();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw Error("kcube compare: no results store at '" + path + "'");
    b_store = open_for_reading(path);
  }
  const std::vector<std::int64_t> ids =
      vm.count("run") ? vm["run"].as<std::vector<std::int64_t>>() : std::vector<std::int64_t>{};
  if (ids.size() > 2)
    throw Error("kcube compare: give --run at most twice (run A, then run B)");
  std::optional<std::int64_t> a_id, b_id;
  if (!b_store) {
    if (ids.size() == 1)
      throw Error(
          "kcube compare: with one store, give --run twice (A and B) or not at all "
          "(the two newest runs)");
    if (ids.empty()) {
      const auto runs = a_store.runs();
      if (runs.size() < 2)
        throw Error("kcube compare: the store '" + a_store.path() + "' holds " +
                    std::to_string(runs.size()) +
                    " run(s); comparing needs two (or a second store)");
      a_id = runs[runs.size() - 2].id;
      b_id = runs.back().id;
    } else {
      a_id = ids[0];
      b_id = ids[1];
    }
  } else if (!ids.empty()) {
    if (ids.size() != 2)
      throw Error(
          "kcube compare: with two stores, give --run twice (A's run, then B's) or not "
          "at all (each store's newest)");
    a_id = ids[0];
    b_id = ids[1];
  }
  const StoredRun a = a_store.load_run(a_id);
  const StoredRun b = (b_store ? *b_store : a_store).load_run(b_id);
  const std::string& b_path = (b_store ? *b_store : a_store).path();
  const report::RunDifferences differences = report::run_differences(a, b);
  warn_of_differences(a, b, differences);
  const auto picks = report::compare_runs(a, b);
  if (vm.count("json") != 0)
    report::write_comparison_json(std::cout, a, a_store.path(), b, b_path, differences, picks,
                                  vm.count("all") != 0);
  else
    report::print_comparison(std::cout, a, a_store.path(), b, b_path, picks, vm.count("all") != 0);
  return 0;
}

}  // namespace kcube::cli
