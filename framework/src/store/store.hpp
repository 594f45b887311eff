// Private: the results store, one SQLite file holding every run of kcube with its context, the
// candidate tables of its cells and the selections made on them.
//
// Design
// - One file, any number of runs. The schema has a version, `PRAGMA user_version`, and an
//   application id, `PRAGMA application_id` = 0x6b637562 ("kcub"). Opening a store applies the
//   migrations it lacks from an explicit, ordered list (0 -> 1 -> ... -> 7 today), all in
//   one transaction; a store whose version is newer than this kcube knows is refused
//   (kcube::Error), and so is a file that is not SQLite or an SQLite database of another program,
//   and anything that is not a regular file once links are followed (a directory, a device such as
//   /dev/null, a FIFO, a socket), before SQLite opens it.
// - Creating a store is atomic with respect to other processes: several `kcube run` may start at
//   once on a new store. What the file is is read in one snapshot, and the schema is created
//   under the write lock after reading the version again: an empty database (a new file) is a
//   store being created, which the others wait for, never another program's database.
// - journal_mode=WAL, busy_timeout 30 s, foreign keys on: several processes may write one store
//   at once (each cell is one short write transaction; writers queue, readers never block).
// - Values are bound parameters, never spliced into SQL. Absent values are NULL (exact evaluation
//   has no spread, an infeasible selection no k). NaN and infinities are never stored: writing
//   one is a kcube::RuntimeFailure and the cell's transaction is rolled back, leaving nothing.
//
// Schema, version 7
//   runs(id INTEGER PRIMARY KEY, experiment, status 'running'|'finished'|'failed'|'interrupted'
//        (interrupted: ended by SIGINT or SIGTERM between cells; `kcube run --resume` goes on),
//        started_at, finished_at (ISO-8601 UTC, "2026-11-28T14:39:43Z"; NULL while running),
//        kcube_version, git_revision (NULL if unknown), compiler, build_type, host, threads,
//        seed (TEXT, decimal: a 64-bit unsigned value), manifest_text, manifest_sha256,
//        overrides (canonical "PATH=VALUE" lines, sorted, '\n'-separated; '' for none),
//        plugins (JSON array of {"name","kind","version","file","sha256"}, sorted by kind then
//        name; sha256: of the library file, absent in runs of older versions: unknown),
//        evaluator, trials (NULL for exact evaluation), replications, sampling (NULL when none),
//        cell_count (cells this run plans to write), shard_index and shard_count (for a shard
//        run, `kcube run --shard I/N`: I, 1-based, and N; NULL for a whole run), plan_cells
//        (cells in the manifest's whole plan: cell_count for a whole run, more for a shard; NULL
//        in rows of older versions, read back as cell_count), ranks (MPI processes that ran it,
//        1 for one process; NULL in rows of older versions, read back as 1), merged_from (for a
//        run made by `kcube merge`: a JSON array with one object per part, {"store": its path as
//        given, "run": id, "shard": "I/N" or null, "host", "started_at", "finished_at",
//        "status", "cells": cells copied}; NULL otherwise), writer_host, writer_pid,
//        writer_start, build_changes (see 3 -> 4 below), engine_version (kEngineVersion of the
//        engine that made its Monte Carlo numbers, engine/engine.hpp; 1 for runs stored before
//        schema version 7))
//   engine_versions(version INTEGER PRIMARY KEY, summary: what that engine version changed,
//        kEngineVersionHistory; every kcube that opens the store for writing adds the versions
//        it knows, so a store says why the numbers of its runs differ)
//   cells(run_id -> runs, cell_key, replication, profile, scenario, sweep (label; NULL when the
//        cell is not part of a sweep), seed (TEXT, decimal; NULL if none), status
//        'finished'|'error', message, seconds (wall time), position (index in the run's plan),
//        profile_spec, scenario_spec (canonical_spec() of the plugin objects the cell was made
//        with; NULL when a plugin could not be made), aggregator (its name in the manifest),
//        aggregator_spec (canonical_spec(), NULL like the others), notes (what the evaluation
//        said besides the table, one line each, '\n'-separated; NULL when none);
//        UNIQUE(run_id, cell_key))
//   candidates(run_id, cell_key -> cells, replication, profile, scenario, k, trials, cost,
//        latency, accuracy, <metric>_std, <metric>_se, <metric>_p025, <metric>_p975 for metric in
//        cost, latency, accuracy, feasible (0/1; NULL if not assessed), extra (JSON object of any
//        other column of the candidate table, e.g. {"cost_p95":0.41}; NULL when none);
//        UNIQUE(run_id, cell_key, k))
//   selections(run_id, cell_key -> cells, position (order written), replication, profile,
//        scenario, optimizer (its name in the manifest), plugin, spec, status, k, cost, latency,
//        accuracy, score, feasible_count, pareto_count, reason, optimizer_spec (canonical_spec()
//        of the optimizer), pick_share (run.bootstrap: the share of question resamples that
//        pick the same k; NULL without a bootstrap), pick_distribution (run.bootstrap: JSON
//        object of each picked k's share, keys the k as strings in increasing order and
//        "none"; NULL without); UNIQUE(run_id, cell_key, position))
//   Candidates and selections are deleted with their cell (ON DELETE CASCADE).
//
// Reading a store you may not write
//   open_read_only() opens an existing store without creating, migrating or writing anything,
//   and without leaving -wal or -shm files behind: SQLite would create them owned by the reader,
//   and a writer could then not write its own store. A store with a -wal file (a writer has it
//   open, or was killed) is read through that log; a store without one is read as immutable
//   (SQLite's `immutable=1`: no locks, no files), which is exact while nobody writes it.
//   open_immutable() reads every store without a -wal file that way, also one this user may
//   write (`kcube merge` reads its parts so): a read-only connection in WAL mode would create
//   -wal and -shm files and leave them behind.
//
// Failures
//   A write that fails (a full disk or file size limit, SQLITE_FULL or SQLITE_IOERR_* with
//   ENOSPC, EFBIG or EDQUOT; any other I/O error; read-only files) is a kcube::RuntimeFailure
//   naming the store, what failed and what to do. The cell being written is rolled back; every
//   committed run and cell stays, and `kcube run MANIFEST --resume` continues the run.
//
// Test hook: fault injection (KCUBE_FAULT_INJECTION), for the crash tests: see faults.hpp.
//
// Migrations (the missing ones in one transaction)
//   0 -> 1  creates the four tables.
//   1 -> 2  adds cells.position, cells.profile_spec, cells.scenario_spec and
//           selections.optimizer_spec (ALTER TABLE ... ADD COLUMN). Rows written by version 1
//           keep NULL there: unknown, read back as an empty position or spec.
//   2 -> 3  adds runs.shard_index, runs.shard_count, runs.plan_cells, runs.ranks and
//           runs.merged_from (ALTER TABLE ... ADD COLUMN). Runs written by version 2 keep NULL
//           there, read back as a whole run (shard 0/0) of cell_count cells on one process, not
//           merged.
//   3 -> 4  rebuilds runs (CREATE, copy, DROP, RENAME, as SQLite's ALTER TABLE documentation
//           says, with foreign keys off: open() enables them after migrating) so that its status
//           may be 'interrupted', adding writer_host, writer_pid, writer_start and
//           build_changes (NULL in older rows: writer unknown, no build changes). Plugin records
//           of older runs have no sha256: unknown, which --resume and merge refuse to mix
//           unless given --allow-changed-plugins.
//   4 -> 5  adds cells.aggregator (NOT NULL, 'max-accuracy' in older rows: every cell stored
//           before was best-of-k, that plugin's rule), cells.aggregator_spec ('max-accuracy'
//           where profile_spec is known, else NULL) and cells.notes (NULL). Cell keys do not
//           change (see cell_key()).
//   5 -> 6  adds selections.pick_share and selections.pick_distribution (NULL in older rows:
//           no bootstrap).
//   6 -> 7  adds runs.engine_version (NOT NULL, 1 in older rows: every run stored before was
//           made by engine version 1) and the table engine_versions.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "engine/evaluator.hpp"
#include "engine/selection.hpp"
#include "kcube/candidate.hpp"
#include "kcube/error.hpp"
#include "util/system.hpp"  // IWYU pragma: export (host_name(), which ProcessIdentity records)

