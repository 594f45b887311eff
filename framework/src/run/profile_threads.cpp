#include "run/profile_threads.hpp"

namespace kcube {

int simulation_threads(const LoadedPlugin& profile, int threads) {
  return profile.descriptor().thread_safety == ThreadSafety::serial ? 1 : threads;
}

ProfileObjects profile_objects(const PluginInstance<ModelProfile>& profile, int threads,
                               const std::function<PluginInstance<ModelProfile>()>& make) {
  ProfileObjects out;
  out.objects.push_back(profile.checked());
  if (profile.plugin().descriptor().thread_safety != ThreadSafety::per_thread)
    return out;
  for (int t = 1; t < threads; ++t) {
    out.extra.push_back(make());
    out.objects.push_back(out.extra.back().checked());
  }
  return out;
}

}  // namespace kcube
