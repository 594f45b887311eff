// `kcube new-plugin --kind KIND NAME DIR`: writes a plugin folder that builds out of tree against
// the installed kcube (find_package + kcube_add_plugin), loads, and passes its own ctest tests.
#include <algorithm>
#include <cassert>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/plugin_templates.hpp"  // generated from framework/templates/ by the build
#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr const char* kSynopsis = "kcube new-plugin --kind KIND NAME DIR";

/// The plugin kinds, as --kind spells them; framework/templates/<kind>/ is each one's template.
constexpr std::string_view kKinds[] = {"model-profile", "scenario", "optimizer", "aggregator"};

/// One file of the generated folder.
struct GeneratedFile {
  /// File name inside DIR.
  std::string name;
  /// Its full text.
  std::string text;
  /// What it is for, printed after writing.
  std::string role;
};

/// The names a template uses for its plugin and class, and their replacements.
struct Renaming {
  std::string from_name;   ///< "example-optimizer"
  std::string to_name;     ///< The NAME given ("cheapest-feasible").
  std::string from_class;  ///< "ExampleOptimizer"
  std::string to_class;    ///< class_name(NAME) ("CheapestFeasible").
};

/// `text` with the template's plugin name and class replaced by the new ones, in one pass.
std::string render(std::string_view text, const Renaming& renaming) {
  std::string out;
  out.reserve(text.size() + 256);
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos).starts_with(renaming.from_name)) {
      out += renaming.to_name;
      pos += renaming.from_name.size();
    } else if (text.substr(pos).starts_with(renaming.from_class)) {
      out += renaming.to_class;
      pos += renaming.from_class.size();
    } else {
      out += text[pos++];
    }
  }
  return out;
}

/// The C++ class for plugin `name`: "cheapest-feasible" -> "CheapestFeasible".
std::string class_name(std::string_view name) {
  std::string out;
  bool word_start = true;
  for (const char c : name) {
    if (c == '-') {
      word_start = true;
      continue;
    }
    out += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    word_start = false;
  }
  // Kebab-case may start with a digit; a C++ identifier may not.
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out.front()))) {
    out.insert(0, "Plugin");
  }
  return out;
}

/// A kebab-case spelling of `name` for the error message ("My_Rule" -> "my-rule"), or "".
std::string kebab_suggestion(std::string_view name) {
  std::string out;
  char previous = '\0';
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      // A camelCase boundary starts a word: "bestOfK" -> "best-of-k".
      if (std::isupper(u) && std::islower(static_cast<unsigned char>(previous)))
        out += '-';
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    previous = c;
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return text::is_kebab_case(out) ? out : std::string();
}

/// The prefix to give CMake (-DCMAKE_PREFIX_PATH) for the kcube that is running: the folder
/// above its bin/, which holds kcube's CMake package either as an install
/// (<prefix>/lib*/cmake/kcube/) or as a build tree (kcubeConfig.cmake at its top). Empty when
/// no package is found there.
std::optional<fs::path> package_prefix() try {
  std::error_code ec;
  // /proc/self/exe on Linux: where this executable really is, links resolved.
  const fs::path program = boost::dll::program_location(ec);
  if (ec)
    return std::nullopt;
  const fs::path prefix = program.parent_path().parent_path();
  // Where find_package looks: <prefix>/ (a build tree), <prefix>/lib*/cmake/kcube, also below a
  // multiarch lib/<triplet>/.
  std::vector<fs::path> package_dirs = {prefix, prefix / "lib" / "cmake" / "kcube",
                                        prefix / "lib64" / "cmake" / "kcube"};
  for (const auto& entry : fs::directory_iterator(prefix / "lib", ec)) {
    package_dirs.push_back(entry.path() / "cmake" / "kcube");
  }
  for (const fs::path& dir : package_dirs) {
    if (fs::exists(dir / "kcubeConfig.cmake", ec))
      return prefix;
  }
  return std::nullopt;
} catch (const fs::filesystem_error&) {
  return std::nullopt;  // only a hint in the printed commands
}

