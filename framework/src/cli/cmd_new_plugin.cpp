// `kcube new-plugin --kind KIND NAME DIR`: writes a plugin folder that builds out of tree against
// the installed kcube (find_package + kcube_add_plugin), loads, and passes its own ctest tests.
#include <algorithm>
#include <cassert>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/plugin_templates.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

#ifndef KCUBE_VERSION
#error "KCUBE_VERSION must be defined by the build (see framework/CMakeLists.txt)"
#endif

namespace kcube::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

constexpr const char* kSynopsis = "kcube new-plugin --kind KIND NAME DIR";

/// What one kind of plugin is generated from.
struct KindTemplates {
  std::string_view kind;             ///< "model-profile", "scenario" or "optimizer".
  std::string_view summary;          ///< The descriptor's summary (also the describe test's regex).
  std::string_view source;           ///< <name>.cpp.
  std::string_view cmake_tests;      ///< Appended to templates::kCmakeHead; may be empty.
  std::string_view readme_computes;  ///< README: what it computes, after templates::kReadmeTitle.
  std::string_view readme_use;       ///< README: tests, use, editing, after kReadmeBuild.
  bool ships_candidates;             ///< Whether its tests read candidates.csv.
};

constexpr KindTemplates kKinds[] = {
    {"model-profile", templates::kModelProfileSummary, templates::kModelProfileSource, "",
     templates::kReadmeModelProfileComputes, templates::kReadmeModelProfile, false},
    {"scenario", templates::kScenarioSummary, templates::kScenarioSource,
     templates::kCmakeScenarioTests, templates::kReadmeScenarioComputes, templates::kReadmeScenario,
     true},
    {"optimizer", templates::kOptimizerSummary, templates::kOptimizerSource,
     templates::kCmakeOptimizerTests, templates::kReadmeOptimizerComputes,
     templates::kReadmeOptimizer, true},
};

/// One file of the generated folder.
struct GeneratedFile {
  /// File name inside DIR.
  std::string name;
  /// Its full text.
  std::string text;
  /// What it is for, printed after writing.
  std::string role;
};

/// Values of the @KEY@ placeholders.
using Substitutions = std::map<std::string, std::string, std::less<>>;

/// `tmpl` with every @KEY@ replaced by its value.
std::string render(std::string_view tmpl, const Substitutions& values) {
  std::string out;
  out.reserve(tmpl.size() + 256);
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    const std::size_t open = tmpl.find('@', pos);
    const std::size_t close = open == std::string_view::npos ? open : tmpl.find('@', open + 1);
    if (close == std::string_view::npos)
      break;
    const auto value = values.find(tmpl.substr(open + 1, close - open - 1));
    // The templates are ours: an '@' that is not a known placeholder is a bug in
    // plugin_templates.hpp. Copied verbatim if asserts are off.
    assert(value != values.end() && "unknown @KEY@ in plugin_templates.hpp");
    out += tmpl.substr(pos, open - pos);
    if (value == values.end()) {
      out += tmpl.substr(open, close - open);
      pos = close;
      continue;
    }
    out += value->second;
    pos = close + 1;
  }
  if (pos < tmpl.size())
    out += tmpl.substr(pos);
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

/// "0.1" from KCUBE_VERSION "0.1.0": find_package(kcube 0.1) accepts any 0.1.x, the versions
/// that share this plugin ABI.
std::string major_minor_version() {
  const std::string_view version = KCUBE_VERSION;
  const std::size_t first = version.find('.');
  const std::size_t second = first == std::string_view::npos ? first : version.find('.', first + 1);
  return std::string(version.substr(0, second));
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

/// The templates of `kind`; throws kcube::Error with "did you mean" for an unknown kind.
const KindTemplates& kind_templates(const std::string& kind) {
  std::vector<std::string> names;
  for (const KindTemplates& k : kKinds) {
    if (k.kind == kind)
      return k;
    names.emplace_back(k.kind);
  }
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

/// The files of plugin `name` of `kind`, rendered, in the order they are listed to the user.
std::vector<GeneratedFile> plugin_files(const KindTemplates& kind, const std::string& name) {
  const Substitutions values = {
      {"NAME", name},
      {"CLASS", class_name(name)},
      {"KIND", std::string(kind.kind)},
      {"SUMMARY", std::string(kind.summary)},
      {"KCUBE_VERSION", major_minor_version()},
  };
  std::vector<GeneratedFile> files;
  files.push_back({"CMakeLists.txt",
                   render(templates::kCmakeHead, values) + render(kind.cmake_tests, values),
                   "builds it with find_package(kcube) and registers its ctest tests"});
  files.push_back({name + ".cpp", render(kind.source, values),
                   "the plugin, class " + values.at("CLASS") + ": a working example to edit"});
  if (kind.ships_candidates) {
    files.push_back({"candidates.csv", std::string(templates::kCandidatesCsv),
                     "five candidates the select test reads"});
  }
  files.push_back({"README.md",
                   render(templates::kReadmeTitle, values) + render(kind.readme_computes, values) +
                       render(templates::kReadmeBuild, values) + render(kind.readme_use, values),
                   "what it computes; how to build, test, use and edit it"});
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
void print_summary(std::ostream& out, const KindTemplates& kind, const std::string& name,
                   const fs::path& dir, const std::vector<GeneratedFile>& files) {
  out << "Wrote " << kind.kind << " plugin '" << name << "' to " << dir.string() << ":\n";
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
      "optimizers, the candidates.csv its tests read.\n\n"
      "  KIND  model-profile, scenario or optimizer\n"
      "  NAME  the plugin's name, kebab-case (e.g. cheapest-feasible)\n"
      "  DIR   a folder that does not exist yet or is empty (nothing is ever overwritten)\n";
  return help;
}

}  // namespace

int cmd_new_plugin(const Args& args, const GlobalOptions& /*global*/) {
  po::options_description visible("Options");
  visible.add_options()("help,h", "print this help and exit")(
      "kind", po::value<std::string>()->value_name("KIND"),
      "what the plugin provides: model-profile, scenario or optimizer (required)");
  const po::variables_map vm = parse_positional(args, visible, {"name", "dir"}, "new-plugin");
  if (vm.count("help") != 0) {
    std::cout << help_text(visible);
    return 0;
  }
  if (vm.count("kind") == 0) {
    throw Error(
        "kcube new-plugin: --kind is missing; give model-profile, scenario or optimizer (usage: " +
        std::string(kSynopsis) + ")");
  }
  if (vm.count("name") == 0 || vm.count("dir") == 0) {
    throw Error("kcube new-plugin: NAME and DIR are required (usage: " + std::string(kSynopsis) +
                ")");
  }

  const KindTemplates& kind = kind_templates(vm["kind"].as<std::string>());
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