namespace kcube {

/// Thrown by ResultStore::write_cell for a cell the store cannot hold (a non-finite value, a
/// column of the wrong length): the cell's own fault, so a run may store it as an error instead
/// and go on. Every other RuntimeFailure of the store (disk full, I/O error) means the store
/// cannot be written now, and a run must stop.
class BOOST_SYMBOL_VISIBLE UnstorableCell : public RuntimeFailure {
 public:
  using RuntimeFailure::RuntimeFailure;
  ~UnstorableCell() override;
};

/// The schema version this kcube writes and reads (`PRAGMA user_version`).
inline constexpr int kStoreSchemaVersion = 7;

/// A plugin library a run used.
struct PluginRecord {
  /// The plugin's name, e.g. "cube-max".
  std::string name;
  /// "profile", "scenario", "optimizer" or "aggregator".
  std::string kind;
  /// The plugin's version.
  std::string version;
  /// Path of its library file.
  std::string file;
  /// SHA-256 of the library file, lowercase hex; empty when unknown (runs of schema 3 and older).
  std::string sha256;
};

/// A process, as a run records the one writing it: enough to tell later, on the same host,
/// whether it still runs (see process_gone()).
struct ProcessIdentity {
  /// Host name (host_name()); empty when unknown.
  std::string host;
  /// Process id; 0 when unknown.
  std::int64_t pid = 0;
  /// "BOOT_ID PID_NAMESPACE START_TICKS": the boot (/proc/sys/kernel/random/boot_id), the PID
  /// namespace (/proc/self/ns/pid) and the start time in clock ticks since boot (field 22 of
  /// /proc/PID/stat), which together tell a process from a later one given the same id; empty
  /// when unknown (no /proc).
  std::string start;
};

/// This process.
ProcessIdentity this_process();

/// True when `process` certainly no longer runs: it ran on this host, in this boot and PID
/// namespace, and there is no process with its id (kill(pid, 0) fails with ESRCH) or the one
/// there now started at another time (the id was reused), or it ran on this host in an earlier
/// boot. False when that cannot be told (another host or namespace, nothing recorded).
bool process_gone(const ProcessIdentity& process);

/// True when `process` certainly runs now: on this host, in this PID namespace, a process with
/// its id exists and started when it did. False when it is gone or that cannot be told.
bool process_alive(const ProcessIdentity& process);

/// Everything a run records about how it was made (see the runs table).
struct RunContext {
  /// The experiment's name from the manifest.
  std::string experiment;
  /// ISO-8601 UTC start time; begin_run() fills it when empty.
  std::string started_at;
  /// kcube's version.
  std::string kcube_version;
  /// Git revision of the kcube build; empty when unknown (stored as NULL).
  std::string git_revision;
  /// Compiler and its version, e.g. "gcc 12.2.0".
  std::string compiler;
  /// CMake build type, e.g. "Release".
  std::string build_type;
  /// Host name.
  std::string host;
  /// OpenMP threads used.
  int threads = 0;
  /// Root seed of the run.
  std::uint64_t seed = 0;
  /// The manifest file's text, verbatim.
  std::string manifest_text;
  /// SHA-256 of manifest_text, lowercase hex.
  std::string manifest_sha256;
  /// Command-line overrides as "PATH=VALUE"; stored canonically (see canonical_overrides()).
  std::vector<std::string> overrides;
  /// Every plugin the run used.
  std::vector<PluginRecord> plugins;
  /// How candidates were evaluated (stored as its name, "monte-carlo" or "exact").
  Evaluator evaluator = Evaluator::monte_carlo;
  /// Trials per cell; empty for exact evaluation.
  std::optional<std::int64_t> trials;
  /// Replications of every cell (>= 1).
  int replications = 1;
  /// Path scheme ("nested", "independent"); empty when it does not apply (stored as NULL).
  std::string sampling;
  /// Number of cells the run plans to write.
  std::int64_t cell_count = 0;
  /// For a shard run (kcube run --shard I/N): I, 1-based, and N; both 0 for a whole run.
  int shard_index = 0;
  int shard_count = 0;
  /// Cells in the manifest's whole plan; 0 means cell_count (a whole run).
  std::int64_t plan_cells = 0;
  /// MPI processes that ran the run (1: one process).
  int ranks = 1;
  /// For a run made by kcube merge: the JSON array described in the schema; empty otherwise.
  std::string merged_from;
  /// The process writing the run (rank 0's); all empty for none (a merged run) or unknown.
  ProcessIdentity writer;
  /// The JSON array build_changes described in the schema; empty when the run's cells all come
  /// from the builds kcube_version and plugins name.
  std::string build_changes;
  /// The engine version of its Monte Carlo numbers (kEngineVersion when it was made).
  int engine_version = kEngineVersion;
};

/// A RunContext with what the process knows about itself filled in: host name (gethostname),
/// compiler (from the compiler's version macros), kcube version, git revision when the build
/// knows it (KCUBE_GIT_REVISION), the current UTC time as started_at, and `build_type`.
RunContext capture_run_context(std::string_view build_type);

/// True when this user may write the store at `path` and its folder (SQLite creates the -wal
/// and -shm files there): open() can write it. A reading command opens such a store with open(),
/// any other with open_read_only().
bool store_writable(const std::string& path);

/// The current UTC time as ISO-8601, e.g. "2026-11-28T14:39:43Z".
std::string utc_now_iso8601();

/// Overrides in the stored form: sorted, joined by '\n' ("" when none).
std::string canonical_overrides(std::vector<std::string> overrides);

/// The key of a cell, unique within a run: "profile|scenario|sweep|replication", followed by
/// "|aggregator" unless the aggregator is named kDefaultAggregator ("max-accuracy", the one
/// aggregator of a manifest that names none). So every cell stored before aggregators existed
/// (all best-of-k, see migration 4 -> 5) keeps its key, and with it --resume, kcube merge and
/// the messages that name cells.
std::string cell_key(std::string_view profile, std::string_view scenario,
                     std::string_view aggregator, std::string_view sweep, int replication);

/// A run's state as stored. A running run whose process is gone (process_gone()) is shown as
/// `stopped` by `kcube runs`; that is not a stored state.
enum class RunStatus { running = 1, finished = 2, failed = 3, interrupted = 4 };
/// "running", "finished", "failed" or "interrupted".
std::string_view to_string(RunStatus status) noexcept;

/// A cell's outcome.
enum class CellStatus { finished = 1, error = 2 };
/// "finished" or "error".
std::string_view to_string(CellStatus status) noexcept;

/// One optimizer's selection, under the name the manifest gives the optimizer.
struct NamedSelection {
  /// The optimizer's name in the manifest (record.optimizer is its plugin's name).
  std::string name;
  /// What it picked.
  SelectionRecord record;
  /// With run.bootstrap: the share of the question resamples whose pick equals record.k (for
  /// no pick: the share that picked nothing too), in [0, 1]; empty without a bootstrap.
  std::optional<double> pick_share = std::nullopt;
  /// With run.bootstrap: the share of resamples that picked each k, a JSON object with the k
  /// as keys in increasing order and "none" last, e.g. {"4":0.62,"8":0.38}; empty without.
  std::string pick_distribution = std::string();
};

/// Everything a cell produced; written in one transaction by ResultStore::write_cell().
struct CellResult {
  /// Replication index (0-based).
  int replication = 0;
  /// Profile, scenario and aggregator names from the manifest.
  std::string profile, scenario, aggregator = std::string(kDefaultAggregator);
  /// Sweep label, e.g. "k_max=16"; empty when the cell is not part of a sweep.
  std::string sweep;
  /// The cell's index in the run's plan (replication-major, then sweep point, profile,
  /// scenario and aggregator in manifest order); orders cells the way the manifest lists them.
  /// Empty when unknown (stores of schema version 1).
  std::optional<std::int64_t> position;
  /// Canonical spec strings (canonical_spec()) of the profile and the scenario the cell was made
  /// with, parameters after any sweep point applied: enough to make the same plugin objects
  /// again. Empty when unknown (schema version 1).
  std::string profile_spec, scenario_spec;
  /// The same of the aggregator (cells of schema 4 and older: "max-accuracy", or empty with
  /// the others).
  std::string aggregator_spec;
  /// What the evaluation said besides the table (SimulationResult::notes: questions of a log
  /// left out, ...), one line each.
  std::vector<std::string> notes;
  /// The root seed of the cell's random streams (replication_seed() of the run's seed, see
  /// run/plan.hpp; a stream is keyed by it, the cell's identity and the trial); empty for the
  /// exact evaluator and in cells stored before kcube recorded it.
  std::optional<std::uint64_t> seed;
  /// finished, or error when the cell failed (then message says why).
  CellStatus status = CellStatus::finished;
  /// Why it failed; may be empty for a finished cell.
  std::string message;
  /// Wall time of the cell, seconds.
  double seconds = 0.0;
  /// The candidate table (empty for a cell that failed before having one).
  CandidateTable candidates;
  /// Feasibility of each candidate row; empty when not assessed (stored as NULL), otherwise
  /// one entry per row.
  std::vector<bool> feasible;
  /// The selections, in the order they are to be reported.
  std::vector<NamedSelection> selections;

