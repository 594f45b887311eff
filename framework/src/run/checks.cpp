#include "run/checks.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "engine/resources.hpp"
#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "run/cell.hpp"
#include "run/profile_threads.hpp"

namespace kcube {
namespace {

// "NAME\nKEY=VALUE..." of a plugin use: the same text for the same parameters.
std::string use_key(const std::string& name, const PluginUse& use) {
  std::string key = name;
  for (const RawParam& param : use.params)
    key += "\n" + param.key + "=" + param.value;
  return key;
}

// Appends to `problems` one line per scenario of `pm` (paired with the profile) whose k grid has
// no k that the measured curve `profile` serves: expected_curve()'s kcube::Error, which lists the
// curve's k and the grid, naming both entries. Without this the run would start and store those
// cells as errors. A plugin failing otherwise is left to the cells, which store why. Scenario
// objects are made once per distinct parameter set (`scenarios`); `seen` skips pairs checked at
// another sweep point.
void check_curve_grids(RunObjects& objects, const std::string& profile_key,
                       const PluginInstance<ModelProfile>& profile, const PluginUse& profile_use,
                       const Manifest& pm, const SweepPoint& point, std::set<std::string>& seen,
                       std::vector<std::string>& problems, WorkState& state) {
  for (const PluginUse& scenario_use : pm.scenarios) {
    if (!pairs_with(scenario_use, profile_use.name))
      continue;
    const std::string scenario_key = use_key(scenario_use.name, scenario_use);
    if (!seen.insert(profile_key + "\n\ncurve\n\n" + scenario_key).second)
      continue;
    try {
      const auto scenario = objects.scenarios.lend(scenario_use, "scenarios", state);
      state.enter(&scenario->plugin(), scenario->plugin().who() + ", deployment");
      const std::vector<int> grid = scenario.checked().deployment().k_grid();
      state.enter(&profile.plugin(), profile.plugin().who() + ", expected_curve");
      std::vector<std::string> notes;  // the cells report them
      (void)profile.checked().expected_curve(grid, notes);
    } catch (const WorkAbandoned&) {
      throw;
    } catch (const Error& e) {
      problems.push_back("profiles." + profile_use.name + " (defined at " + profile_use.where +
                         ") with scenarios." + scenario_use.name + " (defined at " +
                         scenario_use.where + "): " + e.what() +
                         (point.label.empty() ? "" : " (sweep point " + point.label + ")"));
    } catch (...) {
      continue;
    }
  }
}

// Refuses the profile x aggregator pairs of the run whose aggregator needs sample fields (answers,
// scores) that the profile does not provide, and a profile with a measured curve under Monte
// Carlo or with an aggregator other than max-accuracy: kcube::Error listing them all, each naming
// both entries and plugins (require_compatible()'s message). Plugin objects are made once per
// distinct parameter set (the run's objects, which the cells use); their factories were checked
// already.
void check_compatible(RunObjects& objects, const Manifest& m, const std::vector<SweepPoint>& points,
                      const std::vector<Manifest>& point_manifests, WorkState& state) {
  std::set<std::string> seen;
  std::vector<std::string> problems;
  std::vector<std::string> curve_problems;  // measured curves with no k on a scenario's grid
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Manifest& pm = point_manifests[p];
    for (const PluginUse& profile_use : pm.profiles) {
      const std::string profile_key = use_key(profile_use.name, profile_use);
      const auto profile = objects.profiles.lend(profile_use, "profiles", state);
      for (const PluginUse& aggregator_use : pm.aggregators) {
        const std::string aggregator_key = use_key(aggregator_use.name, aggregator_use);
        if (!seen.insert(profile_key + "\n\n" + aggregator_key).second)
          continue;
        const auto aggregator = objects.aggregators.lend(aggregator_use, "aggregators", state);
        state.enter(&profile->plugin(), profile->plugin().who() + ", provides");
        try {
          // A measured curve: exact evaluation with the aggregator that keeps it as it is.
          if (profile.checked().has_curve()) {
            if (pm.run.evaluator == Evaluator::monte_carlo)
              require_drawable(profile.checked());
            require_curve_aggregator(profile.checked(), aggregator.checked());
          } else {
            require_compatible(profile.checked(), aggregator.checked());
          }
        } catch (const Error& e) {
          problems.push_back(
              "profiles." + profile_use.name + " (" + profile_use.plugin + ", defined at " +
              profile_use.where + ") with aggregators." + aggregator_use.name + " (" +
              aggregator_use.plugin + ", defined at " + aggregator_use.where + "): " + e.what() +
              (points[p].label.empty() ? "" : " (sweep point " + points[p].label + ")"));
        }
      }
      if (pm.run.evaluator == Evaluator::exact && profile.checked().has_curve()) {
        check_curve_grids(objects, profile_key, *profile, profile_use, pm, points[p], seen,
                          curve_problems, state);
      }
    }
  }
  if (problems.empty() && curve_problems.empty())
    return;
  std::string message = "manifest '" + m.file.string() + "': ";
  if (!problems.empty()) {
    message += std::to_string(problems.size()) + " profile and aggregator pair" +
               (problems.size() == 1 ? "" : "s") +
               " cannot run together (nothing was run); remove the aggregator or the profile, or "
               "move one of them to another manifest:";
    for (const auto& problem : problems)
      message += "\n  " + problem;
  }
  if (!curve_problems.empty()) {
    message += std::string(problems.empty() ? "" : "\n") + std::to_string(curve_problems.size()) +
               " measured curve and scenario pair" +
               (curve_problems.size() == 1 ? " has" : "s have") +
               " no k in common (nothing was run):";
    for (const auto& problem : curve_problems)
      message += "\n  " + problem;
  }
  throw Error(message);
}

// True when an aggregator of `pm` stops early (the engine then keeps a fourth metric per trial).
// One that fails here fails in its cells too, which store why as errors.
bool any_stops_early(RunObjects& objects, const Manifest& pm, WorkState& state) {
  for (const PluginUse& use : pm.aggregators) {
    try {
      const auto aggregator = objects.aggregators.lend(use, "aggregators", state);
      if (aggregator.checked().stops_early())
        return true;
    } catch (const WorkAbandoned&) {
      throw;
    } catch (...) {
      continue;
    }
  }
  return false;
}

}  // namespace

