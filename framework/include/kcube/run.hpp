// kcube/run.hpp: runs an experiment (a YAML manifest, see experiments/) into a results store from
// C++, as `kcube run MANIFEST` does: the manifest is read and validated with its overrides, the
// plugins it names are found and their parameters checked, its cells (sweep points x profiles x
// scenarios x replications) are run and stored, and a summary comes back. The store is the one
// `kcube export`, `kcube report` and `kcube compare` read. Not part of the plugin SDK: plugins
// never include it.
//
//   kcube::ExperimentOptions options;
//   options.manifest = "experiments/paper-2025.yaml";
//   options.overrides = {"run.trials=200"};
//   options.store = "paper.sqlite";
//   const kcube::ExperimentSummary summary = kcube::run_experiment(options);
//   for (const kcube::ExperimentPick& pick : summary.picks) ...
//
// Every random number is a function of (seed, cell, trial, draw): the numbers do not depend on
// the thread count, on shards or on MPI ranks. A program started by mpirun shares the cells over
// its ranks (every rank calls run_experiment; rank 0 writes the store).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kcube {

/// A cell just stored, for progress reports.
struct ExperimentProgress {
  /// The cell's key: "profile|scenario|sweep point|replication", then "|aggregator" unless the
  /// aggregator is named max-accuracy (the one of a manifest that names none).
  std::string cell;
  /// True when the cell failed (stored with status error); `message` says why.
  bool failed = false;
  std::string message;
  /// Cells of the run (of its shard) in the store now, this one included, and in all.
  std::size_t stored = 0, total = 0;
};

/// What to run, and how. The defaults are those of `kcube run MANIFEST`.
struct ExperimentOptions {
  /// The manifest's path.
  std::string manifest;
  /// Overrides of manifest values by dotted path, "PATH=VALUE" (`kcube run --set`), e.g.
  /// "run.trials=300".
  std::vector<std::string> overrides;
  /// Plugin folders searched first; then the manifest's plugin_path, KCUBE_PLUGIN_PATH and the
  /// installed plugins.
  std::vector<std::string> plugin_paths;
  /// The results store (SQLite, created when missing); empty: the manifest's store.
  std::string store;
  /// OpenMP threads of a cell; 0: OpenMP's default; nullopt: the manifest's run.threads.
  std::optional<int> threads;
  /// Bytes a cell may need at most; nullopt: half of the physical memory (or cgroup limit).
  std::optional<std::uint64_t> memory_limit;
  /// Shard I of N (1 <= I <= N): only the cells whose plan position p has p % N == I - 1
  /// (`kcube merge` combines the shards' stores). 0 and 0: every cell.
  int shard_index = 0, shard_count = 0;
  /// Continue the newest unfinished run of this manifest, overrides and shard, retrying its
  /// failed cells.
  bool resume = false;
  /// With resume: go on even when kcube or a plugin is another build than the run used.
  bool allow_changed_plugins = false;
  /// Stop at the first failed cell.
  bool fail_fast = false;
  /// Seconds a cell may take (> 0); a cell that takes longer is stored as failed. See
  /// ExperimentSummary::abandoned. nullopt: no limit.
  std::optional<double> cell_timeout;
  /// Called after each stored cell (on MPI rank 0 only).
  std::function<void(const ExperimentProgress&)> on_progress;
  /// When set and it becomes true (e.g. from a signal handler), no further cell starts and the
  /// run is marked interrupted; resume continues it.
  const std::atomic<bool>* stop = nullptr;
};

/// The k one optimizer picked in one cell.
struct ExperimentPick {
  std::string profile;
  std::string scenario;
  /// The aggregator's name in the manifest ("max-accuracy" when it names none).
  std::string aggregator;
  /// The sweep point's label ("" without a sweep) and the replication (0-based).
  std::string sweep;
  int replication = 0;
  /// The optimizer's name in the manifest.
  std::string optimizer;
  /// The k picked; nullopt when there is none (see status).
  std::optional<int> k;
  /// "selected", "fallback", "infeasible", "too-few-points" or "error" (kcube/optimizer.hpp).
  std::string status;
};

/// What a run did.
struct ExperimentSummary {
  /// False on the MPI ranks other than rank 0, which report nothing else.
  bool leader = true;
  /// The run's id in the store, and the store's path.
  std::int64_t run_id = 0;
  std::string store;
  /// The manifest's experiment name.
  std::string experiment;
  /// Cells run, of them failed, and cells not run (fail_fast or the stop flag).
  std::size_t cells_run = 0, cells_failed = 0, cells_skipped = 0;
  /// resume found the run already finished: nothing was run.
  bool already_finished = false;
  /// The stop flag ended the run.
  bool interrupted = false;
  /// A cell missed cell_timeout and its thread may still be running plugin code: the process
  /// must end with std::_Exit (never by returning from main, which would unload the plugins
  /// under that thread).
  bool abandoned = false;
  /// Seconds from the first cell to the last.
  double seconds = 0.0;
  /// The picks of every optimizer in the cells run at the first sweep point and replication, in
  /// the order they were stored (`kcube export --table selections` has them all).
  std::vector<ExperimentPick> picks;
};

/// Runs the experiment `options` describes into its store. Throws kcube::Error (kcube/error.hpp)
/// for a mistake in the manifest, the options or a plugin's parameters (nothing is stored then),
/// kcube::RuntimeFailure for a failure while running (the run stays in the store; resume
/// continues it). A failing cell is not an exception: it is stored as failed and counted.
ExperimentSummary run_experiment(const ExperimentOptions& options);

}  // namespace kcube
