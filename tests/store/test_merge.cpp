// Schema version 3 (shard runs, MPI ranks, merged runs) and ResultStore::merge_runs: migration
// from version 2, the new run fields written and read back, find_resumable by shard, and merging
// runs of other stores value for value in one transaction, with refusals that write nothing.
// merge_runs() is reached through merge_parts() (run/merge.hpp), the only way to it.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "run/merge.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using kcube::CellResult;
using kcube::CellStatus;
using kcube::MergeSource;
using kcube::ResultStore;
using kcube::RunContext;
using kcube::RunStatus;
using kcube::SelectionStatus;
using kcube::test::execute;
using kcube::test::message_of;
using kcube::test::query;

// Every row of `table` of run `run`, but run_id, one line per row in cell_key and then k or
// position order, each value with its type and exactly: a REAL as the hex of its bits.
std::vector<std::string> dump(const fs::path& path, const std::string& table, std::int64_t run) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  const std::string order = table == "cells"        ? "cell_key"
                            : table == "candidates" ? "cell_key, k"
                                                    : "cell_key, position";
  const std::string sql =
      "SELECT * FROM " + table + " WHERE run_id = " + std::to_string(run) + " ORDER BY " + order;
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::ostringstream row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (std::string(sqlite3_column_name(stmt, c)) == "run_id")
        continue;
      row << sqlite3_column_name(stmt, c) << '=';
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL:
          row << "NULL";
          break;
        case SQLITE_INTEGER:
          row << "int:" << sqlite3_column_int64(stmt, c);
          break;
        case SQLITE_FLOAT: {
          const double v = sqlite3_column_double(stmt, c);
          std::uint64_t bits = 0;
          std::memcpy(&bits, &v, sizeof bits);
          row << "real:" << std::hex << bits << std::dec;
          break;
        }
        default:
          row << "text:'" << reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)) << "'";
      }
      row << ' ';
    }
    rows.push_back(row.str());
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

RunContext context(int shard_index = 0, int shard_count = 0) {
  RunContext c = kcube::capture_run_context("Release");
  c.experiment = "demo";
  c.threads = 2;
  c.seed = 18446744073709551615ull;
  c.manifest_text = "experiment: demo\n";
  c.manifest_sha256 = "abc123";
  c.overrides = {"run.trials=1000"};
  // The plugin's file SHA-256 is known: runs of it are of one build (merge_parts() compares them).
  c.plugins = {{"gaussian", "profile", "0.2.0", "/lib/gaussian.so", std::string(64, 'a')}};
  c.evaluator = kcube::Evaluator::monte_carlo;
  c.trials = 1000;
  c.sampling = "nested";
  c.shard_index = shard_index;
  c.shard_count = shard_count;
  c.plan_cells = 6;
  c.cell_count = shard_count > 0 ? 3 : 6;
  return c;
}

kcube::NamedSelection selection(std::string name, SelectionStatus status, std::optional<int> k,
                                std::optional<double> cost, std::optional<double> score) {
  kcube::SelectionRecord r;
  r.optimizer = "cube-max";
  r.spec = "optimizers." + name + " (cube-max)";
  r.canonical_spec = "cube-max";
  r.status = status;
  r.k = k;
  r.cost = cost;
  r.latency = cost ? std::optional<double>(*cost * 3.0) : std::nullopt;
  r.accuracy = cost ? std::optional<double>(0.1 + 0.2) : std::nullopt;
  r.score = score;
  r.feasible = k ? 2 : 0;
  r.pareto = k ? 1 : 0;
  r.reason = "picked, \"why\"\nsecond line";
  return {std::move(name), std::move(r)};
}

