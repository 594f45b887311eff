#include "run/profile_threads.hpp"

namespace kcube {

int simulation_threads(const LoadedPlugin& plugin, int threads) {
  return plugin.descriptor().thread_safety == ThreadSafety::serial ? 1 : threads;
}

int simulation_threads(const LoadedPlugin& profile, const LoadedPlugin& aggregator, int threads) {
  return simulation_threads(aggregator, simulation_threads(profile, threads));
}

}  // namespace kcube
