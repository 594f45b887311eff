// The results store: schema and migration, round trips through the exports, one transaction per
// cell, resuming, refusals with clear messages, and two processes writing one store.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "run/merge.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::CellResult;
using kcube::CellStatus;
using kcube::Format;
using kcube::ResultStore;
using kcube::RunContext;
using kcube::RunStatus;
using kcube::SelectionStatus;
using kcube::Table;
using kcube::test::execute;
using kcube::test::message_of;
using kcube::test::query;

void check_integrity(const std::filesystem::path& path) {
  CHECK(query(path, "PRAGMA integrity_check") == "ok");
  CHECK(query(path, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
}

RunContext context(std::string sha = "abc123", std::vector<std::string> overrides = {}) {
  RunContext c = kcube::capture_run_context("Release");
  c.experiment = "demo";
  c.threads = 2;
  c.seed = 18446744073709551615ull;  // the largest seed must survive (stored as decimal text)
  c.manifest_text = "experiment: demo\n";
  c.manifest_sha256 = std::move(sha);
  c.overrides = std::move(overrides);
  c.plugins = {{"cube-max", "optimizer", "1.0.0", "/lib/cube.so", ""},
               {"gaussian", "profile", "0.2.0", "/lib/gaussian.so", ""}};
  c.evaluator = kcube::Evaluator::monte_carlo;
  c.trials = 1000;
  c.sampling = "nested";
  c.cell_count = 2;
  return c;
}

kcube::NamedSelection selection(std::string name, SelectionStatus status, std::optional<int> k,
                                std::optional<double> cost, std::optional<double> latency,
                                std::optional<double> accuracy, std::optional<double> score,
                                std::string reason) {
  kcube::SelectionRecord r;
  r.optimizer = "cube-max";
  r.spec = "cube-max";
  r.status = status;
  r.k = k;
  r.cost = cost;
  r.latency = latency;
  r.accuracy = accuracy;
  r.score = score;
  r.feasible = k ? 1 : 0;
  r.pareto = k ? 1 : 0;
  r.reason = std::move(reason);
  return {std::move(name), std::move(r)};
}

// A simulated cell: two candidates with every spread column and one extra quantile column.
CellResult simulated_cell(std::string profile = "gpt", int replication = 0) {
  CellResult cell;
  cell.profile = std::move(profile);
  cell.scenario = "tight";
  cell.replication = replication;
  cell.seed = 7;
  cell.seconds = 0.5;
  cell.candidates.rows = {{1, 0.5, 2.0, 0.25}, {2, 1.0, 3.5, 0.5}};
  auto& col = cell.candidates.columns;
  col["trials"] = {1000, 1000};
  col["cost_std"] = {0.1, 0.2};
  col["latency_std"] = {0.2, 0.4};
  col["accuracy_std"] = {0.3, 0.6};
  col["cost_se"] = {0.01, 0.02};
  col["latency_se"] = {0.02, 0.04};
  col["accuracy_se"] = {0.03, 0.06};
  col["cost_p025"] = {0.4, 0.8};
  col["cost_p975"] = {0.6, 1.2};
  col["latency_p025"] = {1.5, 3.0};
  col["latency_p975"] = {2.5, 4.0};
  col["accuracy_p025"] = {0.2, 0.45};
  col["accuracy_p975"] = {0.3, 0.55};
  col["cost_p95"] = {0.58, 1.1};
  cell.feasible = {true, false};
  cell.selections = {selection("cube", SelectionStatus::selected, 1, 0.5, 2.0, 0.25, 0.125,
                               "largest cube, \"volume\" 0.125")};
  return cell;
}

// An exactly evaluated cell: no spread columns, and no feasible candidate (k is NULL).
CellResult exact_cell() {
  CellResult cell;
  cell.profile = "exact-model";
  cell.scenario = "tight";
  cell.seconds = 0.25;
  cell.candidates.rows = {{1, 0.25, 1.0, 0.5}};
  cell.feasible = {false};
  cell.selections = {selection("cube", SelectionStatus::infeasible, std::nullopt, std::nullopt,
                               std::nullopt, std::nullopt, std::nullopt, "no feasible candidate")};
  return cell;
}

std::string exported(ResultStore& store, Table table, Format format,
                     std::optional<std::int64_t> run = std::nullopt) {
  std::ostringstream out;
  store.export_table(out, table, run, format);
  return out.str();
}

}  // namespace

TEST_CASE("an empty file becomes a store with the current schema version in WAL mode") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "results.sqlite";
  std::ofstream(path).close();  // an empty file is an empty database: migrated from version 0
  REQUIRE(std::filesystem::file_size(path) == 0);
  {
    ResultStore store = ResultStore::open(path.string());
    CHECK(store.runs().empty());
  }
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  CHECK(query(path, "PRAGMA application_id") == std::to_string(0x6b637562));
  CHECK(query(path, "PRAGMA journal_mode") == "wal");
  CHECK(query(path,
              "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
              "type = 'table' ORDER BY name)") ==
        "candidates,cells,engine_versions,runs,selections");
  // Opening again applies nothing and keeps the version.
  ResultStore again = ResultStore::open(path.string());
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  check_integrity(path);
}

TEST_CASE("a run records its context") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "results.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context("abc123", {"seed=3", "scenarios.a.k_max=8"}));
  CHECK(run == 1);
  CHECK(query(path, "SELECT seed FROM runs") == "18446744073709551615");
  CHECK(query(path, "SELECT overrides FROM runs") == "scenarios.a.k_max=8\nseed=3");
  CHECK(query(path, "SELECT plugins FROM runs") ==
        R"([{"name":"cube-max","kind":"optimizer","version":"1.0.0","file":"/lib/cube.so"},)"
        R"({"name":"gaussian","kind":"profile","version":"0.2.0","file":"/lib/gaussian.so"}])");
  CHECK(query(path, "SELECT status FROM runs") == "running");
  CHECK(query(path, "SELECT finished_at IS NULL FROM runs") == "1");
  CHECK(query(path, "SELECT build_type FROM runs") == "Release");
  CHECK_FALSE(query(path, "SELECT host FROM runs").empty());
  CHECK_FALSE(query(path, "SELECT compiler FROM runs").empty());
  CHECK(query(path, "SELECT kcube_version FROM runs") == KCUBE_TEST_VERSION);
  const std::string started = query(path, "SELECT started_at FROM runs");
  CHECK(started.size() == 20);  // 2026-11-28T14:39:43Z
  CHECK(started[10] == 'T');
  CHECK(started.back() == 'Z');
  store.finish_run(run, RunStatus::finished);
  CHECK(query(path, "SELECT status FROM runs") == "finished");
  CHECK(query(path, "SELECT finished_at IS NOT NULL FROM runs") == "1");
  const auto runs = store.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::finished);
  CHECK(runs[0].experiment == "demo");
  check_integrity(path);
}