// The cell at plan position `position`: values whose bits are easy to lose (1/3, 0.1 + 0.2, the
// smallest subnormal, the largest double; -0.0, which SQLite stores as 0 already when the cell is
// written), every spread column, an extra quantile column.
CellResult cell_at(std::int64_t position) {
  CellResult cell;
  cell.profile = "p" + std::to_string(position % 3);
  cell.scenario = "s";
  cell.sweep = position % 2 == 0 ? "k_max=" + std::to_string(position) : "";
  cell.replication = static_cast<int>(position / 3);
  cell.position = position;
  cell.profile_spec = "gaussian:acc_mean=0." + std::to_string(position + 1);
  cell.scenario_spec = "budget:cost_max=0.5";
  cell.seed = 18446744073709551557ull - static_cast<std::uint64_t>(position);
  cell.seconds = 1.0 / 3.0 + static_cast<double>(position);
  cell.candidates.rows = {{1, 1.0 / 3.0, 1e308, 0.1 + 0.2},
                          {2, std::numeric_limits<double>::denorm_min(), -0.0, 1.0}};
  auto& col = cell.candidates.columns;
  col["trials"] = {1000, 1000};
  for (const char* name :
       {"cost_std", "latency_std", "accuracy_std", "cost_se", "latency_se", "accuracy_se",
        "cost_p025", "cost_p975", "latency_p025", "latency_p975", "accuracy_p025", "accuracy_p975"})
    col[name] = {std::sqrt(2.0) * static_cast<double>(position + 1), 1e-300};
  col["cost_p95"] = {2.0 / 3.0, 7e-310};
  cell.feasible = {true, false};
  cell.selections = {
      selection("cube", SelectionStatus::selected, 1, 1.0 / 3.0, 1.0 / 7.0),
      selection("none", SelectionStatus::infeasible, std::nullopt, std::nullopt, std::nullopt)};
  return cell;
}

// An exactly evaluated cell: no spread (NULL), no feasibility (NULL), no extra (NULL).
CellResult exact_cell_at(std::int64_t position) {
  CellResult cell = cell_at(position);
  cell.candidates.columns.clear();
  cell.feasible.clear();
  cell.seed.reset();
  cell.profile_spec.clear();
  return cell;
}

CellResult error_cell_at(std::int64_t position) {
  CellResult cell = cell_at(position);
  cell.status = CellStatus::error;
  cell.message = "profile p threw: boom, \"quoted\"";
  cell.candidates = {};
  cell.feasible.clear();
  cell.selections.clear();
  return cell;
}

// A store at `path` with one run of `context` holding `cells`, ended with `status`.
std::int64_t write_store(const fs::path& path, const RunContext& context,
                         const std::vector<CellResult>& cells,
                         RunStatus status = RunStatus::finished) {
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context);
  for (const CellResult& cell : cells)
    store.write_cell(run, cell);
  if (status != RunStatus::running)
    store.finish_run(run, status);
  return run;
}

// The merged context kcube merge would make: a whole run of the plan.
RunContext merged_context() {
  RunContext c = context();
  c.merged_from = R"([{"store":"a.sqlite","run":1,"shard":"1/2"},{"store":"b.sqlite","run":1}])";
  c.ranks = 4;
  return c;
}

// A store of schema version 2 exactly as kcube wrote it, with a running run and a cell.
const std::string kVersion2Store = std::string(R"sql(
PRAGMA application_id = 1801680226;
PRAGMA user_version = 2;
)sql") + kcube::test::kSchemaVersion1 +
                                   kcube::test::kSchemaVersion2Additions + R"sql(
INSERT INTO runs VALUES (1, 'old', 'running', '2025-01-02T03:04:05Z', NULL, '0.2.0', NULL,
  'gcc 12', 'Release', 'box', 4, '7', 'experiment: old', 'ff00', '', '[]', 'exact', NULL, 1, NULL,
  5);
INSERT INTO cells VALUES (1, 'gpt|tight||0', 0, 'gpt', 'tight', NULL, NULL, 'finished', NULL, 0.5,
  0, 'gaussian:acc_mean=0.9', 'budget:k_max=8');
)sql";

}  // namespace

// ---- schema version 3 ----

TEST_CASE("a version 2 store is migrated in place, its runs read as whole runs") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "v2.sqlite";
  execute(path, kVersion2Store);
  ResultStore store = ResultStore::open(path.string());
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  CHECK(query(path,
              "SELECT group_concat(name, ',') FROM pragma_table_info('runs') WHERE cid "
              "BETWEEN 21 AND 25") == "shard_index,shard_count,plan_cells,ranks,merged_from");
  // The old row keeps NULL: unknown, read back as documented.
  CHECK(query(path,
              "SELECT shard_index IS NULL AND shard_count IS NULL AND plan_cells IS NULL AND "
              "ranks IS NULL AND merged_from IS NULL FROM runs") == "1");
  CHECK(query(path, "PRAGMA integrity_check") == "ok");

  const auto runs = store.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].shard_index == 0);
  CHECK(runs[0].shard_count == 0);
  CHECK(runs[0].plan_cells == 5);  // cell_count
  CHECK(runs[0].ranks == 1);
  CHECK_FALSE(runs[0].merged);
  const kcube::StoredRun run = store.load_run(1);
  CHECK(run.context.shard_index == 0);
  CHECK(run.context.shard_count == 0);
  CHECK(run.context.plan_cells == 5);
  CHECK(run.context.ranks == 1);
  CHECK(run.context.merged_from.empty());
  REQUIRE(run.cells.size() == 1);
  CHECK(run.cells[0].profile_spec == "gaussian:acc_mean=0.9");

  // Its running run is a whole run: --resume without --shard finds it, with --shard not.
  const auto resumable = store.find_resumable("ff00", {});
  REQUIRE(resumable.has_value());
  CHECK(resumable->run == 1);
  CHECK(resumable->finished_cells == std::set<std::string>{"gpt|tight||0"});
  CHECK_FALSE(store.find_resumable("ff00", {}, 1, 2).has_value());
}

