#include "store/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "kcube/error.hpp"
#include "kcube/optimizer.hpp"
#include "manifest/manifest.hpp"
#include "util/text.hpp"

namespace kcube {

UnstorableCell::~UnstorableCell() = default;

namespace {

namespace fs = std::filesystem;

// "kcub" in ASCII: tells a kcube store from another program's SQLite database.
constexpr int kApplicationId = 0x6b637562;
constexpr int kBusyTimeoutMs = 30'000;

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

// Ordered: kMigrations[i] brings a store from version i to i + 1. Append, never edit.
constexpr std::array<const char*, kStoreSchemaVersion> kMigrations = {kMigrationTo1, kMigrationTo2,
                                                                      kMigrationTo3, kMigrationTo4};

// The fixed statistics columns of the candidates table; any other table column goes to `extra`.
constexpr std::array<const char*, 12> kSpreadColumns = {
    "cost_std",  "latency_std", "accuracy_std", "cost_se",      "latency_se",    "accuracy_se",
    "cost_p025", "cost_p975",   "latency_p025", "latency_p975", "accuracy_p025", "accuracy_p975"};

constexpr const char* kSelectionsExport =
    "SELECT s.run_id, s.replication, s.profile, s.scenario, c.sweep, s.optimizer, s.status, s.k,"
    " s.cost, s.latency, s.accuracy, s.score, s.reason"
    " FROM selections s JOIN cells c ON c.run_id = s.run_id AND c.cell_key = s.cell_key"
    " WHERE s.run_id = ?1"
    " ORDER BY c.replication, c.profile, c.scenario, c.sweep, c.cell_key, s.position";

// Both exports' column of the sweep label; the swept paths' columns follow it.
constexpr int kExportSweepColumn = 4;

constexpr const char* kCandidatesExport =
    "SELECT d.run_id, d.replication, d.profile, d.scenario, c.sweep, d.k, d.trials, d.cost,"
    " d.latency, d.accuracy, d.cost_std, d.latency_std, d.accuracy_std, d.cost_se, d.latency_se,"
    " d.accuracy_se, d.cost_p025, d.cost_p975, d.latency_p025, d.latency_p975,"
    " d.accuracy_p025, d.accuracy_p975, d.feasible"
    " FROM candidates d JOIN cells c ON c.run_id = d.run_id AND c.cell_key = d.cell_key"
    " WHERE d.run_id = ?1"
    " ORDER BY c.replication, c.profile, c.scenario, c.sweep, c.cell_key, d.k";

// ---- failures ----

// Why a write may have failed for lack of space, which SQLite reports as SQLITE_FULL or, when
// the OS says EFBIG (the file size limit), as a mere I/O error: the store or its -wal file at the
// file size limit (RLIMIT_FSIZE, `ulimit -f`), or its disk without free space. Empty otherwise.
std::string lack_of_space(const std::string& path) {
  std::error_code ec;
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    // A write that fails is at most a few pages (the WAL frame or the -shm index, 32 KiB).
    constexpr std::uintmax_t kLargestWrite = 64 * 1024;
    for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
      const std::uintmax_t size = fs::file_size(file, ec);
      if (!ec && size + kLargestWrite >= limit.rlim_cur) {
        return "it reached the file size limit of " + std::to_string(limit.rlim_cur) +
               " bytes set by ulimit -f";
      }
    }
  }
  fs::path dir = fs::path(path).parent_path();
  struct statvfs disk {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &disk) == 0) {
    const auto free = static_cast<std::uintmax_t>(disk.f_bavail) * disk.f_frsize;
    if (free < 1024 * 1024)
      return "its disk has " + std::to_string(free) + " bytes free";
  }
  return "";
}

// What to do about the failure SQLite last reported on `db`, for the failures a user can fix: a
// full disk or file size limit, another I/O error, read-only files. Empty for any other failure.
std::string failure_advice(sqlite3* db, const std::string& path) {
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  if (primary == SQLITE_READONLY) {
    return "; the store or its -wal and -shm files are read-only for this user: make '" + path +
           "', those files and its folder writable (or remove -wal and -shm files another user "
           "left while nobody uses the store), or write to another store with --store";
  }
  if (primary != SQLITE_FULL && primary != SQLITE_IOERR)
    return "";
  const std::string intact =
      "; the store is intact: every finished run and cell stays, a cell being written is not "
      "stored. Then run the command again; `kcube run MANIFEST --resume` (same --set options) "
      "continues an unfinished run";
  const std::string space = lack_of_space(path);
  if (primary == SQLITE_FULL || !space.empty()) {
    return "; the disk or the file is full" + (space.empty() ? "" : " (" + space + ")") +
           ": free space on the disk of '" + path +
           "', or raise the file size limit (ulimit -f) or the disk quota" + intact;
  }
  // SQLite's errno is the OS's last one, which later calls may have changed: a hint only.
  const int os_error = sqlite3_system_errno(db);
  return "; reading or writing the file failed" +
         (os_error != 0 ? " (last OS error: " + std::string(std::strerror(os_error)) + ")" : "") +
         ": check the disk of '" + path + "' (free space, file size limit, errors)" + intact;
}

// "results store 'PATH': DOING failed: SQLITE'S MESSAGE", with the advice of failure_advice(),
// or else the statement (`sql`, may be null) for a bug report.
std::string failure_message(sqlite3* db, const std::string& path, std::string_view doing,
                            const char* sql = nullptr) {
  std::string message =
      "results store '" + path + "': " + std::string(doing) + " failed: " + sqlite3_errmsg(db);
  const std::string advice = failure_advice(db, path);
  if (!advice.empty())
    return message + advice;
  return sql != nullptr ? message + " (in: " + sql + ")" : message;
}

// ---- RAII over the C API ----

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

/// A prepared statement with bound parameters. Parameters are 1-based, as in SQLite.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      fail("preparing a statement");
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  void bind_null(int i) { check(sqlite3_bind_null(stmt_, i)); }
  void bind_int(int i, std::int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); }
  void bind_text(int i, std::string_view v) {
    check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  /// `what` names the value in the error message when it is not finite.
  void bind_real(int i, double v, std::string_view what) {
    if (!std::isfinite(v)) {
      throw UnstorableCell("results store '" + path_ + "': refusing to store " +
                           text::format_real(v) + " as " + std::string(what) +
                           " (only finite values are stored)");
    }
    check(sqlite3_bind_double(stmt_, i, v));
  }
  void bind_real(int i, const std::optional<double>& v, std::string_view what) {
    if (v)
      bind_real(i, *v, what);
    else
      bind_null(i);
  }
  void bind_text_or_null(int i, std::string_view v) {
    if (v.empty())
      bind_null(i);
    else
      bind_text(i, v);
  }
  /// Binds a value of another statement's row (value_at()) as it is: type, bits and bytes.
  void bind_value(int i, const sqlite3_value* v) { check(sqlite3_bind_value(stmt_, i, v)); }

  /// Runs one step; true when a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    fail("executing a statement");
  }
  /// Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int columns() const { return sqlite3_column_count(stmt_); }
  const char* name(int c) const { return sqlite3_column_name(stmt_, c); }
  int type(int c) const { return sqlite3_column_type(stmt_, c); }
  bool is_null(int c) const { return type(c) == SQLITE_NULL; }
  std::int64_t int_at(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real_at(int c) const { return sqlite3_column_double(stmt_, c); }
  /// Column c of the current row as SQLite holds it; valid until the next step() or reset().
  const sqlite3_value* value_at(int c) const { return sqlite3_column_value(stmt_, c); }
  std::string text_at(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    const int n = sqlite3_column_bytes(stmt_, c);
    return p == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK)
      fail("binding a parameter");
  }
  [[noreturn]] void fail(const char* doing) const {
    throw RuntimeFailure(
        failure_message(db_, path_, doing, stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr));
  }

  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

[[noreturn]] void sqlite_failure(sqlite3* db, const std::string& path, std::string_view doing) {
  throw RuntimeFailure(failure_message(db, path, doing));
}

// SQL without values (pragmas, BEGIN/COMMIT, the migrations).
void exec(sqlite3* db, const std::string& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    // A migration is many lines: its first statement names it well enough.
    const std::string_view text = text::trim(sql);
    const std::string_view first = text.substr(0, std::min(text.find(";\n"), text.size()));
    sqlite_failure(db, path,
                   "'" + std::string(first) + (first.size() < text.size() ? "; ...'" : "'"));
  }
}

/// What a Transaction does.
enum class Access { read, write };

