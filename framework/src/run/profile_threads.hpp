// Private: how a plugin object (a model profile, an aggregator) is used on several threads, by
// its plugin's thread safety (kcube/plugin.hpp): the one policy of `kcube run` and
// `kcube simulate`.
//   shared      one object, called from every thread;
//   per_thread  one object per thread (the host makes threads - 1 more);
//   serial      one thread.
// Results do not depend on the thread count (every random number is a function of seed, cell,
// trial and draw), so the policy changes speed, never numbers.
#pragma once

#include <type_traits>
#include <vector>

#include "host/plugin_host.hpp"

namespace kcube {

/// The threads a simulation with `plugin` uses when `threads` are asked for: 1 for a serial
/// plugin, else `threads`.
int simulation_threads(const LoadedPlugin& plugin, int threads);

/// The same for a simulation of `profile` through `aggregator`: 1 when either is serial.
int simulation_threads(const LoadedPlugin& profile, const LoadedPlugin& aggregator, int threads);

/// The objects of one plugin for a simulation on `threads` threads (already
/// simulation_threads()). `Held`: what owns each extra object (a PluginInstance<T>, or an
/// ObjectLease<T> of a run's object cache, run/objects.hpp).
template <class T, class Held = PluginInstance<T>>
struct PluginObjects {
  /// The objects made besides the first (per_thread plugins only); they own the plugin objects.
  std::vector<Held> extra;
  /// One object per thread for a per_thread plugin, else the one object: simulate()'s argument.
  std::vector<Checked<T>> objects;
};

using ProfileObjects = PluginObjects<ModelProfile>;

/// `instance`, and for a per_thread plugin threads - 1 more objects made by `make()` (a callable
/// returning what owns one: a PluginInstance<T>, or an ObjectLease<T>).
template <class T, class Make>
auto plugin_objects(const PluginInstance<T>& instance, int threads, Make make)
    -> PluginObjects<T, std::invoke_result_t<Make&>> {
  PluginObjects<T, std::invoke_result_t<Make&>> out;
  out.objects.push_back(instance.checked());
  if (instance.plugin().descriptor().thread_safety != ThreadSafety::per_thread)
    return out;
  out.extra.reserve(static_cast<std::size_t>(threads > 1 ? threads - 1 : 0));
  for (int t = 1; t < threads; ++t) {
    out.extra.push_back(make());
    out.objects.push_back(out.extra.back().checked());
  }
  return out;
}

}  // namespace kcube