  /// cell_key(profile, scenario, aggregator, sweep, replication).
  std::string key() const;
};

/// A run that can be resumed.
struct ResumeState {
  /// The run's id.
  std::int64_t run = 0;
  /// Keys of its cells stored with status finished.
  std::set<std::string> finished_cells;
};

/// One line of `kcube runs`.
struct RunSummary {
  std::int64_t id = 0;
  std::string experiment;
  RunStatus status = RunStatus::running;
  std::string started_at;
  /// Empty while running.
  std::string finished_at;
  std::string manifest_sha256;
  /// Canonical overrides.
  std::string overrides;
  /// Cells planned, stored finished, stored with an error.
  std::int64_t cell_count = 0, cells_finished = 0, cells_failed = 0;
  /// For a shard run: I (1-based) and N of --shard I/N; both 0 for a whole run.
  int shard_index = 0, shard_count = 0;
  /// Cells in the manifest's whole plan (cell_count for a whole run).
  std::int64_t plan_cells = 0;
  /// MPI processes that ran the run.
  int ranks = 1;
  /// True for a run made by kcube merge (merged_from is set).
  bool merged = false;
  /// The process writing the run, as recorded (all empty when unknown).
  ProcessIdentity writer;
  /// True when the run's cells come from more than one build (build_changes is set).
  bool mixed_builds = false;
  /// The engine version of its Monte Carlo numbers (RunContext::engine_version).
  int engine_version = kEngineVersion;
  /// How it was evaluated: an exact run's numbers do not depend on the engine version.
  Evaluator evaluator = Evaluator::monte_carlo;
};

/// Whether the numbers of a run evaluated by `evaluator` depend on the engine version: Monte
/// Carlo numbers do; exact evaluation (and its bootstrap, which resamples questions with the
/// counter-based uniforms that no engine version has changed) does not (kEngineVersion).
bool depends_on_engine(Evaluator evaluator);

/// What engine version `version` changed: the store's engine_versions row when `known` has
/// one, else kEngineVersionHistory, else "unknown to this kcube (a newer one made it)".
std::string engine_version_summary(int version, const std::map<int, std::string>& known = {});

struct MergeRequest;
struct MergeReport;
MergeReport merge_parts(MergeRequest request);

/// What merge_runs() asks for: proof that merge_parts() (run/merge.hpp) admitted the runs to
/// merge, as runs of one manifest with the same --set options, of one build (unless allowed),
/// holding disjoint cells, and whole (unless partial). Only merge_parts() can make one, so no
/// caller merges runs that those rules refuse.
class MergeAdmission {
  MergeAdmission() = default;
  friend MergeReport merge_parts(MergeRequest request);
};

/// A run of another store to copy, for merge_runs().
struct MergeSource {
  /// Path of the store.
  std::string path;
  /// Id of the run in it.
  std::int64_t run = 0;
};

/// A run as stored, everything a report needs: its summary, its context, and every cell with
/// its candidates, feasibility and selections.
struct StoredRun {
  RunSummary summary;
  RunContext context;
  /// What its engine version changed (engine_version_summary(), from the store's table first).
  std::string engine_summary;
  /// Cells ordered by position (cells without one last, in the order written); selections in
  /// each cell in the order written (the manifest's optimizer order).
  std::vector<CellResult> cells;
};

/// Which table export_table() writes.
enum class Table { candidates, selections };
/// Output format of export_table().
enum class Format { csv, json };

/// An open results store. Movable, not copyable; one per thread.
class ResultStore {
 public:
  /// Opens the store at `path`, creating the file (not its directory) and applying missing
  /// migrations; safe while other processes open, create or write the same store. Throws
  /// kcube::Error when the directory is missing, the path is not writable or not a regular file
  /// (links followed), the file is not a kcube store, or its schema is newer than this kcube
  /// knows; each message names the path and the fix.
  static ResultStore open(const std::string& path);