/// A transaction, rolled back unless committed. A write transaction begins with BEGIN IMMEDIATE:
/// it takes the write lock at once, so the busy timeout applies up front instead of a deadlock on
/// upgrade. A read transaction (BEGIN) sees one snapshot of the store across several queries
/// while other processes go on writing (WAL).
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path, Access access = Access::write)
      : db_(db), path_(path) {
    exec(db_, path_, access == Access::write ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_)
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool done_ = false;
};

/// Column c of the current row of `s`; nullopt for NULL.
std::optional<double> optional_real(const Statement& s, int c) {
  return s.is_null(c) ? std::nullopt : std::optional<double>(s.real_at(c));
}

std::int64_t query_int(sqlite3* db, const std::string& path, const char* sql) {
  Statement s(db, path, sql);
  return s.step() ? s.int_at(0) : 0;
}

// ---- test hook: fault injection (KCUBE_FAULT_INJECTION, described in store.hpp) ----

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
/// Their names in KCUBE_FAULT_INJECTION, in the order of FaultPoint.
constexpr std::array<std::string_view, 12> kFaultPointNames = {
    "check_identity:before_tables", "migrate:before_commit",     "begin_run:before_commit",
    "write_cell:before_begin",      "write_cell:after_cell_row", "write_cell:after_candidates",
    "write_cell:before_commit",     "write_cell:after_commit",   "finish_run:before_commit",
    "finish_run:after_commit",      "merge:before_commit",       "lock:busy"};

enum class FaultAction { kill, sleep, full, touch, wait };

/// How long wait=FILE waits for its file before the process gives up. A guard against rules that
/// never meet (a test would hang), not a timing: a wait that can end ends in milliseconds.
constexpr int kFaultWaitLimitSeconds = 60;
/// The exit status of a process whose touch=FILE or wait=FILE cannot be done: timeout(1)'s.
constexpr int kFaultHookExitStatus = 124;

struct FaultRule {
  FaultAction action = FaultAction::kill;
  int sleep_ms = 0;
  /// The file of touch=FILE and wait=FILE.
  std::string file;
  std::size_t point = 0;
  /// The occurrence it fires at, 1-based; 0 for every one.
  std::int64_t occurrence = 0;
};

struct FaultPlan {
  /// Parses KCUBE_FAULT_INJECTION's value (null: unset).
  explicit FaultPlan(const char* value);

  /// Whether a rule acts at `point`.
  bool acts_at(FaultPoint point) const {
    return std::any_of(rules.begin(), rules.end(), [point](const FaultRule& rule) {
      return rule.point == static_cast<std::size_t>(point);
    });
  }

  std::vector<FaultRule> rules;
  /// How often each point was reached in this process.
  std::array<std::atomic<std::int64_t>, kFaultPointNames.size()> reached{};
  /// Why KCUBE_FAULT_INJECTION is malformed; empty when it is fine or unset.
  std::string error;
};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

bool parse_positive(std::string_view text, std::int64_t& value) {
  const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && stop == text.data() + text.size() && value > 0;
}

FaultPlan::FaultPlan(const char* value) {
  if (value == nullptr || *value == '\0')
    return;
  for (const std::string_view rule_text : split(value, ',')) {
    const auto fields = split(rule_text, ':');
    FaultRule rule;
    std::string why;
    std::int64_t number = 0;
    if (fields.size() != 4) {
      why = "a rule has 4 fields separated by ':' (the FILE of touch= and wait= holds no ':')";
    } else if (fields[0] == "kill" || fields[0] == "full") {
      rule.action = fields[0] == "kill" ? FaultAction::kill : FaultAction::full;
    } else if (fields[0].rfind("sleep=", 0) == 0 && parse_positive(fields[0].substr(6), number)) {
      rule.action = FaultAction::sleep;
      rule.sleep_ms = static_cast<int>(std::min<std::int64_t>(number, 3'600'000));
    } else if (fields[0].rfind("touch=", 0) == 0 && fields[0].size() > 6) {
      rule.action = FaultAction::touch;
      rule.file = std::string(fields[0].substr(6));
    } else if (fields[0].rfind("wait=", 0) == 0 && fields[0].size() > 5) {
      rule.action = FaultAction::wait;
      rule.file = std::string(fields[0].substr(5));
    } else {
      why = "the action is kill, full, sleep=MS, touch=FILE or wait=FILE";
    }
    if (why.empty()) {
      const std::string name = std::string(fields[1]) + ":" + std::string(fields[2]);
      const auto found = std::find(kFaultPointNames.begin(), kFaultPointNames.end(), name);
      if (found == kFaultPointNames.end())
        why = "there is no point '" + name + "'";
      rule.point = static_cast<std::size_t>(found - kFaultPointNames.begin());
    }
    if (why.empty() && rule.action == FaultAction::full &&
        rule.point == static_cast<std::size_t>(FaultPoint::lock_busy))
      why = "full cannot act at lock:busy, where SQLite is waiting for a lock";
    if (why.empty() && fields[3] != "*" && !parse_positive(fields[3], rule.occurrence))
      why = "N is a count from 1, or * for every time";
    if (!why.empty()) {
      std::string points;
      for (const auto point : kFaultPointNames)
        points += (points.empty() ? "" : ", ") + std::string(point);
      error = "KCUBE_FAULT_INJECTION (a test hook): '" + std::string(rule_text) +
              "' is not ACTION:FUNCTION:POINT:N: " + why + "; points: " + points +
              "; unset it outside tests";
      rules.clear();
      return;
    }
    rules.push_back(rule);
  }
}

FaultPlan& fault_plan() {
  static FaultPlan plan(std::getenv("KCUBE_FAULT_INJECTION"));
  return plan;
}

/// Throws kcube::Error when KCUBE_FAULT_INJECTION is malformed.
void check_fault_plan() {
  if (!fault_plan().error.empty())
    throw Error(fault_plan().error);
}

/// Ends the process after a message, when a rule of KCUBE_FAULT_INJECTION cannot be done.
[[noreturn]] void fault_hook_failed(const FaultRule& rule, std::int64_t occurrence,
                                    const std::string& why) {
  std::fprintf(stderr,
               "kcube: KCUBE_FAULT_INJECTION (a test hook): %s at %s (occurrence %lld): %s\n",
               rule.action == FaultAction::touch ? "touch" : "wait",
               std::string(kFaultPointNames[rule.point]).c_str(),
               static_cast<long long>(occurrence), why.c_str());
  std::fflush(stderr);
  std::_Exit(kFaultHookExitStatus);
}

/// touch=FILE: creates FILE, empty, or leaves it as it is when it exists.
void touch_file(const FaultRule& rule, std::int64_t occurrence) {
  const int fd = ::open(rule.file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fault_hook_failed(rule, occurrence,
                      "cannot create '" + rule.file + "' (" + std::strerror(errno) + ")");
  }
  ::close(fd);
}

/// wait=FILE: returns once FILE exists, looking every millisecond; gives up after
/// kFaultWaitLimitSeconds, which only rules that never meet reach.
void wait_for_file(const FaultRule& rule, std::int64_t occurrence) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kFaultWaitLimitSeconds);
  while (::access(rule.file.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      fault_hook_failed(rule, occurrence,
                        "'" + rule.file + "' did not appear in " +
                            std::to_string(kFaultWaitLimitSeconds) +
                            " s; no process touched it. Check the test's rules: a touch= of "
                            "this file at a point some process reaches, and no two processes "
                            "waiting for each other");
    }
    timespec pause{0, 1'000'000L};
    ::nanosleep(&pause, nullptr);
  }
}

/// Reaching `point` with the store `db` open: does what a rule of KCUBE_FAULT_INJECTION says,
/// rule by rule in the order given.
void inject_fault(sqlite3* db, const std::string& path, FaultPoint point) {
  FaultPlan& plan = fault_plan();
  if (plan.rules.empty())
    return;
  const auto index = static_cast<std::size_t>(point);
  const std::int64_t occurrence = ++plan.reached[index];
  for (const FaultRule& rule : plan.rules) {
    if (rule.point != index || (rule.occurrence != 0 && rule.occurrence != occurrence))
      continue;
    switch (rule.action) {
      case FaultAction::kill:
        std::raise(SIGKILL);
        break;
      case FaultAction::sleep: {
        // One nanosleep, not resumed when a signal interrupts it: a test parks the process here
        // and signals it (tests/run/interrupt.sh), which then handles the signal at once.
        timespec pause{rule.sleep_ms / 1000, (rule.sleep_ms % 1000) * 1'000'000L};
        ::nanosleep(&pause, nullptr);
        break;
      }
      case FaultAction::full: {
        const std::string limit =
            "PRAGMA max_page_count = " + std::to_string(query_int(db, path, "PRAGMA page_count"));
        exec(db, path, limit.c_str());
        break;
      }
      case FaultAction::touch:
        touch_file(rule, occurrence);
        break;
      case FaultAction::wait:
        wait_for_file(rule, occurrence);
        break;
    }
  }
}

