#include "run/profile_threads.hpp"

namespace kcube {

int simulation_threads(const LoadedPlugin& plugin, int threads) {
  return plugin.descriptor().thread_safety == ThreadSafety::serial ? 1 : threads;
}

}  // namespace kcube
