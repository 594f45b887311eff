// Private: which builds of kcube and of its plugins made a run's cells. Monte Carlo results of
// different builds are never mixed silently: `kcube run --resume` and `kcube merge` compare the
// builds a run recorded with those at hand (kcube's version, each plugin's version and the
// SHA-256 of its library file; never file paths, which differ between the nodes of a cluster)
// and refuse a difference unless told --allow-changed-plugins, after which the run records
// every build it went on with (runs.build_changes, see store.hpp).
#pragma once

#include <string>
#include <vector>

#include "store/store.hpp"

namespace kcube {

/// The builds a run's newest cells come from: kcube's version and one record per plugin.
struct Builds {
  std::string kcube_version;
  std::vector<PluginRecord> plugins;
};

/// The builds `context` started with, updated by each of its build_changes (a plugin record of
/// a change replaces the one of the same name; a change's kcube version replaces kcube's): the
/// builds a resumed run must go on with. Throws kcube::RuntimeFailure for build_changes that
/// are not the JSON kcube writes.
Builds latest_builds(const RunContext& context);

/// One build that differs, for a message: `what` is "kcube" or "optimizer plugin 'knee-point'",
/// the values "version 1.0.0, sha256 3f5a...", with "sha256 unknown" for runs stored before
/// schema version 4.
struct BuildDifference {
  std::string what;
  std::string recorded;
  std::string now;
};

/// What differs between `recorded` and `now`: kcube's version, and per plugin name its
/// version or file SHA-256 (an unknown SHA-256 differs from every one), or a plugin only one
/// side has. Empty when they are the same builds.
std::vector<BuildDifference> build_differences(const Builds& recorded, const Builds& now);

/// The differences as lines "  WHAT: RECORDED (in WHERE_RECORDED) vs NOW (WHERE_NOW)".
std::string describe_differences(const std::vector<BuildDifference>& differences,
                                 const std::string& where_recorded, const std::string& where_now);

/// One element of runs.build_changes: {"at": now, "by": `by`, "kcube_version", "plugins": the
/// records of `now` whose plugin differs from `recorded`}.
std::string build_change_json(const Builds& recorded, const Builds& now, const std::string& by);

/// The build changes of a run as lines for people, one per change: "at 2026-12-01T22:30:00Z by
/// kcube run --resume: kcube 0.9.0, optimizer knee-point 1.0.1 (sha256 3f5a...)". Empty when
/// there is none.
std::vector<std::string> build_change_lines(const std::string& build_changes);

}  // namespace kcube