/// SQLite's busy handler while a rule of KCUBE_FAULT_INJECTION acts at lock:busy: waits for the
/// lock like sqlite3_busy_timeout(kBusyTimeoutMs), in steps of 1 ms, and reaches lock:busy as
/// each wait begins. A busy handler must not use its connection (SQLite's rule): no `full` here.
int busy_with_fault_point(void*, int count) {
  static const std::string no_path;
  if (count == 0)
    inject_fault(nullptr, no_path, FaultPoint::lock_busy);
  if (count >= kBusyTimeoutMs)
    return 0;
  sqlite3_sleep(1);
  return 1;
}

/// Makes `db` wait up to kBusyTimeoutMs for a lock that another connection holds.
void wait_when_busy(sqlite3* db) {
  if (fault_plan().acts_at(FaultPoint::lock_busy))
    sqlite3_busy_handler(db, &busy_with_fault_point, nullptr);
  else
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
}

std::string seed_text(std::uint64_t seed) {
  return std::to_string(seed);
}

std::string plugins_json(std::vector<PluginRecord> plugins) {
  std::sort(plugins.begin(), plugins.end(), [](const PluginRecord& a, const PluginRecord& b) {
    return std::tie(a.kind, a.name, a.version, a.file, a.sha256) <
           std::tie(b.kind, b.name, b.version, b.file, b.sha256);
  });
  std::string out = "[";
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    const PluginRecord& p = plugins[i];
    out += (i == 0 ? "" : ",");
    out += "{\"name\":" + text::json_quote(p.name) + ",\"kind\":" + text::json_quote(p.kind) +
           ",\"version\":" + text::json_quote(p.version) + ",\"file\":" + text::json_quote(p.file) +
           (p.sha256.empty() ? "" : ",\"sha256\":" + text::json_quote(p.sha256)) + "}";
  }
  return out + "]";
}

// ---- export formatting ----

/// Column c of the current row as CSV (quote = false) or JSON text.
std::string field(const Statement& s, int c, Format format) {
  switch (s.type(c)) {
    case SQLITE_NULL:
      return format == Format::csv ? "" : "null";
    case SQLITE_INTEGER:
      return std::to_string(s.int_at(c));
    case SQLITE_FLOAT:
      return text::format_real(s.real_at(c));
    default:
      return format == Format::csv ? text::csv_field(s.text_at(c)) : text::json_quote(s.text_at(c));
  }
}

// A swept value, as written in the manifest, as a JSON value: a number when it is one in JSON's
// grammar (kept as written, so a 64-bit seed loses no digits), else a string.
std::string json_sweep_value(std::string_view value) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9')
      ++i;
    return i > from;
  };
  if (i < value.size() && value[i] == '-')
    ++i;
  const std::size_t int_start = i;
  bool number = digits() && (value[int_start] != '0' || i == int_start + 1);
  if (number && i < value.size() && value[i] == '.') {
    ++i;
    number = digits();
  }
  if (number && i < value.size() && (value[i] == 'e' || value[i] == 'E')) {
    ++i;
    if (i < value.size() && (value[i] == '+' || value[i] == '-'))
      ++i;
    number = digits();
  }
  return number && i == value.size() ? std::string(value) : text::json_quote(value);
}

// The sweep of an exported run: the swept paths in the manifest's axis order, and each point's
// values by its label (the cells' sweep column).
struct ExportSweep {
  std::vector<std::string> paths;
  std::map<std::string, std::vector<std::string>, std::less<>> values;
};

// Column c of the current row, and after the sweep label the swept paths' values at its point
// (empty or null for a label that is not a point of the sweep).
void write_fields(std::ostream& out, const Statement& s, int c, Format format,
                  const ExportSweep& sweep) {
  out << field(s, c, format);
  if (c != kExportSweepColumn || sweep.paths.empty())
    return;
  const auto it = sweep.values.find(s.type(c) == SQLITE_NULL ? "" : s.text_at(c));
  for (std::size_t p = 0; p < sweep.paths.size(); ++p) {
    out << (format == Format::csv ? "," : ", ");
    if (format == Format::json)
      out << text::json_quote(sweep.paths[p]) << ": ";
    if (it == sweep.values.end())
      out << (format == Format::csv ? "" : "null");
    else
      out << (format == Format::csv ? text::csv_field(it->second[p])
                                    : json_sweep_value(it->second[p]));
  }
}

void write_rows(std::ostream& out, Statement& s, Format format, const ExportSweep& sweep) {
  const int n = s.columns();
  if (format == Format::csv) {
    for (int c = 0; c < n; ++c) {
      out << (c == 0 ? "" : ",") << s.name(c);
      if (c == kExportSweepColumn) {
        for (const std::string& path : sweep.paths)
          out << ',' << text::csv_field(path);
      }
    }
    out << '\n';
    while (s.step()) {
      for (int c = 0; c < n; ++c) {
        out << (c == 0 ? "" : ",");
        write_fields(out, s, c, format, sweep);
      }
      out << '\n';
    }
    return;
  }
  out << '[';
  bool first = true;
  while (s.step()) {
    out << (first ? "\n  {" : ",\n  {");
    first = false;
    for (int c = 0; c < n; ++c) {
      out << (c == 0 ? "" : ", ") << text::json_quote(s.name(c)) << ": ";
      write_fields(out, s, c, format, sweep);
    }
    out << '}';
  }
  out << (first ? "]\n" : "\n]\n");
}

// The sweep of run `id` for its export, re-expanded from the run's manifest text (a structured
// source; labels are not parsed). A run whose text cannot be read, or a cell whose label is not
// a point of that sweep, adds a note: the sweep column still tells the points apart.
ExportSweep export_sweep(sqlite3* db, const std::string& path, std::int64_t id,
                         std::vector<std::string>& notes) {
  ExportSweep sweep;
  Statement text(db, path, "SELECT manifest_text FROM runs WHERE id = ?1");
  text.bind_int(1, id);
  if (!text.step())
    return sweep;
  std::vector<SweepPoint> points;
  try {
    points = stored_sweep_points(text.text_at(0));
  } catch (const Error& e) {
    notes.push_back("run " + std::to_string(id) + "'s manifest text could not be read (" +
                    e.what() +
                    "), so the export has no column per swept path; the sweep column holds "
                    "each cell's sweep label");
    return sweep;
  }
  for (const SweepAssignment& a : points.front().assignments)
    sweep.paths.push_back(a.path);
  for (SweepPoint& point : points) {
    std::vector<std::string> values;
    for (SweepAssignment& a : point.assignments)
      values.push_back(std::move(a.value));
    sweep.values.emplace(std::move(point.label), std::move(values));
  }
  Statement labels(db, path, "SELECT DISTINCT sweep FROM cells WHERE run_id = ?1 ORDER BY sweep");
  labels.bind_int(1, id);
  while (labels.step()) {
    const std::string label = labels.type(0) == SQLITE_NULL ? "" : labels.text_at(0);
    if (!sweep.values.contains(label)) {
      notes.push_back("run " + std::to_string(id) + " has cells at sweep point '" + label +
                      "', which is not a point of the sweep in its manifest text; their columns " +
                      "of the swept paths are empty");
    }
  }
  return sweep;
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
  if (version == kStoreSchemaVersion)
    return;
  for (auto step = static_cast<std::size_t>(version); step < kMigrations.size(); ++step)
    exec(db, path, kMigrations[step]);
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

// Opens the existing store `path` for reading (see "Reading a store you may not write"): nothing
// is created, migrated or written, and its schema must be this kcube's. A store without a -wal
// file that this user may not write, or any when `immutable_unless_logged`, is read as immutable.
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

std::string list_runs(sqlite3* db, const std::string& path) {
  Statement s(db, path, "SELECT id, experiment, status, started_at FROM runs ORDER BY id");
  std::string out;
  while (s.step()) {
    out += "\n  " + std::to_string(s.int_at(0)) + "  " + s.text_at(1) + "  " + s.text_at(2) + "  " +
           s.text_at(3);
  }
  return out.empty() ? " (none)" : out;
}

RunStatus parse_run_status(const std::string& s) {
  if (s == "finished")
    return RunStatus::finished;
  if (s == "failed")
    return RunStatus::failed;
  if (s == "interrupted")
    return RunStatus::interrupted;
  return RunStatus::running;
}

// ---- reading a run back ----

// The columns of a RunSummary, in the order read_run_summary() reads them (runs aliased r).
// Columns added by schema version 3 are NULL in older runs: a whole run of cell_count cells on
// one process.
constexpr const char* kRunSummaryColumns =
    "r.id, r.experiment, r.status, r.started_at, r.finished_at, r.manifest_sha256, r.overrides,"
    " r.cell_count,"
    " (SELECT count(*) FROM cells c WHERE c.run_id = r.id AND c.status = 'finished'),"
    " (SELECT count(*) FROM cells c WHERE c.run_id = r.id AND c.status = 'error'),"
    " coalesce(r.shard_index, 0), coalesce(r.shard_count, 0),"
    " coalesce(r.plan_cells, r.cell_count), coalesce(r.ranks, 1), r.merged_from IS NOT NULL,"
    " r.writer_host, r.writer_pid, r.writer_start, r.build_changes IS NOT NULL";
constexpr int kRunSummaryColumnCount = 19;

RunSummary read_run_summary(const Statement& s) {
  RunSummary r;
  r.id = s.int_at(0);
  r.experiment = s.text_at(1);
  r.status = parse_run_status(s.text_at(2));
  r.started_at = s.text_at(3);
  r.finished_at = s.text_at(4);
  r.manifest_sha256 = s.text_at(5);
  r.overrides = s.text_at(6);
  r.cell_count = s.int_at(7);
  r.cells_finished = s.int_at(8);
  r.cells_failed = s.int_at(9);
  r.shard_index = static_cast<int>(s.int_at(10));
  r.shard_count = static_cast<int>(s.int_at(11));
  r.plan_cells = s.int_at(12);
  r.ranks = static_cast<int>(s.int_at(13));
  r.merged = s.int_at(14) != 0;
  r.writer.host = s.text_at(15);
  r.writer.pid = s.int_at(16);
  r.writer.start = s.text_at(17);
  r.mixed_builds = s.int_at(18) != 0;
  return r;
}

/// A value the store holds that kcube did not write that way: the file was changed by hand or by
/// another program.
[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw RuntimeFailure("results store '" + path + "': " + what +
                       "; was the store changed by another program? Export what is readable "
                       "with `kcube export`, or run the experiment again into a new store");
}

/// A seed stored as decimal text (seed_text()).
std::uint64_t parse_seed(const std::string& text, const std::string& path,
                         const std::string& where) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end)
    corrupt(path, "the seed of " + where + " is '" + text + "', not a 64-bit unsigned number");
  return value;
}

