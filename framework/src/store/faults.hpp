// Private to the store: a test hook, fault injection (KCUBE_FAULT_INJECTION).
//
//   The crash tests (tests/crash/) need faults at exact places of the write path, not at times.
//   The environment variable KCUBE_FAULT_INJECTION, read once per process, holds rules
//   separated by ',', each ACTION:FUNCTION:POINT:N. When this process reaches FUNCTION:POINT
//   for the N-th time (1-based; '*' for every time), ACTION happens (several rules at one point
//   act in the order given):
//     kill        raise(SIGKILL): the process dies there, as in a crash or `kill -9`.
//     sleep=MS    sleep MS milliseconds (holding the write lock if inside a transaction), or
//                 less: a signal the process handles (SIGINT, SIGTERM) ends the sleep.
//     full        from then on the database file cannot grow (PRAGMA max_page_count = its page
//                 count), so SQLite fails the next write that needs a page with SQLITE_FULL, as
//                 on a full disk. Not at lock:busy.
//     touch=FILE  create the empty file FILE (left as it is if it exists).
//     wait=FILE   wait until the file FILE exists (holding the write lock if inside a
//                 transaction). With touch=, processes run in a fixed order, not paced by
//                 time: e.g. one writer waits before its second cell for a file another touches
//                 after its first. FILE holds no ':' or ','.
//   touch and wait give up on what they cannot do: a file touch= cannot create, or one wait=
//   still misses after 60 s (a guard against rules that never meet, not a timing: such a wait
//   normally ends in milliseconds). The process then prints why on stderr and exits with status
//   124, as timeout(1) does.
//   Points, in the order a run reaches them:
//     check_identity:before_tables   opening reads what the file is: its schema version and
//                                    application id are read, its tables not yet counted (first
//                                    occurrence: before anything is written; then again under
//                                    the write lock, when the schema is created or migrated)
//     migrate:before_commit          the missing migrations ran, their COMMIT not yet
//     begin_run:before_commit        the run row is inserted, not committed
//     write_cell:before_begin        a cell is about to be written, no transaction yet
//     write_cell:after_cell_row      the cell row is inserted (transaction open)
//     write_cell:after_candidates    its candidate rows are inserted, not its selections
//     write_cell:before_commit       every row of the cell is inserted, COMMIT not yet
//     write_cell:after_commit        the cell is committed
//     finish_run:before_commit       the run's status is updated, not committed
//     finish_run:after_commit        the run is committed as finished, failed or interrupted
//     merge:before_commit            merge_runs() copied every part, COMMIT not yet
//   and, wherever it happens:
//     lock:busy                      another connection holds a lock this one needs (a write
//                                    transaction open, the file while it switches to WAL):
//                                    reached once per wait, as this process starts waiting
//                                    (up to the busy timeout). With a rule here, kcube's own
//                                    busy handler waits instead of sqlite3_busy_timeout().
//   E.g. KCUBE_FAULT_INJECTION=kill:write_cell:after_candidates:3 kills the process in the
//   middle of its third cell's transaction. Unset (always, outside tests), it costs one branch
//   per point. A malformed value is a kcube::Error from open() and open_read_only().
#pragma once

#include <string>

struct sqlite3;

namespace kcube::store_detail {

/// A place in the write path where a test can inject a fault.
enum class FaultPoint {
  check_identity_before_tables,
  migrate_before_commit,
  begin_run_before_commit,
  write_cell_before_begin,
  write_cell_after_cell_row,
  write_cell_after_candidates,
  write_cell_before_commit,
  write_cell_after_commit,
  finish_run_before_commit,
  finish_run_after_commit,
  merge_before_commit,
  lock_busy,
};

/// Throws kcube::Error when KCUBE_FAULT_INJECTION is malformed.
void check_fault_plan();

/// Reaching `point` with the store `db` open: does what a rule of KCUBE_FAULT_INJECTION says,
/// rule by rule in the order given.
void inject_fault(sqlite3* db, const std::string& path, FaultPoint point);

/// Makes `db` wait up to kBusyTimeoutMs for a lock that another connection holds.
void wait_when_busy(sqlite3* db);

}  // namespace kcube::store_detail
