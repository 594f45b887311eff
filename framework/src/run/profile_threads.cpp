#include "run/profile_threads.hpp"

namespace kcube {

int simulation_threads(const LoadedPlugin& profile, int threads) {
  return profile.descriptor().thread_safety == ThreadSafety::serial ? 1 : threads;
}

int simulation_threads(const LoadedPlugin& profile, const LoadedPlugin& aggregator, int threads) {
  return simulation_threads(aggregator, simulation_threads(profile, threads));
}

ProfileObjects profile_objects(const PluginInstance<ModelProfile>& profile, int threads,
                               const std::function<PluginInstance<ModelProfile>()>& make) {
  return plugin_objects(profile, threads, make);
}

}  // namespace kcube
