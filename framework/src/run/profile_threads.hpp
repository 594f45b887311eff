// Private: how a model profile is simulated on several threads, by its plugin's thread safety
// (kcube/plugin.hpp): the one policy of `kcube run` and `kcube simulate`.
//   shared      one object, called from every thread;
//   per_thread  one object per thread (the host makes threads - 1 more);
//   serial      one thread.
// Results do not depend on the thread count (every random number is a function of seed, cell,
// trial and draw), so the policy changes speed, never numbers.
#pragma once

#include <functional>
#include <vector>

#include "host/plugin_host.hpp"
#include "kcube/model_profile.hpp"

namespace kcube {

/// The threads a simulation of `profile` uses when `threads` are asked for: 1 for a serial
/// plugin, else `threads`.
int simulation_threads(const LoadedPlugin& profile, int threads);

/// The profile objects of a simulation on `threads` threads (already simulation_threads()).
struct ProfileObjects {
  /// The objects made besides the first (per_thread plugins only); they own the plugin objects.
  std::vector<PluginInstance<ModelProfile>> extra;
  /// One object per thread for a per_thread plugin, else the one object: simulate()'s argument.
  std::vector<CheckedProfile> objects;
};

/// `profile`, and for a per_thread plugin threads - 1 more objects made by `make`.
ProfileObjects profile_objects(const PluginInstance<ModelProfile>& profile, int threads,
                               const std::function<PluginInstance<ModelProfile>()>& make);

}  // namespace kcube
