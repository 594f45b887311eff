// Schema version 7: every run records the engine version of its Monte Carlo numbers
// (engine/engine.hpp, kEngineVersion), runs of older stores migrate to engine version 1, and the
// store's engine_versions table says what each version changed.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "engine/engine.hpp"
#include "store/store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::ResultStore;
using kcube::test::execute;
using kcube::test::query;

// A store of schema version 3 as kcube wrote it (the oldest fixture with runs of every column the
// later migrations read): one finished Monte Carlo run.
const std::string kVersion3Store = std::string(R"sql(
PRAGMA application_id = 1801680226;
PRAGMA user_version = 3;
)sql") + kcube::test::kSchemaVersion1 +
                                   kcube::test::kSchemaVersion2Additions +
                                   kcube::test::kSchemaVersion3Additions + R"sql(
INSERT INTO runs VALUES (1, 'old', 'finished', '2025-01-02T03:04:05Z', '2025-01-02T03:05:00Z',
  '0.3.0', NULL, 'gcc 12', 'Release', 'box', 4, '7', 'experiment: old', 'ff00', '',
  '[]', 'monte-carlo', 20, 1, 'nested', 0, NULL, NULL, NULL, NULL, NULL);
)sql";

// "1: summary\n2: summary" of the engine versions kcube knows.
std::string known_versions() {
  std::string out;
  for (std::size_t i = 0; i < kcube::kEngineVersionHistory.size(); ++i) {
    out += (i == 0 ? "" : "\n") + std::to_string(i + 1) + ": " +
           std::string(kcube::kEngineVersionHistory[i]);
  }
  return out;
}

constexpr const char* kVersionsQuery =
    "SELECT group_concat(version || ': ' || summary, char(10)) FROM "
    "(SELECT * FROM engine_versions ORDER BY version)";

}  // namespace

TEST_CASE("runs of an older store migrate to engine version 1, and the store learns the history") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "v3.sqlite";
  execute(path, kVersion3Store);
  ResultStore store = ResultStore::open(path.string());
  CHECK(query(path, "PRAGMA user_version") == std::to_string(kcube::kStoreSchemaVersion));
  CHECK(query(path, "SELECT engine_version FROM runs WHERE id = 1") == "1");
  CHECK(query(path,
              "SELECT \"notnull\" FROM pragma_table_info('runs') WHERE name = "
              "'engine_version'") == "1");
  CHECK(store.runs().at(0).engine_version == 1);
  const kcube::StoredRun old = store.load_run(1);
  CHECK(old.context.engine_version == 1);
  CHECK(old.engine_summary == kcube::kEngineVersionHistory[0]);
  CHECK(query(path, kVersionsQuery) == known_versions());

  // A new run records this kcube's engine version.
  kcube::RunContext context = kcube::capture_run_context("Release");
  context.experiment = "new";
  context.manifest_text = "experiment: new";
  context.manifest_sha256 = "ab";
  const std::int64_t id = store.begin_run(context);
  CHECK(query(path, "SELECT engine_version FROM runs WHERE id = " + std::to_string(id)) ==
        std::to_string(kcube::kEngineVersion));
  CHECK(store.runs().at(1).engine_version == kcube::kEngineVersion);
}

TEST_CASE("a store of this schema missing this kcube's engine version gets it when opened") {
  kcube::test::TempDir dir;
  const auto path = dir.path() / "s.sqlite";
  { ResultStore::open(path.string()); }
  // As a kcube of the same schema and an older engine would have left it; a row another kcube
  // wrote is kept as it is (INSERT OR IGNORE).
  execute(path,
          "DELETE FROM engine_versions WHERE version = " + std::to_string(kcube::kEngineVersion) +
              "; UPDATE engine_versions SET summary = 'as written before' WHERE version = 1;");
  { ResultStore::open(path.string()); }
  CHECK(query(path, "SELECT count(*) FROM engine_versions") ==
        std::to_string(kcube::kEngineVersion));
  CHECK(query(path, "SELECT summary FROM engine_versions WHERE version = 1") ==
        "as written before");
  CHECK(query(path, "SELECT summary FROM engine_versions WHERE version = " +
                        std::to_string(kcube::kEngineVersion)) ==
        kcube::kEngineVersionHistory.back());
}

TEST_CASE("an engine version this kcube does not know is named so") {
  CHECK(kcube::engine_version_summary(1) == kcube::kEngineVersionHistory[0]);
  CHECK(kcube::engine_version_summary(7, {{7, "from the store"}}) == "from the store");
  CHECK(kcube::engine_version_summary(kcube::kEngineVersion + 1) ==
        "unknown to this kcube (engine " + std::to_string(kcube::kEngineVersion) +
            "): a newer kcube made it");
  CHECK(kcube::depends_on_engine(kcube::Evaluator::monte_carlo));
  CHECK_FALSE(kcube::depends_on_engine(kcube::Evaluator::exact));
}