TEST_CASE("open_read_only and open_immutable refuse a version 2 store and leave it as it is") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "v2.sqlite";
  execute(path, kVersion2Store);
  const std::string before = file_bytes(path);
  for (const auto& open : {ResultStore::open_read_only, ResultStore::open_immutable}) {
    const std::string message = message_of([&] { open(path.string()); });
    CHECK(message.find("results store '" + path.string() +
                       "' has schema version 2, older than this kcube's (" +
                       std::to_string(kcube::kStoreSchemaVersion) + ")") != std::string::npos);
    CHECK(message.find("`kcube runs '" + path.string() + "'` migrates it") != std::string::npos);
  }
  CHECK(file_bytes(path) == before);
  CHECK_FALSE(fs::exists(path.string() + "-wal"));
  CHECK_FALSE(fs::exists(path.string() + "-shm"));
}

TEST_CASE("a shard run records its shard, plan and ranks, and find_resumable keeps shards apart") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  RunContext shard = context(2, 4);
  shard.plan_cells = 27;
  shard.cell_count = 7;
  shard.ranks = 3;
  const auto shard_run = store.begin_run(shard);
  const auto whole_run = store.begin_run(context());
  RunContext merged = merged_context();
  merged.plan_cells = 0;  // stored as cell_count
  const auto merged_run = store.begin_run(merged);

  CHECK(query(path,
              "SELECT shard_index || '/' || shard_count || ' ' || plan_cells || ' ' || ranks"
              " || ' ' || (merged_from IS NULL) FROM runs WHERE id = 1") == "2/4 27 3 1");
  CHECK(query(path,
              "SELECT (shard_index IS NULL) || (shard_count IS NULL) || ' ' || plan_cells ||"
              " ' ' || ranks FROM runs WHERE id = 2") == "11 6 1");
  CHECK(query(path,
              "SELECT plan_cells || ' ' || ranks || ' ' || merged_from FROM runs WHERE id = "
              "3") == "6 4 " + merged.merged_from);

  const auto runs = store.runs();
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].shard_index == 2);
  CHECK(runs[0].shard_count == 4);
  CHECK(runs[0].plan_cells == 27);
  CHECK(runs[0].cell_count == 7);
  CHECK(runs[0].ranks == 3);
  CHECK_FALSE(runs[0].merged);
  CHECK(runs[1].shard_count == 0);
  CHECK(runs[1].plan_cells == 6);
  CHECK(runs[2].merged);
  CHECK(runs[2].ranks == 4);

  const kcube::StoredRun stored = store.load_run(shard_run);
  CHECK(stored.context.shard_index == 2);
  CHECK(stored.context.shard_count == 4);
  CHECK(stored.context.plan_cells == 27);
  CHECK(stored.context.cell_count == 7);
  CHECK(stored.context.ranks == 3);
  CHECK(stored.context.merged_from.empty());
  CHECK(store.load_run(merged_run).context.merged_from == merged.merged_from);

  // Same manifest and overrides, one whole run and one shard running: each finds its own.
  CHECK(store.find_resumable("abc123", {"run.trials=1000"})->run == merged_run);
  CHECK(store.find_resumable("abc123", {"run.trials=1000"}, 2, 4)->run == shard_run);
  CHECK_FALSE(store.find_resumable("abc123", {"run.trials=1000"}, 1, 4).has_value());
  CHECK_FALSE(store.find_resumable("abc123", {"run.trials=1000"}, 2, 3).has_value());
  store.finish_run(merged_run, RunStatus::finished);
  CHECK(store.find_resumable("abc123", {"run.trials=1000"})->run == whole_run);
}

