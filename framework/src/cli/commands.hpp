// Private: the CLI's subcommands. Each parses its own options (Boost.Program_options) from the
// words after its name and returns the process exit code: 0 success, 2 usage or input error,
// 1 failure at run time. Each may instead throw kcube::Error (mapped to 2) or
// kcube::RuntimeFailure (mapped to 1); main() prints the message.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "run/team.hpp"

namespace kcube::cli {

/// Options given before the subcommand.
struct GlobalOptions {
  /// --plugin-path DIR, in the order given.
  std::vector<std::string> plugin_paths;
};

/// The words after the subcommand's name.
using Args = std::vector<std::string>;

/// How the kcube command ends for an exception (run/team.hpp): main() and the MPI ranks both
/// end this way.
using kcube::Ending;
using kcube::ending_of;

/// kcube plugins list [--json]
int cmd_plugins_list(const Args& args, const GlobalOptions& global);
/// kcube plugins describe NAME
int cmd_plugins_describe(const Args& args, const GlobalOptions& global);
/// kcube select CANDIDATES.csv --scenario SPEC --optimizer SPEC... [--json]
int cmd_select(const Args& args, const GlobalOptions& global);
/// kcube simulate --profile SPEC --scenario SPEC [--evaluator E] [--trials N] [--seed S]
///                [--sampling S] [--threads N] [-o FILE]
int cmd_simulate(const Args& args, const GlobalOptions& global);
/// kcube fit LOG [-o PROFILE.yaml] [--predict K1,K2,...] [--json] [--first M] [--bootstrap B]
///           [--seed S] [--c-in X --c-out Y] [--t-in X --t-out Y] [--name NAME]
int cmd_fit(const Args& args, const GlobalOptions& global);
/// kcube validate MANIFEST [--set PATH=VALUE]...
int cmd_validate(const Args& args, const GlobalOptions& global);
/// kcube run MANIFEST [--store PATH] [--set PATH=VALUE]... [--threads N] [--resume] [--fail-fast]
///           [--cell-timeout SECONDS] [--quiet]
int cmd_run(const Args& args, const GlobalOptions& global);
/// kcube runs STORE
int cmd_runs(const Args& args, const GlobalOptions& global);
/// kcube merge OUT PART[:ID]... [--partial]
int cmd_merge(const Args& args, const GlobalOptions& global);
/// kcube export STORE --table candidates|selections [--run ID] [--format csv|json] [-o FILE]
int cmd_export(const Args& args, const GlobalOptions& global);
/// kcube report STORE [--run ID] [--out DIR] [--no-figures] [--format png|svg] [--jobs N]
int cmd_report(const Args& args, const GlobalOptions& global);
/// kcube compare STORE [STORE_B] [--run A] [--run B] [--all]
int cmd_compare(const Args& args, const GlobalOptions& global);
/// kcube new-plugin --kind KIND NAME DIR
int cmd_new_plugin(const Args& args, const GlobalOptions& global);

}  // namespace kcube::cli
