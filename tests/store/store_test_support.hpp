// Shared by the store tests: SQLite read and written directly (not through the code under test),
// and the schemas older kcube versions wrote, verbatim (message_of.hpp comes with it).
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "message_of.hpp"

namespace kcube::test {

/// The first column of the first row of `sql`, read with SQLite directly ("" for NULL).
inline std::string query(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK,
                  sqlite3_errmsg(db));
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

/// Runs `sql` on the SQLite file at `path` (created when missing).
inline void execute(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string why = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, why);
}

/// The tables of schema version 1 exactly as kcube wrote them (no pragmas, no rows).
inline constexpr const char* kSchemaVersion1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, experiment TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  started_at TEXT NOT NULL, finished_at TEXT, kcube_version TEXT NOT NULL, git_revision TEXT,
  compiler TEXT NOT NULL, build_type TEXT NOT NULL, host TEXT NOT NULL, threads INTEGER NOT NULL,
  seed TEXT NOT NULL, manifest_text TEXT NOT NULL, manifest_sha256 TEXT NOT NULL,
  overrides TEXT NOT NULL, plugins TEXT NOT NULL, evaluator TEXT NOT NULL, trials INTEGER,
  replications INTEGER NOT NULL, sampling TEXT, cell_count INTEGER NOT NULL);
CREATE INDEX runs_by_manifest ON runs (manifest_sha256, status);
CREATE TABLE cells (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, cell_key TEXT NOT NULL,
  replication INTEGER NOT NULL, profile TEXT NOT NULL, scenario TEXT NOT NULL, sweep TEXT,
  seed TEXT, status TEXT NOT NULL CHECK (status IN ('finished', 'error')), message TEXT,
  seconds REAL, UNIQUE (run_id, cell_key));
CREATE TABLE candidates (
  run_id INTEGER NOT NULL, cell_key TEXT NOT NULL, replication INTEGER NOT NULL,
  profile TEXT NOT NULL, scenario TEXT NOT NULL, k INTEGER NOT NULL, trials INTEGER,
  cost REAL NOT NULL, latency REAL NOT NULL, accuracy REAL NOT NULL,
  cost_std REAL, latency_std REAL, accuracy_std REAL, cost_se REAL, latency_se REAL,
  accuracy_se REAL, cost_p025 REAL, cost_p975 REAL, latency_p025 REAL, latency_p975 REAL,
  accuracy_p025 REAL, accuracy_p975 REAL, feasible INTEGER CHECK (feasible IN (0, 1)), extra TEXT,
  UNIQUE (run_id, cell_key, k),
  FOREIGN KEY (run_id, cell_key) REFERENCES cells (run_id, cell_key) ON DELETE CASCADE);
CREATE TABLE selections (
  run_id INTEGER NOT NULL, cell_key TEXT NOT NULL, position INTEGER NOT NULL,
  replication INTEGER NOT NULL, profile TEXT NOT NULL, scenario TEXT NOT NULL,
  optimizer TEXT NOT NULL, plugin TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
  k INTEGER, cost REAL, latency REAL, accuracy REAL, score REAL,
  feasible_count INTEGER NOT NULL, pareto_count INTEGER NOT NULL, reason TEXT NOT NULL,
  UNIQUE (run_id, cell_key, position),
  FOREIGN KEY (run_id, cell_key) REFERENCES cells (run_id, cell_key) ON DELETE CASCADE);
)sql";

/// What migration 1 -> 2 added, exactly as kcube ran it.
inline constexpr const char* kSchemaVersion2Additions = R"sql(
ALTER TABLE cells ADD COLUMN position INTEGER;
ALTER TABLE cells ADD COLUMN profile_spec TEXT;
ALTER TABLE cells ADD COLUMN scenario_spec TEXT;
ALTER TABLE selections ADD COLUMN optimizer_spec TEXT;
)sql";

/// What migration 2 -> 3 added, exactly as kcube ran it.
inline constexpr const char* kSchemaVersion3Additions = R"sql(
ALTER TABLE runs ADD COLUMN shard_index INTEGER;
ALTER TABLE runs ADD COLUMN shard_count INTEGER;
ALTER TABLE runs ADD COLUMN plan_cells INTEGER;
ALTER TABLE runs ADD COLUMN ranks INTEGER;
ALTER TABLE runs ADD COLUMN merged_from TEXT;
)sql";

}  // namespace kcube::test
