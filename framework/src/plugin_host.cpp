#include "plugin_host.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include <boost/dll/runtime_symbol_info.hpp>

#include "param_validation.hpp"
#include "sha256.hpp"
#include "text.hpp"

namespace kcube {
namespace fs = std::filesystem;

namespace {

// Hex SHA-256 of the file at `path`; empty when it cannot be read.
std::string file_sha256_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 hash;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    hash.update({buffer.data(), static_cast<std::size_t>(in.gcount())});
  }
  return in.bad() || !in.eof() ? std::string() : hash.hex();
}

}  // namespace

LoadedPlugin::LoadedPlugin(boost::dll::shared_library library, const PluginDescriptor* descriptor,
                           fs::path file)
    : library_(std::move(library)),
      descriptor_(descriptor),
      file_(std::move(file)),
      file_sha256_(file_sha256_of(file_)) {}

std::string LoadedPlugin::label() const {
  return "'" + std::string(name()) + "' (" + file_.string() + ")";
}

fs::path builtin_plugin_dir() {
  // This function lives in libkcube, which sits in the same lib/ folder as kcube/plugins/ in
  // both the build tree and an install.
  return boost::dll::this_line_location().parent_path() / KCUBE_PLUGIN_SUBDIR;
}

std::string ownership_problem(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return "cannot be examined: " + std::string(std::strerror(errno));
  }
  const bool is_dir = S_ISDIR(info.st_mode);
  const std::string what = is_dir ? "folder" : "file";
  if ((info.st_mode & S_IWOTH) != 0) {
    return "the " + what +
           " is world-writable, so any user could replace the code kcube would run; fix: chmod "
           "o-w '" +
           path.string() + "'";
  }
  if (info.st_uid != ::geteuid() && info.st_uid != 0) {
    return "the " + what + " is owned by user id " + std::to_string(info.st_uid) +
           ", neither you (user id " + std::to_string(::geteuid()) +
           ") nor root, so its owner could change the code kcube would run; fix: chown it to "
           "yourself or root, or copy it into a folder you own";
  }
  return {};
}

namespace {

// Bad parameters listed in one message; a spec with thousands of them gets a count of the rest.
constexpr std::size_t kMaxListedProblems = 20;

// Problems with the descriptor's fields other than the ABI version (checked first, alone).
std::vector<std::string> descriptor_problems(const PluginDescriptor& d) {
  std::vector<std::string> problems;
  const auto kind = static_cast<std::uint32_t>(d.kind);
  if (kind < 1 || kind > 3)
    problems.push_back("unknown kind " + std::to_string(kind));
  if (d.name == nullptr || !text::is_kebab_case(d.name)) {
    problems.push_back("name '" + std::string(d.name ? d.name : "(null)") +
                       "' is not kebab-case (lower-case letters and digits joined by '-')");
  }
  if (d.version == nullptr || *d.version == '\0')
    problems.push_back("no version");
  if (d.summary == nullptr)
    problems.push_back("no summary");
  if (d.create == nullptr)
    problems.push_back("no factory");
  const auto safety = static_cast<std::uint32_t>(d.thread_safety);
  if (safety < 1 || safety > 3)
    problems.push_back("unknown thread-safety level");
  if (d.param_count > 0 && d.params == nullptr) {
    problems.push_back("param_count is " + std::to_string(d.param_count) + " but params is null");
  } else {
    for (auto& p : check_schema({d.params, d.param_count}))
      problems.push_back(std::move(p));
  }
  return problems;
}

// "an optimizer", "a scenario", "a model-profile".
std::string with_article(PluginKind kind) {
  const std::string name(to_string(kind));
  return (name.front() == 'o' ? "an " : "a ") + name;
}

std::vector<fs::path> split_path_list(const char* list) {
  std::vector<fs::path> out;
  if (list == nullptr)
    return out;
  std::string_view rest(list);
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    // An empty entry would mean "the current directory" in PATH-like lists; kcube never
    // searches it implicitly, so empty entries are skipped.
    if (colon != 0)
      out.emplace_back(std::string(rest.substr(0, colon)));
    if (colon == std::string_view::npos)
      break;
    rest.remove_prefix(colon + 1);
  }
  return out;
}

