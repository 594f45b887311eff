// The results store: writing runs and cells (ResultStore::begin_run, write_cell, finish_run,
// take_over).
#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "store/faults.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube {

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

namespace {

std::string seed_text(std::uint64_t seed) {
  return std::to_string(seed);
}

std::string plugins_json(std::vector<PluginRecord> plugins) {
  std::sort(plugins.begin(), plugins.end(), [](const PluginRecord& a, const PluginRecord& b) {
    return std::tie(a.kind, a.name, a.version, a.file, a.sha256) <
           std::tie(b.kind, b.name, b.version, b.file, b.sha256);
  });
  std::ostringstream out;
  json::Writer w(out);
  w.begin_array();
  for (const PluginRecord& p : plugins) {
    w.begin_object().key("name").string(p.name).key("kind").string(p.kind);
    w.key("version").string(p.version).key("file").string(p.file);
    if (!p.sha256.empty())
      w.key("sha256").string(p.sha256);
    w.end_object();
  }
  w.end_array();
  return out.str();
}

}  // namespace

std::int64_t ResultStore::Impl::insert_run(const RunContext& c, RunStatus status,
                                           std::string_view finished_at) {
  // Programmer's mistakes: `kcube run --shard` checks I/N before a run begins.
  assert((c.shard_index == 0) == (c.shard_count == 0));
  assert(c.shard_index >= 0 && c.shard_index <= c.shard_count);
  Statement s(handle(), path,
              "INSERT INTO runs (experiment, status, started_at, kcube_version, git_revision,"
              " compiler, build_type, host, threads, seed, manifest_text, manifest_sha256,"
              " overrides, plugins, evaluator, trials, replications, sampling, cell_count,"
              " finished_at, shard_index, shard_count, plan_cells, ranks, merged_from,"
              " writer_host, writer_pid, writer_start, build_changes, engine_version)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
              " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)");
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
  s.bind_text(15, std::string(to_string(c.evaluator)));
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
  s.bind_int(30, c.engine_version);
  s.run();
  return sqlite3_last_insert_rowid(handle());
}

void ResultStore::Impl::insert_cell(std::int64_t run, const std::string& key,
                                    const CellResult& cell) {
  const Reused kept(
      reused("INSERT INTO cells (run_id, cell_key, replication, profile, scenario, sweep, seed,"
             " status, message, seconds, position, profile_spec, scenario_spec, aggregator,"
             " aggregator_spec, notes)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
  Statement& s = *kept;
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
  s.bind_text(14, cell.aggregator);
  s.bind_text_or_null(15, cell.aggregator_spec);
  s.bind_text_or_null(16, text::join(cell.notes, "\n"));
  s.run();
}

void ResultStore::Impl::insert_candidates(std::int64_t run, const std::string& key,
                                          const CellResult& cell) {
  const CandidateTable& table = cell.candidates;
  const std::size_t n = table.rows.size();
  if (!cell.feasible.empty() && cell.feasible.size() != n) {
    throw UnstorableCell("results store '" + path + "': cell " + key + " has " + std::to_string(n) +
                         " candidates but " + std::to_string(cell.feasible.size()) +
                         " feasibility verdicts");
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
  const Reused kept(
      reused("INSERT INTO candidates (run_id, cell_key, replication, profile, scenario, k,"
             " trials, cost, latency, accuracy, cost_std, latency_std, accuracy_std, cost_se,"
             " latency_se, accuracy_se, cost_p025, cost_p975, latency_p025, latency_p975,"
             " accuracy_p025, accuracy_p975, feasible, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
             " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
             " ?23, ?24)"));
  Statement& s = *kept;
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
      std::ostringstream extra_json;
      json::Writer w(extra_json);
      w.begin_object();
      for (const auto& [name, values] : extra) {
        const double v = (*values)[r];
        if (!std::isfinite(v)) {
          throw UnstorableCell("results store '" + path + "': refusing to store " +
                               text::format_real(v) + " as " + name + where +
                               " (only finite values are stored)");
        }
        w.key(name).real(v);
      }
      w.end_object();
      s.bind_text(24, extra_json.str());
    }
    s.run();
  }
}

void ResultStore::Impl::insert_selections(std::int64_t run, const std::string& key,
                                          const CellResult& cell) {
  const Reused kept(
      reused("INSERT INTO selections (run_id, cell_key, position, replication, profile,"
             " scenario, optimizer, plugin, spec, status, k, cost, latency, accuracy, score,"
             " feasible_count, pareto_count, reason, optimizer_spec, pick_share,"
             " pick_distribution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
             " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"));
  Statement& s = *kept;
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
    s.bind_real(20, named.pick_share, "pick_share" + where);
    s.bind_text_or_null(21, named.pick_distribution);
    s.run();
  }
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
    const Reused kept(
        impl_->reused("SELECT status FROM cells WHERE run_id = ?1 AND cell_key = ?2"));
    Statement& existing = *kept;
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

}  // namespace kcube
