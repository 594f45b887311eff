// The kcube command-line tool.
#include <algorithm>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "kcube/error.hpp"
#include "kcube/plugin.hpp"
#include "kcube/random.hpp"
#include "run/team.hpp"
#include "util/text.hpp"

namespace {
namespace po = boost::program_options;
using kcube::cli::Args;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

const char* const kCommands =
    "Commands:\n"
    "  plugins list [--json]        loaded plugins by kind, and refused files with reasons\n"
    "  plugins describe NAME        a plugin's kind, version, file, summary and parameters\n"
    "  select CSV --scenario SPEC --optimizer SPEC [--optimizer SPEC ...] [--json]\n"
    "                               pick k from measured or simulated candidates\n"
    "  simulate --profile SPEC --scenario SPEC [--evaluator monte-carlo|exact] [--trials N]\n"
    "           [--seed S] [--sampling nested|independent] [--threads N] [-o FILE]\n"
    "                               the candidate table of a model profile on a deployment\n"
    "  fit LOG [-o PROFILE.yaml] [--predict K1,K2,...] [--first M] [--bootstrap B] [--json]\n"
    "                               fit the difficulty model to a sample log, compare its\n"
    "                               curves, predict larger k\n"
    "  validate MANIFEST [--set PATH=VALUE]...\n"
    "                               check an experiment manifest, report every problem\n"
    "  run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] [--shard I/N]\n"
    "      [--resume] [--fail-fast] [--cell-timeout SECONDS] [--memory-limit SIZE] [--quiet]\n"
    "                               run an experiment into the results store (SQLite);\n"
    "                               'mpirun -np N kcube run ...' shares it over N processes\n"
    "  runs STORE                   the runs in a store, with status and context\n"
    "  merge OUT PART... [--partial]\n"
    "                               merge the runs of shard stores (PART or PART:ID) into a\n"
    "                               new run of OUT\n"
    "  export STORE --table candidates|selections [--run ID] [--format csv|json] [-o FILE]\n"
    "                               a run's candidates or picks as CSV or JSON\n"
    "  report STORE [--run ID] [--out DIR] [--no-figures | --figures KINDS] [--format png|svg]\n"
    "         [--recommend RULE]    Markdown + self-contained HTML report: the recommended k\n"
    "                               first (RULE's picks, default knee-point), tables, figures\n"
    "  compare STORE [STORE_B] [--run A] [--run B] [--all]\n"
    "                               which picks differ between two runs, and by how much\n"
    "  new-plugin --kind KIND NAME DIR\n"
    "                               write a buildable out-of-tree plugin to start from\n"
    "  help [COMMAND [SUBCOMMAND]]  this help, or a command's (as 'kcube COMMAND --help')\n"
    "\n"
    "A plugin SPEC is NAME or NAME:key=value,key=value (e.g. knee-point:method=curvature).\n"
    "Plugins are searched in --plugin-path folders, then KCUBE_PLUGIN_PATH (colon-separated),\n"
    "then the built-in plugin folder. 'kcube help COMMAND' (or 'kcube COMMAND --help')\n"
    "describes a command.\n"
    "Exit codes: 0 success, 2 usage or input error, 1 failure at run time.\n";

const char* const kPluginsHelp =
    "Usage: kcube plugins list [--json]\n"
    "       kcube plugins describe NAME\n"
    "\n"
    "  list        loaded plugins by kind, and refused files with reasons\n"
    "  describe    a plugin's kind, version, file, summary and parameters\n"
    "\n"
    "'kcube plugins list --help' and 'kcube plugins describe --help' give their options.\n";

// The commands, for "did you mean" and 'kcube help COMMAND'.
const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = {
      "plugins", "select", "simulate", "fit",     "validate",   "run", "runs",
      "merge",   "export", "report",   "compare", "new-plugin", "help"};
  return names;
}

bool is_help(const std::string& word) {
  return word == "--help" || word == "-h";
}

std::string main_help(const po::options_description& options) {
  std::ostringstream out;
  out << "kcube " << KCUBE_VERSION
      << ": choose k for best-of-k LLM inference under accuracy, cost and latency "
         "budgets.\n\nUsage: kcube [--plugin-path DIR]... COMMAND [ARGS]\n       kcube help "
         "[COMMAND [SUBCOMMAND]]\n\n"
      << options << '\n'
      << kCommands;
  return out.str();
}

int dispatch(const std::string& command, Args args, const kcube::cli::GlobalOptions& global);

// kcube help [COMMAND [SUBCOMMAND]]: the help of the command, as 'kcube COMMAND --help' gives it.
int help(Args args, const kcube::cli::GlobalOptions& global,
         const po::options_description& options) {
  if (args.empty() || (args.size() == 1 && (args.front() == "help" || is_help(args.front())))) {
    std::cout << main_help(options);
    return kExitOk;
  }
  const std::string command = args.front();
  if (std::find(command_names().begin(), command_names().end(), command) == command_names().end()) {
    throw kcube::Error("kcube help: unknown command '" + command + "'" +
                       kcube::text::did_you_mean(command, command_names()) +
                       "; 'kcube help' lists the commands");
  }
  if (args.size() > 2) {
    throw kcube::Error(
        "kcube help: too many words; say 'kcube help COMMAND' or 'kcube help "
        "plugins list'");
  }
  args.erase(args.begin());
  args.push_back("--help");
  return dispatch(command, args, global);
}