/// A real written by text::format_real() into a JSON object of the store.
double parse_json_real(const std::string& text, const std::string& path, const std::string& where) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end || !std::isfinite(value))
    corrupt(path, where + " is '" + text + "', not a finite number");
  return value;
}

/// A JSON document of the store (the runs.plugins array, a candidate's extra object) as a tree.
boost::property_tree::ptree parse_json(const std::string& text, const std::string& path,
                                       const std::string& where) {
  boost::property_tree::ptree tree;
  std::istringstream in(text);
  try {
    boost::property_tree::read_json(in, tree);
  } catch (const boost::property_tree::ptree_error& e) {
    corrupt(path, where + ": not valid JSON (" + e.what() + ")");
  }
  return tree;
}

std::vector<PluginRecord> parse_plugins(const std::string& json, const std::string& path,
                                        const std::string& where) {
  std::vector<PluginRecord> out;
  const auto tree = parse_json(json, path, where);
  for (const auto& [key, plugin] : tree) {
    if (!key.empty())
      corrupt(path, where + " is not a JSON array of plugins");
    const auto field = [&, &object = plugin](const char* name) {
      const auto value = object.get_optional<std::string>(name);
      if (!value || !object.get_child(name).empty())
        corrupt(path, where + " has a plugin without the text field \"" + name + "\"");
      return *value;
    };
    PluginRecord record{field("name"), field("kind"), field("version"), field("file"), ""};
    if (plugin.get_child_optional("sha256"))
      record.sha256 = field("sha256");
    out.push_back(std::move(record));
  }
  return out;
}

/// The summary and the context of run `id` (which exists).
void read_run(sqlite3* db, const std::string& path, std::int64_t id, StoredRun& out) {
  const std::string sql = std::string("SELECT ") + kRunSummaryColumns +
                          ", r.experiment, r.started_at, r.kcube_version, r.git_revision,"
                          " r.compiler, r.build_type, r.host, r.threads, r.seed, r.manifest_text,"
                          " r.manifest_sha256, r.overrides, r.plugins, r.evaluator, r.trials,"
                          " r.replications, r.sampling, r.cell_count, r.merged_from,"
                          " r.build_changes FROM runs r WHERE r.id = ?1";
  Statement s(db, path, sql.c_str());
  s.bind_int(1, id);
  if (!s.step())
    corrupt(path, "run " + std::to_string(id) + " vanished while being read");
  out.summary = read_run_summary(s);
  const std::string where = "run " + std::to_string(id);
  RunContext& c = out.context;
  int col = kRunSummaryColumnCount;
  c.experiment = s.text_at(col++);
  c.started_at = s.text_at(col++);
  c.kcube_version = s.text_at(col++);
  c.git_revision = s.text_at(col++);
  c.compiler = s.text_at(col++);
  c.build_type = s.text_at(col++);
  c.host = s.text_at(col++);
  c.threads = static_cast<int>(s.int_at(col++));
  c.seed = parse_seed(s.text_at(col++), path, where);
  c.manifest_text = s.text_at(col++);
  c.manifest_sha256 = s.text_at(col++);
  const std::string overrides = s.text_at(col++);
  for (std::size_t at = 0; !overrides.empty() && at <= overrides.size();) {
    const std::size_t end = std::min(overrides.find('\n', at), overrides.size());
    c.overrides.push_back(overrides.substr(at, end - at));
    at = end + 1;
  }
  c.plugins = parse_plugins(s.text_at(col++), path, "the plugins of " + where);
  c.evaluator = s.text_at(col++);
  if (!s.is_null(col))
    c.trials = s.int_at(col);
  ++col;
  c.replications = static_cast<int>(s.int_at(col++));
  c.sampling = s.text_at(col++);
  c.cell_count = s.int_at(col++);
  c.merged_from = s.text_at(col++);
  c.build_changes = s.text_at(col++);
  c.writer = out.summary.writer;
  c.shard_index = out.summary.shard_index;
  c.shard_count = out.summary.shard_count;
  c.plan_cells = out.summary.plan_cells;
  c.ranks = out.summary.ranks;
}

/// Where each cell of `cells` is, by cell key.
using CellIndex = std::unordered_map<std::string, std::size_t>;

/// The cells of run `id` without candidates and selections, ordered by position (NULLs last),
/// then in the order written.
CellIndex read_cells(sqlite3* db, const std::string& path, std::int64_t id,
                     std::vector<CellResult>& cells) {
  Statement s(db, path,
              "SELECT cell_key, replication, profile, scenario, sweep, position, profile_spec,"
              " scenario_spec, seed, status, message, seconds FROM cells WHERE run_id = ?1"
              " ORDER BY position IS NULL, position, rowid");
  s.bind_int(1, id);
  CellIndex index;
  while (s.step()) {
    CellResult cell;
    const std::string key = s.text_at(0);
    const std::string where = "cell " + key + " of run " + std::to_string(id);
    cell.replication = static_cast<int>(s.int_at(1));
    cell.profile = s.text_at(2);
    cell.scenario = s.text_at(3);
    cell.sweep = s.text_at(4);
    if (!s.is_null(5))
      cell.position = s.int_at(5);
    cell.profile_spec = s.text_at(6);
    cell.scenario_spec = s.text_at(7);
    if (!s.is_null(8))
      cell.seed = parse_seed(s.text_at(8), path, where);
    const std::string status = s.text_at(9);
    if (status == to_string(CellStatus::finished))
      cell.status = CellStatus::finished;
    else if (status == to_string(CellStatus::error))
      cell.status = CellStatus::error;
    else
      corrupt(path, where + " has the unknown status '" + status + "'");
    cell.message = s.text_at(10);
    cell.seconds = s.is_null(11) ? 0.0 : s.real_at(11);
    index.emplace(key, cells.size());
    cells.push_back(std::move(cell));
  }
  return index;
}

/// The cell of `key`, which the cells table must hold.
CellResult& cell_of(std::vector<CellResult>& cells, const CellIndex& index, const std::string& key,
                    const std::string& path, std::string_view table) {
  const auto it = index.find(key);
  if (it == index.end())
    corrupt(path, std::string(table) + " of cell " + key + " have no row in the cells table");
  return cells[it->second];
}