TEST_CASE("a run with two cells round-trips through both exports in both formats") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "results.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context());
  store.write_cell(run, simulated_cell());
  store.write_cell(run, exact_cell());
  store.finish_run(run, RunStatus::finished);

  // Cells in (replication, profile, scenario, sweep) order: exact-model before gpt.
  CHECK(exported(store, Table::selections, Format::csv) ==
        "run_id,replication,profile,scenario,aggregator,sweep,optimizer,status,k,cost,latency,"
        "accuracy,score,reason\n"
        "1,0,exact-model,tight,max-accuracy,,cube,infeasible,,,,,,no feasible candidate\n"
        "1,0,gpt,tight,max-accuracy,,cube,selected,1,0.5,2,0.25,0.125,\"largest cube, "
        "\"\"volume\"\" 0.125\"\n");
  CHECK(exported(store, Table::candidates, Format::csv) ==
        "run_id,replication,profile,scenario,aggregator,sweep,k,trials,cost,latency,accuracy,cost_"
        "std,"
        "latency_std,accuracy_std,cost_se,latency_se,accuracy_se,cost_p025,cost_p975,"
        "latency_p025,latency_p975,accuracy_p025,accuracy_p975,feasible\n"
        "1,0,exact-model,tight,max-accuracy,,1,,0.25,1,0.5,,,,,,,,,,,,,0\n"
        "1,0,gpt,tight,max-accuracy,,1,1000,0.5,2,0.25,0.1,0.2,0.3,0.01,0.02,0.03,0.4,0.6,1.5,2.5,"
        "0.2,0.3,1\n"
        "1,0,gpt,tight,max-accuracy,,2,1000,1,3.5,0.5,0.2,0.4,0.6,0.02,0.04,0.06,0.8,1.2,3,4,0.45,"
        "0.55,0\n");
  CHECK(exported(store, Table::selections, Format::json, run) ==
        "[\n"
        "  {\"run_id\": 1, \"replication\": 0, \"profile\": \"exact-model\", \"scenario\": "
        "\"tight\", \"aggregator\": \"max-accuracy\", \"sweep\": null, \"optimizer\": \"cube\", "
        "\"status\": \"infeasible\", \"k\": "
        "null, \"cost\": "
        "null, \"latency\": null, \"accuracy\": null, \"score\": null, \"reason\": \"no feasible "
        "candidate\"},\n"
        "  {\"run_id\": 1, \"replication\": 0, \"profile\": \"gpt\", \"scenario\": \"tight\", "
        "\"aggregator\": \"max-accuracy\", \"sweep\": null, \"optimizer\": \"cube\", \"status\": "
        "\"selected\", \"k\": 1, \"cost\": "
        "0.5, \"latency\": "
        "2, \"accuracy\": 0.25, \"score\": 0.125, \"reason\": \"largest cube, \\\"volume\\\" "
        "0.125\"}\n"
        "]\n");
  const std::string candidates_json = exported(store, Table::candidates, Format::json);
  CHECK(candidates_json.find("{\"run_id\": 1, \"replication\": 0, \"profile\": \"exact-model\", "
                             "\"scenario\": \"tight\", \"aggregator\": \"max-accuracy\", "
                             "\"sweep\": null, \"k\": 1, \"trials\": null, \"cost\": 0.25, "
                             "\"latency\": 1, \"accuracy\": 0.5, \"cost_std\": null,") !=
        std::string::npos);
  CHECK(candidates_json.find("\"accuracy_p975\": 0.55, \"feasible\": 0}\n]\n") !=
        std::string::npos);

  // Columns the export does not show are kept: other quantiles, the plugin and spec, counts.
  CHECK(query(path, "SELECT extra FROM candidates WHERE profile = 'gpt' AND k = 1") ==
        "{\"cost_p95\":0.58}");
  CHECK(query(path, "SELECT extra IS NULL FROM candidates WHERE profile = 'exact-model'") == "1");
  CHECK(query(path,
              "SELECT plugin || ' ' || spec || ' ' || feasible_count || ' ' || pareto_count"
              " FROM selections WHERE profile = 'gpt'") == "cube-max cube-max 1 1");
  CHECK(query(path, "SELECT seed FROM cells WHERE profile = 'gpt'") == "7");
  CHECK(query(path,
              "SELECT seed IS NULL AND sweep IS NULL FROM cells WHERE profile = "
              "'exact-model'") == "1");
  CHECK(query(path, "SELECT count(*) FROM candidates WHERE cost_std IS NULL") == "1");
  check_integrity(path);
}

TEST_CASE("an empty run exports a header or an empty array") {
  kcube::test::TempDir dir;
  ResultStore store = ResultStore::open((dir.path() / "s.sqlite").string());
  store.begin_run(context());
  CHECK(exported(store, Table::selections, Format::csv) ==
        "run_id,replication,profile,scenario,aggregator,sweep,optimizer,status,k,cost,latency,"
        "accuracy,score,reason\n");
  CHECK(exported(store, Table::candidates, Format::json) == "[]\n");
}