std::vector<fs::path> plugin_files(const fs::path& dir, std::vector<Refusal>& refusals) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& file = it->path();
    if (file.extension() != ".so")
      continue;
    std::error_code type_ec;
    if (!fs::is_regular_file(file, type_ec))
      continue;  // follows links
    files.push_back(file);
  }
  if (ec)
    refusals.push_back({dir, "the folder cannot be read: " + ec.message()});
  std::sort(files.begin(), files.end());  // a deterministic discovery order
  return files;
}

}  // namespace

std::variant<std::shared_ptr<const LoadedPlugin>, Refusal> admit(const fs::path& file) {
  if (auto problem = ownership_problem(file); !problem.empty())
    return Refusal{file, problem};

  boost::dll::shared_library library;
  try {
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return Refusal{file, std::string("cannot be loaded as a shared library: ") + e.what() +
                             "; check that it was built for this platform and that the "
                             "libraries it needs are installed (ldd shows them)"};
  }
  if (!library.has("kcube_plugin")) {
    return Refusal{file,
                   "not a kcube plugin: it exports no 'kcube_plugin' descriptor (a plugin "
                   "exports one with KCUBE_EXPORT_PLUGIN); move other libraries out of the "
                   "plugin path"};
  }
  const auto* descriptor = &library.get_alias<const PluginDescriptor>("kcube_plugin");
  if (descriptor == nullptr) {
    return Refusal{file, "its 'kcube_plugin' descriptor is a null pointer; fix the plugin"};
  }
  // The ABI version is the only field read before it is known to match.
  if (descriptor->abi_version != kAbiVersion) {
    return Refusal{file, "plugin ABI version mismatch: got " +
                             std::to_string(descriptor->abi_version) + ", this kcube supports " +
                             std::to_string(kAbiVersion) + "; rebuild the plugin against kcube " +
                             KCUBE_VERSION + "'s SDK"};
  }
  if (auto problems = descriptor_problems(*descriptor); !problems.empty()) {
    return Refusal{file, "invalid plugin descriptor: " + text::join(problems, "; ") +
                             "; fix the plugin's PluginDescriptor"};
  }
  auto plugin = std::make_shared<const LoadedPlugin>(std::move(library), descriptor, file);
  if (plugin->file_sha256().empty()) {
    return Refusal{file,
                   "cannot be read to compute its SHA-256, which every run records; check "
                   "the file's permissions"};
  }
  return plugin;
}

