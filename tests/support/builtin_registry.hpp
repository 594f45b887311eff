// Test support: the plugins of this build tree, discovered once per test executable.
#pragma once

#include "host/plugin_host.hpp"

namespace kcube::test {

/// The built-in plugins (model profiles, scenarios, optimizers, aggregators) of the build tree,
/// without KCUBE_PLUGIN_PATH: what `kcube` itself finds next to its executable.
inline const PluginRegistry& builtin_registry() {
  static const PluginRegistry registry = [] {
    DiscoveryOptions options;
    options.use_environment = false;
    return PluginRegistry::discover(options);
  }();
  return registry;
}

}  // namespace kcube::test