TEST_CASE("a sweep's exports name each cell's point: its label and one column per swept path") {
  kcube::test::TempDir dir;
  ResultStore store = ResultStore::open((dir.path() / "s.sqlite").string());
  RunContext c = context();
  // As stored_manifest_text() joins a root file and an include; the sweep is the root's.
  c.manifest_text =
      "kcube: 1\nexperiment: demo\nsweep:\n  scenarios.tight.params.cost_max: [0.10, 2]\n"
      "  run.sampling: [nested, \"a,b\"]\ninclude: [more.yaml]\n"
      "\n# ---- included: more.yaml ----\nprofiles: {}\n";
  const auto run = store.begin_run(c);
  CellResult cell = simulated_cell();
  cell.sweep = "scenarios.tight.params.cost_max=2,run.sampling=a,b";
  store.write_cell(run, cell);
  std::ostringstream csv;
  CHECK(store.export_table(csv, Table::selections, run, Format::csv).empty());
  CHECK(csv.str() ==
        "run_id,replication,profile,scenario,aggregator,sweep,scenarios.tight.params.cost_max,"
        "run.sampling,"
        "optimizer,status,k,cost,latency,accuracy,score,reason\n"
        "1,0,gpt,tight,max-accuracy,\"scenarios.tight.params.cost_max=2,run.sampling=a,b\",2,\"a,"
        "b\",cube,"
        "selected,1,0.5,2,0.25,0.125,\"largest cube, \"\"volume\"\" 0.125\"\n");
  std::ostringstream json;
  store.export_table(json, Table::candidates, run, Format::json);
  CHECK(json.str().find("\"scenario\": \"tight\", \"aggregator\": \"max-accuracy\", \"sweep\": "
                        "\"scenarios.tight.params.cost_max=2,run.sampling=a,b\", "
                        "\"scenarios.tight.params.cost_max\": 2, \"run.sampling\": \"a,b\", "
                        "\"k\": 1,") != std::string::npos);

  // A cell at a point the manifest text does not have keeps its label; the user is told.
  CellResult stray = exact_cell();
  stray.sweep = "scenarios.tight.params.cost_max=7";
  store.write_cell(run, stray);
  std::ostringstream out;
  const auto notes = store.export_table(out, Table::selections, run, Format::json);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("'scenarios.tight.params.cost_max=7', which is not a point of the sweep") !=
        std::string::npos);
  CHECK(out.str().find("\"sweep\": \"scenarios.tight.params.cost_max=7\", "
                       "\"scenarios.tight.params.cost_max\": null, \"run.sampling\": null,") !=
        std::string::npos);
}

TEST_CASE("the newest run is exported by default and an unknown run lists the runs") {
  kcube::test::TempDir dir;
  ResultStore store = ResultStore::open((dir.path() / "s.sqlite").string());
  CHECK(message_of([&] {
          exported(store, Table::selections, Format::csv);
        }).find("has no runs yet") != std::string::npos);
  const auto first = store.begin_run(context());
  store.write_cell(first, simulated_cell());
  const auto second = store.begin_run(context());
  store.write_cell(second, exact_cell());
  const std::string newest = exported(store, Table::selections, Format::csv);
  CHECK(newest.find("\n2,0,exact-model,") != std::string::npos);
  CHECK(newest.find("gpt") == std::string::npos);
  CHECK(exported(store, Table::selections, Format::csv, first).find("\n1,0,gpt,") !=
        std::string::npos);
  const std::string message =
      message_of([&] { exported(store, Table::candidates, Format::csv, 42); });
  CHECK(message.find("has no run 42") != std::string::npos);
  CHECK(message.find("\n  1  demo  running") != std::string::npos);
  CHECK(message.find("\n  2  demo  running") != std::string::npos);
  CHECK(message_of([&] { store.finish_run(42, RunStatus::failed); }).find("has no run 42") !=
        std::string::npos);
  CHECK(message_of([&] { store.write_cell(42, exact_cell()); }).find("has no run 42") !=
        std::string::npos);
}

TEST_CASE("writing a finished cell twice is refused and an error cell is replaced") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context());
  store.write_cell(run, simulated_cell());
  const std::string message = message_of([&] { store.write_cell(run, simulated_cell()); });
  CHECK(message.find("cell gpt|tight||0 of run 1 is already stored") != std::string::npos);
  CHECK(query(path, "SELECT count(*) FROM cells") == "1");
  CHECK(query(path, "SELECT count(*) FROM candidates") == "2");
  CHECK(query(path, "SELECT count(*) FROM selections") == "1");

  // The same cell in another run is another cell.
  const auto other = store.begin_run(context());
  store.write_cell(other, simulated_cell());
  CHECK(query(path, "SELECT count(*) FROM cells") == "2");

  // A cell that failed is retried on resume: the new result replaces it.
  CellResult failed = exact_cell();
  failed.status = CellStatus::error;
  failed.message = "profile exact-model threw: boom";
  failed.candidates = {};
  failed.feasible.clear();
  failed.selections.clear();
  store.write_cell(run, failed);
  CHECK(query(path, "SELECT status || ': ' || message FROM cells WHERE profile = 'exact-model'") ==
        "error: profile exact-model threw: boom");
  CHECK(store.runs()[0].cells_failed == 1);
  store.write_cell(run, exact_cell());
  CHECK(query(path, "SELECT status FROM cells WHERE profile = 'exact-model'") == "finished");
  CHECK(query(path, "SELECT count(*) FROM candidates WHERE run_id = 1") == "3");
  CHECK(store.runs()[0].cells_failed == 0);
  CHECK(store.runs()[0].cells_finished == 2);
  check_integrity(path);
}

