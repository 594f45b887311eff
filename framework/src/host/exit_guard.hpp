// Private: what happens when plugin code ends the process. A plugin that calls exit() (or
// quick_exit()) would make kcube end with the plugin's status, 0 included, and run the process's
// destructors and unload libraries under OpenMP threads that are still drawing. While a call into
// plugin code is in progress (a PluginCallGuard lives on some thread), the exit guard instead
// writes one line to stderr naming the plugin and the call, and ends the process with status 1 at
// once (_exit: no destructor runs, so nothing is torn down under live threads; SQLite's journal
// keeps every committed cell). An exit from kcube's own code goes on as before.
#pragma once

#include <string_view>

namespace kcube {

/// Marks one call into plugin code on this thread, from construction to destruction. `who`
/// names the plugin and its file ("model profile 'gaussian' (/path/to/plugin.so)"), `call` what
/// is called ("draw_path", "its factory"; empty: not known). Both must outlive the guard. Cheap
/// (a few stores): the engine makes one per trial. Never throws.
class PluginCallGuard {
 public:
  PluginCallGuard(std::string_view who, std::string_view call) noexcept;
  ~PluginCallGuard();
  PluginCallGuard(const PluginCallGuard&) = delete;
  PluginCallGuard& operator=(const PluginCallGuard&) = delete;

  /// The plugin and the call, as given.
  std::string_view who() const { return who_; }
  std::string_view call() const { return call_; }
  /// The guard this one is nested in on the same thread, or nullptr.
  const PluginCallGuard* outer() const { return outer_; }

 private:
  std::string_view who_;
  std::string_view call_;
  const PluginCallGuard* outer_;
};

/// Installs the exit guard's handlers (on_exit and at_quick_exit) once per process; later calls
/// do nothing. Exit handlers run in the reverse order of their registration: the plugin host
/// installs it right after it loaded the plugin libraries, so that it runs before their static
/// destructors. Never throws; a failure to register leaves the process as it was.
void install_exit_guard() noexcept;

}  // namespace kcube
