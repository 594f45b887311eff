#include "host/plugin_host.hpp"

#include <grp.h>
#include <pwd.h>
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

#include "host/exit_guard.hpp"
#include "host/param_validation.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

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
      file_sha256_(file_sha256_of(file_)),
      who_((descriptor->kind == PluginKind::model_profile
                ? std::string("model profile")
                : std::string(to_string(descriptor->kind))) +
           " " + label()) {}

std::string LoadedPlugin::label() const {
  return "'" + std::string(name()) + "' (" + file_.string() + ")";
}

fs::path builtin_plugin_dir() {
  // This function lives in libkcube, which sits in the same lib/ folder as kcube/plugins/ in
  // both the build tree and an install.
  return boost::dll::this_line_location().parent_path() / KCUBE_PLUGIN_SUBDIR;
}

namespace {

// True when the group of `info` is its owner's private group: the owner's primary group, with
// no other member listed (Debian's user-private groups, where a umask of 002 makes files
// group-writable). Writing by that group is writing by the owner alone.
bool owners_private_group(const struct stat& info) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(static_cast<std::size_t>(size > 0 ? size : 16384));
  struct passwd pw {};
  struct passwd* owner = nullptr;
  if (::getpwuid_r(info.st_uid, &pw, buffer.data(), buffer.size(), &owner) != 0 ||
      owner == nullptr || owner->pw_gid != info.st_gid) {
    return false;
  }
  const std::string name = owner->pw_name;
  size = ::sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> group_buffer(static_cast<std::size_t>(size > 0 ? size : 16384));
  struct group gr {};
  struct group* found = nullptr;
  if (::getgrgid_r(info.st_gid, &gr, group_buffer.data(), group_buffer.size(), &found) != 0 ||
      found == nullptr) {
    return false;
  }
  for (char** member = found->gr_mem; member != nullptr && *member != nullptr; ++member) {
    if (name != *member)
      return false;
  }
  return true;
}

// Why the file or folder at `path` (its stat `info`) lets a user other than you and root change
// what kcube loads, or empty. `holds_plugins`: a folder that holds plugin files or links to
// them, where a sticky bit does not help (anyone could add a file); above that, a sticky folder
// such as /tmp is safe (only the owner of an entry may rename or remove it).
std::string entry_problem(const fs::path& path, const struct stat& info, bool holds_plugins) {
  const bool is_dir = S_ISDIR(info.st_mode);
  const std::string what = std::string(is_dir ? "folder" : "file") + " '" + path.string() + "'";
  if (info.st_uid != ::geteuid() && info.st_uid != 0) {
    return "the " + what + " is owned by user id " + std::to_string(info.st_uid) +
           ", neither you (user id " + std::to_string(::geteuid()) +
           ") nor root, so its owner could change the code kcube would run; fix: chown it to "
           "yourself or root, or copy the plugin into a folder you own";
  }
  const bool world = (info.st_mode & S_IWOTH) != 0;
  const bool group = (info.st_mode & S_IWGRP) != 0 && !owners_private_group(info);
  if (!world && !group)
    return {};
  if (is_dir && !holds_plugins && (info.st_mode & S_ISVTX) != 0)
    return {};
  const std::string writable = world
                                   ? "world-writable"
                                   : "group-writable (by group id " + std::to_string(info.st_gid) +
                                         ", which has other members than its owner)";
  const std::string fix =
      "chmod " + std::string(world ? "o-w" : "g-w") + " '" + path.string() + "'";
  if (!is_dir) {
    return "the " + what + " is " + writable +
           ", so other users could replace the code kcube would run; fix: " + fix;
  }
  if (holds_plugins) {
    return "the " + what + " holds the plugin and is " + writable +
           ", so other users could put their own plugin in it (a sticky bit does not prevent "
           "that); fix: " +
           fix + ", or move the plugins to a folder only you can write";
  }
  return "the " + what + " above the plugin is " + writable +
         " and not sticky, so other users could rename the folder below it and put their own "
         "in its place; fix: " +
         fix + " (or chmod +t '" + path.string() + "' if it must stay writable)";
}