  /// Opens an existing store for reading only (see "Reading a store you may not write"):
  /// nothing is created, migrated or written. Throws kcube::Error naming the path and the fix
  /// when the file is missing, unreadable or not a regular file (links followed), is not a
  /// kcube store, has a schema other than kStoreSchemaVersion (an older one needs write access
  /// once, to migrate it), or has a write-ahead log that cannot be read without writing.
  static ResultStore open_read_only(const std::string& path);

  /// Opens an existing store for reading like open_read_only(), but reads a store without a
  /// -wal file as immutable even when this user may write it: SQLite would otherwise create
  /// -wal and -shm files, which a read-only connection leaves behind. For stores nobody writes
  /// meanwhile (the parts of `kcube merge`); a store with a -wal file is read through it. Throws
  /// what open_read_only() throws.
  static ResultStore open_immutable(const std::string& path);

  ResultStore(ResultStore&&) noexcept;
  ResultStore& operator=(ResultStore&&) noexcept;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;
  ~ResultStore();

  /// The path it was opened with.
  const std::string& path() const;

  /// Records a new run with status running; returns its id (> 0). A plan_cells of 0 is stored
  /// as cell_count; shard_index and shard_count are both 0 (stored as NULL) or 1 <= I <= N.
  std::int64_t begin_run(const RunContext& context);