/// `word` quoted for a POSIX shell when it needs it.
std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_./:=+,%@-") == std::string::npos;
  if (plain)
    return word;
  std::string out = "'";
  for (const char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// The kinds' names, as --kind spells them.
std::vector<std::string> kind_names() {
  return {std::begin(kKinds), std::end(kKinds)};
}

/// `kind` if it is a plugin kind; throws kcube::Error with "did you mean" otherwise.
std::string_view checked_kind(const std::string& kind) {
  for (const std::string_view k : kKinds) {
    if (k == kind)
      return k;
  }
  const std::vector<std::string> names = kind_names();
  throw Error("kcube new-plugin: --kind '" + kind + "' is not a plugin kind" +
              text::did_you_mean(kind, names) + "; use one of " + text::join(names, ", "));
}

/// Throws kcube::Error, with a suggested spelling, unless `name` is kebab-case.
void check_name(const std::string& name) {
  if (text::is_kebab_case(name))
    return;
  const std::string suggestion = kebab_suggestion(name);
  throw Error("kcube new-plugin: NAME '" + name +
              "' is not kebab-case; use lower-case letters and digits in words joined by single "
              "hyphens" +
              (suggestion.empty() ? std::string(", e.g. 'cheapest-feasible'")
                                  : ", e.g. '" + suggestion + "'"));
}

/// Throws unless `dir` is absent or an empty folder: new-plugin never overwrites anything.
void check_dir_is_free(const fs::path& dir) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(dir, ec);
  if (status.type() == fs::file_type::not_found)
    return;
  if (status.type() == fs::file_type::none) {
    throw Error("kcube new-plugin: cannot examine DIR '" + dir.string() + "': " + ec.message());
  }
  if (!fs::is_directory(fs::status(dir, ec))) {
    throw Error("kcube new-plugin: DIR '" + dir.string() +
                "' exists and is not a folder; give a new folder (it is created) or an empty one");
  }
  fs::directory_iterator entries(dir, ec);
  if (ec) {
    throw Error("kcube new-plugin: cannot read DIR '" + dir.string() + "': " + ec.message());
  }
  if (entries != fs::directory_iterator()) {
    throw Error("kcube new-plugin: DIR '" + dir.string() + "' is not empty (it holds '" +
                entries->path().filename().string() +
                "'); new-plugin never overwrites files: give a new folder or an empty one");
  }
}

/// What `file` of a template is for, printed after writing.
std::string role(std::string_view file, const Renaming& renaming) {
  if (file == "CMakeLists.txt")
    return "builds it with find_package(kcube) and registers its ctest tests";
  if (file == "candidates.csv")
    return "five candidates the select test reads";
  if (file == "README.md")
    return "what it computes; how to build, test, use and edit it";
  if (file == "check-" + renaming.from_name + ".cpp")
    return "the aggregate test: the rule on hand-made paths, values worked out by hand";
  // The only other file framework/CMakeLists.txt embeds is the source, example-<kind>.cpp.
  assert(file == renaming.from_name + ".cpp" && "a template file new-plugin has no role for");
  return "the plugin, class " + renaming.to_class + ": a working example to edit";
}

/// The files of plugin `name` of `kind`: its template's, renamed, in the order of
/// framework/CMakeLists.txt.
std::vector<GeneratedFile> plugin_files(std::string_view kind, const std::string& name) {
  const std::string from_name = "example-" + std::string(kind);
  const Renaming renaming = {from_name, name, class_name(from_name), class_name(name)};
  std::vector<GeneratedFile> files;
  for (const templates::File& file : templates::kFiles) {
    if (file.kind == kind) {
      files.push_back(
          {render(file.path, renaming), render(file.text, renaming), role(file.path, renaming)});
    }
  }
  return files;
}

/// Creates `dir` and writes `files` into it; throws rather than overwrite anything.
void write_files(const fs::path& dir, const std::vector<GeneratedFile>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("kcube new-plugin: cannot create DIR '" + dir.string() + "': " + ec.message() +
                "; give a folder you can write to");
  }
  for (const GeneratedFile& file : files) {
    const fs::path path = dir / file.name;
    // DIR was empty a moment ago; refuse rather than overwrite if something appeared since.
    if (fs::exists(path, ec)) {
      throw Error("kcube new-plugin: '" + path.string() +
                  "' appeared while writing; not overwriting it");
    }
    std::ofstream out(path, std::ios::binary);
    out << file.text;
    out.close();
    if (!out)
      throw RuntimeFailure("kcube new-plugin: could not write '" + path.string() + "'");
  }
}

