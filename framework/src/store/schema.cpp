// The results store: opening a store, telling it from other files, and its schema with the
// migrations that bring an older store up to date (see store.hpp, "Migrations").
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "kcube/error.hpp"
#include "store/faults.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace kcube::store_detail {

namespace {

namespace fs = std::filesystem;

// "kcub" in ASCII: tells a kcube store from another program's SQLite database.
constexpr int kApplicationId = 0x6b637562;

// ---- migrations: migration i takes the schema from version i to version i + 1 ----

constexpr const char* kMigrationTo1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  experiment TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  kcube_version TEXT NOT NULL,
  git_revision TEXT,
  compiler TEXT NOT NULL,
  build_type TEXT NOT NULL,
  host TEXT NOT NULL,
  threads INTEGER NOT NULL,
  seed TEXT NOT NULL,
  manifest_text TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  overrides TEXT NOT NULL,
  plugins TEXT NOT NULL,
  evaluator TEXT NOT NULL,
  trials INTEGER,
  replications INTEGER NOT NULL,
  sampling TEXT,
  cell_count INTEGER NOT NULL
);
CREATE INDEX runs_by_manifest ON runs (manifest_sha256, status);
CREATE TABLE cells (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  cell_key TEXT NOT NULL,
  replication INTEGER NOT NULL,
  profile TEXT NOT NULL,
  scenario TEXT NOT NULL,
  sweep TEXT,
  seed TEXT,
  status TEXT NOT NULL CHECK (status IN ('finished', 'error')),
  message TEXT,
  seconds REAL,
  UNIQUE (run_id, cell_key)
);
CREATE TABLE candidates (
  run_id INTEGER NOT NULL,
  cell_key TEXT NOT NULL,
  replication INTEGER NOT NULL,
  profile TEXT NOT NULL,
  scenario TEXT NOT NULL,
  k INTEGER NOT NULL,
  trials INTEGER,
  cost REAL NOT NULL,
  latency REAL NOT NULL,
  accuracy REAL NOT NULL,
  cost_std REAL, latency_std REAL, accuracy_std REAL,
  cost_se REAL, latency_se REAL, accuracy_se REAL,
  cost_p025 REAL, cost_p975 REAL,
  latency_p025 REAL, latency_p975 REAL,
  accuracy_p025 REAL, accuracy_p975 REAL,
  feasible INTEGER CHECK (feasible IN (0, 1)),
  extra TEXT,
  UNIQUE (run_id, cell_key, k),
  FOREIGN KEY (run_id, cell_key) REFERENCES cells (run_id, cell_key) ON DELETE CASCADE
);
CREATE TABLE selections (
  run_id INTEGER NOT NULL,
  cell_key TEXT NOT NULL,
  position INTEGER NOT NULL,
  replication INTEGER NOT NULL,
  profile TEXT NOT NULL,
  scenario TEXT NOT NULL,
  optimizer TEXT NOT NULL,
  plugin TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  k INTEGER,
  cost REAL,
  latency REAL,
  accuracy REAL,
  score REAL,
  feasible_count INTEGER NOT NULL,
  pareto_count INTEGER NOT NULL,
  reason TEXT NOT NULL,
  UNIQUE (run_id, cell_key, position),
  FOREIGN KEY (run_id, cell_key) REFERENCES cells (run_id, cell_key) ON DELETE CASCADE
);
)sql";

// Version 2: where each cell stands in the run's plan and the canonical specs of the plugins it
// was made with, so that a report can list cells in manifest order and make the same plugin
// objects again. Rows written by version 1 keep NULL in the new columns (unknown).
constexpr const char* kMigrationTo2 = R"sql(
ALTER TABLE cells ADD COLUMN position INTEGER;
ALTER TABLE cells ADD COLUMN profile_spec TEXT;
ALTER TABLE cells ADD COLUMN scenario_spec TEXT;
ALTER TABLE selections ADD COLUMN optimizer_spec TEXT;
)sql";

// Version 3: distributed runs. A shard run (`kcube run --shard I/N`) records I and N and the
// size of the whole plan, a run records how many MPI processes ran it, and a run made by
// `kcube merge` records the parts it was merged from. Runs written by version 2 keep NULL
// there, read back as a whole run of cell_count cells on one process.
constexpr const char* kMigrationTo3 = R"sql(
ALTER TABLE runs ADD COLUMN shard_index INTEGER;
ALTER TABLE runs ADD COLUMN shard_count INTEGER;
ALTER TABLE runs ADD COLUMN plan_cells INTEGER;
ALTER TABLE runs ADD COLUMN ranks INTEGER;
ALTER TABLE runs ADD COLUMN merged_from TEXT;
)sql";

