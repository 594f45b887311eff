// Private: what is checked before a run's store exists, so that a run never starts with cells
// that cannot be made or memory it cannot have.
#pragma once

#include <cstdint>
#include <vector>

#include "host/plugin_host.hpp"
#include "manifest/manifest.hpp"
#include "run/objects.hpp"
#include "run/watchdog.hpp"

namespace kcube {

/// A plugin's factory is its own check of its parameters (PluginFactory): validate and run call
/// every one, for each profile, scenario, optimizer and aggregator at each sweep point (once per
/// distinct parameter set), before any store exists. A kcube::Error from a factory is the user's
/// mistake (thrown as kcube::Error, exit 2); anything else it throws is a plugin bug (thrown as
/// kcube::RuntimeFailure, exit 1). Either way all of them are reported at once. When every object
/// could be made, each profile x aggregator pair is checked: an aggregator that needs answers or
/// scores the profile does not provide (majority-vote with the gaussian profile), and a profile
/// with a measured curve (the `curve` profile) under the Monte Carlo evaluator or with an
/// aggregator other than max-accuracy, is a kcube::Error listing every such pair, naming both
/// entries, their plugins and where they are defined; so is, under the exact evaluator, a measured
/// curve and a scenario whose k grid holds none of the k the curve serves. The objects are made in
/// `objects`, which keeps them for the cells (run/objects.hpp).
void check_factories(RunObjects& objects, const Manifest& m, const std::vector<SweepPoint>& points,
                     const std::vector<Manifest>& point_manifests, WorkState& state);

/// The memory of the largest Monte Carlo cell (simulation_memory_bytes) against `limit` (bytes),
/// over every scenario at every sweep point and every profile's thread count
/// (simulation_threads): a run that cannot fit stops here (kcube::Error) instead of being
/// killed midway. Scenarios and aggregators come from `objects`.
void check_memory(RunObjects& objects, const PluginRegistry& registry,
                  const std::vector<SweepPoint>& points,
                  const std::vector<Manifest>& point_manifests, int threads, std::uint64_t limit,
                  WorkState& state);

}  // namespace kcube
