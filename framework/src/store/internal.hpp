// Private to the store: what its source files share. store.hpp is the store's face for the
// rest of kcube; sqlite.hpp wraps SQLite's C API, faults.hpp is the test hook.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace kcube::store_detail {

// The fixed statistics columns of the candidates table; any other table column goes to `extra`.
inline constexpr std::array<const char*, 12> kSpreadColumns = {
    "cost_std",  "latency_std", "accuracy_std", "cost_se",      "latency_se",    "accuracy_se",
    "cost_p025", "cost_p975",   "latency_p025", "latency_p975", "accuracy_p025", "accuracy_p975"};

/// Opens the existing store `path` for reading (see "Reading a store you may not write"): nothing
/// is created, migrated or written, and its schema must be this kcube's. A store without a -wal
/// file that this user may not write, or any when `immutable_unless_logged`, is read as
/// immutable.
DbHandle open_without_writing(const std::string& path, bool immutable_unless_logged);

/// The runs of the store, one "\n  ID  EXPERIMENT  STATUS  STARTED_AT" line each, for a message
/// that lists them; " (none)" for a store without runs.
std::string list_runs(sqlite3* db, const std::string& path);

}  // namespace kcube::store_detail

namespace kcube {

struct ResultStore::Impl {
  std::string path;
  store_detail::DbHandle db;

  sqlite3* handle() const { return db.get(); }

  /// `run`, or the newest run when empty. Throws kcube::Error for a store without runs or an
  /// unknown run (listing the runs).
  std::int64_t resolve_run(std::optional<std::int64_t> run);

  /// Throws kcube::Error listing the runs when `run` does not exist.
  void require_run(std::int64_t run);

  /// The statement of `sql` (a string literal of the store's own), prepared on its first use and
  /// kept for the connection: every cell's write runs the same few statements, and preparing
  /// them again per cell was most of SQLite's parsing in a run. Handed out reset and unbound;
  /// hold it with a Reused, which resets it when done, so that no kept statement holds a read
  /// cursor or bound text between uses.
  store_detail::Statement& reused(const char* sql);

  // Declared after `db`: finalized before the connection closes.
  std::map<std::string, std::unique_ptr<store_detail::Statement>> statements;

  /// Run `run` (default: the newest) read from one snapshot; with its cells' candidates,
  /// feasibility and selections when `whole` (load_run()), else its cells only (load_run_cells()).
  StoredRun load(std::optional<std::int64_t> run, bool whole);

  /// Inserts the row of a new run (in the caller's transaction); returns its id.
  std::int64_t insert_run(const RunContext& c, RunStatus status, std::string_view finished_at);

  /// Inserts the row of `cell` under `key`, its candidate rows and its selections (in the
  /// caller's transaction). Throws UnstorableCell for a value the store cannot hold.
  void insert_cell(std::int64_t run, const std::string& key, const CellResult& cell);
  void insert_candidates(std::int64_t run, const std::string& key, const CellResult& cell);
  void insert_selections(std::int64_t run, const std::string& key, const CellResult& cell);
};

}  // namespace kcube
