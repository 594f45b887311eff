// A run makes each plugin object once per (plugin, canonical parameters) and lends it to every
// check and cell that uses it (run/objects.hpp); a factory that fails fails only the cells of
// its entry, each with the message it had when every cell made its own objects. The `counting`
// fixture profiles (tests/run/fixtures) append a line to a log file per construction. Every
// sample here is synthetic (the fixture's uniform draws).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/resources.hpp"
#include "kcube/error.hpp"
#include "kcube/run.hpp"
#include "manifest/manifest.hpp"
#include "run/cell.hpp"
#include "run/objects.hpp"
#include "run/plan.hpp"
#include "run/watchdog.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

// The lines of `file`, counted: "accuracy=0.6" -> 1, ...
std::map<std::string, int> constructions(const fs::path& file) {
  std::map<std::string, int> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    ++out[line];
  return out;
}

// A study of `plugin` profiles: `good` and `same` (the same parameters written differently),
// `other`, and `bad` when `refuse` (its factory refuses); two scenarios swept over two
// parallelisms, two replications, 20 trials. Constructions go to `log`.
fs::path write_manifest(const fs::path& dir, const std::string& plugin, const fs::path& log,
                        bool refuse) {
  const fs::path file = dir / "counting.yaml";
  const std::string l = "log: '" + log.string() + "'";
  std::ofstream out(file);
  out << "kcube: 1\nexperiment: counting\nprofiles:\n"
      << "  good: {plugin: " << plugin << ", params: {accuracy: 0.6, " << l << "}}\n"
      << "  same: {plugin: " << plugin << ", params: {accuracy: 0.60, refuse: no, " << l << "}}\n"
      << "  other: {plugin: " << plugin << ", params: {accuracy: 0.7, " << l << "}}\n";
  if (refuse)
    out << "  bad: {plugin: " << plugin << ", params: {accuracy: 0.8, refuse: true, " << l
        << "}}\n";
  out << "scenarios:\n"
      << "  loose: {plugin: budget, params: {cost_max: 1, latency_max: 60, accuracy_min: 0.1, "
         "parallelism: 2, k_max: 8}}\n"
      << "  tight: {plugin: budget, params: {cost_max: 0.05, latency_max: 60, accuracy_min: 0.1, "
         "parallelism: 2, k_max: 8}}\n"
      << "optimizers:\n  accuracy-max: {plugin: accuracy-max}\n  cube-max: {plugin: cube-max}\n"
      << "run: {trials: 20, seed: 3, replications: 2}\n"
      << "sweep:\n  scenarios.loose.params.parallelism: [1, 2]\n";
  return file;
}

kcube::PluginRegistry fixtures_registry() {
  kcube::DiscoveryOptions discovery;
  discovery.plugin_paths = {KCUBE_TEST_RUN_FIXTURES};
  discovery.use_environment = false;
  return kcube::PluginRegistry::discover(discovery);
}

// Runs the manifest through kcube's run API (checks, then cells) into `dir`/store.sqlite.
kcube::ExperimentSummary run_study(const fs::path& dir, const fs::path& manifest, int threads) {
  kcube::ExperimentOptions options;
  options.manifest = manifest.string();
  options.plugin_paths = {KCUBE_TEST_RUN_FIXTURES};
  options.store = (dir / "store.sqlite").string();
  options.threads = threads;
  return kcube::run_experiment(options);
}

}  // namespace

TEST_CASE("a run makes each shared plugin object once, for its checks and all its cells") {
  kcube::test::TempDir dir;
  const fs::path log = dir.path() / "made.log";
  const auto summary = run_study(dir.path(), write_manifest(dir.path(), "counting", log, false), 2);
  // 3 profiles x 2 scenarios x 2 sweep points x 2 replications.
  CHECK(summary.cells_run == 24);
  CHECK(summary.cells_failed == 0);
  // `good` and `same` have one canonical parameter set: one object for both entries.
  CHECK(constructions(log) == std::map<std::string, int>{{"accuracy=0.6", 1}, {"accuracy=0.7", 1}});
}