// Version 4: a run may be 'interrupted' (SIGINT or SIGTERM), records the process writing it, so
// that a run whose process is gone can be told from a live one, and the builds it went on with
// when resumed or merged with other ones. The CHECK of runs.status cannot be altered in place:
// the table is rebuilt as SQLite's documentation of ALTER TABLE describes (foreign keys are off
// while migrating, see ResultStore::open, so dropping the old table deletes no cell). Column
// order: the old columns first, as before.
constexpr const char* kMigrationTo4 = R"sql(
CREATE TABLE runs_v4 (
  id INTEGER PRIMARY KEY,
  experiment TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  kcube_version TEXT NOT NULL,
  git_revision TEXT,
  compiler TEXT NOT NULL,
  build_type TEXT NOT NULL,
  host TEXT NOT NULL,
  threads INTEGER NOT NULL,
  seed TEXT NOT NULL,
  manifest_text TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  overrides TEXT NOT NULL,
  plugins TEXT NOT NULL,
  evaluator TEXT NOT NULL,
  trials INTEGER,
  replications INTEGER NOT NULL,
  sampling TEXT,
  cell_count INTEGER NOT NULL,
  shard_index INTEGER,
  shard_count INTEGER,
  plan_cells INTEGER,
  ranks INTEGER,
  merged_from TEXT,
  writer_host TEXT,
  writer_pid INTEGER,
  writer_start TEXT,
  build_changes TEXT
);
INSERT INTO runs_v4 (id, experiment, status, started_at, finished_at, kcube_version, git_revision,
  compiler, build_type, host, threads, seed, manifest_text, manifest_sha256, overrides, plugins,
  evaluator, trials, replications, sampling, cell_count, shard_index, shard_count, plan_cells,
  ranks, merged_from)
SELECT id, experiment, status, started_at, finished_at, kcube_version, git_revision, compiler,
  build_type, host, threads, seed, manifest_text, manifest_sha256, overrides, plugins, evaluator,
  trials, replications, sampling, cell_count, shard_index, shard_count, plan_cells, ranks,
  merged_from FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v4 RENAME TO runs;
CREATE INDEX runs_by_manifest ON runs (manifest_sha256, status);
)sql";

// Version 5: aggregators. Each cell records the aggregator that made its samples into answers
// (its name in the manifest and its canonical spec) and the notes of its evaluation (questions of
// a log left out, ...). Every cell stored before was best-of-k, the rule of the max-accuracy
// plugin, which a manifest without aggregators uses under that name: so they get it.
constexpr const char* kMigrationTo5 = R"sql(
ALTER TABLE cells ADD COLUMN aggregator TEXT NOT NULL DEFAULT 'max-accuracy';
ALTER TABLE cells ADD COLUMN aggregator_spec TEXT;
ALTER TABLE cells ADD COLUMN notes TEXT;
UPDATE cells SET aggregator_spec = 'max-accuracy' WHERE profile_spec IS NOT NULL;
)sql";

// Version 6: confidence from the questions (run.bootstrap). Each selection records the share of
// the question resamples that pick the same k and the share of each k picked. Selections stored
// before had no bootstrap: NULL.
constexpr const char* kMigrationTo6 = R"sql(
ALTER TABLE selections ADD COLUMN pick_share REAL;
ALTER TABLE selections ADD COLUMN pick_distribution TEXT;
)sql";

// Version 7: the engine version of each run's Monte Carlo numbers (engine/engine.hpp,
// kEngineVersion), and what each version changed (filled by record_engine_versions(), not here:
// the history grows with kcube, a migration never changes). Every run stored before was made by
// engine version 1.
constexpr const char* kMigrationTo7 = R"sql(
ALTER TABLE runs ADD COLUMN engine_version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE engine_versions (
  version INTEGER PRIMARY KEY,
  summary TEXT NOT NULL
);
)sql";

// Ordered: kMigrations[i] brings a store from version i to i + 1. Append, never edit.
constexpr std::array<const char*, kStoreSchemaVersion> kMigrations = {
    kMigrationTo1, kMigrationTo2, kMigrationTo3, kMigrationTo4,
    kMigrationTo5, kMigrationTo6, kMigrationTo7};

