// The run API (kcube/run.hpp) takes a shard as two numbers: the ones that are not a shard are
// refused before anything is read or written, and a shard runs its share of the plan.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "kcube/error.hpp"
#include "kcube/run.hpp"
#include "message_of.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

// The paper study at 2 trials, one thread, into `store`.
kcube::ExperimentOptions study(const fs::path& store) {
  kcube::ExperimentOptions options;
  options.manifest = (fs::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "paper-2025.yaml").string();
  options.overrides = {"run.trials=2"};
  options.store = store.string();
  options.threads = 1;
  return options;
}

}  // namespace

TEST_CASE("run_experiment refuses shard numbers that are not shard I of N") {
  kcube::test::TempDir dir;
  const fs::path store = dir.path() / "store.sqlite";
  for (const auto& shard :
       {std::pair(3, 2), std::pair(0, 2), std::pair(1, 0), std::pair(-1, 2), std::pair(1, -4)}) {
    // Named copies, not a structured binding: Clang's C++20 cannot capture one in INFO's lambda.
    const int index = shard.first, count = shard.second;
    INFO("shard_index " << index << ", shard_count " << count);
    kcube::ExperimentOptions options = study(store);
    options.shard_index = index;
    options.shard_count = count;
    const std::string message = kcube::test::message_of([&] { kcube::run_experiment(options); });
    CHECK(message == "run_experiment: shard_index " + std::to_string(index) + " and shard_count " +
                         std::to_string(count) +
                         " are not a shard: give 1 <= shard_index <= shard_count (shard I of N), "
                         "or both 0 to run every cell");
    CHECK_FALSE(fs::exists(store));
  }
}

TEST_CASE("run_experiment runs shard I of N: the cells at plan positions p with p % N = I - 1") {
  kcube::test::TempDir dir;
  kcube::ExperimentOptions options = study(dir.path() / "part-2.sqlite");
  options.shard_index = 2;
  options.shard_count = 3;
  const kcube::ExperimentSummary summary = kcube::run_experiment(options);
  CHECK(summary.cells_run == 9);  // 27 cells of the plan, a third of them
  CHECK(summary.cells_failed == 0);
}