TEST_CASE("a per-thread plugin's objects are made once per thread and reused by later cells") {
  kcube::test::TempDir dir;
  const fs::path log = dir.path() / "made.log";
  const auto summary =
      run_study(dir.path(), write_manifest(dir.path(), "counting-per-thread", log, false), 2);
  CHECK(summary.cells_run == 24);
  CHECK(summary.cells_failed == 0);
  // The checks make one object; the first Monte Carlo cell on 2 threads borrows it and makes one
  // more for its second thread; every later cell borrows those two.
  CHECK(constructions(log) == std::map<std::string, int>{{"accuracy=0.6", 2}, {"accuracy=0.7", 2}});
}

TEST_CASE("a factory that fails for one parameter set fails only its cells, with today's message") {
  kcube::test::TempDir dir;
  const fs::path log = dir.path() / "made.log";
  const fs::path manifest = write_manifest(dir.path(), "counting", log, true);
  const kcube::PluginRegistry registry = fixtures_registry();
  // Cells run without the factory checks of run_experiment() (which would refuse the whole
  // run), as a factory that fails only at run time would have them.
  const kcube::Plan plan =
      kcube::plan_cells(kcube::load_manifest(manifest, {}, registry, kcube::kDefaultMaxCells), {});
  const kcube::PluginUse& bad = plan.manifest.profiles.back();
  REQUIRE(bad.name == "bad");
  // The message a cell of `bad` had when each cell made its own objects (CellRunner's catch).
  std::string expected;
  try {
    (void)registry.create<kcube::ModelProfile>(kcube::spec_of(bad, "profiles"));
  } catch (...) {
    expected = kcube::failure_text("running " + registry.find("counting")->who() + ", its factory");
  }
  REQUIRE(expected.find("refused as asked (refuse=true)") != std::string::npos);
  std::filesystem::remove(log);

  kcube::RunObjects objects(registry);
  kcube::Watchdog watchdog(std::nullopt);
  kcube::CellRunner runner(objects, watchdog, 1, nullptr);
  std::size_t failed = 0;
  for (const kcube::Cell& cell : plan.cells) {
    const kcube::CellResult result =
        runner.run(plan.point_manifests[cell.point], cell, plan.points[cell.point].label);
    INFO("cell " << cell.key);
    if (cell.profile == plan.manifest.profiles.size() - 1) {
      ++failed;
      CHECK(result.status == kcube::CellStatus::error);
      CHECK(result.message == expected);
    } else {
      CHECK(result.status == kcube::CellStatus::finished);
      CHECK(result.message.empty());
    }
  }
  CHECK(failed == 8);  // 2 scenarios x 2 sweep points x 2 replications
  // The refusal was kept: one call of the failing factory for its 8 cells.
  CHECK(constructions(log) == std::map<std::string, int>{{"accuracy=0.6", 1},
                                                         {"accuracy=0.7", 1},
                                                         {"refused accuracy=0.8", 1}});
  CHECK(objects.profiles.made() == 2);
}

TEST_CASE(
    "an object of a per-thread plugin is lent to one borrower at a time, a shared one to all") {
  const kcube::PluginRegistry registry = fixtures_registry();
  kcube::test::TempDir dir;
  const std::string log = (dir.path() / "made.log").string();
  kcube::WorkState state;
  const auto use = [&](const std::string& plugin) {
    return kcube::PluginUse{"p", plugin, {{"log", log, "test", ""}}, "test", {}};
  };
  kcube::ObjectCache<kcube::ModelProfile> cache(registry);
  {
    const auto first = cache.lend(use("counting-per-thread"), "profiles", state);
    const auto second = cache.lend(use("counting-per-thread"), "profiles", state);
    CHECK(&*first != &*second);
    CHECK(cache.made() == 2);
  }
  {
    // Both came back: borrowed again, not made again.
    const auto first = cache.lend(use("counting-per-thread"), "profiles", state);
    const auto second = cache.lend(use("counting-per-thread"), "profiles", state);
    CHECK(&*first != &*second);
    CHECK(cache.made() == 2);
  }
  const auto a = cache.lend(use("counting"), "profiles", state);
  const auto b = cache.lend(use("counting"), "profiles", state);
  CHECK(&*a == &*b);
  CHECK(cache.made() == 3);
}
