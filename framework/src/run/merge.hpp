// Private: merging the runs of shard stores into one run, as if one process had run the whole
// plan (`kcube merge OUT PART...`): which runs may be merged, and the merge itself.
//
// The parts are checked before OUT is opened, so that a refusal writes nothing and creates no
// file: they must be runs of one manifest (same --set options), of the same builds (kcube
// version, plugin versions and file SHA-256s, unless allow_changed_plugins: then the merged run
// records every build), of one engine version unless they are exact runs (engine/engine.hpp:
// exact numbers do not depend on it; the merged run records the newest), hold disjoint cells,
// and together hold every cell of the plan, finished (unless partial). ResultStore::merge_runs()
// then copies them in one transaction; merge_parts() is the only way to it (it alone makes the
// MergeAdmission merge_runs() asks for), so these rules cannot be passed by.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace kcube {

/// One part: a store and the run read from it.
struct MergePart {
  /// The store's path.
  std::string path;
  /// The run to take; empty for the newest.
  std::optional<std::int64_t> requested;
  /// The run: summary, context and cells (without their candidates and selections); read by
  /// merge_parts().
  StoredRun run;
};

/// What keeps the parts from being the whole run; complete() when nothing.
struct MergeGaps {
  std::int64_t plan_cells = 0;
  /// Cells of the plan no part holds.
  std::int64_t missing = 0;
  /// Cells stored with status error.
  std::int64_t errors = 0;
  /// Shards I/N absent when every part is a shard of one N.
  std::vector<std::string> absent_shards;
  /// Parts whose run is still running or failed, described.
  std::vector<std::string> unfinished;

  bool complete() const { return missing == 0 && errors == 0 && unfinished.empty(); }

  /// What is missing, "; "-separated.
  std::string text() const;
};

/// What to merge.
struct MergeRequest {
  /// The output store (created if it does not exist); never one of the parts.
  std::string out;
  /// The parts, in the order given (path and requested run).
  std::vector<MergePart> parts;
  /// Merge even when cells are missing or failed or a part did not finish: the merged run is
  /// marked failed.
  bool partial = false;
  /// Merge parts made with different builds of kcube or a plugin.
  bool allow_changed_plugins = false;
  /// Notes for people: fields that differ between the parts but do not stop the merge.
  std::function<void(const std::string&)> on_note;
};

/// What a merge did.
struct MergeReport {
  /// The merged run in `out`, and its status (finished, or failed when incomplete).
  std::int64_t run = 0;
  RunStatus status = RunStatus::finished;
  /// The merged run's context (experiment, overrides, ...).
  RunContext context;
  std::size_t parts = 0;
  /// Cells copied.
  std::size_t cells = 0;
  /// What the merged run lacks (partial).
  MergeGaps gaps;
};

/// Reads the parts' runs and merges them into a new run of `request.out` (see the file
/// comment). Throws kcube::Error, writing nothing, for parts that may not be merged.
MergeReport merge_parts(MergeRequest request);

/// "1 cell", "7 cells".
std::string cells_text(std::int64_t n);

}  // namespace kcube