/// What was written and the commands to build, test and use it.
void print_summary(std::ostream& out, std::string_view kind, const std::string& name,
                   const fs::path& dir, const std::vector<GeneratedFile>& files) {
  out << "Wrote " << kind << " plugin '" << name << "' to " << dir.string() << ":\n";
  std::size_t width = 0;
  for (const GeneratedFile& file : files)
    width = std::max(width, file.name.size());
  for (const GeneratedFile& file : files) {
    out << "  " << file.name << std::string(width - file.name.size() + 2, ' ') << file.role << '\n';
  }
  const std::optional<fs::path> prefix = package_prefix();
  const std::string source = shell_quote(dir.string());
  const std::string build = shell_quote((dir / "build").string());
  out << "\nNext:\n"
      << "  cmake -S " << source << " -B " << build << " -DCMAKE_PREFIX_PATH="
      << (prefix ? shell_quote(prefix->string()) : "<kcube install prefix or build tree>") << '\n'
      << "  cmake --build " << build << '\n'
      << "  ctest --test-dir " << build << " --output-on-failure\n"
      << "  export KCUBE_PLUGIN_PATH=" << shell_quote((dir / "build" / "plugins").string()) << '\n'
      << "  kcube plugins describe " << name << '\n'
      << "Then edit " << (dir / (name + ".cpp")).string() << " (see README.md there).\n";
}

/// `kcube new-plugin --help`.
std::string help_text(const po::options_description& visible) {
  std::string help = usage(kSynopsis, visible);
  help +=
      "\nWrites a new plugin folder DIR that builds out of tree against this kcube:\n"
      "CMakeLists.txt (find_package(kcube) + kcube_add_plugin, with ctest tests), NAME.cpp (a\n"
      "small working example of the KIND interface), README.md and, for scenarios and\n"
      "optimizers, the candidates.csv its tests read; for aggregators, check-NAME.cpp, its\n"
      "unit test.\n\n"
      "  KIND  model-profile, scenario, optimizer or aggregator\n"
      "  NAME  the plugin's name, kebab-case (e.g. cheapest-feasible)\n"
      "  DIR   a folder that does not exist yet or is empty (nothing is ever overwritten)\n";
  return help;
}

}  // namespace

int cmd_new_plugin(const Args& args, const GlobalOptions& /*global*/) {
  po::options_description visible("Options");
  visible.add_options()("help,h", "print this help and exit")(
      "kind", po::value<std::string>()->value_name("KIND"),
      "what the plugin provides: model-profile, scenario, optimizer or aggregator (required)");
  const po::variables_map vm = parse_positional(args, visible, {"name", "dir"}, "new-plugin");
  if (vm.count("help") != 0) {
    std::cout << help_text(visible);
    return 0;
  }
  if (vm.count("kind") == 0) {
    throw Error("kcube new-plugin: --kind is missing; give one of " +
                text::join(kind_names(), ", ") + " (usage: " + std::string(kSynopsis) + ")");
  }
  if (vm.count("name") == 0 || vm.count("dir") == 0) {
    throw Error("kcube new-plugin: NAME and DIR are required (usage: " + std::string(kSynopsis) +
                ")");
  }

  const std::string_view kind = checked_kind(vm["kind"].as<std::string>());
  const std::string name = vm["name"].as<std::string>();
  check_name(name);
  const std::string dir_arg = vm["dir"].as<std::string>();
  if (dir_arg.empty())
    throw Error("kcube new-plugin: DIR is empty; give a folder path");
  fs::path dir = fs::absolute(dir_arg).lexically_normal();
  if (!dir.has_filename())
    dir = dir.parent_path();  // "demo/" names the folder "demo"
  check_dir_is_free(dir);

  const std::vector<GeneratedFile> files = plugin_files(kind, name);
  write_files(dir, files);
  print_summary(std::cout, kind, name, dir, files);
  return 0;
}

}  // namespace kcube::cli