/// The candidate rows of one cell, read in increasing k, turned into its CandidateTable and
/// feasibility. An optional column (trials, spread, extra) becomes a table column only when
/// every row has a value.
class CandidateReader {
 public:
  // Result columns, in the order of the statement in read_candidates().
  static constexpr int kKey = 0, kK = 1, kTrials = 2, kCost = 3, kLatency = 4, kAccuracy = 5,
                       kSpread = 6, kFeasible = kSpread + static_cast<int>(kSpreadColumns.size()),
                       kExtra = kFeasible + 1;

  CandidateReader(const std::string& path, std::string key) : path_(path), key_(std::move(key)) {}

  const std::string& key() const { return key_; }

  /// Adds the current row of `s`.
  void add(const Statement& s) {
    const std::size_t row = rows_.size();
    rows_.push_back({static_cast<int>(s.int_at(kK)), s.real_at(kCost), s.real_at(kLatency),
                     s.real_at(kAccuracy)});
    for (std::size_t c = 0; c < fixed_.size(); ++c) {
      const int col = c == 0 ? kTrials : kSpread + static_cast<int>(c) - 1;
      // A NULL is held as 0.0 only to keep rows aligned: finish() keeps the column only when
      // every row has a value, so a held 0.0 never reaches a caller.
      const bool null = s.is_null(col);
      fixed_[c].values.push_back(null ? 0.0 : s.real_at(col));
      fixed_[c].present += null ? 0 : 1;
    }
    const bool assessed = !s.is_null(kFeasible);
    feasible_.push_back(assessed && s.int_at(kFeasible) != 0);
    feasible_present_ += assessed ? 1 : 0;
    if (!s.is_null(kExtra))
      add_extra(s.text_at(kExtra), row);
  }

  /// Moves what was read into `cell`.
  void finish(CellResult& cell) {
    const std::size_t n = rows_.size();
    cell.candidates.rows = std::move(rows_);
    for (std::size_t c = 0; c < fixed_.size(); ++c) {
      if (fixed_[c].present == n)
        cell.candidates.columns.emplace(c == 0 ? "trials" : kSpreadColumns[c - 1],
                                        std::move(fixed_[c].values));
    }
    for (auto& [name, column] : extra_) {
      if (column.present == n && column.values.size() == n)
        cell.candidates.columns.emplace(name, std::move(column.values));
    }
    if (feasible_present_ > 0)
      cell.feasible = std::move(feasible_);
  }

 private:
  struct Column {
    std::vector<double> values;
    std::size_t present = 0;
  };

  // `extra` is a flat JSON object of finite numbers, {"cost_p95":0.41}.
  void add_extra(const std::string& json, std::size_t row) {
    const std::string where =
        "the extra columns of cell " + key_ + " at k=" + std::to_string(rows_.back().k);
    for (const auto& [name, value] : parse_json(json, path_, where)) {
      if (name.empty() || !value.empty())
        corrupt(path_, where + " are not a JSON object of numbers");
      Column& column = extra_[name];
      if (column.values.size() > row)
        continue;  // a repeated name: the first value counts
      column.values.resize(row, 0.0);
      column.values.push_back(parse_json_real(value.data(), path_, where + ": " + name));
      ++column.present;
    }
  }

  const std::string& path_;
  std::string key_;
  std::vector<Candidate> rows_;
  // trials, then kSpreadColumns in order.
  std::array<Column, kSpreadColumns.size() + 1> fixed_;
  std::map<std::string, Column> extra_;
  std::vector<bool> feasible_;
  std::size_t feasible_present_ = 0;
};

/// Every candidate row of run `id`, in one pass over the candidates table ordered by cell and k.
void read_candidates(sqlite3* db, const std::string& path, std::int64_t id, const CellIndex& index,
                     std::vector<CellResult>& cells) {
  Statement s(db, path,
              "SELECT cell_key, k, trials, cost, latency, accuracy, cost_std, latency_std,"
              " accuracy_std, cost_se, latency_se, accuracy_se, cost_p025, cost_p975,"
              " latency_p025, latency_p975, accuracy_p025, accuracy_p975, feasible, extra"
              " FROM candidates WHERE run_id = ?1 ORDER BY cell_key, k");
  s.bind_int(1, id);
  std::optional<CandidateReader> reader;
  const auto flush = [&] {
    if (reader)
      reader->finish(cell_of(cells, index, reader->key(), path, "candidates"));
  };
  while (s.step()) {
    std::string key = s.text_at(CandidateReader::kKey);
    if (!reader || reader->key() != key) {
      flush();
      reader.emplace(path, std::move(key));
    }
    reader->add(s);
  }
  flush();
}

SelectionStatus parse_selection_status(const std::string& text, const std::string& path,
                                       const std::string& where) {
  for (const auto status :
       {SelectionStatus::selected, SelectionStatus::infeasible, SelectionStatus::fallback,
        SelectionStatus::too_few_points, SelectionStatus::error}) {
    if (text == to_string(status))
      return status;
  }
  corrupt(path, where + " has the unknown status '" + text +
                    "' (known: selected, infeasible, fallback, too-few-points, error)");
}

/// Every selection of run `id`, in one pass ordered by cell and position.
void read_selections(sqlite3* db, const std::string& path, std::int64_t id, const CellIndex& index,
                     std::vector<CellResult>& cells) {
  Statement s(db, path,
              "SELECT cell_key, optimizer, plugin, spec, optimizer_spec, status, k, cost, latency,"
              " accuracy, score, feasible_count, pareto_count, reason FROM selections"
              " WHERE run_id = ?1 ORDER BY cell_key, position");
  s.bind_int(1, id);
  std::string last_key;
  CellResult* cell = nullptr;
  while (s.step()) {
    std::string key = s.text_at(0);
    if (cell == nullptr || key != last_key) {
      cell = &cell_of(cells, index, key, path, "selections");
      last_key = std::move(key);
    }
    NamedSelection named;
    named.name = s.text_at(1);
    SelectionRecord& r = named.record;
    r.optimizer = s.text_at(2);
    r.spec = s.text_at(3);
    r.canonical_spec = s.text_at(4);
    r.status = parse_selection_status(
        s.text_at(5), path, "the selection of optimizer " + named.name + " in cell " + last_key);
    if (!s.is_null(6))
      r.k = static_cast<int>(s.int_at(6));
    r.cost = optional_real(s, 7);
    r.latency = optional_real(s, 8);
    r.accuracy = optional_real(s, 9);
    r.score = optional_real(s, 10);
    r.feasible = static_cast<std::size_t>(s.int_at(11));
    r.pareto = static_cast<std::size_t>(s.int_at(12));
    r.reason = s.text_at(13);
    cell->selections.push_back(std::move(named));
  }
}

// ---- merging runs of other stores ----

/// A source of merge_runs(): a run of a store opened without writing, read from one snapshot.
struct MergePart {
  std::string path;
  std::int64_t run = 0;
  DbHandle db;
  std::optional<Transaction> snapshot;
  /// The run's finished_at; empty while it runs.
  std::string finished_at;
};

/// The columns of `table` in the store's own schema, but run_id, in table order: the values
/// merge_runs() copies as they are (run_id becomes the new run's id).
std::vector<std::string> copied_columns(sqlite3* db, const std::string& path, const char* table) {
  Statement s(db, path, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  s.bind_text(1, table);
  std::vector<std::string> columns;
  while (s.step()) {
    if (s.text_at(0) != "run_id")
      columns.push_back(s.text_at(0));
  }
  return columns;
}

/// Copies every row of `table` of run `part.run` into run `run` of the store `db`, value for
/// value (sqlite3_column_value to sqlite3_bind_value), in the order the part wrote them.
/// `check` sees each row of the part before it is inserted.
void copy_rows(sqlite3* db, const std::string& path, std::int64_t run, const MergePart& part,
               const char* table, const std::vector<std::string>& columns,
               const std::function<void(const Statement&)>& check) {
  std::string names, parameters;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    // Identifiers of the store's own schema, quoted; values are bound, as everywhere.
    names += (c == 0 ? "\"" : ", \"") + columns[c] + "\"";
    parameters += ", ?" + std::to_string(c + 2);
  }
  const std::string select =
      "SELECT " + names + " FROM " + table + " WHERE run_id = ?1 ORDER BY rowid";
  const std::string insert = "INSERT INTO " + std::string(table) + " (run_id, " + names +
                             ") VALUES (?1" + parameters + ")";
  Statement from(part.db.get(), part.path, select.c_str());
  from.bind_int(1, part.run);
  Statement to(db, path, insert.c_str());
  while (from.step()) {
    check(from);
    to.reset();
    to.bind_int(1, run);
    for (std::size_t c = 0; c < columns.size(); ++c)
      to.bind_value(static_cast<int>(c) + 2, from.value_at(static_cast<int>(c)));
    to.run();
  }
}

}  // namespace