void check_factories(RunObjects& objects, const Manifest& m, const std::vector<SweepPoint>& points,
                     const std::vector<Manifest>& point_manifests, WorkState& state) {
  std::vector<std::string> problems;
  bool bug = false;
  std::set<std::string> seen;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Manifest& pm = point_manifests[p];
    const auto check = [&]<class T>(const std::vector<PluginUse>& uses, const std::string& section,
                                    ObjectCache<T>& cache) {
      for (const PluginUse& use : uses) {
        if (!seen.insert(use_key(section + "." + use.name, use)).second)
          continue;
        const std::string at =
            points[p].label.empty() ? "" : " (sweep point " + points[p].label + ")";
        const std::string defined = "; " + section + "." + use.name + " is defined at " + use.where;
        try {
          (void)cache.lend(use, section, state);
        } catch (const WorkAbandoned&) {
          throw;
        } catch (const Error& e) {
          problems.push_back(e.what() + at + defined);
        } catch (...) {
          problems.push_back(current_exception_text() + at + defined);
          bug = true;
        }
      }
    };
    check(pm.profiles, "profiles", objects.profiles);
    check(pm.scenarios, "scenarios", objects.scenarios);
    check(pm.optimizers, "optimizers", objects.optimizers);
    check(pm.aggregators, "aggregators", objects.aggregators);
  }
  if (problems.empty()) {
    check_compatible(objects, m, points, point_manifests, state);
    return;
  }
  std::string message = "manifest '" + m.file.string() + "': " + std::to_string(problems.size()) +
                        " plugin object" + (problems.size() == 1 ? "" : "s") +
                        " could not be made (nothing was run):";
  for (const auto& problem : problems)
    message += "\n  " + problem;
  if (bug)
    throw RuntimeFailure(message);
  throw Error(message);
}

void check_memory(RunObjects& objects, const PluginRegistry& registry,
                  const std::vector<SweepPoint>& points,
                  const std::vector<Manifest>& point_manifests, int threads, std::uint64_t limit,
                  WorkState& state) {
  std::uint64_t most = 0;
  std::string largest;
  // Deployment and quantile levels by scenario parameters; nullopt when the plugin failed.
  std::map<std::string, std::optional<std::pair<Deployment, std::vector<double>>>> scenarios;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const Manifest& pm = point_manifests[p];
    if (pm.run.evaluator == Evaluator::exact)
      continue;  // a few values per k
    const bool stops_early = any_stops_early(objects, pm, state);
    for (const PluginUse& use : pm.scenarios) {
      const std::string key = use_key(use.name, use);
      if (scenarios.count(key) == 0) {
        std::optional<std::pair<Deployment, std::vector<double>>> found;
        try {
          const auto scenario = objects.scenarios.lend(use, "scenarios", state);
          state.enter(&scenario->plugin(), scenario->plugin().who() + ", deployment");
          found.emplace(scenario.checked().deployment(), std::vector<double>{});
          state.enter(&scenario->plugin(), scenario->plugin().who() + ", required_columns");
          for (const auto& column : scenario.checked().required_columns()) {
            if (const auto q = parse_quantile_column(column))
              found->second.push_back(q->second);
          }
        } catch (const WorkAbandoned&) {
          throw;
        } catch (...) {
          // A scenario that fails here fails in its cells too, which store why as errors.
          found.reset();
        }
        scenarios.emplace(key, found);
      }
      if (!scenarios.at(key))
        continue;
      const auto& [deployment, levels] = *scenarios.at(key);
      SimulationOptions sim;
      sim.trials = pm.run.trials;
      sim.sampling = pm.run.sampling;
      sim.quantile_levels = levels;
      for (const PluginUse& profile : pm.profiles) {
        // A serial aggregator would only lower the thread count: this bounds it from above.
        sim.threads = simulation_threads(*registry.find(profile.plugin), threads);
        const std::uint64_t bytes = simulation_memory_bytes(deployment, sim, stops_early);
        if (bytes > most) {
          most = bytes;
          largest = "the cell of profile '" + profile.name + "' and scenario '" + use.name + "'" +
                    (points[p].label.empty() ? "" : " at sweep point " + points[p].label) + " (" +
                    std::to_string(sim.trials) + " trials, " + std::to_string(sim.threads) +
                    (sim.threads == 1 ? " thread)" : " threads)");
        }
      }
    }
  }
  check_memory_limit(most, limit, "kcube run: " + largest);
}

}  // namespace kcube
