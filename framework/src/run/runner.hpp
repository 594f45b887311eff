// Private: running an experiment into the results store, the one way `kcube run`, its MPI ranks
// and a C++ program (kcube/run.hpp) run one: read and validate the manifest with overrides, plan
// its cells, check the plugins' factories and the memory, start or resume the run in the store,
// run the cells (alone or shared over MPI ranks, team.hpp), mark the run, and report.
//
// - A cell's failure (whatever its plugins throw, a broken contract, a timeout) is a cell with
//   status error (cell.hpp); the run goes on, is marked failed at the end and the report counts
//   it. With fail_fast the run stops at the first failed cell instead (no later cell started).
// - Factories run before the store exists (checks.hpp): nothing is stored when they fail.
// - The stop flag (the CLI raises it on SIGINT or SIGTERM): the cell being written is committed
//   whole, no further cell starts, a cell the flag stopped inside the engine is not stored, and
//   the run is marked `interrupted`. With a cell timeout the engine is not stopped mid-cell: the
//   flag takes effect when the cell ends (at the latest at its timeout).
// - A cell timeout runs each cell on a worker thread (watchdog.hpp). A cell that misses it is
//   abandoned, and its thread may still run plugin code: the run then keeps the plugins loaded
//   and its state alive (never destroyed) and the caller must end the process with std::_Exit
//   once it has said what it has to say (RunReport::abandoned, RunCallbacks::leave), so that no
//   plugin library is unloaded under the abandoned thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.hpp"
#include "run/plan.hpp"
#include "run/team.hpp"
#include "store/store.hpp"

namespace kcube {

/// What to run, and how.
struct RunRequest {
  /// The manifest (YAML) and its --set overrides ("PATH=VALUE").
  std::filesystem::path manifest;
  std::vector<std::string> overrides;
  /// Plugin folders searched first; then the manifest's plugin_path, KCUBE_PLUGIN_PATH and the
  /// built-in folder.
  std::vector<std::string> plugin_paths;
  /// Manifests with more cells than this are refused.
  std::uint64_t max_cells = kDefaultMaxCells;
  /// The store; empty: the manifest's store (or results/<experiment>.sqlite).
  std::string store;
  /// OpenMP threads of a cell (per MPI rank); 0: OpenMP's default; nullopt: run.threads.
  std::optional<int> threads;
  /// Bytes a cell may need at most; nullopt: half of the physical memory (or cgroup limit).
  std::optional<std::uint64_t> memory_limit;
  /// The shard of the plan to run; whole by default.
  Shard shard;
  /// Continue the newest unfinished run of this plan, retrying its cells stored with an error.
  bool resume = false;
  /// With resume: go on even when kcube or a plugin is another build than the run used.
  bool allow_changed_plugins = false;
  /// Stop at the first failed cell.
  bool fail_fast = false;
  /// Seconds a cell may take (> 0); nullopt: no limit.
  std::optional<double> cell_timeout;
};

/// A cell just stored, for progress reports.
struct CellProgress {
  const Cell& cell;
  const CellResult& result;
  /// Cells of the shard in the store now (this one included), and of the shard in all.
  std::size_t stored = 0, shard_cells = 0;
  /// Cells run by this call so far, and to run in all.
  std::size_t ran = 0, pending = 0;
  /// Seconds since the first cell started.
  double seconds = 0.0;
};

/// How the run talks to its caller. Every member may be empty.
struct RunCallbacks {
  /// The processes of the run; null: Team::join() (this process, or its MPI job).
  Team* team = nullptr;
  /// Raised to stop the run (see the file comment); null: never.
  const std::atomic<bool>* stop = nullptr;
  /// On rank 0, once every rank planned the same cells, before the factory checks.
  std::function<void(const Plan&)> on_planned;
  /// On rank 0, after each cell is stored.
  std::function<void(const CellProgress&)> on_cell;
  /// A note for people (e.g. a run resumed with other builds), without "kcube run: note: ".
  std::function<void(const std::string&)> on_note;
  /// Called instead of returning or throwing when work was abandoned and the run cannot go on:
  /// must end the process at once (std::_Exit) with `code`, after saying `failure` (empty when
  /// there is nothing to say). Empty: leave_process().
  std::function<void(int code, const std::string& failure)> leave;
};

/// What a run did.
struct RunReport {
  /// False on the MPI ranks other than rank 0, which report nothing else.
  bool leader = true;
  /// The run's id in the store, and the store.
  std::int64_t run = 0;
  std::string store_path;
  /// The manifest and its sweep points, as run.
  Manifest manifest;
  std::vector<SweepPoint> points;
  Shard shard;
  std::size_t plan_cells = 0, shard_cells = 0;
  /// resume found the run finished: nothing was run.
  bool nothing_to_do = false;
  /// Cells the resumed run already held finished.
  std::size_t done_before = 0;
  /// Cells run, of them failed, and cells not run (fail_fast or the stop flag).
  std::size_t ran = 0, failed = 0, skipped = 0;
  /// The stop flag ended the run: it is marked interrupted.
  bool interrupted = false;
  /// Work was abandoned (a cell timeout): the caller must end the process with std::_Exit.
  bool abandoned = false;
  /// Seconds from the first cell to the last.
  double seconds = 0.0;
  /// The cells at the first sweep point and replication, in the order stored.
  std::vector<CellResult> first_cells;
  /// MPI ranks, their distinct hosts (rank 0's first) and how the cells were shared.
  int ranks = 1;
  std::vector<std::string> hosts;
  ShareStats shares;
};

/// The plugins of `request`'s manifest: its plugin_paths, then the manifest's plugin_path,
/// KCUBE_PLUGIN_PATH and the built-in folder.
PluginRegistry discover_for_manifest(const RunRequest& request);

/// Runs `request` (see the file comment). Throws kcube::Error for the user's mistakes (the
/// manifest, the options, a factory's refusal, nothing stored), kcube::RuntimeFailure and others
/// for failures at run time, TeamStop on the MPI ranks when they stop together.
RunReport run_experiment(const RunRequest& request, RunCallbacks& callbacks);

/// Flushes standard output, standard error and every C stream, then std::_Exit(code): for a
/// process whose abandoned work may still run plugin code (no destructors, no unloading).
[[noreturn]] void leave_process(int code);

}  // namespace kcube