std::string cannot_examine(const fs::path& path, int error) {
  return "'" + path.string() + "' cannot be examined: " + std::strerror(error);
}

// The first problem of `folder` and of every folder above it up to /, both as written (a
// folder on the way may be a link: whoever can write the folder holding it can re-point it) and
// after resolving links.
std::string folder_chain_problem(const fs::path& folder, bool holds_plugins) {
  std::error_code ec;
  const fs::path real = fs::canonical(folder, ec);
  if (ec)
    return "'" + folder.string() + "' cannot be examined: " + ec.message();
  fs::path written = fs::absolute(folder, ec).lexically_normal();
  if (!written.has_filename())
    written = written.parent_path();  // "/a/b/" -> "/a/b"
  for (const fs::path& start : {real, written}) {
    bool direct = holds_plugins;
    for (fs::path p = start;; p = p.parent_path()) {
      struct stat info {};
      if (::stat(p.c_str(), &info) != 0)
        return cannot_examine(p, errno);
      if (auto problem = entry_problem(p, info, direct); !problem.empty())
        return problem;
      direct = false;
      if (p == p.parent_path() || p.parent_path().empty())
        break;
    }
  }
  return {};
}

}  // namespace

std::string location_problem(const fs::path& path) {
  std::error_code ec;
  fs::path hop = fs::absolute(path, ec);
  if (ec)
    return "'" + path.string() + "' cannot be examined: " + ec.message();
  // Every link on the way to the file: whoever can write the folder holding a link can point
  // it elsewhere. (The kernel follows at most 40 links; a longer chain fails in canonical().)
  for (int links = 0; links < 40; ++links) {
    struct stat info {};
    if (::lstat(hop.c_str(), &info) != 0)
      return cannot_examine(hop, errno);
    if (!S_ISLNK(info.st_mode))
      break;
    if (auto problem = folder_chain_problem(hop.parent_path(), true); !problem.empty())
      return problem + " (it holds the link '" + hop.string() + "')";
    const fs::path target = fs::read_symlink(hop, ec);
    if (ec)
      return "'" + hop.string() + "' cannot be examined: " + ec.message();
    hop = target.is_absolute() ? target : hop.parent_path() / target;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return cannot_examine(path, errno);
  if (S_ISDIR(info.st_mode))
    return folder_chain_problem(path, true);
  const fs::path real = fs::canonical(path, ec);
  if (ec)
    return "'" + path.string() + "' cannot be examined: " + ec.message();
  if (auto problem = entry_problem(real, info, false); !problem.empty())
    return problem;
  return folder_chain_problem(real.parent_path(), true);
}

namespace {

// Bad parameters listed in one message; a spec with thousands of them gets a count of the rest.
constexpr std::size_t kMaxListedProblems = 20;

// Problems with the descriptor's fields other than the ABI version (checked first, alone).
std::vector<std::string> descriptor_problems(const PluginDescriptor& d) {
  std::vector<std::string> problems;
  const auto kind = static_cast<std::uint32_t>(d.kind);
  if (kind < 1 || kind > 4)
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

// What a non-regular file is (after following links), for its refusal.
std::string file_type_name(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    const int error = errno;
    struct stat link {};
    if (::lstat(file.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      std::error_code ec;
      return "a symbolic link to '" + fs::read_symlink(file, ec).string() +
             "', which does not exist (or is a loop of links)";
    }
    return "a file that cannot be examined (" + std::string(std::strerror(error)) + ")";
  }
  if (S_ISDIR(info.st_mode))
    return "a folder";
  if (S_ISFIFO(info.st_mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR(info.st_mode))
    return "a character device";
  if (S_ISBLK(info.st_mode))
    return "a block device";
  if (S_ISSOCK(info.st_mode))
    return "a socket";
  return "not a regular file";
}

// The *.so files of `dir`, sorted; anything else named *.so is refused, saying what it is.
std::vector<fs::path> plugin_files(const fs::path& dir, std::vector<Refusal>& refusals) {
  std::vector<fs::path> files;
  std::vector<Refusal> odd;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& file = it->path();
    if (file.extension() != ".so")
      continue;
    std::error_code type_ec;
    if (fs::is_regular_file(file, type_ec)) {  // follows links
      files.push_back(file);
    } else {
      odd.push_back({file, "named like a plugin but is " + file_type_name(file) +
                               ", not a plugin library; remove it or rename it"});
    }
  }
  if (ec)
    refusals.push_back({dir, "the folder cannot be read: " + ec.message()});
  // A deterministic discovery order.
  std::sort(files.begin(), files.end());
  std::sort(odd.begin(), odd.end(),
            [](const Refusal& a, const Refusal& b) { return a.path < b.path; });
  refusals.insert(refusals.end(), std::make_move_iterator(odd.begin()),
                  std::make_move_iterator(odd.end()));
  return files;
}

}  // namespace

std::variant<std::shared_ptr<const LoadedPlugin>, Refusal> admit(const fs::path& file) {
  if (auto problem = location_problem(file); !problem.empty())
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
  // The build is read only once the ABI version says where it is.
  if (const BuildAbi host; !(descriptor->build == host)) {
    return Refusal{file, "built against " + to_string(descriptor->build) +
                             ", but this kcube uses " + to_string(host) +
                             "; plugin and kcube must share Boost and the C++ standard library: "
                             "rebuild the plugin with the compiler and Boost this kcube was "
                             "built with (kcube --version names them)"};
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
  auto add_entry = [&](const fs::path& path, SearchOrigin origin) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    SearchDir entry{ec ? path : absolute, origin};
    entry.is_file = fs::is_regular_file(path, ec);
    entry.exists = entry.is_file || fs::is_directory(path, ec);
    registry.search_path_.push_back(std::move(entry));
  };
  for (const auto& p : options.plugin_paths)
    add_entry(p, SearchOrigin::command_line);
  if (options.use_environment) {
    for (const auto& p : split_path_list(std::getenv("KCUBE_PLUGIN_PATH"))) {
      add_entry(p, SearchOrigin::environment);
    }
  }
  if (options.use_builtin)
    add_entry(builtin_plugin_dir(), SearchOrigin::builtin);

  std::set<fs::path> seen_dirs;
  std::set<fs::path> seen_files;
  auto add_file = [&](const fs::path& file) {
    std::error_code ec;
    if (!seen_files.insert(fs::canonical(file, ec)).second)
      return;
    auto admitted = admit(file);
    if (auto* refusal = std::get_if<Refusal>(&admitted)) {
      registry.refusals_.push_back(std::move(*refusal));
      return;
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
      return;
    }
    registry.plugins_.push_back(std::move(plugin));
  };
  for (const SearchDir& dir : registry.search_path_) {
    if (!dir.exists) {
      if (dir.origin != SearchOrigin::builtin) {
        registry.refusals_.push_back(
            {dir.path,
             "the plugin folder or file does not exist (or is neither a folder nor a regular "
             "file); check the path"});
      }
      continue;
    }
    if (dir.is_file) {  // one plugin named on its own
      add_file(dir.path);
      continue;
    }
    std::error_code ec;
    if (!seen_dirs.insert(fs::canonical(dir.path, ec)).second)
      continue;
    if (auto problem = location_problem(dir.path); !problem.empty()) {
      registry.refusals_.push_back({dir.path, problem + " (no plugin in it was loaded)"});
      continue;
    }
    for (const fs::path& file : plugin_files(dir.path, registry.refusals_))
      add_file(file);
  }
  // After the libraries were loaded: exit handlers run in the reverse order of registration,
  // so the guard runs before the destructors of the plugins' static objects.
  install_exit_guard();
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
  message += ". Add a folder or a plugin file with --plugin-path or KCUBE_PLUGIN_PATH";
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
    const PluginCallGuard guard(plugin.who(), "its factory");
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