TEST_CASE("a cell that fails midway leaves nothing behind") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context());

  SUBCASE("a NaN in a later candidate row") {
    CellResult cell = simulated_cell();
    cell.candidates.columns["latency_std"][1] = std::numeric_limits<double>::quiet_NaN();
    try {
      store.write_cell(run, cell);
      FAIL("a NaN was stored");
    } catch (const kcube::RuntimeFailure& e) {
      CHECK(std::string(e.what()).find("refusing to store nan as latency_std of cell gpt|tight||0 "
                                       "at k=2") != std::string::npos);
    }
  }
  SUBCASE("an infinite score in the selections, after all candidates") {
    CellResult cell = simulated_cell();
    cell.selections.push_back(cell.selections[0]);
    cell.selections[1].record.score = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(store.write_cell(run, cell), kcube::RuntimeFailure);
  }
  SUBCASE("a NaN in an extra column") {
    CellResult cell = simulated_cell();
    cell.candidates.columns["cost_p95"][1] = std::nan("");
    CHECK_THROWS_AS(store.write_cell(run, cell), kcube::RuntimeFailure);
  }
  SUBCASE("feasibility verdicts of the wrong size") {
    CellResult cell = simulated_cell();
    cell.feasible = {true};
    CHECK_THROWS_AS(store.write_cell(run, cell), kcube::RuntimeFailure);
  }
  CHECK(query(path, "SELECT count(*) FROM cells") == "0");
  CHECK(query(path, "SELECT count(*) FROM candidates") == "0");
  CHECK(query(path, "SELECT count(*) FROM selections") == "0");
  // The connection is usable afterwards and the cell can be written correctly.
  store.write_cell(run, simulated_cell());
  CHECK(query(path, "SELECT count(*) FROM candidates") == "2");
  check_integrity(path);
}

TEST_CASE("find_resumable returns the newest running run of a manifest and its finished cells") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  CHECK_FALSE(store.find_resumable("abc123", {}).has_value());

  const auto old_running = store.begin_run(context("abc123", {"b=2", "a=1"}));
  const auto target = store.begin_run(context("abc123", {"a=1", "b=2"}));
  store.write_cell(target, simulated_cell());
  CellResult failed = exact_cell();
  failed.status = CellStatus::error;
  failed.message = "boom";
  store.write_cell(target, failed);
  const auto finished = store.begin_run(context("abc123", {"a=1", "b=2"}));
  store.finish_run(finished, RunStatus::finished);
  const auto failed_run = store.begin_run(context("abc123", {"a=1", "b=2"}));
  store.finish_run(failed_run, RunStatus::failed);
  store.begin_run(context("other-sha", {"a=1", "b=2"}));
  store.begin_run(context("abc123", {"a=1"}));

  // Overrides match in any order.
  const auto state = store.find_resumable("abc123", {"b=2", "a=1"});
  REQUIRE(state.has_value());
  CHECK(state->run == target);
  CHECK(state->run > old_running);
  CHECK(state->finished_cells == std::set<std::string>{"gpt|tight||0"});

  CHECK_FALSE(store.find_resumable("abc123", {"a=1", "b=3"}).has_value());
  CHECK_FALSE(store.find_resumable("nope", {}).has_value());
  const auto only_a = store.find_resumable("abc123", {"a=1"});
  REQUIRE(only_a.has_value());
  CHECK(only_a->finished_cells.empty());

  store.finish_run(target, RunStatus::finished);
  const auto fallback = store.find_resumable("abc123", {"a=1", "b=2"});
  REQUIRE(fallback.has_value());
  CHECK(fallback->run == old_running);
  check_integrity(path);
}

TEST_CASE("a store with a newer schema version is refused") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  { ResultStore::open(path.string()); }
  const std::string current = std::to_string(kcube::kStoreSchemaVersion);
  const std::string newer = std::to_string(kcube::kStoreSchemaVersion + 1);
  query(path, "PRAGMA user_version = " + newer);
  REQUIRE(query(path, "PRAGMA user_version") == newer);
  const std::string message = message_of([&] { ResultStore::open(path.string()); });
  CHECK(message.find(path.string()) != std::string::npos);
  CHECK(message.find("schema version " + newer + ", newer than this kcube knows (" + current +
                     ")") != std::string::npos);
  CHECK(query(path, "PRAGMA user_version") == newer);  // untouched
}

TEST_CASE("files that are not kcube stores are refused") {
  kcube::test::TempDir dir;
  SUBCASE("a text file") {
    const auto path = dir.path() / "notes.txt";
    std::ofstream(path) << "experiment: this is a manifest, not a store\n" << std::string(200, 'x');
    const std::string message = message_of([&] { ResultStore::open(path.string()); });
    CHECK(message.find("'" + path.string() +
                       "' is not a kcube results store (not an SQLite "
                       "database)") != std::string::npos);
  }
  SUBCASE("another program's SQLite database") {
    const auto path = dir.path() / "other.sqlite";
    {
      sqlite3* db = nullptr;
      REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
      REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
      sqlite3_close(db);
    }
    const std::string message = message_of([&] { ResultStore::open(path.string()); });
    CHECK(message.find("is not a kcube results store (an SQLite database of another program)") !=
          std::string::npos);
    CHECK(query(path, "SELECT count(*) FROM sqlite_master") == "1");  // untouched
  }
  SUBCASE("a directory") {
    CHECK(message_of([&] { ResultStore::open(dir.path().string()); }).find("is a directory") !=
          std::string::npos);
  }
}