TEST_CASE("load_run_cells reads a run's cells without their rows") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  const auto run = write_store(path, context(1, 2), {cell_at(0), error_cell_at(2), cell_at(4)});
  ResultStore store = ResultStore::open_immutable(path.string());
  const kcube::StoredRun cells = store.load_run_cells(std::nullopt);
  CHECK(cells.summary.id == run);
  CHECK(cells.context.shard_index == 1);
  REQUIRE(cells.cells.size() == 3);
  CHECK(cells.cells[1].position == 2);
  CHECK(cells.cells[1].status == CellStatus::error);
  CHECK(cells.cells[2].key() == cell_at(4).key());
  for (const CellResult& cell : cells.cells) {
    CHECK(cell.candidates.rows.empty());
    CHECK(cell.selections.empty());
  }
  CHECK_FALSE(fs::exists(path.string() + "-wal"));  // read as immutable: no file made
  CHECK_FALSE(fs::exists(path.string() + "-shm"));
}

// ---- merge_runs, reached through merge_parts ----

namespace {

// merge_runs() asks for a MergeAdmission, which only merge_parts() can make: a caller cannot
// merge runs that merge_parts() refuses.
template <class Store>
concept merges_without_admission = requires(Store& store, const RunContext& context,
                                            const std::vector<MergeSource>& sources) {
  store.merge_runs(context, sources, RunStatus::finished);
};
static_assert(!merges_without_admission<ResultStore>);
static_assert(!std::is_default_constructible_v<kcube::MergeAdmission>);

// `kcube merge --partial OUT PART:RUN...` (the tests' parts are not always the whole plan).
kcube::MergeRequest merge_request(const fs::path& out,
                                  const std::vector<std::pair<fs::path, std::int64_t>>& parts) {
  kcube::MergeRequest request;
  request.out = out.string();
  for (const auto& [path, run] : parts)
    request.parts.push_back({path.string(), run, {}});
  request.partial = true;
  return request;
}

}  // namespace

