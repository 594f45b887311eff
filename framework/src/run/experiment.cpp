// The public run API (kcube/run.hpp) over run_experiment() (runner.hpp).
#include "kcube/run.hpp"

#include <string>

#include "kcube/error.hpp"
#include "run/runner.hpp"

namespace kcube {
namespace {

// The shard of `options`: every cell for 0 and 0, else shard I of N with 1 <= I <= N (what
// parse_shard() accepts of `kcube run --shard I/N`).
Shard shard_of(const ExperimentOptions& options) {
  const int index = options.shard_index;
  const int count = options.shard_count;
  if (index == 0 && count == 0)
    return {};
  if (count < 1 || index < 1 || index > count) {
    throw Error("run_experiment: shard_index " + std::to_string(index) + " and shard_count " +
                std::to_string(count) +
                " are not a shard: give 1 <= shard_index <= shard_count (shard I of N), or both "
                "0 to run every cell");
  }
  return {index, count};
}

}  // namespace

ExperimentSummary run_experiment(const ExperimentOptions& options) {
  RunRequest request;
  request.manifest = options.manifest;
  request.overrides = options.overrides;
  request.plugin_paths = options.plugin_paths;
  request.store = options.store;
  request.threads = options.threads;
  request.memory_limit = options.memory_limit;
  request.shard = shard_of(options);
  request.resume = options.resume;
  request.allow_changed_plugins = options.allow_changed_plugins;
  request.fail_fast = options.fail_fast;
  request.cell_timeout = options.cell_timeout;
  RunCallbacks callbacks;
  callbacks.stop = options.stop;
  if (options.on_progress) {
    callbacks.on_cell = [&](const CellProgress& p) {
      options.on_progress({p.cell.key, p.result.status == CellStatus::error, p.result.message,
                           p.stored, p.shard_cells});
    };
  }
  const RunReport report = run_experiment(request, callbacks);
  ExperimentSummary summary;
  summary.leader = report.leader;
  summary.run_id = report.run;
  summary.store = report.store_path;
  summary.experiment = report.manifest.experiment;
  summary.cells_run = report.ran;
  summary.cells_failed = report.failed;
  summary.cells_skipped = report.skipped;
  summary.already_finished = report.nothing_to_do;
  summary.interrupted = report.interrupted;
  summary.abandoned = report.abandoned;
  summary.seconds = report.seconds;
  for (const CellResult& cell : report.first_cells) {
    for (const auto& selection : cell.selections) {
      summary.picks.push_back({cell.profile, cell.scenario, cell.aggregator, cell.sweep,
                               cell.replication, selection.name, selection.record.k,
                               std::string(to_string(selection.record.status))});
    }
  }
  return summary;
}

}  // namespace kcube
