// kcube select CANDIDATES.csv --scenario SPEC --optimizer SPEC... [--json]
#include <cmath>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "engine/selection.hpp"
#include "host/spec.hpp"
#include "kcube/candidate_csv.hpp"
#include "kcube/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

void print_json(const std::vector<SelectionRecord>& records) {
  json::Writer w(std::cout);
  w.begin_array(json::Layout::lines);
  for (const SelectionRecord& r : records) {
    w.begin_object(json::Layout::spaced).key("optimizer").string(r.optimizer);
    w.key("spec").string(r.spec).key("status").string(to_string(r.status)).key("k").integer(r.k);
    w.key("cost").real(r.cost).key("latency").real(r.latency).key("accuracy").real(r.accuracy);
    w.key("score").real(r.score).key("feasible_count").integer(r.feasible);
    w.key("pareto_count").integer(r.pareto).key("reason").string(r.reason).end_object();
  }
  w.end_array();
  std::cout << '\n';
}

std::string cell(const std::optional<double>& value, int digits) {
  return value ? text::format_fixed(*value, digits) : "-";
}

std::string budget_text(double value, const char* unit) {
  return std::isinf(value) ? std::string("unbounded") : text::format_fixed(value, 6) + unit;
}

void print_text(const std::string& source, const CandidateTable& table,
                const PluginInstance<Scenario>& scenario, const Deployment& d,
                const AssessedTable& assessed, const std::vector<SelectionRecord>& records) {
  const Budget& b = assessed.budget;
  std::cout << "Scenario " << text::printable(scenario.spec()) << ": cost_max "
            << budget_text(b.cost_max, " USD") << ", latency_max "
            << budget_text(b.latency_max, " s") << ", accuracy_min "
            << text::format_fixed(b.accuracy_min, 6) << "; P = " << d.parallelism
            << ", k over multiples of " << d.k_step << " up to " << d.k_max << "\n";
  std::cout << "Candidates: " << table.rows.size() << " from " << source
            << "; feasible: " << assessed.feasible.size()
            << "; Pareto set of the feasible: " << assessed.pareto.size() << "\n";
  if (assessed.feasible.empty()) {
    std::cout << "Why no candidate is feasible (first ones by k):\n";
    for (std::size_t i = 0; i < table.rows.size() && i < 5; ++i) {
      std::cout << "  k " << table.rows[i].k << ": " << text::printable(assessed.verdicts[i].reason)
                << "\n";
    }
  }
  std::cout << "\n";
  Table out(
      {"optimizer", "status", "k", "cost (USD)", "latency (s)", "accuracy", "score", "reason"});
  for (const SelectionRecord& r : records) {
    out.add({r.spec, std::string(to_string(r.status)), r.k ? std::to_string(*r.k) : "-",
             cell(r.cost, 6), cell(r.latency, 6), cell(r.accuracy, 6), cell(r.score, 6), r.reason});
  }
  // A reason can be hundreds of characters: on a terminal it wraps under its column.
  out.print(std::cout, "", terminal_width());
}

}  // namespace

int cmd_select(const Args& args, const GlobalOptions& global) {
  po::options_description options("Options");
  options.add_options()("scenario", po::value<std::string>()->value_name("SPEC"),
                        "the scenario, e.g. budget:cost_max=0.5,latency_max=60")(
      "optimizer", po::value<std::vector<std::string>>()->value_name("SPEC"),
      "a rule to apply (repeatable, applied in the order given), e.g. knee-point:method=chord")(
      "json", "print a JSON array, one object per optimizer")("help,h", "show this help");
  add_plugin_path_option(options);
  const auto vm = parse_positional(args, options, {"candidates"}, "select");
  const std::string synopsis =
      "kcube select CANDIDATES.csv --scenario SPEC --optimizer SPEC [--optimizer SPEC ...] "
      "[--json]\n\nCANDIDATES.csv ('-' for standard input) has the columns k,cost,latency,"
      "accuracy\n(USD and seconds per request), optionally <metric>_std, <metric>_se and "
      "<metric>_pNN;\nother columns are ignored. Fields are separated by commas, or by tabs when "
      "the header\nhas tabs and no comma (TSV).";
  if (vm.count("help") != 0) {
    std::cout << usage(synopsis, options);
    return 0;
  }
  if (vm.count("candidates") == 0) {
    throw Error("kcube select: no candidate file; give a CSV path or '-' for standard input");
  }
  if (vm.count("scenario") == 0) {
    throw Error("kcube select: no --scenario; e.g. --scenario budget:cost_max=0.5,latency_max=60");
  }
  if (vm.count("optimizer") == 0) {
    throw Error(
        "kcube select: no --optimizer; e.g. --optimizer accuracy-max --optimizer "
        "knee-point");
  }
  const PluginSpec scenario_spec = parse_spec(vm["scenario"].as<std::string>());
  std::vector<PluginSpec> optimizer_specs;
  for (const auto& text : vm["optimizer"].as<std::vector<std::string>>()) {
    optimizer_specs.push_back(parse_spec(text));
  }

  const PluginRegistry registry = discover_plugins(plugin_paths(vm, global));
  const auto scenario = registry.create<Scenario>(scenario_spec);
  std::vector<PluginInstance<Optimizer>> optimizers;
  for (const auto& spec : optimizer_specs)
    optimizers.push_back(registry.create<Optimizer>(spec));

  const std::string source = vm["candidates"].as<std::string>();
  std::vector<std::string> notes;
  const CandidateTable table = read_candidate_csv_file(source, &notes);
  const AssessedTable assessed = assess(scenario, table);
  const Deployment deployment = scenario.checked().deployment();
  if (const std::string note = grid_note(assessed); !note.empty())
    notes.push_back(note);
  for (const auto& note : notes)
    std::cerr << "kcube select: note: " << text::printable(note) << "\n";

  std::vector<SelectionRecord> records;
  bool failed = false;
  for (const auto& optimizer : optimizers) {
    records.push_back(run_selection(optimizer, table, assessed));
    failed = failed || records.back().status == SelectionStatus::error;
  }
  if (vm.count("json") != 0) {
    print_json(records);
  } else {
    print_text(source == "-" ? "<stdin>" : source, table, scenario, deployment, assessed, records);
  }
  return failed ? 1 : 0;
}

}  // namespace kcube::cli
