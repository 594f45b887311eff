// Private to the store: RAII over SQLite's C API (connections, prepared statements,
// transactions), and SQLite's failures as kcube errors that say what to do.
#pragma once

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kcube/error.hpp"
#include "store/store.hpp"
#include "util/text.hpp"

namespace kcube::store_detail {

/// How long a connection waits for a lock that another connection holds, in milliseconds.
inline constexpr int kBusyTimeoutMs = 30'000;

// ---- failures ----

// "results store 'PATH': DOING failed: SQLITE'S MESSAGE", with the advice of failure_advice(),
// or else the statement (`sql`, may be null) for a bug report.
std::string failure_message(sqlite3* db, const std::string& path, std::string_view doing,
                            const char* sql = nullptr);

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

/// A kept statement in use (ResultStore::Impl::reused()): reset and unbound again when this
/// ends, however the use ends.
class Reused {
 public:
  explicit Reused(Statement& statement) : statement_(statement) {}
  Reused(const Reused&) = delete;
  Reused& operator=(const Reused&) = delete;
  ~Reused() { statement_.reset(); }
  Statement& operator*() const { return statement_; }
  Statement* operator->() const { return &statement_; }

 private:
  Statement& statement_;
};

/// Throws kcube::RuntimeFailure with failure_message() for what SQLite last reported on `db`.
[[noreturn]] void sqlite_failure(sqlite3* db, const std::string& path, std::string_view doing);

/// SQL without values (pragmas, BEGIN/COMMIT, the migrations).
void exec(sqlite3* db, const std::string& path, const char* sql);

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
inline std::optional<double> optional_real(const Statement& s, int c) {
  return s.is_null(c) ? std::nullopt : std::optional<double>(s.real_at(c));
}

/// The first column of the first row of `sql` as an integer; 0 when it returns no row.
std::int64_t query_int(sqlite3* db, const std::string& path, const char* sql);

}  // namespace kcube::store_detail
