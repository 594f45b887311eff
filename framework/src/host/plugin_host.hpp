// Private: the plugin host. Finds plugin libraries, admits or refuses each one with a reason,
// and makes plugin objects that keep their library loaded while they live.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "host/checked.hpp"
#include "host/exit_guard.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "kcube/plugin.hpp"

namespace kcube {

/// A plugin library that passed every admission check, with its descriptor.
class LoadedPlugin {
 public:
  LoadedPlugin(boost::dll::shared_library library, const PluginDescriptor* descriptor,
               std::filesystem::path file);
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  /// The descriptor (lives in the library, valid while this object lives).
  const PluginDescriptor& descriptor() const { return *descriptor_; }
  /// The plugin's name.
  std::string_view name() const { return descriptor_->name; }
  /// Its kind.
  PluginKind kind() const { return descriptor_->kind; }
  /// Its parameter schema.
  std::span<const ParamSpec> schema() const {
    return {descriptor_->params, descriptor_->param_count};
  }
  /// The library file it came from.
  const std::filesystem::path& file() const { return file_; }
  /// SHA-256 of that file (lowercase hex) when it was admitted: which build of the plugin this
  /// is, recorded with every run. Empty when the file could not be read (admit() refuses it).
  const std::string& file_sha256() const { return file_sha256_; }
  /// "'knee-point' (/usr/lib/kcube/plugins/kcube-optimizer-knee-point.so)" for messages.
  std::string label() const;
  /// The label with the kind before it: "optimizer 'knee-point' (/usr/lib/...so)", "model
  /// profile 'gaussian' (...)". Lives as long as this object (the exit guard keeps a view).
  const std::string& who() const { return who_; }

 private:
  boost::dll::shared_library library_;
  const PluginDescriptor* descriptor_;
  std::filesystem::path file_;
  std::string file_sha256_;
  std::string who_;
};

/// A file or folder the host would not use, and why (with how to fix it).
struct Refusal {
  std::filesystem::path path;
  std::string reason;
};

/// Where a search-path folder came from.
enum class SearchOrigin { command_line, environment, builtin };

/// One entry of the plugin search path: a folder, or one plugin file named on its own.
struct SearchDir {
  std::filesystem::path path;
  SearchOrigin origin = SearchOrigin::builtin;
  /// False when there is neither a folder nor a regular file at `path` (it is then skipped).
  bool exists = false;
  /// True when `path` is one plugin file rather than a folder of them.
  bool is_file = false;
};

/// Which folders to search.
struct DiscoveryOptions {
  /// --plugin-path folders (or single plugin files), first in the search order.
  std::vector<std::filesystem::path> plugin_paths;
  /// Read KCUBE_PLUGIN_PATH (colon-separated) after them.
  bool use_environment = true;
  /// Finish with the built-in plugin folder of this build or install.
  bool use_builtin = true;
};

/// A plugin object together with the library that made it. The object is destroyed before the
/// library can be unloaded, and is reached only through checked() (no raw pointer escapes).
template <class T>
class PluginInstance {
 public:
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<T> object,
                 Params params, std::string spec)
      : plugin_(std::move(plugin)),
        object_(std::move(object)),
        params_(std::move(params)),
        spec_(std::move(spec)) {}
  PluginInstance(PluginInstance&&) noexcept = default;
  PluginInstance& operator=(PluginInstance&& other) noexcept {
    destroy();  // while our library is still loaded
    plugin_ = std::move(other.plugin_);
    object_ = std::move(other.object_);
    params_ = std::move(other.params_);
    spec_ = std::move(other.spec_);
    return *this;
  }
  ~PluginInstance() { destroy(); }

  /// The object's methods, each called through the host's checks (host/checked.hpp): the only
  /// way into the plugin's code. The view is valid while this instance lives.
  Checked<T> checked() const { return Checked<T>(*object_, plugin_->who()); }
  /// The library and descriptor.
  const LoadedPlugin& plugin() const { return *plugin_; }
  /// The validated parameters it was made with.
  const Params& params() const { return params_; }
  /// The spec string it was made from.
  const std::string& spec() const { return spec_; }

 private:
  // The plugin's destructor is plugin code too.
  void destroy() noexcept {
    if (object_) {
      const PluginCallGuard guard(plugin_->who(), "its destructor");
      object_.reset();
    }
  }

  std::shared_ptr<const LoadedPlugin> plugin_;  // declared first: destroyed last
  std::unique_ptr<T> object_;
  Params params_;
  std::string spec_;
};

/// The plugins found on the search path, and the files refused.
class PluginRegistry {
 public:
  /// Searches the folders of `options` in order; every *.so is examined and one bad file never
  /// stops the others (anything named *.so that is not a regular file is refused, saying what
  /// it is). An entry that is a file is that one plugin. Never searches the current directory
  /// implicitly. Installs the exit guard (exit_guard.hpp) once the libraries are loaded.
  static PluginRegistry discover(const DiscoveryOptions& options);

  /// The folders searched, in order.
  const std::vector<SearchDir>& search_path() const { return search_path_; }
  /// Admitted plugins, in discovery order.
  const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  /// Refused files and folders, in discovery order.
  const std::vector<Refusal>& refusals() const { return refusals_; }

  /// The plugin called `name` (of `kind`, when given). Throws kcube::Error with "did you mean",
  /// the available names and any refusals when there is none.
  std::shared_ptr<const LoadedPlugin> find(std::string_view name,
                                           std::optional<PluginKind> kind = std::nullopt) const;

  /// Validates the parameters of `spec` and makes the object. Throws kcube::Error for an unknown
  /// plugin, a plugin of another kind, bad parameters (the first 20 listed, then a count), or a
  /// factory that threw kcube::Error; kcube::RuntimeFailure when the factory threw anything else or
  /// made an object of the wrong kind.
  template <class T>
  PluginInstance<T> create(const PluginSpec& spec) const;

 private:
  std::unique_ptr<PluginObject> make(const LoadedPlugin& plugin, const PluginSpec& spec,
                                     Params& params) const;

  std::vector<SearchDir> search_path_;
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<Refusal> refusals_;
};

/// The kind a plugin interface class implements.
template <class T>
constexpr PluginKind kind_of();

/// The built-in plugin folder: kcube/plugins next to the libkcube that is running.
std::filesystem::path builtin_plugin_dir();

/// Examines one candidate plugin file; the LoadedPlugin or the reason it is refused.
/// (Exposed for tests; discover() uses it for every *.so.)
std::variant<std::shared_ptr<const LoadedPlugin>, Refusal> admit(const std::filesystem::path& file);

/// Why `path` (a plugin file or folder) is unsafe to load from, or empty when it is safe; like
/// OpenSSH's StrictModes. Unsafe: the file, the folder holding it, the folder holding each link
/// on the way to it, or any folder above those up to / (as written and after resolving links)
/// is owned by a user other than the current one and root, or is writable by others: world-
/// writable, or group-writable by a group that is not its owner's private group. A sticky
/// folder such as /tmp is safe above a safe folder, never as the folder holding plugins. The
/// reason names the file or folder and the fix (chmod o-w, chmod +t, chown).
std::string location_problem(const std::filesystem::path& path);

}  // namespace kcube

#include "host/plugin_host_impl.hpp"