// ---- free functions ----

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

RunContext capture_run_context(std::string_view build_type) {
  RunContext context;
  context.started_at = utc_now_iso8601();
#ifdef KCUBE_VERSION
  context.kcube_version = KCUBE_VERSION;
#endif
#ifdef KCUBE_GIT_REVISION
  context.git_revision = KCUBE_GIT_REVISION;
#endif
  context.compiler = compiler();
  context.build_type = std::string(build_type);
  context.host = host_name();
  context.writer = this_process();
  return context;
}

namespace {

// The first line of a small file of /proc; empty when it cannot be read.
std::string first_line(const char* path) {
  std::FILE* file = std::fopen(path, "r");
  if (file == nullptr)
    return "";
  char buffer[128] = {};
  const bool read = std::fgets(buffer, sizeof buffer, file) != nullptr;
  std::fclose(file);
  std::string line = read ? buffer : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == ' '))
    line.pop_back();
  return line;
}

// Field 22 of /proc/PID/stat (starttime, clock ticks after boot); empty when unreadable. The
// command name (field 2) is in parentheses and may hold spaces and ')': fields are counted from
// the last ')'.
std::string start_ticks(std::int64_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr)
    return "";
  char buffer[1024] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string_view stat(buffer, n);
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos)
    return "";
  std::istringstream fields{std::string(stat.substr(close + 1))};
  std::string field;
  for (int number = 3; number <= 22; ++number) {
    if (!(fields >> field))
      return "";
  }
  return field;
}

// "BOOT_ID PID_NAMESPACE": what, besides a process id and start time, tells one process from
// another; empty when unknown.
std::string boot_and_namespace() {
  const std::string boot = first_line("/proc/sys/kernel/random/boot_id");
  std::error_code ec;
  const fs::path ns = fs::read_symlink("/proc/self/ns/pid", ec);
  if (boot.empty() || ec)
    return "";
  return boot + " " + ns.string();
}

}  // namespace

ProcessIdentity this_process() {
  ProcessIdentity me;
  me.host = host_name();
  me.pid = ::getpid();
  const std::string where = boot_and_namespace();
  const std::string ticks = start_ticks(me.pid);
  if (!where.empty() && !ticks.empty())
    me.start = where + " " + ticks;
  return me;
}

namespace {

/// Whether `process` runs now, as far as this process can tell.
enum class Liveness { alive, gone, unknown };

Liveness liveness(const ProcessIdentity& process) {
  if (process.pid <= 0 || process.host.empty() || process.host != host_name())
    return Liveness::unknown;
  const std::string here = boot_and_namespace();
  if (!process.start.empty() && !here.empty()) {
    const std::size_t last = process.start.rfind(' ');
    const std::string where = process.start.substr(0, last);
    const std::size_t boot_end = process.start.find(' ');
    // Another boot of this host: every process of that boot has ended.
    if (process.start.substr(0, boot_end) != here.substr(0, here.find(' ')))
      return Liveness::gone;
    // Another PID namespace (a container sharing the host name): its ids mean nothing here.
    if (where != here)
      return Liveness::unknown;
  }
  if (::kill(static_cast<pid_t>(process.pid), 0) != 0 && errno == ESRCH)
    return Liveness::gone;
  if (process.start.empty())
    return Liveness::unknown;  // a process has that id, perhaps another one
  const std::string ticks = start_ticks(process.pid);
  if (ticks.empty())
    return Liveness::unknown;
  return ticks == process.start.substr(process.start.rfind(' ') + 1) ? Liveness::alive
                                                                     : Liveness::gone;
}

}  // namespace

bool process_gone(const ProcessIdentity& process) {
  return liveness(process) == Liveness::gone;
}

bool process_alive(const ProcessIdentity& process) {
  return liveness(process) == Liveness::alive;
}

std::string canonical_overrides(std::vector<std::string> overrides) {
  std::sort(overrides.begin(), overrides.end());
  return text::join(overrides, "\n");
}

std::string cell_key(std::string_view profile, std::string_view scenario, std::string_view sweep,
                     int replication) {
  return std::string(profile) + "|" + std::string(scenario) + "|" + std::string(sweep) + "|" +
         std::to_string(replication);
}

std::string CellResult::key() const {
  return cell_key(profile, scenario, sweep, replication);
}

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::running:
      return "running";
    case RunStatus::finished:
      return "finished";
    case RunStatus::failed:
      return "failed";
    case RunStatus::interrupted:
      return "interrupted";
  }
  return "running";
}