// Adds the engine versions this kcube knows that the store lacks (INSERT OR IGNORE: a row
// another kcube wrote stays as it is). Inside migrate()'s write transaction.
void record_engine_versions(sqlite3* db, const std::string& path) {
  Statement insert(db, path,
                   "INSERT OR IGNORE INTO engine_versions (version, summary) VALUES (?1, ?2)");
  for (std::size_t i = 0; i < kEngineVersionHistory.size(); ++i) {
    insert.reset();
    insert.bind_int(1, static_cast<std::int64_t>(i + 1));
    insert.bind_text(2, std::string(kEngineVersionHistory[i]));
    insert.run();
  }
}

// ---- opening ----

[[noreturn]] void not_a_store(const std::string& path, std::string_view why) {
  throw Error("'" + path + "' is not a kcube results store (" + std::string(why) +
              "); pass the path of a store kcube wrote, or a new file name to create one");
}

// What a file of `type` is, for a message: "a character device".
std::string_view file_kind(fs::file_type type) {
  switch (type) {
    case fs::file_type::directory:
      return "a directory";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::fifo:
      return "a FIFO (named pipe)";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "a special file";
  }
}

// Refuses a store path that exists and is not a regular file once symbolic links are followed
// (a directory, a device, a FIFO, a socket), before SQLite opens it: SQLite would read /dev/null
// as an empty database, lose every write to it with a misleading "disk I/O error", and create
// /dev/null-journal beside it; it would block on a FIFO. A missing path is for the caller.
void check_regular_file(const std::string& path) {
  std::error_code ec;
  const fs::file_type type = fs::status(path, ec).type();  // follows links
  if (type == fs::file_type::regular || type == fs::file_type::not_found ||
      type == fs::file_type::none) {
    return;
  }
  std::string what = "results store '" + path + "'";
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    const fs::path target = fs::canonical(path, ec);
    what += " is a symbolic link to '" + (ec ? fs::read_symlink(path, ec) : target).string() + "',";
  } else {
    what += " is";
  }
  if (type == fs::file_type::directory) {
    throw Error(what + " a directory; give a file name, e.g. '" +
                (fs::path(path) / "results.sqlite").string() + "'");
  }
  throw Error(what + " " + std::string(file_kind(type)) +
              ", not a file: a store is a regular file. Give the path of a store file, or a new "
              "file name for kcube run to create one (e.g. --store results.sqlite)");
}

// Checks what SQLite would report vaguely ("unable to open database file"), so that the user
// reads which directory is missing or not writable.
void check_location(const std::string& path) {
  std::error_code ec;
  const fs::path file(path);
  check_regular_file(path);
  fs::path dir = file.parent_path();
  if (dir.empty())
    dir = ".";
  if (!fs::exists(dir, ec)) {
    throw Error("cannot create results store '" + path + "': directory '" + dir.string() +
                "' does not exist; create it first (mkdir -p '" + dir.string() +
                "') or choose another store path");
  }
  if (!fs::is_directory(dir, ec)) {
    throw Error("cannot create results store '" + path + "': '" + dir.string() +
                "' is not a directory; choose another store path");
  }
  const bool exists = fs::exists(file, ec);
  const int file_error = exists && ::access(file.c_str(), W_OK) != 0 ? errno : 0;
  const std::string readers = "; kcube runs, export, report and compare can still read it";
  if (file_error != 0) {
    throw Error("cannot open results store '" + path + "' for writing: the file is not writable (" +
                std::strerror(file_error) +
                "); fix its permissions or choose another store path (chmod u+w '" + path +
                "', run as its owner, or --store OTHER.sqlite)" + readers);
  }
  // The directory must be writable even for an existing file: WAL mode creates -wal and -shm
  // files beside it.
  const int dir_error = ::access(dir.c_str(), W_OK) != 0 ? errno : 0;
  if (dir_error != 0) {
    throw Error("cannot " + std::string(exists ? "open" : "create") + " results store '" + path +
                "' for writing: directory '" + dir.string() + "' is not writable (" +
                std::strerror(dir_error) +
                "), and SQLite keeps the store's -wal and -shm files there; fix its permissions "
                "or choose another store path (--store)" +
                (exists ? readers : ""));
  }
}

/// A file name as an SQLite URI ("file:" and the path, with '%', '?' and '#' escaped).
std::string file_uri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      constexpr const char* kHex = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 0xf];
    } else {
      uri += c;
    }
  }
  return uri;
}