TEST_CASE("a path that is not a regular file is refused by every way of opening, before SQLite") {
  namespace fs = std::filesystem;
  kcube::test::TempDir dir;
  const fs::path fifo = dir.path() / "fifo.sqlite";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path socket_path = dir.path() / "socket.sqlite";
  const int socket_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(socket_fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(socket_path.string().size() < sizeof(address.sun_path));
  std::strcpy(address.sun_path, socket_path.c_str());
  REQUIRE(::bind(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  const fs::path link = dir.path() / "null.sqlite";
  fs::create_symlink("/dev/null", link);
  const fs::path folder = dir.path() / "folder";
  fs::create_directory(folder);
  const bool journal_before = fs::exists("/dev/null-journal");
  ResultStore target = ResultStore::open((dir.path() / "target.sqlite").string());

  struct Case {
    fs::path path;
    std::string said;
  };
  const std::vector<Case> cases = {
      {"/dev/null", "results store '/dev/null' is a character device, not a file"},
      {link, "results store '" + link.string() +
                 "' is a symbolic link to '/dev/null', a character device, not a file"},
      {fifo, "results store '" + fifo.string() + "' is a FIFO (named pipe), not a file"},
      {socket_path, "results store '" + socket_path.string() + "' is a socket, not a file"},
      {folder, "results store '" + folder.string() + "' is a directory; give a file name"}};
  const std::vector<std::pair<const char*, std::function<void(const std::string&)>>> ways = {
      {"open", [](const std::string& p) { ResultStore::open(p); }},
      {"open_read_only", [](const std::string& p) { ResultStore::open_read_only(p); }},
      {"open_immutable", [](const std::string& p) { ResultStore::open_immutable(p); }},
      {"merge_parts", [&](const std::string& p) {
         kcube::MergeRequest request;
         request.out = target.path();
         request.parts = {{p, 1, {}}};
         kcube::merge_parts(std::move(request));
       }}};
  for (const Case& c : cases) {
    for (const auto& way : ways) {  // no structured binding: clang 14 cannot capture one
      INFO(way.first << " of " << c.path);
      const std::string message = message_of([&] { way.second(c.path.string()); });
      CHECK(message.find(c.said) != std::string::npos);
      if (c.path != folder)
        CHECK(message.find("a store is a regular file") != std::string::npos);
    }
  }
  ::close(socket_fd);
  // Nothing was created beside them, nor in the folder, nor in /dev (SQLite made
  // /dev/null-journal there, as root).
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    names.insert(entry.path().filename().string());
  CHECK(names == std::set<std::string>{"fifo.sqlite", "socket.sqlite", "null.sqlite", "folder",
                                       "target.sqlite", "target.sqlite-wal", "target.sqlite-shm"});
  CHECK(fs::is_empty(folder));
  CHECK(query(dir.path() / "target.sqlite", "SELECT count(*) FROM runs") == "0");
  if (!journal_before)
    CHECK_FALSE(fs::exists("/dev/null-journal"));
}

TEST_CASE("a missing directory or an unwritable path is refused with the fix") {
  kcube::test::TempDir dir;
  SUBCASE("missing directory") {
    const auto path = dir.path() / "no" / "such" / "results.sqlite";
    const std::string message = message_of([&] { ResultStore::open(path.string()); });
    CHECK(message.find("cannot create results store '" + path.string() + "': directory '" +
                       (dir.path() / "no" / "such").string() +
                       "' does not exist; create it first") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "no"));
  }
  SUBCASE("unwritable directory") {
    const auto locked = dir.path() / "locked";
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked, std::filesystem::perms(0555));
    const auto path = locked / "results.sqlite";
    const std::string expected = "directory '" + locked.string() + "' is not writable";
    if (::geteuid() != 0) {
      const std::string message = message_of([&] { ResultStore::open(path.string()); });
      CHECK(message.find(expected) != std::string::npos);
      CHECK(message.find("fix its permissions or choose another store path") != std::string::npos);
    } else {
      // Root writes anywhere: try as an unprivileged user in a child process.
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        int code = 3;
        if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
          try {
            ResultStore::open(path.string());
            code = 1;
          } catch (const kcube::Error& e) {
            code = std::string(e.what()).find(expected) != std::string::npos ? 0 : 2;
          } catch (...) {
            code = 4;
          }
        }
        ::_exit(code);
      }
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      REQUIRE(WIFEXITED(status));
      CHECK_MESSAGE(WEXITSTATUS(status) == 0,
                    "child exit code " << WEXITSTATUS(status) << " (1: opened, 2: wrong message)");
    }
    CHECK_FALSE(std::filesystem::exists(path));
    std::filesystem::permissions(locked, std::filesystem::perms(0755));
  }
}

TEST_CASE("two processes write different runs into one store at once") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "shared.sqlite";
  constexpr int kCells = 150;
  // Each process opens the store itself (no SQLite handle crosses fork) and writes its own run.
  const auto write_run = [&](const std::string& profile) {
    ResultStore store = ResultStore::open(path.string());
    const auto run = store.begin_run(context(profile));
    for (int r = 0; r < kCells; ++r)
      store.write_cell(run, simulated_cell(profile, r));
    store.finish_run(run, RunStatus::finished);
  };
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 0;
    try {
      write_run("child");
    } catch (...) {
      code = 1;
    }
    ::_exit(code);
  }
  bool parent_ok = true;
  try {
    write_run("parent");
  } catch (const std::exception& e) {
    parent_ok = false;
    MESSAGE(std::string(e.what()));
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(parent_ok);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(query(path, "SELECT count(*) FROM runs WHERE status = 'finished'") == "2");
  CHECK(query(path, "SELECT count(*) FROM cells") == std::to_string(2 * kCells));
  CHECK(query(path, "SELECT count(*) FROM candidates") == std::to_string(4 * kCells));
  CHECK(query(path, "SELECT count(DISTINCT run_id) FROM cells WHERE profile = 'child'") == "1");
  CHECK(query(path,
              "SELECT count(*) FROM cells c JOIN runs r ON r.id = c.run_id WHERE "
              "r.manifest_sha256 <> c.profile") == "0");
  check_integrity(path);
}

// ---- schema version 2 and reading a run back ----

namespace {

// A store of schema version 1 exactly as kcube 1 wrote it, with one finished run.
const std::string kVersion1Store = std::string(R"sql(
PRAGMA application_id = 1801680226;
PRAGMA user_version = 1;
)sql") + kcube::test::kSchemaVersion1 +
                                   R"sql(
INSERT INTO runs VALUES (1, 'old', 'finished', '2025-01-02T03:04:05Z', '2025-01-02T03:05:00Z',
  '0.1.0', NULL, 'gcc 12', 'Release', 'box', 4, '9223372036854775809', 'experiment: old', 'ff00',
  '', '[{"name":"gaussian","kind":"profile","version":"0.1.0","file":"/p/g.so"}]', 'exact', NULL,
  1, NULL, 1);
INSERT INTO cells VALUES (1, 'gpt|tight||0', 0, 'gpt', 'tight', NULL, NULL, 'finished', NULL, 0.5);
INSERT INTO candidates (run_id, cell_key, replication, profile, scenario, k, cost, latency,
  accuracy, feasible) VALUES (1, 'gpt|tight||0', 0, 'gpt', 'tight', 1, 0.25, 1.5, 0.75, 1);
INSERT INTO selections VALUES (1, 'gpt|tight||0', 0, 0, 'gpt', 'tight', 'cube', 'cube-max',
  'cube-max', 'selected', 1, 0.25, 1.5, 0.75, 0.125, 1, 1, 'the only point');
)sql";

