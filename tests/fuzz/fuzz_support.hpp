// Fuzz support: what every fuzz target shares. The built-in plugins, a private scratch folder,
// and the one way a target reports a bug (abort, so that libFuzzer and the replay both see it).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "host/plugin_host.hpp"

namespace kcube::fuzz {

/// Reports a bug in kcube found by `target` and aborts: libFuzzer saves the input as a crash,
/// the replay test fails.
[[noreturn]] inline void bug(std::string_view target, const std::string& what) {
  std::cerr << "kcube fuzz target '" << target << "': BUG: " << what << std::endl;
  std::abort();
}

/// An exception other than the documented ones escaped kcube: a bug.
[[noreturn]] inline void unexpected(std::string_view target, const std::exception& e) {
  bug(target, std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
}

/// The built-in plugins of this build tree (lib/kcube/plugins next to libkcube), found once.
/// KCUBE_PLUGIN_PATH is ignored so that runs are reproducible. Aborts when they are missing:
/// without them the manifest and spec targets would test nothing but "unknown plugin".
inline const PluginRegistry& builtin_registry() {
  static const PluginRegistry registry = [] {
    DiscoveryOptions options;
    options.use_environment = false;
    PluginRegistry found = PluginRegistry::discover(options);
    if (found.plugins().empty() || !found.refusals().empty()) {
      std::string why = "the built-in plugins did not load from " + builtin_plugin_dir().string();
      for (const auto& refusal : found.refusals())
        why += "\n  refused " + refusal.path.string() + ": " + refusal.reason;
      bug("setup", why + "\nbuild the plugins first (cmake --build BUILD)");
    }
    return found;
  }();
  return registry;
}

/// A private folder under the system's temporary folder, made once per process and removed at
/// exit.
inline const std::filesystem::path& scratch_dir(std::string_view target) {
  static const std::filesystem::path path = [&] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("kcube-fuzz-" + std::string(target) + "-XXXXXX"))
            .string();
    if (::mkdtemp(pattern.data()) == nullptr)
      bug(target, "cannot make a temporary folder " + pattern);
    return std::filesystem::path(pattern);
  }();
  static const bool cleanup_registered = [] {
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    });
    return true;
  }();
  (void)cleanup_registered;
  return path;
}

}  // namespace kcube::fuzz