  /// Writes a cell with its candidates and selections in one transaction: all of it or nothing.
  /// Throws kcube::Error for an unknown run or a cell already stored as finished in that run
  /// (a cell stored with status error is replaced, so a resumed run retries it), and
  /// kcube::RuntimeFailure for a non-finite value or a feasibility vector of the wrong size.
  void write_cell(std::int64_t run, const CellResult& cell);

  /// Marks the run finished, failed or interrupted and sets finished_at (running: clears it).
  /// Throws kcube::Error for an unknown run.
  void finish_run(std::int64_t run, RunStatus status);

  /// Makes `writer` the process writing run `seen.id` and its status running, provided the run
  /// still has the status and writer of `seen` (read by runs()): two processes resuming one run
  /// at once cannot both take it. `build_change`, when not empty, is a JSON object appended to
  /// the run's build_changes. Returns false, writing nothing, when the run changed meanwhile.
  bool take_over(const RunSummary& seen, const ProcessIdentity& writer,
                 const std::string& build_change = "");

  /// The keys of the cells of run `run` stored with status finished.
  std::set<std::string> finished_cells(std::int64_t run);

  /// The newest run with status running made from the manifest with this SHA-256 and these
  /// overrides (compared canonically), and of shard `shard_index`/`shard_count` (0/0: a whole
  /// run, which runs stored before schema version 3 are), with the keys of its finished cells;
  /// nullopt when none.
  std::optional<ResumeState> find_resumable(std::string_view manifest_sha256,
                                            const std::vector<std::string>& overrides,
                                            int shard_index = 0, int shard_count = 0);

