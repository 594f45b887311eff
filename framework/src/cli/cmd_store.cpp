// kcube runs STORE | kcube export STORE --table candidates|selections ...
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "kcube/error.hpp"
#include "output.hpp"
#include "store.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

// Opens an existing store; reading commands never create one.
ResultStore open_existing(const po::variables_map& vm, const std::string& command) {
  if (vm.count("store") == 0) {
    throw Error("kcube " + command + ": which store? e.g. 'kcube " + command +
                " results/paper-2025.sqlite'");
  }
  const std::string path = vm["store"].as<std::string>();
  if (!std::filesystem::is_regular_file(path)) {
    throw Error("kcube " + command + ": no results store at '" + path +
                "'; 'kcube run MANIFEST' creates one (see its last line for the path)");
  }
  return ResultStore::open(path);
}

}  // namespace

int cmd_runs(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help");
  const auto vm = parse_positional(args, options, {"store"}, "runs");
  if (vm.count("help") != 0) {
    std::cout << usage("kcube runs STORE", options);
    return 0;
  }
  ResultStore store = open_existing(vm, "runs");
  Table table({"run", "experiment", "status", "started", "finished", "cells", "errors", "overrides",
               "manifest sha256"});
  for (const RunSummary& r : store.runs()) {
    std::string overrides = r.overrides;
    std::replace(overrides.begin(), overrides.end(), '\n', ' ');
    table.add({std::to_string(r.id), r.experiment, std::string(to_string(r.status)), r.started_at,
               r.finished_at.empty() ? "-" : r.finished_at,
               std::to_string(r.cells_finished) + "/" + std::to_string(r.cell_count),
               std::to_string(r.cells_failed), overrides.empty() ? "-" : overrides,
               r.manifest_sha256.substr(0, 12)});
  }
  table.print(std::cout);
  return 0;
}

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
  if (vm.count("output") != 0) {
    const std::string path = vm["output"].as<std::string>();
    std::ofstream out(path);
    if (!out)
      throw Error("kcube export: cannot write '" + path + "'");
    store.export_table(out, table, run, format);
    out.close();
    if (!out)
      throw RuntimeFailure("kcube export: writing '" + path + "' failed");
  } else {
    store.export_table(std::cout, table, run, format);
  }
  return 0;
}

}  // namespace kcube::cli