PluginRegistry PluginRegistry::discover(const DiscoveryOptions& options) {
  PluginRegistry registry;
  auto add_dir = [&](const fs::path& path, SearchOrigin origin) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    registry.search_path_.push_back({ec ? path : absolute, origin, fs::is_directory(path, ec)});
  };
  for (const auto& p : options.plugin_paths)
    add_dir(p, SearchOrigin::command_line);
  if (options.use_environment) {
    for (const auto& p : split_path_list(std::getenv("KCUBE_PLUGIN_PATH"))) {
      add_dir(p, SearchOrigin::environment);
    }
  }
  if (options.use_builtin)
    add_dir(builtin_plugin_dir(), SearchOrigin::builtin);

  std::set<fs::path> seen_dirs;
  std::set<fs::path> seen_files;
  for (const SearchDir& dir : registry.search_path_) {
    if (!dir.exists) {
      if (dir.origin != SearchOrigin::builtin) {
        registry.refusals_.push_back(
            {dir.path, "the plugin folder does not exist (or is not a folder); check the path"});
      }
      continue;
    }
    std::error_code ec;
    if (!seen_dirs.insert(fs::canonical(dir.path, ec)).second)
      continue;
    if (auto problem = ownership_problem(dir.path); !problem.empty()) {
      registry.refusals_.push_back({dir.path, problem + " (no plugin in it was loaded)"});
      continue;
    }
    for (const fs::path& file : plugin_files(dir.path, registry.refusals_)) {
      if (!seen_files.insert(fs::canonical(file, ec)).second)
        continue;
      auto admitted = admit(file);
      if (auto* refusal = std::get_if<Refusal>(&admitted)) {
        registry.refusals_.push_back(std::move(*refusal));
        continue;
      }
      auto plugin = std::get<std::shared_ptr<const LoadedPlugin>>(std::move(admitted));
      auto same = std::find_if(registry.plugins_.begin(), registry.plugins_.end(),
                               [&](const auto& p) { return p->name() == plugin->name(); });
      if (same != registry.plugins_.end()) {
        registry.refusals_.push_back(
            {file, "duplicate plugin name '" + std::string(plugin->name()) +
                       "': " + (*same)->file().string() +
                       " provides it too and comes first in the search path, so it is used; "
                       "rename one of the plugins or remove one file from the search path"});
        continue;
      }
      registry.plugins_.push_back(std::move(plugin));
    }
  }
  return registry;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::find(std::string_view name,
                                                         std::optional<PluginKind> kind) const {
  for (const auto& plugin : plugins_) {
    if (plugin->name() != name)
      continue;
    if (kind && plugin->kind() != *kind) {
      throw Error("plugin " + plugin->label() + " is " + with_article(plugin->kind()) +
                  " plugin, but " + with_article(*kind) +
                  " plugin is needed here; see 'kcube plugins list'");
    }
    return plugin;
  }
  std::vector<std::string> names;
  for (const auto& plugin : plugins_) {
    if (!kind || plugin->kind() == *kind)
      names.emplace_back(plugin->name());
  }
  const std::string what = kind ? std::string(to_string(*kind)) + " plugin" : "plugin";
  std::string message =
      "no " + what + " named '" + std::string(name) + "'" + text::did_you_mean(name, names) +
      "; available: " + (names.empty() ? std::string("none") : text::join(names, ", "));
  std::vector<std::string> searched;
  for (const auto& dir : search_path_)
    searched.push_back(dir.path.string());
  message +=
      ". Searched: " + (searched.empty() ? std::string("nothing") : text::join(searched, ":"));
  if (!refusals_.empty()) {
    message += ". " + std::to_string(refusals_.size()) +
               " plugin file(s) or folder(s) were refused; 'kcube plugins list' says why";
  }
  message += ". Add a folder with --plugin-path DIR or KCUBE_PLUGIN_PATH";
  throw Error(message);
}

std::unique_ptr<PluginObject> PluginRegistry::make(const LoadedPlugin& plugin,
                                                   const PluginSpec& spec, Params& params) const {
  ParamCheck check = check_params(plugin.schema(), spec.params);
  if (!check.problems.empty()) {
    std::string message = "bad parameters for plugin " + plugin.label() + ":";
    for (std::size_t i = 0; i < check.problems.size() && i < kMaxListedProblems; ++i) {
      const ParamProblem& problem = check.problems[i];
      // A missing parameter has no place of its own: name the spec it is missing from.
      message += "\n  " + (problem.where.empty() ? "spec '" + spec.text + "'" : problem.where) +
                 ": " + problem.message;
    }
    if (check.problems.size() > kMaxListedProblems) {
      message +=
          "\n  ... and " + std::to_string(check.problems.size() - kMaxListedProblems) + " more";
    }
    message += "\n'kcube plugins describe " + std::string(plugin.name()) + "' lists its parameters";
    throw Error(message);
  }
  params = std::move(check.params);
  std::unique_ptr<PluginObject> object;
  try {
    object = plugin.descriptor().create(params);
  } catch (const Error& e) {
    throw Error("plugin " + plugin.label() + " refused the parameters of '" + spec.text +
                "': " + e.what());
  } catch (const std::exception& e) {
    throw RuntimeFailure("plugin " + plugin.label() + " failed while being created from '" +
                         spec.text + "': " + e.what());
  } catch (...) {
    throw RuntimeFailure("plugin " + plugin.label() +
                         " threw a non-standard exception while "
                         "being created from '" +
                         spec.text + "'");
  }
  if (!object) {
    throw RuntimeFailure("plugin " + plugin.label() + " returned no object from its factory");
  }
  return object;
}

}  // namespace kcube