// Every field of `got` equals the one of `want`: cells, candidates with all their columns,
// feasibility and selections.
void check_same_cell(const CellResult& got, const CellResult& want) {
  INFO("cell " << want.key());
  CHECK(got.key() == want.key());
  CHECK(got.replication == want.replication);
  CHECK(got.profile == want.profile);
  CHECK(got.scenario == want.scenario);
  CHECK(got.sweep == want.sweep);
  CHECK(got.position == want.position);
  CHECK(got.profile_spec == want.profile_spec);
  CHECK(got.scenario_spec == want.scenario_spec);
  CHECK(got.seed == want.seed);
  CHECK(got.status == want.status);
  CHECK(got.message == want.message);
  CHECK(got.seconds == want.seconds);
  REQUIRE(got.candidates.rows.size() == want.candidates.rows.size());
  for (std::size_t r = 0; r < want.candidates.rows.size(); ++r) {
    const auto& g = got.candidates.rows[r];
    const auto& w = want.candidates.rows[r];
    CHECK(g.k == w.k);
    CHECK(g.cost == w.cost);  // bit-identical: REAL columns hold the very doubles written
    CHECK(g.latency == w.latency);
    CHECK(g.accuracy == w.accuracy);
  }
  CHECK(got.candidates.columns == want.candidates.columns);
  CHECK(got.feasible == want.feasible);
  REQUIRE(got.selections.size() == want.selections.size());
  for (std::size_t i = 0; i < want.selections.size(); ++i) {
    const auto& g = got.selections[i];
    const auto& w = want.selections[i];
    INFO("selection " << i << " (" << w.name << ")");
    CHECK(g.name == w.name);
    CHECK(g.record.optimizer == w.record.optimizer);
    CHECK(g.record.spec == w.record.spec);
    CHECK(g.record.canonical_spec == w.record.canonical_spec);
    CHECK(g.record.status == w.record.status);
    CHECK(g.record.k == w.record.k);
    CHECK(g.record.cost == w.record.cost);
    CHECK(g.record.latency == w.record.latency);
    CHECK(g.record.accuracy == w.record.accuracy);
    CHECK(g.record.score == w.record.score);
    CHECK(g.record.feasible == w.record.feasible);
    CHECK(g.record.pareto == w.record.pareto);
    CHECK(g.record.reason == w.record.reason);
    CHECK(g.pick_share == w.pick_share);
    CHECK(g.pick_distribution == w.pick_distribution);
  }
}

}  // namespace

TEST_CASE("a version 1 store is migrated to the current version and keeps its rows") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "old.sqlite";
  execute(path, kVersion1Store);
  REQUIRE(query(path, "PRAGMA user_version") == "1");
  ResultStore store = ResultStore::open(path.string());
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  CHECK(query(path,
              "SELECT group_concat(name, ',') FROM pragma_table_info('cells') WHERE cid >= 10") ==
        "position,profile_spec,scenario_spec,aggregator,aggregator_spec,notes");
  CHECK(
      query(
          path,
          "SELECT group_concat(name, ',') FROM pragma_table_info('selections') WHERE cid >= 18") ==
      "optimizer_spec,pick_share,pick_distribution");
  // Selections stored before version 6 had no bootstrap.
  CHECK(query(path,
              "SELECT count(*) FROM selections WHERE pick_share IS NULL AND "
              "pick_distribution IS NULL") == "1");
  CHECK(query(path, "SELECT count(*) FROM candidates") == "1");
  CHECK(query(path, "SELECT reason FROM selections") == "the only point");
  check_integrity(path);

  const kcube::StoredRun run = store.load_run(std::nullopt);
  CHECK(run.summary.id == 1);
  CHECK(run.summary.status == RunStatus::finished);
  CHECK(run.summary.cells_finished == 1);
  CHECK(run.context.experiment == "old");
  CHECK(run.context.seed == 9223372036854775809ull);
  CHECK(run.context.git_revision.empty());
  CHECK(run.context.sampling.empty());
  CHECK_FALSE(run.context.trials.has_value());
  CHECK(run.context.overrides.empty());
  REQUIRE(run.context.plugins.size() == 1);
  CHECK(run.context.plugins[0].file == "/p/g.so");
  REQUIRE(run.cells.size() == 1);
  const CellResult& cell = run.cells[0];
  CHECK_FALSE(cell.position.has_value());
  CHECK(cell.profile_spec.empty());
  CHECK(cell.scenario_spec.empty());
  CHECK_FALSE(cell.seed.has_value());
  CHECK(cell.sweep.empty());
  REQUIRE(cell.candidates.rows.size() == 1);
  CHECK(cell.candidates.rows[0].accuracy == 0.75);
  CHECK(cell.candidates.columns.empty());
  CHECK(cell.feasible == std::vector<bool>{true});
  REQUIRE(cell.selections.size() == 1);
  CHECK(cell.selections[0].name == "cube");
  CHECK(cell.selections[0].record.canonical_spec.empty());
  CHECK(cell.selections[0].record.status == SelectionStatus::selected);
  CHECK(cell.selections[0].record.k == 1);
  CHECK_FALSE(cell.selections[0].pick_share.has_value());
  CHECK(cell.selections[0].pick_distribution.empty());

  // The migrated store takes cells of version 2.
  CellResult fresh = simulated_cell("new");
  fresh.position = 3;
  fresh.profile_spec = "gaussian:acc_mean=0.9";
  store.write_cell(1, fresh);
  CHECK(query(path, "SELECT position || ' ' || profile_spec FROM cells WHERE profile = 'new'") ==
        "3 gaussian:acc_mean=0.9");
  CHECK(query(path, "SELECT scenario_spec IS NULL FROM cells WHERE profile = 'new'") == "1");
  check_integrity(path);
}

