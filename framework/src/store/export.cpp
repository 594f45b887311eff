// The results store: exporting a table of a run as CSV or JSON (ResultStore::export_table).
#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/error.hpp"
#include "manifest/manifest.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube {

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

namespace {

// The selections export; PICK_SHARE is replaced by the columns pick_share and
// pick_distribution for a run whose selections have them (run.bootstrap), or by nothing.
constexpr std::string_view kSelectionsExport =
    "SELECT s.run_id, s.replication, s.profile, s.scenario, c.aggregator, c.sweep, s.optimizer,"
    " s.status, s.k, s.cost, s.latency, s.accuracy, s.score, s.reason PICK_SHARE"
    " FROM selections s JOIN cells c ON c.run_id = s.run_id AND c.cell_key = s.cell_key"
    " WHERE s.run_id = ?1"
    " ORDER BY c.replication, c.profile, c.scenario, c.aggregator, c.sweep, c.cell_key,"
    " s.position";

// Both exports' column of the sweep label; the swept paths' columns follow it.
constexpr int kExportSweepColumn = 5;

// The candidates export; SAMPLES_USED is replaced by the samples_used columns of a run whose
// cells have them (a stopping aggregator's) and the bootstrap's interval columns of a run whose
// cells have them, or by nothing.
constexpr std::string_view kCandidatesExport =
    "SELECT d.run_id, d.replication, d.profile, d.scenario, c.aggregator, c.sweep, d.k,"
    " d.trials, d.cost, d.latency, d.accuracy, d.cost_std, d.latency_std, d.accuracy_std,"
    " d.cost_se, d.latency_se, d.accuracy_se, d.cost_p025, d.cost_p975, d.latency_p025,"
    " d.latency_p975, d.accuracy_p025, d.accuracy_p975,SAMPLES_USED d.feasible"
    " FROM candidates d JOIN cells c ON c.run_id = d.run_id AND c.cell_key = d.cell_key"
    " WHERE d.run_id = ?1"
    " ORDER BY c.replication, c.profile, c.scenario, c.aggregator, c.sweep, c.cell_key, d.k";

// The extra columns of a stopping aggregator that the candidates export has, in order.
constexpr std::array<std::string_view, 5> kSamplesUsedColumns = {
    "samples_used", "samples_used_std", "samples_used_se", "samples_used_p025",
    "samples_used_p975"};

// The bootstrap's interval columns (engine/bootstrap.hpp), which the candidates export has after
// the samples_used ones when a cell of the run has them.
constexpr std::array<std::string_view, 6> kIntervalColumns = {
    "accuracy_lo", "accuracy_hi", "cost_lo", "cost_hi", "latency_lo", "latency_hi"};

// " json_extract(d.extra, '$.NAME') AS NAME," for each of `names` when a candidate of run `id`
// has the first of them in its extra columns; "" otherwise.
template <std::size_t N>
std::string extra_columns(sqlite3* db, const std::string& path, std::int64_t id,
                          const std::array<std::string_view, N>& names) {
  // Column names are our own constants, not input.
  const std::string probe = "$." + std::string(names.front());
  Statement any(db, path,
                "SELECT 1 FROM candidates WHERE run_id = ?1 AND"
                " json_extract(extra, ?2) IS NOT NULL LIMIT 1");
  any.bind_int(1, id);
  any.bind_text(2, probe);
  std::string columns;
  if (any.step()) {
    for (const std::string_view name : names) {
      columns +=
          " json_extract(d.extra, '$." + std::string(name) + "') AS " + std::string(name) + ",";
    }
  }
  return columns;
}

// The candidates export of run `id`, with the samples_used columns when a cell of it has them
// (a stopping aggregator's) and the interval columns when one has them (run.bootstrap).
std::string candidates_export(sqlite3* db, const std::string& path, std::int64_t id) {
  const std::string columns = extra_columns(db, path, id, kSamplesUsedColumns) +
                              extra_columns(db, path, id, kIntervalColumns);
  std::string sql(kCandidatesExport);
  const std::string_view mark = "SAMPLES_USED";
  sql.replace(sql.find(mark), mark.size(), columns);
  return sql;
}

// The selections export of run `id`, with the pick frequencies when a selection of it has them.
std::string selections_export(sqlite3* db, const std::string& path, std::int64_t id) {
  Statement any(db, path,
                "SELECT 1 FROM selections WHERE run_id = ?1 AND pick_share IS NOT NULL LIMIT 1");
  any.bind_int(1, id);
  std::string sql(kSelectionsExport);
  const std::string_view mark = "PICK_SHARE";
  sql.replace(sql.find(mark), mark.size(), any.step() ? ", s.pick_share, s.pick_distribution" : "");
  return sql;
}

/// Column c of the current row as one CSV field.
std::string csv_value(const Statement& s, int c) {
  switch (s.type(c)) {
    case SQLITE_NULL:
      return "";
    case SQLITE_INTEGER:
      return std::to_string(s.int_at(c));
    case SQLITE_FLOAT:
      return text::format_real(s.real_at(c));
    default:
      return text::csv_field(s.text_at(c));
  }
}

/// Column c of the current row as a JSON value.
void write_json_value(json::Writer& w, const Statement& s, int c) {
  switch (s.type(c)) {
    case SQLITE_NULL:
      w.null();
      break;
    case SQLITE_INTEGER:
      w.integer(s.int_at(c));
      break;
    case SQLITE_FLOAT:
      w.real(s.real_at(c));
      break;
    default:
      w.string(s.text_at(c));
  }
}

// A swept value, as written in the manifest, as a JSON value: a number when it is one in JSON's
// grammar (kept as written, so a 64-bit seed loses no digits), else a string.
void write_sweep_value(json::Writer& w, std::string_view value) {
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
  if (number && i == value.size())
    w.raw(value);
  else
    w.string(value);
}

// The sweep of an exported run: the swept paths in the manifest's axis order, and each point's
// values by its label (the cells' sweep column).
struct ExportSweep {
  std::vector<std::string> paths;
  std::map<std::string, std::vector<std::string>, std::less<>> values;
};

// The sweep point of the current row (the label in column kExportSweepColumn); nullptr for a
// label that is not a point of the sweep.
const std::vector<std::string>* row_point(const Statement& s, const ExportSweep& sweep) {
  const auto it = sweep.values.find(
      s.type(kExportSweepColumn) == SQLITE_NULL ? "" : s.text_at(kExportSweepColumn));
  return it == sweep.values.end() ? nullptr : &it->second;
}

// CSV: a header, then a line per row; after the sweep label, the swept paths' values at its
// point (empty for a label that is not a point of the sweep).
void write_csv(std::ostream& out, Statement& s, const ExportSweep& sweep) {
  const int n = s.columns();
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
      out << (c == 0 ? "" : ",") << csv_value(s, c);
      if (c != kExportSweepColumn || sweep.paths.empty())
        continue;
      const std::vector<std::string>* point = row_point(s, sweep);
      for (std::size_t p = 0; p < sweep.paths.size(); ++p)
        out << ',' << (point != nullptr ? text::csv_field((*point)[p]) : "");
    }
    out << '\n';
  }
}

