// The results store: reading runs back (ResultStore::runs, load_run, load_run_cells) and
// finding a run to resume.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "kcube/error.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace kcube::store_detail {

std::string list_runs(sqlite3* db, const std::string& path) {
  Statement s(db, path, "SELECT id, experiment, status, started_at FROM runs ORDER BY id");
  std::string out;
  while (s.step()) {
    out += "\n  " + std::to_string(s.int_at(0)) + "  " + s.text_at(1) + "  " + s.text_at(2) + "  " +
           s.text_at(3);
  }
  return out.empty() ? " (none)" : out;
}

}  // namespace kcube::store_detail

namespace kcube {

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

namespace {

RunStatus parse_run_status(const std::string& s) {
  if (s == "finished")
    return RunStatus::finished;
  if (s == "failed")
    return RunStatus::failed;
  if (s == "interrupted")
    return RunStatus::interrupted;
  return RunStatus::running;
}

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
    " r.writer_host, r.writer_pid, r.writer_start, r.build_changes IS NOT NULL,"
    " r.engine_version, r.evaluator";
constexpr int kRunSummaryColumnCount = 21;

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
  r.engine_version = static_cast<int>(s.int_at(19));
  // An unknown evaluator is refused where the run is loaded (read_run); here it counts as Monte
  // Carlo, whose numbers depend on the engine.
  r.evaluator = parse_evaluator(s.text_at(20)).value_or(Evaluator::monte_carlo);
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
  const std::string evaluator = s.text_at(col++);
  if (const auto parsed = parse_evaluator(evaluator))
    c.evaluator = *parsed;
  else
    corrupt(path, where + " has the unknown evaluator '" + evaluator + "'");
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
  c.engine_version = out.summary.engine_version;
  Statement summary(db, path, "SELECT summary FROM engine_versions WHERE version = ?1");
  summary.bind_int(1, c.engine_version);
  out.engine_summary =
      summary.step() ? summary.text_at(0) : engine_version_summary(c.engine_version);
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
              " scenario_spec, seed, status, message, seconds, aggregator, aggregator_spec, notes"
              " FROM cells WHERE run_id = ?1"
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
    cell.aggregator = s.text_at(12);
    cell.aggregator_spec = s.text_at(13);
    if (!s.is_null(14)) {
      std::istringstream notes(s.text_at(14));
      for (std::string note; std::getline(notes, note);)
        cell.notes.push_back(note);
    }
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
              " accuracy, score, feasible_count, pareto_count, reason, pick_share,"
              " pick_distribution FROM selections"
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
    named.pick_share = optional_real(s, 14);
    if (!s.is_null(15))
      named.pick_distribution = s.text_at(15);
    cell->selections.push_back(std::move(named));
  }
}

}  // namespace

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

std::vector<RunSummary> ResultStore::runs() {
  const std::string sql =
      std::string("SELECT ") + kRunSummaryColumns + " FROM runs r ORDER BY r.id";
  Statement s(impl_->handle(), impl_->path, sql.c_str());
  std::vector<RunSummary> out;
  while (s.step())
    out.push_back(read_run_summary(s));
  return out;
}

std::map<int, std::string> ResultStore::engine_versions() {
  Statement s(impl_->handle(), impl_->path,
              "SELECT version, summary FROM engine_versions ORDER BY version");
  std::map<int, std::string> out;
  while (s.step())
    out.emplace(static_cast<int>(s.int_at(0)), s.text_at(1));
  return out;
}

StoredRun ResultStore::Impl::load(std::optional<std::int64_t> run, bool whole) {
  sqlite3* connection = handle();
  // One snapshot: cells another process writes meanwhile are either all in or all out.
  Transaction snapshot(connection, path, Access::read);
  const std::int64_t id = resolve_run(run);
  StoredRun out;
  read_run(connection, path, id, out);
  const auto index = read_cells(connection, path, id, out.cells);
  if (whole) {
    read_candidates(connection, path, id, index, out.cells);
    read_selections(connection, path, id, index, out.cells);
  }
  return out;
}

StoredRun ResultStore::load_run(std::optional<std::int64_t> run) {
  return impl_->load(run, true);
}

StoredRun ResultStore::load_run_cells(std::optional<std::int64_t> run) {
  return impl_->load(run, false);
}

}  // namespace kcube