// WAL is persistent in the file, so this switches a new store only. The switch needs an exclusive
// lock and SQLite returns SQLITE_BUSY for it without calling the busy handler when another process
// holds the file (e.g. two processes creating one store at once): retry for the busy timeout.
void use_wal(sqlite3* db, const std::string& path) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (bool first_try = true;; first_try = false) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &stmt, nullptr);
    std::string mode;
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
        mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_ROW && mode == "wal")
      return;
    if (rc == SQLITE_ROW) {
      throw RuntimeFailure("results store '" + path +
                           "': cannot switch to write-ahead logging "
                           "(journal_mode stays '" +
                           mode +
                           "'); is the file on a network file "
                           "system? Put the store on a local disk");
    }
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
      sqlite_failure(db, path, "switching to journal_mode=WAL");
    if (first_try)
      inject_fault(db, path, FaultPoint::lock_busy);
    if (std::chrono::steady_clock::now() > deadline)
      sqlite_failure(db, path, "switching to journal_mode=WAL (waited 30 s for other processes)");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The first read tells an SQLite file from anything else.
void probe(sqlite3* db, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if ((rc & 0xff) == SQLITE_NOTADB)
    not_a_store(path, "not an SQLite database");
  if (rc != SQLITE_ROW)
    sqlite_failure(db, path, "reading the store");
}

