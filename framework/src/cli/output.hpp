// Private: what the CLI subcommands share: plain-text tables, option parsing, registry set-up.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "commands.hpp"
#include "plugin_host.hpp"

namespace kcube::cli {

/// A plain-text table with left-aligned columns, printed with two spaces between columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  /// Adds a row (as many cells as the header).
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Prints header, a rule and rows, each line prefixed by `indent`.
  void print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// Adds `--plugin-path DIR` (repeatable) to a subcommand's options.
void add_plugin_path_option(boost::program_options::options_description& options);

/// The --plugin-path folders given before the subcommand, then those given after it.
std::vector<std::string> plugin_paths(const boost::program_options::variables_map& vm,
                                      const GlobalOptions& global);

/// Parses a subcommand's words. Throws kcube::Error naming `command` and its usage on unknown
/// options or missing values.
boost::program_options::variables_map parse(
    const Args& args, const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description& positional,
    const std::string& command);

/// Parses a subcommand's words where the options are `options` plus positional arguments, the
/// i-th stored under `positional_names[i]` as a string (e.g. {"manifest"}).
boost::program_options::variables_map parse_positional(
    const Args& args, const boost::program_options::options_description& options,
    const std::vector<std::string>& positional_names, const std::string& command);

/// Discovers plugins on the command line's --plugin-path folders, KCUBE_PLUGIN_PATH and the
/// built-in folder.
PluginRegistry discover_plugins(const std::vector<std::string>& plugin_paths);

/// The usage text of `options` for `kcube COMMAND`.
std::string usage(const std::string& synopsis,
                  const boost::program_options::options_description& options);

}  // namespace kcube::cli
