// The results store: merging runs of other stores into a new run (ResultStore::merge_runs).
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "store/faults.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace kcube {

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

namespace {

namespace fs = std::filesystem;

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

std::int64_t ResultStore::merge_runs(const MergeAdmission& /*admitted*/, const RunContext& context,
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

}  // namespace kcube
