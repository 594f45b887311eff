// Private: what the CLI subcommands share: plain-text tables, option parsing, registry set-up.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "host/plugin_host.hpp"

namespace kcube::cli {

/// A stream buffer that writes through a C stream (FILE*) and remembers the errno of the first
/// write that failed, so that "cannot write output" can say why ("No space left on device") even
/// when the failure happened long before the end. Unbuffered itself: C's buffering (line-buffered
/// on a terminal) stays as it was.
class CheckedBuffer;

/// Standard output that knows whether everything printed arrived. Routes std::cout through C's
/// stdout with a CheckedBuffer while it lives (main() makes one before running a command).
class CheckedStdout {
 public:
  CheckedStdout();
  ~CheckedStdout();
  CheckedStdout(const CheckedStdout&) = delete;
  CheckedStdout& operator=(const CheckedStdout&) = delete;
  /// Flushes std::cout and stdout. Why a write to standard output failed (strerror text), or
  /// nullopt when all output arrived.
  std::optional<std::string> finish();

 private:
  std::unique_ptr<CheckedBuffer> buffer_;
  std::streambuf* previous_;
};

/// A file written by `-o FILE`, checked like standard output: close() says why a write failed.
class OutputFile {
 public:
  /// Creates or truncates `path`. Throws kcube::Error naming `command`, the file and the reason
  /// when it cannot be opened.
  OutputFile(const std::filesystem::path& path, const std::string& command);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  /// The stream to write to.
  std::ostream& stream() { return *stream_; }
  /// Flushes and closes the file. Throws kcube::RuntimeFailure "COMMAND: cannot write 'PATH':
  /// REASON" when any write failed.
  void close();

 private:
  std::filesystem::path path_;
  std::string command_;
  std::FILE* file_;
  std::unique_ptr<CheckedBuffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
};

/// A plain-text table with left-aligned columns, printed with two spaces between columns. Cells
/// are shown with text::printable (control characters and line breaks as \xNN).
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  /// Adds a row (as many cells as the header).
  void add(std::vector<std::string> row);
  /// Prints header, a rule and rows, each line prefixed by `indent`. With `max_width` (a
  /// terminal's width, terminal_width()), a last column that would make lines longer is wrapped
  /// at spaces onto continuation lines aligned under it, or, when that leaves it fewer than 24
  /// columns, printed under its row (indented by 4, wrapped to the width; the header says
  /// "(reason below)"). Nothing is cut.
  void print(std::ostream& out, const std::string& indent = "",
             std::optional<std::size_t> max_width = std::nullopt) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// The width of the terminal standard output goes to: COLUMNS when it is a number > 0, else the
/// kernel's (TIOCGWINSZ), else 100. nullopt when standard output is not a terminal (a file or a
/// pipe gets whole lines).
std::optional<std::size_t> terminal_width();

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