TEST_CASE("load_run gives back everything write_cell wrote, cells in plan order") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  RunContext written = context("abc123", {"seed=3", "scenarios.a.k_max=8"});
  written.git_revision = "0123abcd";
  written.cell_count = 5;
  written.replications = 2;
  const auto run = store.begin_run(written);

  // Written out of plan order; one cell without a position comes last.
  CellResult unplaced = exact_cell();
  unplaced.profile = "unplaced";
  CellResult second = simulated_cell("gpt", 1);
  second.position = 2;
  second.sweep = "k_max=16";
  second.seed = 18446744073709551557ull;  // above 2^63
  second.profile_spec = R"(gaussian:acc_mean=0.9,display_name="GPT, \"5\"")";
  second.scenario_spec = "budget:cost_max=0.5,k_max=16";
  second.selections.push_back(selection("knee", SelectionStatus::fallback, 2, 1.0, 3.5, 0.5,
                                        std::nullopt, "fell back to the largest feasible k"));
  second.selections.push_back(selection("knee2", SelectionStatus::too_few_points, std::nullopt,
                                        std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                                        "needs three points"));
  second.selections[0].record.canonical_spec = "cube-max";
  // run.bootstrap's pick frequencies (schema version 6); the second selection has none.
  second.selections[0].pick_share = 0.625;
  second.selections[0].pick_distribution = R"({"2":0.625,"4":0.25,"none":0.125})";
  second.selections[1].record.optimizer = "knee-point";
  second.selections[1].record.spec = "optimizers.knee (knee-point)";
  second.selections[1].record.canonical_spec = "knee-point:method=chord";
  second.selections[1].record.feasible = 7;
  second.selections[1].record.pareto = 3;
  CellResult first = exact_cell();
  first.position = 0;
  first.profile_spec = "exact-model:x=1";
  first.scenario_spec = "budget:label=\"\"";
  CellResult middle = simulated_cell("mini");
  middle.position = 1;
  middle.feasible.clear();  // not assessed: NULL in every row
  middle.candidates.columns.erase("cost_p95");
  middle.candidates.columns["latency_p95"] = {2.25, 3.75};
  middle.candidates.columns["accuracy_p05"] = {0.1 + 0.2, 1.0 / 3.0};
  CellResult failed;
  failed.profile = "broken";
  failed.scenario = "tight";
  failed.position = 3;
  failed.status = CellStatus::error;
  failed.message = "profile broken threw: boom";
  failed.seconds = 0.125;
  for (const CellResult* cell : {&unplaced, &second, &first, &failed, &middle})
    store.write_cell(run, *cell);
  store.finish_run(run, RunStatus::failed);

  const kcube::StoredRun stored = store.load_run(run);
  CHECK(stored.summary.id == run);
  CHECK(stored.summary.experiment == "demo");
  CHECK(stored.summary.status == RunStatus::failed);
  CHECK_FALSE(stored.summary.finished_at.empty());
  CHECK(stored.summary.overrides == "scenarios.a.k_max=8\nseed=3");
  CHECK(stored.summary.cell_count == 5);
  CHECK(stored.summary.cells_finished == 4);
  CHECK(stored.summary.cells_failed == 1);

  const RunContext& c = stored.context;
  CHECK(c.experiment == written.experiment);
  CHECK(c.started_at == stored.summary.started_at);
  CHECK(c.started_at == written.started_at);
  CHECK(c.kcube_version == written.kcube_version);
  CHECK(c.git_revision == "0123abcd");
  CHECK(c.compiler == written.compiler);
  CHECK(c.build_type == "Release");
  CHECK(c.host == written.host);
  CHECK(c.threads == 2);
  CHECK(c.seed == 18446744073709551615ull);
  CHECK(c.manifest_text == written.manifest_text);
  CHECK(c.manifest_sha256 == "abc123");
  CHECK(c.overrides == std::vector<std::string>{"scenarios.a.k_max=8", "seed=3"});
  REQUIRE(c.plugins.size() == 2);
  CHECK(c.plugins[0].name == "cube-max");
  CHECK(c.plugins[0].kind == "optimizer");
  CHECK(c.plugins[0].version == "1.0.0");
  CHECK(c.plugins[0].file == "/lib/cube.so");
  CHECK(c.plugins[1].name == "gaussian");
  CHECK(c.plugins[1].kind == "profile");
  CHECK(c.evaluator == kcube::Evaluator::monte_carlo);
  CHECK(c.trials == 1000);
  CHECK(c.replications == 2);
  CHECK(c.sampling == "nested");
  CHECK(c.cell_count == 5);

  REQUIRE(stored.cells.size() == 5);
  check_same_cell(stored.cells[0], first);
  check_same_cell(stored.cells[1], middle);
  check_same_cell(stored.cells[2], second);
  check_same_cell(stored.cells[3], failed);
  check_same_cell(stored.cells[4], unplaced);
  // The spread columns and the extra quantiles are columns of the table again.
  CHECK(stored.cells[2].candidates.column("cost_p95") != nullptr);
  CHECK(stored.cells[2].candidates.column("trials") != nullptr);
  CHECK(stored.cells[1].candidates.column("accuracy_p05") != nullptr);
  CHECK(stored.cells[1].feasible.empty());
  CHECK(stored.cells[0].candidates.columns.empty());

  // Another run of the same store is read on its own; the newest is the default.
  const auto other = store.begin_run(context());
  CellResult lone = exact_cell();
  lone.position = 0;
  store.write_cell(other, lone);
  const kcube::StoredRun newest = store.load_run(std::nullopt);
  CHECK(newest.summary.id == other);
  CHECK(newest.context.git_revision == kcube::capture_run_context("Release").git_revision);
  REQUIRE(newest.cells.size() == 1);
  check_same_cell(newest.cells[0], lone);
  CHECK(store.load_run(run).cells.size() == 5);
}