  /// Creates a run with `context` and status `status`, and copies into it every cell of each
  /// source run (status finished or error) with its candidates and selections, value for value
  /// (every REAL keeps its bits, every NULL stays NULL; positions, seeds, seconds, specs and
  /// messages unchanged), all in one transaction: either the merged run exists whole, or
  /// nothing was written. Sources are opened as open_immutable() opens them (no file created,
  /// nothing written) and read from one snapshot each. finished_at is the latest finished_at of
  /// the source runs when each has one, else now (NULL for status running). Returns the new
  /// run's id. Throws kcube::Error when a source is missing, not a kcube store, of another schema
  /// version, this very store, or lacks that run, or when two sources hold the same cell key
  /// (naming both sources and the key); kcube::RuntimeFailure when writing fails.
  /// The store checks again what it can of its own (a part changed since merge_parts() read
  /// it): each source holds its run, and no cell key comes from two sources.
  std::int64_t merge_runs(const MergeAdmission& admitted, const RunContext& context,
                          const std::vector<MergeSource>& sources, RunStatus status);

  /// All runs, increasing id.
  std::vector<RunSummary> runs();

  /// The engine versions the store knows (its engine_versions table): version -> summary.
  std::map<int, std::string> engine_versions();

  /// Writes one table of run `run` (default: the newest run) to `out`. Columns, in order:
  ///   selections: run_id,replication,profile,scenario,aggregator,sweep,SWEPT...,optimizer,
  ///               status,k,cost,latency,accuracy,score,reason, then pick_share,
  ///               pick_distribution when a selection of the run has them (run.bootstrap)
  ///   candidates: run_id,replication,profile,scenario,aggregator,sweep,SWEPT...,k,trials,cost,
  ///               latency,accuracy,
  ///               cost_std,latency_std,accuracy_std,cost_se,latency_se,accuracy_se,
  ///               cost_p025,cost_p975,latency_p025,latency_p975,accuracy_p025,accuracy_p975,
  ///               [samples_used,samples_used_std,samples_used_se,samples_used_p025,
  ///               samples_used_p975,] [accuracy_lo,accuracy_hi,cost_lo,cost_hi,latency_lo,
  ///               latency_hi,] feasible
  /// The samples_used columns (the mean samples a stopping aggregator drew per request, from
  /// the candidates' extra columns) only when a cell of the run has them; the same for the
  /// interval columns of run.bootstrap (engine/bootstrap.hpp).
  /// `sweep` is the cell's sweep label ("scenarios.s.params.cost_max=0.05"; NULL outside a
  /// sweep), and SWEPT... one column per swept path, named by the path, holding its value at the
  /// cell's point as written in the manifest (in JSON a number when it is one, else a string);
  /// the paths and values come from the run's manifest text (stored_sweep_points()), and a run
  /// without a sweep has none of these columns.
  /// Rows by cell (replication, profile, scenario, aggregator, sweep), then k or the selections'
  /// order.
  /// CSV: a header line, RFC 4180 quoting, empty field for NULL, reals in shortest round-trip
  /// form, '\n' line ends. JSON: an array of objects, null for NULL.
  /// Returns notes for the user: a manifest text that could not be read, or a cell whose label
  /// is not a point of its sweep (their swept-path columns are then empty or missing).
  /// Throws kcube::Error for an unknown run (listing the runs) or a store without runs.
  std::vector<std::string> export_table(std::ostream& out, Table table,
                                        std::optional<std::int64_t> run, Format format);

  /// Reads run `run` (default: the newest) whole, from one snapshot of the store (a few queries,
  /// not one per cell). Candidate tables come back with their trials, spread and `extra` columns
  /// as CandidateTable::columns (a column only when every row has a value); `feasible` is empty
  /// when the store holds no feasibility for the cell. Positions and specs are empty for cells
  /// written by schema version 1. Throws kcube::Error for an unknown run (listing the runs) or a
  /// store without runs, kcube::RuntimeFailure naming the store for a value kcube cannot have
  /// written (e.g. an unknown selection status).
  StoredRun load_run(std::optional<std::int64_t> run);

  /// Reads run `run` (default: the newest) like load_run(), but its cells without candidates,
  /// feasibility and selections: which cells a run holds, where in the plan and how they ended.
  StoredRun load_run_cells(std::optional<std::int64_t> run);

 private:
  struct Impl;
  explicit ResultStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcube
