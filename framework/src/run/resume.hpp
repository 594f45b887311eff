// Private: where a run's cells go in the store: a new run, or with --resume the newest unfinished
// run of the same plan (interrupted, failed, or running while its process is gone), with the
// cells it already holds.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "run/plan.hpp"
#include "store/store.hpp"

namespace kcube {

/// What a run of a plan records, and what --resume compares.
struct RunIdentity {
  /// --set overrides as given, and in canonical form (canonical_override_values), which the run
  /// records and --resume compares.
  std::vector<std::string> overrides, canonical_overrides;
  /// The store's path, for messages.
  std::string store_path;
  /// OpenMP threads of a cell, MPI ranks and their distinct hosts (rank 0's first).
  int threads = 1;
  int ranks = 1;
  std::vector<std::string> hosts;
};

/// Where the run goes.
struct RunStart {
  std::int64_t run = 0;
  /// --resume: the newest run of the plan is finished and none is unfinished: nothing to do.
  bool finished = false;
  /// --resume: keys of the cells the run already holds finished.
  std::set<std::string> done;
};

/// Starts the run of `plan` in `store`. With `resume`, takes over the newest unfinished run of
/// the plan instead: refuses (kcube::Error) a run whose process still runs on this host, and one
/// made with other builds unless `allow_changed_plugins` (then the run records this build too,
/// and `note` gets what differs).
RunStart begin_or_resume(ResultStore& store, const PluginRegistry& registry, const Plan& plan,
                         const RunIdentity& identity, bool resume, bool allow_changed_plugins,
                         const std::function<void(const std::string&)>& note);

}  // namespace kcube