// JSON: an array with an object per row, one row a line; after the sweep label, a member per
// swept path (null for a label that is not a point of the sweep).
void write_json(std::ostream& out, Statement& s, const ExportSweep& sweep) {
  const int n = s.columns();
  json::Writer w(out);
  w.begin_array(json::Layout::lines);
  while (s.step()) {
    w.begin_object(json::Layout::spaced);
    for (int c = 0; c < n; ++c) {
      write_json_value(w.key(s.name(c)), s, c);
      if (c != kExportSweepColumn || sweep.paths.empty())
        continue;
      const std::vector<std::string>* point = row_point(s, sweep);
      for (std::size_t p = 0; p < sweep.paths.size(); ++p) {
        if (point != nullptr)
          write_sweep_value(w.key(sweep.paths[p]), (*point)[p]);
        else
          w.key(sweep.paths[p]).null();
      }
    }
    w.end_object();
  }
  w.end_array();
  out << '\n';
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

}  // namespace

std::vector<std::string> ResultStore::export_table(std::ostream& out, Table table,
                                                   std::optional<std::int64_t> run, Format format) {
  sqlite3* db = impl_->handle();
  const std::string& path = impl_->path;
  // One snapshot: the sweep's labels are checked against the cells exported.
  Transaction snapshot(db, path, Access::read);
  const std::int64_t id = impl_->resolve_run(run);
  std::vector<std::string> notes;
  const ExportSweep sweep = export_sweep(db, path, id, notes);
  const std::string sql = table == Table::selections ? selections_export(db, path, id)
                                                     : candidates_export(db, path, id);
  Statement s(db, path, sql.c_str());
  s.bind_int(1, id);
  if (format == Format::csv)
    write_csv(out, s, sweep);
  else
    write_json(out, s, sweep);
  return notes;
}

}  // namespace kcube