// Refuses a file that is not a kcube store (another program's database, a negative version)
// and returns its schema version. Reads only: called before anything is written to the file
// (switching to WAL rewrites the header), so another program's database is left as it was. Call
// it inside a transaction: its three reads must see one state of the file, or a store another
// process creates between them looks like another program's database (tables, but version 0 and
// no application id).
std::int64_t check_identity(sqlite3* db, const std::string& path) {
  assert(sqlite3_get_autocommit(db) == 0);  // in a transaction: one snapshot (see above)
  const std::int64_t version = query_int(db, path, "PRAGMA user_version");
  const std::int64_t application = query_int(db, path, "PRAGMA application_id");
  inject_fault(db, path, FaultPoint::check_identity_before_tables);
  const std::int64_t objects =
      query_int(db, path, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
  if (application != kApplicationId && (version != 0 || objects != 0))
    not_a_store(path, "an SQLite database of another program");
  if (version < 0)
    not_a_store(path, "negative schema version");
  return version;
}

// A store opened read-only is read as it is: its schema must be this kcube's.
void check_schema_read_only(sqlite3* db, const std::string& path) {
  Transaction snapshot(db, path, Access::read);
  const std::int64_t version = check_identity(db, path);
  if (version > kStoreSchemaVersion) {
    throw Error("results store '" + path + "' has schema version " + std::to_string(version) +
                ", newer than this kcube knows (" + std::to_string(kStoreSchemaVersion) +
                "); open it with a newer kcube");
  }
  if (version == 0)
    throw Error("results store '" + path + "' has no runs yet; run an experiment first");
  if (version < kStoreSchemaVersion) {
    throw Error("results store '" + path + "' has schema version " + std::to_string(version) +
                ", older than this kcube's (" + std::to_string(kStoreSchemaVersion) +
                "), and it is read here without writing: kcube migrates a store in place the "
                "first time it opens it writable. Make it and its folder writable once if they "
                "are not, then `kcube runs '" +
                path + "'` migrates it; or copy it to a folder you can write and read the copy");
  }
}

[[noreturn]] void newer_schema(const std::string& path, std::int64_t version) {
  throw Error("results store '" + path + "' has schema version " + std::to_string(version) +
              ", newer than this kcube knows (" + std::to_string(kStoreSchemaVersion) +
              "); open it with a newer kcube, or write to another store");
}

// Applies the migrations the store lacks, all in one write transaction: a new store appears
// whole at kStoreSchemaVersion, never half made or at an intermediate version, to every other
// process. BEGIN IMMEDIATE waits (busy timeout) while another process creates or migrates it.
void migrate(sqlite3* db, const std::string& path) {
  Transaction tx(db, path);
  // Read inside the write transaction: another process may have created or migrated it meanwhile.
  const std::int64_t version = check_identity(db, path);
  if (version > kStoreSchemaVersion)
    newer_schema(path, version);
  // A store of this schema lacks only engine versions newer than those of the kcube that
  // wrote it last: one read, and no write at all in the usual case.
  if (version == kStoreSchemaVersion &&
      query_int(db, path,
                ("SELECT count(*) FROM engine_versions WHERE version <= " +
                 std::to_string(kEngineVersion))
                    .c_str()) == kEngineVersion) {
    return;
  }
  for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step)
    exec(db, path, kMigrations[step]);
  record_engine_versions(db, path);
  // PRAGMAs take no bound parameters; these are our own integer constants, not input.
  exec(db, path, ("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion)).c_str());
  exec(db, path, ("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
  inject_fault(db, path, FaultPoint::migrate_before_commit);
  tx.commit();
}

// Makes the file `db` has open a store of this kcube's schema in write-ahead logging mode, in
// step with other kcube processes that open it at the same time (three `kcube run` started at
// once on a new store). Each step reads the file in one snapshot or under the write lock, so a
// store another process is creating is seen before or after, never half made:
// 1. What the file is, read in one snapshot: another program's database or a newer schema is
//    refused before anything is written to it. An empty database (no tables, user_version 0, no
//    application id; also a file of 0 bytes) is a store nobody created yet or one another process
//    is creating right now, never another program's: both go on, and step 3 decides.
// 2. Write-ahead logging, which needs the file to itself for a moment (use_wal() retries); on an
//    empty database it writes the first page, in one rollback transaction of its own.
// 3. The schema: migrate() waits for the write lock, reads the version again under it and
//    creates or migrates only what is still missing then.
void initialise(sqlite3* db, const std::string& path) {
  {
    Transaction snapshot(db, path, Access::read);
    if (const std::int64_t version = check_identity(db, path); version > kStoreSchemaVersion)
      newer_schema(path, version);
  }
  use_wal(db, path);
  migrate(db, path);
}

}  // namespace

DbHandle open_without_writing(const std::string& path, bool immutable_unless_logged) {
  check_fault_plan();
  check_regular_file(path);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error("no results store at '" + path +
                "'; 'kcube run MANIFEST' creates one (see its last line for the path)");
  }
  if (const int error = ::access(path.c_str(), R_OK) != 0 ? errno : 0; error != 0) {
    throw Error("cannot read results store '" + path + "' (" + std::strerror(error) +
                "); make it readable (chmod a+r '" + path + "') or ask its owner for a copy");
  }
  std::string name = path;
  int flags = SQLITE_OPEN_READONLY;
  const bool writable = store_writable(path);
  if (immutable_unless_logged || !writable) {
    // SQLite would create -wal and -shm files, owned by this user (which the store's owner could
    // then not write) and left behind by a read-only connection: read without them when there
    // is no log to read.
    const bool wal = fs::exists(path + "-wal", ec);
    const bool shm = fs::exists(path + "-shm", ec);
    if (!wal) {
      name = file_uri(path) + "?immutable=1";
      flags |= SQLITE_OPEN_URI;
    } else if (!shm && !writable) {
      throw Error("cannot read results store '" + path + "' without writing to it: it has a " +
                  "write-ahead log '" + path + "-wal" +
                  "' (a run is writing it, or was killed) but no -shm index, which this user "
                  "cannot create; ask a user who can write the store to open it once (e.g. "
                  "`kcube runs`), or copy the store with its -wal file to a folder you can write "
                  "and read the copy");
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    throw Error("cannot open results store '" + path +
                "' for reading: " + (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory") +
                "; check that it is a readable file");
  }
  sqlite3_extended_result_codes(raw, 1);
  wait_when_busy(raw);
  probe(raw, path);
  check_schema_read_only(raw, path);
  return db;
}

}  // namespace kcube::store_detail

namespace kcube {

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

ResultStore ResultStore::open(const std::string& path) {
  check_fault_plan();
  check_location(path);
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK) {
    throw Error("cannot open results store '" + path +
                "': " + (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory") +
                "; check that the path is a writable file, or choose another store path");
  }
  sqlite3* db = impl->handle();
  if (sqlite3_db_readonly(db, "main") == 1)
    throw Error("results store '" + path +
                "' is read-only; fix its permissions or choose "
                "another store path");
  sqlite3_extended_result_codes(db, 1);
  wait_when_busy(db);
  probe(db, path);
  // In WAL mode, NORMAL skips the fsync of each commit and keeps every committed cell when the
  // process is killed; only an OS crash or power loss can roll back the last commits (never
  // corrupt the file). A run is resumable in that case.
  exec(db, path, "PRAGMA synchronous = NORMAL");
  // Foreign keys are off while migrating: migration 3 -> 4 rebuilds the runs table, and dropping
  // the old one with them on would delete every cell (ON DELETE CASCADE).
  initialise(db, path);
  exec(db, path, "PRAGMA foreign_keys = ON");
  return ResultStore(std::move(impl));
}

ResultStore ResultStore::open_read_only(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->db = open_without_writing(path, false);
  return ResultStore(std::move(impl));
}

ResultStore ResultStore::open_immutable(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->db = open_without_writing(path, true);
  return ResultStore(std::move(impl));
}

}  // namespace kcube
