// Private: running one cell of a plan (its plugin objects, its candidate table through its
// aggregator, the optimizers' picks) and storing it; CellRunner runs cells one at a time under
// the watchdog.
//
// Every plugin call is guarded: whatever a plugin throws and every output that breaks its
// contract becomes status `error` for its cell or selection, with a message naming the plugin,
// its file, the method and what it said. A cell that misses --cell-timeout is stored as error
// "timed out after N s in <plugin>, <method>" (watchdog.hpp); a serial plugin whose call was
// abandoned is not called again in that process: the cells that need it are stored as errors
// saying so.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "host/plugin_host.hpp"
#include "manifest/manifest.hpp"
#include "run/objects.hpp"
#include "run/plan.hpp"
#include "run/watchdog.hpp"
#include "store/store.hpp"

namespace kcube {

/// The seed of the random streams of `cell` of `cm` (the manifest at its sweep point):
/// replication_seed(); nullopt for the exact evaluator, which draws nothing.
std::optional<std::uint64_t> cell_seed(const Manifest& cm, const Cell& cell);

/// Writes a cell. A cell whose results the store refuses (a value it cannot hold) is stored as
/// an error saying why, so that one bad cell does not end the run; a store that cannot be
/// written at all (disk full, I/O error) throws, and the run stops there: writing error cells
/// into a full store would only lose more of the run.
void store_cell(ResultStore& store, std::int64_t run, CellResult& result);

/// Runs the cells of a run one at a time, each under the watchdog (on this thread when there is
/// no cell timeout). Never throws for what a plugin does: a failure or a timeout is a cell with
/// status error.
class CellRunner {
 public:
  /// `objects`: the run's plugin objects, which cells borrow (run/objects.hpp). `threads`:
  /// OpenMP threads of a cell. `interrupt`: when not null, stops the engine between chunks of
  /// trials (used without a cell timeout; with one, a cell runs to its end or timeout).
  CellRunner(RunObjects& objects, Watchdog& watchdog, int threads,
             const std::atomic<bool>* interrupt)
      : objects_(objects), watchdog_(watchdog), threads_(threads), interrupt_(interrupt) {}

  /// Runs `cell` of `cm` (the manifest at the cell's sweep point). Everything the work refers to
  /// must live until the process ends once work was abandoned (Watchdog::abandoned()).
  CellResult run(const Manifest& cm, const Cell& cell, const std::string& sweep_label);

 private:
  std::string blocked_by_serial(const Manifest& cm, const Cell& cell) const;

  RunObjects& objects_;
  Watchdog& watchdog_;
  int threads_;
  const std::atomic<bool>* interrupt_;
  // Serial plugins whose call was abandoned, with the key of the cell it was abandoned in.
  std::map<const LoadedPlugin*, std::string> busy_;
};

}  // namespace kcube
