// Private: what `kcube compare` says beyond the picks: how the two runs differ in what they ran
// (experiment, manifest, profiles, scenarios, optimizers, sweep points, replications), and the
// whole comparison as JSON.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "store/store.hpp"

namespace kcube::report {

/// Names one run has and the other lacks, each list sorted.
struct OnlyIn {
  std::vector<std::string> a, b;
  bool empty() const { return a.empty() && b.empty(); }
};

/// How two runs differ in what they ran. Names come from the runs' cells (profile, scenario,
/// sweep label) and selections (optimizer names), so a cell of one run whose key another lacks
/// is named here.
struct RunDifferences {
  /// The manifests' experiment names differ.
  bool experiment = false;
  /// The manifests' SHA-256 differ (another manifest, or the same one edited).
  bool manifest = false;
  /// The runs' replication counts differ.
  bool replications = false;
  /// The runs were made by different engine versions (engine/engine.hpp): their Monte Carlo
  /// numbers differ even for one manifest and seed. Picks still match.
  bool engine_version = false;
  OnlyIn profiles, scenarios, optimizers, sweep_points;

  /// True when a pick of one run may lack its match in the other: anything but the manifest
  /// text differs.
  bool unmatched() const;
};

/// How `a` and `b` differ in what they ran.
RunDifferences run_differences(const StoredRun& a, const StoredRun& b);

/// When `a` and `b` were made by different engine versions: one line (no newline) naming both
/// versions with what each changed, and whether it matters (not for two exact runs); else "".
std::string engine_difference(const StoredRun& a, const StoredRun& b);

/// The differences for a person, one line each (no newline), e.g. "profiles only in B: mine";
/// empty when the runs ran the same things from the same manifest by one engine version.
std::vector<std::string> describe_differences(const StoredRun& a, const StoredRun& b,
                                              const RunDifferences& differences);

/// The comparison as one JSON object (README, "kcube compare --json"): both runs, how they
/// differ, the picks (those that differ unless `all`) and the counts print_comparison() ends with.
void write_comparison_json(std::ostream& out, const StoredRun& a, const std::string& a_store,
                           const StoredRun& b, const std::string& b_store,
                           const RunDifferences& differences,
                           const std::vector<PickDifference>& picks, bool all);

}  // namespace kcube::report
