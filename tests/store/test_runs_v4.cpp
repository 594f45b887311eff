// Schema version 4: migration from version 3 (the runs table rebuilt without losing a cell), the
// status `interrupted`, the process writing a run and how its liveness is told, take_over() as
// the one way a resumed run changes hands, and plugin file hashes read back.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::ProcessIdentity;
using kcube::ResultStore;
using kcube::RunStatus;
using kcube::test::execute;
using kcube::test::query;

// A store of schema version 3 as kcube wrote it: a failed run with a plugin record without a
// file hash, one cell with a candidate and a selection.
const std::string kVersion3Store = std::string(R"sql(
PRAGMA application_id = 1801680226;
PRAGMA user_version = 3;
)sql") + kcube::test::kSchemaVersion1 +
                                   kcube::test::kSchemaVersion2Additions +
                                   kcube::test::kSchemaVersion3Additions + R"sql(
INSERT INTO runs VALUES (1, 'old', 'failed', '2025-01-02T03:04:05Z', '2025-01-02T03:05:00Z',
  '0.3.0', NULL, 'gcc 12', 'Release', 'box', 4, '7', 'experiment: old', 'ff00', 'run.trials=20',
  '[{"name":"cube-max","kind":"optimizer","version":"1.0.0","file":"/p/cube-max.so"}]',
  'monte-carlo', 20, 1, 'nested', 2, 1, 2, 4, 1, NULL);
INSERT INTO cells VALUES (1, 'gpt|tight||0', 0, 'gpt', 'tight', NULL, NULL, 'finished', NULL, 0.5,
  0, 'gaussian:acc_mean=0.9', 'budget:k_max=8');
INSERT INTO candidates (run_id, cell_key, replication, profile, scenario, k, cost, latency,
  accuracy) VALUES (1, 'gpt|tight||0', 0, 'gpt', 'tight', 1, 0.1, 2.0, 0.9);
INSERT INTO selections (run_id, cell_key, position, replication, profile, scenario, optimizer,
  plugin, spec, status, k, feasible_count, pareto_count, reason) VALUES (1, 'gpt|tight||0', 0, 0,
  'gpt', 'tight', 'cube-max', 'cube-max', 'cube-max', 'selected', 1, 1, 1, '');
)sql";

}  // namespace

TEST_CASE("a version 3 store is migrated to version 4 keeping every row, writer unknown") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "v3.sqlite";
  execute(path, kVersion3Store);
  {
    ResultStore store = ResultStore::open(path.string());
    const auto runs = store.runs();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == RunStatus::failed);
    CHECK(runs[0].shard_index == 1);
    CHECK(runs[0].plan_cells == 4);
    CHECK(runs[0].cells_finished == 1);
    CHECK(runs[0].writer.pid == 0);
    CHECK(runs[0].writer.host.empty());
    CHECK_FALSE(runs[0].mixed_builds);
    const kcube::StoredRun run = store.load_run(1);
    REQUIRE(run.context.plugins.size() == 1);
    CHECK(run.context.plugins[0].sha256.empty());  // unknown
    REQUIRE(run.cells.size() == 1);
    CHECK(run.cells[0].candidates.rows.size() == 1);
    CHECK(run.cells[0].selections.size() == 1);
    // The rebuilt table takes the new status.
    store.finish_run(1, RunStatus::interrupted);
    CHECK(store.runs()[0].status == RunStatus::interrupted);
  }
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  // Migration 4 -> 5: every cell stored before was best-of-k, and keeps its key.
  CHECK(query(path, "SELECT cell_key || ' ' || aggregator || ' ' || aggregator_spec FROM cells") ==
        "gpt|tight||0 max-accuracy max-accuracy");
  CHECK(query(path, "SELECT notes IS NULL FROM cells") == "1");
  CHECK(query(path, "SELECT count(*) FROM cells") == "1");
  CHECK(query(path, "SELECT count(*) FROM candidates") == "1");
  CHECK(query(path, "SELECT count(*) FROM selections") == "1");
  CHECK(query(path, "SELECT status FROM runs") == "interrupted");
  CHECK(query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'runs_by_manifest'") == "1");
  CHECK(query(path, "PRAGMA integrity_check") == "ok");
  CHECK(query(path, "SELECT count(*) FROM pragma_foreign_key_check") == "0");
  // The cells still belong to runs: their foreign key names the rebuilt table.
  CHECK(query(path, "SELECT \"table\" FROM pragma_foreign_key_list('cells')") == "runs");
}

TEST_CASE("a run records this process and its plugins' hashes, and take_over hands it on once") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  ResultStore store = ResultStore::open(path.string());
  kcube::RunContext context = kcube::capture_run_context("Release");
  context.experiment = "e";
  context.manifest_sha256 = "ab";
  context.evaluator = kcube::Evaluator::exact;
  context.plugins = {{"cube-max", "optimizer", "1.0.0", "/p/c.so", std::string(64, 'a')}};
  const std::int64_t id = store.begin_run(context);
  const auto seen = store.runs().at(0);
  CHECK(seen.writer.pid == ::getpid());
  CHECK(seen.writer.host == kcube::host_name());
  CHECK(kcube::process_alive(seen.writer));
  CHECK_FALSE(kcube::process_gone(seen.writer));
  CHECK(store.load_run(id).context.plugins.at(0).sha256 == std::string(64, 'a'));

  ProcessIdentity other = seen.writer;
  other.pid += 1000000;  // beyond pid_max: no such process
  CHECK(store.take_over(seen, other, R"({"at":"t","by":"test","kcube_version":"9","plugins":[]})"));
  // `seen` is stale now: a second taker finds the run changed and writes nothing.
  CHECK_FALSE(store.take_over(seen, seen.writer));
  const auto now = store.runs().at(0);
  CHECK(now.writer.pid == other.pid);
  CHECK(now.mixed_builds);
  CHECK(query(path, "SELECT json_extract(build_changes, '$[0].by') FROM runs") == "test");
  CHECK(store.take_over(now, seen.writer, R"({"by":"again"})"));
  CHECK(query(path, "SELECT json_array_length(build_changes) FROM runs") == "2");
}

TEST_CASE("process_gone: no such process, a reused id, another boot, and unknown elsewhere") {
  ProcessIdentity me = kcube::this_process();
  REQUIRE_FALSE(me.start.empty());  // Linux: /proc is there
  // A child that has exited and was reaped: its id names no process.
  const pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ProcessIdentity ended = me;
  ended.pid = child;
  CHECK(kcube::process_gone(ended));
  CHECK_FALSE(kcube::process_alive(ended));

  ProcessIdentity reused = me;  // this id, but started at another time
  reused.start = me.start.substr(0, me.start.rfind(' ')) + " 1";
  CHECK(kcube::process_gone(reused));
  ProcessIdentity earlier_boot = me;
  earlier_boot.start = "00000000-0000-0000-0000-000000000000" + me.start.substr(me.start.find(' '));
  CHECK(kcube::process_gone(earlier_boot));

  ProcessIdentity elsewhere = ended;
  elsewhere.host = "another-host-" + me.host;
  CHECK_FALSE(kcube::process_gone(elsewhere));
  CHECK_FALSE(kcube::process_alive(elsewhere));
  ProcessIdentity unknown;
  CHECK_FALSE(kcube::process_gone(unknown));
}
