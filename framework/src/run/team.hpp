// Private: the processes of one run (`kcube run`, run_experiment()): this process alone, or the
// ranks of an MPI job
// (`mpirun -np N kcube run MANIFEST`).
//
// How a run is shared over MPI ranks
// - Every rank reads the manifest, discovers the plugins and plans the cells itself; the ranks
//   then compare what they planned (check_same) and stop together, with one message, when they
//   differ or when any of them failed (settle). Rank 0 alone checks the plugins' factories,
//   opens the store and writes it.
// - share_cells: rank 0 hands out cells one at a time, in plan order, as ranks finish them
//   (dynamic scheduling: a slow cell occupies one rank and never idles the others). Each other
//   rank holds up to two cells, one running and one waiting, so that it never waits for rank 0
//   between cells; rank 0 runs cells too, on a second thread, while its main thread receives
//   results and writes them to the store. A message is a cell's plan index (rank 0 to a rank) or
//   a cell's results (cell_codec.hpp: the values bit for bit) back. Inside a rank each cell uses
//   OpenMP as in one process, so the numbers are those of one process: every random number
//   depends only on (seed, cell, trial, draw), never on who ran the cell.
// - Waiting never spins: a rank with nothing to do, and rank 0 between messages, poll every
//   half millisecond and sleep in between, so that idle ranks leave their cores to busy ones (a
//   blocking MPI receive busy-polls in Open MPI).
// - Failures: a cell's failure is a cell with status error, as in one process. Anything else
//   that goes wrong while cells are shared (the store cannot be written, a damaged message)
//   prints its message and ends every rank with MPI_Abort; the run stays `running` in the store
//   with every cell written so far, and the same mpirun command with --resume continues it.
//   A rank that crashes (a plugin's segfault) is ended by mpirun with the others; likewise.
//
// Without MPI support (KCUBE_WITH_MPI off) every process is alone; one started by an MPI
// launcher with more than one process is refused, since the processes would each run the whole
// study into the same store.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace kcube {

/// How a kcube command ends for an exception: exit code 2 for a kcube::Error (usage or input),
/// 1 for anything else; for TeamStop (an MPI rank stopping with the others) its own code and no
/// message, since rank 0 already said why. The CLI's main() and the MPI ranks both end this way.
struct Ending {
  int code = 1;
  /// What went wrong; empty when there is nothing to print.
  std::string message;
  /// "error: MESSAGE" for exit code 2, "failure: MESSAGE" otherwise, with control characters
  /// shown as \xNN (text::printable): messages quote manifest keys and plugins' words.
  std::string line() const;
};
/// The Ending of `failure`.
Ending ending_of(const std::exception_ptr& failure);

/// Thrown on every rank of an MPI job when the ranks stop together (settle, check_same), after
/// rank 0 printed why: every rank leaves quietly with the same exit code. main() returns `code`.
class TeamStop : public std::exception {
 public:
  explicit TeamStop(int code) : code_(code) {}
  const char* what() const noexcept override { return "stopped with the other ranks"; }
  int code() const { return code_; }

 private:
  int code_;
};

/// What share_cells measured on rank 0.
struct ShareStats {
  /// Cells run by rank 0 and by the other ranks.
  std::int64_t cells_here = 0, cells_elsewhere = 0;
  /// Bytes of results received from the other ranks.
  std::int64_t bytes_received = 0;
  /// Seconds rank 0's main thread spent decoding results and in `on_result` (storing them).
  double seconds_storing = 0.0;
};

/// The processes of a run. Every collective call must be made by every rank, in the same order.
class Team {
 public:
  /// Joins the MPI job this process was started in (MPI_Init_thread), or makes a team of this
  /// process alone when no MPI launcher started it. Throws kcube::Error when an MPI launcher
  /// started several processes and this kcube was built without MPI.
  static std::unique_ptr<Team> join();

  virtual ~Team() = default;
  /// 0 for rank 0 (and a process alone).
  virtual int rank() const = 0;
  /// Number of processes (1 alone).
  virtual int size() const = 0;
  bool leader() const { return rank() == 0; }
  /// Distinct host names of the ranks, rank 0's first.
  virtual std::vector<std::string> hosts() = 0;

  /// Collective: each rank's outcome of the same step (null: it succeeded). When any failed, the
  /// ranks stop together. Alone, the failure is rethrown as it is. In an MPI job rank 0 prints,
  /// as main() would ("error: " for exit code 2, "failure: " for 1), its own failure or else the
  /// first failed rank's prefixed with that rank and host, adding the messages of ranks that
  /// failed differently; then every rank throws TeamStop with that exit code.
  virtual void settle(std::exception_ptr failure) = 0;

  /// Collective: each rank's description of what it is about to run, one fact per line. Throws as
  /// settle() does (kcube::Error) when a rank's differs from rank 0's, naming the first line that
  /// differs on each side.
  virtual void check_same(const std::string& description) = 0;

  /// Collective, for size() > 1: runs cells over the ranks. Rank 0 passes the plan indices to
  /// run, in order; `run` runs one on any rank (never throws for what a plugin does); `on_result`
  /// is called on rank 0's main thread for each result, in the order they arrive, and returns
  /// false to stop handing out cells (--fail-fast: cells already running finish and are
  /// reported; waiting ones are not run). Returns on every rank when every handed-out cell is
  /// reported; rank 0 gets the statistics. Anything `on_result` throws ends every rank
  /// (MPI_Abort) after printing it.
  virtual ShareStats share_cells(
      const std::vector<std::size_t>& pending, const std::function<CellResult(std::size_t)>& run,
      const std::function<bool(std::size_t, CellResult&&)>& on_result) = 0;

  /// Collective: waits, without spinning, until every rank is here, then leaves MPI
  /// (MPI_Finalize). Idempotent; the destructor calls it, so that a rank leaving by an exception
  /// still meets the others.
  virtual void finish() = 0;
};

/// "built with MPI (Open MPI 4.1.4)" or "built without MPI", for `kcube --version`.
std::string mpi_support();

}  // namespace kcube