bool store_writable(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  return ::access(path.c_str(), W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0;
}

std::string_view to_string(CellStatus status) noexcept {
  return status == CellStatus::error ? "error" : "finished";
}

// ---- ResultStore ----

struct ResultStore::Impl {
  std::string path;
  DbHandle db;

  sqlite3* handle() const { return db.get(); }

  /// `run`, or the newest run when empty. Throws kcube::Error for a store without runs or an
  /// unknown run (listing the runs).
  std::int64_t resolve_run(std::optional<std::int64_t> run) {
    if (run) {
      require_run(*run);
      return *run;
    }
    const std::int64_t newest = query_int(handle(), path, "SELECT coalesce(max(id), 0) FROM runs");
    if (newest == 0)
      throw Error("results store '" + path + "' has no runs yet; run an experiment first");
    return newest;
  }

  /// Throws kcube::Error listing the runs when `run` does not exist.
  void require_run(std::int64_t run) {
    Statement s(handle(), path, "SELECT 1 FROM runs WHERE id = ?1");
    s.bind_int(1, run);
    if (!s.step()) {
      throw Error("results store '" + path + "' has no run " + std::to_string(run) +
                  "; its runs are:" + list_runs(handle(), path));
    }
  }

  /// Inserts the row of a new run (in the caller's transaction); returns its id.
  std::int64_t insert_run(const RunContext& c, RunStatus status, std::string_view finished_at) {
    // Programmer's mistakes: `kcube run --shard` checks I/N before a run begins.
    assert((c.shard_index == 0) == (c.shard_count == 0));
    assert(c.shard_index >= 0 && c.shard_index <= c.shard_count);
    Statement s(handle(), path,
                "INSERT INTO runs (experiment, status, started_at, kcube_version, git_revision,"
                " compiler, build_type, host, threads, seed, manifest_text, manifest_sha256,"
                " overrides, plugins, evaluator, trials, replications, sampling, cell_count,"
                " finished_at, shard_index, shard_count, plan_cells, ranks, merged_from,"
                " writer_host, writer_pid, writer_start, build_changes)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)");
    s.bind_text(1, c.experiment);
    s.bind_text(2, to_string(status));
    s.bind_text(3, c.started_at.empty() ? utc_now_iso8601() : c.started_at);
    s.bind_text(4, c.kcube_version);
    s.bind_text_or_null(5, c.git_revision);
    s.bind_text(6, c.compiler);
    s.bind_text(7, c.build_type);
    s.bind_text(8, c.host);
    s.bind_int(9, c.threads);
    s.bind_text(10, seed_text(c.seed));
    s.bind_text(11, c.manifest_text);
    s.bind_text(12, c.manifest_sha256);
    s.bind_text(13, canonical_overrides(c.overrides));
    s.bind_text(14, plugins_json(c.plugins));
    s.bind_text(15, c.evaluator);
    if (c.trials)
      s.bind_int(16, *c.trials);
    else
      s.bind_null(16);
    s.bind_int(17, c.replications);
    s.bind_text_or_null(18, c.sampling);
    s.bind_int(19, c.cell_count);
    s.bind_text_or_null(20, finished_at);
    if (c.shard_count > 0) {
      s.bind_int(21, c.shard_index);
      s.bind_int(22, c.shard_count);
    } else {
      s.bind_null(21);
      s.bind_null(22);
    }
    s.bind_int(23, c.plan_cells > 0 ? c.plan_cells : c.cell_count);
    s.bind_int(24, c.ranks);
    s.bind_text_or_null(25, c.merged_from);
    if (c.writer.pid > 0) {
      s.bind_text(26, c.writer.host);
      s.bind_int(27, c.writer.pid);
      s.bind_text(28, c.writer.start);
    } else {
      s.bind_null(26);
      s.bind_null(27);
      s.bind_null(28);
    }
    s.bind_text_or_null(29, c.build_changes);
    s.run();
    return sqlite3_last_insert_rowid(handle());
  }

  void insert_cell(std::int64_t run, const std::string& key, const CellResult& cell) {
    Statement s(handle(), path,
                "INSERT INTO cells (run_id, cell_key, replication, profile, scenario, sweep, seed,"
                " status, message, seconds, position, profile_spec, scenario_spec)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    s.bind_int(1, run);
    s.bind_text(2, key);
    s.bind_int(3, cell.replication);
    s.bind_text(4, cell.profile);
    s.bind_text(5, cell.scenario);
    s.bind_text_or_null(6, cell.sweep);
    if (cell.seed)
      s.bind_text(7, seed_text(*cell.seed));
    else
      s.bind_null(7);
    s.bind_text(8, to_string(cell.status));
    s.bind_text_or_null(9, cell.message);
    s.bind_real(10, cell.seconds, "the seconds of cell " + key);
    if (cell.position)
      s.bind_int(11, *cell.position);
    else
      s.bind_null(11);
    s.bind_text_or_null(12, cell.profile_spec);
    s.bind_text_or_null(13, cell.scenario_spec);
    s.run();
  }

  void insert_candidates(std::int64_t run, const std::string& key, const CellResult& cell) {
    const CandidateTable& table = cell.candidates;
    const std::size_t n = table.rows.size();
    if (!cell.feasible.empty() && cell.feasible.size() != n) {
      throw UnstorableCell("results store '" + path + "': cell " + key + " has " +
                           std::to_string(n) + " candidates but " +
                           std::to_string(cell.feasible.size()) + " feasibility verdicts");
    }
    std::vector<std::pair<std::string, const std::vector<double>*>> extra;
    for (const auto& [name, values] : table.columns) {
      const bool fixed = name == "trials" || std::find(kSpreadColumns.begin(), kSpreadColumns.end(),
                                                       name) != kSpreadColumns.end();
      if (!fixed)
        extra.emplace_back(name, &values);
      if (values.size() != n) {
        throw UnstorableCell("results store '" + path + "': column " + name + " of cell " + key +
                             " has " + std::to_string(values.size()) + " values for " +
                             std::to_string(n) + " candidates");
      }
    }
    Statement s(handle(), path,
                "INSERT INTO candidates (run_id, cell_key, replication, profile, scenario, k,"
                " trials, cost, latency, accuracy, cost_std, latency_std, accuracy_std, cost_se,"
                " latency_se, accuracy_se, cost_p025, cost_p975, latency_p025, latency_p975,"
                " accuracy_p025, accuracy_p975, feasible, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
                " ?23, ?24)");
    const std::vector<double>* trials = table.column("trials");
    for (std::size_t r = 0; r < n; ++r) {
      const Candidate& row = table.rows[r];
      const std::string where = " of cell " + key + " at k=" + std::to_string(row.k);
      s.reset();
      s.bind_int(1, run);
      s.bind_text(2, key);
      s.bind_int(3, cell.replication);
      s.bind_text(4, cell.profile);
      s.bind_text(5, cell.scenario);
      s.bind_int(6, row.k);
      if (trials != nullptr) {
        const double t = (*trials)[r];
        if (!std::isfinite(t) || t != std::round(t)) {
          throw UnstorableCell("results store '" + path + "': refusing to store trials " +
                               text::format_real(t) + where + " (not a whole number)");
        }
        s.bind_int(7, static_cast<std::int64_t>(t));
      } else {
        s.bind_null(7);
      }
      s.bind_real(8, row.cost, "cost" + where);
      s.bind_real(9, row.latency, "latency" + where);
      s.bind_real(10, row.accuracy, "accuracy" + where);
      for (std::size_t c = 0; c < kSpreadColumns.size(); ++c) {
        const int index = 11 + static_cast<int>(c);
        if (const auto* column = table.column(kSpreadColumns[c]))
          s.bind_real(index, (*column)[r], kSpreadColumns[c] + where);
        else
          s.bind_null(index);
      }
      if (cell.feasible.empty())
        s.bind_null(23);
      else
        s.bind_int(23, cell.feasible[r] ? 1 : 0);
      if (extra.empty()) {
        s.bind_null(24);
      } else {
        std::string json = "{";
        for (std::size_t e = 0; e < extra.size(); ++e) {
          const double v = (*extra[e].second)[r];
          if (!std::isfinite(v)) {
            throw UnstorableCell("results store '" + path + "': refusing to store " +
                                 text::format_real(v) + " as " + extra[e].first + where +
                                 " (only finite values are stored)");
          }
          json +=
              (e == 0 ? "" : ",") + text::json_quote(extra[e].first) + ":" + text::format_real(v);
        }
        s.bind_text(24, json + "}");
      }
      s.run();
    }
  }

  void insert_selections(std::int64_t run, const std::string& key, const CellResult& cell) {
    Statement s(handle(), path,
                "INSERT INTO selections (run_id, cell_key, position, replication, profile,"
                " scenario, optimizer, plugin, spec, status, k, cost, latency, accuracy, score,"
                " feasible_count, pareto_count, reason, optimizer_spec) VALUES (?1, ?2, ?3, ?4,"
                " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
    for (std::size_t i = 0; i < cell.selections.size(); ++i) {
      const NamedSelection& named = cell.selections[i];
      const SelectionRecord& r = named.record;
      const std::string where = " of optimizer " + named.name + " in cell " + key;
      s.reset();
      s.bind_int(1, run);
      s.bind_text(2, key);
      s.bind_int(3, static_cast<std::int64_t>(i));
      s.bind_int(4, cell.replication);
      s.bind_text(5, cell.profile);
      s.bind_text(6, cell.scenario);
      s.bind_text(7, named.name);
      s.bind_text(8, r.optimizer);
      s.bind_text(9, r.spec);
      s.bind_text(10, to_string(r.status));
      if (r.k)
        s.bind_int(11, *r.k);
      else
        s.bind_null(11);
      s.bind_real(12, r.cost, "cost" + where);
      s.bind_real(13, r.latency, "latency" + where);
      s.bind_real(14, r.accuracy, "accuracy" + where);
      s.bind_real(15, r.score, "score" + where);
      s.bind_int(16, static_cast<std::int64_t>(r.feasible));
      s.bind_int(17, static_cast<std::int64_t>(r.pareto));
      s.bind_text(18, r.reason);
      s.bind_text_or_null(19, r.canonical_spec);
      s.run();
    }
  }
};

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::ResultStore(ResultStore&&) noexcept = default;
ResultStore& ResultStore::operator=(ResultStore&&) noexcept = default;
ResultStore::~ResultStore() = default;

const std::string& ResultStore::path() const {
  return impl_->path;
}

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

std::int64_t ResultStore::begin_run(const RunContext& context) {
  sqlite3* db = impl_->handle();
  Transaction tx(db, impl_->path);
  const std::int64_t id = impl_->insert_run(context, RunStatus::running, "");
  inject_fault(db, impl_->path, FaultPoint::begin_run_before_commit);
  tx.commit();
  return id;
}

void ResultStore::write_cell(std::int64_t run, const CellResult& cell) {
  sqlite3* db = impl_->handle();
  const std::string key = cell.key();
  inject_fault(db, impl_->path, FaultPoint::write_cell_before_begin);
  Transaction tx(db, impl_->path);
  impl_->require_run(run);
  {
    Statement existing(db, impl_->path,
                       "SELECT status FROM cells WHERE run_id = ?1 AND cell_key = ?2");
    existing.bind_int(1, run);
    existing.bind_text(2, key);
    if (existing.step()) {
      if (existing.text_at(0) != "error") {
        throw Error("results store '" + impl_->path + "': cell " + key + " of run " +
                    std::to_string(run) +
                    " is already stored; is another process writing the same run? Resume a "
                    "run from one process only");
      }
      // A failed cell is retried on resume: the new result replaces it (cascading to its rows).
      Statement erase(db, impl_->path, "DELETE FROM cells WHERE run_id = ?1 AND cell_key = ?2");
      erase.bind_int(1, run);
      erase.bind_text(2, key);
      erase.run();
    }
  }
  impl_->insert_cell(run, key, cell);
  inject_fault(db, impl_->path, FaultPoint::write_cell_after_cell_row);
  impl_->insert_candidates(run, key, cell);
  inject_fault(db, impl_->path, FaultPoint::write_cell_after_candidates);
  impl_->insert_selections(run, key, cell);
  inject_fault(db, impl_->path, FaultPoint::write_cell_before_commit);
  tx.commit();
  inject_fault(db, impl_->path, FaultPoint::write_cell_after_commit);
}

void ResultStore::finish_run(std::int64_t run, RunStatus status) {
  sqlite3* db = impl_->handle();
  Transaction tx(db, impl_->path);
  impl_->require_run(run);
  Statement s(db, impl_->path, "UPDATE runs SET status = ?1, finished_at = ?2 WHERE id = ?3");
  s.bind_text(1, to_string(status));
  if (status == RunStatus::running)
    s.bind_null(2);
  else
    s.bind_text(2, utc_now_iso8601());
  s.bind_int(3, run);
  s.run();
  inject_fault(db, impl_->path, FaultPoint::finish_run_before_commit);
  tx.commit();
  inject_fault(db, impl_->path, FaultPoint::finish_run_after_commit);
}

std::optional<ResumeState> ResultStore::find_resumable(std::string_view manifest_sha256,
                                                       const std::vector<std::string>& overrides,
                                                       int shard_index, int shard_count) {
  sqlite3* db = impl_->handle();
  Statement s(db, impl_->path,
              "SELECT id FROM runs WHERE manifest_sha256 = ?1 AND overrides = ?2 AND"
              " status = 'running' AND coalesce(shard_index, 0) = ?3 AND"
              " coalesce(shard_count, 0) = ?4 ORDER BY id DESC LIMIT 1");
  s.bind_text(1, manifest_sha256);
  s.bind_text(2, canonical_overrides(overrides));
  s.bind_int(3, shard_index);
  s.bind_int(4, shard_count);
  if (!s.step())
    return std::nullopt;
  ResumeState state;
  state.run = s.int_at(0);
  state.finished_cells = finished_cells(state.run);
  return state;
}

std::set<std::string> ResultStore::finished_cells(std::int64_t run) {
  Statement cells(impl_->handle(), impl_->path,
                  "SELECT cell_key FROM cells WHERE run_id = ?1 AND status = 'finished'");
  cells.bind_int(1, run);
  std::set<std::string> out;
  while (cells.step())
    out.insert(cells.text_at(0));
  return out;
}

bool ResultStore::take_over(const RunSummary& seen, const ProcessIdentity& writer,
                            const std::string& build_change) {
  sqlite3* db = impl_->handle();
  Transaction tx(db, impl_->path);
  // The row as `seen` read it: status and writer unchanged (NULL and '' alike: unknown).
  Statement s(db, impl_->path,
              "UPDATE runs SET status = 'running', finished_at = NULL, writer_host = ?1,"
              " writer_pid = ?2, writer_start = ?3, build_changes = CASE WHEN ?4 = '' THEN"
              " build_changes WHEN build_changes IS NULL THEN '[' || ?4 || ']' ELSE"
              " substr(build_changes, 1, length(build_changes) - 1) || ',' || ?4 || ']' END"
              " WHERE id = ?5 AND status = ?6 AND coalesce(writer_host, '') = ?7 AND"
              " coalesce(writer_pid, 0) = ?8 AND coalesce(writer_start, '') = ?9");
  s.bind_text(1, writer.host);
  s.bind_int(2, writer.pid);
  s.bind_text(3, writer.start);
  s.bind_text(4, build_change);
  s.bind_int(5, seen.id);
  s.bind_text(6, to_string(seen.status));
  s.bind_text(7, seen.writer.host);
  s.bind_int(8, seen.writer.pid);
  s.bind_text(9, seen.writer.start);
  s.run();
  if (sqlite3_changes(db) != 1)
    return false;
  tx.commit();
  return true;
}

std::int64_t ResultStore::merge_runs(const RunContext& context,
                                     const std::vector<MergeSource>& sources, RunStatus status) {
  sqlite3* db = impl_->handle();
  const std::string& path = impl_->path;
  std::vector<std::unique_ptr<MergePart>> parts;
  for (const MergeSource& source : sources) {
    std::error_code ec;
    if (fs::equivalent(source.path, path, ec)) {
      throw Error("results store '" + source.path + "' is the store '" + path +
                  "' the runs are merged into; merge into another file");
    }
    auto part = std::make_unique<MergePart>();
    part->path = source.path;
    part->run = source.run;
    part->db = open_without_writing(source.path, true);
    part->snapshot.emplace(part->db.get(), part->path, Access::read);
    Statement run(part->db.get(), part->path, "SELECT finished_at FROM runs WHERE id = ?1");
    run.bind_int(1, source.run);
    if (!run.step()) {
      throw Error("results store '" + source.path + "' has no run " + std::to_string(source.run) +
                  "; its runs are:" + list_runs(part->db.get(), part->path));
    }
    part->finished_at = run.text_at(0);
    parts.push_back(std::move(part));
  }

  Transaction tx(db, path);
  std::string finished_at;
  if (status != RunStatus::running) {
    // ISO-8601 UTC times of one format compare as text.
    for (const auto& part : parts) {
      if (part->finished_at.empty()) {
        finished_at.clear();
        break;
      }
      finished_at = std::max(finished_at, part->finished_at);
    }
    if (finished_at.empty())
      finished_at = utc_now_iso8601();
  }
  const std::int64_t id = impl_->insert_run(context, status, finished_at);
  // Which part each cell key came from: two parts must not hold the same cell.
  std::unordered_map<std::string, std::size_t> owner;
  const auto cells = copied_columns(db, path, "cells");
  const auto key_column =
      static_cast<int>(std::find(cells.begin(), cells.end(), "cell_key") - cells.begin());
  const auto candidates = copied_columns(db, path, "candidates");
  const auto selections = copied_columns(db, path, "selections");
  const auto no_check = [](const Statement&) {};
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const MergePart& part = *parts[p];
    copy_rows(db, path, id, part, "cells", cells, [&](const Statement& row) {
      const std::string key = row.text_at(key_column);
      const auto [it, fresh] = owner.emplace(key, p);
      if (!fresh) {
        const MergePart& other = *parts[it->second];
        throw Error("cannot merge: cell " + key + " is in run " + std::to_string(other.run) +
                    " of '" + other.path + "' and in run " + std::to_string(part.run) + " of '" +
                    part.path +
                    "'; each cell must come from one part (the shards of one --shard N do not "
                    "overlap); nothing was written");
      }
    });
    copy_rows(db, path, id, part, "candidates", candidates, no_check);
    copy_rows(db, path, id, part, "selections", selections, no_check);
  }
  inject_fault(db, path, FaultPoint::merge_before_commit);
  tx.commit();
  return id;
}

std::vector<RunSummary> ResultStore::runs() {
  const std::string sql =
      std::string("SELECT ") + kRunSummaryColumns + " FROM runs r ORDER BY r.id";
  Statement s(impl_->handle(), impl_->path, sql.c_str());
  std::vector<RunSummary> out;
  while (s.step())
    out.push_back(read_run_summary(s));
  return out;
}

std::vector<std::string> ResultStore::export_table(std::ostream& out, Table table,
                                                   std::optional<std::int64_t> run, Format format) {
  sqlite3* db = impl_->handle();
  const std::string& path = impl_->path;
  // One snapshot: the sweep's labels are checked against the cells exported.
  Transaction snapshot(db, path, Access::read);
  const std::int64_t id = impl_->resolve_run(run);
  std::vector<std::string> notes;
  const ExportSweep sweep = export_sweep(db, path, id, notes);
  Statement s(db, path, table == Table::selections ? kSelectionsExport : kCandidatesExport);
  s.bind_int(1, id);
  write_rows(out, s, format, sweep);
  return notes;
}

StoredRun ResultStore::load_run(std::optional<std::int64_t> run) {
  sqlite3* db = impl_->handle();
  const std::string& path = impl_->path;
  // One snapshot: cells another process writes meanwhile are either all in or all out.
  Transaction snapshot(db, path, Access::read);
  const std::int64_t id = impl_->resolve_run(run);
  StoredRun out;
  read_run(db, path, id, out);
  const auto index = read_cells(db, path, id, out.cells);
  read_candidates(db, path, id, index, out.cells);
  read_selections(db, path, id, index, out.cells);
  return out;
}

StoredRun ResultStore::load_run_cells(std::optional<std::int64_t> run) {
  sqlite3* db = impl_->handle();
  const std::string& path = impl_->path;
  Transaction snapshot(db, path, Access::read);
  const std::int64_t id = impl_->resolve_run(run);
  StoredRun out;
  read_run(db, path, id, out);
  read_cells(db, path, id, out.cells);
  return out;
}

}  // namespace kcube