TEST_CASE("merge_parts refuses runs of different manifests: merge_runs is not reached") {
  kcube::test::TempDir dir;
  const auto a = dir.path() / "a.sqlite";
  const auto b = dir.path() / "b.sqlite";
  const auto out = dir.path() / "out.sqlite";
  write_store(a, context(1, 2), {cell_at(0), cell_at(2), cell_at(4)});
  RunContext other = context(2, 2);
  other.manifest_sha256 = "def456";
  write_store(b, other, {cell_at(1), cell_at(3), cell_at(5)});
  const std::string message = message_of([&] {
    kcube::merge_parts(merge_request(out, {{a, 1}, {b, 1}}));
  });
  CHECK(message.find("are runs of different manifests: they differ in manifest_sha256") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("merge_runs copies every value of its sources bit for bit into one new run") {
  kcube::test::TempDir dir;
  const auto a = dir.path() / "a.sqlite";
  const auto b = dir.path() / "b.sqlite";
  const auto out = dir.path() / "out.sqlite";
  // Shard 1/2 holds positions 0, 2, 4; shard 2/2 positions 1, 3, 5, one of them an error.
  write_store(a, context(1, 2), {cell_at(0), exact_cell_at(2), cell_at(4)});
  RunContext b_context = context(2, 2);
  b_context.host = "node-b";
  {
    // Run 1 of b is an older try of the shard; run 2 is the one merged.
    write_store(b, b_context, {cell_at(1)}, RunStatus::failed);
    ResultStore store = ResultStore::open(b.string());
    const auto run = store.begin_run(b_context);
    for (const CellResult& cell : {cell_at(5), error_cell_at(3), exact_cell_at(1)})
      store.write_cell(run, cell);
    store.finish_run(run, RunStatus::failed);
  }
  // OUT already holds another run, which stays as it is.
  write_store(out, context(), {cell_at(0)});
  const auto before_a = file_bytes(a);
  const auto before_b = file_bytes(b);
  const auto kept = dump(out, "candidates", 1);

  const kcube::MergeReport report = kcube::merge_parts(merge_request(out, {{a, 1}, {b, 2}}));
  const auto merged = report.run;
  CHECK(merged == 2);
  CHECK(report.status == RunStatus::failed);  // b failed, with a cell in error

  for (const std::string table : {"cells", "candidates", "selections"}) {
    INFO("table " << table);
    std::vector<std::string> want = dump(a, table, 1);
    const auto from_b = dump(b, table, 2);
    want.insert(want.end(), from_b.begin(), from_b.end());
    std::sort(want.begin(), want.end());
    auto got = dump(out, table, merged);
    std::sort(got.begin(), got.end());
    CHECK(got == want);
    CHECK_FALSE(got.empty());
  }
  CHECK(dump(out, "candidates", 1) == kept);
  CHECK(query(out, "SELECT count(*) FROM cells WHERE run_id = 2") == "6");
  CHECK(query(out, "SELECT message FROM cells WHERE run_id = 2 AND status = 'error'") ==
        error_cell_at(3).message);
  CHECK(query(out, "SELECT count(*) FROM candidates WHERE run_id = 2 AND extra IS NULL") == "4");
  CHECK(query(out, "SELECT count(*) FROM candidates WHERE run_id = 2 AND cost_std IS NULL") == "4");

  // The run row: the merged context, the status, finished when the last source finished.
  CHECK(query(out, "SELECT status FROM runs WHERE id = 2") == "failed");
  CHECK(query(out, "SELECT finished_at FROM runs WHERE id = 2") ==
        std::max(query(a, "SELECT finished_at FROM runs WHERE id = 1"),
                 query(b, "SELECT finished_at FROM runs WHERE id = 2")));
  CHECK(query(out,
              "SELECT (shard_index IS NULL) || ' ' || plan_cells || ' ' || cell_count || ' ' "
              "|| ranks FROM runs WHERE id = 2") ==
        "1 6 6 " + std::to_string(report.context.ranks));
  CHECK(query(out, "SELECT merged_from FROM runs WHERE id = 2") == report.context.merged_from);
  CHECK(query(out, "SELECT host FROM runs WHERE id = 2") == context().host + ",node-b");

  // The merged run reads back whole, cells in plan order, a copy of each source's cell.
  ResultStore store = ResultStore::open(out.string());
  const kcube::StoredRun run = store.load_run(merged);
  REQUIRE(run.cells.size() == 6);
  for (std::int64_t p = 0; p < 6; ++p)
    CHECK(run.cells[static_cast<std::size_t>(p)].position == p);
  CHECK(run.cells[2].candidates.rows[0].cost == 1.0 / 3.0);
  CHECK(run.cells[0].candidates.column("cost_p95") != nullptr);
  CHECK(run.cells[0].candidates.rows[1].cost == std::numeric_limits<double>::denorm_min());
  CHECK(run.summary.merged);
  CHECK(run.summary.cells_failed == 1);

  // The sources were read, not written: same bytes, no -wal or -shm files left.
  CHECK(file_bytes(a) == before_a);
  CHECK(file_bytes(b) == before_b);
  for (const auto& source : {a, b}) {
    CHECK_FALSE(fs::exists(source.string() + "-wal"));
    CHECK_FALSE(fs::exists(source.string() + "-shm"));
  }
  CHECK(query(out, "PRAGMA integrity_check") == "ok");
  CHECK(query(out, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
}

TEST_CASE("merge_runs dates a merged run now when a source has not finished") {
  kcube::test::TempDir dir;
  const auto a = dir.path() / "a.sqlite";
  const auto out = dir.path() / "out.sqlite";
  write_store(a, context(1, 2), {cell_at(0)}, RunStatus::running);
  const auto failed = kcube::merge_parts(merge_request(out, {{a, 1}})).run;
  const std::string now = kcube::utc_now_iso8601();
  CHECK(query(out, "SELECT status FROM runs WHERE id = " + std::to_string(failed)) == "failed");
  CHECK(query(out, "SELECT finished_at FROM runs WHERE id = " + std::to_string(failed)) <= now);
  CHECK(query(out, "SELECT finished_at FROM runs WHERE id = " + std::to_string(failed)) >=
        query(a, "SELECT started_at FROM runs"));
}

TEST_CASE("merge_runs writes nothing when two sources hold the same cell") {
  kcube::test::TempDir dir;
  const auto a = dir.path() / "a.sqlite";
  const auto b = dir.path() / "b.sqlite";
  const auto out = dir.path() / "out.sqlite";
  write_store(a, context(1, 2), {cell_at(0), cell_at(2)});
  write_store(out, context(), {cell_at(0)});
  const auto count = [&](const char* table) {
    return query(out, std::string("SELECT count(*) FROM ") + table);
  };
  const std::string runs = count("runs"), cells = count("cells"), rows = count("candidates");
  const auto nothing_written = [&] {
    CHECK(count("runs") == runs);
    CHECK(count("cells") == cells);
    CHECK(count("candidates") == rows);
    CHECK(count("selections") == "2");
  };

  SUBCASE("held twice when merge_parts reads the parts: refused before OUT is opened") {
    write_store(b, context(2, 2), {cell_at(1), cell_at(2), cell_at(3)});
    const std::string message = message_of([&] {
      kcube::merge_parts(merge_request(out, {{a, 1}, {b, 1}}));
    });
    CHECK(message.find("both hold cell " + cell_at(2).key()) != std::string::npos);
    nothing_written();
  }
  SUBCASE("written to a part after merge_parts read it: merge_runs's own check refuses it") {
    // b is another build (a note, not a refusal): the note comes between the reading of the
    // parts and merge_runs(), and b's still running run gets a's cell 2 then.
    RunContext b_context = context(2, 2);
    b_context.compiler = "another compiler";
    write_store(b, b_context, {cell_at(1)}, RunStatus::running);
    kcube::MergeRequest request = merge_request(out, {{a, 1}, {b, 1}});
    request.on_note = [&](const std::string&) {
      ResultStore part = ResultStore::open(b.string());
      part.write_cell(1, cell_at(2));
    };
    const std::string message = message_of([&] { kcube::merge_parts(std::move(request)); });
    CHECK(message.find("cannot merge: cell " + cell_at(2).key() + " is in run 1 of '" + a.string() +
                       "' and in run 1 of '" + b.string() + "'") != std::string::npos);
    CHECK(message.find("nothing was written") != std::string::npos);
    nothing_written();
  }

  // The store is usable afterwards: a merge without the overlap goes through.
  const auto run = kcube::merge_parts(merge_request(out, {{a, 1}})).run;
  CHECK(run == 2);
  CHECK(query(out, "SELECT count(*) FROM cells WHERE run_id = 2") == "2");
  CHECK(query(out, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("merge refuses a missing source, another version, a missing run and itself") {
  kcube::test::TempDir dir;
  const auto a = dir.path() / "a.sqlite";
  const auto out = dir.path() / "out.sqlite";
  write_store(a, context(1, 2), {cell_at(0)});
  write_store(out, context(), {cell_at(0)});
  const auto merge = [&](const std::vector<std::pair<fs::path, std::int64_t>>& parts) {
    return message_of([&] { kcube::merge_parts(merge_request(out, parts)); });
  };

  SUBCASE("a missing source") {
    const auto missing = dir.path() / "none.sqlite";
    CHECK(merge({{a, 1}, {missing, 1}}).find("no results store at '" + missing.string() + "'") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(missing));
  }
  SUBCASE("a file that is not a store") {
    const auto text = dir.path() / "notes.txt";
    std::ofstream(text) << "not a database, long enough to be read as one and refused as such\n";
    CHECK(merge({{text, 1}}).find("'" + text.string() + "' is not a kcube results store") !=
          std::string::npos);
  }
  SUBCASE("a store of schema version 2") {
    const auto old = dir.path() / "v2.sqlite";
    execute(old, kVersion2Store);
    CHECK(merge({{a, 1}, {old, 1}})
              .find("'" + old.string() + "' has schema version 2, older than this kcube's (" +
                    std::to_string(kcube::kStoreSchemaVersion) + ")") != std::string::npos);
    CHECK(query(old, "PRAGMA user_version") == "2");
  }
  SUBCASE("a store of a newer schema version") {
    const auto newer = dir.path() / "newer.sqlite";
    const std::string version = std::to_string(kcube::kStoreSchemaVersion + 1);
    fs::copy_file(a, newer);
    query(newer, "PRAGMA user_version = " + version);
    CHECK(merge({{newer, 1}})
              .find("has schema version " + version + ", newer than this kcube knows") !=
          std::string::npos);
  }
  SUBCASE("a run the source does not hold") {
    const std::string message = merge({{a, 1}, {a, 7}});
    CHECK(message.find("results store '" + a.string() +
                       "' has no run 7; its runs are:\n  1  demo"
                       "  finished") != std::string::npos);
  }
  SUBCASE("the store merged into") {
    CHECK(merge({{a, 1}, {out, 1}}).find("the output '" + out.string() + "' is also the part") !=
          std::string::npos);
  }
  CHECK(query(out, "SELECT count(*) FROM runs") == "1");
  CHECK(query(out, "SELECT count(*) FROM cells") == "1");
  CHECK(query(out, "PRAGMA integrity_check") == "ok");
}