int dispatch(const std::string& command, Args args, const kcube::cli::GlobalOptions& global) {
  if (command == "plugins") {
    if (args.empty()) {
      throw kcube::Error(
          "kcube plugins: say 'list' or 'describe NAME'; see 'kcube plugins --help'");
    }
    const std::string sub = args.front();
    if (is_help(sub)) {
      std::cout << kPluginsHelp;
      return kExitOk;
    }
    args.erase(args.begin());
    if (sub == "list")
      return kcube::cli::cmd_plugins_list(args, global);
    if (sub == "describe")
      return kcube::cli::cmd_plugins_describe(args, global);
    throw kcube::Error(
        "kcube plugins: unknown subcommand '" + sub + "'" +
        kcube::text::did_you_mean(sub, std::vector<std::string>{"list", "describe"}) +
        "; use 'list' or 'describe NAME' (see 'kcube plugins --help')");
  }
  if (command == "select")
    return kcube::cli::cmd_select(args, global);
  if (command == "simulate")
    return kcube::cli::cmd_simulate(args, global);
  if (command == "fit")
    return kcube::cli::cmd_fit(args, global);
  if (command == "validate")
    return kcube::cli::cmd_validate(args, global);
  if (command == "run")
    return kcube::cli::cmd_run(args, global);
  if (command == "runs")
    return kcube::cli::cmd_runs(args, global);
  if (command == "merge")
    return kcube::cli::cmd_merge(args, global);
  if (command == "export")
    return kcube::cli::cmd_export(args, global);
  if (command == "report")
    return kcube::cli::cmd_report(args, global);
  if (command == "compare")
    return kcube::cli::cmd_compare(args, global);
  if (command == "new-plugin")
    return kcube::cli::cmd_new_plugin(args, global);
  throw kcube::Error("unknown command '" + command + "'" +
                     kcube::text::did_you_mean(command, command_names()) +
                     "; run 'kcube help' for the commands");
}

int run(int argc, char** argv) {
  // Global options come before the command; everything from the command on is the command's.
  Args words(argv + 1, argv + argc);
  std::size_t first = 0;
  kcube::cli::GlobalOptions global;
  po::options_description options("Global options");
  options.add_options()("help,h", "show this help")("version", "show the version")(
      "plugin-path", po::value<std::vector<std::string>>()->value_name("DIR"),
      "search DIR for plugins first (repeatable)");
  while (first < words.size() && words[first].rfind("-", 0) == 0) {
    ++first;
    if (words[first - 1] == "--plugin-path" && first < words.size())
      ++first;
  }
  po::variables_map vm;
  try {
    const Args globals(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(first));
    po::store(po::command_line_parser(globals).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw kcube::Error(std::string("kcube: ") + e.what() + "; see 'kcube --help'");
  }
  if (vm.count("plugin-path") != 0) {
    global.plugin_paths = vm["plugin-path"].as<std::vector<std::string>>();
  }
  // The SIMD target of the normals, chosen now so that an invalid KCUBE_SIMD stops kcube before
  // any work (kcube::Error, exit 2) rather than at a trial's first draw.
  const kcube::SimdTarget simd = kcube::simd_target();
  if (vm.count("version") != 0) {
    std::cout << "kcube " << KCUBE_VERSION << " (plugin ABI " << kcube::kAbiVersion << ", "
              << kcube::to_string(kcube::BuildAbi{}) << ", " << kcube::mpi_support() << ", SIMD "
              << kcube::to_string(simd) << ")\n";
    return kExitOk;
  }
  if (vm.count("help") != 0 || first == words.size()) {
    std::cout << main_help(options);
    return first == words.size() && vm.count("help") == 0 ? kExitUsage : kExitOk;
  }
  const std::string command = words[first];
  Args rest(words.begin() + static_cast<std::ptrdiff_t>(first) + 1, words.end());
  if (command == "help")
    return help(std::move(rest), global, options);
  return dispatch(command, std::move(rest), global);
}

}  // namespace

int main(int argc, char** argv) {
  // Results go to standard output: a failed write (disk full, /dev/full, a closed descriptor)
  // must not end in exit 0 with the output cut short. A closed pipe still ends kcube quietly
  // by SIGPIPE (exit 141), as for any filter.
  kcube::cli::CheckedStdout output;
  int code = 0;
  try {
    code = run(argc, argv);
  } catch (...) {
    // Plugin calls are guarded where they are made; this is the last net, never std::terminate.
    const kcube::cli::Ending ending = kcube::cli::ending_of(std::current_exception());
    if (!ending.message.empty())
      std::cerr << ending.line() << '\n';
    code = ending.code;
  }
  if (const auto failure = output.finish()) {
    std::cerr << kcube::cli::Ending{1, "cannot write output: " + *failure}.line() << '\n';
    if (code == 0)
      code = 1;
  }
  return code;
}