TEST_CASE("load_run of a run without cells and of exact evaluation") {
  kcube::test::TempDir dir;
  ResultStore store = ResultStore::open((dir.path() / "s.sqlite").string());
  RunContext written = context();
  written.trials.reset();
  written.sampling.clear();
  written.git_revision.clear();
  written.overrides = {};
  written.plugins = {};
  written.evaluator = kcube::Evaluator::exact;
  written.seed = 0;
  const auto run = store.begin_run(written);
  const kcube::StoredRun stored = store.load_run(run);
  CHECK(stored.cells.empty());
  CHECK(stored.summary.status == RunStatus::running);
  CHECK(stored.summary.finished_at.empty());
  CHECK_FALSE(stored.context.trials.has_value());
  CHECK(stored.context.sampling.empty());
  CHECK(stored.context.git_revision.empty());
  CHECK(stored.context.overrides.empty());
  CHECK(stored.context.plugins.empty());
  CHECK(stored.context.evaluator == kcube::Evaluator::exact);
  CHECK(stored.context.seed == 0);
}

TEST_CASE("load_run refuses an unknown run, a store without runs and values kcube never writes") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const std::string empty = message_of([&] { store.load_run(std::nullopt); });
  CHECK(empty.find("results store '" + path.string() + "' has no runs yet") != std::string::npos);
  CHECK(message_of([&] { store.load_run(1); }).find("has no run 1; its runs are: (none)") !=
        std::string::npos);

  const auto run = store.begin_run(context());
  store.write_cell(run, simulated_cell());
  const std::string unknown = message_of([&] { store.load_run(7); });
  CHECK(unknown.find("has no run 7") != std::string::npos);
  CHECK(unknown.find("\n  1  demo  running") != std::string::npos);

  SUBCASE("an unknown selection status") {
    query(path, "UPDATE selections SET status = 'maybe'");
    const std::string message = message_of<kcube::RuntimeFailure>([&] { store.load_run(run); });
    CHECK(message.find("results store '" + path.string() + "'") != std::string::npos);
    CHECK(message.find("the selection of optimizer cube in cell gpt|tight||0 has the unknown "
                       "status 'maybe'") != std::string::npos);
  }
  SUBCASE("an unknown evaluator") {
    query(path, "UPDATE runs SET evaluator = 'simulate'");
    CHECK(message_of<kcube::RuntimeFailure>([&] {
            store.load_run(run);
          }).find("run 1 has the unknown evaluator 'simulate'") != std::string::npos);
  }
  SUBCASE("a seed that is not a number") {
    query(path, "UPDATE cells SET seed = '12x'");
    CHECK(message_of<kcube::RuntimeFailure>([&] {
            store.load_run(run);
          }).find("the seed of cell gpt|tight||0 of run 1 is '12x'") != std::string::npos);
  }
  SUBCASE("extra columns that are not JSON") {
    query(path, "UPDATE candidates SET extra = '{\"cost_p95\": ' WHERE k = 2");
    CHECK(message_of<kcube::RuntimeFailure>([&] {
            store.load_run(run);
          }).find("the extra columns of cell gpt|tight||0 at k=2: not valid JSON") !=
          std::string::npos);
  }
}

TEST_CASE(
    "a cell keeps its aggregator and notes, and a stopping aggregator's samples_used exports") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  const auto run = store.begin_run(context());
  CellResult best = simulated_cell();
  store.write_cell(run, best);
  CellResult esc = simulated_cell();
  esc.aggregator = "early";
  esc.aggregator_spec = "esc:window=4";
  esc.notes = {"2 of 100 questions have fewer than 16 samples and were left out", "second"};
  auto& col = esc.candidates.columns;
  col["samples_used"] = {1.0, 1.75};
  col["samples_used_std"] = {0.0, 0.5};
  col["samples_used_se"] = {0.0, 0.125};
  col["samples_used_p025"] = {1.0, 1.0};
  col["samples_used_p975"] = {1.0, 2.0};
  store.write_cell(run, esc);
  // The default aggregator keeps the key cells had before aggregators; another one adds its name.
  CHECK(best.key() == "gpt|tight||0");
  CHECK(esc.key() == "gpt|tight||0|early");
  CHECK(kcube::cell_key("p", "s", "max-accuracy", "x=1", 2) == "p|s|x=1|2");

  const kcube::StoredRun stored = store.load_run(run);
  REQUIRE(stored.cells.size() == 2);
  const CellResult& back =
      stored.cells[0].aggregator == "early" ? stored.cells[0] : stored.cells[1];
  const CellResult& back_best =
      stored.cells[0].aggregator == "early" ? stored.cells[1] : stored.cells[0];
  CHECK(back.aggregator_spec == "esc:window=4");
  CHECK(back.notes == esc.notes);
  CHECK(back.candidates.columns.at("samples_used") == std::vector<double>{1.0, 1.75});
  CHECK(back_best.aggregator == "max-accuracy");
  CHECK(back_best.notes.empty());
  CHECK(query(path, "SELECT notes IS NULL FROM cells WHERE aggregator = 'max-accuracy'") == "1");

  const std::string csv = exported(store, Table::candidates, Format::csv);
  CHECK(csv.find("accuracy_p975,samples_used,samples_used_std,samples_used_se,samples_used_p025,"
                 "samples_used_p975,feasible\n") != std::string::npos);
  CHECK(csv.find("1,0,gpt,tight,early,,2,1000,1,3.5,0.5,0.2,0.4,0.6,0.02,0.04,0.06,0.8,1.2,3,4,"
                 "0.45,0.55,1.75,0.5,0.125,1,2,0\n") != std::string::npos);
  // Best-of-k draws every sample: no value there.
  CHECK(csv.find("1,0,gpt,tight,max-accuracy,,2,1000,1,3.5,0.5,0.2,0.4,0.6,0.02,0.04,0.06,0.8,1.2,"
                 "3,4,0.45,0.55,,,,,,0\n") != std::string::npos);
  check_integrity(path);
}
